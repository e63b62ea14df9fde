/**
 * The pod to diagnose: its name checked against Kubernetes' naming rule before any cluster is
 * contacted, then looked up with the user's own credentials. A pod that does not exist is a usage
 * error (exit 2) that names the closest pods in that namespace.
 */
import { UsageError } from "../core/errors.js";
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
