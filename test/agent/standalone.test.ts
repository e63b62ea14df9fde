/**
 * The agent bundle on its own: built as scripts/build.mjs builds dist/agent.js, copied alone into an
 * empty temp dir (no package.json, no node_modules above it), run with plain `node agent.js` against
 * the fake API server with a ServiceAccount token bound to the agent's Role.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { agentCodeOf, agentObjects } from "../../src/diagnose/agent-job.js";
import { BundleAssembler } from "../../src/diagnose/bundle-transfer.js";
import { type AgentEvent, AgentLogParser } from "../../src/diagnose/engine/protocol.js";
import { type FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { buildAgent, OOM_POD, PLANTED_SECRETS, seedOomPod, tempDir } from "./support.js";

let dir: string;
let api: FakeApiServer;
let ollama: FakeOllama;
beforeAll(async () => {
  const agent = await buildAgent();
  dir = tempDir("standalone");
  copyFileSync(agent.path, join(dir, "agent.js"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  api = await startFakeApiServer();
  ollama = await startFakeOllama({ script: { answer: "Root cause: OOMKilled." } });
  seedOomPod(api);
});
afterEach(async () => Promise.all([api.close(), ollama.close()]));

function grant(namespace: string): string {
  const objects = agentObjects({
    namespace,
    jobName: "j",
    targetUid: undefined,
    code: agentCodeOf(""),
    config: {
      namespace,
      pod: "",
      mode: "no-ai",
      model: "",
      ollamaUrl: "",
      prometheusUrl: undefined,
      emitBundle: false,
      cluster: undefined,
      answerTimeoutMs: undefined,
    },
    deadlineSeconds: 1,
    ttlSeconds: 1,
  });
  for (const o of [
    objects.serviceAccount,
    objects.role,
    objects.roleBinding,
    objects.clusterRole,
    objects.clusterRoleBinding,
  ])
    api.put(o);
  const sa = join(dir, `sa-${Math.random().toString(36).slice(2)}`);
  mkdirSync(sa);
  writeFileSync(join(sa, "token"), api.tokenFor(namespace, "sre-lab-diagnose"));
  writeFileSync(join(sa, "ca.crt"), api.caCertificate);
  return sa;
}

function runAgent(env: NodeJS.ProcessEnv, onEvent?: (event: AgentEvent, kill: () => void) => void) {
  return new Promise<{ code: number | null; events: AgentEvent[]; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["agent.js"], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...env },
    });
    const parser = new AgentLogParser();
    const events: AgentEvent[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      for (const event of parser.push(chunk.toString("utf8"))) {
        events.push(event);
        onEvent?.(event, () => child.kill("SIGTERM"));
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => resolve({ code, events, stderr }));
  });
}

const inCluster = (sa: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  KUBERNETES_SERVICE_HOST: "127.0.0.1",
  KUBERNETES_SERVICE_PORT: new URL(api.url).port,
  SRE_LAB_SERVICE_ACCOUNT_DIR: sa,
  SRE_LAB_NAMESPACE: OOM_POD.namespace,
  SRE_LAB_POD: OOM_POD.name,
  SRE_LAB_OLLAMA_URL: ollama.url,
  SRE_LAB_PROMETHEUS_URL: "",
  ...extra,
});

describe("node agent.js, alone in a directory", () => {
  it("collects with its ServiceAccount, finds the root cause, asks the model and finishes (exit 0)", async () => {
    const { code, events, stderr } = await runAgent(inCluster(grant("shop"), { SRE_LAB_EMIT_BUNDLE: "1" }));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(events[0]).toEqual({
      type: "start",
      version: "0.0.0-test",
      pod: { namespace: "shop", name: OOM_POD.name },
    });
    const findings = events.find((e) => e.type === "findings");
    expect(findings).toMatchObject({ findings: [{ code: "OOMKilled", container: "checkout-api" }] });
    expect(
      events
        .filter((e) => e.type === "token")
        .map((e) => (e as { text: string }).text)
        .join(""),
    ).toBe("Root cause: OOMKilled.");
    expect(events.at(-1)).toMatchObject({ type: "done", stats: { model: "phi3:mini" } });
    const assembler = new BundleAssembler();
    for (const e of events) if (e.type === "bundle") assembler.add(e);
    const { bundle } = assembler.result();
    expect(bundle.owners?.map((o) => o.kind)).toEqual(["ReplicaSet", "Deployment"]);
    for (const secret of PLANTED_SECRETS)
      expect(JSON.stringify(events) + JSON.stringify(bundle)).not.toContain(secret);
  });

  it("a pod that is gone is exit 2 with an error event", async () => {
    const { code, events } = await runAgent(inCluster(grant("shop"), { SRE_LAB_POD: "gone" }));
    expect(code).toBe(2);
    expect(events.at(-1)).toMatchObject({
      type: "error",
      exitCode: 2,
      message: 'pod "gone" not found in namespace "shop"',
    });
  });

  it("without its Role it cannot read the pod: exit 1, the API server's reason", async () => {
    const sa = grant("shop");
    api.remove("rbac.authorization.k8s.io/v1", "RoleBinding", "shop", "sre-lab-diagnose");
    const { code, events } = await runAgent(inCluster(sa));
    expect(code).toBe(1);
    expect(events.at(-1)).toMatchObject({
      type: "error",
      exitCode: 1,
      message: expect.stringContaining(
        'pods "checkout-api-7c9d6b5f48-x2k9p" is forbidden: User "system:serviceaccount:shop:sre-lab-diagnose" cannot get resource "pods"',
      ),
    });
  });

  it("outside a pod it says so (exit 1)", async () => {
    const { code, events } = await runAgent({ SRE_LAB_NAMESPACE: "shop", SRE_LAB_POD: "p" });
    expect(code).toBe(1);
    expect(events.at(-1)).toMatchObject({
      type: "error",
      message: "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set",
    });
  });

  it("SIGTERM (its Job deleted) stops it at once", async () => {
    ollama.script({ firstTokenDelayMs: 30_000 });
    const started = Date.now();
    const { code, events } = await runAgent(inCluster(grant("shop")), (event, kill) => {
      if (event.type === "model") kill();
    });
    expect(events.some((e) => e.type === "model")).toBe(true);
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
