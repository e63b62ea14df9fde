/**
 * The resource table: every kind the fake serves is one `resource(...)` line. Discovery documents,
 * OpenAPI stubs, routing, field selectors and authorization all read from this table, so adding a
 * kind never touches the request handling.
 */
import type { KubeObject } from "./objects.js";
import { pathValue } from "./objects.js";

export type NameRule = "subdomain" | "label" | "dns1035";

export interface ResourceDef {
  /** API group; "" for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural resource name as used in URLs, e.g. "pods". */
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Subresources served under `<resource>/<name>/<sub>` and the verbs each allows. */
  readonly subresources: Readonly<Record<string, readonly string[]>>;
  /** Field selectors beyond metadata.name / metadata.namespace, and how to read each value. */
  readonly fieldSelectors: Readonly<Record<string, (obj: KubeObject) => string>>;
  /** Whether DELETE answers with the deleted object (pods, serviceaccounts) instead of a Status. */
  readonly returnsDeletedObject: boolean;
  /** A CustomResourceDefinition-backed kind: list items keep apiVersion/kind like the real server. */
  readonly custom: boolean;
  /** How metadata.name is validated on create. */
  readonly nameRule: NameRule;
  /** Only `create` is served and nothing is stored (review resources such as SelfSubjectAccessReview). */
  readonly virtual: boolean;
  /**
   * Dependents are orphaned when DELETE names no propagationPolicy. True only for batch/v1 Jobs, which
   * keep that default for backwards compatibility (kubectl always sends Background).
   */
  readonly orphansByDefault: boolean;
}

const standardVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const statusVerbs = ["get", "patch", "update"];

interface ResourceOptions {
  shortNames?: string[];
  categories?: string[];
  subresources?: Record<string, readonly string[]>;
  fieldSelectors?: Record<string, (obj: KubeObject) => string>;
  returnsDeletedObject?: boolean;
  custom?: boolean;
  nameRule?: NameRule;
  verbs?: string[];
  virtual?: boolean;
  orphansByDefault?: boolean;
}

function resource(
  apiVersion: string,
  kind: string,
  plural: string,
  scope: "namespaced" | "cluster",
  options: ResourceOptions = {},
): ResourceDef {
  const slash = apiVersion.indexOf("/");
  return {
    group: slash === -1 ? "" : apiVersion.slice(0, slash),
    version: slash === -1 ? apiVersion : apiVersion.slice(slash + 1),
    resource: plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced: scope === "namespaced",
    verbs: options.verbs ?? standardVerbs,
    shortNames: options.shortNames ?? [],
    categories: options.categories ?? [],
    subresources: options.subresources ?? {},
    fieldSelectors: options.fieldSelectors ?? {},
    returnsDeletedObject: options.returnsDeletedObject ?? false,
    custom: options.custom ?? false,
    nameRule: options.nameRule ?? "subdomain",
    virtual: options.virtual ?? false,
    orphansByDefault: options.orphansByDefault ?? false,
  };
}

/** Reads a dotted path as the string the real server compares field selectors against. */
function field(path: string): (obj: KubeObject) => string {
  return (obj) => {
    const value = pathValue(obj, path.split("."));
    return value === undefined || value === null ? "" : String(value);
  };
}

const withStatus = { status: statusVerbs };

export const defaultResources: readonly ResourceDef[] = [
  resource("v1", "Namespace", "namespaces", "cluster", {
    shortNames: ["ns"],
    nameRule: "label",
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    subresources: { status: statusVerbs, finalize: ["update"] },
    fieldSelectors: { "status.phase": field("status.phase") },
  }),
  resource("v1", "Pod", "pods", "namespaced", {
    shortNames: ["po"],
    categories: ["all"],
    returnsDeletedObject: true,
    subresources: { status: statusVerbs, log: ["get"] },
    fieldSelectors: {
      "spec.nodeName": field("spec.nodeName"),
      "spec.restartPolicy": field("spec.restartPolicy"),
      "spec.schedulerName": field("spec.schedulerName"),
      "spec.serviceAccountName": field("spec.serviceAccountName"),
      "spec.hostNetwork": (obj) => (pathValue(obj, ["spec", "hostNetwork"]) === true ? "true" : "false"),
      "status.phase": field("status.phase"),
      "status.podIP": field("status.podIP"),
      "status.nominatedNodeName": field("status.nominatedNodeName"),
    },
  }),
  resource("v1", "Event", "events", "namespaced", {
    shortNames: ["ev"],
    fieldSelectors: Object.fromEntries(
      [
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
      ].map((path) => [path, path === "source" ? field("source.component") : field(path)]),
    ),
  }),
  resource("v1", "Node", "nodes", "cluster", {
    shortNames: ["no"],
    subresources: withStatus,
    fieldSelectors: {
      "spec.unschedulable": (obj) => (pathValue(obj, ["spec", "unschedulable"]) === true ? "true" : "false"),
    },
  }),
  resource("v1", "ConfigMap", "configmaps", "namespaced", { shortNames: ["cm"] }),
  resource("v1", "Secret", "secrets", "namespaced", { fieldSelectors: { type: field("type") } }),
  resource("v1", "Service", "services", "namespaced", {
    shortNames: ["svc"],
    categories: ["all"],
    nameRule: "dns1035",
    subresources: withStatus,
  }),
  resource("v1", "ServiceAccount", "serviceaccounts", "namespaced", {
    shortNames: ["sa"],
    returnsDeletedObject: true,
  }),
  resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims", "namespaced", {
    shortNames: ["pvc"],
    subresources: withStatus,
  }),
  resource("storage.k8s.io/v1", "StorageClass", "storageclasses", "cluster", { shortNames: ["sc"] }),
  resource("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", "namespaced"),
  resource("apps/v1", "Deployment", "deployments", "namespaced", {
    shortNames: ["deploy"],
    categories: ["all"],
    subresources: { status: statusVerbs, scale: statusVerbs },
  }),
  resource("apps/v1", "ReplicaSet", "replicasets", "namespaced", {
    shortNames: ["rs"],
    categories: ["all"],
    subresources: { status: statusVerbs, scale: statusVerbs },
    fieldSelectors: { "status.replicas": field("status.replicas") },
  }),
  resource("apps/v1", "StatefulSet", "statefulsets", "namespaced", {
    shortNames: ["sts"],
    categories: ["all"],
    subresources: { status: statusVerbs, scale: statusVerbs },
  }),
  resource("apps/v1", "DaemonSet", "daemonsets", "namespaced", {
    shortNames: ["ds"],
    categories: ["all"],
    subresources: withStatus,
  }),
  resource("batch/v1", "Job", "jobs", "namespaced", {
    categories: ["all"],
    orphansByDefault: true,
    subresources: withStatus,
    fieldSelectors: { "status.successful": field("status.succeeded") },
  }),
  resource("batch/v1", "CronJob", "cronjobs", "namespaced", {
    shortNames: ["cj"],
    categories: ["all"],
    subresources: withStatus,
  }),
  resource("rbac.authorization.k8s.io/v1", "Role", "roles", "namespaced"),
  resource("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", "namespaced"),
  resource("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", "cluster"),
  resource("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", "cluster"),
  resource("authorization.k8s.io/v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", "cluster", {
    verbs: ["create"],
    virtual: true,
  }),
  resource("argoproj.io/v1alpha1", "Application", "applications", "namespaced", {
    shortNames: ["app", "apps"],
    categories: ["argoproj"],
    custom: true,
  }),
];

export function apiVersionOf(def: ResourceDef): string {
  return def.group === "" ? def.version : `${def.group}/${def.version}`;
}

/** "pods" or "deployments.apps": how the real server names a resource in error messages. */
export function qualifiedResource(def: ResourceDef): string {
  return def.group === "" ? def.resource : `${def.resource}.${def.group}`;
}

/** "Pod" or "Deployment.apps": how the real server names a kind in Invalid errors. */
export function qualifiedKind(def: ResourceDef): string {
  return def.group === "" ? def.kind : `${def.kind}.${def.group}`;
}

/** Lookup by (group, version, resource) and by (apiVersion, kind). */
export class ResourceTable {
  readonly all: readonly ResourceDef[];

  constructor(defs: readonly ResourceDef[]) {
    this.all = defs;
  }

  byResource(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.all.find((d) => d.group === group && d.version === version && d.resource === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.all.find((d) => apiVersionOf(d) === apiVersion && d.kind === kind);
  }

  /** Group/versions in table order, core first as the real server lists them. */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Set<string>();
    const out: { group: string; version: string }[] = [];
    for (const d of this.all) {
      const key = `${d.group}/${d.version}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ group: d.group, version: d.version });
      }
    }
    return out;
  }
}
