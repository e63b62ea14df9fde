/**
 * The ranking step: orders the analyzers' candidates so that findings[0] is the root cause.
 *
 * 1. Info findings (history) go after every warning/critical one.
 * 2. Then by rank (candidate.ts: pod-level causes, then "cannot run", then "killed by the
 *    platform", then "the process failed", then symptoms), then severity, then container order.
 * 3. A CrashLoopBackOff is dropped when the same container has a more specific finding: the
 *    back-off is the symptom of that cause. Duplicate code+container pairs keep the first.
 * 4. With no warning or critical finding left, `Healthy` comes first.
 * 5. A NotReady node that the pod itself explains — a node agent or CNI pod (a DaemonSet's, or the
 *    node says its network plugin is not ready) that cannot pull its image or start — comes after
 *    the pod's own definite error: fixing the pod fixes the node.
 * 6. Every finding gets `commands` (possibly empty), adjusted to who owns the workload
 *    (ownership.ts: Argo CD, Helm, kubectl).
 */
import type { Finding, Severity } from "../types.js";
import type { Candidate } from "./candidate.js";
import type { PodFacts } from "./facts.js";
import { kubectl } from "./kubectl.js";
import { applyOwnership } from "./ownership.js";

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Errors of the pod's own that can keep a node NotReady when the pod is the node's agent. */
const DEFINITE = new Set([
  "ImagePullFailed",
  "ConfigMissing",
  "StartFailed",
  "InitContainerFailed",
  "AppError",
  "OOMKilled",
]);
const NODE_AGENT_MESSAGE =
  /cni|network plugin|NetworkReady=false|NetworkPluginNotReady|csi|container runtime network/i;

function podExplainsNode(candidates: Candidate[], pod: PodFacts): boolean {
  const agent =
    pod.workload.kind === "DaemonSet" ||
    pod.namespace === "kube-system" ||
    NODE_AGENT_MESSAGE.test(pod.node?.readyMessage ?? "");
  return agent && candidates.some((c) => DEFINITE.has(c.finding.code) && c.finding.severity === "critical");
}

export function rankFindings(input: Candidate[], pod: PodFacts): Finding[] {
  const order = new Map(pod.containers.map((c, i) => [c.name, i]));
  const candidates = podExplainsNode(input, pod)
    ? input.map((c) => (c.finding.code === "NodeNotReady" ? { ...c, rank: 75 } : c))
    : input;
  const sorted = [...candidates].sort(
    (a, b) =>
      Number(a.finding.severity === "info") - Number(b.finding.severity === "info") ||
      a.rank - b.rank ||
      SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] ||
      (order.get(a.finding.container ?? "") ?? -1) - (order.get(b.finding.container ?? "") ?? -1),
  );

  const explained = new Set<string>();
  for (const c of sorted) {
    if (
      c.finding.code !== "CrashLoopBackOff" &&
      c.finding.container !== undefined &&
      c.finding.severity !== "info"
    ) {
      explained.add(c.finding.container);
    }
  }
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const { finding } of sorted) {
    if (
      finding.code === "CrashLoopBackOff" &&
      finding.container !== undefined &&
      explained.has(finding.container)
    )
      continue;
    const key = `${finding.code}\u0000${finding.container ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  if (!findings.some((f) => f.severity !== "info")) findings.unshift(healthy(pod));
  return findings.map((f) => applyOwnership(f, pod));
}

function healthy(pod: PodFacts): Finding {
  const runnable = pod.containers.filter((c) => c.kind !== "init");
  const ready = runnable.filter((c) => c.status?.ready === true);
  const restarts = runnable.reduce((n, c) => n + (c.status?.restartCount ?? 0), 0);
  const warnings = pod.events.filter((e) => e.type === "Warning");
  const evidence = [`status.phase: ${pod.phase ?? "unknown"}`];
  const readyCondition = pod.conditions.find((c) => c.type === "Ready");
  if (readyCondition) evidence.push(`condition Ready=${readyCondition.status ?? "?"}`);
  for (const c of runnable) {
    const state = c.status?.state.running
      ? `running since ${c.status.state.running.startedAt ?? "?"}`
      : c.status?.state.terminated
        ? `terminated (${c.status.state.terminated.reason ?? "?"}, exit ${c.status.state.terminated.exitCode ?? "?"})`
        : (c.status?.state.waiting?.reason ?? "no status");
    evidence.push(
      `${c.name}: ${state}, ready=${c.status?.ready ?? "?"}, restartCount=${c.status?.restartCount ?? 0}`,
    );
  }
  evidence.push(
    warnings.length === 0
      ? "no Warning events"
      : `${warnings.length} Warning event type(s), none explaining a failure`,
  );

  const summary =
    pod.phase === "Succeeded"
      ? `Pod ${pod.name} completed successfully.`
      : pod.phase === "Running"
        ? `Pod ${pod.name} is Running with ${ready.length}/${runnable.length} containers ready and ${restarts} restart${restarts === 1 ? "" : "s"}; nothing wrong was found.`
        : `Pod ${pod.name} is ${pod.phase ?? "in an unknown phase"}; no failure was found in the evidence.`;
  return {
    code: "Healthy",
    severity: "info",
    summary,
    evidence,
    remediation:
      pod.phase === "Running" || pod.phase === "Succeeded"
        ? `No action needed. If clients still see errors, look at what is in front of the pod: kubectl -n ${pod.namespace} get svc,endpointslices,ingress.`
        : `Wait and collect again; kubectl -n ${pod.namespace} describe pod ${pod.name} shows what it is waiting for.`,
    commands:
      pod.phase === "Running" || pod.phase === "Succeeded"
        ? [`${kubectl(pod)} get svc,endpointslices,ingress`]
        : [`${kubectl(pod)} describe pod ${pod.name}`],
  };
}
