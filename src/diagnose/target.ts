/**
 * The pod to diagnose: its name checked against Kubernetes' naming rule before any cluster is
 * contacted, then looked up with the user's own credentials. A pod that does not exist is a usage
 * error (exit 2) that names the closest pods in that namespace.
 */
import { SreLabError, UsageError } from "../core/errors.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { KubeNotFoundError } from "../kube/errors.js";

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const POD_NAME_RULE =
  "a pod name is a lowercase RFC 1123 subdomain: at most 253 characters of a-z, 0-9, '-' and '.', starting and ending with a letter or digit";
const NAMESPACE_RULE =
  "a namespace is a lowercase RFC 1123 label: at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";

export function validatePodName(name: string): void {
  if (name.length > 253 || !SUBDOMAIN.test(name)) {
    throw new UsageError(`invalid pod name ${JSON.stringify(name)}: ${POD_NAME_RULE}`, {
      hint: "copy the name from kubectl get pods -n NAMESPACE",
    });
  }
}

export function validateNamespace(namespace: string): void {
  if (namespace.length > 63 || !LABEL.test(namespace)) {
    throw new UsageError(`invalid namespace ${JSON.stringify(namespace)}: ${NAMESPACE_RULE}`, {
      hint: "kubectl get namespaces lists them",
    });
  }
}

/** Gets the pod; when it does not exist, a UsageError naming the closest pods in the namespace. */
export async function findTargetPod(kube: KubeClient, namespace: string, name: string): Promise<KubeObject> {
  try {
    return await kube.get({ apiVersion: "v1", kind: "Pod", name, namespace });
  } catch (error) {
    if (!(error instanceof KubeNotFoundError)) throw error;
  }
  const names = (await kube.list("v1", "Pod", { namespace }).catch(() => [] as KubeObject[]))
    .map((p) => p.metadata?.name)
    .filter((n): n is string => typeof n === "string");
  const message = `pod "${name}" not found in namespace "${namespace}"`;
  if (names.length === 0) {
    const exists = await kube
      .find({ apiVersion: "v1", kind: "Namespace", name: namespace })
      .then((ns) => ns !== undefined)
      .catch(() => true);
    throw new UsageError(message, {
      hint: exists
        ? `namespace "${namespace}" has no pods; pass the pod's namespace with -n NAMESPACE`
        : `namespace "${namespace}" does not exist; pass the pod's namespace with -n NAMESPACE`,
    });
  }
  const closest = closestNames(name, names);
  throw new UsageError(message, {
    hint:
      closest.length > 0
        ? `closest pods in "${namespace}": ${closest.join(", ")}`
        : `no pod there has a similar name; kubectl get pods -n ${namespace} lists them`,
  });
}

/**
 * Up to `limit` names most like `wanted`: names sharing its start first (a Deployment's pods when
 * only its name was given), then by edit distance, keeping only plausible ones.
 */
export function closestNames(wanted: string, names: readonly string[], limit = 3): string[] {
  const scored = names.map((name) => {
    const prefix = name.startsWith(wanted) || wanted.startsWith(name) ? 0 : 1;
    return { name, prefix, distance: editDistance(wanted, name) };
  });
  const threshold = Math.max(3, Math.floor(wanted.length / 3));
  return scored
    .filter((s) => s.prefix === 0 || s.distance <= threshold)
    .sort((a, b) => a.prefix - b.prefix || a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((s) => s.name);
}

/** Levenshtein distance (insert, delete, substitute), two rows of memory. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The workload kinds `diagnose TYPE/NAME` resolves to one of their pods. */
export type TargetKind =
  | "Pod"
  | "Deployment"
  | "StatefulSet"
  | "DaemonSet"
  | "ReplicaSet"
  | "Job"
  | "CronJob";

/** kubectl's resource names for each kind: singular, plural, short name (`kubectl api-resources`). */
const TARGET_KINDS: Record<string, TargetKind> = {
  pod: "Pod",
  pods: "Pod",
  po: "Pod",
  deployment: "Deployment",
  deployments: "Deployment",
  deploy: "Deployment",
  statefulset: "StatefulSet",
  statefulsets: "StatefulSet",
  sts: "StatefulSet",
  daemonset: "DaemonSet",
  daemonsets: "DaemonSet",
  ds: "DaemonSet",
  replicaset: "ReplicaSet",
  replicasets: "ReplicaSet",
  rs: "ReplicaSet",
  job: "Job",
  jobs: "Job",
  cronjob: "CronJob",
  cronjobs: "CronJob",
  cj: "CronJob",
};

const API_VERSIONS: Record<Exclude<TargetKind, "Pod">, string> = {
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  ReplicaSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
};

export const TARGET_HINT =
  "name a pod, or TYPE/NAME as kubectl does: pod/NAME, deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME, cronjob/NAME";

/**
 * `web`, `pod/web`, `deploy/checkout-api`, `deployment.apps/checkout-api`, `sts/pg` → kind and name,
 * checked before any cluster is contacted (exit 2 on an unknown type or an invalid name).
 */
export function parseTarget(arg: string): { kind: TargetKind; name: string } {
  const slash = arg.indexOf("/");
  if (slash < 0) {
    validatePodName(arg);
    return { kind: "Pod", name: arg };
  }
  const type = arg.slice(0, slash);
  const name = arg.slice(slash + 1);
  // kubectl also takes the group-qualified form: deployments.apps/x, jobs.batch/x.
  const bare = type.toLowerCase().replace(/\.(apps|batch)$/, "");
  const kind = Object.hasOwn(TARGET_KINDS, bare) ? TARGET_KINDS[bare] : undefined;
  if (kind === undefined) {
    throw new UsageError(
      `cannot diagnose ${JSON.stringify(arg)}: unknown resource type ${JSON.stringify(type)}`,
      {
        hint: TARGET_HINT,
      },
    );
  }
  if (name.length > 253 || !SUBDOMAIN.test(name)) {
    throw new UsageError(
      `invalid ${kind} name ${JSON.stringify(name)}: ${POD_NAME_RULE.replace("a pod name", "a name")}`,
      { hint: `copy it from kubectl get ${bare === "po" ? "pods" : bare} -n NAMESPACE` },
    );
  }
  return { kind, name };
}

export interface ResolvedTarget {
  /** The pod to diagnose. */
  pod: string;
  /** One line for stderr: which pod was chosen and why. */
  reason: string;
  /** Pods of the workload, and how many of them are not healthy. */
  pods: number;
  failing: number;
}

/**
 * The owner's most relevant pod: the one triage would put first (crash-looping, then pending, then
 * failed, then not ready; more restarts, newer). Read with the user's own credentials: a get of the
 * owner and one list of pods (plus one list of Jobs for a CronJob).
 */
export async function resolveOwnerTarget(
  kube: KubeClient,
  namespace: string,
  owner: { kind: Exclude<TargetKind, "Pod">; name: string },
  now: number,
): Promise<ResolvedTarget> {
  const { comparePods, podState, targetOf } = await import("./triage.js");
  const apiVersion = API_VERSIONS[owner.kind];
  const label = targetOf(owner);
  let object: KubeObject;
  try {
    object = await kube.get({ apiVersion, kind: owner.kind, name: owner.name, namespace });
  } catch (error) {
    if (!(error instanceof KubeNotFoundError)) throw error;
    const names = (await kube.list(apiVersion, owner.kind, { namespace }).catch(() => [] as KubeObject[]))
      .map((o) => o.metadata?.name)
      .filter((n): n is string => typeof n === "string");
    const closest = closestNames(owner.name, names);
    throw new UsageError(`${owner.kind} "${owner.name}" not found in namespace "${namespace}"`, {
      hint:
        closest.length > 0
          ? `closest in "${namespace}": ${closest.map((n) => targetOf({ kind: owner.kind, name: n })).join(", ")}`
          : `kubectl get ${owner.kind.toLowerCase()}s -n ${namespace} lists them; pass another namespace with -n`,
    });
  }
  const uid = object.metadata?.uid;
  // CronJob → its Jobs' uids; everything else owns its pods directly (a Deployment through
  // ReplicaSets, recognised by the pod-template-hash as the analyzers do).
  let owners = new Set<string>(uid === undefined ? [] : [uid]);
  if (owner.kind === "CronJob") {
    const jobs = await kube.list("batch/v1", "Job", { namespace });
    owners = new Set(
      jobs
        .filter((job) =>
          ((job.metadata?.ownerReferences as { uid?: string }[] | undefined) ?? []).some(
            (r) => r.uid === uid,
          ),
        )
        .map((job) => job.metadata?.uid)
        .filter((u): u is string => typeof u === "string"),
    );
  }
  const matchLabels = selectorLabels(object);
  const labelSelector =
    matchLabels === undefined
      ? undefined
      : Object.entries(matchLabels)
          .map(([k, v]) => `${k}=${v}`)
          .join(",");
  const pods = (await kube.list("v1", "Pod", { namespace, labelSelector })).filter((pod) => {
    const state = podState(pod, now);
    if (owner.kind === "Deployment")
      return state.owner.kind === owner.kind && state.owner.name === owner.name;
    const refs =
      (pod.metadata?.ownerReferences as { uid?: string; controller?: boolean }[] | undefined) ?? [];
    return refs.some((r) => r.uid !== undefined && owners.has(r.uid));
  });
  const states = pods.map((pod) => podState(pod, now)).sort(comparePods);
  const [first] = states;
  if (!first) {
    throw new SreLabError(`${label} in namespace "${namespace}" has no pods to diagnose`, {
      hint: `kubectl -n ${namespace} describe ${label} shows why (scaled to 0, a quota, an admission error)`,
    });
  }
  const failing = states.filter((s) => s.category !== "healthy").length;
  const why =
    failing === 0
      ? `none of its ${states.length} pods is failing; diagnosing the newest`
      : `the most relevant of its ${failing} failing pod${failing === 1 ? "" : "s"} (of ${states.length})`;
  return {
    pod: first.name,
    reason: `${label}: ${why}, pod ${first.name} (${first.status}, ${first.restarts} restart${first.restarts === 1 ? "" : "s"})`,
    pods: states.length,
    failing,
  };
}

function selectorLabels(object: KubeObject): Record<string, string> | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  const jobTemplate = (spec?.jobTemplate as { spec?: Record<string, unknown> } | undefined)?.spec;
  const selector = ((jobTemplate ?? spec)?.selector ?? undefined) as { matchLabels?: unknown } | undefined;
  const labels = selector?.matchLabels;
  if (labels === null || typeof labels !== "object") return undefined;
  const entries = Object.entries(labels as Record<string, unknown>).filter(
    (e): e is [string, string] => typeof e[1] === "string",
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}
