/**
 * Authentication (bearer tokens) and RBAC authorization against the Role, RoleBinding, ClusterRole and
 * ClusterRoleBinding objects in the store, following k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac:
 * verbs, apiGroups, resources (with `pods/log` subresources and `*`/`*\/log` wildcards), resourceNames,
 * nonResourceURLs, ServiceAccount/User/Group subjects, and the allow reason the real authorizer gives.
 *
 * Built in, as the default bootstrap policy provides them: members of `system:masters` may do
 * everything; every authenticated user may read discovery paths (system:discovery) and create
 * self-subject reviews (system:basic-user); everyone may read /version and the health paths
 * (system:public-info-viewer).
 */
import { randomBytes } from "node:crypto";
import type { KubeObject } from "./objects.js";
import { isObject } from "./objects.js";
import type { ResourceTable } from "./resources.js";
import type { ObjectStore } from "./store.js";

export interface UserInfo {
  username: string;
  groups: string[];
}

export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** For non-resource requests. */
  path: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

export const adminUser: UserInfo = {
  username: "kubernetes-admin",
  groups: ["kubeadm:cluster-admins", "system:masters", "system:authenticated"],
};

export const anonymousUser: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] };

export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
  };
}

/** Splits `system:serviceaccount:<ns>:<name>`; undefined for other users. */
export function parseServiceAccountUser(username: string): { namespace: string; name: string } | undefined {
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return match === null ? undefined : { namespace: match[1] ?? "", name: match[2] ?? "" };
}

const publicInfoPaths = ["/version", "/version/", "/healthz", "/livez", "/readyz"];
const discoveryPrefixes = ["/api", "/apis", "/openapi", "/version"];

export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  const rules = role?.rules;
  if (!Array.isArray(rules)) return [];
  return rules.filter(isObject).map((r) => ({
    verbs: strings(r.verbs),
    apiGroups: strings(r.apiGroups),
    resources: strings(r.resources),
    resourceNames: strings(r.resourceNames),
    nonResourceURLs: strings(r.nonResourceURLs),
  }));
}

function subjectsOf(binding: KubeObject): Subject[] {
  const subjects = binding.subjects;
  if (!Array.isArray(subjects)) return [];
  return subjects.filter(isObject).map((s) => {
    const subject: Subject = { kind: String(s.kind ?? ""), name: String(s.name ?? "") };
    if (typeof s.namespace === "string") subject.namespace = s.namespace;
    return subject;
  });
}

function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return subject.name === user.username;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount": {
      const namespace = subject.namespace ?? bindingNamespace;
      return user.username === `system:serviceaccount:${namespace}:${subject.name}`;
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === "ServiceAccount") {
    return `${subject.kind} ${JSON.stringify(`${subject.name}/${subject.namespace ?? bindingNamespace}`)}`;
  }
  return `${subject.kind} ${JSON.stringify(subject.name)}`;
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === "" ? resource : `${resource}/${subresource}`;
  return rule.resources.some(
    (r) => r === "*" || r === combined || (subresource !== "" && r === `*/${subresource}`),
  );
}

function nonResourceMatches(rule: PolicyRule, path: string): boolean {
  return rule.nonResourceURLs.some(
    (url) => url === "*" || url === path || (url.endsWith("*") && path.startsWith(url.slice(0, -1))),
  );
}

export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (!rule.verbs.includes("*") && !rule.verbs.includes(attrs.verb)) return false;
  if (!attrs.resourceRequest) return nonResourceMatches(rule, attrs.path);
  if (!rule.apiGroups.includes("*") && !rule.apiGroups.includes(attrs.group)) return false;
  if (!resourceMatches(rule, attrs.resource, attrs.subresource)) return false;
  return rule.resourceNames.length === 0 || (attrs.name !== "" && rule.resourceNames.includes(attrs.name));
}

export class Authorizer {
  constructor(
    private readonly store: ObjectStore,
    private readonly resources: ResourceTable,
  ) {}

  authorize(attrs: RequestAttributes): Decision {
    const { user } = attrs;
    if (user.groups.includes("system:masters")) return { allowed: true, reason: "" };
    if (!attrs.resourceRequest && attrs.verb === "get") {
      if (publicInfoPaths.includes(attrs.path)) return { allowed: true, reason: "" };
      const authenticated = user.groups.includes("system:authenticated");
      const discovery = discoveryPrefixes.some((p) => attrs.path === p || attrs.path.startsWith(`${p}/`));
      if (authenticated && discovery) return { allowed: true, reason: "" };
    }
    if (
      attrs.resourceRequest &&
      attrs.verb === "create" &&
      user.groups.includes("system:authenticated") &&
      ((attrs.group === "authorization.k8s.io" &&
        ["selfsubjectaccessreviews", "selfsubjectrulesreviews"].includes(attrs.resource)) ||
        (attrs.group === "authentication.k8s.io" && attrs.resource === "selfsubjectreviews"))
    ) {
      return { allowed: true, reason: "" };
    }
    return this.authorizeByRbac(attrs);
  }

  private list(kind: string, namespace?: string): KubeObject[] {
    const def = this.resources.byKind("rbac.authorization.k8s.io/v1", kind);
    return def === undefined ? [] : this.store.list(def, namespace);
  }

  /** The rules of a Role (in `namespace`) or ClusterRole; empty when it does not exist. */
  rulesOfRole(kind: string, name: string, namespace: string): PolicyRule[] {
    return this.roleRules(kind, name, namespace);
  }

  private roleRules(kind: string, name: string, namespace: string): PolicyRule[] {
    const role = this.list(kind, kind === "Role" ? namespace : undefined).find(
      (r) => r.metadata?.name === name,
    );
    return rulesOf(role);
  }

  private authorizeByRbac(attrs: RequestAttributes): Decision {
    for (const binding of this.list("ClusterRoleBinding")) {
      const ref = isObject(binding.roleRef) ? binding.roleRef : {};
      if (ref.kind !== "ClusterRole") continue;
      const subject = subjectsOf(binding).find((s) => subjectMatches(s, attrs.user, ""));
      if (subject === undefined) continue;
      if (this.roleRules("ClusterRole", String(ref.name), "").some((rule) => ruleAllows(rule, attrs))) {
        return {
          allowed: true,
          reason: `RBAC: allowed by ClusterRoleBinding ${JSON.stringify(binding.metadata?.name ?? "")} of ClusterRole ${JSON.stringify(ref.name)} to ${describeSubject(subject, "")}`,
        };
      }
    }
    if (attrs.resourceRequest && attrs.namespace !== "") {
      for (const binding of this.list("RoleBinding", attrs.namespace)) {
        const ref = isObject(binding.roleRef) ? binding.roleRef : {};
        const subject = subjectsOf(binding).find((s) => subjectMatches(s, attrs.user, attrs.namespace));
        if (subject === undefined) continue;
        const kind = String(ref.kind);
        if (this.roleRules(kind, String(ref.name), attrs.namespace).some((rule) => ruleAllows(rule, attrs))) {
          const bindingName = `${binding.metadata?.name ?? ""}/${attrs.namespace}`;
          return {
            allowed: true,
            reason: `RBAC: allowed by RoleBinding ${JSON.stringify(bindingName)} of ${kind} ${JSON.stringify(ref.name)} to ${describeSubject(subject, attrs.namespace)}`,
          };
        }
      }
    }
    return { allowed: false, reason: "" };
  }
}

/** The authorization filter's message: `User "x" cannot get resource "pods/log" in API group "" in the namespace "ns"`. */
export function forbiddenMessage(attrs: RequestAttributes): string {
  const user = JSON.stringify(attrs.user.username);
  if (!attrs.resourceRequest) return `User ${user} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = attrs.subresource === "" ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  const scope =
    attrs.namespace === "" ? "at the cluster scope" : `in the namespace ${JSON.stringify(attrs.namespace)}`;
  return `User ${user} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.group)} ${scope}`;
}

/** Bearer tokens: one admin token and one token per ServiceAccount. */
export class TokenRegistry {
  readonly adminToken = `admin-${randomBytes(16).toString("hex")}`;
  private readonly serviceAccountTokens = new Map<string, { namespace: string; name: string }>();

  tokenFor(namespace: string, name: string): string {
    for (const [token, sa] of this.serviceAccountTokens) {
      if (sa.namespace === namespace && sa.name === name) return token;
    }
    const token = `sa-${randomBytes(16).toString("hex")}`;
    this.serviceAccountTokens.set(token, { namespace, name });
    return token;
  }

  /** The ServiceAccount behind a token, the admin, or undefined for an unknown token. */
  lookup(token: string): { admin: true } | { admin: false; namespace: string; name: string } | undefined {
    if (token === this.adminToken) return { admin: true };
    const sa = this.serviceAccountTokens.get(token);
    return sa === undefined ? undefined : { admin: false, ...sa };
  }
}
