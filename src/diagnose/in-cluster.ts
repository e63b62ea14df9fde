/**
 * Running the diagnose agent as a Job in the target pod's namespace and streaming what it says.
 *
 * 1. Server-side apply of the agent's ServiceAccount, Role, RoleBinding, node ClusterRole and
 *    binding, its code ConfigMap and a new Job (agent-job.ts).
 * 2. Wait for the agent pod, failing fast with the cluster's own reason when it cannot start: the
 *    image cannot be pulled, the pod cannot be scheduled, or creating it was refused (a quota, Pod
 *    Security admission) — read from the pod's status and the Job's events.
 * 3. Follow the pod's log and hand each event to the caller as it arrives.
 * 4. Delete the Job (and so its pod) unless --keep: on success, on failure and on Ctrl-C; then
 *    everything else this run created (objects that were there before stay).
 *
 * Every wait has a deadline: the Job's activeDeadlineSeconds, plus a grace period here to read why
 * it ended.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { formatDuration } from "../core/duration.js";
import { DeadlineError, InterruptedError, SreLabError, throwIfAborted, UsageError } from "../core/errors.js";
import type { KubeClient, KubeObject, ObjectRef } from "../kube/client.js";
import { KubeForbiddenError } from "../kube/errors.js";
import type { Context } from "../runtime/context.js";
import {
  AGENT_CONTAINER,
  AGENT_IMAGE,
  AGENT_LABELS,
  type AgentCode,
  agentCodeOf,
  agentJobName,
  agentObjects,
} from "./agent-job.js";
import { record, records, text } from "./analyze/fields.js";
import type { AgentConfig } from "./engine/config.js";
import { type AgentEvent, AgentLogParser } from "./engine/protocol.js";

/** Time after the Job's deadline to see it end and read why. */
const DEADLINE_GRACE_MS = 20_000;
const POLL_MS = 500;
/** The log follower's own deadline, past the Job's: deleting the Job is what ends the stream. */
const FOLLOW_BACKSTOP_MS = 5 * 60_000;
/** Reading why the agent ended (the Job and its pod), after its log ended. */
const UNFINISHED_READ_MS = 15_000;
/** --keep: the Job stays a day; otherwise ttlSecondsAfterFinished cleans up after a CLI that died. */
const TTL_SECONDS = 600;
const KEEP_TTL_SECONDS = 86_400;
/** Container states that will not resolve on their own while we wait. */
const START_FAILURES = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

/** Where the CLI finds the agent's code: SRE_LAB_AGENT_JS, else dist/agent.js next to the CLI. */
export const AGENT_CODE_ENV = "SRE_LAB_AGENT_JS";

export function loadAgentCode(env: NodeJS.ProcessEnv): AgentCode {
  const explicit = env[AGENT_CODE_ENV];
  const candidates = explicit
    ? [explicit]
    : // dist/chunks/<chunk>.js when built, src/diagnose/in-cluster.ts when run from source.
      ["../agent.js", "./agent.js", "../../dist/agent.js"].map((p) =>
        fileURLToPath(new URL(p, import.meta.url)),
      );
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new SreLabError(`the agent's code was not found (${candidates.join(", ")})`, {
      hint: explicit
        ? `${AGENT_CODE_ENV} must name a file built by scripts/build.mjs`
        : "build it with npm run build, or run the agent on this machine with --local",
    });
  }
  return agentCodeOf(readFileSync(found, "utf8"));
}

export interface InClusterRequest {
  /** The target pod as the user's client read it. */
  pod: KubeObject;
  namespace: string;
  config: Omit<AgentConfig, "serviceAccountDir" | "namespace" | "pod" | "cluster">;
  keep: boolean;
  timeoutMs: number;
}

export async function runInCluster(
  ctx: Context,
  kube: KubeClient,
  request: InClusterRequest,
  onEvent: (event: AgentEvent) => void,
): Promise<void> {
  const code = loadAgentCode(ctx.env);
  const podName = request.pod.metadata?.name ?? "";
  const jobName = agentJobName(podName);
  const deadlineSeconds = Math.max(1, Math.ceil(request.timeoutMs / 1000));
  const objects = agentObjects({
    namespace: request.namespace,
    jobName,
    targetUid: request.pod.metadata?.uid,
    code,
    config: { ...request.config, namespace: request.namespace, pod: podName, cluster: kube.context },
    deadlineSeconds,
    ttlSeconds: request.keep ? KEEP_TTL_SECONDS : TTL_SECONDS,
  });
  const where = `namespace "${request.namespace}"`;
  // What this run created (not what was there before): removed at the end unless --keep.
  const created: KubeObject[] = [];
  const applyTracked = async (object: KubeObject): Promise<KubeObject> => {
    const existed = (await kube.find(refOf(object))) !== undefined;
    const applied = await kube.apply(object);
    if (!existed) created.push(object);
    return applied;
  };
  let jobStarted = false;
  const streams: Promise<unknown>[] = [];
  try {
    try {
      for (const object of [objects.serviceAccount, objects.role, objects.roleBinding])
        await applyTracked(object);
    } catch (error) {
      if (!(error instanceof KubeForbiddenError)) throw error;
      throw new SreLabError(
        `cannot create the agent's ServiceAccount and Role in ${where}: ${error.message}`,
        {
          hint: "diagnose needs a context that may create ServiceAccounts, Roles, RoleBindings, ConfigMaps and Jobs there; or run the agent on this machine with --local",
          cause: error,
        },
      );
    }
    try {
      await applyTracked(objects.clusterRole);
      await applyTracked(objects.clusterRoleBinding);
    } catch (error) {
      if (!(error instanceof KubeForbiddenError)) throw error;
      ctx.out.warn(
        `cannot let the agent read nodes (${error.message}); the node will be missing from the evidence`,
      );
    }
    await applyTracked(objects.configMap);
    const job = await kube.apply(objects.job);
    jobStarted = true;
    ctx.out.info(`agent Job ${request.namespace}/${jobName} started (image ${AGENT_IMAGE})`);

    const startedAt = ctx.clock.now();
    const deadlineAt = startedAt + deadlineSeconds * 1000 + DEADLINE_GRACE_MS;
    const agentPod = await waitForAgentPod(
      ctx,
      kube,
      request.namespace,
      jobName,
      job.metadata?.uid,
      deadlineAt,
    );
    ctx.out.debug(`following the log of pod ${agentPod}`);
    await followAgent(ctx, request, jobName, agentPod, deadlineAt, onEvent, streams);
  } finally {
    if (request.keep) {
      if (jobStarted)
        ctx.out.info(
          `kept Job ${jobName} (--keep): kubectl -n ${request.namespace} logs job/${jobName}; it is deleted after ${KEEP_TTL_SECONDS / 3600}h`,
        );
      if (created.length > 0)
        ctx.out.info(`kept what the agent created (--keep): ${created.map(describeObject).join(", ")}`);
    } else {
      if (jobStarted) {
        await deleteJob(ctx, request.namespace, jobName);
        // The pod is gone, so its log stream ends; give it a moment to close its connection.
        const grace = new AbortController();
        await Promise.race([
          Promise.all(streams),
          ctx.clock.sleep(3_000, grace.signal).catch(() => undefined),
        ]);
        grace.abort();
      }
      await removeCreated(ctx, request.namespace, jobName, created);
    }
  }
}

function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? "v1",
    kind: object.kind ?? "",
    name: object.metadata?.name ?? "",
    namespace: object.metadata?.namespace,
  };
}

function describeObject(object: KubeObject): string {
  const ns = object.metadata?.namespace;
  return `${object.kind} ${ns ? `${ns}/` : ""}${object.metadata?.name}`;
}

/**
 * Deletes what this run created, cluster-scoped RBAC included, with a client that ignores Ctrl-C.
 * Objects another agent run still uses stay: the namespace's RBAC while another agent Job is active
 * there, the nodes ClusterRole while another namespace's binding refers to it.
 */
async function removeCreated(
  ctx: Context,
  namespace: string,
  jobName: string,
  created: KubeObject[],
): Promise<void> {
  if (created.length === 0) return;
  const removed: string[] = [];
  const left: string[] = [];
  try {
    const kube = await (await ctx.cleanupContext(15_000)).kube();
    const otherJobs = (
      await kube.list("batch/v1", "Job", {
        namespace,
        labelSelector: `app.kubernetes.io/name=${AGENT_LABELS["app.kubernetes.io/name"]}`,
      })
    ).filter(
      (j) =>
        j.metadata?.name !== jobName &&
        !records(j, "status", "conditions").some(
          (c) => ["Complete", "Failed"].includes(text(c, "type") ?? "") && text(c, "status") === "True",
        ),
    );
    const byKind = (kind: string) => created.filter((o) => o.kind === kind);
    const order = ["ClusterRoleBinding", "ClusterRole", "RoleBinding", "Role", "ConfigMap", "ServiceAccount"];
    for (const kind of order) {
      for (const object of byKind(kind)) {
        const namespaced = kind !== "ClusterRole";
        if (namespaced && otherJobs.length > 0) {
          left.push(`${describeObject(object)} (agent Job ${otherJobs[0]?.metadata?.name} still uses it)`);
          continue;
        }
        if (kind === "ClusterRole") {
          const users = (await kube.list("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")).filter(
            (b) => text(b, "roleRef", "name") === object.metadata?.name,
          );
          if (users.length > 0) {
            left.push(`${describeObject(object)} (bound by ${users[0]?.metadata?.name})`);
            continue;
          }
        }
        await kube.delete(refOf(object));
        removed.push(describeObject(object));
      }
    }
  } catch (error) {
    ctx.out.warn(
      `could not remove everything the agent created (${error instanceof Error ? error.message : String(error)}); left: ${created
        .map(describeObject)
        .filter((d) => !removed.includes(d))
        .join(", ")}`,
    );
    return;
  }
  if (removed.length > 0) ctx.out.info(`removed what the agent created: ${removed.join(", ")}`);
  if (left.length > 0) ctx.out.info(`left in place: ${left.join("; ")}`);
}

async function waitForAgentPod(
  ctx: Context,
  kube: KubeClient,
  namespace: string,
  jobName: string,
  jobUid: string | undefined,
  deadlineAt: number,
): Promise<string> {
  let last = "no pod created yet";
  for (;;) {
    throwIfAborted(ctx.signal);
    const [job, pods, jobEvents] = await Promise.all([
      kube.find({ apiVersion: "batch/v1", kind: "Job", name: jobName, namespace }),
      kube.list("v1", "Pod", { namespace, labelSelector: `job-name=${jobName}` }),
      jobUid === undefined
        ? Promise.resolve([] as KubeObject[])
        : kube
            .list("v1", "Event", { namespace, fieldSelector: `involvedObject.uid=${jobUid}` })
            .catch(() => []),
    ]);
    if (!job)
      throw new SreLabError(`the agent Job ${namespace}/${jobName} disappeared before its pod started`);
    const pod = newest(pods);
    if (pod) {
      const phase = text(pod, "status", "phase");
      if (phase === "Running" || phase === "Succeeded" || phase === "Failed") return pod.metadata?.name ?? "";
      const blocked = startFailure(pod);
      if (blocked) throw blocked;
      last = describePod(pod);
    }
    // The controller's FailedCreate event says why (quota, Pod Security); the Job's own failure then
    // only says that the pod never ran.
    const refused = jobEvents.find(
      (e) => text(e, "type") === "Warning" && text(e, "reason") === "FailedCreate",
    );
    if (refused && !pod) {
      throw new SreLabError(
        `the cluster refused to create the agent pod: ${text(refused, "message") ?? "FailedCreate"}`,
        {
          hint: `a ResourceQuota, LimitRange or admission policy in namespace "${namespace}" rejects it (kubectl -n ${namespace} describe job ${jobName}); or run the agent on this machine with --local`,
        },
      );
    }
    const failed = jobFailure(job);
    if (failed) {
      throw new SreLabError(`the agent Job ${jobName} failed before its pod ran: ${failed}`, {
        hint: `kubectl -n ${namespace} describe job ${jobName}`,
      });
    }
    const remaining = deadlineAt - ctx.clock.now();
    if (remaining <= 0) {
      throw new DeadlineError(`timed out waiting for the agent pod of Job ${namespace}/${jobName} to start`, {
        details: `last seen: ${last}`,
        hint: `kubectl -n ${namespace} describe pod -l job-name=${jobName}`,
      });
    }
    await ctx.clock.sleep(Math.min(POLL_MS, remaining), ctx.signal);
  }
}

/** A waiting reason that will not fix itself, or an unschedulable pod, as an error to show. */
function startFailure(pod: KubeObject): SreLabError | undefined {
  const name = pod.metadata?.name ?? "";
  const namespace = pod.metadata?.namespace ?? "";
  const describe = `kubectl -n ${namespace} describe pod ${name}`;
  for (const status of records(pod, "status", "containerStatuses")) {
    const reason = text(status, "state", "waiting", "reason");
    if (reason === undefined || !START_FAILURES.has(reason)) continue;
    const message = text(status, "state", "waiting", "message");
    const why = `${reason}${message ? `: ${message}` : ""}`;
    const image = reason.includes("Image");
    return new SreLabError(`the agent pod cannot start: ${why}`, {
      hint: image
        ? `the cluster cannot pull ${AGENT_IMAGE}; check the nodes' access to the registry (${describe}), or run the agent on this machine with --local`
        : `${describe}; or run the agent on this machine with --local`,
    });
  }
  const scheduled = records(pod, "status", "conditions").find((c) => text(c, "type") === "PodScheduled");
  if (text(scheduled, "status") === "False" && text(scheduled, "reason") === "Unschedulable") {
    return new SreLabError(
      `the agent pod cannot be scheduled: ${text(scheduled, "message") ?? "Unschedulable"}`,
      {
        hint: `it requests 50m CPU and 64Mi memory; ${describe}`,
      },
    );
  }
  return undefined;
}

async function followAgent(
  ctx: Context,
  request: InClusterRequest,
  jobName: string,
  podName: string,
  deadlineAt: number,
  onEvent: (event: AgentEvent) => void,
  streams: Promise<unknown>[],
): Promise<void> {
  const { namespace } = request;
  // The deadline on the context's clock.
  const deadline = new AbortController();
  const ticking = new AbortController();
  ctx.clock.sleep(Math.max(1, deadlineAt - ctx.clock.now()), ticking.signal).then(
    () => deadline.abort(),
    () => undefined,
  );
  // A client that outlives Ctrl-C (the clean-up context's), and the stream raced against Ctrl-C and
  // the deadline instead: aborting client-node's log stream leaves an unhandled AbortError and a
  // stream that never ends. Deleting the Job (runInCluster's cleanup) ends the stream on the
  // server's side; the clean-up deadline is only a backstop well after the Job's own.
  const follower = await (
    await ctx.cleanupContext(Math.max(1, deadlineAt - ctx.clock.now()) + FOLLOW_BACKSTOP_MS)
  ).kube();
  const parser = new AgentLogParser();
  let finished = false;
  let agentError: Extract<AgentEvent, { type: "error" }> | undefined;
  let failedToHandle: unknown;
  const handle = (events: AgentEvent[]) => {
    for (const event of events) {
      if (event.type === "done") finished = true;
      if (event.type === "error") agentError = event;
      try {
        onEvent(event);
      } catch (error) {
        // Thrown from inside the log stream's callback: carried out once the stream ends.
        failedToHandle ??= error;
      }
    }
  };
  const following = follower.followLog(namespace, podName, {
    container: AGENT_CONTAINER,
    onData: (chunk) => handle(parser.push(chunk)),
  });
  streams.push(following.catch(() => undefined));
  const stopped = AbortSignal.any([ctx.signal, deadline.signal]);
  let onStop = () => {};
  const stop = new Promise<"stopped">((resolve) => {
    onStop = () => resolve("stopped");
    if (stopped.aborted) onStop();
    else stopped.addEventListener("abort", onStop, { once: true });
  });
  try {
    const outcome = await Promise.race([following.then(() => "ended" as const), stop]);
    if (outcome === "stopped" && ctx.signal.aborted) throw new InterruptedError();
  } finally {
    stopped.removeEventListener("abort", onStop);
    ticking.abort();
  }
  handle(parser.end());
  if (failedToHandle !== undefined) throw failedToHandle;
  if (agentError) {
    const { message, hint, exitCode } = agentError;
    throw exitCode === 2
      ? new UsageError(message, { hint })
      : new SreLabError(`the agent failed: ${message}`, { hint });
  }
  if (finished) return;
  throw await unfinished(ctx, request, jobName, podName, parser.lastLines, deadline.signal.aborted);
}

/** Why the agent's log ended without `done`: the Job's deadline, or how its container ended. */
async function unfinished(
  ctx: Context,
  request: InClusterRequest,
  jobName: string,
  podName: string,
  lastLines: string[],
  pastDeadline: boolean,
): Promise<SreLabError> {
  const { namespace } = request;
  const details =
    lastLines.length > 0
      ? `last log lines:\n${lastLines.map((l) => `  ${l}`).join("\n")}`
      : "the agent wrote nothing";
  const kube = await (await ctx.cleanupContext(UNFINISHED_READ_MS)).kube();
  const [job, pod] = await Promise.all([
    kube.find({ apiVersion: "batch/v1", kind: "Job", name: jobName, namespace }).catch(() => undefined),
    kube.find({ apiVersion: "v1", kind: "Pod", name: podName, namespace }).catch(() => undefined),
  ]);
  const failure = job ? jobFailure(job) : undefined;
  if (failure?.startsWith("DeadlineExceeded") || pastDeadline) {
    return new DeadlineError(
      `the agent did not finish within ${formatDuration(request.timeoutMs)} (${failure ?? "no answer from the agent"})`,
      {
        details,
        hint: "the model may be slow on this machine: allow more time with --timeout, or skip it with --no-ai",
      },
    );
  }
  const terminated = records(pod, "status", "containerStatuses")
    .map((s) => record(s, "state", "terminated"))
    .find((t) => t !== undefined);
  const how = terminated
    ? `its container ended (${text(terminated, "reason") ?? "terminated"}, exit code ${text(terminated, "exitCode") ?? "?"})`
    : failure
      ? `the Job failed (${failure})`
      : "its log ended";
  return new SreLabError(`the agent stopped before it finished: ${how}`, {
    details,
    hint: `run again with --keep and read kubectl -n ${namespace} logs job/${jobName}`,
  });
}

/** Deletes the Job and its pod, also after Ctrl-C (with a client that ignores the aborted signal). */
async function deleteJob(ctx: Context, namespace: string, jobName: string): Promise<void> {
  const ref = { apiVersion: "batch/v1", kind: "Job", name: jobName, namespace };
  try {
    const kube = await (await ctx.cleanupContext(10_000)).kube();
    await kube.delete(ref, { propagationPolicy: "Background" });
    ctx.out.debug(`deleted Job ${namespace}/${jobName}`);
  } catch (error) {
    ctx.out.warn(
      `could not delete the agent Job ${namespace}/${jobName} (${error instanceof Error ? error.message : String(error)}); its ttlSecondsAfterFinished removes it later`,
    );
  }
}

/** "DeadlineExceeded: Job was active longer than specified deadline", when the Job failed. */
function jobFailure(job: KubeObject): string | undefined {
  const failed = records(job, "status", "conditions").find(
    (c) => text(c, "type") === "Failed" && text(c, "status") === "True",
  );
  if (!failed) return undefined;
  const reason = text(failed, "reason") ?? "Failed";
  const message = text(failed, "message");
  return message ? `${reason}: ${message}` : reason;
}

function describePod(pod: KubeObject): string {
  const phase = text(pod, "status", "phase") ?? "Pending";
  const waiting = records(pod, "status", "containerStatuses")
    .map((s) => text(s, "state", "waiting", "reason"))
    .find((r) => r !== undefined);
  return `pod ${pod.metadata?.name} ${phase}${waiting ? ` (${waiting})` : ""}`;
}

function newest(pods: KubeObject[]): KubeObject | undefined {
  const created = (p: KubeObject) => text(p, "metadata", "creationTimestamp") ?? "";
  return [...pods].sort((a, b) => created(b).localeCompare(created(a)))[0];
}
