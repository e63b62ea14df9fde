/**
 * node-failure: the apps worker's kind node container is stopped (`docker stop`), as if the machine
 * lost power. The kubelet stops posting status; after the node monitor grace period the node
 * lifecycle controller marks the node Ready=Unknown, taints it unreachable and marks its pods not
 * Ready (NodeNotReady events); after the pods' unreachable toleration (300 s by default) it evicts
 * them and their controllers re-create them on the other nodes. Revert starts the container again
 * and waits for the node to be Ready.
 *
 * Only the worker labelled sre-lab.dev/role=apps is ever stopped: never the control plane, and never
 * the AI worker that runs Ollama (diagnose needs it). The lab's provider, read from the cluster,
 * owns the node containers: for kind the node must be a node of the kind cluster sre-lab by its
 * providerID and by the container's kind label (src/lab/provider/kind.ts), so another cluster is
 * never touched; a provider without node containers refuses with its reason.
 */

import { formatDuration } from "../../core/duration.js";
import { DeadlineError, InterruptedError, SreLabError } from "../../core/errors.js";
import { firstLine } from "../../core/text.js";
import { condition, isPodReady, type NodeObject, nameOf, type Pod, timeText } from "../../kube/objects.js";
import { NODE_ROLE_LABEL } from "../../lab/config.js";
import { detectProvider, isUnsupported } from "../../lab/provider/index.js";
import type { NodeContainers } from "../../lab/provider/types.js";
import { describePods, notSeen, TARGET } from "../lab.js";
import type { ChaosRun, Injection, Scenario, Verification } from "../types.js";

export const NODE_READY_TIMEOUT_MS = 180_000;
/** The role of the worker this scenario stops. */
export const STOPPED_ROLE = "apps";
/** What Kubernetes adds to pods without their own (DefaultTolerationSeconds admission plugin). */
const DEFAULT_TOLERATION_SECONDS = 300;

export const nodeFailureScenario: Scenario = {
  name: "node-failure",
  breaks: `the apps worker node: its kind container is stopped (docker stop), as if the machine died`,
  expectedFinding: "NodeNotReady",
  goodDiagnosis:
    "The pod is not Ready because its node is NotReady/unreachable (the kubelet stopped posting status), not because of its containers. Restore the node (docker start the kind container); Kubernetes evicts its pods after 5 minutes and re-creates them elsewhere.",
  verifyTimeoutMs: 150_000,
  usesDocker: true,
  plan: () => [
    `stop the kind node container of the worker labelled ${NODE_ROLE_LABEL}=${STOPPED_ROLE} (docker stop NODE)`,
  ],

  async inject(run) {
    const containers = await labNodeContainers(run);
    const node = await appsWorker(run);
    const name = nameOf(node);
    if (condition(node, "Ready")?.status !== "True") {
      throw new SreLabError(`node ${name} is not Ready now, so stopping it would prove nothing`, {
        hint: "restore the lab first: sre-lab chaos reset (it starts stopped node containers)",
      });
    }
    await containers.containerOf(run.runner, node, "running");
    const pods = await run.kube.list<Pod>("v1", "Pod", { fieldSelector: `spec.nodeName=${name}` });
    const affected = pods
      .filter(
        (p) =>
          p.metadata?.namespace === TARGET.namespace &&
          p.metadata?.labels?.["app.kubernetes.io/name"] === "target-app",
      )
      .sort((a, b) => nameOf(a).localeCompare(nameOf(b)))[0];
    try {
      await containers.stop(run.runner, name);
    } catch (error) {
      if (error instanceof SreLabError && !(error instanceof InterruptedError)) {
        throw new SreLabError(error.message, {
          ...(error.details ? { details: error.details } : {}),
          hint: "the node may be stopped or not; sre-lab chaos reset starts stopped lab nodes",
          cause: error,
        });
      }
      throw error;
    }
    const injection: Injection = {
      actions: [
        `stopped the kind node container ${name} (docker stop ${name})`,
        `${pods.length} pod${pods.length === 1 ? " was" : "s were"} running on it${affected ? `, among them ${TARGET.namespace}/${nameOf(affected)}` : ""}`,
      ],
      verify: (run, deadlineAt) => verifyNodeDown(run, name, affected, pods.length, deadlineAt),
      revert: async (run) => startNodes(run, containers, [name]),
    };
    return injection;
  },

  async revert(run) {
    const containers = await labNodeContainers(run);
    return startNodes(run, containers, await containers.stopped(run.runner));
  },
};

/** The node containers of the lab's provider, read from the cluster; an error with its reason when it has none. */
async function labNodeContainers(run: ChaosRun): Promise<NodeContainers> {
  const provider = await detectProvider(run.kube);
  const { nodeContainers } = provider;
  if (isUnsupported(nodeContainers)) {
    throw new SreLabError(`node-failure cannot stop a node here: ${nodeContainers.unsupported}`, {
      hint:
        nodeContainers.hint ??
        "node-failure needs the lab's kind cluster (sre-lab up creates the apps worker)",
    });
  }
  return nodeContainers;
}

async function appsWorker(run: ChaosRun): Promise<NodeObject> {
  const nodes = await run.kube.list<NodeObject>("v1", "Node", {
    labelSelector: `${NODE_ROLE_LABEL}=${STOPPED_ROLE}`,
  });
  const node = nodes.sort((a, b) => nameOf(a).localeCompare(nameOf(b)))[0];
  if (!node) {
    throw new SreLabError(`the cluster has no node labelled ${NODE_ROLE_LABEL}=${STOPPED_ROLE}`, {
      hint: "node-failure needs the lab's kind cluster (sre-lab up creates the apps worker)",
    });
  }
  return node;
}

async function verifyNodeDown(
  run: ChaosRun,
  name: string,
  affected: Pod | undefined,
  podCount: number,
  deadlineAt: number,
): Promise<Verification> {
  let last: NodeObject | undefined;
  const what = `node ${name} to be reported NotReady`;
  let node: NodeObject;
  try {
    node = await run.kube.waitFor<NodeObject, NodeObject>(
      "v1",
      "Node",
      { fieldSelector: `metadata.name=${name}` },
      (nodes) => {
        last = nodes[0];
        return last && condition(last, "Ready")?.status !== "True" ? last : undefined;
      },
      { timeoutMs: Math.max(1, deadlineAt - run.now()), what },
    );
  } catch (error) {
    if (error instanceof DeadlineError) {
      throw notSeen(what, [
        last ? `node ${name}: ${describeReady(last)}` : `node ${name}: not found`,
        "the node lifecycle controller marks a node Unknown only after its grace period (node-monitor-grace-period, about 50 s)",
      ]);
    }
    throw error;
  }
  const evidence = [`node ${name}: ${describeReady(node)}`];
  const taints = (node.spec?.taints ?? []).filter((t) => t.key?.startsWith("node.kubernetes.io/"));
  if (taints.length > 0)
    evidence.push(`node taints: ${taints.map((t) => `${t.key}:${t.effect ?? ""}`).join(", ")}`);
  let pod: Verification["pod"];
  if (affected) {
    const podName = nameOf(affected);
    const podWhat = `pod ${podName} on node ${name} to be marked not Ready`;
    let lastPod: Pod[] = [];
    try {
      const seen = await run.kube.waitFor<Pod, Pod | "gone">(
        "v1",
        "Pod",
        { namespace: TARGET.namespace, fieldSelector: `metadata.name=${podName}` },
        (pods) => {
          lastPod = pods;
          const current = pods[0];
          if (!current) return "gone";
          return isPodReady(current) ? undefined : current;
        },
        { timeoutMs: Math.max(1, deadlineAt - run.now()), what: podWhat },
      );
      if (seen === "gone") {
        evidence.push(`pod ${TARGET.namespace}/${podName} was on it and is already gone (evicted)`);
      } else {
        const ready = condition(seen, "Ready");
        evidence.push(
          `pod ${TARGET.namespace}/${podName} on it: Ready=${ready?.status ?? "?"}${ready?.reason ? ` reason=${ready.reason}` : ""}`,
        );
        pod = { namespace: TARGET.namespace, name: podName };
      }
    } catch (error) {
      if (error instanceof DeadlineError) throw notSeen(podWhat, describePods(lastPod, TARGET.container));
      throw error;
    }
    const seconds =
      affected.spec?.tolerations?.find((t) => t.key === "node.kubernetes.io/unreachable")
        ?.tolerationSeconds ?? DEFAULT_TOLERATION_SECONDS;
    evidence.push(
      `${podCount} pod${podCount === 1 ? "" : "s"} ran on it; Kubernetes evicts them after their ${seconds} s unreachable toleration and their controllers re-create them on the other nodes`,
    );
  } else {
    evidence.push(`no target-app pod ran on ${name}: diagnose any pod that was on it`);
  }
  return { evidence, ...(pod ? { pod } : {}) };
}

function describeReady(node: NodeObject): string {
  const ready = condition(node, "Ready");
  if (!ready) return "no Ready condition";
  return `Ready=${ready.status ?? "?"}${ready.reason ? ` reason=${ready.reason}` : ""}${
    ready.message ? `: ${firstLine(ready.message)}` : ""
  }${ready.lastTransitionTime ? ` (since ${timeText(ready.lastTransitionTime)})` : ""}`;
}

/** docker start each container, then wait for each node to be Ready again. */
async function startNodes(run: ChaosRun, containers: NodeContainers, names: string[]): Promise<string[]> {
  const done: string[] = [];
  for (const name of names) {
    await containers.start(run.runner, name);
    done.push(`started the kind node container ${name} (docker start ${name})`);
  }
  for (const name of names) {
    const started = run.now();
    try {
      await run.kube.waitFor<NodeObject, true>(
        "v1",
        "Node",
        { fieldSelector: `metadata.name=${name}` },
        (nodes) => (nodes[0] && condition(nodes[0], "Ready")?.status === "True" ? true : undefined),
        {
          timeoutMs: NODE_READY_TIMEOUT_MS,
          what: `node ${name} to be Ready again`,
          describe: (nodes) => (nodes[0] ? describeReady(nodes[0]) : "not found"),
        },
      );
    } catch (error) {
      if (error instanceof DeadlineError) {
        throw new SreLabError(
          `node ${name} was not Ready ${formatDuration(NODE_READY_TIMEOUT_MS)} after docker start`,
          {
            ...(error.details ? { details: error.details } : {}),
            hint: `look at the node's kubelet: docker exec ${name} journalctl -u kubelet --no-pager | tail; if it stays broken, recreate the lab (sre-lab down && sre-lab up)`,
          },
        );
      }
      throw error;
    }
    done.push(`node ${name} is Ready again after ${formatDuration(run.now() - started)}`);
  }
  return done;
}
