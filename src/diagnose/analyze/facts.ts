/**
 * PodFacts: a typed, defensive view of a bundle, built once and shared by every analyzer. This is
 * where untrusted JSON becomes types; analyzers never touch the raw objects.
 */
import type { EvidenceBundle } from "../types.js";
import { type PodEvent, podEvents } from "./events.js";
import { bool, type JsonRecord, num, record, records, stringMap, strings, text, timeOf } from "./fields.js";

export type ContainerKind = "init" | "sidecar" | "main";

export interface TerminatedState {
  exitCode?: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: TerminatedState;
}

export interface ContainerStatus {
  ready?: boolean;
  started?: boolean;
  restartCount: number;
  state: ContainerState;
  lastState: ContainerState;
}

export type ProbeKind = "liveness" | "readiness" | "startup";

export interface Probe {
  handler: "httpGet" | "tcpSocket" | "exec" | "grpc" | "unknown";
  path?: string;
  /** Port as written in the spec (a number or a port name). */
  port?: string;
  /** The numeric port, with named ports resolved against the container's ports. */
  portNumber?: number;
  command?: string[];
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
}

export interface EnvReference {
  /** The env var name, or undefined for envFrom. */
  env?: string;
  kind: "Secret" | "ConfigMap";
  name: string;
  key?: string;
  optional: boolean;
}

/** The securityContext fields a permission or read-only failure depends on. */
export interface SecurityFacts {
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
}

export interface VolumeMountFacts {
  name: string;
  mountPath?: string;
  subPath?: string;
  readOnly: boolean;
}

/**
 * Who owns the workload's manifest, which decides how a fix is applied: Argo CD (its tracking
 * annotation or label; self-heal reverts a `kubectl set/edit`), a Helm release (its values), or
 * nobody (kubectl).
 */
export type Management =
  | { tool: "argocd"; app: string; evidence: string }
  | { tool: "helm"; release: string; releaseNamespace: string; chart?: string; evidence: string }
  | { tool: "kubectl" };

/** An object from the bundle's `related` list, with its events folded like the pod's. */
export interface RelatedFacts {
  kind: string;
  name: string;
  namespace?: string;
  object: JsonRecord;
  events: PodEvent[];
}

export interface ContainerFacts {
  name: string;
  kind: ContainerKind;
  /** Index within spec.containers / spec.initContainers (for JSON patch paths). */
  specIndex: number;
  image?: string;
  command: string[];
  args: string[];
  limits: Record<string, string>;
  requests: Record<string, string>;
  ports: { name?: string; containerPort: number }[];
  /** Plain env values by name (for hints such as PORT); secret-looking ones are never used. */
  env: Record<string, string>;
  /** Every env entry's name in spec order (value, valueFrom or none), for JSON patch paths. */
  envNames: string[];
  references: EnvReference[];
  volumeMounts: VolumeMountFacts[];
  securityContext: SecurityFacts;
  probes: Partial<Record<ProbeKind, Probe>>;
  status?: ContainerStatus;
  /** Events whose fieldPath names this container. */
  events: PodEvent[];
  logs: { current?: string; previous?: string };
}

export interface NodeFacts {
  name?: string;
  /** status of the Ready condition: "True", "False", "Unknown", or undefined when absent. */
  ready?: string;
  readyReason?: string;
  readyMessage?: string;
  readySince?: string;
  /** Pressure conditions that are True (MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable). */
  pressures: { type: string; reason?: string; message?: string }[];
  taints: { key: string; value?: string; effect?: string }[];
  unschedulable: boolean;
  labels: Record<string, string>;
  /** spec.providerID, e.g. kind://docker/sre-lab/sre-lab-worker3 or aws:///eu-central-1a/i-… */
  providerID?: string;
}

export interface Workload {
  kind: string;
  name: string;
}

export interface PodFacts {
  name: string;
  namespace: string;
  uid?: string;
  phase?: string;
  reason?: string;
  message?: string;
  nodeName?: string;
  deleting: boolean;
  restartPolicy: string;
  conditions: { type: string; status?: string; reason?: string; message?: string }[];
  /** Init containers first (in spec order), then main containers. */
  containers: ContainerFacts[];
  /** All events about the pod: Warnings first, newest first, duplicates folded. */
  events: PodEvent[];
  node?: NodeFacts;
  /** The controller a fix should be applied to (Deployment, StatefulSet, …), else the Pod itself. */
  workload: Workload;
  nodeSelector: Record<string, string>;
  volumes: JsonRecord[];
  /** The pod-level securityContext. */
  securityContext: SecurityFacts;
  hostNetwork: boolean;
  /** Who owns the workload's manifest (Argo CD, Helm, or kubectl). */
  management: Management;
  /** metadata.cluster of the bundle (the kube context), when known. */
  cluster?: string;
  /** The bundle's `related` objects (PVCs, StorageClasses, Services, EndpointSlices, Jobs). */
  related: RelatedFacts[];
  /** Milliseconds since the epoch when the evidence was collected, when known. */
  collectedAt?: number;
}

export function podFacts(bundle: EvidenceBundle): PodFacts {
  const pod = bundle.pod;
  const name = text(pod, "metadata", "name") ?? "<unnamed pod>";
  const namespace = text(pod, "metadata", "namespace") ?? "default";
  const uid = text(pod, "metadata", "uid");
  const events = podEvents(bundle.events, { uid, name: text(pod, "metadata", "name"), namespace });
  const logs = logsByContainer(bundle);

  const containers: ContainerFacts[] = [];
  const statuses = new Map<string, JsonRecord>();
  for (const status of [
    ...records(pod, "status", "initContainerStatuses"),
    ...records(pod, "status", "containerStatuses"),
  ]) {
    const statusName = text(status, "name");
    if (statusName !== undefined) statuses.set(statusName, status);
  }
  records(pod, "spec", "initContainers").forEach((spec, index) => {
    const kind: ContainerKind = text(spec, "restartPolicy") === "Always" ? "sidecar" : "init";
    containers.push(containerFacts(spec, index, kind, statuses, events, logs));
  });
  records(pod, "spec", "containers").forEach((spec, index) => {
    containers.push(containerFacts(spec, index, "main", statuses, events, logs));
  });
  // Statuses without a spec (a trimmed bundle) still count.
  for (const [statusName, status] of statuses) {
    if (containers.some((c) => c.name === statusName)) continue;
    const isInit = records(pod, "status", "initContainerStatuses").includes(status);
    containers.push(
      containerFacts({ name: statusName }, -1, isInit ? "init" : "main", statuses, events, logs),
    );
  }

  const facts: PodFacts = {
    name,
    namespace,
    deleting: text(pod, "metadata", "deletionTimestamp") !== undefined,
    restartPolicy: text(pod, "spec", "restartPolicy") ?? "Always",
    conditions: records(pod, "status", "conditions").map((c) => ({
      type: text(c, "type") ?? "",
      ...defined("status", text(c, "status")),
      ...defined("reason", text(c, "reason")),
      ...defined("message", text(c, "message")),
    })),
    containers,
    events,
    workload: workloadOf(bundle, name),
    nodeSelector: stringMap(pod, "spec", "nodeSelector"),
    volumes: records(pod, "spec", "volumes"),
    securityContext: securityFacts(record(pod, "spec", "securityContext")),
    hostNetwork: bool(pod, "spec", "hostNetwork") === true,
    management: { tool: "kubectl" },
    related: (bundle.related ?? []).map((r) => relatedFacts(r.object, r.events)),
  };
  facts.management = managementOf(bundle, facts.workload);
  assign(facts, "cluster", bundle.metadata.cluster);
  assign(facts, "uid", uid);
  assign(facts, "phase", text(pod, "status", "phase"));
  assign(facts, "reason", text(pod, "status", "reason"));
  assign(facts, "message", text(pod, "status", "message")?.trim());
  assign(facts, "nodeName", text(pod, "spec", "nodeName"));
  assign(facts, "collectedAt", timeOf(bundle.metadata.collectedAt));
  if (bundle.node) facts.node = nodeFacts(bundle.node);
  return facts;
}

function containerFacts(
  spec: JsonRecord,
  specIndex: number,
  kind: ContainerKind,
  statuses: Map<string, JsonRecord>,
  events: PodEvent[],
  logs: Map<string, { current?: string; previous?: string }>,
): ContainerFacts {
  const name = text(spec, "name") ?? `<container ${specIndex}>`;
  const ports: { name?: string; containerPort: number }[] = [];
  for (const port of records(spec, "ports")) {
    const containerPort = num(port, "containerPort");
    if (containerPort === undefined) continue;
    const portName = text(port, "name");
    ports.push(portName === undefined ? { containerPort } : { name: portName, containerPort });
  }
  const env: Record<string, string> = {};
  const envNames: string[] = [];
  const references: EnvReference[] = [];
  for (const entry of records(spec, "env")) {
    const envName = text(entry, "name");
    envNames.push(envName ?? "");
    const value = text(entry, "value");
    if (envName !== undefined && value !== undefined) env[envName] = value;
    for (const [field, refKind] of [
      ["secretKeyRef", "Secret"],
      ["configMapKeyRef", "ConfigMap"],
    ] as const) {
      const ref = record(entry, "valueFrom", field);
      const refName = text(ref, "name");
      if (!ref || refName === undefined) continue;
      references.push({
        ...defined("env", envName),
        kind: refKind,
        name: refName,
        ...defined("key", text(ref, "key")),
        optional: bool(ref, "optional") === true,
      });
    }
  }
  for (const entry of records(spec, "envFrom")) {
    for (const [field, refKind] of [
      ["secretRef", "Secret"],
      ["configMapRef", "ConfigMap"],
    ] as const) {
      const refName = text(entry, field, "name");
      if (refName === undefined) continue;
      references.push({ kind: refKind, name: refName, optional: bool(entry, field, "optional") === true });
    }
  }
  const probes: Partial<Record<ProbeKind, Probe>> = {};
  for (const [field, probeKind] of [
    ["livenessProbe", "liveness"],
    ["readinessProbe", "readiness"],
    ["startupProbe", "startup"],
  ] as const) {
    const probe = record(spec, field);
    if (probe) probes[probeKind] = probeFacts(probe, ports);
  }

  const facts: ContainerFacts = {
    name,
    kind,
    specIndex,
    command: strings(spec, "command"),
    args: strings(spec, "args"),
    limits: stringMap(spec, "resources", "limits"),
    requests: stringMap(spec, "resources", "requests"),
    ports,
    env,
    envNames,
    references,
    volumeMounts: records(spec, "volumeMounts").flatMap((m) => {
      const mountName = text(m, "name");
      if (mountName === undefined) return [];
      return [
        {
          name: mountName,
          ...defined("mountPath", text(m, "mountPath")),
          ...defined("subPath", text(m, "subPath")),
          readOnly: bool(m, "readOnly") === true,
        },
      ];
    }),
    securityContext: securityFacts(record(spec, "securityContext")),
    probes,
    events: events.filter((e) => e.container === name),
    logs: logs.get(name) ?? {},
  };
  assign(facts, "image", text(spec, "image"));
  const status = statuses.get(name);
  if (status) {
    facts.status = {
      ...defined("ready", bool(status, "ready")),
      ...defined("started", bool(status, "started")),
      restartCount: num(status, "restartCount") ?? 0,
      state: stateFacts(record(status, "state")),
      lastState: stateFacts(record(status, "lastState")),
    };
    if (facts.image === undefined) assign(facts, "image", text(status, "image"));
  }
  return facts;
}

function securityFacts(context: JsonRecord | undefined): SecurityFacts {
  const out: SecurityFacts = {};
  assign(out, "runAsUser", num(context, "runAsUser"));
  assign(out, "runAsGroup", num(context, "runAsGroup"));
  assign(out, "fsGroup", num(context, "fsGroup"));
  assign(out, "runAsNonRoot", bool(context, "runAsNonRoot"));
  assign(out, "readOnlyRootFilesystem", bool(context, "readOnlyRootFilesystem"));
  return out;
}

function relatedFacts(object: JsonRecord, events: unknown[]): RelatedFacts {
  const name = text(object, "metadata", "name") ?? "";
  const namespace = text(object, "metadata", "namespace");
  const facts: RelatedFacts = {
    kind: text(object, "kind") ?? "",
    name,
    object,
    events: podEvents(events, { uid: text(object, "metadata", "uid"), name, namespace }, true),
  };
  assign(facts, "namespace", namespace);
  return facts;
}

/**
 * Argo CD marks what it deploys with `argocd.argoproj.io/tracking-id` (annotation tracking,
 * `<app>:<group>/<kind>:<namespace>/<name>`) or an instance label (`argocd.argoproj.io/instance`);
 * `helm install/upgrade` annotates with `meta.helm.sh/release-name` and `-namespace`. The
 * workload's own object is asked first, then the pod.
 */
function managementOf(bundle: EvidenceBundle, workload: Workload): Management {
  const owner = (bundle.owners ?? []).find(
    (o) => text(o, "kind") === workload.kind && text(o, "metadata", "name") === workload.name,
  );
  for (const object of [owner, bundle.pod]) {
    if (!object) continue;
    const annotations = stringMap(object, "metadata", "annotations");
    const labels = stringMap(object, "metadata", "labels");
    const tracking = annotations["argocd.argoproj.io/tracking-id"];
    const app = tracking?.split(":")[0];
    if (tracking !== undefined && app !== undefined && app !== "") {
      return {
        tool: "argocd",
        app: app.includes("_") ? app.slice(app.indexOf("_") + 1) : app,
        evidence: `${text(object, "kind") ?? "object"} ${text(object, "metadata", "name") ?? ""} annotation argocd.argoproj.io/tracking-id: ${tracking}`,
      };
    }
    const instance = labels["argocd.argoproj.io/instance"];
    if (instance !== undefined && instance !== "") {
      return {
        tool: "argocd",
        app: instance,
        evidence: `${text(object, "kind") ?? "object"} ${text(object, "metadata", "name") ?? ""} label argocd.argoproj.io/instance: ${instance}`,
      };
    }
    const release = annotations["meta.helm.sh/release-name"];
    if (release !== undefined && release !== "") {
      const management: Management = {
        tool: "helm",
        release,
        releaseNamespace:
          annotations["meta.helm.sh/release-namespace"] ??
          text(bundle.pod, "metadata", "namespace") ??
          "default",
        evidence: `${text(object, "kind") ?? "object"} ${text(object, "metadata", "name") ?? ""} annotation meta.helm.sh/release-name: ${release}`,
      };
      const chart = labels["helm.sh/chart"];
      if (chart !== undefined) management.chart = chart;
      return management;
    }
  }
  return { tool: "kubectl" };
}

function stateFacts(state: JsonRecord | undefined): ContainerState {
  const out: ContainerState = {};
  const waiting = record(state, "waiting");
  if (waiting)
    out.waiting = {
      ...defined("reason", text(waiting, "reason")),
      ...defined("message", text(waiting, "message")),
    };
  const running = record(state, "running");
  if (running) out.running = { ...defined("startedAt", text(running, "startedAt")) };
  const terminated = record(state, "terminated");
  if (terminated) {
    out.terminated = {
      ...defined("exitCode", num(terminated, "exitCode")),
      ...defined("signal", num(terminated, "signal")),
      ...defined("reason", text(terminated, "reason")),
      ...defined("message", text(terminated, "message")?.trim() || undefined),
      ...defined("startedAt", text(terminated, "startedAt")),
      ...defined("finishedAt", text(terminated, "finishedAt")),
    };
  }
  return out;
}

function probeFacts(probe: JsonRecord, ports: { name?: string; containerPort: number }[]): Probe {
  const http = record(probe, "httpGet");
  const tcp = record(probe, "tcpSocket");
  const grpc = record(probe, "grpc");
  const exec = record(probe, "exec");
  const handler = http ? "httpGet" : tcp ? "tcpSocket" : exec ? "exec" : grpc ? "grpc" : "unknown";
  const port = text(http ?? tcp ?? grpc, "port");
  const facts: Probe = {
    handler,
    // Kubernetes defaults (core/v1 Probe).
    initialDelaySeconds: num(probe, "initialDelaySeconds") ?? 0,
    timeoutSeconds: num(probe, "timeoutSeconds") ?? 1,
    periodSeconds: num(probe, "periodSeconds") ?? 10,
    failureThreshold: num(probe, "failureThreshold") ?? 3,
  };
  assign(facts, "path", text(http, "path"));
  if (port !== undefined) {
    facts.port = port;
    const numeric = Number(port);
    const resolved = Number.isInteger(numeric) ? numeric : ports.find((p) => p.name === port)?.containerPort;
    if (resolved !== undefined) facts.portNumber = resolved;
  }
  if (exec) facts.command = strings(exec, "command");
  return facts;
}

function nodeFacts(node: JsonRecord): NodeFacts {
  const conditions = records(node, "status", "conditions");
  const ready = conditions.find((c) => text(c, "type") === "Ready");
  const facts: NodeFacts = {
    pressures: conditions
      .filter((c) => text(c, "type") !== "Ready" && text(c, "status") === "True")
      .map((c) => ({
        type: text(c, "type") ?? "",
        ...defined("reason", text(c, "reason")),
        ...defined("message", text(c, "message")),
      })),
    taints: records(node, "spec", "taints").flatMap((t) => {
      const key = text(t, "key");
      return key === undefined
        ? []
        : [{ key, ...defined("value", text(t, "value")), ...defined("effect", text(t, "effect")) }];
    }),
    unschedulable: bool(node, "spec", "unschedulable") === true,
    labels: stringMap(node, "metadata", "labels"),
  };
  assign(facts, "name", text(node, "metadata", "name"));
  assign(facts, "ready", text(ready, "status"));
  assign(facts, "readyReason", text(ready, "reason"));
  assign(facts, "readyMessage", text(ready, "message"));
  assign(facts, "readySince", text(ready, "lastTransitionTime"));
  assign(facts, "providerID", text(node, "spec", "providerID"));
  return facts;
}

function logsByContainer(bundle: EvidenceBundle): Map<string, { current?: string; previous?: string }> {
  const out = new Map<string, { current?: string; previous?: string }>();
  const containerNames = [
    ...records(bundle.pod, "spec", "initContainers"),
    ...records(bundle.pod, "spec", "containers"),
  ].flatMap((c) => text(c, "name") ?? []);
  for (const log of bundle.logs) {
    // A log without a container name belongs to the only container, if there is just one.
    const container =
      log.container !== "" ? log.container : containerNames.length === 1 ? containerNames[0] : "";
    if (container === undefined || container === "") continue;
    const entry = out.get(container) ?? {};
    const field = log.previous ? "previous" : "current";
    entry[field] = entry[field] === undefined ? log.text : `${entry[field]}\n${log.text}`;
    out.set(container, entry);
  }
  return out;
}

/**
 * The object to change for a fix: the Deployment behind a ReplicaSet (from `owners`, else by
 * stripping the pod-template-hash), the CronJob behind a Job, a StatefulSet/DaemonSet directly.
 */
function workloadOf(bundle: EvidenceBundle, podName: string): Workload {
  const owners = bundle.owners ?? [];
  const controllerOf = (object: unknown): { kind: string; name: string } | undefined => {
    const refs = records(object, "metadata", "ownerReferences");
    const ref = refs.find((r) => bool(r, "controller") === true) ?? refs[0];
    const kind = text(ref, "kind");
    const name = text(ref, "name");
    return kind !== undefined && name !== undefined ? { kind, name } : undefined;
  };
  const findOwner = (kind: string, name: string) =>
    owners.find((o) => text(o, "kind") === kind && text(o, "metadata", "name") === name);

  const direct = controllerOf(bundle.pod);
  if (!direct) return { kind: "Pod", name: podName };
  if (direct.kind === "ReplicaSet") {
    const parent = controllerOf(findOwner("ReplicaSet", direct.name));
    if (parent) return parent;
    const hash = text(bundle.pod, "metadata", "labels", "pod-template-hash");
    if (hash !== undefined && direct.name.endsWith(`-${hash}`)) {
      return { kind: "Deployment", name: direct.name.slice(0, -hash.length - 1) };
    }
    return direct;
  }
  if (direct.kind === "Job") {
    const parent = controllerOf(findOwner("Job", direct.name));
    if (parent?.kind === "CronJob") return parent;
  }
  return direct;
}

export function containerPath(container: ContainerFacts): string {
  const list = container.kind === "main" ? "containers" : "initContainers";
  return `spec.${list}[${container.name}]`;
}

export function statusPath(container: ContainerFacts): string {
  const list = container.kind === "main" ? "containerStatuses" : "initContainerStatuses";
  return `status.${list}[${container.name}]`;
}

/** The most recent termination: the current state if terminated, else the last state. */
export function lastTermination(
  container: ContainerFacts,
): { state: "state" | "lastState"; terminated: TerminatedState } | undefined {
  const status = container.status;
  if (!status) return undefined;
  if (status.state.terminated) return { state: "state", terminated: status.state.terminated };
  if (status.lastState.terminated) return { state: "lastState", terminated: status.lastState.terminated };
  return undefined;
}

/** The log of the instance that ended with `lastTermination`, falling back to whatever exists. */
export function logOfTermination(container: ContainerFacts): { text: string; previous: boolean } | undefined {
  const { current, previous } = container.logs;
  const terminatedNow = container.status?.state.terminated !== undefined;
  if (terminatedNow && current !== undefined && current.trim() !== "")
    return { text: current, previous: false };
  if (previous !== undefined && previous.trim() !== "") return { text: previous, previous: true };
  if (current !== undefined && current.trim() !== "") return { text: current, previous: false };
  return undefined;
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
