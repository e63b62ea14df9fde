/**
 * The pod's events, as the analyzers and the prompt want them: only those about this pod (matched
 * by uid, falling back to kind+namespace+name when a uid is missing), duplicates folded with their
 * counts, Warnings first and newest first within each type.
 */
import { num, record, text, timeOf } from "./fields.js";

export interface PodEvent {
  type: string;
  reason: string;
  message: string;
  /** Occurrences, summed over folded duplicates (`count`, or `series.count`, else 1 each). */
  count: number;
  /** Latest occurrence, RFC 3339, when known. */
  lastSeen?: string;
  /** Container named by `involvedObject.fieldPath` (spec.containers{name}), when any. */
  container?: string;
  /** Component that reported it (kubelet, default-scheduler, …). */
  source?: string;
}

export interface PodIdentity {
  uid?: string | undefined;
  name?: string | undefined;
  namespace?: string | undefined;
}

/** Filters, folds and orders raw core/v1 (or events.k8s.io/v1) Event objects for one pod. */
export function podEvents(raw: readonly unknown[], pod: PodIdentity, anyKind = false): PodEvent[] {
  const folded = new Map<string, PodEvent & { lastMs: number }>();
  for (const event of raw) {
    if (!isAboutPod(event, pod, anyKind)) continue;
    const type = text(event, "type") ?? "Normal";
    const reason = text(event, "reason") ?? "";
    const message = (text(event, "message") ?? text(event, "note") ?? "").trim();
    const container = containerOf(
      text(event, "involvedObject", "fieldPath") ?? text(event, "regarding", "fieldPath"),
    );
    const count = Math.max(
      1,
      num(event, "count") ?? 0,
      num(event, "series", "count") ?? 0,
      num(event, "deprecatedCount") ?? 0,
    );
    const lastSeen =
      text(event, "series", "lastObservedTime") ??
      text(event, "lastTimestamp") ??
      text(event, "eventTime") ??
      text(event, "firstTimestamp") ??
      text(event, "metadata", "creationTimestamp");
    const source =
      text(event, "source", "component") ??
      text(event, "reportingComponent") ??
      text(event, "reportingController");
    const lastMs = timeOf(lastSeen) ?? 0;

    const key = `${type}\u0000${reason}\u0000${message}\u0000${container ?? ""}`;
    const existing = folded.get(key);
    if (existing) {
      existing.count += count;
      if (lastMs > existing.lastMs) {
        existing.lastMs = lastMs;
        if (lastSeen !== undefined) existing.lastSeen = lastSeen;
      }
      continue;
    }
    const entry: PodEvent & { lastMs: number } = { type, reason, message, count, lastMs };
    if (lastSeen !== undefined) entry.lastSeen = lastSeen;
    if (container !== undefined) entry.container = container;
    if (source !== undefined && source !== "") entry.source = source;
    folded.set(key, entry);
  }
  return [...folded.values()]
    .sort((a, b) => warningRank(a) - warningRank(b) || b.lastMs - a.lastMs)
    .map(({ lastMs: _lastMs, ...event }) => event);
}

function warningRank(event: PodEvent): number {
  return event.type === "Warning" ? 0 : 1;
}

/** `anyKind`: the events of a related object (a PVC, a Job), not of a pod. */
function isAboutPod(event: unknown, pod: PodIdentity, anyKind = false): boolean {
  const involved = record(event, "involvedObject") ?? record(event, "regarding");
  if (!involved) return false;
  const uid = text(involved, "uid");
  if (pod.uid !== undefined && uid !== undefined) return uid === pod.uid;
  const kind = text(involved, "kind");
  if (!anyKind && kind !== undefined && kind !== "Pod") return false;
  const namespace = text(involved, "namespace");
  if (pod.namespace !== undefined && namespace !== undefined && namespace !== pod.namespace) return false;
  const name = text(involved, "name");
  // Without a uid on either side, the name is all we have; without a pod name, trust the collector.
  return pod.name === undefined || name === undefined || name === pod.name;
}

/** `spec.containers{app}` / `spec.initContainers{migrate}` → the container name. */
export function containerOf(fieldPath: string | undefined): string | undefined {
  if (fieldPath === undefined) return undefined;
  const open = fieldPath.indexOf("{");
  const close = fieldPath.lastIndexOf("}");
  if (open === -1 || close <= open) return undefined;
  return fieldPath.slice(open + 1, close);
}

/**
 * One line for evidence, message first so that shortening keeps it:
 * `event Warning BackOff x7: <message> (last 2025-05-20T14:17:39Z)`.
 */
export function describeEvent(event: PodEvent): string {
  const times = event.count > 1 ? ` x${event.count}` : "";
  const when = event.lastSeen ? ` (last ${event.lastSeen.replace(/\.\d+Z$/, "Z")})` : "";
  return `event ${event.type} ${event.reason}${times}: ${event.message}${when}`;
}
