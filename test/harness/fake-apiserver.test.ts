/**
 * Proves the fake apiserver against the unmodified @kubernetes/client-node v2: typed clients,
 * KubernetesObjectApi (server-side apply), Watch and Log, plus raw requests where the exact Status
 * body matters.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import {
  ApiException,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  Log,
  PatchStrategy,
  type V1ConfigMap,
  type V1Namespace,
  type V1Pod,
  VersionApi,
  Watch,
} from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FakeApiServer, KubeObject } from "./fake-apiserver/index.js";
import { startFakeApiServer } from "./fake-apiserver/index.js";

let api: FakeApiServer;
let dir: string;
/** How long asynchronous effects (watch events, log chunks) may take to arrive, even on a loaded CI machine. */
const settle = { timeout: 5000 };

beforeEach(async () => {
  api = await startFakeApiServer();
  dir = mkdtempSync(join(tmpdir(), "fake-apiserver-"));
});

afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubeConfig(options: { token?: string; namespace?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(api.writeKubeconfig(dir, options));
  return kc;
}

function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  extra: Partial<KubeObject> = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: "app", image: "busybox:1.36" }] },
    ...extra,
  };
}

/** The same pod as a client-node model, for typed create calls. */
function podBody(namespace: string, name: string): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name } },
    spec: { containers: [{ name: "app", image: "busybox:1.36" }] },
  };
}

/** Runs `fn`, which must throw an ApiException; returns its code and parsed Status body. */
async function apiError(
  fn: () => Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    return { code: error.code, body: JSON.parse(String(error.body)) as Record<string, unknown> };
  }
  throw new Error("expected an ApiException");
}

function names(items: { metadata?: { name?: string } }[]): string[] {
  return items.map((i) => i.metadata?.name ?? "").sort();
}

describe("fake apiserver with @kubernetes/client-node", () => {
  it("serves /version and discovery that client-node resolves kinds from", async () => {
    const version = await kubeConfig().makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe("v1.32.2");
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig());
    const created = await objects
      .create({
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name: "shop", namespace: "argocd" },
        spec: { project: "default" },
      })
      .catch((e: unknown) => e);
    // The namespace does not exist yet: the real server answers 404 for the namespace.
    expect(created).toBeInstanceOf(ApiException);
    expect((created as ApiException<string>).code).toBe(404);
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "argocd" } });
    const application: KubernetesObject & { spec: object } = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "shop", namespace: "argocd" },
      spec: { project: "default" },
    };
    const app = await objects.create(application);
    expect(app.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gets and lists with label selectors, field selectors and across namespaces", async () => {
    api.put(
      pod(
        "shop",
        "web-1",
        { app: "web", tier: "front" },
        { spec: { nodeName: "n1", containers: [{ name: "app", image: "x" }] }, status: { phase: "Running" } },
      ),
    );
    api.put(pod("shop", "web-2", { app: "web" }, { status: { phase: "Pending" } }));
    api.put(pod("shop", "db-1", { app: "db", tier: "back" }, { status: { phase: "Running" } }));
    api.put(pod("other", "web-3", { app: "web", tier: "front" }, { status: { phase: "Failed" } }));
    const core = kubeConfig().makeApiClient(CoreV1Api);

    const list = async (labelSelector?: string, fieldSelector?: string) => {
      const request: { namespace: string; labelSelector?: string; fieldSelector?: string } = {
        namespace: "shop",
      };
      if (labelSelector !== undefined) request.labelSelector = labelSelector;
      if (fieldSelector !== undefined) request.fieldSelector = fieldSelector;
      return names((await core.listNamespacedPod(request)).items);
    };
    expect(await list()).toEqual(["db-1", "web-1", "web-2"]);
    expect(await list("app=web")).toEqual(["web-1", "web-2"]);
    expect(await list("app==web,tier=front")).toEqual(["web-1"]);
    expect(await list("tier!=front")).toEqual(["db-1", "web-2"]);
    expect(await list("tier in (front,back)")).toEqual(["db-1", "web-1"]);
    expect(await list("tier notin (front)")).toEqual(["db-1", "web-2"]);
    expect(await list("tier")).toEqual(["db-1", "web-1"]);
    expect(await list("!tier")).toEqual(["web-2"]);
    expect(await list(undefined, "status.phase=Running")).toEqual(["db-1", "web-1"]);
    expect(await list(undefined, "spec.nodeName=n1")).toEqual(["web-1"]);
    expect(await list(undefined, "spec.nodeName=")).toEqual(["db-1", "web-2"]);
    expect(await list("app=web", "metadata.name!=web-1")).toEqual(["web-2"]);

    const all = await core.listPodForAllNamespaces({ labelSelector: "app=web" });
    expect(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort()).toEqual([
      "other/web-3",
      "shop/web-1",
      "shop/web-2",
    ]);
    expect(Number(all.metadata?.resourceVersion)).toBe(Number(api.resourceVersion));

    const one = await core.readNamespacedPod({ name: "web-1", namespace: "shop" });
    expect(one.status?.phase).toBe("Running");

    // The real list body: kind PodList, list resourceVersion, items without their own kind/apiVersion.
    const raw = await api.request("GET", "/api/v1/namespaces/shop/pods?labelSelector=app%3Ddb");
    const body = JSON.parse(raw.body) as {
      kind: string;
      apiVersion: string;
      metadata: object;
      items: KubeObject[];
    };
    expect(body.kind).toBe("PodList");
    expect(body.apiVersion).toBe("v1");
    expect(body.metadata).toEqual({ resourceVersion: api.resourceVersion });
    expect(body.items).toHaveLength(1);
    expect(body.items[0]?.kind).toBeUndefined();

    const unsupported = await apiError(() =>
      core.listNamespacedPod({ namespace: "shop", fieldSelector: "spec.image=x" }),
    );
    expect(unsupported.code).toBe(400);
    expect(unsupported.body.message).toBe("field label not supported: spec.image");
  });

  it("pages lists with limit and continue", async () => {
    for (const n of [1, 2, 3, 4, 5]) api.put(pod("paging", `p-${n}`, {}));
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const first = await core.listNamespacedPod({ namespace: "paging", limit: 2 });
    expect(names(first.items)).toEqual(["p-1", "p-2"]);
    expect(first.metadata?.remainingItemCount).toBe(3);
    const second = await core.listNamespacedPod({
      namespace: "paging",
      limit: 2,
      _continue: first.metadata?._continue ?? "",
    });
    expect(names(second.items)).toEqual(["p-3", "p-4"]);
    const third = await core.listNamespacedPod({
      namespace: "paging",
      limit: 2,
      _continue: second.metadata?._continue ?? "",
    });
    expect(names(third.items)).toEqual(["p-5"]);
    expect(third.metadata?._continue).toBeUndefined();
  });

  it("answers 404 with the real Status body", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    const raw = await api.request("GET", "/api/v1/namespaces/shop/pods/x");
    expect(raw.status).toBe(404);
    expect(raw.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(raw.body)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'pods "x" not found',
      reason: "NotFound",
      details: { name: "x", kind: "pods" },
      code: 404,
    });
    const apps = await api.request("GET", "/apis/apps/v1/namespaces/shop/deployments/web");
    expect(JSON.parse(apps.body)).toMatchObject({
      message: 'deployments.apps "web" not found',
      details: { name: "web", group: "apps", kind: "deployments" },
    });
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const error = await apiError(() => core.readNamespacedPod({ name: "x", namespace: "shop" }));
    expect(error.code).toBe(404);
    expect(error.body.reason).toBe("NotFound");
  });

  it("rejects duplicates, invalid names, missing namespaces and stale updates like the real server", async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const missingNs = await apiError(() =>
      core.createNamespacedPod({ namespace: "nowhere", body: podBody("nowhere", "p") }),
    );
    expect(missingNs.code).toBe(404);
    expect(missingNs.body.message).toBe('namespaces "nowhere" not found');

    await core.createNamespace({ body: { metadata: { name: "shop" } } });
    const created = await core.createNamespacedPod({
      namespace: "shop",
      body: podBody("shop", "web"),
    });
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.status?.phase).toBe("Pending");

    const duplicate = await apiError(() =>
      core.createNamespacedPod({ namespace: "shop", body: podBody("shop", "web") }),
    );
    expect(duplicate).toEqual({
      code: 409,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: 'pods "web" already exists',
        reason: "AlreadyExists",
        details: { name: "web", kind: "pods" },
        code: 409,
      },
    });

    const noName = await apiError(() =>
      core.createNamespacedConfigMap({ namespace: "shop", body: { metadata: {}, data: { a: "b" } } }),
    );
    expect(noName.code).toBe(422);
    expect(noName.body).toMatchObject({
      reason: "Invalid",
      message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
      details: { kind: "ConfigMap", causes: [{ reason: "FieldValueRequired", field: "metadata.name" }] },
    });
    const badName = await apiError(() =>
      core.createNamespacedConfigMap({ namespace: "shop", body: { metadata: { name: "Bad_Name" } } }),
    );
    expect(badName.code).toBe(422);
    expect(String(badName.body.message)).toMatch(
      /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );

    const generated = await core.createNamespacedConfigMap({
      namespace: "shop",
      body: { metadata: { generateName: "cfg-" } },
    });
    expect(generated.metadata?.name).toMatch(/^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$/);

    const stale = { ...created, metadata: { ...created.metadata, resourceVersion: "1" } };
    const conflict = await apiError(() =>
      core.replaceNamespacedPod({ name: "web", namespace: "shop", body: stale }),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
    });

    const fresh = await core.readNamespacedPod({ name: "web", namespace: "shop" });
    fresh.metadata = { ...fresh.metadata, labels: { app: "web", v: "2" } };
    const replaced = await core.replaceNamespacedPod({ name: "web", namespace: "shop", body: fresh });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
      Number(fresh.metadata?.resourceVersion),
    );
    expect(replaced.metadata?.labels).toEqual({ app: "web", v: "2" });
  });

  it("server-side applies with managedFields, conflicts between managers, and force", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig());
    const config: V1ConfigMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: "shop", labels: { app: "web" } },
      data: { mode: "fast", size: "3" },
    };
    const created = await objects.patch(
      config,
      undefined,
      undefined,
      "deployer",
      false,
      PatchStrategy.ServerSideApply,
    );
    expect(created.metadata?.managedFields).toEqual([
      {
        manager: "deployer",
        operation: "Apply",
        apiVersion: "v1",
        time: expect.any(Date),
        fieldsType: "FieldsV1",
        fieldsV1: { "f:data": { "f:mode": {}, "f:size": {} }, "f:metadata": { "f:labels": { "f:app": {} } } },
      },
    ]);

    // Re-applying the same configuration changes nothing, not even the resourceVersion.
    const again = await objects.patch(
      config,
      undefined,
      undefined,
      "deployer",
      false,
      PatchStrategy.ServerSideApply,
    );
    expect(again.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    // Another manager setting the same value co-owns it; a different value conflicts.
    const sameValue = { ...config, data: { mode: "fast" } };
    await objects.patch(sameValue, undefined, undefined, "operator", false, PatchStrategy.ServerSideApply);
    const conflicting = { ...config, metadata: { name: "settings", namespace: "shop" }, data: { size: "5" } };
    const conflict = await apiError(() =>
      objects.patch(conflicting, undefined, undefined, "operator", false, PatchStrategy.ServerSideApply),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'Apply failed with 1 conflict: conflict with "deployer": .data.size',
      reason: "Conflict",
      details: {
        causes: [
          { reason: "FieldManagerConflict", message: 'conflict with "deployer"', field: ".data.size" },
        ],
      },
      code: 409,
    });

    const forced = await objects.patch<V1ConfigMap>(
      conflicting,
      undefined,
      undefined,
      "operator",
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(forced.data).toEqual({ mode: "fast", size: "5" });
    const byManager = Object.fromEntries(
      (forced.metadata?.managedFields ?? []).map((m) => [m.manager, m.fieldsV1]),
    );
    expect(byManager).toEqual({
      deployer: { "f:data": { "f:mode": {} }, "f:metadata": { "f:labels": { "f:app": {} } } },
      operator: { "f:data": { "f:size": {} } },
    });

    // A field the applier stops applying is removed when nobody else owns it.
    const shrunk = await objects.patch<V1ConfigMap>(
      { ...config, data: { mode: "fast" }, metadata: { name: "settings", namespace: "shop" } },
      undefined,
      undefined,
      "deployer",
      false,
      PatchStrategy.ServerSideApply,
    );
    expect(shrunk.metadata?.labels).toBeUndefined();
    expect(shrunk.data).toEqual({ mode: "fast", size: "5" });

    // A merge patch records an Update manager, which an apply then conflicts with.
    await objects.patch(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "settings", namespace: "shop" },
        data: { mode: "slow" },
      },
      undefined,
      undefined,
      "hand-edit",
      undefined,
      PatchStrategy.MergePatch,
    );
    const updateConflict = await apiError(() =>
      objects.patch(config, undefined, undefined, "deployer", false, PatchStrategy.ServerSideApply),
    );
    expect(updateConflict.body.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "hand-edit" using v1:\n- .data.mode\nconflicts with "operator":\n- .data.size',
    );

    // fieldManager is required for apply, exactly as the apiserver validates PatchOptions.
    const noManager = await api.request("PATCH", "/api/v1/namespaces/shop/configmaps/settings", {
      headers: { "Content-Type": "application/apply-patch+yaml" },
      body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    });
    expect(noManager.status).toBe(422);
    expect(JSON.parse(noManager.body)).toMatchObject({
      reason: "Invalid",
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      details: {
        group: "meta.k8s.io",
        kind: "PatchOptions",
        causes: [{ reason: "FieldValueRequired", field: "fieldManager" }],
      },
    });
  });

  it("streams watch events: ADDED, MODIFIED, DELETED, selector transitions and 410 Expired", async () => {
    api.put({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "before", namespace: "w", labels: { watched: "yes" } },
    });
    const startVersion = api.resourceVersion;
    const events: string[] = [];
    let ended: unknown = "not yet";
    const watch = new Watch(kubeConfig());
    const controller = await watch.watch(
      "/api/v1/namespaces/w/configmaps",
      { labelSelector: "watched=yes" },
      (type, obj: KubeObject) => events.push(`${type} ${obj.metadata?.name ?? ""}`),
      (err) => {
        ended = err;
      },
    );
    await expect.poll(() => events, settle).toEqual(["ADDED before"]);

    api.put({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cfg", namespace: "w", labels: { watched: "yes" } },
    });
    api.update("v1", "ConfigMap", "w", "cfg", (cm) => {
      cm.data = { k: "v" };
    });
    api.put({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ignored", namespace: "w" } });
    api.update("v1", "ConfigMap", "w", "before", (cm) => {
      delete cm.metadata?.labels?.watched;
    });
    api.remove("v1", "ConfigMap", "w", "cfg");
    await expect
      .poll(() => events, settle)
      .toEqual(["ADDED before", "ADDED cfg", "MODIFIED cfg", "DELETED before", "DELETED cfg"]);
    // The stream stays open until the client aborts it.
    expect(ended).toBe("not yet");
    controller.abort();

    // Resuming from a resourceVersion replays what happened after it.
    const replayed: string[] = [];
    const resumed = await watch.watch(
      "/api/v1/namespaces/w/configmaps",
      { resourceVersion: startVersion },
      (type, obj: KubeObject) => replayed.push(`${type} ${obj.metadata?.name ?? ""}`),
      () => {},
    );
    await expect
      .poll(() => replayed, settle)
      .toEqual(["ADDED cfg", "MODIFIED cfg", "ADDED ignored", "MODIFIED before", "DELETED cfg"]);
    resumed.abort();

    // Once history is compacted, an old resourceVersion gets an ERROR event with 410 Expired.
    api.compactHistory();
    const errors: KubeObject[] = [];
    await watch.watch(
      "/api/v1/namespaces/w/configmaps",
      { resourceVersion: startVersion },
      (type, obj: KubeObject) => {
        if (type === "ERROR") errors.push(obj);
      },
      () => {},
    );
    await expect.poll(() => errors.length, settle).toBe(1);
    expect(errors[0]).toMatchObject({
      kind: "Status",
      code: 410,
      reason: "Expired",
      message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/),
    });
  });

  it("ends a watch after timeoutSeconds and sends bookmarks when allowed", async () => {
    await api.close();
    api = await startFakeApiServer({ bookmarkIntervalMs: 50 });
    const types: string[] = [];
    let done = false;
    await new Watch(kubeConfig()).watch(
      "/api/v1/namespaces/default/pods",
      { allowWatchBookmarks: true, timeoutSeconds: 1 },
      (type) => types.push(type),
      () => {
        done = true;
      },
    );
    await expect.poll(() => done, settle).toBe(true);
    expect(types.filter((t) => t === "BOOKMARK").length).toBeGreaterThan(2);
  });

  it("follows logs until endLog, and serves tailLines, limitBytes and previous", async () => {
    api.put(pod("logs", "worker", { app: "worker" }, { status: { phase: "Running" } }));
    api.appendLog("logs", "worker", "app", "line 1\nline 2\n");
    const kc = kubeConfig();
    const out = new PassThrough();
    let text = "";
    let finished = false;
    out.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    out.on("end", () => {
      finished = true;
    });
    await new Log(kc).log("logs", "worker", "app", out, { follow: true });
    await expect.poll(() => text, settle).toBe("line 1\nline 2\n");
    api.appendLog("logs", "worker", "app", "line 3\n");
    await expect.poll(() => text, settle).toBe("line 1\nline 2\nline 3\n");
    expect(finished).toBe(false);
    api.endLog("logs", "worker", "app");
    await expect.poll(() => finished, settle).toBe(true);

    const core = kc.makeApiClient(CoreV1Api);
    expect(await core.readNamespacedPodLog({ name: "worker", namespace: "logs", tailLines: 1 })).toBe(
      "line 3\n",
    );
    expect(await core.readNamespacedPodLog({ name: "worker", namespace: "logs", limitBytes: 4 })).toBe(
      "line",
    );
    const stamped = await core.readNamespacedPodLog({
      name: "worker",
      namespace: "logs",
      timestamps: true,
      tailLines: 1,
    });
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 3\n$/);

    const noPrevious = await api.request("GET", "/api/v1/namespaces/logs/pods/worker/log?previous=true");
    expect(noPrevious.status).toBe(400);
    expect(JSON.parse(noPrevious.body)).toMatchObject({
      reason: "BadRequest",
      message: 'previous terminated container "app" in pod "worker" not found',
    });
    api.appendLog("logs", "worker", "app", "crashed\n", { previous: true });
    expect(await core.readNamespacedPodLog({ name: "worker", namespace: "logs", previous: true })).toBe(
      "crashed\n",
    );

    api.put({
      ...pod("logs", "multi", {}),
      spec: {
        containers: [
          { name: "a", image: "x" },
          { name: "b", image: "x" },
        ],
      },
    });
    const ambiguous = await api.request("GET", "/api/v1/namespaces/logs/pods/multi/log");
    expect(JSON.parse(ambiguous.body)).toMatchObject({
      code: 400,
      message: "a container name must be specified for pod multi, choose one of: [a b]",
    });
    api.update("v1", "Pod", "logs", "multi", (p) => {
      p.status = {
        phase: "Pending",
        containerStatuses: [{ name: "a", state: { waiting: { reason: "ImagePullBackOff" } } }],
      };
    });
    const waiting = await api.request("GET", "/api/v1/namespaces/logs/pods/multi/log?container=a");
    expect(JSON.parse(waiting.body)).toMatchObject({
      code: 400,
      message: 'container "a" in pod "multi" is waiting to start: ImagePullBackOff',
    });
  });

  it("ends a log follow when the pod is deleted", async () => {
    api.put(pod("logs", "doomed", {}));
    api.appendLog("logs", "doomed", "app", "starting\n");
    const out = new PassThrough();
    let finished = false;
    out.on("end", () => {
      finished = true;
    });
    out.resume();
    await new Log(kubeConfig()).log("logs", "doomed", "app", out, { follow: true });
    api.remove("v1", "Pod", "logs", "doomed");
    await expect.poll(() => finished, settle).toBe(true);
  });

  it("authorizes ServiceAccount tokens with RBAC and answers SelfSubjectAccessReviews", async () => {
    api.put(pod("team", "app-1", {}));
    api.put({ apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "team" }, data: {} });
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "pod-reader", namespace: "team" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
    });
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "diagnoser-reads-pods", namespace: "team" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
      subjects: [{ kind: "ServiceAccount", name: "diagnoser", namespace: "team" }],
    });
    const kc = kubeConfig({ token: api.tokenFor("team", "diagnoser") });
    const core = kc.makeApiClient(CoreV1Api);

    const got = await core.readNamespacedPod({ name: "app-1", namespace: "team" });
    expect(got.metadata?.name).toBe("app-1");

    const secret = await apiError(() => core.readNamespacedSecret({ name: "db", namespace: "team" }));
    expect(secret).toEqual({
      code: 403,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message:
          'secrets "db" is forbidden: User "system:serviceaccount:team:diagnoser" cannot get resource "secrets" in API group "" in the namespace "team"',
        reason: "Forbidden",
        details: { name: "db", kind: "secrets" },
        code: 403,
      },
    });
    const list = await apiError(() => core.listNamespacedPod({ namespace: "team" }));
    expect(list.body.message).toBe(
      'pods is forbidden: User "system:serviceaccount:team:diagnoser" cannot list resource "pods" in API group "" in the namespace "team"',
    );
    const logs = await apiError(() => core.readNamespacedPodLog({ name: "app-1", namespace: "team" }));
    expect(logs.code).toBe(403);

    const reviews = kc.makeApiClient(AuthorizationV1Api);
    const allowed = await reviews.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace: "team", verb: "get", resource: "pods" } } },
    });
    expect(allowed.status).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by RoleBinding "diagnoser-reads-pods/team" of Role "pod-reader" to ServiceAccount "diagnoser/team"',
    });
    const denied = await reviews.createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: { namespace: "team", verb: "get", resource: "pods", subresource: "log" },
        },
      },
    });
    expect(denied.status?.allowed).toBe(false);

    // A ClusterRole with a subresource and resourceNames rule, bound cluster-wide.
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "log-reader" },
      rules: [{ apiGroups: [""], resources: ["pods/log"], verbs: ["get"], resourceNames: ["app-1"] }],
    });
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "diagnoser-logs" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "log-reader" },
      subjects: [{ kind: "ServiceAccount", name: "diagnoser", namespace: "team" }],
    });
    api.appendLog("team", "app-1", "app", "ok\n");
    expect(await core.readNamespacedPodLog({ name: "app-1", namespace: "team" })).toBe("ok\n");

    const unknownToken = await api.request("GET", "/api/v1/namespaces", { token: "not-a-token" });
    expect(unknownToken.status).toBe(401);
    expect(JSON.parse(unknownToken.body)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });
    expect(
      api.requests.some((r) => r.user === "system:serviceaccount:team:diagnoser" && r.status === 403),
    ).toBe(true);
  });

  it("runs Jobs through the controller hook to Complete", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "batch" } });
    api.onJobCreated(async ({ job, pod: jobPod, api: server }) => {
      const name = jobPod.metadata?.name ?? "";
      expect(job.metadata?.name).toBe("migrate");
      server.update("v1", "Pod", "batch", name, (p) => {
        p.status = { phase: "Running" };
      });
      server.appendLog("batch", name, "main", "migrating\ndone\n");
      server.update("v1", "Pod", "batch", name, (p) => {
        p.status = { phase: "Succeeded" };
      });
    });
    const batch = kubeConfig().makeApiClient(BatchV1Api);
    const created = await batch.createNamespacedJob({
      namespace: "batch",
      body: {
        metadata: { name: "migrate" },
        spec: {
          template: {
            metadata: { labels: { team: "data" } },
            spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] },
          },
        },
      },
    });
    const uid = created.metadata?.uid ?? "";
    expect(created.spec?.selector?.matchLabels).toEqual({ "batch.kubernetes.io/controller-uid": uid });

    const done = await api.waitFor("batch/v1", "Job", "batch", "migrate", (j) =>
      JSON.stringify(j.status ?? {}).includes('"Complete"'),
    );
    expect(done.status).toMatchObject({
      succeeded: 1,
      conditions: [
        { type: "SuccessCriteriaMet", status: "True", reason: "CompletionsReached" },
        {
          type: "Complete",
          status: "True",
          reason: "CompletionsReached",
          message: "Reached expected number of succeeded pods",
        },
      ],
    });
    expect((done.status as Record<string, unknown>).active).toBeUndefined();

    const [jobPod] = api.list("v1", "Pod", "batch");
    expect(jobPod?.metadata?.name).toMatch(/^migrate-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(jobPod?.metadata?.labels).toEqual({
      team: "data",
      "batch.kubernetes.io/controller-uid": uid,
      "batch.kubernetes.io/job-name": "migrate",
      "controller-uid": uid,
      "job-name": "migrate",
    });
    expect(jobPod?.metadata?.ownerReferences).toEqual([
      {
        apiVersion: "batch/v1",
        kind: "Job",
        name: "migrate",
        uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    expect(await core.readNamespacedPodLog({ name: jobPod?.metadata?.name ?? "", namespace: "batch" })).toBe(
      "migrating\ndone\n",
    );

    // batch/v1 orphans pods when no propagationPolicy is given; Background deletes them.
    await batch.deleteNamespacedJob({ name: "migrate", namespace: "batch" });
    const orphan = api.list("v1", "Pod", "batch");
    expect(orphan).toHaveLength(1);
    expect(orphan[0]?.metadata?.ownerReferences).toBeUndefined();
    expect(api.controllerErrors).toEqual([]);
  });

  it("fails Jobs with BackoffLimitExceeded and DeadlineExceeded, and Background deletion removes their pods", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "batch" } });
    const attempts: number[] = [];
    api.onJobCreated(({ pod: jobPod, api: server, attempt, job }) => {
      if (job.metadata?.name !== "flaky") return;
      attempts.push(attempt);
      server.update("v1", "Pod", "batch", jobPod.metadata?.name ?? "", (p) => {
        p.status = { phase: "Failed" };
      });
    });
    const batch = kubeConfig().makeApiClient(BatchV1Api);
    const template = { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox" }] } };
    await batch.createNamespacedJob({
      namespace: "batch",
      body: { metadata: { name: "flaky" }, spec: { backoffLimit: 1, template } },
    });
    const failed = await api.waitFor("batch/v1", "Job", "batch", "flaky", (j) =>
      JSON.stringify(j.status ?? {}).includes('"Failed"'),
    );
    expect(attempts).toEqual([1, 2]);
    expect(failed.status).toMatchObject({
      failed: 2,
      conditions: [
        {
          type: "FailureTarget",
          reason: "BackoffLimitExceeded",
          message: "Job has reached the specified backoff limit",
        },
        {
          type: "Failed",
          status: "True",
          reason: "BackoffLimitExceeded",
          message: "Job has reached the specified backoff limit",
        },
      ],
    });

    await batch.createNamespacedJob({
      namespace: "batch",
      body: { metadata: { name: "slow" }, spec: { activeDeadlineSeconds: 1, template } },
    });
    const slow = await api.waitFor(
      "batch/v1",
      "Job",
      "batch",
      "slow",
      (j) => JSON.stringify(j.status ?? {}).includes('"Failed"'),
      4000,
    );
    expect(slow.status).toMatchObject({
      failed: 1,
      conditions: [
        { type: "FailureTarget", reason: "DeadlineExceeded" },
        {
          type: "Failed",
          reason: "DeadlineExceeded",
          message: "Job was active longer than specified deadline",
        },
      ],
    });

    expect(api.list("v1", "Pod", "batch").length).toBe(2);
    await batch.deleteNamespacedJob({ name: "flaky", namespace: "batch", propagationPolicy: "Background" });
    expect(api.list("v1", "Pod", "batch")).toEqual([]);
  });

  it("deletes namespaces with their contents and returns the real delete bodies", async () => {
    api.put(pod("gone", "p", {}));
    api.put({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "gone" } });
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const deletedPod = await api.request("DELETE", "/api/v1/namespaces/gone/pods/p");
    expect(JSON.parse(deletedPod.body)).toMatchObject({ kind: "Pod", metadata: { name: "p" } });
    const cm = api.get("v1", "ConfigMap", "gone", "c");
    const deletedCm = await api.request("DELETE", "/api/v1/namespaces/gone/configmaps/c");
    expect(JSON.parse(deletedCm.body)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: { name: "c", kind: "configmaps", uid: cm?.metadata?.uid },
    });
    api.put({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c2", namespace: "gone" } });
    const ns = await core.deleteNamespace({ name: "gone" });
    // The generated client types this as V1Status; the real server answers with the Namespace.
    expect((ns as unknown as V1Namespace).status?.phase).toBe("Terminating");
    expect(api.list("v1", "ConfigMap", "gone")).toEqual([]);
    expect(api.get("v1", "Namespace", undefined, "gone")).toBeUndefined();
  });

  it("injects failures for the next matching request only", async () => {
    api.put(pod("flaky", "p", {}));
    const core = kubeConfig().makeApiClient(CoreV1Api);
    api.failNext({ verb: "list", resource: "pods" }, 500);
    const failed = await apiError(() => core.listNamespacedPod({ namespace: "flaky" }));
    expect(failed.code).toBe(500);
    expect(failed.body).toMatchObject({
      reason: "InternalError",
      message: "Internal error occurred: injected failure",
    });
    expect(names((await core.listNamespacedPod({ namespace: "flaky" })).items)).toEqual(["p"]);

    api.failNext({ method: "GET", path: "/api/v1/namespaces/flaky/pods/p" }, 403);
    const forbidden = await apiError(() => core.readNamespacedPod({ name: "p", namespace: "flaky" }));
    expect(forbidden.body.message).toBe(
      'pods "p" is forbidden: User "kubernetes-admin" cannot get resource "pods" in API group "" in the namespace "flaky"',
    );
    const recorded = api.requests.filter((r) => r.path === "/api/v1/namespaces/flaky/pods/p");
    expect(recorded.map((r) => [r.method, r.verb, r.user, r.status])).toEqual([
      ["GET", "get", "kubernetes-admin", 403],
    ]);
  });
});
