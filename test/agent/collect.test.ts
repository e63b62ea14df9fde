/**
 * The evidence collector over both of its clients: the CLI's kube client (--local) and the agent's
 * own HTTPS client with the agent's ServiceAccount token, whose reads go through the RBAC that
 * `diagnose` creates (the fake API server enforces it).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createInClusterApi, loadInClusterConfig } from "../../src/agent/kube-api.js";
import { agentCodeOf, agentObjects } from "../../src/diagnose/agent-job.js";
import {
  collectEvidence,
  type EvidenceApi,
  foldEvents,
  LOG_MAX_BYTES,
  lastBytes,
} from "../../src/diagnose/collect.js";
import { createKubeClient } from "../../src/kube/client.js";
import { createPrometheusClient } from "../../src/prometheus/client.js";
import { type FakeApiServer, type KubeObject, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { type FakePrometheus, OOM_POD, seedOomPod, startFakePrometheus, tempDir } from "./support.js";

let api: FakeApiServer;
let dir: string;
const NOW = new Date("2025-05-20T14:18:00Z");

beforeAll(() => {
  dir = tempDir("collect");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  api = await startFakeApiServer();
  seedOomPod(api);
});
afterEach(async () => api.close());

/** The agent's RBAC as diagnose creates it, optionally without the node binding. */
function grantAgent(namespace: string, options: { nodes?: boolean } = {}): void {
  const objects = agentObjects({
    namespace,
    jobName: "j",
    targetUid: undefined,
    code: agentCodeOf("x"),
    config: {
      namespace,
      pod: "p",
      mode: "no-ai",
      model: "m",
      ollamaUrl: "http://o",
      prometheusUrl: undefined,
      emitBundle: false,
      cluster: undefined,
      answerTimeoutMs: undefined,
    },
    deadlineSeconds: 60,
    ttlSeconds: 60,
  });
  const extra = options.nodes === false ? [] : [objects.clusterRole, objects.clusterRoleBinding];
  for (const object of [objects.serviceAccount, objects.role, objects.roleBinding, ...extra]) api.put(object);
}

function agentClient(namespace: string): EvidenceApi {
  const sa = join(dir, `sa-${Math.random().toString(36).slice(2)}`);
  mkdirSync(sa);
  writeFileSync(join(sa, "token"), api.tokenFor(namespace, "sre-lab-diagnose"));
  writeFileSync(join(sa, "ca.crt"), api.caCertificate);
  const env = { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: new URL(api.url).port };
  return createInClusterApi(loadInClusterConfig(env, sa));
}

const cliClient = async () => createKubeClient({ kubeconfig: api.writeKubeconfig(dir), env: {} });
const collect = (client: EvidenceApi, extra: Partial<Parameters<typeof collectEvidence>[1]> = {}) =>
  collectEvidence(client, {
    namespace: OOM_POD.namespace,
    pod: OOM_POD.name,
    cluster: "kind-sre-lab",
    now: () => NOW,
    ...extra,
  });

describe("collecting a pod's evidence", () => {
  it("collects the same bundle through the agent's client and through the CLI's", async () => {
    grantAgent("shop");
    const viaAgent = await collect(agentClient("shop"));
    const viaCli = await collect(await cliClient());
    expect(viaAgent).toEqual(viaCli);
    expect(viaAgent.sources.every((s) => s.name === "prometheus" || s.ok)).toBe(true);
  });

  it("reads the pod, its owner chain, its events, its logs and its node", async () => {
    const { bundle, sources } = await collect(await cliClient());
    expect(bundle).toMatchObject({
      apiVersion: "sre-lab/v1",
      kind: "EvidenceBundle",
      metadata: { collectedAt: "2025-05-20T14:18:00.000Z", cluster: "kind-sre-lab" },
    });
    expect(bundle.pod.metadata).toMatchObject({ name: OOM_POD.name, uid: OOM_POD.uid });
    expect(bundle.owners?.map((o) => `${o.kind}/${(o.metadata as { name: string }).name}`)).toEqual([
      "ReplicaSet/checkout-api-7c9d6b5f48",
      "Deployment/checkout-api",
    ]);
    expect(bundle.node?.metadata).toMatchObject({ name: "sre-lab-worker" });
    expect(bundle.logs).toEqual([
      { container: "checkout-api", previous: false, text: "starting checkout-api 2.3.1\n" },
      {
        container: "checkout-api",
        previous: true,
        text: expect.stringContaining("loading catalogue cache (412 MB)\n"),
      },
    ]);
    // By uid (the older pod's event is not here), folded with summed counts, Warnings first.
    expect(bundle.events.map((e) => `${e.type} ${e.reason} x${e.count} ${e.lastTimestamp}`)).toEqual([
      "Warning BackOff x7 2025-05-20T14:17:39Z",
      "Normal Pulled x5 2025-05-20T14:17:00Z",
    ]);
    expect(sources).toEqual([
      { name: "pod", ok: true },
      { name: "owners", ok: true, detail: "ReplicaSet/checkout-api-7c9d6b5f48 → Deployment/checkout-api" },
      { name: "events", ok: true, detail: "2 events (1 duplicates folded)" },
      { name: "logs", ok: true, detail: "2 logs" },
      { name: "node", ok: true, detail: "sre-lab-worker" },
      { name: "prometheus", ok: false, error: "not configured" },
      { name: "related", ok: true, detail: "none" },
    ]);
    expect(bundle.metadata.sources).toEqual(sources);
  });

  it("without the node binding the node is noted as unreadable and the rest goes on", async () => {
    grantAgent("shop", { nodes: false });
    const { bundle, sources } = await collect(agentClient("shop"));
    expect(bundle.node).toBeUndefined();
    expect(sources.find((s) => s.name === "node")).toEqual({
      name: "node",
      ok: false,
      error:
        'nodes "sre-lab-worker" is forbidden: User "system:serviceaccount:shop:sre-lab-diagnose" cannot get resource "nodes" in API group "" at the cluster scope',
    });
    expect(bundle.owners).toHaveLength(2);
    expect(bundle.logs).toHaveLength(2);
  });

  it("a failing source is noted, the others are collected", async () => {
    api.failNext({ verb: "list", resource: "events" }, 500, { message: "etcdserver: request timed out" });
    const { bundle, sources } = await collect(await cliClient());
    expect(bundle.events).toEqual([]);
    expect(sources.find((s) => s.name === "events")).toMatchObject({
      ok: false,
      error: expect.stringContaining("etcdserver: request timed out"),
    });
    expect(bundle.logs).toHaveLength(2);
  });

  it("the pod itself must be readable: not found is a 404 for the caller", async () => {
    await expect(
      collectEvidence(await cliClient(), { namespace: "shop", pod: "gone" }),
    ).rejects.toMatchObject({ statusCode: 404 });
  });

  it("an owner that no longer exists ends the chain, noted", async () => {
    api.update("apps/v1", "ReplicaSet", "shop", "checkout-api-7c9d6b5f48", (rs) => {
      rs.metadata!.ownerReferences = [
        { apiVersion: "apps/v1", kind: "Deployment", name: "checkout-api-v1", uid: "gone", controller: true },
      ];
    });
    const { bundle, sources } = await collect(await cliClient());
    expect(bundle.owners?.map((o) => o.kind)).toEqual(["ReplicaSet"]);
    expect(sources.find((s) => s.name === "owners")?.detail).toBe(
      "ReplicaSet/checkout-api-7c9d6b5f48; Deployment/checkout-api-v1 (no longer exists)",
    );
  });

  it("a pod that is not scheduled has no logs or node to read", async () => {
    api.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "pending", namespace: "shop", uid: "u-pending" },
      spec: { containers: [{ name: "app", image: "x" }] },
      status: {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }],
      },
    });
    const before = api.requests.length;
    const { bundle, sources } = await collectEvidence(await cliClient(), {
      namespace: "shop",
      pod: "pending",
    });
    expect(bundle.logs).toEqual([]);
    expect(sources.find((s) => s.name === "node")?.detail).toBe("none: the pod is not bound to a node");
    expect(
      api.requests.slice(before).some((r) => r.path.includes("/log") || r.path.includes("/nodes/")),
    ).toBe(false);
  });

  it("a container that has not started has no log yet, which is not a failure", async () => {
    api.update("v1", "Pod", "shop", OOM_POD.name, (pod) => {
      const spec = pod.spec as { initContainers?: unknown[] };
      spec.initContainers = [{ name: "migrate", image: "x" }];
      (pod.status as { initContainerStatuses?: unknown[] }).initContainerStatuses = [
        { name: "migrate", restartCount: 0, state: { waiting: { reason: "PodInitializing" } } },
      ];
    });
    const { bundle, sources } = await collect(await cliClient());
    expect(bundle.logs.map((l) => l.container)).toEqual(["checkout-api", "checkout-api"]);
    expect(sources.find((s) => s.name === "logs")?.ok).toBe(true);
  });

  it("keeps the end of a huge log: at most 1 MiB, ending with its last line", async () => {
    const line = (i: number) => `${String(i).padStart(6, "0")} ${"x".repeat(3000)}\n`;
    let text = "";
    for (let i = 0; i < 3000; i++) text += line(i);
    text += "FATAL: out of patience\n";
    api.appendLog("shop", OOM_POD.name, "checkout-api", text, { previous: true });
    const { bundle } = await collect(await cliClient());
    const previous = bundle.logs.find((l) => l.previous)?.text ?? "";
    expect(Buffer.byteLength(previous)).toBeLessThanOrEqual(LOG_MAX_BYTES);
    expect(Buffer.byteLength(previous)).toBeGreaterThan(LOG_MAX_BYTES / 2);
    expect(previous.endsWith("FATAL: out of patience\n")).toBe(true);
    expect(previous.startsWith("00")).toBe(true); // starts at a line boundary
  });

  it("keeps at most the last 2,000 lines", async () => {
    api.appendLog(
      "shop",
      OOM_POD.name,
      "checkout-api",
      Array.from({ length: 2500 }, (_, i) => `line ${i}\n`).join(""),
    );
    const { bundle } = await collect(await cliClient());
    const current =
      bundle.logs
        .find((l) => !l.previous)
        ?.text.split("\n")
        .filter(Boolean) ?? [];
    expect(current).toHaveLength(2000);
    expect(current.at(-1)).toBe("line 2499");
  });
});

describe("Prometheus figures", () => {
  let prometheus: FakePrometheus;
  afterEach(async () => prometheus?.close());

  it("reads memory against the limit and restarts over 15 minutes, for this pod only", async () => {
    prometheus = await startFakePrometheus({
      "checkout-api": { peak: 268_000_000, current: 100_000_000, restarts: 3.4 },
    });
    const { metrics, sources } = await collect(await cliClient(), {
      prometheus: createPrometheusClient({ url: prometheus.url }),
    });
    expect(metrics).toEqual([
      {
        container: "checkout-api",
        memoryPeakBytes: 268_000_000,
        memoryWorkingSetBytes: 100_000_000,
        restarts15m: 3,
        memoryLimitBytes: 268_435_456,
      },
    ]);
    expect(sources.find((s) => s.name === "prometheus")).toEqual({
      name: "prometheus",
      ok: true,
      detail: `${prometheus.url}: 1 container(s)`,
    });
    expect(prometheus.queries).toHaveLength(3);
    for (const query of prometheus.queries) expect(query).toContain(`namespace="shop",pod="${OOM_POD.name}"`);
    expect(prometheus.queries.some((q) => q.includes("[15m]"))).toBe(true);
  });

  it("when Prometheus does not answer, it is noted and the rest is collected", async () => {
    prometheus = await startFakePrometheus({});
    const url = prometheus.url;
    await prometheus.close();
    const { bundle, sources } = await collect(await cliClient(), {
      prometheus: createPrometheusClient({ url }),
    });
    expect(bundle.logs).toHaveLength(2);
    expect(sources.find((s) => s.name === "prometheus")).toEqual({
      name: "prometheus",
      ok: false,
      error: `Prometheus at ${url} is not answering (ECONNREFUSED)`,
    });
  });
});

describe("folding events", () => {
  const event = (extra: KubeObject): KubeObject => ({
    type: "Warning",
    reason: "BackOff",
    message: "m",
    ...extra,
  });
  it("sums count and series.count into the newest copy, keeps the first time seen", () => {
    const folded = foldEvents([
      event({ count: 2, lastTimestamp: "2025-01-01T00:01:00Z", firstTimestamp: "2025-01-01T00:00:00Z" }),
      event({
        series: { count: 5, lastObservedTime: "2025-01-01T00:09:00Z" },
        eventTime: "2025-01-01T00:05:00Z",
      }),
      event({ type: "Normal", reason: "Pulled", lastTimestamp: "2025-01-01T00:10:00Z" }),
      event({ type: "Warning", reason: "Unhealthy", lastTimestamp: "2025-01-01T00:02:00Z" }),
    ]);
    expect(folded.map((e) => `${e.type} ${e.reason} x${e.count}`)).toEqual([
      "Warning BackOff x7",
      "Warning Unhealthy x1",
      "Normal Pulled x1",
    ]);
    expect(folded[0]).toMatchObject({ series: { count: 5 }, firstTimestamp: "2025-01-01T00:00:00Z" });
  });
});

describe("lastBytes", () => {
  it("cuts at a line boundary, never inside a character", () => {
    const text = `${"é".repeat(10)}\nline two\nline three\n`;
    expect(lastBytes(text, 20)).toBe("line three\n");
    expect(lastBytes("ééééé", 5)).toBe("éé");
    expect(lastBytes("short", 100)).toBe("short");
  });
});

describe("collectEvidence: related objects (issue 12)", () => {
  it("reads an unbound claim with its events and StorageClass, through the agent's own Role", async () => {
    grantAgent("db");
    api.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "pg-0", namespace: "db", uid: "pg-uid" },
      spec: {
        containers: [{ name: "postgres", image: "postgres:17.2" }],
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "pg-data" } }],
      },
      status: { phase: "Pending" },
    });
    api.put({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "pg-data", namespace: "db", uid: "pvc-uid" },
      spec: { storageClassName: "standard", accessModes: ["ReadWriteOnce"] },
      status: { phase: "Pending" },
    });
    api.put({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "standard" },
      provisioner: "rancher.io/local-path",
      volumeBindingMode: "WaitForFirstConsumer",
    });
    api.put({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "pg-data.1", namespace: "db" },
      involvedObject: { kind: "PersistentVolumeClaim", namespace: "db", name: "pg-data", uid: "pvc-uid" },
      reason: "WaitForFirstConsumer",
      message: "waiting for first consumer to be created before binding",
      type: "Normal",
      count: 3,
    });
    const { bundle, sources } = await collectEvidence(agentClient("db"), { namespace: "db", pod: "pg-0" });
    expect(bundle.related?.map((r) => `${r.object.kind}/${(r.object.metadata as KubeObject).name}`)).toEqual([
      "PersistentVolumeClaim/pg-data",
      "StorageClass/standard",
    ]);
    expect(bundle.related?.[0]?.events.map((e) => e.reason)).toEqual(["WaitForFirstConsumer"]);
    expect(sources.find((s) => s.name === "related")).toEqual({
      name: "related",
      ok: true,
      detail: "PersistentVolumeClaim/pg-data, StorageClass/standard",
    });
  });

  it("reads the Service a connection error names and its EndpointSlices, and nothing in other namespaces", async () => {
    grantAgent("shop");
    api.appendLog(
      OOM_POD.namespace,
      OOM_POD.name,
      "checkout-api",
      "redis.exceptions.ConnectionError: Error 111 connecting to session-cache:6379. Connection refused.\nError: getaddrinfo ENOTFOUND ledger.finance\n",
      { previous: true },
    );
    api.put({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "session-cache", namespace: "shop", uid: "svc-uid" },
      spec: { selector: { app: "session-cache" }, ports: [{ port: 6379 }] },
    });
    api.put({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "session-cache-abcde",
        namespace: "shop",
        labels: { "kubernetes.io/service-name": "session-cache" },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.1.9"], conditions: { ready: false } }],
    });
    api.put({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "other-xyz", namespace: "shop", labels: { "kubernetes.io/service-name": "other" } },
      addressType: "IPv4",
      endpoints: [],
    });
    const { bundle } = await collect(agentClient("shop"));
    expect(bundle.related?.map((r) => `${r.object.kind}/${(r.object.metadata as KubeObject).name}`)).toEqual([
      "Service/session-cache",
      "EndpointSlice/session-cache-abcde",
    ]);
  });
});
