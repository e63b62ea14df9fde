/**
 * NodeNotReady: the node the pod is bound to is NotReady or unreachable. Evidence comes from the
 * bundle's Node (Ready condition, not-ready/unreachable taints) or, without a Node, from what the
 * node controller leaves on the pod: NodeNotReady events, a Ready=False condition while every
 * container is ready, a taint-manager DisruptionTarget, status.reason NodeLost.
 */
import { type Candidate, candidate, RANK } from "./candidate.js";
import { describeEvent } from "./events.js";
import type { PodFacts } from "./facts.js";
import { kubectl } from "./kubectl.js";

const NODE_TAINTS = new Set(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]);

export function nodeAnalyzer(pod: PodFacts): Candidate[] {
  // A pod that is not bound to a node is never NodeNotReady, whatever a scheduler message says.
  if (pod.nodeName === undefined) return [];
  const node = pod.node;
  const nodeName = pod.nodeName ?? node?.name;
  const nodeEvent = pod.events.find((e) => e.reason === "NodeNotReady");
  const taintEviction = pod.events.find((e) => e.reason === "TaintManagerEviction");
  const podReady = pod.conditions.find((c) => c.type === "Ready");
  const taintManager = pod.conditions.find(
    (c) => c.type === "DisruptionTarget" && c.status === "True" && c.reason === "DeletionByTaintManager",
  );
  const badTaints = (node?.taints ?? []).filter((t) => NODE_TAINTS.has(t.key));
  const nodeDown = node?.ready !== undefined && node.ready !== "True";

  const evidence: string[] = [];
  if (node && nodeDown) {
    evidence.push(
      `node ${node.name ?? nodeName ?? ""} condition Ready=${node.ready}${node.readyReason ? ` reason ${node.readyReason}` : ""}${
        node.readySince ? ` since ${node.readySince}` : ""
      }${node.readyMessage ? `: ${node.readyMessage}` : ""}`,
    );
  }
  for (const taint of badTaints) evidence.push(`node taint ${taint.key}:${taint.effect ?? ""}`);
  if (nodeEvent) evidence.push(describeEvent(nodeEvent));
  if (taintEviction) evidence.push(describeEvent(taintEviction));
  if (taintManager)
    evidence.push(
      `condition DisruptionTarget=True reason DeletionByTaintManager${taintManager.message ? `: ${taintManager.message}` : ""}`,
    );
  if (pod.reason === "NodeLost")
    evidence.push(`status.reason: NodeLost${pod.message ? ` (${pod.message})` : ""}`);

  const containersReady = pod.containers
    .filter((c) => c.kind !== "init")
    .every((c) => c.status?.ready !== false);
  const podNotReady = podReady?.status === "False" || podReady?.status === "Unknown";
  if (podNotReady) {
    evidence.push(
      `condition Ready=${podReady?.status}${podReady?.reason ? ` reason ${podReady.reason}` : ""}${podReady?.message ? `: ${podReady.message}` : ""}`,
    );
  }

  // The taint manager and node controller name the taint in what they leave on the pod.
  const taintMention = [
    ...pod.conditions.map((c) => c.message ?? ""),
    ...pod.events.map((e) => e.message),
  ].find((m) => [...NODE_TAINTS].some((key) => m.includes(key)));
  if (taintMention !== undefined && !evidence.some((e) => e.includes(taintMention)))
    evidence.push(`pod: ${taintMention}`);
  if (pod.phase === "Unknown") evidence.push("status.phase: Unknown (the node stopped reporting the pod)");

  const nodeUp = node?.ready === "True" && badTaints.length === 0;
  const current =
    nodeDown ||
    badTaints.length > 0 ||
    pod.reason === "NodeLost" ||
    taintManager !== undefined ||
    (!nodeUp && (taintMention !== undefined || pod.phase === "Unknown")) ||
    (!nodeUp && nodeEvent !== undefined && (podNotReady || pod.deleting) && containersReady);
  if (current) {
    return [
      candidate({
        code: "NodeNotReady",
        severity: "critical",
        summary: `Node ${nodeName ?? "<unknown>"} that runs pod ${pod.name} is ${node?.ready === "Unknown" ? "unreachable (Ready=Unknown)" : "NotReady"}${
          node?.readyMessage ? `: ${node.readyMessage}` : ""
        }; the pod is not Ready because of its node, not because of its containers.`,
        evidence,
        remediation: nodeRemedy(pod, nodeName, node?.providerID?.startsWith("kind://") === true),
        commands: [
          `kubectl describe node ${nodeName ?? pod.nodeName}`,
          ...(node?.providerID?.startsWith("kind://") === true
            ? [`docker restart ${nodeName ?? pod.nodeName}`]
            : []),
        ],
      }),
    ];
  }
  if (nodeEvent && nodeUp) {
    // The node was NotReady once and has recovered: history, not the current problem.
    return [
      candidate(
        {
          code: "NodeNotReady",
          severity: "info",
          summary: `Node ${nodeName ?? "<unknown>"} was NotReady earlier and is Ready again.`,
          evidence: [describeEvent(nodeEvent), `node ${nodeName ?? ""} condition Ready=True`],
          remediation: `Nothing to do now; if it recurs: kubectl describe node ${nodeName ?? "<node>"}.`,
          commands: [`kubectl describe node ${nodeName ?? pod.nodeName}`],
        },
        RANK.NodeNotReady,
      ),
    ];
  }
  return [];
}

function nodeRemedy(pod: PodFacts, nodeName: string | undefined, kind: boolean): string {
  const name = nodeName ?? "<node>";
  const restart = kind
    ? `in a kind cluster restart the node container: docker restart ${name}`
    : `on the node check the kubelet and container runtime (journalctl -u kubelet -u containerd)`;
  const move =
    pod.workload.kind === "StatefulSet" || pod.workload.kind === "Pod"
      ? `; a ${pod.workload.kind === "Pod" ? "bare pod" : "StatefulSet pod"} is not moved elsewhere until the node is confirmed gone and the pod deleted: ${kubectl(pod)} delete pod ${pod.name} --grace-period=0 --force`
      : "; the pod's controller replaces it on a healthy node once the node is drained";
  return `Fix the node, not the pod: kubectl describe node ${name}; ${restart}. If it stays down: kubectl drain ${name} --ignore-daemonsets --delete-emptydir-data${move}.`;
}
