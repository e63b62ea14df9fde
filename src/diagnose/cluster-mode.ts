/**
 * How `diagnose POD` touches the cluster, decided before anything is read or written:
 *
 * - on the lab, the in-cluster agent (the default there);
 * - anywhere else, read-only: the agent's code on this machine with the user's own credentials
 *   (the `--local` path), which writes nothing to the cluster;
 * - `--in-cluster` elsewhere: the agent Job, behind the write guard (src/lab/write-guard.ts).
 *
 * Then the permissions of the chosen mode are checked with SelfSubjectAccessReview, so a missing one
 * is one clear line before anything runs. The in-cluster checks include RBAC's escalation rule: the
 * API server lets a user create a Role (and bind it) only when they hold every permission it grants
 * themselves, or may `escalate` (and `bind`) roles.
 */

import { SreLabError, UsageError } from "../core/errors.js";
import { type AccessCheck, canICommand, describeAccess, reviewAccess } from "../kube/access.js";
import type { KubeClient } from "../kube/client.js";
import { classifyTarget, guardClusterWrite, kubeWriteTarget } from "../lab/write-guard.js";
import type { Context } from "../runtime/context.js";
import { AGENT_NAME, AGENT_NODES_ROLE, AGENT_ROLE_RULES } from "./agent-job.js";

export type LiveMode = "cluster" | "local";

export interface ModeRequest {
  /** --local, --in-cluster, or neither (auto). */
  where: "cluster" | "local" | "auto";
  namespace: string;
  keep: boolean;
  consent: { yes: boolean; force: boolean; guarded?: boolean };
}

const RBAC = "rbac.authorization.k8s.io";

/** What the in-cluster agent writes, for the guard's statement. */
export function inClusterWrites(namespace: string, keep: boolean): string[] {
  return [
    `ServiceAccount, Role and RoleBinding ${AGENT_NAME} and a ConfigMap with the agent's code in namespace ${namespace}`,
    `ClusterRole ${AGENT_NODES_ROLE} and ClusterRoleBinding ${AGENT_NODES_ROLE}-${namespace} (cluster-wide: read nodes)`,
    `a Job and its pod in namespace ${namespace}`,
    keep
      ? "--keep: they stay after it ends (the Job for a day)"
      : "everything it created is deleted when it ends",
  ];
}

/** Chooses the mode; on the way to the in-cluster agent off the lab, asks the write guard. */
export async function chooseMode(ctx: Context, kube: KubeClient, request: ModeRequest): Promise<LiveMode> {
  if (request.where === "local") return "local";
  if (request.where === "cluster" && request.consent.guarded) return "cluster";
  if (request.where === "auto") {
    const verdict = await classifyTarget(kubeWriteTarget(kube));
    if (verdict.lab && !verdict.production) return "cluster";
    if (request.keep) {
      throw new UsageError(
        `--keep keeps the agent's Job, and on context "${kube.context}" diagnose runs read-only (no Job)`,
        { hint: "add --in-cluster to run the agent Job there, or drop --keep" },
      );
    }
    ctx.out.info(
      `context "${kube.context}" is not the lab's: diagnosing read-only with your own credentials, nothing is written to the cluster (--in-cluster runs the agent Job there)`,
    );
    return "local";
  }
  await guardClusterWrite(
    ctx,
    kubeWriteTarget(kube),
    {
      command: "sre-lab diagnose --in-cluster",
      verb: "write to",
      writes: inClusterWrites(request.namespace, request.keep),
    },
    { yes: request.consent.yes, force: request.consent.force },
  );
  return "cluster";
}

interface Need {
  check: AccessCheck;
  /** What it is for, as the warning says it. */
  for: string;
  required: boolean;
}

/** Each (resource, verb) the agent's Role grants, as checks in `namespace`. */
function agentRuleChecks(namespace: string): AccessCheck[] {
  return AGENT_ROLE_RULES.flatMap((rule) =>
    rule.apiGroups.flatMap((group) =>
      rule.resources.flatMap((resource) => {
        const [name, subresource] = resource.split("/");
        return rule.verbs.map((verb) => ({
          verb,
          group,
          resource: name ?? resource,
          ...(subresource ? { subresource } : {}),
          namespace,
        }));
      }),
    ),
  );
}

/** The read-only mode reads what the agent's Role allows, with the user's own credentials. */
export function readOnlyNeeds(namespace: string): Need[] {
  return [
    ...agentRuleChecks(namespace).map((check) => ({
      check,
      for: describeAccess(check),
      required: check.resource === "pods" && !check.subresource && check.verb === "get",
    })),
    {
      check: { verb: "get", group: "", resource: "nodes" },
      for: "get nodes (cluster-wide)",
      required: false,
    },
  ];
}

/** What `--in-cluster` needs: create (server-side apply also needs patch), follow, clean up, grant. */
export function inClusterNeeds(namespace: string, keep: boolean): Need[] {
  const ns = (verb: string, group: string, resource: string, extra: Partial<AccessCheck> = {}) => ({
    check: { verb, group, resource, namespace, ...extra },
    for: "",
    required: true,
  });
  const cluster = (verb: string, resource: string, name: string, required = false) => ({
    check: { verb, group: RBAC, resource, name },
    for: "",
    required,
  });
  const objects: [string, string][] = [
    ["", "serviceaccounts"],
    [RBAC, "roles"],
    [RBAC, "rolebindings"],
    ["", "configmaps"],
    ["batch", "jobs"],
  ];
  const needs: Need[] = [
    ...objects.flatMap(([group, resource]) => [ns("create", group, resource), ns("patch", group, resource)]),
    ns("get", "", "pods"),
    ns("get", "batch", "jobs"),
    ns("list", "", "pods"),
    ns("get", "", "pods", { subresource: "log" }),
    ...(keep ? [] : objects.map(([group, resource]) => ns("delete", group, resource))),
    // Cluster-scoped: without them the agent works but cannot read the pod's node.
    ...["clusterroles", "clusterrolebindings"].flatMap((resource) => [
      cluster("create", resource, ""),
      cluster("patch", resource, ""),
      ...(keep ? [] : [cluster("delete", resource, "")]),
    ]),
  ];
  return needs.map((need) => ({ ...need, for: describeAccess(need.check) }));
}

/**
 * Checks the mode's permissions. A missing required one: SreLabError naming it (and the rest in
 * details), with the `kubectl auth can-i` line to confirm it. Missing optional ones: one warning.
 */
export async function checkModeAccess(
  ctx: Context,
  kube: KubeClient,
  mode: LiveMode,
  namespace: string,
  keep: boolean,
): Promise<void> {
  const needs = mode === "local" ? readOnlyNeeds(namespace) : inClusterNeeds(namespace, keep);
  const grants = mode === "cluster" ? agentRuleChecks(namespace) : [];
  const escalation: AccessCheck[] =
    mode === "cluster"
      ? [
          { verb: "escalate", group: RBAC, resource: "roles", namespace, name: AGENT_NAME },
          { verb: "bind", group: RBAC, resource: "roles", namespace, name: AGENT_NAME },
          { verb: "get", group: "", resource: "nodes" },
          { verb: "escalate", group: RBAC, resource: "clusterroles", name: AGENT_NODES_ROLE },
          { verb: "bind", group: RBAC, resource: "clusterroles", name: AGENT_NODES_ROLE },
        ]
      : [];
  const checks = [...needs.map((n) => n.check), ...grants, ...escalation];
  const answers = await reviewAccess(kube, checks);
  if (!answers) {
    ctx.out.debug(
      "the API server does not answer SelfSubjectAccessReviews; permissions not checked up front",
    );
    return;
  }
  const allowed = (index: number) => answers[index]?.allowed === true;
  const missing = needs.filter((_, i) => !allowed(i));
  const problems = missing.filter((n) => n.required).map((n) => n.for);

  if (mode === "cluster") {
    // RBAC escalation prevention: the Role may grant only what the user holds, unless escalate + bind.
    const base = needs.length;
    const notHeld = grants.filter((_, i) => !allowed(base + i));
    const [escalateRole, bindRole, nodes, escalateClusterRole, bindClusterRole] = escalation.map((_, i) =>
      allowed(base + grants.length + i),
    );
    if (notHeld.length > 0 && !(escalateRole && bindRole)) {
      problems.push(
        `grant the agent's Role ${notHeld.map(describeAccess).join(", ")}: you do not hold ${notHeld.length === 1 ? "it" : "them"} yourself (RBAC lets you grant only what you hold, or with the escalate and bind verbs on roles)`,
      );
    }
    if (!nodes && !(escalateClusterRole && bindClusterRole)) {
      missing.push({
        check: escalation[2] as AccessCheck,
        for: "get nodes (cluster-wide), to grant it to the agent",
        required: false,
      });
    }
  }
  const optional = missing.filter((n) => !n.required).map((n) => n.for);
  const label = mode === "local" ? "read-only diagnose" : "the in-cluster agent";
  if (problems.length > 0) {
    const first = needs.find((n) => n.required && n.for === problems[0])?.check;
    throw new SreLabError(
      `missing permission for ${label} as context "${kube.context}": ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`,
      {
        details: problems.length > 1 ? problems.map((p) => `cannot ${p}`).join("\n") : undefined,
        hint:
          mode === "local"
            ? `check with: ${canICommand(first ?? { verb: "get", group: "", resource: "pods", namespace })}; diagnose reads pods, pods/log and events in namespace ${namespace}`
            : `check with: ${first ? canICommand(first) : `kubectl auth can-i create roles -n ${namespace}`}; or run read-only with --local, which needs only get pods, get pods/log and list events there`,
      },
    );
  }
  if (optional.length > 0) {
    ctx.out.warn(
      `without permission to ${optional.join(", ")}: ${mode === "local" ? "the evidence will lack what they read" : "the agent may not read the pod's node, and cluster-wide objects it cannot delete would stay"}`,
    );
  }
}
