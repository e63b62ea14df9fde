/**
 * `sre-lab diagnose` without a pod: triage of a namespace (or, with -A, of every namespace).
 *
 * Two reads per scope, whatever the number of pods: one list of pods and one list of events
 * (cluster-wide lists with -A). Every pod that is not healthy gets the same deterministic analysis
 * as `diagnose <pod>` (no logs, no model), and pods are folded by the workload a fix goes to
 * (Deployment, StatefulSet, DaemonSet, Job, CronJob, or the bare pod). Each owner becomes one line:
 * the root-cause code of its most relevant failing pod, the decisive detail, and the first command
 * to run. Crash-looping and pending workloads come first.
 *
 * The same ranking picks the pod `diagnose deploy/x` explains (resolveOwnerTarget in target.ts).
 */
import { InterruptedError } from "../core/errors.js";
import type { KubeClient } from "../kube/client.js";
import { num, record, records, text, timeOf } from "./analyze/fields.js";
import { analyze, podFacts } from "./analyze/index.js";
import { sanitizeLine } from "./analyze/quote.js";
import { foldEvents } from "./collect.js";
import { redactBundle } from "./redact.js";
import { BUNDLE_API_VERSION, BUNDLE_KIND, type Finding, type FindingCode, type KubeObject } from "./types.js";

/** Why a pod is not healthy, most urgent first (the order triage ranks by). */
export const POD_CATEGORIES = [
  "crash-looping",
  "pending",
  "failed",
  "not-ready",
  "restarted",
  "healthy",
] as const;
export type PodCategory = (typeof POD_CATEGORIES)[number];

/** A container restart this recent makes a Ready pod worth a line ("restarted"). */
export const RECENT_RESTART_MS = 60 * 60_000;

export interface PodState {
  namespace: string;
  name: string;
  uid: string | undefined;
  phase: string;
  /** What `kubectl get pods` shows as STATUS: CrashLoopBackOff, ImagePullBackOff, Init:Error, Evicted … */
  status: string;
  /** ready/total containers, as kubectl's READY column. */
  ready: string;
  restarts: number;
  category: PodCategory;
  /** The workload a fix goes to; kind "Pod" for a bare pod. */
  owner: { kind: string; name: string };
  createdAt: number;
}

export interface TriagePod {
  name: string;
  status: string;
  ready: string;
  restarts: number;
  category: PodCategory;
  /** findings[0].code of this pod. */
  code: FindingCode;
}

export interface TriageEntry {
  namespace: string;
  owner: { kind: string; name: string };
  category: PodCategory;
  /** The owner's failing pods, most relevant first; pods[0] decided the line. */
  pods: TriagePod[];
  /** All pods of this owner in the list, healthy ones included. */
  totalPods: number;
  /** findings[0] of the most relevant pod (evidence redacted). */
  finding: Finding;
  /** One line: the decisive detail. */
  detail: string;
  /** The first command to run, complete and pasteable. */
  command: string;
  /** `sre-lab diagnose TYPE/NAME -n NS`: the full story with the model (the CLI output layer turns it into `npx sre-lab …` when needed). */
  diagnose: string;
}

export interface TriageReport {
  context: string;
  /** The namespace triaged, or null with -A. */
  namespace: string | null;
  pods: { total: number; unhealthy: number };
  entries: TriageEntry[];
  /** What could not be read (the events list), so what the lines may lack. */
  warnings: string[];
}

export interface TriageOptions {
  /** undefined with allNamespaces. */
  namespace: string | undefined;
  allNamespaces: boolean;
  now: number;
}

/** One list of pods and one list of events for the scope, then the triage of what came back. */
export async function runTriage(kube: KubeClient, options: TriageOptions): Promise<TriageReport> {
  const namespace = options.allNamespaces ? undefined : (options.namespace ?? kube.namespace);
  const warnings: string[] = [];
  // Pods are required; events only sharpen the causes (scheduling, image pulls, mounts, probes).
  const [pods, events] = await Promise.all([
    kube.list("v1", "Pod", { namespace }),
    kube.list("v1", "Event", { namespace }).catch((error: unknown) => {
      if (error instanceof InterruptedError) throw error;
      warnings.push(
        `could not list events (${error instanceof Error ? error.message : String(error)}); causes only events show (scheduling, image pulls, probes, mounts) may be missing`,
      );
      return [];
    }),
  ]);
  return {
    context: kube.context,
    namespace: namespace ?? null,
    ...triagePods(pods as KubeObject[], events as KubeObject[], { now: options.now, cluster: kube.context }),
    warnings,
  };
}

/** The pure part of triage: pods and events in, ranked entries out. */
export function triagePods(
  pods: readonly KubeObject[],
  events: readonly KubeObject[],
  options: { now: number; cluster?: string },
): Pick<TriageReport, "pods" | "entries"> {
  const eventsByPod = groupEvents(events);
  type Group = { states: PodState[]; objects: Map<string, KubeObject>; total: number };
  const groups = new Map<string, Group>();
  let unhealthy = 0;
  for (const pod of pods) {
    const state = podState(pod, options.now);
    const key = `${state.namespace}\u0000${state.owner.kind}\u0000${state.owner.name}`;
    const group: Group = groups.get(key) ?? { states: [], objects: new Map(), total: 0 };
    group.total++;
    groups.set(key, group);
    if (state.category === "healthy") continue;
    unhealthy++;
    group.states.push(state);
    group.objects.set(state.name, pod);
  }
  const entries: TriageEntry[] = [];
  for (const group of groups.values()) {
    if (group.states.length === 0) continue;
    const states = group.states.sort(comparePods);
    const analysed = states.map((state) => {
      const pod = group.objects.get(state.name) as KubeObject;
      const bundle = redactBundle({
        apiVersion: BUNDLE_API_VERSION,
        kind: BUNDLE_KIND,
        metadata: options.cluster === undefined ? {} : { cluster: options.cluster },
        pod,
        events: foldEvents(eventsOf(eventsByPod, state)),
        logs: [],
      });
      return { state, findings: analyze(bundle) };
    });
    const [first] = analysed;
    if (!first) continue;
    const finding = first.findings[0] ?? fallbackFinding(first.state);
    entries.push({
      namespace: first.state.namespace,
      owner: first.state.owner,
      category: first.state.category,
      pods: analysed.map(({ state, findings }) => ({
        name: state.name,
        status: state.status,
        ready: state.ready,
        restarts: state.restarts,
        category: state.category,
        code: findings[0]?.code ?? "Healthy",
      })),
      totalPods: group.total,
      finding,
      detail: sanitizeLine(finding.summary),
      command: firstCommand(first.state, group.objects.get(first.state.name) as KubeObject, finding),
      diagnose: `sre-lab diagnose ${targetOf(first.state.owner)} -n ${first.state.namespace}`,
    });
  }
  entries.sort(compareEntries);
  return { pods: { total: pods.length, unhealthy }, entries };
}

/**
 * A pod's events: those naming its uid, plus those without a uid that name it (a StatefulSet's
 * earlier pod of the same name has another uid, so uid-matched events never mix the two).
 */
function eventsOf(byPod: Map<string, KubeObject[]>, state: PodState): KubeObject[] {
  const byName = byPod.get(`${state.namespace}/${state.name}`) ?? [];
  const byUid = state.uid === undefined ? [] : (byPod.get(state.uid) ?? []);
  return byName.length === 0 ? byUid : [...byUid, ...byName];
}

/** Events keyed by the uid of the pod they are about (namespace/name for events without one). */
function groupEvents(events: readonly KubeObject[]): Map<string, KubeObject[]> {
  const byPod = new Map<string, KubeObject[]>();
  for (const event of events) {
    if (text(event, "involvedObject", "kind") !== "Pod") continue;
    const key =
      text(event, "involvedObject", "uid") ??
      `${text(event, "involvedObject", "namespace") ?? text(event, "metadata", "namespace")}/${text(event, "involvedObject", "name")}`;
    const list = byPod.get(key);
    if (list) list.push(event);
    else byPod.set(key, [event]);
  }
  return byPod;
}

/** What the pod looks like in `kubectl get pods`, how urgent it is, and whose it is. */
export function podState(pod: KubeObject, now: number): PodState {
  const facts = podFacts({
    apiVersion: BUNDLE_API_VERSION,
    kind: BUNDLE_KIND,
    metadata: {},
    pod,
    events: [],
    logs: [],
  });
  const phase = text(pod, "status", "phase") ?? "Unknown";
  const containers = records(pod, "status", "containerStatuses");
  const inits = records(pod, "status", "initContainerStatuses");
  const specContainers = records(pod, "spec", "containers").length;
  const total = Math.max(specContainers, containers.length);
  const readyCount = containers.filter((c) => c.ready === true).length;
  const restarts = [...containers, ...inits].reduce((sum, c) => sum + (num(c, "restartCount") ?? 0), 0);
  const waitingReasons = [...inits, ...containers]
    .map((c) => text(c, "state", "waiting", "reason"))
    .filter((r): r is string => r !== undefined);
  const crashLooping = waitingReasons.includes("CrashLoopBackOff");
  const recentRestart = [...containers, ...inits].some((c) => {
    const finished = timeOf(text(c, "lastState", "terminated", "finishedAt"));
    return finished !== undefined && now - finished <= RECENT_RESTART_MS;
  });
  const podReady = records(pod, "status", "conditions").some(
    (c) => c.type === "Ready" && c.status === "True",
  );

  let category: PodCategory;
  if (phase === "Succeeded") category = "healthy";
  else if (crashLooping) category = "crash-looping";
  else if (phase === "Pending") category = "pending";
  else if (phase === "Failed" || phase === "Unknown") category = "failed";
  else if (!podReady || (total > 0 && readyCount < total))
    category = restarts > 0 ? "crash-looping" : "not-ready";
  else if (recentRestart) category = "restarted";
  else category = "healthy";
  if (text(pod, "metadata", "deletionTimestamp") !== undefined && category !== "crash-looping")
    category = "healthy";

  return {
    namespace: facts.namespace,
    name: facts.name,
    uid: text(pod, "metadata", "uid"),
    phase,
    status: kubectlStatus(pod),
    ready: `${readyCount}/${total}`,
    restarts,
    category,
    owner: facts.workload,
    createdAt: timeOf(text(pod, "metadata", "creationTimestamp")) ?? 0,
  };
}

/** kubectl's STATUS column (printPod), for the cases that matter to triage. */
function kubectlStatus(pod: KubeObject): string {
  let reason = text(pod, "status", "reason") ?? text(pod, "status", "phase") ?? "Unknown";
  const inits = records(pod, "status", "initContainerStatuses");
  const initCount = records(pod, "spec", "initContainers").length || inits.length;
  for (const [i, c] of inits.entries()) {
    const terminated = record(c, "state", "terminated");
    if (text(terminated, "reason") === "Completed" || num(terminated, "exitCode") === 0) continue;
    if (terminated !== undefined)
      return sanitizeLine(
        `Init:${text(terminated, "reason") ?? `ExitCode:${num(terminated, "exitCode") ?? "?"}`}`,
      );
    const why = text(c, "state", "waiting", "reason");
    return sanitizeLine(
      why !== undefined && why !== "PodInitializing" ? `Init:${why}` : `Init:${i}/${initCount}`,
    );
  }
  for (const c of records(pod, "status", "containerStatuses")) {
    const waiting = text(c, "state", "waiting", "reason");
    const terminated = record(c, "state", "terminated");
    if (waiting !== undefined) reason = waiting;
    else if (terminated !== undefined)
      reason = text(terminated, "reason") ?? `ExitCode:${num(terminated, "exitCode") ?? "?"}`;
  }
  if (text(pod, "metadata", "deletionTimestamp") !== undefined) reason = "Terminating";
  return sanitizeLine(reason);
}

/**
 * Most relevant first: by category, then by more restarts (a crash loop that has run longer),
 * then the newest pod (a rollout's current attempt), then the name.
 */
export function comparePods(a: PodState, b: PodState): number {
  return (
    POD_CATEGORIES.indexOf(a.category) - POD_CATEGORIES.indexOf(b.category) ||
    b.restarts - a.restarts ||
    b.createdAt - a.createdAt ||
    a.name.localeCompare(b.name)
  );
}

function compareEntries(a: TriageEntry, b: TriageEntry): number {
  const severity = { critical: 0, warning: 1, info: 2 } as const;
  return (
    POD_CATEGORIES.indexOf(a.category) - POD_CATEGORIES.indexOf(b.category) ||
    severity[a.finding.severity] - severity[b.finding.severity] ||
    b.pods.length - a.pods.length ||
    a.namespace.localeCompare(b.namespace) ||
    `${a.owner.kind}/${a.owner.name}`.localeCompare(`${b.owner.kind}/${b.owner.name}`)
  );
}

/** The kubectl-style target `diagnose` takes for an owner: deploy/x, sts/x, ds/x, job/x, cronjob/x, pod/x. */
export function targetOf(owner: { kind: string; name: string }): string {
  const short: Record<string, string> = {
    Deployment: "deploy",
    StatefulSet: "sts",
    DaemonSet: "ds",
    ReplicaSet: "rs",
    Job: "job",
    CronJob: "cronjob",
    Pod: "pod",
  };
  return `${short[owner.kind] ?? owner.kind.toLowerCase()}/${owner.name}`;
}

/**
 * The first command to run for a finding: the finding's own first command when it has one (issue 12
 * adds `commands`), else the read that shows the decisive evidence, built from API-validated names.
 */
function firstCommand(state: PodState, pod: KubeObject, finding: Finding): string {
  const own = (finding as Finding & { commands?: unknown }).commands;
  if (Array.isArray(own) && typeof own[0] === "string" && own[0].trim() !== "") return sanitizeLine(own[0]);
  const ns = `kubectl -n ${state.namespace}`;
  const container = finding.container === undefined ? "" : ` -c ${finding.container}`;
  switch (finding.code) {
    case "OOMKilled":
    case "AppError":
    case "CrashLoopBackOff":
    case "LivenessProbeFailed":
    case "StartFailed":
    case "InitContainerFailed":
      if (state.restarts > 0 || finding.code === "InitContainerFailed")
        return `${ns} logs ${state.name}${container} --previous`;
      // A container that ended and was not restarted (a Job's pod): its log is the current one.
      return finding.container !== undefined && endedContainer(pod, finding.container)
        ? `${ns} logs ${state.name}${container}`
        : `${ns} describe pod ${state.name}`;
    case "ReadinessProbeFailed":
      return `${ns} logs ${state.name}${container}`;
    default:
      return `${ns} describe pod ${state.name}`;
  }
}

function endedContainer(pod: KubeObject, name: string): boolean {
  return [
    ...records(pod, "status", "containerStatuses"),
    ...records(pod, "status", "initContainerStatuses"),
  ].some((c) => c.name === name && record(c, "state", "terminated") !== undefined);
}

function fallbackFinding(state: PodState): Finding {
  return {
    code: "Healthy",
    severity: "info",
    summary: `Pod ${state.name} is ${state.status}; no failure was found in its status and events.`,
    evidence: [],
    remediation: `kubectl -n ${state.namespace} describe pod ${state.name} shows what it is waiting for.`,
  };
}
