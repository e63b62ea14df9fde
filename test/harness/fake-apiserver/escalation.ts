/**
 * RBAC's escalation prevention, as k8s.io/kubernetes/pkg/registry/rbac enforces it on writes:
 *
 * - a Role or ClusterRole may be created or changed only by a user who holds every permission it
 *   grants, or who may `escalate` that role (RoleEscalationAuthorized), or is in system:masters;
 * - a RoleBinding or ClusterRoleBinding may be written only by a user who holds every permission of
 *   the role it refers to (in the binding's namespace), or who may `bind` that role (BindingAuthorized).
 *
 * Simplified: "holds" is decided by asking the fake's authorizer about each (group, resource, verb,
 * resourceName) the rules name, instead of the rule resolver's Covers(); the rules are taken from the
 * request body (full for create, update and server-side apply; merge patches without `rules` pass).
 * The message is the real one: `user "u" (groups=[...]) is attempting to grant RBAC permissions not
 * currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
 */
import type { Authorizer, PolicyRule, UserInfo } from "./authz.js";
import { forbidden } from "./errors.js";
import { isObject } from "./objects.js";
import type { ResourceDef } from "./resources.js";

const RBAC = "rbac.authorization.k8s.io";

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function rulesFrom(value: unknown): PolicyRule[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((r) => ({
    verbs: strings(r.verbs),
    apiGroups: strings(r.apiGroups),
    resources: strings(r.resources),
    resourceNames: strings(r.resourceNames),
    nonResourceURLs: strings(r.nonResourceURLs),
  }));
}

const quoted = (list: string[]) => `[${list.map((s) => JSON.stringify(s)).join(" ")}]`;

/** The rules of `rules` that `user` does not hold in `namespace` ("" = cluster-wide), compacted per group and resource. */
function notHeld(authorizer: Authorizer, user: UserInfo, rules: PolicyRule[], namespace: string): string[] {
  const missing = new Map<string, { group: string; resource: string; names: string[]; verbs: string[] }>();
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const combined of rule.resources) {
        const [resource = "", subresource = ""] = combined.split("/");
        for (const name of rule.resourceNames.length > 0 ? rule.resourceNames : [""]) {
          for (const verb of rule.verbs) {
            const allowed = authorizer.authorize({
              user,
              verb,
              resourceRequest: true,
              path: "",
              group,
              resource,
              subresource,
              namespace,
              name,
            }).allowed;
            if (allowed) continue;
            const key = `${group}\0${combined}\0${name}`;
            const entry = missing.get(key) ?? {
              group,
              resource: combined,
              names: name ? [name] : [],
              verbs: [],
            };
            entry.verbs.push(verb);
            missing.set(key, entry);
          }
        }
      }
    }
  }
  return [...missing.values()].map(
    (m) =>
      `{APIGroups:${quoted([m.group])}, Resources:${quoted([m.resource])}${m.names.length ? `, ResourceNames:${quoted(m.names)}` : ""}, Verbs:${quoted(m.verbs)}}`,
  );
}

function refuse(def: ResourceDef, name: string, user: UserInfo, missing: string[]): never {
  throw forbidden(
    def.group,
    def.resource,
    name,
    `user ${JSON.stringify(user.username)} (groups=${quoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.join("\n")}`,
  );
}

/** Throws 403 Forbidden when this write of an RBAC object would grant more than `user` holds. */
export function checkRbacEscalation(
  authorizer: Authorizer,
  user: UserInfo,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
  body: unknown,
): void {
  if (def.group !== RBAC || user.groups.includes("system:masters") || !isObject(body)) return;
  const ns = namespace ?? "";
  const allowedTo = (verb: string, resource: string, roleName: string, inNamespace: string) =>
    authorizer.authorize({
      user,
      verb,
      resourceRequest: true,
      path: "",
      group: RBAC,
      resource,
      subresource: "",
      namespace: inNamespace,
      name: roleName,
    }).allowed;

  if (def.kind === "Role" || def.kind === "ClusterRole") {
    if (!("rules" in body)) return;
    if (allowedTo("escalate", def.resource, name, ns)) return;
    const missing = notHeld(authorizer, user, rulesFrom(body.rules), ns);
    if (missing.length > 0) refuse(def, name, user, missing);
    return;
  }
  if (def.kind === "RoleBinding" || def.kind === "ClusterRoleBinding") {
    const ref = isObject(body.roleRef) ? body.roleRef : undefined;
    if (ref === undefined) return;
    const refKind = String(ref.kind ?? "");
    const refName = String(ref.name ?? "");
    const roleResource = refKind === "ClusterRole" ? "clusterroles" : "roles";
    if (allowedTo("bind", roleResource, refName, ns)) return;
    const rules = authorizer.rulesOfRole(refKind, refName, ns);
    const missing = notHeld(authorizer, user, rules, ns);
    if (missing.length > 0) refuse(def, name, user, missing);
  }
}
