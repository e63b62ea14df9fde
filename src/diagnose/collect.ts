/**
 * The evidence collector: everything diagnose reads about one pod, as an EvidenceBundle. One
 * implementation over a minimal API, so the in-cluster agent (its own tiny HTTPS client) and
 * `--local` (the CLI's kube client) collect exactly the same evidence.
 *
 * Read, in this order: the pod (required; a failure ends the collection); then, concurrently, its
 * owner chain (ReplicaSet → Deployment, StatefulSet, DaemonSet, Job → CronJob), its events (matched
 * by the pod's uid, duplicates folded with counts, Warnings first, newest first), the current and
 * previous logs of every container and init container (the last 2,000 lines, at most 1 MiB each),
 * the node it is bound to, and Prometheus figures when Prometheus answers. Each optional source that
 * fails is noted in `sources` (and the bundle's metadata.sources) and the rest goes on.
 *
 * Nothing is redacted here: callers redact (redactBundle) before anything leaves the process.
 */
import { firstLine } from "../core/text.js";
import { asRecord, num, record, records, text, timeOf } from "./analyze/fields.js";
import { classifyLog } from "./analyze/logs.js";
import { serviceOf } from "./analyze/remedies.js";
import { type PrometheusApi, queryContainerMetrics } from "./collect-metrics.js";
import type { ContainerMetrics, Evidence, SourceStatus } from "./evidence.js";
import { redactText } from "./redact.js";
import {
  BUNDLE_API_VERSION,
  BUNDLE_KIND,
  type ContainerLog,
  type KubeObject,
  type RelatedObject,
} from "./types.js";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
}

export interface LogRequest {
  container: string;
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

/**
 * What the collector needs from a Kubernetes client. The CLI's KubeClient fits as it is; failures
 * carry the HTTP status as `statusCode` (KubeApiError). Objects may come back as client-node's model
 * classes with Date fields: the collector turns them into the API's JSON (plainObject).
 */
export interface EvidenceApi {
  get(ref: ObjectRef): Promise<unknown>;
  list(
    apiVersion: string,
    kind: string,
    options: {
      namespace?: string | undefined;
      fieldSelector?: string | undefined;
      labelSelector?: string | undefined;
    },
  ): Promise<unknown[]>;
  readLog(namespace: string, pod: string, options: LogRequest): Promise<string>;
}

export interface CollectOptions {
  namespace: string;
  pod: string;
  /** Free text for metadata.cluster (the kube context). */
  cluster?: string;
  /** Omit to skip Prometheus (noted as a skipped source). */
  prometheus?: PrometheusApi;
  /** Why Prometheus was skipped, when it was. */
  prometheusSkipped?: string;
  now?: () => Date;
}

/** Bounds of each log read: the last lines, and at most this many bytes of them. */
export const LOG_TAIL_LINES = 2_000;
export const LOG_MAX_BYTES = 1024 * 1024;
/** The transfer bound asked of the API server; the end of a longer read is kept (see readTail). */
const LOG_TRANSFER_LIMIT_BYTES = 4 * LOG_MAX_BYTES;
const MAX_EVENTS = 200;
const MAX_OWNER_DEPTH = 3;

/** Owner kinds diagnose follows, with the API group/version it reads them from. */
export const OWNER_KINDS: Readonly<Record<string, string>> = {
  ReplicaSet: "apps/v1",
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
};

export async function collectEvidence(api: EvidenceApi, options: CollectOptions): Promise<Evidence> {
  const now = options.now ?? (() => new Date());
  // The pod is the one source that must work: without it there is nothing to diagnose.
  const pod = plainObject(
    await api.get({ apiVersion: "v1", kind: "Pod", name: options.pod, namespace: options.namespace }),
  );
  const sources: SourceStatus[] = [{ name: "pod", ok: true }];

  const [owners, events, logs, node, metrics] = await Promise.all([
    settle("owners", () => readOwners(api, pod)),
    settle("events", () => readEvents(api, pod)),
    readLogs(api, pod),
    settle("node", () => readNode(api, pod)),
    readMetrics(pod, options),
  ]);
  sources.push(owners.status, events.status, logs.status, node.status, metrics.status);
  // After the logs: the Services a connection or DNS error names are found in them.
  const related = await settle("related", () => readRelated(api, pod, owners.value ?? [], logs.value));
  sources.push(related.status);

  const bundle: Evidence["bundle"] = {
    apiVersion: BUNDLE_API_VERSION,
    kind: BUNDLE_KIND,
    metadata: {
      collectedAt: now().toISOString(),
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
      sources,
    },
    pod,
    events: events.value ?? [],
    logs: logs.value,
  };
  if (owners.value && owners.value.length > 0) bundle.owners = owners.value;
  if (node.value) bundle.node = node.value;
  if (related.value && related.value.length > 0) bundle.related = related.value;
  return { bundle, sources, metrics: metrics.value };
}

interface Read<T> {
  value: T | undefined;
  status: SourceStatus;
}

/** Runs an optional read; a failure becomes a noted source instead of an exception. */
async function settle<T>(
  name: string,
  read: () => Promise<{ value: T | undefined; detail?: string }>,
): Promise<Read<T>> {
  try {
    const { value, detail } = await read();
    return { value, status: { name, ok: true, ...(detail === undefined ? {} : { detail }) } };
  } catch (error) {
    return { value: undefined, status: { name, ok: false, error: describeError(error) } };
  }
}

async function readOwners(
  api: EvidenceApi,
  pod: KubeObject,
): Promise<{ value: KubeObject[]; detail: string }> {
  const owners: KubeObject[] = [];
  const namespace = text(pod, "metadata", "namespace");
  const skipped: string[] = [];
  let current: KubeObject = pod;
  for (let depth = 0; depth < MAX_OWNER_DEPTH; depth++) {
    const ref = controllerOf(current);
    if (!ref) break;
    const apiVersion = OWNER_KINDS[ref.kind];
    if (!apiVersion) {
      skipped.push(`${ref.kind}/${ref.name} (not a kind diagnose reads)`);
      break;
    }
    try {
      current = plainObject(await api.get({ apiVersion, kind: ref.kind, name: ref.name, namespace }));
    } catch (error) {
      // The owner is gone (a Deployment's old ReplicaSet was deleted): the chain ends here.
      if (statusCode(error) === 404) {
        skipped.push(`${ref.kind}/${ref.name} (no longer exists)`);
        break;
      }
      throw error;
    }
    owners.push(current);
  }
  const chain = owners.map((o) => `${text(o, "kind") ?? "?"}/${text(o, "metadata", "name") ?? "?"}`);
  const detail = [chain.length > 0 ? chain.join(" → ") : "none", ...skipped].join("; ");
  return { value: owners, detail };
}

async function readEvents(
  api: EvidenceApi,
  pod: KubeObject,
): Promise<{ value: KubeObject[]; detail: string }> {
  const uid = text(pod, "metadata", "uid");
  const name = text(pod, "metadata", "name") ?? "";
  // By uid: a StatefulSet's earlier pod of the same name is a different object with its own events.
  const fieldSelector =
    uid !== undefined ? `involvedObject.uid=${uid}` : `involvedObject.kind=Pod,involvedObject.name=${name}`;
  const raw = (
    await api.list("v1", "Event", { namespace: text(pod, "metadata", "namespace"), fieldSelector })
  ).map(plainObject);
  const folded = foldEvents(raw);
  const dropped = raw.length - folded.length;
  return {
    value: folded.slice(0, MAX_EVENTS),
    detail: `${folded.length} event${folded.length === 1 ? "" : "s"}${dropped > 0 ? ` (${dropped} duplicates folded)` : ""}`,
  };
}

const MAX_RELATED_EVENTS = 20;
const MAX_RELATED_SERVICES = 3;

/**
 * Objects whose state decides the cause, read-only and in the pod's namespace (plus a claim's
 * StorageClass): the claims of a pod that is not running yet, with their events and
 * StorageClass; the owning Job's events; the Services that a connection or DNS error in the logs
 * names, with their EndpointSlices. A missing object is noted, not an error.
 */
async function readRelated(
  api: EvidenceApi,
  pod: KubeObject,
  owners: KubeObject[],
  logs: ContainerLog[],
): Promise<{ value: RelatedObject[]; detail: string }> {
  const namespace = text(pod, "metadata", "namespace") ?? "default";
  const out: RelatedObject[] = [];
  const missing: string[] = [];
  const eventsOf = async (object: KubeObject): Promise<KubeObject[]> => {
    const uid = text(object, "metadata", "uid");
    if (uid === undefined) return [];
    const raw = await api.list("v1", "Event", { namespace, fieldSelector: `involvedObject.uid=${uid}` });
    return foldEvents(raw.map(plainObject)).slice(0, MAX_RELATED_EVENTS);
  };
  const getOrNull = async (ref: ObjectRef): Promise<KubeObject | undefined> => {
    try {
      return plainObject(await api.get(ref));
    } catch (error) {
      if (statusCode(error) === 404) {
        missing.push(`${ref.kind}/${ref.name}`);
        return undefined;
      }
      throw error;
    }
  };

  if (text(pod, "status", "phase") === "Pending") {
    const claims = records(pod, "spec", "volumes").flatMap(
      (v) => text(v, "persistentVolumeClaim", "claimName") ?? [],
    );
    const classes = new Set<string>();
    for (const claim of claims.slice(0, 5)) {
      const pvc = await getOrNull({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        name: claim,
        namespace,
      });
      if (!pvc) continue;
      out.push({ object: pvc, events: await eventsOf(pvc) });
      const storageClass = text(pvc, "spec", "storageClassName");
      if (storageClass !== undefined && storageClass !== "") classes.add(storageClass);
    }
    for (const name of classes) {
      const sc = await getOrNull({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", name });
      if (sc) out.push({ object: sc, events: [] });
    }
  }

  const job = owners.find((o) => text(o, "kind") === "Job");
  if (job) out.push({ object: job, events: await eventsOf(job) });

  const services = new Set<string>();
  for (const log of logs) {
    const cause = classifyLog(log.text).cause;
    if ((cause?.kind !== "dns" && cause?.kind !== "connection") || cause.host === undefined) continue;
    const service = serviceOf(cause.host, namespace);
    // Only Services in the pod's own namespace: the agent's Role reaches no further.
    if (service && service.namespace === namespace) services.add(service.name);
  }
  for (const name of [...services].slice(0, MAX_RELATED_SERVICES)) {
    const service = await getOrNull({ apiVersion: "v1", kind: "Service", name, namespace });
    if (!service) continue;
    out.push({ object: service, events: [] });
    const slices = await api.list("discovery.k8s.io/v1", "EndpointSlice", {
      namespace,
      labelSelector: `kubernetes.io/service-name=${name}`,
    });
    // Items of a list carry no kind of their own (the API server puts it on the list).
    for (const slice of slices.slice(0, 5))
      out.push({
        object: { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", ...plainObject(slice) },
        events: [],
      });
  }

  const names = out.map(
    (r) => `${text(r.object, "kind") ?? "?"}/${text(r.object, "metadata", "name") ?? "?"}`,
  );
  const detail = [
    names.length > 0 ? names.join(", ") : "none",
    ...(missing.length > 0 ? [`not found: ${missing.join(", ")}`] : []),
  ].join("; ");
  return { value: out, detail };
}

/**
 * Folds events with the same type, reason, message and container into the newest one, summing
 * their counts; Warnings first, then newest first.
 */
export function foldEvents(events: readonly KubeObject[]): KubeObject[] {
  const folded = new Map<
    string,
    { event: KubeObject; count: number; time: number; first: string | undefined }
  >();
  for (const event of events) {
    const key = [
      text(event, "type"),
      text(event, "reason"),
      (text(event, "message") ?? "").trim(),
      text(event, "involvedObject", "fieldPath"),
    ].join("\u0000");
    const count = Math.max(1, num(event, "count") ?? 0, num(event, "series", "count") ?? 0);
    const seen = eventTime(event);
    const existing = folded.get(key);
    if (!existing) {
      folded.set(key, { event, count, time: timeValue(seen), first: text(event, "firstTimestamp") ?? seen });
      continue;
    }
    existing.count += count;
    const first = text(event, "firstTimestamp") ?? seen;
    if (first !== undefined && (existing.first === undefined || timeValue(first) < timeValue(existing.first)))
      existing.first = first;
    if (timeValue(seen) > existing.time) {
      existing.event = event;
      existing.time = timeValue(seen);
    }
  }
  return [...folded.values()]
    .sort((a, b) => rank(a.event) - rank(b.event) || b.time - a.time)
    .map(({ event, count, first }) => ({
      ...event,
      count,
      ...(first !== undefined ? { firstTimestamp: first } : {}),
    }));
}

async function readLogs(
  api: EvidenceApi,
  pod: KubeObject,
): Promise<{ value: ContainerLog[]; status: SourceStatus }> {
  const namespace = text(pod, "metadata", "namespace") ?? "default";
  const name = text(pod, "metadata", "name") ?? "";
  if (text(pod, "spec", "nodeName") === undefined) {
    return { value: [], status: { name: "logs", ok: true, detail: "none: the pod is not bound to a node" } };
  }
  const statuses = new Map<string, KubeObject>();
  for (const key of ["initContainerStatuses", "containerStatuses"]) {
    for (const s of records(pod, "status", key)) {
      const containerName = text(s, "name");
      if (containerName !== undefined) statuses.set(containerName, s);
    }
  }
  const containers = [...records(pod, "spec", "initContainers"), ...records(pod, "spec", "containers")]
    .map((c) => text(c, "name"))
    .filter((c): c is string => c !== undefined);
  const wanted: { container: string; previous: boolean }[] = [];
  for (const container of containers) {
    const status = statuses.get(container);
    wanted.push({ container, previous: false });
    // A previous log exists only once the container has terminated at least once.
    if (
      status &&
      ((num(status, "restartCount") ?? 0) > 0 || record(status, "lastState", "terminated") !== undefined)
    )
      wanted.push({ container, previous: true });
  }
  const results = await Promise.all(
    wanted.map(async ({ container, previous }) => {
      try {
        const logText = await readTail(api, namespace, name, container, previous);
        return { log: { container, previous, text: logText } as ContainerLog };
      } catch (error) {
        // 400 is the kubelet saying there is no such log (yet): not a failure of the source.
        if (statusCode(error) === 400) return {};
        return { failed: `${container}${previous ? " (previous)" : ""}: ${describeError(error)}` };
      }
    }),
  );
  const logs = results.flatMap((r) => (r.log && r.log.text !== "" ? [r.log] : []));
  const failures = results.flatMap((r) => (r.failed ? [r.failed] : []));
  const detail = `${logs.length} log${logs.length === 1 ? "" : "s"}`;
  return {
    value: logs,
    status:
      failures.length === 0
        ? { name: "logs", ok: true, detail }
        : { name: "logs", ok: false, detail, error: failures.join("; ") },
  };
}

/**
 * The end of a container's log: the last LOG_TAIL_LINES lines, at most LOG_MAX_BYTES. The API
 * server applies limitBytes from the start of the selected lines, so when the lines are long the
 * read is repeated with fewer lines: the end of the log (where a crash is) is what must survive.
 */
async function readTail(
  api: EvidenceApi,
  namespace: string,
  pod: string,
  container: string,
  previous: boolean,
): Promise<string> {
  const read = (tailLines: number) =>
    api.readLog(namespace, pod, {
      container,
      ...(previous ? { previous: true } : {}),
      tailLines,
      limitBytes: LOG_TRANSFER_LIMIT_BYTES,
    });
  let logText = await read(LOG_TAIL_LINES);
  const bytes = Buffer.byteLength(logText);
  if (bytes >= LOG_TRANSFER_LIMIT_BYTES) {
    const lines = Math.max(1, logText.split("\n").length - 1);
    const fewer = Math.max(1, Math.floor((LOG_MAX_BYTES / bytes) * lines));
    logText = await read(fewer);
  }
  return lastBytes(logText, LOG_MAX_BYTES);
}

/** The last `max` bytes of `value`, starting at a line boundary when one is in reach. */
export function lastBytes(value: string, max: number): string {
  const buffer = Buffer.from(value, "utf8");
  if (buffer.length <= max) return value;
  const tail = buffer.subarray(buffer.length - max).toString("utf8");
  const newline = tail.indexOf("\n");
  return newline >= 0 && newline < tail.length - 1 ? tail.slice(newline + 1) : tail.replace(/^\uFFFD+/, "");
}

async function readNode(
  api: EvidenceApi,
  pod: KubeObject,
): Promise<{ value: KubeObject | undefined; detail: string }> {
  const nodeName = text(pod, "spec", "nodeName");
  if (nodeName === undefined) return { value: undefined, detail: "none: the pod is not bound to a node" };
  try {
    return {
      value: plainObject(await api.get({ apiVersion: "v1", kind: "Node", name: nodeName })),
      detail: nodeName,
    };
  } catch (error) {
    if (statusCode(error) === 404) return { value: undefined, detail: `${nodeName} no longer exists` };
    throw error;
  }
}

async function readMetrics(
  pod: KubeObject,
  options: CollectOptions,
): Promise<{ value: ContainerMetrics[]; status: SourceStatus }> {
  if (!options.prometheus) {
    return {
      value: [],
      status: { name: "prometheus", ok: false, error: options.prometheusSkipped ?? "not configured" },
    };
  }
  try {
    const metrics = await queryContainerMetrics(options.prometheus, pod);
    return {
      value: metrics,
      status: {
        name: "prometheus",
        ok: true,
        detail:
          metrics.length > 0
            ? `${options.prometheus.url}: ${metrics.length} container(s)`
            : `${options.prometheus.url}: no samples for this pod`,
      },
    };
  } catch (error) {
    return { value: [], status: { name: "prometheus", ok: false, error: describeError(error) } };
  }
}

function controllerOf(object: KubeObject): { kind: string; name: string } | undefined {
  const refs = records(object, "metadata", "ownerReferences");
  const ref = refs.find((r) => r.controller === true) ?? refs[0];
  const kind = ref ? text(ref, "kind") : undefined;
  const name = ref ? text(ref, "name") : undefined;
  return kind !== undefined && name !== undefined ? { kind, name } : undefined;
}

/** The HTTP status an API failure carries (KubeApiError.statusCode), if any. */
export function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** One redacted line: an error message may quote a URL with a password or a token. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactText(firstLine(message));
}

function rank(event: KubeObject): number {
  return text(event, "type") === "Warning" ? 0 : 1;
}

function eventTime(event: KubeObject): string | undefined {
  return (
    text(event, "series", "lastObservedTime") ??
    text(event, "lastTimestamp") ??
    text(event, "eventTime") ??
    text(event, "firstTimestamp") ??
    text(event, "metadata", "creationTimestamp")
  );
}

function timeValue(value: string | undefined): number {
  return timeOf(value) ?? 0;
}

/**
 * An object as the API server's JSON has it: client-node's model classes become plain objects and
 * its Dates RFC 3339 strings again (second precision, as the API writes metav1.Time).
 */
export function plainObject(value: unknown): KubeObject {
  return asRecord(plain(value)) ?? {};
}

function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace(/\.000Z$/, "Z");
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = plain(item);
  return out;
}
