/**
 * What every scenario shares: the lab's names, the labels that mark chaos objects as the lab's,
 * the target app, labelled clean-up, and waits that turn a deadline into "what we saw".
 */

import { formatDuration } from "../core/duration.js";
import { DeadlineError, SreLabError } from "../core/errors.js";
import { firstLine } from "../core/text.js";
import type { KubeObject } from "../kube/client.js";
import {
  type ContainerSpec,
  type Deployment,
  describeContainer,
  type EventObject,
  isPodReady,
  type Pod,
  containerStatus as statusOf,
} from "../kube/objects.js";
import { NAMESPACES } from "../lab/config.js";
import { podProblem } from "../lab/status.js";
import type { ScenarioName } from "./catalogue.js";
import { type ChaosRun, NotVerifiedError } from "./types.js";

/** Every object chaos creates carries this label, its value the scenario's name. */
export const CHAOS_LABEL = "sre-lab.dev/chaos";
/** Field manager of every write chaos makes (visible in managedFields). */
export const FIELD_MANAGER = "sre-lab-chaos";

export const TARGET = {
  namespace: NAMESPACES.app,
  deployment: "target-app",
  container: "app",
  application: "target-app",
  selector: "app.kubernetes.io/name=target-app",
  port: 8080,
} as const;

/** Labels for objects chaos creates: the lab's (part-of) and the scenario's. */
export function chaosLabels(scenario: ScenarioName): Record<string, string> {
  return {
    "app.kubernetes.io/part-of": "sre-lab",
    "app.kubernetes.io/managed-by": FIELD_MANAGER,
    [CHAOS_LABEL]: scenario,
  };
}

export function chaosSelector(scenario: ScenarioName): string {
  return `${CHAOS_LABEL}=${scenario}`;
}

/** The lab's target-app Deployment; a clear error when the lab has none. */
export async function targetDeployment(run: ChaosRun): Promise<Deployment> {
  const deployment = await run.kube.find<Deployment>({
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: TARGET.deployment,
    namespace: TARGET.namespace,
  });
  if (!deployment) {
    throw new SreLabError(`the lab has no Deployment ${TARGET.namespace}/${TARGET.deployment}`, {
      hint: "is the lab up and synced? Check with sre-lab status (sre-lab up creates it)",
    });
  }
  return deployment;
}

export function appContainer(deployment: Deployment): ContainerSpec {
  const container = deployment.spec?.template?.spec?.containers.find((c) => c.name === TARGET.container);
  if (!container?.image) {
    throw new SreLabError(
      `Deployment ${TARGET.namespace}/${TARGET.deployment} has no container "${TARGET.container}" with an image`,
      { hint: "the lab's manifests were changed; restore manifests/target-app and run sre-lab sync" },
    );
  }
  return container;
}

/** A Ready, Running target-app pod with an IP (the same one each time: sorted by name). */
export async function readyTargetPod(run: ChaosRun): Promise<Pod> {
  const pods = await run.kube.list<Pod>("v1", "Pod", {
    namespace: TARGET.namespace,
    labelSelector: TARGET.selector,
  });
  const ready = pods
    .filter((p) => p.status?.phase === "Running" && p.status.podIP && !p.metadata?.deletionTimestamp)
    .filter(isPodReady)
    .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  const pod = ready[0];
  if (!pod) {
    const seen = pods.map((p) => `${p.metadata?.name}: ${podProblem(p)?.reason ?? "Ready"}`);
    throw new SreLabError(`no Ready target-app pod in namespace ${TARGET.namespace}`, {
      details: seen.length > 0 ? `pods: ${seen.join(", ")}` : "no target-app pods at all",
      hint: "wait until the lab is healthy (sre-lab status), or run sre-lab chaos reset",
    });
  }
  return pod;
}

/** Pods with a label selector (or one pod by name) until `check` holds; NotVerifiedError at the deadline. */
export async function waitForPods<R>(
  run: ChaosRun,
  options: { labelSelector?: string; name?: string; namespace?: string },
  check: (pods: Pod[]) => R | undefined,
  what: string,
  deadlineAt: number,
  describe: (pods: Pod[]) => string[],
): Promise<R> {
  let last: Pod[] = [];
  try {
    return await run.kube.waitFor<Pod, R>(
      "v1",
      "Pod",
      {
        namespace: options.namespace ?? TARGET.namespace,
        ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
        ...(options.name ? { fieldSelector: `metadata.name=${options.name}` } : {}),
      },
      (pods) => {
        last = pods;
        return check(pods);
      },
      { timeoutMs: Math.max(1, deadlineAt - run.now()), what },
    );
  } catch (error) {
    if (error instanceof DeadlineError) throw notSeen(what, describe(last));
    throw error;
  }
}

/** The deadline passed: say what we waited for and what was there. */
export function notSeen(what: string, saw: string[]): NotVerifiedError {
  return new NotVerifiedError(`${what} did not happen before the deadline`, saw);
}

/** "pod x: container app waiting (CrashLoopBackOff), restartCount 3, …" for each pod. */
export function describePods(pods: Pod[], container: string): string[] {
  if (pods.length === 0) return ["no pod yet"];
  return pods.map((pod) => {
    const problem = podProblem(pod);
    const status = statusOf(pod, container);
    const scheduling =
      !status && problem?.message ? ` (${problem.reason}: ${firstLine(problem.message)})` : "";
    return `pod ${pod.metadata?.name ?? "?"} (${pod.status?.phase ?? "Pending"}${scheduling}): container ${container} ${describeContainer(status)}`;
  });
}

/** Events about one pod, newest last. */
export async function podEvents(run: ChaosRun, pod: Pod): Promise<EventObject[]> {
  return run.kube.list<EventObject>("v1", "Event", {
    namespace: pod.metadata?.namespace ?? TARGET.namespace,
    fieldSelector: `involvedObject.name=${pod.metadata?.name ?? ""}`,
  });
}

export function describeEvent(event: EventObject): string {
  const count = event.count && event.count > 1 ? ` (x${event.count})` : "";
  return `event ${event.type ?? "Normal"} ${event.reason ?? "?"}: ${firstLine(event.message ?? "")}${count}`;
}

/**
 * Deletes what a scenario created (Deployments, Pods, ConfigMaps with its label) and waits, until
 * `deadlineMs` from now, for its pods to be gone. Returns one line per deleted object.
 */
export async function deleteLabelled(
  run: ChaosRun,
  scenario: ScenarioName,
  deadlineMs = 90_000,
): Promise<string[]> {
  const selector = chaosSelector(scenario);
  const done: string[] = [];
  const scope = { namespace: TARGET.namespace, labelSelector: selector };
  const deleteAll = async (apiVersion: string, kind: string, record: boolean) => {
    for (const object of await run.kube.list<KubeObject>(apiVersion, kind, scope)) {
      const name = object.metadata?.name ?? "";
      const deleted = await run.kube.delete({ apiVersion, kind, name, namespace: TARGET.namespace });
      if (deleted && record) done.push(`deleted ${kind} ${TARGET.namespace}/${name}`);
    }
  };
  await deleteAll("apps/v1", "Deployment", true);
  await deleteAll("v1", "ConfigMap", true);
  // A Deployment's pods go with it; bare pods (the oom driver) are worth a line of their own.
  await deleteAll("v1", "Pod", !done.some((line) => line.startsWith("deleted Deployment")));
  if (done.length > 0) {
    try {
      await run.kube.waitFor<Pod, true>(
        "v1",
        "Pod",
        { namespace: TARGET.namespace, labelSelector: selector },
        (pods) => (pods.length === 0 ? true : undefined),
        {
          timeoutMs: deadlineMs,
          what: `the ${scenario} drill's pods to be gone`,
          describe: (pods) => pods.map((p) => p.metadata?.name ?? "?").join(", "),
        },
      );
    } catch (error) {
      if (error instanceof DeadlineError) {
        throw new SreLabError(
          `the ${scenario} drill's pods were still terminating after ${formatDuration(deadlineMs)}`,
          {
            ...(error.details ? { details: error.details } : {}),
            hint: `check them with kubectl -n ${TARGET.namespace} get pods -l ${selector}; run sre-lab chaos reset again`,
          },
        );
      }
      throw error;
    }
  }
  return done;
}

/** Throws when an earlier run of the scenario is still in the lab (revert it first). */
export async function refuseLeftovers(run: ChaosRun, scenario: ScenarioName): Promise<void> {
  const selector = chaosSelector(scenario);
  const [deployments, pods] = await Promise.all([
    run.kube.list<KubeObject>("apps/v1", "Deployment", {
      namespace: TARGET.namespace,
      labelSelector: selector,
    }),
    run.kube.list<KubeObject>("v1", "Pod", { namespace: TARGET.namespace, labelSelector: selector }),
  ]);
  const left = [
    ...deployments.map((d) => `Deployment ${d.metadata?.name}`),
    ...pods.map((p) => `pod ${p.metadata?.name}`),
  ];
  if (left.length > 0) {
    throw new SreLabError(`an earlier ${scenario} drill is still in the lab: ${left.join(", ")}`, {
      hint: `revert it first: sre-lab chaos ${scenario} --revert`,
    });
  }
}

export function diagnoseCommand(pod: { namespace: string; name: string }): string {
  return `sre-lab diagnose ${pod.name} -n ${pod.namespace}`;
}
