/**
 * The upstream charts cannot be rendered here (no Helm). The values we pass them are checked
 * against the keys each pinned chart version knows (fixtures/charts, see chart-values.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ChartValuesFixture, pointer, unknownValueKeys } from "./support/chart-values.js";
import { MANIFESTS, ROOT, readChartValues, readVersions } from "./support/lab.js";

const versions = readVersions();

function fixture(chart: string): ChartValuesFixture {
  const version = versions.charts[chart]?.version;
  const path = join(ROOT, "test/manifests/fixtures/charts", `${chart}-${version}.json`);
  return JSON.parse(readFileSync(path, "utf8")) as ChartValuesFixture;
}

/**
 * Keys the charts copy verbatim (toYaml) into a Kubernetes object or a config file, so any
 * sub-key is allowed below them: Kubernetes resources and security contexts wherever they
 * appear, Prometheus' `global` block, Grafana's ini.
 */
const VERBATIM_KEYS = /\/(resources|securityContext|containerSecurityContext|podSecurityContext)$/;
const FREE_FORM: Record<string, string[]> = {
  prometheus: ["/server/global"],
  grafana: ["/grafana.ini"],
};

function check(values: unknown, chart: string): string[] {
  const known = fixture(chart);
  const paths = { ...known.paths };
  for (const p of Object.keys(paths)) if (VERBATIM_KEYS.test(p)) paths[p] = "open";
  for (const p of FREE_FORM[chart] ?? []) paths[p] = "open";
  return unknownValueKeys(values, { ...known, paths });
}

const wrappers = [
  { dir: "metrics-server", charts: ["metrics-server"] },
  { dir: "monitoring", charts: ["prometheus", "grafana"] },
];

describe("values passed to upstream charts", () => {
  for (const wrapper of wrappers) {
    const values = readChartValues(join(MANIFESTS, wrapper.dir));

    it(`manifests/${wrapper.dir}/values.yaml only configures its dependencies`, () => {
      expect(Object.keys(values).sort()).toEqual([...wrapper.charts].sort());
    });

    for (const chart of wrapper.charts) {
      it(`${chart} ${versions.charts[chart]?.version} knows every key we set`, () => {
        expect(check(values[chart], chart)).toEqual([]);
      });
    }
  }

  it("reports a key the chart does not have, and a value of the wrong type", () => {
    expect(check({ server: { retentionTime: "1d", retention: 1 } }, "prometheus")).toEqual([
      "prometheus 29.27.0 has no value /server/retentionTime",
      "prometheus 29.27.0: /server/retention should be string, got number",
    ]);
    expect(pointer(["grafana.ini", "a/b"])).toBe("/grafana.ini/a~1b");
  });

  it("every component the charts would run is bounded or switched off", () => {
    const ms = readChartValues(join(MANIFESTS, "metrics-server")) as Record<string, Record<string, unknown>>;
    const mon = readChartValues(join(MANIFESTS, "monitoring")) as Record<string, Record<string, unknown>>;
    const at = (node: unknown, path: string) =>
      path.split(".").reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], node);
    const bounded = (resources: unknown) => {
      const r = resources as
        | { requests?: Record<string, unknown>; limits?: Record<string, unknown> }
        | undefined;
      return ["cpu", "memory"].every((k) => r?.requests?.[k] !== undefined && r?.limits?.[k] !== undefined);
    };
    expect(bounded(at(ms["metrics-server"], "resources")), "metrics-server").toBe(true);
    for (const path of [
      "server.resources",
      "configmapReload.prometheus.resources",
      "kube-state-metrics.resources",
    ]) {
      expect(bounded(at(mon.prometheus, path)), `prometheus.${path}`).toBe(true);
    }
    expect(bounded(at(mon.grafana, "resources")), "grafana.resources").toBe(true);
    for (const off of ["alertmanager", "prometheus-node-exporter", "prometheus-pushgateway"]) {
      expect(at(mon.prometheus, `${off}.enabled`), off).toBe(false);
    }
    // No PVC, so Grafana's root-running init-chown-data container is not rendered either.
    expect(at(mon.grafana, "persistence.enabled")).toBe(false);
    expect(at(mon.grafana, "testFramework.enabled")).toBe(false);
  });

  it("Prometheus' storage and retention are bounded", () => {
    const server = (
      readChartValues(join(MANIFESTS, "monitoring")).prometheus as Record<string, Record<string, unknown>>
    ).server as Record<string, unknown>;
    expect(server.retention).toMatch(/^\d+[hd]$/);
    expect(server.retentionSize).toMatch(/^\d+(MB|GB)$/);
    expect(server.persistentVolume).toEqual({ enabled: false });
    expect(server.emptyDir).toEqual({ sizeLimit: expect.stringMatching(/^\d+Gi$/) });
  });
});
