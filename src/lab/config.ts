/**
 * The lab's fixed facts, declared once. kind/cluster.yaml, manifests/ and every command agree
 * with these; test/lab-config.test.ts keeps the YAML honest against them.
 */

export const CLUSTER_NAME = "sre-lab";
export const KUBE_CONTEXT = `kind-${CLUSTER_NAME}`;

export const REGISTRY = {
  container: "sre-lab-registry",
  hostPort: 5001,
  /** Port inside the registry container, on the kind network. */
  port: 5000,
} as const;

/** Host ports (bound to 127.0.0.1 only) that kind maps to NodePort services for `sre-lab open`. */
export const HOST_PORTS = {
  app: 8080,
  grafana: 3000,
  argocd: 8443,
  prometheus: 9090,
} as const;

/** Every host port `up` binds: doctor checks they are free before anything is created. */
export function labHostPorts(): { name: string; port: number }[] {
  return [
    { name: "registry", port: REGISTRY.hostPort },
    ...Object.entries(HOST_PORTS).map(([name, port]) => ({ name, port })),
  ];
}

const GiB = 1024 ** 3;

/**
 * What the lab needs from Docker (memory) and the host (CPU). The line items are the pods' memory
 * limits plus kind's node overhead, rounded up; Phi-3 mini (Q4, ~2.3 GB on disk) with a 4k context
 * dominates. Below `minimum` the model cannot load next to the rest; below `recommended` expect
 * evictions under load.
 */
export const RESOURCE_BUDGET = {
  memory: {
    items: [
      { what: "Ollama + phi3:mini (4k context)", bytes: 3.5 * GiB },
      { what: "kind nodes (control plane, 2 workers)", bytes: 1.5 * GiB },
      { what: "Argo CD", bytes: 0.75 * GiB },
      { what: "Prometheus, Grafana, kube-state-metrics", bytes: 1 * GiB },
      { what: "target app (2 × 256Mi) and metrics-server", bytes: 0.6 * GiB },
    ],
    minimumBytes: 6 * GiB,
    recommendedBytes: 8 * GiB,
  },
  cpus: { minimum: 2, recommended: 4 },
} as const;

/** Linux inotify limits the lab needs (Prometheus, Argo CD and kubelets watch many files). */
export const INOTIFY_LIMITS = {
  "fs.inotify.max_user_watches": 524288,
  "fs.inotify.max_user_instances": 512,
} as const;

export function formatGiB(bytes: number): string {
  return `${(bytes / GiB).toFixed(1)} GiB`;
}
