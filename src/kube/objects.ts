/**
 * The Kubernetes object shapes the lab reads and writes (pods, deployments, nodes, events, Argo CD
 * Applications), and the readers every layer shares: conditions, readiness, container statuses and
 * terminations. Objects come from the API server, so every field is optional. (Evidence from a
 * pasted bundle is not typed this way: diagnose/analyze/fields.ts reads it without trusting shapes.)
 */
import { firstLine } from "../core/text.js";
import type { KubeObject } from "./client.js";

/** client-node turns the API's RFC 3339 strings into Dates on some paths (lists), not on others (watches). */
export type Time = string | Date;

export function timeText(time: Time | undefined): string | undefined {
  if (time === undefined) return undefined;
  return time instanceof Date ? time.toISOString().replace(".000Z", "Z") : time;
}

export interface Terminated {
  reason?: string;
  exitCode?: number;
  message?: string;
  startedAt?: Time;
  finishedAt?: Time;
}

export interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: Time };
    terminated?: Terminated;
  };
  lastState?: { terminated?: Terminated };
}

export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: Time;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

export interface Probe {
  httpGet?: { path?: string; port?: number | string };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  [key: string]: unknown;
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  [key: string]: unknown;
}

export interface PodSpec {
  containers: ContainerSpec[];
  nodeName?: string;
  tolerations?: { key?: string; effect?: string; tolerationSeconds?: number }[];
  [key: string]: unknown;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: {
    phase?: string;
    podIP?: string;
    reason?: string;
    message?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
  };
}

export interface Deployment extends KubeObject {
  spec?: {
    replicas?: number;
    revisionHistoryLimit?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpec };
    [key: string]: unknown;
  };
}

export interface NodeObject extends KubeObject {
  spec?: { providerID?: string; taints?: { key?: string; effect?: string }[]; unschedulable?: boolean };
  status?: { conditions?: Condition[] };
}

export interface EventObject extends KubeObject {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string; namespace?: string; fieldPath?: string };
}

export interface Application extends KubeObject {
  spec?: { syncPolicy?: { automated?: { selfHeal?: boolean; prune?: boolean } } };
  status?: {
    sync?: { status?: string };
    health?: { status?: string };
    operationState?: { phase?: string; message?: string; finishedAt?: Time };
  };
}

export function nameOf(object: KubeObject | undefined): string {
  return object?.metadata?.name ?? "?";
}

export function containerStatus(pod: Pod, container: string): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === container);
}

export function condition(
  object: { status?: { conditions?: Condition[] } } | undefined,
  type: string,
): Condition | undefined {
  return object?.status?.conditions?.find((c) => c.type === type);
}

export function isPodReady(pod: Pod): boolean {
  return condition(pod, "Ready")?.status === "True";
}

export function isNodeReady(node: NodeObject): boolean {
  return condition(node, "Ready")?.status === "True";
}

/** The most recent termination of a container: the current one while it is down, else the last. */
export function lastTermination(status: ContainerStatus | undefined): Terminated | undefined {
  return status?.state?.terminated ?? status?.lastState?.terminated;
}

export function describeTermination(t: Terminated): string {
  return [
    `reason=${t.reason ?? "?"}`,
    `exitCode=${t.exitCode ?? "?"}`,
    ...(t.finishedAt ? [`finishedAt=${timeText(t.finishedAt)}`] : []),
  ].join(" ");
}

/** One line about a container, for "what we saw": state, restarts and last termination. */
export function describeContainer(status: ContainerStatus | undefined): string {
  if (!status) return "no container status yet";
  const state = status.state?.waiting
    ? `waiting (${status.state.waiting.reason ?? "?"}${status.state.waiting.message ? `: ${firstLine(status.state.waiting.message)}` : ""})`
    : status.state?.terminated
      ? `terminated (${describeTermination(status.state.terminated)})`
      : status.state?.running
        ? "running"
        : "no state";
  const last = status.lastState?.terminated;
  return `${state}, restartCount ${status.restartCount ?? 0}${last ? `, last termination ${describeTermination(last)}` : ""}`;
}
