/**
 * `sre-lab status`: one look at the lab as data — nodes, Argo CD Applications, lab pods that are not
 * Ready (with the reason a human would look for first), whether Ollama has the model, and the URLs.
 * Read-only; the only process it starts is a short port-forward to Ollama, always stopped.
 */

import { InterruptedError, SreLabError, throwIfAborted } from "../core/errors.js";
import { firstLine } from "../core/text.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { KubeUnreachableError } from "../kube/errors.js";
import { type Condition, condition, isPodReady, type NodeObject } from "../kube/objects.js";
import type { Context } from "../runtime/context.js";
import {
  CLUSTER_NAME,
  DEFAULT_PORTS,
  type EXPOSED,
  hostPortUrl,
  KUBE_CONTEXT,
  type LabPorts,
  labPortsOf,
  NAMESPACES,
  NODE_ROLE_LABEL,
} from "./config.js";
import { labModel } from "./model.js";
import { startPortForward } from "./port-forward.js";
import { clusterFacts, isLabContext, providerOf } from "./provider/index.js";

/** Namespaces whose pods are the lab's (metrics-server is deployed into kube-system). */
export const LAB_POD_NAMESPACES: readonly string[] = [...Object.values(NAMESPACES), "kube-system"];

const OLLAMA = { namespace: NAMESPACES.ollama, service: "ollama", port: 11434, podLabel: "ollama" } as const;
const MODEL_CHECK = { portForwardReadyMs: 10_000, requestMs: 5_000 } as const;

export interface NodeStatus {
  name: string;
  /** The sre-lab.dev/role label (apps, ai), "control-plane", or "-". */
  role: string;
  ready: boolean;
  /** The Ready condition's reason when not ready. */
  reason?: string;
}

export interface ApplicationStatus {
  name: string;
  /** status.sync.status: Synced, OutOfSync, Unknown. */
  sync: string;
  /** status.health.status: Healthy, Progressing, Degraded, Suspended, Missing, Unknown. */
  health: string;
  /** status.sync.revision, shortened (a digest to 12 hex digits, a commit to 7). */
  revision: string;
  /** status.operationState.phase when an operation is running or failed. */
  operation?: string;
  /** The first condition's message, else the running or failed operation's, else the health message. */
  message?: string;
}

export interface PodProblem {
  namespace: string;
  name: string;
  phase: string;
  /** CrashLoopBackOff, ImagePullBackOff, Init:Error, Unschedulable, OOMKilled, Evicted, NotReady … */
  reason: string;
  /** The container the reason is about. */
  container?: string;
  /** How the previous run of that container ended: "OOMKilled, exit code 137". */
  lastTermination?: string;
  restarts: number;
  /** A scheduler or kubelet message, when there is one. */
  message?: string;
}

export interface ModelStatus {
  name: string;
  state: "present" | "missing" | "unknown";
  /** Why it is unknown. */
  detail?: string;
}

export interface LabUrl {
  name: keyof typeof EXPOSED;
  url: string;
}

export interface LabStatus {
  context: string;
  server: string;
  nodes: NodeStatus[];
  applications: ApplicationStatus[];
  /** Set when the Applications could not be listed (Argo CD not installed yet). */
  applicationsError?: string;
  unreadyPods: PodProblem[];
  model: ModelStatus;
  /** The lab's host ports; empty when the context is not the lab's. */
  urls: LabUrl[];
}

export function labUrl(name: keyof typeof EXPOSED, ports: LabPorts = DEFAULT_PORTS): string {
  return hostPortUrl(name, ports);
}

/** The Kubernetes client for the lab, with "no lab" failures said as such. */
export async function labKube(ctx: Context): Promise<KubeClient> {
  const kube = await ctx.kube();
  if (!ctx.kubeTarget.context && !isLabContext(kube.context)) {
    throw new SreLabError(`the current context is "${kube.context}", not the lab's "${KUBE_CONTEXT}"`, {
      hint: `create the lab with \`sre-lab up\`, or pass --context ${KUBE_CONTEXT} (--context ${kube.context} to look at that cluster anyway)`,
    });
  }
  return kube;
}

export async function getLabStatus(ctx: Context): Promise<LabStatus> {
  const kube = await labKube(ctx);
  let nodes: KubeObject[];
  try {
    nodes = await kube.list("v1", "Node");
  } catch (error) {
    if (error instanceof KubeUnreachableError && kube.context === KUBE_CONTEXT) {
      throw new SreLabError(error.message, {
        hint: `are the lab's nodes running? (docker ps --filter label=io.x-k8s.kind.cluster=${CLUSTER_NAME}); start Docker, or recreate with sre-lab down && sre-lab up`,
        cause: error,
      });
    }
    throw error;
  }
  throwIfAborted(ctx.signal);
  const [applications, pods] = await Promise.all([listApplications(kube), kube.list("v1", "Pod")]);
  const labPods = pods.filter((p) => LAB_POD_NAMESPACES.includes(p.metadata?.namespace ?? ""));
  const model = await checkModel(ctx, kube, labPods);
  return {
    context: kube.context,
    server: kube.server,
    nodes: nodes.map(nodeStatus).sort((a, b) => a.name.localeCompare(b.name)),
    applications: applications.items,
    ...(applications.error !== undefined ? { applicationsError: applications.error } : {}),
    unreadyPods: labPods
      .map(podProblem)
      .filter((p): p is PodProblem => p !== undefined)
      .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    model,
    // Only a provider whose nodes map host ports (kind) has URLs; read from the cluster, not assumed.
    urls: providerOf(clusterFacts(kube.context, nodes))
      .exposed(labPortsOf(nodes))
      .filter((service) => service.hostPort)
      .map((service) => ({ name: service.name, url: service.address })),
  };
}

export function nodeStatus(node: KubeObject): NodeStatus {
  const labels = node.metadata?.labels ?? {};
  const role =
    labels[NODE_ROLE_LABEL] ??
    ("node-role.kubernetes.io/control-plane" in labels ? "control-plane" : undefined) ??
    "-";
  const ready = condition(node as NodeObject, "Ready");
  const isReady = ready?.status === "True";
  return {
    name: node.metadata?.name ?? "?",
    role,
    ready: isReady,
    ...(!isReady ? { reason: ready?.reason ?? "no Ready condition yet" } : {}),
  };
}

interface ApplicationFields {
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    conditions?: { type?: string; message?: string }[];
    operationState?: { phase?: string; message?: string };
  };
}

async function listApplications(kube: KubeClient): Promise<{ items: ApplicationStatus[]; error?: string }> {
  try {
    const apps = await kube.list<KubeObject & ApplicationFields>("argoproj.io/v1alpha1", "Application", {
      namespace: NAMESPACES.argocd,
    });
    return { items: apps.map(applicationStatus).sort((a, b) => a.name.localeCompare(b.name)) };
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return { items: [], error: `could not list Argo CD Applications: ${(error as Error).message}` };
  }
}

export function applicationStatus(app: KubeObject & ApplicationFields): ApplicationStatus {
  const status = app.status ?? {};
  const phase = status.operationState?.phase;
  const operation = phase && phase !== "Succeeded" ? phase : undefined;
  const condition = status.conditions?.find((c) => c.message);
  const message =
    (condition ? `${condition.type ?? "Condition"}: ${condition.message}` : undefined) ??
    (operation ? status.operationState?.message : undefined) ??
    (status.health?.status && status.health.status !== "Healthy" ? status.health.message : undefined);
  return {
    name: app.metadata?.name ?? "?",
    sync: status.sync?.status ?? "Unknown",
    health: status.health?.status ?? "Unknown",
    revision: shortRevision(status.sync?.revision ?? status.sync?.revisions?.[0]),
    ...(operation ? { operation } : {}),
    ...(message ? { message: firstLine(message) } : {}),
  };
}

export function shortRevision(revision: string | undefined): string {
  if (!revision) return "-";
  const digest = /^sha256:([0-9a-f]{12})[0-9a-f]{52}$/.exec(revision);
  if (digest) return `sha256:${digest[1]}`;
  if (/^[0-9a-f]{40}$/.test(revision)) return revision.slice(0, 7);
  return revision;
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: object;
    terminated?: { reason?: string; exitCode?: number; message?: string };
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

interface PodFields {
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

/** Why a pod is not Ready, or undefined when it is Ready or has completed (a finished Job's pod). */
export function podProblem(pod: KubeObject & PodFields): PodProblem | undefined {
  const status = pod.status ?? {};
  const phase = status.phase ?? "Unknown";
  if (phase === "Succeeded" || isPodReady(pod)) return undefined;
  const containers = status.containerStatuses ?? [];
  const restarts = containers.reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
  const base = {
    namespace: pod.metadata?.namespace ?? "?",
    name: pod.metadata?.name ?? "?",
    phase,
    restarts,
  };
  const ended = (t: { reason?: string; exitCode?: number } | undefined) =>
    t ? `${t.reason ?? "terminated"}, exit code ${t.exitCode ?? "?"}` : undefined;
  const about = (c: ContainerStatus, reason: string, message?: string): PodProblem => {
    const last = ended(c.lastState?.terminated);
    return {
      ...base,
      reason,
      ...(c.name ? { container: c.name } : {}),
      ...(last ? { lastTermination: last } : {}),
      ...(message ? { message: firstLine(message) } : {}),
    };
  };

  // An init container that is stuck blocks everything after it.
  for (const c of status.initContainerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason;
    if (waiting && waiting !== "PodInitializing")
      return about(c, `Init:${waiting}`, c.state?.waiting?.message);
    const terminated = c.state?.terminated;
    if (terminated && terminated.exitCode !== 0) return about(c, `Init:${terminated.reason ?? "Error"}`);
  }
  for (const c of containers) {
    const waiting = c.state?.waiting;
    // CrashLoopBackOff's own message ("back-off 1m20s restarting failed container…") says less than
    // the last termination does; other waiting reasons' messages name the missing image or Secret.
    if (waiting?.reason && waiting.reason !== "ContainerCreating") {
      return about(c, waiting.reason, waiting.reason === "CrashLoopBackOff" ? undefined : waiting.message);
    }
  }
  for (const c of containers) {
    const terminated = c.state?.terminated;
    if (terminated) return about(c, terminated.reason ?? "Terminated", terminated.message);
  }
  if (status.reason)
    return {
      ...base,
      reason: status.reason,
      ...(status.message ? { message: firstLine(status.message) } : {}),
    };
  const unscheduled = status.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (unscheduled) {
    return {
      ...base,
      reason: unscheduled.reason ?? "Unschedulable",
      ...(unscheduled.message ? { message: firstLine(unscheduled.message) } : {}),
    };
  }
  const creating = containers.find((c) => c.state?.waiting?.reason === "ContainerCreating");
  if (creating) return about(creating, "ContainerCreating");
  const unready = containers.find((c) => c.state?.running && c.ready === false);
  if (unready) return about(unready, "NotReady", "running, but its readiness probe does not pass");
  return { ...base, reason: phase };
}

/** Asks the lab's Ollama whether it has the model, through a short-lived port-forward. */
async function checkModel(ctx: Context, kube: KubeClient, labPods: KubeObject[]): Promise<ModelStatus> {
  // The model the lab was brought up with (up --model), not necessarily the default.
  const model = await labModel(kube);
  const unknown = (detail: string): ModelStatus => ({ name: model, state: "unknown", detail });
  const ollamaReady = labPods.some(
    (p) =>
      p.metadata?.namespace === OLLAMA.namespace &&
      p.metadata?.labels?.["app.kubernetes.io/name"] === OLLAMA.podLabel &&
      isPodReady(p as KubeObject & PodFields),
  );
  if (!ollamaReady) return unknown(`no ready Ollama pod in namespace ${OLLAMA.namespace}`);
  let forward: Awaited<ReturnType<typeof startPortForward>> | undefined;
  try {
    forward = await startPortForward(ctx, {
      namespace: OLLAMA.namespace,
      service: OLLAMA.service,
      servicePort: OLLAMA.port,
      localPort: 0,
      context: kube.context,
      readyTimeoutMs: MODEL_CHECK.portForwardReadyMs,
    });
    const ollama = await ctx.ollama(`http://127.0.0.1:${forward.localPort}`, {
      timeoutMs: MODEL_CHECK.requestMs,
    });
    return { name: model, state: (await ollama.hasModel(model)) ? "present" : "missing" };
  } catch (error) {
    if (error instanceof InterruptedError || ctx.signal.aborted) throw new InterruptedError();
    return unknown(error instanceof Error ? error.message : String(error));
  } finally {
    await forward?.stop();
  }
}
