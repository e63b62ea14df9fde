/**
 * Evicted: the kubelet killed the pod to relieve node pressure (status.reason Evicted, the
 * DisruptionTarget condition, or an Evicted event on a failed pod). The kubelet's message names the
 * starved resource and, for memory and disk, the container that used the most compared with its
 * request; the fix sizes that request.
 */

import { formatMemoryQuantity, parseQuantity } from "../../core/units.js";
import { type Candidate, candidate } from "./candidate.js";
import { describeEvent } from "./events.js";
import type { ContainerFacts, PodFacts } from "./facts.js";
import { kubectl, setResources, workloadRef } from "./kubectl.js";
import { suggestMemory } from "./quantity.js";

export interface EvictionMessage {
  /** memory, ephemeral-storage, nodefs, imagefs, pids, … */
  resource?: string;
  /** Per container: what it used and what it requested, as the kubelet printed them. */
  usage: { container: string; using: string; request: string }[];
  /** A limit was exceeded (ephemeral storage, emptyDir sizeLimit) rather than node pressure. */
  limitExceeded?: string;
}

export function parseEvictionMessage(message: string): EvictionMessage {
  const parsed: EvictionMessage = { usage: [] };
  const resource = /low on resource: ([\w./-]+)/.exec(message)?.[1];
  if (resource !== undefined) parsed.resource = resource.replace(/\.$/, "");
  for (const m of message.matchAll(
    /Container (\S+) was using (\S+?), request is (\S+?), has larger consumption/g,
  )) {
    parsed.usage.push({ container: m[1] ?? "", using: m[2] ?? "", request: m[3] ?? "" });
  }
  const limit =
    /(Pod ephemeral local storage usage exceeds the total limit of containers \S+?)\.?(?:\s|$)/.exec(
      message,
    )?.[1] ??
    /(Container \S+ exceeded its local ephemeral storage limit "[^"]*")/.exec(message)?.[1] ??
    /(Usage of EmptyDir volume "[^"]*" exceeds the limit "[^"]*")/.exec(message)?.[1];
  if (limit !== undefined) parsed.limitExceeded = limit;
  return parsed;
}

const EVICTION_DISRUPTIONS = new Set([
  "TerminationByKubelet",
  "EvictionByEvictionAPI",
  "PreemptionByScheduler",
]);

/** The pod was evicted (or preempted): its containers' terminations are consequences, not causes. */
export function isEvicted(pod: PodFacts): boolean {
  if (pod.reason === "Evicted") return true;
  const ended = pod.phase === "Failed" || pod.deleting;
  return ended && (pod.events.some((e) => e.reason === "Evicted") || evictionDisruption(pod) !== undefined);
}

function evictionDisruption(pod: PodFacts): PodFacts["conditions"][number] | undefined {
  return pod.conditions.find(
    (c) => c.type === "DisruptionTarget" && c.status === "True" && EVICTION_DISRUPTIONS.has(c.reason ?? ""),
  );
}

export function evictionAnalyzer(pod: PodFacts): Candidate[] {
  if (!isEvicted(pod)) return [];
  const evictedEvent = pod.events.find((e) => e.reason === "Evicted");
  const preempted = pod.events.find((e) => e.reason === "Preempted" || e.reason === "Preempting");
  const disruption = evictionDisruption(pod);

  const message = pod.message ?? disruption?.message ?? evictedEvent?.message ?? "";
  const parsed = parseEvictionMessage(message);
  const evidence: string[] = [];
  if (pod.reason !== undefined)
    evidence.push(`status.reason: ${pod.reason} (phase ${pod.phase ?? "unknown"})`);
  if (pod.message) evidence.push(`status.message: ${pod.message}`);
  if (disruption) {
    evidence.push(
      `condition DisruptionTarget=True reason ${disruption.reason}${disruption.message && disruption.message.trim() !== pod.message ? `: ${disruption.message}` : ""}`,
    );
  }
  if (evictedEvent && evictedEvent.message.trim() !== pod.message) evidence.push(describeEvent(evictedEvent));
  else if (evictedEvent)
    evidence.push(
      `event ${evictedEvent.type} Evicted${evictedEvent.lastSeen ? ` (${evictedEvent.lastSeen})` : ""}`,
    );
  if (preempted) evidence.push(describeEvent(preempted));
  for (const pressure of pod.node?.pressures ?? []) {
    evidence.push(
      `node ${pod.node?.name ?? pod.nodeName ?? ""} condition ${pressure.type}=True${pressure.reason ? ` (${pressure.reason})` : ""}${pressure.message ? `: ${pressure.message}` : ""}`,
    );
  }
  for (const taint of pod.node?.taints ?? []) {
    if (taint.key.endsWith("-pressure")) evidence.push(`node taint ${taint.key}:${taint.effect ?? ""}`);
  }

  const heavy = parsed.usage[0];
  const container = heavy ? pod.containers.find((c) => c.name === heavy.container) : undefined;
  if (container) {
    evidence.push(
      `${container.name}: requests ${formatResources(container.requests)}; limits ${formatResources(container.limits)}`,
    );
  }

  const resource = parsed.resource ?? (parsed.limitExceeded ? "ephemeral-storage" : undefined);
  const node = pod.node?.name ?? pod.nodeName;
  const summary =
    disruption?.reason === "PreemptionByScheduler" || (preempted && !pod.reason)
      ? `Pod ${pod.name} was preempted to make room for a higher-priority pod.`
      : `The kubelet evicted pod ${pod.name}${node ? ` from node ${node}` : ""}${
          resource ? ` because the node was low on ${resource}` : ""
        }${heavy ? `; container ${heavy.container} used ${heavy.using} against a request of ${heavy.request}` : ""}${
          parsed.limitExceeded ? ` (${parsed.limitExceeded})` : ""
        }.`;

  return [
    candidate({
      code: "Evicted",
      severity: "critical",
      ...(container ? { container: container.name } : {}),
      summary,
      evidence,
      remediation: evictionRemedy(pod, resource, heavy, container, parsed),
      commands: evictionCommands(pod, resource, heavy, container),
    }),
  ];
}

function evictionRemedy(
  pod: PodFacts,
  resource: string | undefined,
  heavy: EvictionMessage["usage"][number] | undefined,
  container: ContainerFacts | undefined,
  parsed: EvictionMessage,
): string {
  const cleanup = `then delete the failed pod: ${kubectl(pod)} delete pod ${pod.name}`;
  if (resource === "memory" && container && heavy) {
    const used = parseQuantity(heavy.using);
    const size = used === undefined ? undefined : suggestMemory(used, 1.25);
    if (size !== undefined) {
      return `Request what ${container.name} really uses (${heavy.using}) so the scheduler reserves it and the kubelet evicts it last, and cap it with an equal limit: ${setResources(pod, container, "both", "memory", size)}; ${cleanup}.`;
    }
  }
  if (
    resource === "ephemeral-storage" ||
    resource === "nodefs" ||
    resource === "imagefs" ||
    parsed.limitExceeded
  ) {
    const target = container ?? pod.containers.find((c) => c.kind === "main");
    // Sized from what the kubelet measured, never a made-up figure.
    const used = heavy ? parseQuantity(heavy.using) : undefined;
    const size =
      used !== undefined && used > 0
        ? formatMemoryQuantity(Math.ceil((used * 1.25) / 2 ** 20) * 2 ** 20)
        : undefined;
    const command = target && size ? setResources(pod, target, "both", "ephemeral-storage", size) : undefined;
    return `Stop the pod filling the node's disk (logs or files written inside the container, emptyDir without sizeLimit) and declare its disk use${command ? ` (it used ${heavy?.using}; 1.25× that): ${command}` : ` (resources.requests/limits.ephemeral-storage) in ${workloadRef(pod)}`}; ${cleanup}.`;
  }
  if (resource === "pids") return `Limit the number of processes/threads the pod starts; ${cleanup}.`;
  return `Set resource requests that match real usage so the pod is not the first to be evicted (${kubectl(pod)} top pod ${pod.name}), and check the node's pressure (kubectl describe node ${pod.node?.name ?? pod.nodeName ?? "<node>"}); ${cleanup}.`;
}

function evictionCommands(
  pod: PodFacts,
  resource: string | undefined,
  heavy: EvictionMessage["usage"][number] | undefined,
  container: ContainerFacts | undefined,
): string[] {
  const commands: string[] = [];
  if (resource === "memory" && container && heavy) {
    const used = parseQuantity(heavy.using);
    const size = used === undefined ? undefined : suggestMemory(used, 1.25);
    if (size !== undefined) {
      const set = setResources(pod, container, "both", "memory", size);
      if (set.startsWith("kubectl")) commands.push(set);
    }
  }
  const node = pod.node?.name ?? pod.nodeName;
  if (node !== undefined) commands.push(`kubectl describe node ${node}`);
  commands.push(`${kubectl(pod)} delete pod ${pod.name}`);
  return commands;
}

function formatResources(resources: Record<string, string>): string {
  const entries = Object.entries(resources);
  return entries.length === 0 ? "none" : entries.map(([k, v]) => `${k}=${v}`).join(" ");
}
