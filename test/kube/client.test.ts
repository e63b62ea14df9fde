import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeadlineError, InterruptedError, UsageError } from "../../src/core/errors.js";
import { createKubeClient, type KubeClient, type KubeObject } from "../../src/kube/client.js";
import {
  KubeConflictError,
  KubeForbiddenError,
  KubeInvalidError,
  KubeNotFoundError,
  KubeUnreachableError,
} from "../../src/kube/errors.js";
import { type FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { createFakeClock } from "../support/fake-clock.js";

/** A loopback port that nothing listens on (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let api: FakeApiServer;
let dir: string;
let kube: KubeClient;

beforeAll(async () => {
  api = await startFakeApiServer();
  dir = mkdtempSync(join(tmpdir(), "sre-lab-kube-"));
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  kube = await createKubeClient({ kubeconfig: api.writeKubeconfig(dir), env: {} });
});

const pod = (name: string, ns = "shop", labels: Record<string, string> = { app: "api" }): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: "app", image: "registry.example/api:1.0" }] },
});

describe("loading the kubeconfig", () => {
  it("uses the context's cluster and namespace", async () => {
    const client = await createKubeClient({
      kubeconfig: api.writeKubeconfig(dir, { namespace: "shop" }),
      env: {},
    });
    expect(client).toMatchObject({ context: "kind-sre-lab", namespace: "shop", server: api.url });
  });

  it("reads KUBECONFIG from the injected environment, not the process's", async () => {
    const client = await createKubeClient({ env: { KUBECONFIG: api.writeKubeconfig(dir) } });
    expect(client.context).toBe("kind-sre-lab");
  });

  it("rejects an unknown --context with the available names (exit 2)", async () => {
    const error = await createKubeClient({
      kubeconfig: api.writeKubeconfig(dir),
      context: "prod",
      env: {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('context "prod" is not in the kubeconfig');
    expect((error as UsageError).hint).toBe("available contexts: kind-sre-lab");
  });

  it("says a missing --kubeconfig file is a usage error, and no kubeconfig at all an operational one", async () => {
    const missing = await createKubeClient({ kubeconfig: join(dir, "nope"), env: {} }).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(UsageError);
    expect((missing as Error).message).toContain("kubeconfig file not found");
    const none = await createKubeClient({ env: { HOME: dir } }).catch((e: unknown) => e);
    expect((none as Error).message).toBe("no Kubernetes cluster is configured (no kubeconfig found)");
    expect(none).not.toBeInstanceOf(UsageError);
  });

  it("names the API server it cannot reach, with a next step", async () => {
    const port = await freePort();
    const file = join(dir, "dead.yaml");
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:${port}"}}]
users: [{name: dead, user: {token: x}}]
contexts: [{name: kind-dead, context: {cluster: dead, user: dead}}]
current-context: kind-dead
`,
    );
    const client = await createKubeClient({ kubeconfig: file, env: {} });
    const error = await client.list("v1", "Pod", { namespace: "default" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeUnreachableError);
    expect((error as Error).message).toBe(
      `cannot reach the Kubernetes API at https://127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect((error as KubeUnreachableError).hint).toContain("kubectl --context kind-dead get nodes");
  });
});

describe("objects", () => {
  afterEach(() => {
    api.remove("v1", "Namespace", undefined, "shop");
  });

  it("creates, gets, finds and lists with label and field selectors", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    await kube.create(pod("api-1"));
    await kube.create(pod("web-1", "shop", { app: "web" }));
    const got = await kube.get<KubeObject>({
      apiVersion: "v1",
      kind: "Pod",
      namespace: "shop",
      name: "api-1",
    });
    expect(got.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      await kube.find({ apiVersion: "v1", kind: "Pod", namespace: "shop", name: "gone" }),
    ).toBeUndefined();
    const byLabel = await kube.list("v1", "Pod", { namespace: "shop", labelSelector: "app=web" });
    expect(byLabel.map((p) => p.metadata?.name)).toEqual(["web-1"]);
    const byField = await kube.list("v1", "Pod", { namespace: "shop", fieldSelector: "metadata.name=api-1" });
    expect(byField.map((p) => p.metadata?.name)).toEqual(["api-1"]);
  });

  it("maps Status errors to typed errors carrying the API server's message", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    await kube.create(pod("api-1"));
    const conflict = await kube.create(pod("api-1")).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(KubeConflictError);
    expect((conflict as Error).message).toBe('pods "api-1" already exists');
    expect((conflict as KubeConflictError).reason).toBe("AlreadyExists");

    const missing = await kube
      .get({ apiVersion: "v1", kind: "Pod", namespace: "shop", name: "nope" })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KubeNotFoundError);
    expect((missing as Error).message).toBe('pods "nope" not found');

    const invalid = await kube.create(pod("Bad_Name")).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(KubeInvalidError);
    expect((invalid as Error).message).toContain('Pod "Bad_Name" is invalid');
  });

  it("server-side applies: creates, then updates, as field manager sre-lab", async () => {
    const cm = (value: string): KubeObject => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "lab", namespace: "shop" },
      data: { value },
    });
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    await kube.apply(cm("1"));
    const updated = await kube.apply(cm("2"));
    expect(updated.data).toEqual({ value: "2" });
    const stored = api.get("v1", "ConfigMap", "shop", "lab");
    expect(stored?.metadata?.managedFields?.map((f) => [f.manager, f.operation])).toEqual([
      ["sre-lab", "Apply"],
    ]);
  });

  it("deletes, and reports false when the object was already gone", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    await kube.create(pod("api-1"));
    const ref = { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "api-1" };
    expect(await kube.delete(ref)).toBe(true);
    expect(await kube.delete(ref)).toBe(false);
  });

  it("reports 403 for a ServiceAccount without the permission, with a hint", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    const token = api.tokenFor("shop", "agent");
    const agent = await createKubeClient({
      kubeconfig: api.writeKubeconfig(dir, { token, context: "agent" }),
      env: {},
    });
    const error = await agent.list("v1", "Secret", { namespace: "shop" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeForbiddenError);
    expect((error as Error).message).toBe(
      'secrets is forbidden: User "system:serviceaccount:shop:agent" cannot list resource "secrets" in API group "" in the namespace "shop"',
    );
  });
});

describe("waitFor", () => {
  beforeEach(() => api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "wait" } }));
  afterEach(() => {
    api.remove("v1", "Namespace", undefined, "wait");
  });
  const running = (objects: KubeObject[]) =>
    objects.find((o) => (o.status as { phase?: string } | undefined)?.phase === "Running")?.metadata?.name;

  it("returns at once when the condition already holds", async () => {
    api.put({ ...pod("a", "wait"), status: { phase: "Running" } });
    await expect(
      kube.waitFor("v1", "Pod", { namespace: "wait" }, running, { timeoutMs: 2_000, what: "a pod" }),
    ).resolves.toBe("a");
  });

  it("watches until a change makes the condition true", async () => {
    api.put({ ...pod("a", "wait"), status: { phase: "Pending" } });
    setTimeout(() => {
      api.update("v1", "Pod", "wait", "a", (p) => {
        p.status = { phase: "Running" };
      });
    }, 200);
    await expect(
      kube.waitFor("v1", "Pod", { namespace: "wait" }, running, { timeoutMs: 5_000, what: "pod a to run" }),
    ).resolves.toBe("a");
  });

  it("gives up at the deadline and says what it waited for and what it last saw", async () => {
    api.put({ ...pod("a", "wait"), status: { phase: "Pending" } });
    const error = await kube
      .waitFor("v1", "Pod", { namespace: "wait" }, running, {
        timeoutMs: 700,
        what: "pod a to run",
        describe: (objects) =>
          objects.map((o) => `${o.metadata?.name}: ${(o.status as { phase: string }).phase}`).join(", "),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as Error).message).toBe("timed out after 700ms waiting for pod a to run");
    expect((error as DeadlineError).details).toBe("last seen: a: Pending");
  });

  it("keeps its deadline on the injected clock: 15 minutes of virtual time end the wait at once", async () => {
    api.put({ ...pod("a", "wait"), status: { phase: "Pending" } });
    const clock = createFakeClock();
    const started = clock.now();
    const timed = await createKubeClient({ kubeconfig: api.writeKubeconfig(dir), env: {}, clock });
    const realStart = Date.now();
    const error = await timed
      .waitFor("v1", "Pod", { namespace: "wait" }, running, { timeoutMs: 15 * 60_000, what: "pod a to run" })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("timed out after 15m waiting for pod a to run");
    expect(clock.now() - started).toBeGreaterThanOrEqual(15 * 60_000);
    expect(Date.now() - realStart).toBeLessThan(5_000);
  });

  it("recovers from an expired watch (410) by listing again", async () => {
    api.put({ ...pod("a", "wait"), status: { phase: "Pending" } });
    api.failNext({ verb: "watch", resource: "pods", namespace: "wait" }, 410);
    const waiting = kube.waitFor("v1", "Pod", { namespace: "wait" }, running, {
      timeoutMs: 5_000,
      what: "pod a",
    });
    await expect
      .poll(() =>
        api.requests.some(
          (r) => r.verb === "watch" && r.path === "/api/v1/namespaces/wait/pods" && r.status === 410,
        ),
      )
      .toBe(true);
    api.update("v1", "Pod", "wait", "a", (p) => {
      p.status = { phase: "Running" };
    });
    await expect(waiting).resolves.toBe("a");
  });

  it("stops on Ctrl-C with InterruptedError", async () => {
    const controller = new AbortController();
    const client = await createKubeClient({
      kubeconfig: api.writeKubeconfig(dir),
      env: {},
      signal: controller.signal,
    });
    api.put({ ...pod("a", "wait"), status: { phase: "Pending" } });
    const waiting = client.waitFor("v1", "Pod", { namespace: "wait" }, running, {
      timeoutMs: 10_000,
      what: "pod a",
    });
    setTimeout(() => controller.abort(), 200);
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe("logs", () => {
  beforeEach(() => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "logs" } });
    api.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "logs" },
      spec: {
        containers: [
          { name: "app", image: "x:1" },
          { name: "sidecar", image: "y:1" },
        ],
      },
      status: { phase: "Running" },
    });
  });
  afterEach(() => {
    api.remove("v1", "Namespace", undefined, "logs");
  });

  it("reads current and previous logs with a tail", async () => {
    api.appendLog("logs", "p", "app", "one\ntwo\nthree\n");
    api.appendLog("logs", "p", "app", "crashed: out of memory\n", { previous: true });
    expect(await kube.readLog("logs", "p", { container: "app", tailLines: 2 })).toBe("two\nthree\n");
    expect(await kube.readLog("logs", "p", { container: "app", previous: true })).toBe(
      "crashed: out of memory\n",
    );
  });

  it("follows a log as it is written until the container stops", async () => {
    const received: string[] = [];
    api.appendLog("logs", "p", "app", "starting\n");
    const following = kube.followLog("logs", "p", { container: "app", onData: (t) => received.push(t) });
    await expect.poll(() => received.join("")).toBe("starting\n");
    api.appendLog("logs", "p", "app", "analysing\n");
    await expect.poll(() => received.join("")).toBe("starting\nanalysing\n");
    api.endLog("logs", "p", "app");
    await following;
  });

  it("stops following on Ctrl-C without an unhandled error, and keeps multi-byte text whole", async () => {
    const controller = new AbortController();
    const client = await createKubeClient({
      kubeconfig: api.writeKubeconfig(dir),
      env: {},
      signal: controller.signal,
    });
    const received: string[] = [];
    const following = client.followLog("logs", "p", { container: "app", onData: (t) => received.push(t) });
    api.appendLog("logs", "p", "app", "température 37°C ✓\n");
    await expect.poll(() => received.join("")).toBe("température 37°C ✓\n");
    controller.abort();
    await expect(following).rejects.toBeInstanceOf(InterruptedError);
  });

  it("shows the API server's reason when following fails", async () => {
    const error = await kube
      .followLog("logs", "p", { container: "nope", onData: () => {} })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain("container nope is not valid for pod p");
  });
});

describe("secrets", () => {
  it("stores stringData as base64 data, like the API server", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "sec" } });
    await kube.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "sec" },
      stringData: { password: "hunter2" },
    });
    const stored = await kube.get<KubeObject & { data?: Record<string, string> }>({
      apiVersion: "v1",
      kind: "Secret",
      namespace: "sec",
      name: "s",
    });
    expect(stored.data).toEqual({ password: Buffer.from("hunter2").toString("base64") });
    expect(stored).not.toHaveProperty("stringData");
  });
});
