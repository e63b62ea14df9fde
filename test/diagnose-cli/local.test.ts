/**
 * `sre-lab diagnose POD --local`: the agent's code run on this machine, with the user's kube client
 * for the evidence and the lab's Ollama through `kubectl port-forward` (or --ollama-url).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type FakePrometheus,
  OOM_POD,
  PLANTED_SECRETS,
  seedOomPod,
  startFakePrometheus,
  tempDir,
} from "../agent/support.js";
import { type FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { createFakeTools, type FakeTools } from "../harness/fake-tools/index.js";
import { modelValues, rootApplication } from "../support/root-application.js";
import { onlyJson, runRecorded } from "./support.js";

const PORT_FORWARD = [
  "port-forward",
  "--namespace",
  "ollama",
  "--address",
  "127.0.0.1",
  "service/ollama",
  ":11434",
  "--context",
  "kind-sre-lab",
];

let api: FakeApiServer;
let ollama: FakeOllama;
let prometheus: FakePrometheus;
let tools: FakeTools | undefined;
let home: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  api = await startFakeApiServer();
  ollama = await startFakeOllama({ script: { answer: "Root cause: OOMKilled." } });
  prometheus = await startFakePrometheus({
    "checkout-api": { peak: 250 * 2 ** 20, current: 80 * 2 ** 20, restarts: 2 },
  });
  home = tempDir("home");
  env = { HOME: home, KUBECONFIG: api.writeKubeconfig(home), SRE_LAB_PROMETHEUS_URL: prometheus.url };
  seedOomPod(api);
});
afterEach(async () => {
  tools?.assertNoUnexpectedCalls();
  tools?.cleanup();
  tools = undefined;
  await Promise.all([api.close(), ollama.close(), prometheus.close()]);
  rmSync(home, { recursive: true, force: true });
});

/** kubectl port-forward to the lab's Ollama, as kubectl prints it: answered by the fake Ollama. */
const forwardToOllama = () =>
  createFakeTools().expect({
    tool: "kubectl",
    args: PORT_FORWARD,
    stdout: `Forwarding from 127.0.0.1:${new URL(ollama.url).port} -> 11434\n`,
    hang: true,
  });

const local = (...args: string[]) =>
  runRecorded(["diagnose", OOM_POD.name, "-n", "shop", "--local", ...args], {
    env,
    ...(tools ? { path: tools.path } : {}),
  });

describe("diagnose --local", () => {
  it("collects with the user's client, creates nothing in the cluster, and asks the given Ollama", async () => {
    await api.waitFor("v1", "ServiceAccount", "shop", "default", () => true);
    const versionBefore = api.resourceVersion;
    const run = await local("--ollama-url", ollama.url, "-o", "json");
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout);
    expect((doc.findings as { code: string; evidence: string[] }[])[0]).toMatchObject({ code: "OOMKilled" });
    expect((doc.findings as { evidence: string[] }[])[0]?.evidence).toContain(
      "prometheus: container checkout-api memory working set peaked at 250Mi of its 256Mi limit (98%) over the last 15m, now 80Mi",
    );
    expect(doc.analysis).toMatchObject({ text: "Root cause: OOMKilled." });
    // Nothing written: the only requests that are not reads are SelfSubjectAccessReviews, which
    // store nothing, and the store's resourceVersion did not move.
    expect(
      api.requests.filter((r) => r.method !== "GET" && !r.path.endsWith("/selfsubjectaccessreviews")),
    ).toEqual([]);
    expect(api.resourceVersion).toBe(versionBefore);
    expect(api.list("batch/v1", "Job", "shop")).toEqual([]);
    for (const secret of PLANTED_SECRETS)
      expect(JSON.stringify(ollama.requests) + run.stdout).not.toContain(secret);
    expect(run.stderr).toContain("from this machine (--local, context kind-sre-lab)");
  });

  it("asks the lab's Prometheus on the host port its nodes record (up --host-port prometheus=N)", async () => {
    const port = new URL(prometheus.url).port;
    api.put({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "sre-lab-control-plane", labels: { "sre-lab.dev/host-port-prometheus": port } },
      // As kind sets it: how the lab's provider is read from the cluster.
      spec: { providerID: "kind://docker/sre-lab/sre-lab-control-plane" },
    });
    const { SRE_LAB_PROMETHEUS_URL: _unset, ...withoutUrl } = env;
    const run = await runRecorded(
      ["diagnose", OOM_POD.name, "-n", "shop", "--local", "--no-ai", "-o", "json"],
      {
        env: withoutUrl,
      },
    );
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout);
    expect((doc.findings as { evidence: string[] }[])[0]?.evidence).toContain(
      "prometheus: container checkout-api memory working set peaked at 250Mi of its 256Mi limit (98%) over the last 15m, now 80Mi",
    );
  });

  it("reaches the lab's Ollama through kubectl port-forward, and stops it afterwards", async () => {
    tools = forwardToOllama();
    const run = await local();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Analysis by phi3:mini\nRoot cause: OOMKilled.");
    expect(run.stderr).toContain(`asking phi3:mini at http://127.0.0.1:${new URL(ollama.url).port}`);
    await expect.poll(() => tools?.signals().map((s) => s.signal)).toEqual(["SIGTERM"]);
  });

  /** The root Application `up` writes, recording the model in its Helm values (as `up --model` does). */
  const recordModel = (model: unknown) => api.put(rootApplication(modelValues(model)));

  it("without --model asks the lab's Ollama with the model the lab was brought up with", async () => {
    recordModel("llama3.2:1b");
    ollama.setModels(["llama3.2:1b"]);
    tools = forwardToOllama();
    const run = await local();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`asking llama3.2:1b at http://127.0.0.1:${new URL(ollama.url).port}`);
    expect(run.stdout).toContain("Analysis by llama3.2:1b\nRoot cause: OOMKilled.");
  });

  it("--model, or another Ollama through --ollama-url, is not overridden by the lab's record", async () => {
    recordModel("llama3.2:1b");
    const chosen = await local("--ollama-url", ollama.url, "--model", "phi3:mini");
    expect(chosen.stderr).toContain(`asking phi3:mini at ${ollama.url}`);
    const elsewhere = await local("--ollama-url", ollama.url);
    expect(elsewhere.stderr).toContain(`asking phi3:mini at ${ollama.url}`);
  });

  it("a recorded value that is no model name is ignored: the default, and nothing of it printed", async () => {
    recordModel("phi3\u001b]0;pwned\u0007:mini; rm -rf ~");
    tools = forwardToOllama();
    const run = await local();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("asking phi3:mini at");
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/pwned|rm -rf/);
  });

  it("opens the port-forward and loads the model while the evidence is collected", async () => {
    tools = forwardToOllama();
    ollama.script({ loadDelayMs: 300 });
    const run = await local();
    expect(run.code).toBe(0);
    // One load, asked for by the preload before the question (how early it starts against the
    // collection depends on how fast the port-forward process spawns: bench/overlap measures the
    // overlap itself with fixed delays).
    expect(ollama.loads).toHaveLength(1);
    const chats = ollama.requests.filter((r) => r.endpoint === "chat");
    expect(chats.map((r) => (r.body as { messages: unknown[] }).messages.length > 0)).toEqual([false, true]);
    expect(chats[0]?.body).toMatchObject({
      messages: [],
      keep_alive: "1h",
      options: { num_ctx: 4096 },
    });
    expect(run.stdout).toMatch(
      /· load \d+\.\ds \(preloaded in \d+\.\ds, alongside \d+\.\ds of evidence collection\) · prefill /,
    );
  });

  it("a port-forward that fails leaves the findings and explains the missing answer (exit 0)", async () => {
    tools = createFakeTools().expect({
      tool: "kubectl",
      args: PORT_FORWARD,
      stderr: 'error: services "ollama" not found\n',
      exitCode: 1,
    });
    const run = await local();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1. OOMKilled");
    expect(run.stderr).toContain(
      'warning: no explanation from the model: kubectl port-forward to ollama/ollama:11434 failed: error: services "ollama" not found',
    );
  });

  it("--save-bundle works the same as with the agent", async () => {
    const file = join(home, "b.yaml");
    const run = await local("--no-ai", "--save-bundle", file);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`saved the evidence bundle (secrets redacted) to ${file}`);
  });

  it("without Prometheus, notes it and goes on", async () => {
    await prometheus.close();
    const run = await local("--no-ai");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1. OOMKilled");
    expect(run.stderr).toMatch(
      /note: no Prometheus figures: Prometheus at http:\/\/127\.0\.0\.1:\d+ is not answering \(ECONNREFUSED\)/,
    );
    prometheus = await startFakePrometheus({});
  });
});
