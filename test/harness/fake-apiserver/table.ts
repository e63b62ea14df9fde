/**
 * Server-side printing: `meta.k8s.io/v1` Table responses for clients that ask for
 * `application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl's default `get` output). Rows carry
 * PartialObjectMetadata, the full object, or nothing per `includeObject`; in a watch only the first
 * event carries column definitions, as in the apiserver's watch encoder.
 *
 * Columns follow the real printers for pods, events, nodes, services, configmaps, secrets, jobs,
 * deployments and namespaces (wide-only columns at priority 1, service EXTERNAL-IP always <none>); every
 * other kind gets the default NAME/AGE table. Ages use duration.HumanDuration.
 */
import type { JsonObject, KubeObject } from "./objects.js";
import { isObject, pathValue } from "./objects.js";
import type { ResourceDef } from "./resources.js";

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number;

const column = (name: string, type: string, description: string, priority = 0, format = ""): Column => ({
  name,
  type,
  format,
  description,
  priority,
});

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

function age(obj: KubeObject): string {
  const created = obj.metadata?.creationTimestamp;
  return created === undefined ? "<unknown>" : humanDuration(Date.now() - Date.parse(created));
}

function list(obj: unknown, path: string[]): JsonObject[] {
  const value = pathValue(obj, path);
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function podRow(pod: KubeObject): Cell[] {
  const containers = list(pod, ["spec", "containers"]);
  const statuses = list(pod, ["status", "containerStatuses"]);
  let reason = String(pathValue(pod, ["status", "reason"]) ?? pathValue(pod, ["status", "phase"]) ?? "");
  let restarts = 0;
  let ready = 0;
  let lastRestart: number | undefined;
  for (const status of statuses) {
    restarts += typeof status.restartCount === "number" ? status.restartCount : 0;
    const finished = pathValue(status, ["lastState", "terminated", "finishedAt"]);
    if (typeof finished === "string") lastRestart = Math.max(lastRestart ?? 0, Date.parse(finished));
    const waiting = pathValue(status, ["state", "waiting", "reason"]);
    const terminated = pathValue(status, ["state", "terminated"]);
    if (typeof waiting === "string" && waiting !== "") reason = waiting;
    else if (isObject(terminated)) {
      if (typeof terminated.reason === "string" && terminated.reason !== "") reason = terminated.reason;
      else if (typeof terminated.signal === "number" && terminated.signal !== 0)
        reason = `Signal:${terminated.signal}`;
      else reason = `ExitCode:${String(terminated.exitCode ?? 0)}`;
    } else if (status.ready === true && isObject(pathValue(status, ["state", "running"]))) ready++;
  }
  if (pod.metadata?.deletionTimestamp !== undefined) reason = "Terminating";
  const restartCell =
    lastRestart === undefined ? restarts : `${restarts} (${humanDuration(Date.now() - lastRestart)} ago)`;
  return [
    pod.metadata?.name ?? "",
    `${ready}/${containers.length}`,
    reason,
    restartCell,
    age(pod),
    String(pathValue(pod, ["status", "podIP"]) ?? "<none>"),
    String(pathValue(pod, ["spec", "nodeName"]) ?? "<none>"),
    String(pathValue(pod, ["status", "nominatedNodeName"]) ?? "<none>"),
    "<none>",
  ];
}

function jobRow(job: KubeObject): Cell[] {
  const conditions = list(job, ["status", "conditions"]);
  const has = (type: string) => conditions.some((c) => c.type === type && c.status === "True");
  const status = has("Complete")
    ? "Complete"
    : has("Failed")
      ? "Failed"
      : has("Suspended")
        ? "Suspended"
        : "Running";
  const completions = pathValue(job, ["spec", "completions"]);
  const succeeded = pathValue(job, ["status", "succeeded"]) ?? 0;
  const start = pathValue(job, ["status", "startTime"]);
  const end = pathValue(job, ["status", "completionTime"]);
  const duration =
    typeof start === "string"
      ? humanDuration((typeof end === "string" ? Date.parse(end) : Date.now()) - Date.parse(start))
      : "";
  const containers = list(job, ["spec", "template", "spec", "containers"]);
  return [
    job.metadata?.name ?? "",
    status,
    `${String(succeeded)}/${String(completions ?? 1)}`,
    duration,
    age(job),
    containers.map((c) => String(c.name ?? "")).join(","),
    containers.map((c) => String(c.image ?? "")).join(","),
    Object.entries((pathValue(job, ["spec", "selector", "matchLabels"]) ?? {}) as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  ];
}

function deploymentRow(d: KubeObject): Cell[] {
  const n = (path: string[]) => Number(pathValue(d, path) ?? 0);
  return [
    d.metadata?.name ?? "",
    `${n(["status", "readyReplicas"])}/${n(["spec", "replicas"])}`,
    n(["status", "updatedReplicas"]),
    n(["status", "availableReplicas"]),
    age(d),
  ];
}

function since(value: unknown): string {
  return typeof value === "string" && value !== ""
    ? humanDuration(Date.now() - Date.parse(value))
    : "<unknown>";
}

function eventRow(event: KubeObject): Cell[] {
  const first = since(event.firstTimestamp ?? event.eventTime);
  const last = typeof event.lastTimestamp === "string" ? since(event.lastTimestamp) : first;
  const involved = isObject(event.involvedObject) ? event.involvedObject : {};
  const kind = String(involved.kind ?? "").toLowerCase();
  const target =
    typeof involved.name === "string" && involved.name !== "" ? `${kind}/${involved.name}` : kind;
  const source = isObject(event.source)
    ? [event.source.component, event.source.host].filter((v) => typeof v === "string" && v !== "").join(", ")
    : "";
  const count = typeof event.count === "number" && event.count > 0 ? event.count : 1;
  return [
    last,
    String(event.type ?? ""),
    String(event.reason ?? ""),
    target,
    String(involved.fieldPath ?? ""),
    source,
    String(event.message ?? "").trim(),
    first,
    count,
    event.metadata?.name ?? "",
  ];
}

function nodeRow(node: KubeObject): Cell[] {
  const ready = list(node, ["status", "conditions"]).find((c) => c.type === "Ready");
  let status = ready === undefined ? "Unknown" : ready.status === "True" ? "Ready" : "NotReady";
  if (pathValue(node, ["spec", "unschedulable"]) === true) status += ",SchedulingDisabled";
  const roles = Object.keys(node.metadata?.labels ?? {})
    .filter((l) => l.startsWith("node-role.kubernetes.io/"))
    .map((l) => l.slice("node-role.kubernetes.io/".length))
    .sort();
  const address = (type: string) =>
    String(list(node, ["status", "addresses"]).find((a) => a.type === type)?.address ?? "<none>");
  return [
    node.metadata?.name ?? "",
    status,
    roles.length > 0 ? roles.join(",") : "<none>",
    age(node),
    String(pathValue(node, ["status", "nodeInfo", "kubeletVersion"]) ?? ""),
    address("InternalIP"),
    address("ExternalIP"),
  ];
}

function serviceRow(svc: KubeObject): Cell[] {
  const ports = list(svc, ["spec", "ports"])
    .map(
      (p) =>
        `${String(p.port)}${p.nodePort === undefined ? "" : `:${String(p.nodePort)}`}/${String(p.protocol ?? "TCP")}`,
    )
    .join(",");
  return [
    svc.metadata?.name ?? "",
    String(pathValue(svc, ["spec", "type"]) ?? "ClusterIP"),
    String(pathValue(svc, ["spec", "clusterIP"]) ?? "<none>"),
    "<none>",
    ports === "" ? "<none>" : ports,
    age(svc),
  ];
}

const dataCount = (obj: KubeObject): number =>
  Object.keys(isObject(obj.data) ? obj.data : {}).length +
  Object.keys(isObject(obj.binaryData) ? obj.binaryData : {}).length;

const ageDescription =
  "CreationTimestamp is a timestamp representing the server time when this object was created.";
const nameColumn = column("Name", "string", "Name must be unique within a namespace.", 0, "name");

const printers: Record<string, { columns: Column[]; row: (obj: KubeObject) => Cell[] }> = {
  "/events": {
    columns: [
      column("Last Seen", "string", "Time when last event occurred"),
      column("Type", "string", "Type of this event (Normal, Warning)."),
      column(
        "Reason",
        "string",
        "This should be a short, machine understandable string that gives the reason for this event being generated.",
      ),
      column("Object", "string", "The object that this event is about."),
      column("Subobject", "string", "The subobject (field path) this event is about.", 1),
      column("Source", "string", "The component reporting this event.", 1),
      column("Message", "string", "A human-readable description of the status of this operation."),
      column("First Seen", "string", "The time at which the event was first recorded.", 1),
      column("Count", "string", "The number of times this event has occurred.", 1),
      column("Name", "string", "Name must be unique within a namespace.", 1, "name"),
    ],
    row: eventRow,
  },
  "/nodes": {
    columns: [
      nameColumn,
      column("Status", "string", "The status of the node"),
      column("Roles", "string", "The roles of the node"),
      column("Age", "string", ageDescription),
      column("Version", "string", "Kubelet Version reported by the node."),
      column("Internal-IP", "string", "List of addresses reachable to the node.", 1),
      column("External-IP", "string", "List of addresses reachable to the node.", 1),
    ],
    row: nodeRow,
  },
  "/services": {
    columns: [
      nameColumn,
      column("Type", "string", "The type of the service."),
      column("Cluster-IP", "string", "The cluster IP of the service."),
      column("External-IP", "string", "The external IP of the service."),
      column("Port(s)", "string", "The ports of the service."),
      column("Age", "string", ageDescription),
    ],
    row: serviceRow,
  },
  "/configmaps": {
    columns: [
      nameColumn,
      column("Data", "integer", "Number of data entries."),
      column("Age", "string", ageDescription),
    ],
    row: (cm) => [cm.metadata?.name ?? "", dataCount(cm), age(cm)],
  },
  "/secrets": {
    columns: [
      nameColumn,
      column("Type", "string", "The type of the secret"),
      column("Data", "integer", "The number of data entries in the secret"),
      column("Age", "string", ageDescription),
    ],
    row: (secret) => [
      secret.metadata?.name ?? "",
      String(secret.type ?? "Opaque"),
      dataCount(secret),
      age(secret),
    ],
  },
  "/pods": {
    columns: [
      column("Name", "string", "Name must be unique within a namespace.", 0, "name"),
      column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      column("Status", "string", "The aggregate status of the containers in this pod."),
      column(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
      ),
      column(
        "Age",
        "string",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
      ),
      column(
        "IP",
        "string",
        "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
        1,
      ),
      column("Node", "string", "NodeName is a request to schedule this pod onto a specific node.", 1),
      column(
        "Nominated Node",
        "string",
        "nominatedNodeName is set only when this pod preempts other pods on the node.",
        1,
      ),
      column(
        "Readiness Gates",
        "string",
        "If specified, all readiness gates will be evaluated for pod readiness.",
        1,
      ),
    ],
    row: podRow,
  },
  "batch/jobs": {
    columns: [
      column("Name", "string", "Name must be unique within a namespace.", 0, "name"),
      column("Status", "string", "Status of the job."),
      column(
        "Completions",
        "string",
        "The desired number of successfully finished pods the job should be run with.",
      ),
      column("Duration", "string", "Time required to complete the job."),
      column(
        "Age",
        "string",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
      ),
      column("Containers", "string", "Names of each container in the template.", 1),
      column("Images", "string", "Images referenced by each container in the template.", 1),
      column("Selector", "string", "A label query over pods that should match the pod count.", 1),
    ],
    row: jobRow,
  },
  "apps/deployments": {
    columns: [
      column("Name", "string", "Name must be unique within a namespace.", 0, "name"),
      column("Ready", "string", "Number of the pod with ready state"),
      column(
        "Up-to-date",
        "integer",
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
      ),
      column(
        "Available",
        "integer",
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
      ),
      column(
        "Age",
        "string",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
      ),
    ],
    row: deploymentRow,
  },
  "/namespaces": {
    columns: [
      column("Name", "string", "Name must be unique within a namespace.", 0, "name"),
      column("Status", "string", "The status of the namespace"),
      column(
        "Age",
        "string",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
      ),
    ],
    row: (ns) => [ns.metadata?.name ?? "", String(pathValue(ns, ["status", "phase"]) ?? ""), age(ns)],
  },
};

const defaultPrinter = {
  columns: [
    column("Name", "string", "Name must be unique within a namespace.", 0, "name"),
    column(
      "Age",
      "date",
      "CreationTimestamp is a timestamp representing the server time when this object was created.",
    ),
  ],
  row: (obj: KubeObject): Cell[] => [obj.metadata?.name ?? "", age(obj)],
};

export type IncludeObject = "None" | "Metadata" | "Object";

/** Whether an Accept header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const first = accept.split(",")[0] ?? "";
  return /as=Table/.test(first) && /g=meta\.k8s\.io/.test(first);
}

export function toTable(
  def: ResourceDef,
  objects: KubeObject[],
  options: {
    includeObject: IncludeObject;
    headers: boolean;
    resourceVersion?: string;
    continueToken?: string;
  },
): JsonObject {
  const printer = printers[`${def.group}/${def.resource}`] ?? defaultPrinter;
  const metadata: JsonObject = {};
  if (options.resourceVersion !== undefined) metadata.resourceVersion = options.resourceVersion;
  if (options.continueToken !== undefined) metadata.continue = options.continueToken;
  const table: JsonObject = { kind: "Table", apiVersion: "meta.k8s.io/v1", metadata };
  table.columnDefinitions = options.headers ? printer.columns : null;
  table.rows = objects.map((obj) => {
    const row: JsonObject = { cells: printer.row(obj) };
    if (options.includeObject === "Object") row.object = obj;
    else if (options.includeObject === "Metadata") {
      row.object = {
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: obj.metadata ?? {},
      };
    }
    return row;
  });
  return table;
}
