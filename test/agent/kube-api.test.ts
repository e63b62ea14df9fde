/** The agent's own in-cluster client: config from the pod's environment, typed failures. */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInClusterApi, loadInClusterConfig } from "../../src/agent/kube-api.js";
import { InterruptedError, SreLabError } from "../../src/core/errors.js";
import {
  KubeForbiddenError,
  KubeNotFoundError,
  KubeUnauthorizedError,
  KubeUnreachableError,
} from "../../src/kube/errors.js";
import { type FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { tempDir } from "./support.js";

let api: FakeApiServer;
let dir: string;
beforeAll(async () => {
  api = await startFakeApiServer();
  dir = tempDir("in-cluster");
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

function serviceAccountDir(token: string, ca = api.caCertificate): string {
  const sa = join(dir, `sa-${Math.random().toString(36).slice(2)}`);
  mkdirSync(sa);
  writeFileSync(join(sa, "token"), `${token}\n`);
  writeFileSync(join(sa, "ca.crt"), ca);
  return sa;
}
const port = () => new URL(api.url).port;
const client = (token: string, options: { ca?: string; port?: string; signal?: AbortSignal } = {}) =>
  createInClusterApi(
    loadInClusterConfig(
      { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: options.port ?? port() },
      serviceAccountDir(token, options.ca),
    ),
    options.signal ? { signal: options.signal, timeoutMs: 2_000 } : { timeoutMs: 2_000 },
  );

describe("in-cluster config", () => {
  it("reads the API server from KUBERNETES_SERVICE_HOST/PORT and the token from the ServiceAccount dir", () => {
    const sa = serviceAccountDir("abc");
    expect(
      loadInClusterConfig({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, sa),
    ).toEqual({
      server: "https://10.96.0.1:443",
      token: "abc",
      ca: api.caCertificate,
    });
    expect(loadInClusterConfig({ KUBERNETES_SERVICE_HOST: "fd00:10:96::1" }, sa).server).toBe(
      "https://[fd00:10:96::1]:443",
    );
  });

  it("says clearly when it is not in a pod, or the token is not mounted", () => {
    expect(() => loadInClusterConfig({}, dir)).toThrow(
      "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set",
    );
    expect(() => loadInClusterConfig({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }, join(dir, "nope"))).toThrow(
      `cannot read ${join(dir, "nope", "token")}: ENOENT`,
    );
  });
});

describe("in-cluster requests", () => {
  it("gets, lists with a field selector and reads logs", async () => {
    api.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "n", uid: "u" },
      spec: { containers: [{ name: "c", image: "i" }] },
    });
    api.put({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "e1", namespace: "n" },
      involvedObject: { uid: "u" },
      reason: "R",
    });
    api.put({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "e2", namespace: "n" },
      involvedObject: { uid: "other" },
      reason: "X",
    });
    api.appendLog("n", "p", "c", "one\ntwo\nthree\n");
    const admin = client(api.adminToken);
    expect(await admin.get({ apiVersion: "v1", kind: "Pod", name: "p", namespace: "n" })).toMatchObject({
      metadata: { uid: "u" },
    });
    const events = await admin.list("v1", "Event", { namespace: "n", fieldSelector: "involvedObject.uid=u" });
    expect(events.map((e) => (e as { reason: string }).reason)).toEqual(["R"]);
    expect(await admin.readLog("n", "p", { container: "c", tailLines: 2 })).toBe("two\nthree\n");
  });

  it.each([
    ["an unknown token", () => client("not-a-token"), KubeUnauthorizedError, 401],
    ["a ServiceAccount without rights", () => client(api.tokenFor("n", "nobody")), KubeForbiddenError, 403],
  ])("%s → a typed error", async (_name, make, type, status) => {
    const error = await make()
      .get({ apiVersion: "v1", kind: "Pod", name: "p", namespace: "n" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as { statusCode: number }).statusCode).toBe(status);
  });

  it("not found is a KubeNotFoundError with the API server's message", async () => {
    const error = await client(api.adminToken)
      .get({ apiVersion: "apps/v1", kind: "ReplicaSet", name: "gone", namespace: "n" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeNotFoundError);
    expect((error as Error).message).toBe('replicasets.apps "gone" not found');
  });

  it("an API server that does not answer, or with another CA, is unreachable", async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const refused = await client(api.adminToken, { port: String(closed) })
      .get({ apiVersion: "v1", kind: "Pod", name: "p", namespace: "n" })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KubeUnreachableError);
    expect((refused as Error).message).toContain("(ECONNREFUSED)");
    const otherCa = (await import("node:tls")).rootCertificates[0] ?? "";
    const untrusted = await client(api.adminToken, { ca: otherCa })
      .get({ apiVersion: "v1", kind: "Pod", name: "p", namespace: "n" })
      .catch((e: unknown) => e);
    expect(untrusted).toBeInstanceOf(SreLabError);
    expect((untrusted as Error).message).toMatch(/cannot reach the Kubernetes API|certificate/);
  });

  it("stops when its signal fires", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await client(api.adminToken, { signal: controller.signal })
      .get({ apiVersion: "v1", kind: "Pod", name: "p", namespace: "n" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
  });
});
