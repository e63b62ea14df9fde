/**
 * Unschedulable: the pod is not bound to a node and the scheduler says why. Its message is parsed
 * into per-reason node counts, e.g.
 *
 *   0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector,
 *   1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.
 *   preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, …
 *
 * → affinity/selector 1, taint 1, insufficient cpu 2. The remediation addresses the reasons a
 * fix can change (requests, selectors, volumes), with the pod's real values.
 */

import { parseQuantity } from "../../core/units.js";
import { type Candidate, candidate } from "./candidate.js";
import { describeEvent } from "./events.js";
import type { PodFacts, RelatedFacts } from "./facts.js";
import { text } from "./fields.js";
import { kubectl, workloadRef } from "./kubectl.js";

export type SchedulingCategory =
  | "insufficient"
  | "taint"
  | "node-affinity"
  | "pod-affinity"
  | "topology-spread"
  | "volume"
  | "node-unschedulable"
  | "ports"
  | "other";

export interface SchedulingReason {
  /** Number of nodes rejected for this reason (undefined when the message gives none). */
  count?: number;
  category: SchedulingCategory;
  /** The reason as the scheduler wrote it, without the count. */
  text: string;
  /** For `insufficient`: cpu, memory, nvidia.com/gpu, pods, … */
  resource?: string;
  /** For `taint`: the taint as printed, e.g. `node-role.kubernetes.io/control-plane: `. */
  taint?: string;
}

export interface SchedulingFailure {
  available?: number;
  total?: number;
  reasons: SchedulingReason[];
  /** The `preemption: …` tail, when present. */
  preemption?: string;
}

export function parseSchedulingMessage(message: string): SchedulingFailure {
  let main = message.trim();
  let preemption: string | undefined;
  // The reasons end at the first ". ": what follows is post-filter text — DRA's "no new claims to
  // deallocate" (Kubernetes 1.34+) and/or "preemption: …".
  const stop = main.indexOf(". ");
  const rest = stop === -1 ? "" : main.slice(stop + 2);
  if (stop !== -1) main = main.slice(0, stop);
  const pre = /(?:^|[\s,.])preemption:\s*(.*)$/s.exec(stop === -1 ? main : rest);
  if (pre) {
    preemption = (pre[1] ?? "").trim();
    if (stop === -1) main = main.slice(0, pre.index).trim();
  }
  main = main.replace(/\.\s*$/, "");
  const failure: SchedulingFailure = { reasons: [] };
  if (preemption !== undefined) failure.preemption = preemption;

  let body = main;
  const header = /^(\d+)\/(\d+) nodes are available:?\s*/.exec(main);
  if (header) {
    failure.available = Number(header[1]);
    failure.total = Number(header[2]);
    body = main.slice(header[0].length);
  }
  if (body.trim() === "") return failure;
  // Reasons are separated by ", " followed by a node count; a taint's text never contains one.
  for (const part of body.split(/,\s+(?=\d+\s)/)) {
    const counted = /^(\d+)\s+(.*)$/s.exec(part.trim());
    const reasonText = (counted?.[2] ?? part).trim().replace(/\.$/, "");
    const reason: SchedulingReason = { category: categorize(reasonText), text: reasonText };
    if (counted) reason.count = Number(counted[1]);
    const resource = /^Insufficient (\S+)/.exec(reasonText)?.[1];
    if (resource !== undefined) reason.resource = resource;
    else if (/^Too many pods/i.test(reasonText)) reason.resource = "pods";
    const taint = /taints? \{([^}]*)\}/.exec(reasonText)?.[1];
    if (taint !== undefined) reason.taint = taint;
    // 1.34+: "node(s) had untolerated taint(s)" names no key; nothing to add then.
    failure.reasons.push(reason);
  }
  return failure;
}

function categorize(reason: string): SchedulingCategory {
  if (/^Insufficient |Too many pods/i.test(reason)) return "insufficient";
  if (/taint/i.test(reason)) return "taint";
  if (/node affinity\/selector|node selector|node\(s\) didn't match (?:Pod's )?node affinity/i.test(reason))
    return "node-affinity";
  if (
    /volume node affinity|persistentvolumeclaim|PersistentVolumeClaims|persistent volumes|volume/i.test(
      reason,
    )
  )
    return "volume";
  if (/anti-affinity|pod affinity/i.test(reason)) return "pod-affinity";
  if (/topology spread/i.test(reason)) return "topology-spread";
  if (/were unschedulable|is unschedulable/i.test(reason)) return "node-unschedulable";
  if (/free ports/i.test(reason)) return "ports";
  return "other";
}

const LABELS: Record<SchedulingCategory, string> = {
  insufficient: "insufficient",
  taint: "untolerated taint",
  "node-affinity": "didn't match the pod's node affinity/selector",
  "pod-affinity": "pod (anti-)affinity",
  "topology-spread": "topology spread constraints",
  volume: "volume binding",
  "node-unschedulable": "cordoned (unschedulable) node",
  ports: "host port in use",
  other: "other",
};

export function schedulingAnalyzer(pod: PodFacts): Candidate[] {
  if (pod.nodeName !== undefined) return []; // bound: old FailedScheduling events are history
  const condition = pod.conditions.find((c) => c.type === "PodScheduled" && c.status === "False");
  const events = pod.events.filter((e) => e.reason === "FailedScheduling");
  if (!condition && events.length === 0) return [];

  const message = condition?.message ?? events[0]?.message ?? "";
  const failure = parseSchedulingMessage(message);
  const evidence: string[] = [];
  if (condition) {
    evidence.push(
      `condition PodScheduled=False reason ${condition.reason ?? "Unschedulable"}${condition.message ? `: ${condition.message}` : ""}`,
    );
  }
  for (const event of events.slice(0, 2)) {
    evidence.push(
      event.message === condition?.message
        ? `event ${event.type} FailedScheduling x${event.count} (same message)`
        : describeEvent(event),
    );
  }
  const requests = podRequests(pod);
  if (Object.keys(requests).length > 0) {
    evidence.push(
      `pod requests: ${Object.entries(requests)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
  }
  const selector = Object.entries(pod.nodeSelector);
  if (selector.length > 0)
    evidence.push(`spec.nodeSelector: ${selector.map(([k, v]) => `${k}=${v}`).join(", ")}`);
  const claims = failure.reasons.some((r) => r.category === "volume") ? claimsOf(pod) : [];
  for (const claim of claims) evidence.push(...claim.evidence);

  const parts = failure.reasons.map((r) => {
    const what =
      r.category === "insufficient"
        ? `insufficient ${r.resource ?? "resources"}`
        : r.category === "taint"
          ? `untolerated taint {${r.taint ?? ""}}`
          : r.category === "other"
            ? r.text
            : LABELS[r.category];
    return r.count === undefined ? what : `${r.count} ${what}`;
  });
  const nodes =
    failure.total !== undefined
      ? `${failure.available ?? 0} of ${failure.total} nodes are available`
      : "no node fits";
  const unbound = claims.find((c) => c.why !== undefined) ?? claims[0];
  return [
    candidate({
      code: "Unschedulable",
      severity: "critical",
      summary: `Pod ${pod.name} cannot be scheduled: ${nodes}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}${
        unbound
          ? `; PersistentVolumeClaim ${unbound.name} is ${unbound.phase ?? "not bound"}${unbound.why ? `: ${unbound.why}` : ""}`
          : ""
      }.`,
      evidence,
      remediation: `${unbound?.fix ? `${unbound.fix}; ` : ""}${schedulingRemedy(pod, failure, requests)}`,
      commands: schedulingCommands(pod, failure, claims),
    }),
  ];
}

const PRESSURE_TAINT = /node\.kubernetes\.io\/(?:disk|memory|pid)-pressure/;

interface ClaimFacts {
  name: string;
  phase?: string;
  storageClass?: string;
  why?: string;
  fix?: string;
  evidence: string[];
}

/** The pod's claims, with what `related` says about them (phase, events, StorageClass). */
function claimsOf(pod: PodFacts): ClaimFacts[] {
  const names = pod.volumes.flatMap((v) => text(v, "persistentVolumeClaim", "claimName") ?? []);
  return names.map((name) => {
    const pvc = pod.related.find((r) => r.kind === "PersistentVolumeClaim" && r.name === name);
    const claim: ClaimFacts = { name, evidence: [] };
    if (!pvc) return claim;
    const phase = text(pvc.object, "status", "phase");
    const storageClass = text(pvc.object, "spec", "storageClassName");
    if (phase !== undefined) claim.phase = phase;
    if (storageClass !== undefined) claim.storageClass = storageClass;
    claim.evidence.push(
      `persistentvolumeclaim ${name}: phase ${phase ?? "?"}, storageClassName ${storageClass ?? "(none)"}`,
    );
    const warning = pvc.events.find((e) => e.type === "Warning") ?? pvc.events[0];
    if (warning) claim.evidence.push(`persistentvolumeclaim ${name} ${describeEvent(warning)}`);
    const sc = storageClass
      ? pod.related.find((r) => r.kind === "StorageClass" && r.name === storageClass)
      : undefined;
    if (sc) {
      claim.evidence.push(
        `storageclass ${sc.name}: provisioner ${text(sc.object, "provisioner") ?? "?"}, volumeBindingMode ${text(sc.object, "volumeBindingMode") ?? "Immediate"}`,
      );
    }
    explainClaim(claim, pvc, sc, pod);
    return claim;
  });
}

function explainClaim(
  claim: ClaimFacts,
  pvc: RelatedFacts,
  sc: RelatedFacts | undefined,
  pod: PodFacts,
): void {
  if (claim.phase === "Bound") return;
  const messages = pvc.events.map((e) => e.message).join("\n");
  const missingClass = /storageclass(?:\.storage\.k8s\.io)? "([^"]+)" not found/.exec(messages)?.[1];
  if (
    missingClass !== undefined ||
    (claim.storageClass !== undefined && !sc && pvc.events.length > 0 && /not found/.test(messages))
  ) {
    const name = missingClass ?? claim.storageClass ?? "";
    claim.why = `StorageClass ${name} does not exist`;
    claim.fix = `Claim ${claim.name} asks for StorageClass ${name}, which does not exist: set spec.storageClassName of the claim to an existing class (kubectl get storageclass) — a claim's class cannot be changed in place, so recreate the claim — or create that StorageClass`;
    return;
  }
  if (/no persistent volumes available for this claim and no storage class is set/.test(messages)) {
    claim.why = "it names no StorageClass and no PersistentVolume matches it";
    claim.fix = `Claim ${claim.name} has no storageClassName and there is no default StorageClass: recreate it with a class from kubectl get storageclass, or mark one class as default`;
    return;
  }
  const provisioner = /external provisioner '([^']+)'/.exec(messages)?.[1];
  if (provisioner !== undefined) {
    claim.why = `waiting for provisioner ${provisioner}`;
    claim.fix = `The provisioner ${provisioner} does not create the volume for claim ${claim.name}: check that its controller pods run and read their logs`;
    return;
  }
  const failed = pvc.events.find((e) => e.reason === "ProvisioningFailed");
  if (failed) {
    claim.why = failed.message;
    claim.fix = `Provisioning for claim ${claim.name} fails (${failed.message}): fix the StorageClass or the provisioner`;
    return;
  }
  if (!pod.related.some((r) => r.kind === "PersistentVolumeClaim" && r.name === claim.name)) return;
  claim.fix = `Claim ${claim.name} is ${claim.phase ?? "not bound"}: kubectl -n ${pod.namespace} describe pvc ${claim.name} shows why`;
}

function schedulingCommands(pod: PodFacts, failure: SchedulingFailure, claims: ClaimFacts[]): string[] {
  const commands: string[] = [];
  for (const claim of claims) commands.push(`${kubectl(pod)} describe pvc ${claim.name}`);
  if (claims.length > 0) commands.push("kubectl get storageclass");
  const categories = new Set(failure.reasons.map((r) => r.category));
  if (categories.has("insufficient"))
    commands.push('kubectl describe nodes | grep -A 8 "Allocated resources"');
  if (categories.has("taint") || categories.has("node-unschedulable"))
    commands.push("kubectl get nodes -o 'custom-columns=NAME:.metadata.name,TAINTS:.spec.taints[*].key'");
  if (categories.has("node-affinity")) {
    const selector = Object.entries(pod.nodeSelector).map(([k, v]) => `${k}=${v}`);
    commands.push(
      selector.length > 0 ? `kubectl get nodes -l ${selector.join(",")}` : "kubectl get nodes --show-labels",
    );
  }
  if (commands.length === 0) commands.push(`${kubectl(pod)} describe pod ${pod.name}`);
  return commands;
}

/** The pod's effective requests: the sum over containers, at least the largest init container. */
function podRequests(pod: PodFacts): Record<string, string> {
  const sums = new Map<string, number>();
  const raw = new Map<string, string>();
  for (const container of pod.containers) {
    for (const [resource, value] of Object.entries(container.requests)) {
      const parsed = parseQuantity(value);
      if (parsed === undefined) continue;
      const current = sums.get(resource) ?? 0;
      const next = container.kind === "init" ? Math.max(current, parsed) : current + parsed;
      sums.set(resource, next);
      raw.set(resource, next === parsed ? value : formatAmount(resource, next));
    }
  }
  return Object.fromEntries(raw);
}

function formatAmount(resource: string, amount: number): string {
  if (resource === "cpu")
    return amount >= 1 && Number.isInteger(amount) ? String(amount) : `${Math.round(amount * 1000)}m`;
  if (resource === "memory" || resource === "ephemeral-storage") return `${Math.ceil(amount / 2 ** 20)}Mi`;
  return String(amount);
}

function schedulingRemedy(
  pod: PodFacts,
  failure: SchedulingFailure,
  requests: Record<string, string>,
): string {
  const steps: string[] = [];
  const reasons = [...failure.reasons].sort((a, b) => (b.count ?? 0) - (a.count ?? 0));
  const seen = new Set<SchedulingCategory>();
  for (const reason of reasons) {
    if (reason.category === "insufficient") {
      const resource = reason.resource ?? "cpu";
      const requested = requests[resource];
      steps.push(
        `${reason.count ?? "Some"} node(s) lack free ${resource}${requested ? ` for the pod's request of ${requested}` : ""}: lower resources.requests.${resource} in ${workloadRef(pod)} or add capacity (compare: kubectl describe nodes | grep -A 8 "Allocated resources")`,
      );
      continue;
    }
    if (seen.has(reason.category)) continue;
    seen.add(reason.category);
    switch (reason.category) {
      case "node-affinity": {
        const selector = Object.entries(pod.nodeSelector).map(([k, v]) => `${k}=${v}`);
        steps.push(
          selector.length > 0
            ? `no node carries the labels of spec.nodeSelector (${selector.join(", ")}): check kubectl get nodes -l ${selector.join(",")}, then label a node (kubectl label node <node> ${selector.join(" ")}) or fix the selector in ${workloadRef(pod)}`
            : `no node matches the pod's node affinity: compare spec.affinity.nodeAffinity in ${workloadRef(pod)} with kubectl get nodes --show-labels`,
        );
        break;
      }
      case "taint": {
        // Each taint reason on its own: a pressure taint means "free the node", the control
        // plane's is expected, any other needs a toleration if the pod should run there.
        const taints = failure.reasons.filter((r) => r.category === "taint");
        const pressure = taints.filter((r) => PRESSURE_TAINT.test(r.taint ?? r.text));
        const unnamed = taints.filter((r) => r.taint === undefined);
        const other = taints.filter(
          (r) =>
            r.taint !== undefined && !PRESSURE_TAINT.test(r.taint) && !/control-plane|master/.test(r.taint),
        );
        for (const r of pressure) {
          steps.push(
            `${r.count ?? "some"} node(s) are tainted ${/node\.kubernetes\.io\/[a-z]+-pressure/.exec(r.taint ?? r.text)?.[0] ?? "with a pressure taint"} by the kubelet because they run out of a resource: free the node (kubectl describe node shows the condition), never add a toleration for it`,
          );
        }
        for (const r of unnamed) {
          steps.push(
            `${r.count ?? "some"} node(s) have a taint the pod does not tolerate (the scheduler no longer names it): list the taints (kubectl get nodes -o 'custom-columns=NAME:.metadata.name,TAINTS:.spec.taints[*].key'); a control-plane taint is expected, a *-pressure taint means free the node, any other needs a toleration in ${workloadRef(pod)} if the pod should run there`,
          );
        }
        for (const r of other) {
          steps.push(
            failure.reasons.every((x) => x.category === "taint" || x.category === "node-unschedulable")
              ? `every node has a taint the pod does not tolerate ({${r.taint}}): add a matching toleration to ${workloadRef(pod)} or remove the taint from the nodes`
              : `nodes tainted {${r.taint}} need a matching toleration if the pod should run there`,
          );
        }
        if (
          pressure.length + unnamed.length + other.length === 0 &&
          taints.length === failure.reasons.length
        ) {
          steps.push(
            `only the control plane is left and it is tainted for system pods: add a worker node or free capacity on the workers`,
          );
        }
        break;
      }
      case "volume":
        steps.push(
          `a volume cannot be bound (${reason.text}): ${kubectl(pod)} get pvc and kubectl describe pvc <claim> (StorageClass, provisioner, zone)`,
        );
        break;
      case "pod-affinity":
        steps.push(
          `pod (anti-)affinity rules exclude the nodes (${reason.text}): relax spec.affinity.podAntiAffinity or add nodes`,
        );
        break;
      case "topology-spread":
        steps.push(
          `topology spread constraints cannot be met: relax whenUnsatisfiable/maxSkew or add nodes in the missing zones`,
        );
        break;
      case "node-unschedulable":
        steps.push(`some nodes are cordoned: kubectl uncordon <node> when they are healthy`);
        break;
      case "ports":
        steps.push(`the requested hostPort is taken on the other nodes: drop hostPort or free it`);
        break;
      default:
        steps.push(reason.text);
    }
  }
  if (steps.length === 0)
    steps.push(
      `${kubectl(pod)} describe pod ${pod.name} and compare the pod's requests and selectors with kubectl describe nodes`,
    );
  return `${steps.join("; ")}.`;
}
