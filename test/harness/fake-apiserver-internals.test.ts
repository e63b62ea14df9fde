/**
 * Table-driven tests of the fake apiserver's pure parts: selector grammar, patch types, server-side
 * apply ownership rules, RBAC rule matching, the store's resourceVersion/generation rules, the
 * protobuf envelope kubectl sends, and the printers' age format.
 */
import { describe, expect, it } from "vitest";
import { recordUpdate, serverSideApply } from "./fake-apiserver/apply.js";
import type { RequestAttributes } from "./fake-apiserver/authz.js";
import { ruleAllows, serviceAccountUser } from "./fake-apiserver/authz.js";
import { ApiError } from "./fake-apiserver/errors.js";
import type { KubeObject } from "./fake-apiserver/objects.js";
import { jsonPatch, mergePatch, stripStrategicDirectives } from "./fake-apiserver/patch.js";
import { decodeSelfSubjectAccessReview } from "./fake-apiserver/protobuf.js";
import { defaultResources, ResourceTable } from "./fake-apiserver/resources.js";
import { matchesLabels, parseFieldSelector, parseLabelSelector } from "./fake-apiserver/selectors.js";
import { ObjectStore } from "./fake-apiserver/store.js";
import { humanDuration } from "./fake-apiserver/table.js";

const table = new ResourceTable(defaultResources);
const def = (apiVersion: string, kind: string) => {
  const found = table.byKind(apiVersion, kind);
  if (found === undefined) throw new Error(kind);
  return found;
};
const podDef = def("v1", "Pod");
const deploymentDef = def("apps/v1", "Deployment");

function statusOf(fn: () => unknown): { code: number; message: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, message: error.status.message };
    throw error;
  }
  throw new Error("expected an ApiError");
}

describe("label selectors", () => {
  const labels = { app: "web", tier: "front", replicas: "3" };
  it.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["app in (web, api)", true],
    ["app notin (web)", false],
    ["missing notin (web)", true],
    ["tier", true],
    ["!tier", false],
    ["!missing", true],
    ["replicas>2", true],
    ["replicas<3", false],
    ["app=web,tier in (back)", false],
    ["app=web, tier in (front,back), !missing", true],
  ])("%j matches %s", (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it.each(["app=web,", "app in (web", "a b", "replicas>x", "-bad=x"])("rejects %j with 400", (selector) => {
    expect(statusOf(() => parseLabelSelector(selector)).code).toBe(400);
  });
});

describe("field selectors", () => {
  it("accepts supported fields, escapes, and rejects unsupported ones like the server", () => {
    expect(parseFieldSelector("status.phase!=Running,metadata.name==a\\,b", podDef)).toEqual([
      { field: "status.phase", operator: "!=", value: "Running" },
      { field: "metadata.name", operator: "=", value: "a,b" },
    ]);
    expect(statusOf(() => parseFieldSelector("spec.replicas=1", deploymentDef))).toEqual({
      code: 400,
      message: "field label not supported: spec.replicas",
    });
  });
});

describe("patch types", () => {
  it("merge patch replaces lists, merges maps and deletes nulls", () => {
    const current = { metadata: { labels: { a: "1", b: "2" } }, spec: { list: [1, 2] } };
    expect(mergePatch(current, { metadata: { labels: { a: null, c: "3" } }, spec: { list: [3] } })).toEqual({
      metadata: { labels: { b: "2", c: "3" } },
      spec: { list: [3] },
    });
  });

  it("strategic merge patch directives are dropped before merging", () => {
    expect(
      stripStrategicDirectives({
        spec: { $setElementOrder: [1], $retainKeys: ["a"], x: { $patch: "replace", y: 1 } },
      }),
    ).toEqual({
      spec: { x: { y: 1 } },
    });
  });

  it("JSON patch applies RFC 6902 operations and fails a test operation with 400", () => {
    const doc = { a: { b: 1 }, list: [1, 2] };
    expect(
      jsonPatch(doc, [
        { op: "add", path: "/list/-", value: 3 },
        { op: "replace", path: "/a/b", value: 2 },
        { op: "copy", from: "/a", path: "/c" },
        { op: "move", from: "/list/0", path: "/first" },
        { op: "remove", path: "/a" },
      ]),
    ).toEqual({ list: [2, 3], c: { b: 2 }, first: 1 });
    expect(statusOf(() => jsonPatch(doc, [{ op: "test", path: "/a/b", value: 9 }])).code).toBe(400);
    expect(statusOf(() => jsonPatch(doc, [{ op: "remove", path: "/nope" }])).code).toBe(400);
  });
});

describe("server-side apply ownership", () => {
  const deployment = (containers: unknown[], extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop" },
    spec: { replicas: 2, template: { spec: { containers } } },
    ...extra,
  });
  const owner = { apiVersion: "apps/v1", subresource: undefined, force: false };

  it("treats lists as atomic and conflicts with the Update manager that owns them", () => {
    const live = deployment([{ name: "app", image: "v1" }]);
    recordUpdate(deploymentDef, undefined, live, {
      manager: "kubectl-create",
      apiVersion: "apps/v1",
      subresource: undefined,
    });
    expect(live.metadata?.managedFields?.[0]).toMatchObject({
      manager: "kubectl-create",
      operation: "Update",
      fieldsV1: { "f:spec": { "f:replicas": {}, "f:template": { "f:spec": { "f:containers": {} } } } },
    });
    const config = deployment([{ name: "app", image: "v2" }]);
    expect(statusOf(() => serverSideApply(deploymentDef, live, config, { ...owner, manager: "ci" }))).toEqual(
      {
        code: 409,
        message:
          'Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: .spec.template.spec.containers',
      },
    );
    const applied = serverSideApply(deploymentDef, live, config, { ...owner, manager: "ci", force: true });
    expect(applied.spec).toEqual({
      replicas: 2,
      template: { spec: { containers: [{ name: "app", image: "v2" }] } },
    });
    expect(
      applied.metadata?.managedFields?.map((m) => [m.manager, m.operation, Object.keys(m.fieldsV1)]),
    ).toEqual([
      ["ci", "Apply", ["f:spec"]],
      ["kubectl-create", "Update", ["f:spec"]],
    ]);
  });

  it("ignores status on the main resource and refuses managedFields in the configuration", () => {
    const withStatus = deployment([], { status: { replicas: 9 } });
    const created = serverSideApply(deploymentDef, undefined, withStatus, { ...owner, manager: "ci" });
    expect(created.status).toBeUndefined();
    const withManaged = deployment([], { metadata: { name: "web", managedFields: [{ manager: "x" }] } });
    expect(
      statusOf(() => serverSideApply(deploymentDef, created, withManaged, { ...owner, manager: "ci" })),
    ).toEqual({
      code: 400,
      message: "metadata.managedFields must be nil",
    });
  });

  it("an Update drops ownership of fields that no longer exist", () => {
    const before: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", labels: { a: "1", b: "2" } },
    };
    recordUpdate(podDef, undefined, before, { manager: "one", apiVersion: "v1", subresource: undefined });
    const after: KubeObject = { ...before, metadata: { ...before.metadata, labels: { a: "1" } } };
    recordUpdate(podDef, before, after, { manager: "two", apiVersion: "v1", subresource: undefined });
    expect(after.metadata?.managedFields?.map((m) => [m.manager, m.fieldsV1])).toEqual([
      ["one", { "f:metadata": { "f:labels": { "f:a": {} } } }],
    ]);
  });
});

describe("RBAC rules", () => {
  const attrs = (over: Partial<RequestAttributes>): RequestAttributes => ({
    user: serviceAccountUser("ns", "sa"),
    verb: "get",
    resourceRequest: true,
    path: "",
    group: "",
    resource: "pods",
    subresource: "",
    namespace: "ns",
    name: "p",
    ...over,
  });
  const rule = (over: Partial<Parameters<typeof ruleAllows>[0]>) => ({
    verbs: ["get"],
    apiGroups: [""],
    resources: ["pods"],
    resourceNames: [],
    nonResourceURLs: [],
    ...over,
  });
  it.each([
    ["exact resource", rule({}), attrs({}), true],
    ["other verb", rule({}), attrs({ verb: "delete" }), false],
    ["subresource needs its own entry", rule({}), attrs({ subresource: "log" }), false],
    ["pods/log", rule({ resources: ["pods/log"] }), attrs({ subresource: "log" }), true],
    ["*/log", rule({ resources: ["*/log"] }), attrs({ subresource: "log" }), true],
    [
      "wildcards",
      rule({ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }),
      attrs({ verb: "list", group: "apps", resource: "deployments", name: "" }),
      true,
    ],
    ["resourceNames allow the name", rule({ resourceNames: ["p"] }), attrs({}), true],
    [
      "resourceNames never allow list",
      rule({ verbs: ["list"], resourceNames: ["p"] }),
      attrs({ verb: "list", name: "" }),
      false,
    ],
    ["other group", rule({}), attrs({ group: "apps" }), false],
    [
      "nonResourceURLs prefix",
      rule({ nonResourceURLs: ["/healthz/*"] }),
      attrs({ resourceRequest: false, path: "/healthz/etcd" }),
      true,
    ],
  ])("%s", (_name, r, a, expected) => {
    expect(ruleAllows(r, a)).toBe(expected);
  });
});

describe("object store", () => {
  it("keeps resourceVersion on no-op writes, bumps generation only for spec changes, and compacts history", () => {
    const store = new ObjectStore(2);
    const cmDef = def("v1", "ConfigMap");
    const created = store.create(podDef, { metadata: { name: "p", namespace: "ns" }, spec: { a: 1 } });
    expect(created.metadata).toMatchObject({ resourceVersion: "1001", generation: 1 });
    expect(store.replace(podDef, created).metadata?.resourceVersion).toBe("1001");
    const labelled = store.replace(podDef, {
      ...created,
      metadata: { ...created.metadata, labels: { x: "y" } },
    });
    expect(labelled.metadata).toMatchObject({ resourceVersion: "1002", generation: 1 });
    const respecced = store.replace(podDef, { ...labelled, spec: { a: 2 } });
    expect(respecced.metadata).toMatchObject({ resourceVersion: "1003", generation: 2 });
    store.create(cmDef, { metadata: { name: "c", namespace: "ns" } });
    expect(store.compactedResourceVersion).toBe(1002);
    expect(store.eventsSince(1002).map((e) => [e.type, e.resourceVersion])).toEqual([
      ["MODIFIED", 1003],
      ["ADDED", 1004],
    ]);
  });
});

describe("protobuf SelfSubjectAccessReview", () => {
  const field = (n: number, payload: Buffer): Buffer =>
    Buffer.concat([Buffer.from([(n << 3) | 2, payload.length]), payload]);
  const str = (n: number, s: string) => field(n, Buffer.from(s));
  it("decodes what kubectl auth can-i sends", () => {
    const attributes = Buffer.concat([str(1, "team"), str(2, "get"), str(5, "pods"), str(6, "log")]);
    const review = Buffer.concat([field(1, Buffer.alloc(0)), field(2, field(1, attributes))]);
    const typeMeta = Buffer.concat([str(1, "authorization.k8s.io/v1"), str(2, "SelfSubjectAccessReview")]);
    const body = Buffer.concat([Buffer.from("k8s\0"), field(1, typeMeta), field(2, review)]);
    expect(decodeSelfSubjectAccessReview(body)).toEqual({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      metadata: {},
      spec: { resourceAttributes: { namespace: "team", verb: "get", resource: "pods", subresource: "log" } },
    });
  });
});

describe("printer ages", () => {
  it.each([
    [-5_000, "<invalid>"],
    [59_000, "59s"],
    [119_000, "119s"],
    [150_000, "2m30s"],
    [600_000, "10m"],
    [3 * 3600_000 + 5 * 60_000, "3h5m"],
    [30 * 3600_000, "30h"],
    [3 * 86_400_000 + 3600_000, "3d1h"],
    [400 * 86_400_000, "400d"],
  ])("%d ms is %s", (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});
