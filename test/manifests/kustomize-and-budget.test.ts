/**
 * Every kustomization renders with `kubectl kustomize`, and the lab's steady-state memory fits the
 * laptop budget (docs/architecture.md, "Resource budget").
 */

import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { RESOURCE_BUDGET } from "../../src/lab/config.js";
import { renderArgoCdInstall } from "./support/argocd-install.js";
import { kustomize, listFiles, MANIFESTS, readChartValues, readVersions } from "./support/lab.js";
import { type PodSpec, renderLab, workloads } from "./support/rendered.js";

const kustomizations = listFiles(MANIFESTS)
  .filter((p) => p.endsWith("/kustomization.yaml"))
  .map((p) => relative(MANIFESTS, dirname(p)));

describe("kubectl kustomize", () => {
  it("finds the lab's kustomizations", () => {
    expect(kustomizations.sort()).toEqual(["argocd", "ollama", "target-app"]);
  });

  it.each(kustomizations)("renders manifests/%s", (dir) => {
    // manifests/argocd pulls Argo CD's release manifest over the network; offline it is stubbed.
    const objects =
      dir === "argocd"
        ? renderArgoCdInstall(readVersions().argocd.installManifest)
        : kustomize(join(MANIFESTS, dir));
    expect(objects.length).toBeGreaterThan(0);
  });
});

const GiB = 1024 ** 3;
const UNITS: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: GiB, "": 1 };

function bytes(quantity: string | number | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(String(quantity ?? "0"));
  if (match === null) throw new Error(`unsupported memory quantity ${quantity}`);
  return Number(match[1]) * (UNITS[match[2] ?? ""] ?? 1);
}

interface Resources {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

/** A pod's effective memory: its containers together, or its largest init container if larger. */
function podMemory(pod: {
  containers: Array<{ resources?: Resources }>;
  initContainers?: Array<{ resources?: Resources }>;
}) {
  const of = (kind: "requests" | "limits") => {
    const main = pod.containers.reduce((sum, c) => sum + bytes(c.resources?.[kind]?.memory), 0);
    const init = Math.max(0, ...(pod.initContainers ?? []).map((c) => bytes(c.resources?.[kind]?.memory)));
    return Math.max(main, init);
  };
  return { requests: of("requests"), limits: of("limits") };
}

describe("memory budget (8 GiB for Docker)", () => {
  const lab = renderLab();
  const hpaMin = 2; // target-app runs at least HorizontalPodAutoscaler.minReplicas

  const rows: Array<{ what: string; replicas: number; requests: number; limits: number }> = [];
  for (const w of workloads(lab).filter((w) => w.longRunning)) {
    const spec = w.object.spec as { replicas?: number };
    const replicas = w.object.metadata.name === "target-app" ? hpaMin : (spec.replicas ?? 1);
    rows.push({ what: w.object.metadata.name, replicas, ...podMemory(w.pod as PodSpec) });
  }
  const ms = readChartValues(join(MANIFESTS, "metrics-server")) as Record<string, { resources: Resources }>;
  const mon = readChartValues(join(MANIFESTS, "monitoring")) as {
    prometheus: {
      server: { resources: Resources };
      configmapReload: { prometheus: { resources: Resources } };
      "kube-state-metrics": { resources: Resources };
    };
    grafana: { resources: Resources };
  };
  const chartPods: Array<[string, Resources[]]> = [
    ["metrics-server", [ms["metrics-server"]?.resources ?? {}]],
    [
      "prometheus-server",
      [mon.prometheus.server.resources, mon.prometheus.configmapReload.prometheus.resources],
    ],
    ["kube-state-metrics", [mon.prometheus["kube-state-metrics"].resources]],
    ["grafana", [mon.grafana.resources]],
  ];
  for (const [what, containers] of chartPods) {
    rows.push({
      what,
      replicas: 1,
      ...podMemory({ containers: containers.map((resources) => ({ resources })) }),
    });
  }
  const total = (kind: "requests" | "limits") => rows.reduce((sum, r) => sum + r.replicas * r[kind], 0);

  it("accounts for every long-running pod", () => {
    expect(rows.map((r) => r.what).sort()).toEqual([
      "argocd-application-controller",
      "argocd-applicationset-controller",
      "argocd-dex-server",
      "argocd-notifications-controller",
      "argocd-redis",
      "argocd-repo-server",
      "argocd-server",
      "grafana",
      "kube-state-metrics",
      "metrics-server",
      "ollama",
      "prometheus-server",
      "target-app",
    ]);
  });

  it("requests fit beside kind's own ~1.5 GiB (control plane, kubelets, CoreDNS)", () => {
    expect(total("requests") / GiB).toBeLessThanOrEqual(6.5);
  });

  it("limits, all reached at once, stay within the Docker VM", () => {
    expect(total("limits") / GiB).toBeLessThanOrEqual(8);
  });

  it("the documented totals are the real ones", () => {
    // docs/architecture.md quotes these numbers; update both together.
    expect((total("requests") / GiB).toFixed(2)).toBe("4.36");
    // doctor's figures (src/lab/config.ts) are the same requests, plus kind's nodes.
    const budgeted = RESOURCE_BUDGET.memory.items.reduce((sum, item) => sum + item.bytes, 0);
    expect(Math.abs(budgeted - 1.5 * GiB - total("requests")) / GiB).toBeLessThan(0.05);
    expect(RESOURCE_BUDGET.memory.minimumBytes).toBeGreaterThanOrEqual(budgeted);
    expect((total("limits") / GiB).toFixed(2)).toBe("7.42");
  });
});
