/**
 * The lab's fixed facts, declared once. kind/cluster.yaml, manifests/ and every command agree
 * with these; test/lab-config.test.ts keeps the YAML honest against them.
 */
import versions from "../../versions.json" with { type: "json" };

/**
 * The kind provider's cluster and the context kind writes for it. Code that acts on "the lab's
 * cluster" asks the provider (src/lab/provider/: contextName, detection) rather than these.
 */
export const CLUSTER_NAME = "sre-lab";

/**
 * The Ollama model `up` pulls and `diagnose` asks unless told otherwise (versions.json pins it).
 * A running lab may use another (`up --model`): src/lab/model.ts reads that back from the cluster.
 */
export const DEFAULT_MODEL: string = versions.models.ollama;
/**
 * The context window the lab's model is loaded with and asked with (Ollama's `options.num_ctx`):
 * Phi-3 mini's 4k. `up` loads the model with it and diagnose sends it, so Ollama never reloads.
 */
export const MODEL_NUM_CTX = 4096;
export const KUBE_CONTEXT = `kind-${CLUSTER_NAME}`;

export const REGISTRY = {
  container: "sre-lab-registry",
  hostPort: 5001,
  /** Port inside the registry container, on the kind network. */
  port: 5000,
} as const;

/**
 * What `sre-lab open` exposes: each host port (bound to 127.0.0.1 only) is mapped by kind's
 * extraPortMappings on the control-plane node to a NodePort service.
 */
export const EXPOSED = {
  app: { host: 8080, nodePort: 30080 },
  grafana: { host: 3000, nodePort: 30300 },
  argocd: { host: 8443, nodePort: 30443 },
  prometheus: { host: 9090, nodePort: 30090 },
} as const;

export const HOST_PORTS = Object.fromEntries(Object.entries(EXPOSED).map(([name, p]) => [name, p.host])) as {
  [K in keyof typeof EXPOSED]: (typeof EXPOSED)[K]["host"];
};

export const NAMESPACES = {
  argocd: "argocd",
  app: "sre-lab-app",
  ollama: "ollama",
  monitoring: "monitoring",
} as const;

/** Node label that tells the AI worker (`ai`) from the apps worker (`apps`). */
export const NODE_ROLE_LABEL = "sre-lab.dev/role";

/** Where the host's model cache is mounted inside the AI worker (Ollama's hostPath model store). */
export const MODEL_CACHE_NODE_PATH = "/var/lib/sre-lab/ollama";

/** Created by `up` with a random password, never stored in Git. */
export const GRAFANA_ADMIN_SECRET = {
  namespace: "monitoring",
  name: "grafana-admin",
  userKey: "admin-user",
  passwordKey: "admin-password",
} as const;

/** The host ports a user can choose (`up --host-port NAME=PORT`): the four UIs and the registry. */
export const LAB_PORT_NAMES = ["app", "grafana", "argocd", "prometheus", "registry"] as const;
export type LabPortName = (typeof LAB_PORT_NAMES)[number];
export type LabPorts = Record<LabPortName, number>;

export const DEFAULT_PORTS: LabPorts = { ...HOST_PORTS, registry: REGISTRY.hostPort };

/**
 * Every node carries the host ports its cluster was made with (`sre-lab.dev/host-port-grafana=3001`),
 * so status, open and sync read them from the cluster instead of a local state file.
 */
export const HOST_PORT_LABEL_PREFIX = "sre-lab.dev/host-port-";

export function isLabPortName(name: string): name is LabPortName {
  return (LAB_PORT_NAMES as readonly string[]).includes(name);
}

export function hostPortLabels(ports: LabPorts): Record<string, string> {
  return Object.fromEntries(
    LAB_PORT_NAMES.map((name) => [`${HOST_PORT_LABEL_PREFIX}${name}`, String(ports[name])]),
  );
}

/** The ports recorded on a node's labels; the defaults for any label that is missing or not a port. */
export function portsFromLabels(labels: Record<string, string> | undefined): LabPorts {
  const ports = { ...DEFAULT_PORTS };
  for (const name of LAB_PORT_NAMES) {
    const value = labels?.[`${HOST_PORT_LABEL_PREFIX}${name}`];
    if (value !== undefined && /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65_535) {
      ports[name] = Number(value);
    }
  }
  return ports;
}

/** The host ports the lab's nodes were made with (`up --host-port`); the defaults on an older lab. */
export function labPortsOf(nodes: readonly { metadata?: { labels?: Record<string, string> } }[]): LabPorts {
  const labelled = nodes.find((n) =>
    Object.keys(n.metadata?.labels ?? {}).some((key) => key.startsWith(HOST_PORT_LABEL_PREFIX)),
  );
  return portsFromLabels(labelled?.metadata?.labels);
}

/** The URL of a lab UI on its host port (bound to 127.0.0.1 only). */
export function hostPortUrl(name: keyof typeof EXPOSED, ports: LabPorts = DEFAULT_PORTS): string {
  return `${name === "argocd" ? "https" : "http"}://127.0.0.1:${ports[name]}`;
}

/** Every host port `up` binds: doctor checks they are free before anything is created. */
export function labHostPorts(ports: LabPorts = DEFAULT_PORTS): { name: string; port: number }[] {
  return [
    { name: "registry", port: ports.registry },
    ...Object.keys(HOST_PORTS).map((name) => ({ name, port: ports[name as LabPortName] })),
  ];
}

const GiB = 1024 ** 3;

/**
 * What the lab needs from Docker (memory) and the host (CPU). Each line is what the pods request in
 * manifests/ (test/manifests/kustomize-and-budget.test.ts keeps these in step) plus kind's own nodes.
 * Below `minimum` the requests cannot all be scheduled next to kind; `recommended` leaves room for the
 * limits (Ollama may use 4 GiB while answering).
 */
export const RESOURCE_BUDGET = {
  memory: {
    items: [
      { what: `Ollama with ${DEFAULT_MODEL} (4k context)`, bytes: 3 * GiB },
      { what: "kind nodes (control plane, 2 workers)", bytes: 1.5 * GiB },
      { what: "Argo CD", bytes: 0.5 * GiB },
      { what: "Prometheus, kube-state-metrics, Grafana", bytes: 0.55 * GiB },
      { what: "target app (2 replicas) and metrics-server", bytes: 0.31 * GiB },
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
