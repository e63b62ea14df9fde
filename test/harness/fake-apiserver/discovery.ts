/**
 * Discovery and OpenAPI documents generated from the resource table.
 *
 * - `/version`, `/api` (APIVersions), `/apis` (APIGroupList), `/apis/<group>` (APIGroup), and
 *   `/api/v1` + `/apis/<group>/<version>` (APIResourceList, subresources listed as `pods/log`). These
 *   are the legacy (unaggregated) documents: client-go asks for aggregated discovery
 *   (`as=APIGroupDiscoveryList`) first and falls back to these when the Content-Type is plain JSON.
 * - `/openapi/v3` (the path index) and `/openapi/v3/<api|apis/g>/<v>`: a stub per group/version holding
 *   one PATCH operation per resource, tagged with `x-kubernetes-group-version-kind` and the
 *   `fieldValidation` query parameter. That is all kubectl reads from it (its field-validation query
 *   parameter check in apply/create/replace); there are no schemas, so `kubectl explain` does not work.
 * - `/openapi/v2` is 404, as on a server that serves only v3 to this client.
 */
import type { ResourceDef, ResourceTable } from "./resources.js";

export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
}

export function versionInfo(version: ServerVersion): Record<string, string> {
  return {
    major: version.major,
    minor: version.minor,
    gitVersion: version.gitVersion,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2025-01-01T00:00:00Z",
    goVersion: "go1.23.6",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersions(): unknown {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "172.18.0.2:6443" }],
  };
}

function groupVersionEntry(group: string, version: string) {
  return { groupVersion: `${group}/${version}`, version };
}

function apiGroup(table: ResourceTable, group: string) {
  const versions = table
    .groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => groupVersionEntry(gv.group, gv.version));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(table: ResourceTable): unknown {
  const groups = [...new Set(table.groupVersions().map((gv) => gv.group))].filter((g) => g !== "");
  return { kind: "APIGroupList", apiVersion: "v1", groups: groups.map((g) => apiGroup(table, g)) };
}

export function apiGroupDocument(table: ResourceTable, group: string): unknown | undefined {
  if (group === "" || !table.groupVersions().some((gv) => gv.group === group)) return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...apiGroup(table, group) };
}

function resourceEntries(def: ResourceDef): unknown[] {
  const main: Record<string, unknown> = {
    name: def.resource,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.verbs,
  };
  if (def.shortNames.length > 0) main.shortNames = def.shortNames;
  if (def.categories.length > 0) main.categories = def.categories;
  const subs = Object.entries(def.subresources).map(([sub, verbs]) => ({
    name: `${def.resource}/${sub}`,
    singularName: "",
    namespaced: def.namespaced,
    ...(sub === "scale" ? { group: "autoscaling", version: "v1", kind: "Scale" } : { kind: def.kind }),
    verbs,
  }));
  return [main, ...subs];
}

export function apiResourceList(table: ResourceTable, group: string, version: string): unknown | undefined {
  const defs = table.all.filter((d) => d.group === group && d.version === version);
  if (defs.length === 0) return undefined;
  const groupVersion = group === "" ? version : `${group}/${version}`;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion,
    resources: defs.flatMap(resourceEntries),
  };
}

function openApiPath(def: ResourceDef): string {
  const prefix = def.group === "" ? `/api/${def.version}` : `/apis/${def.group}/${def.version}`;
  return def.namespaced
    ? `${prefix}/namespaces/{namespace}/${def.resource}/{name}`
    : `${prefix}/${def.resource}/{name}`;
}

function openApiKey(group: string, version: string): string {
  return group === "" ? `api/${version}` : `apis/${group}/${version}`;
}

export function openApiV3Index(table: ResourceTable): unknown {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of table.groupVersions()) {
    const key = openApiKey(group, version);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(key)}` };
  }
  return { paths };
}

function hashOf(text: string): string {
  let hash = 0;
  for (const ch of text) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash.toString(16).toUpperCase().padStart(8, "0");
}

/** The per group/version document: PATCH operations that advertise `fieldValidation`. */
export function openApiV3GroupVersion(table: ResourceTable, key: string): unknown | undefined {
  const gv = table.groupVersions().find((g) => openApiKey(g.group, g.version) === key);
  if (gv === undefined) return undefined;
  const paths: Record<string, unknown> = {};
  for (const def of table.all.filter((d) => d.group === gv.group && d.version === gv.version && !d.virtual)) {
    paths[openApiPath(def)] = {
      patch: {
        description: `partially update the specified ${def.kind}`,
        operationId: `patch${def.kind}`,
        parameters: [
          { name: "dryRun", in: "query", schema: { type: "string", uniqueItems: true } },
          { name: "fieldManager", in: "query", schema: { type: "string", uniqueItems: true } },
          { name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } },
          { name: "force", in: "query", schema: { type: "boolean", uniqueItems: true } },
        ],
        responses: { "200": { description: "OK" } },
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": { group: def.group, version: def.version, kind: def.kind },
      },
    };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.32.2" },
    paths,
    components: { schemas: {} },
  };
}
