/**
 * Up-front permission checks with SelfSubjectAccessReview (what `kubectl auth can-i` sends), so a
 * missing permission is one clear line before anything runs, not a 403 halfway through.
 *
 * A review stores nothing: it is a POST that the API server answers and forgets, and every
 * authenticated user may create one (the bootstrap role system:basic-user).
 */
import type { KubeClient, KubeObject } from "./client.js";
import { KubeForbiddenError } from "./errors.js";

/** authorization.k8s.io/v1 ResourceAttributes, the fields sre-lab asks about. */
export interface AccessCheck {
  verb: string;
  /** API group; "" for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  /** Omitted for cluster-scoped resources. */
  namespace?: string;
  name?: string;
}

export interface AccessAnswer {
  check: AccessCheck;
  allowed: boolean;
  /** The authorizer's reason (RBAC: allowed by …), when it gave one. */
  reason?: string;
}

/** "create rolebindings.rbac.authorization.k8s.io in namespace shop", as a user reads it. */
export function describeAccess(check: AccessCheck): string {
  const resource = `${check.resource}${check.subresource ? `/${check.subresource}` : ""}${check.group ? `.${check.group}` : ""}`;
  const name = check.name ? ` "${check.name}"` : "";
  const scope = check.namespace ? ` in namespace ${check.namespace}` : " (cluster-wide)";
  return `${check.verb} ${resource}${name}${scope}`;
}

/** The same check as a `kubectl auth can-i` command line, for the hint. */
export function canICommand(check: AccessCheck): string {
  const resource = `${check.resource}${check.group ? `.${check.group}` : ""}${check.name ? `/${check.name}` : ""}`;
  return [
    "kubectl auth can-i",
    check.verb,
    resource,
    ...(check.subresource ? ["--subresource", check.subresource] : []),
    ...(check.namespace ? ["-n", check.namespace] : []),
  ].join(" ");
}

/**
 * Asks the API server about each check (a few at a time). Undefined when the server will not answer
 * reviews at all (an old or locked-down server): callers then go on and let the real requests speak.
 */
export async function reviewAccess(
  kube: Pick<KubeClient, "create">,
  checks: AccessCheck[],
): Promise<AccessAnswer[] | undefined> {
  const answers: AccessAnswer[] = [];
  const queue = [...checks.entries()];
  let unavailable = false;
  const worker = async () => {
    for (let next = queue.shift(); next && !unavailable; next = queue.shift()) {
      const [index, check] = next;
      try {
        answers[index] = await review(kube, check);
      } catch (error) {
        if (error instanceof KubeForbiddenError || isNotServed(error)) {
          unavailable = true;
          return;
        }
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, checks.length) }, worker));
  return unavailable ? undefined : answers;
}

async function review(kube: Pick<KubeClient, "create">, check: AccessCheck): Promise<AccessAnswer> {
  const resourceAttributes: Record<string, string> = {
    verb: check.verb,
    group: check.group,
    resource: check.resource,
  };
  if (check.subresource) resourceAttributes.subresource = check.subresource;
  if (check.namespace) resourceAttributes.namespace = check.namespace;
  if (check.name) resourceAttributes.name = check.name;
  const answer = await kube.create<KubeObject & { status?: { allowed?: boolean; reason?: string } }>({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    metadata: {},
    spec: { resourceAttributes },
  });
  const allowed = answer.status?.allowed === true;
  const reason = answer.status?.reason;
  return { check, allowed, ...(reason ? { reason } : {}) };
}

function isNotServed(error: unknown): boolean {
  const code = (error as { statusCode?: number }).statusCode;
  return code === 404 || code === 405;
}
