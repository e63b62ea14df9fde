/**
 * versions.json is the one place versions live: every image, chart and release pinned in kind/
 * and manifests/ must equal it, and every entry in it must be used.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STUB_ARGOCD_VERSION } from "./support/argocd-install.js";
import type { ChartValuesFixture } from "./support/chart-values.js";
import {
  MANIFESTS,
  ROOT,
  readChartValues,
  readRootApplication,
  readVersions,
  readYamlObject,
} from "./support/lab.js";
import { renderLab, workloads } from "./support/rendered.js";

const versions = readVersions();
const lab = renderLab();

interface ChartYaml {
  dependencies?: Array<{ name: string; version: string; repository: string }>;
}
const wrapperCharts = ["metrics-server", "monitoring"];
const dependencies = wrapperCharts.flatMap(
  (chart) => readYamlObject<ChartYaml>(join(MANIFESTS, chart, "Chart.yaml")).dependencies ?? [],
);

type Values = Record<string, Record<string, unknown>>;
const get = (values: unknown, path: string): string =>
  String(path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], values));

/** Images the upstream charts run, as our values pin them (repository and tag). */
function chartValueImages(): Record<string, string> {
  const ms = readChartValues(join(MANIFESTS, "metrics-server")) as Values;
  const mon = readChartValues(join(MANIFESTS, "monitoring")) as Values;
  const ref = (values: unknown, base: string, registry = false) =>
    `${registry ? `${get(values, `${base}.registry`)}/` : ""}${get(values, `${base}.repository`)}:${get(values, `${base}.tag`)}`;
  return {
    metricsServer: ref(ms["metrics-server"], "image"),
    prometheus: ref(mon.prometheus, "server.image"),
    prometheusConfigReloader: ref(mon.prometheus, "configmapReload.prometheus.image"),
    kubeStateMetrics: ref(mon.prometheus?.["kube-state-metrics"], "image", true),
    grafana: ref(mon.grafana, "image", true),
  };
}

describe("versions.json", () => {
  it("pins releases by exact version", () => {
    expect(versions.kind.version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(versions.argocd.version).toMatch(/^v\d+\.\d+\.\d+$/);
    for (const chart of Object.values(versions.charts)) expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const image of Object.values(versions.images))
      expect(image).toMatch(/:[\w][\w.-]*(@sha256:[0-9a-f]{64})?$/);
  });

  it("Argo CD's install manifest is the pinned release's, and the patches are checked against it", () => {
    expect(versions.argocd.installManifest).toBe(
      `https://raw.githubusercontent.com/argoproj/argo-cd/${versions.argocd.version}/manifests/install.yaml`,
    );
    // renderLab() renders manifests/argocd with exactly this URL swapped for the stub.
    expect(lab.sources.some((s) => s.name === "argocd-install")).toBe(true);
    expect(STUB_ARGOCD_VERSION).toBe(versions.argocd.version);
  });

  it("every wrapper chart dependency is the chart versions.json pins", () => {
    expect(dependencies.map((d) => d.name).sort()).toEqual(Object.keys(versions.charts).sort());
    for (const dependency of dependencies) {
      expect({ version: dependency.version, repository: dependency.repository }, dependency.name).toEqual(
        versions.charts[dependency.name],
      );
    }
  });

  it("every image in the rendered manifests is one versions.json pins", () => {
    const pinned = new Set(Object.values(versions.images));
    const images = workloads(lab)
      .filter((w) => !w.source.upstream)
      .flatMap((w) => [...(w.pod.initContainers ?? []), ...w.pod.containers].map((c) => c.image ?? ""));
    expect(images.filter((image) => !pinned.has(image))).toEqual([]);
    expect(images).toContain(versions.images.targetApp);
    expect(images).toContain(versions.images.ollama);
  });

  it("every image the upstream charts run is pinned in our values as versions.json says", () => {
    const fromValues = chartValueImages();
    for (const [key, image] of Object.entries(fromValues)) expect(image, key).toBe(versions.images[key]);
  });

  it("every image in versions.json is used (the CLI runs the registry and the diagnose agent's Node image)", () => {
    const used = new Set([
      ...Object.keys(chartValueImages()),
      "targetApp",
      "ollama",
      "registry",
      "agentNode",
    ]);
    expect(Object.keys(versions.images).filter((key) => !used.has(key))).toEqual([]);
  });

  it("the default model is the one versions.json names, everywhere it is set", () => {
    const job = workloads(lab).find((w) => w.object.metadata.name === "ollama-pull-model");
    const model = job?.pod.containers[0]?.env?.find((e) => e.name === "MODEL")?.value;
    expect(model).toBe(versions.models.ollama);
    const bootstrap = readChartValues(join(MANIFESTS, "bootstrap")) as { ollama: { model: string } };
    expect(bootstrap.ollama.model).toBe(versions.models.ollama);
    const root = readRootApplication().spec.source.helm?.valuesObject as { ollama: { model: string } };
    expect(root.ollama.model).toBe(versions.models.ollama);
  });

  it("each chart's known-values fixture matches the pinned chart version", () => {
    const dir = join(ROOT, "test/manifests/fixtures/charts");
    const fixtures = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => readYamlObject<ChartValuesFixture>(join(dir, f)));
    expect(fixtures.map((f) => [f.chart, f.version]).sort()).toEqual(
      Object.entries(versions.charts)
        .map(([name, chart]) => [name, chart.version])
        .sort(),
    );
  });
});
