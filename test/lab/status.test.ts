import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { podProblem, shortRevision } from "../../src/lab/status.js";
import { type FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { createFakeTools, type FakeRule, type FakeTools } from "../harness/fake-tools/index.js";
import { runCli } from "../support/cli.js";
import { DIGEST, seedLab } from "./seed.js";
import { tempDir } from "./support.js";

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

describe("sre-lab status", () => {
  let api: FakeApiServer;
  let ollama: FakeOllama;
  let fake: FakeTools;
  let home: string;
  let env: NodeJS.ProcessEnv;

  /** kubectl port-forward as the real one behaves: prints its ready line, then runs until stopped. */
  const portForwardToOllama = (): FakeRule => ({
    tool: "kubectl",
    args: PORT_FORWARD,
    stdout: `Forwarding from 127.0.0.1:${new URL(ollama.url).port} -> 11434\n`,
    hang: true,
  });

  beforeEach(async () => {
    api = await startFakeApiServer();
    ollama = await startFakeOllama({ models: ["phi3:mini"] });
    home = tempDir("home");
    env = { HOME: home, KUBECONFIG: api.writeKubeconfig(home) };
    seedLab(api);
  });
  afterEach(async () => {
    fake?.assertNoUnexpectedCalls();
    fake?.cleanup();
    await Promise.all([api.close(), ollama.close()]);
    rmSync(home, { recursive: true, force: true });
  });

  it("reports nodes, applications, pods that are not ready, the model and the URLs", async () => {
    fake = createFakeTools().expect(portForwardToOllama());
    const run = await runCli(["status"], { path: fake.path, env });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout.trimEnd().split("\n")).toEqual([
      `context  kind-sre-lab (${api.url})`,
      "",
      "nodes",
      "  sre-lab-control-plane  control-plane  Ready",
      "  sre-lab-worker         apps           Ready",
      "  sre-lab-worker2        ai             NotReady  KubeletNotReady",
      "",
      "applications",
      "  monitoring  Unknown    Healthy      -                    ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code …",
      "  ollama      OutOfSync  Progressing  0.1.0                operation Running: waiting for completion of hook batch/Job/ollama-pull-model",
      "  sre-lab     Synced     Healthy      sha256:3f1a9c0b7d2e",
      "  target-app  Synced     Degraded     sha256:3f1a9c0b7d2e",
      "",
      "pods not ready",
      "  monitoring/prometheus-server-7c9d5b6f8-lm4nz  Unschedulable     0/3 nodes are available: 3 Insufficient memory.",
      "  sre-lab-app/target-app-6b7f9c8d4-x2k9p        CrashLoopBackOff  last: OOMKilled, exit code 137; 4 restarts",
      "",
      "model",
      "  phi3:mini  present",
      "",
      "urls",
      "  app         http://127.0.0.1:8080",
      "  grafana     http://127.0.0.1:3000",
      "  argocd      https://127.0.0.1:8443",
      "  prometheus  http://127.0.0.1:9090",
      "  logins: sre-lab open grafana, sre-lab open argocd",
    ]);
    // The port-forward to Ollama was stopped, and Ollama was asked for its models through it.
    expect(fake.signals()).toEqual([{ tool: "kubectl", args: PORT_FORWARD, signal: "SIGTERM" }]);
    expect(ollama.requests.map((r) => `${r.method} ${r.path}`)).toContain("GET /api/tags");
    fake.assertAllUsed();
  });

  it("-o json gives the same report as data", async () => {
    fake = createFakeTools().expect(portForwardToOllama());
    const run = await runCli(["status", "-o", "json"], { path: fake.path, env });
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(Object.keys(status)).toEqual([
      "context",
      "server",
      "nodes",
      "applications",
      "unreadyPods",
      "model",
      "urls",
    ]);
    expect(status.context).toBe("kind-sre-lab");
    expect(status.server).toBe(api.url);
    expect(status.nodes).toEqual([
      { name: "sre-lab-control-plane", role: "control-plane", ready: true },
      { name: "sre-lab-worker", role: "apps", ready: true },
      { name: "sre-lab-worker2", role: "ai", ready: false, reason: "KubeletNotReady" },
    ]);
    expect(status.applications).toEqual([
      {
        name: "monitoring",
        sync: "Unknown",
        health: "Healthy",
        revision: "-",
        message:
          "ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown",
      },
      {
        name: "ollama",
        sync: "OutOfSync",
        health: "Progressing",
        revision: "0.1.0",
        operation: "Running",
        message: "waiting for completion of hook batch/Job/ollama-pull-model",
      },
      { name: "sre-lab", sync: "Synced", health: "Healthy", revision: "sha256:3f1a9c0b7d2e" },
      { name: "target-app", sync: "Synced", health: "Degraded", revision: "sha256:3f1a9c0b7d2e" },
    ]);
    expect(status.unreadyPods).toEqual([
      {
        namespace: "monitoring",
        name: "prometheus-server-7c9d5b6f8-lm4nz",
        phase: "Pending",
        restarts: 0,
        reason: "Unschedulable",
        message: "0/3 nodes are available: 3 Insufficient memory.",
      },
      {
        namespace: "sre-lab-app",
        name: "target-app-6b7f9c8d4-x2k9p",
        phase: "Running",
        restarts: 4,
        reason: "CrashLoopBackOff",
        container: "app",
        lastTermination: "OOMKilled, exit code 137",
      },
    ]);
    expect(status.model).toEqual({ name: "phi3:mini", state: "present" });
    expect(status.urls).toEqual([
      { name: "app", url: "http://127.0.0.1:8080" },
      { name: "grafana", url: "http://127.0.0.1:3000" },
      { name: "argocd", url: "https://127.0.0.1:8443" },
      { name: "prometheus", url: "http://127.0.0.1:9090" },
    ]);
  });

  it("says the model is missing when Ollama answers without it", async () => {
    ollama.setModels([]);
    fake = createFakeTools().expect(portForwardToOllama());
    const run = await runCli(["status", "-o", "json"], { path: fake.path, env });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).model).toEqual({ name: "phi3:mini", state: "missing" });
    expect(fake.signals()).toHaveLength(1);
  });

  it("says unknown, with kubectl's reason, when the port-forward fails", async () => {
    fake = createFakeTools().expect({
      tool: "kubectl",
      args: PORT_FORWARD,
      stderr: "error: unable to forward port because pod is not running. Current status=Pending\n",
      exitCode: 1,
    });
    const run = await runCli(["status"], { path: fake.path, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "  phi3:mini  unknown (kubectl port-forward to ollama/ollama:11434 failed: error: unable to forward port because pod is not running. Current status=Pending)\n",
    );
    fake.assertAllUsed();
  });

  it("says unknown, and starts no port-forward, when no Ollama pod is ready", async () => {
    api.remove("v1", "Pod", "ollama", "ollama-5f8d7c6b9-h7j2k");
    fake = createFakeTools();
    const run = await runCli(["status", "-o", "json"], { path: fake.path, env });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).model).toEqual({
      name: "phi3:mini",
      state: "unknown",
      detail: "no ready Ollama pod in namespace ollama",
    });
    expect(fake.calls()).toEqual([]);
  });

  it("reports that Argo CD's Applications cannot be listed instead of failing", async () => {
    api.failNext({ verb: "list", resource: "applications" }, 403);
    fake = createFakeTools().expect(portForwardToOllama());
    const run = await runCli(["status", "-o", "json"], { path: fake.path, env });
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status.applications).toEqual([]);
    expect(status.applicationsError).toMatch(/^could not list Argo CD Applications: .*forbidden/);
  });

  it("looks at another cluster only when --context names it, and then shows no lab URLs", async () => {
    const other = api.writeKubeconfig(join(home, "other"), { context: "staging" });
    fake = createFakeTools();
    const refused = await runCli(["status"], { path: fake.path, env: { ...env, KUBECONFIG: other } });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trimEnd().split("\n")).toEqual([
      'error: the current context is "staging", not the lab\'s "kind-sre-lab"',
      "hint: create the lab with `sre-lab up`, or pass --context kind-sre-lab (--context staging to look at that cluster anyway)",
    ]);

    fake.expect({ ...portForwardToOllama(), args: [...PORT_FORWARD.slice(0, -1), "staging"] });
    const run = await runCli(["--context", "staging", "status", "-o", "json"], {
      path: fake.path,
      env: { ...env, KUBECONFIG: other },
    });
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status.context).toBe("staging");
    expect(status.urls).toEqual([]);
  });
});

describe("sre-lab status without a lab", () => {
  let home: string;
  beforeEach(() => {
    home = tempDir("home");
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("says there is no cluster, and how to make one, when there is no kubeconfig", async () => {
    const run = await runCli(["status"], { env: { HOME: home } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "error: no Kubernetes cluster is configured (no kubeconfig found)",
      "hint: create the lab with `sre-lab up`, or point at a cluster with --kubeconfig and --context",
    ]);
  });

  it("says there is no lab cluster when kind removed the context (after sre-lab down)", async () => {
    const kubeconfig = join(home, "config");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      kubeconfig,
      "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: ''\n",
    );
    const run = await runCli(["status"], { env: { HOME: home, KUBECONFIG: kubeconfig } });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "error: no Kubernetes cluster is selected: the kubeconfig has no current context",
      "hint: create the lab with `sre-lab up`, or choose a cluster with --context (kubectl config get-contexts lists them)",
    ]);
  });

  it("says the lab's nodes may be stopped when its API server does not answer", async () => {
    const api = await startFakeApiServer();
    const kubeconfig = api.writeKubeconfig(home);
    await api.close();
    const run = await runCli(["status"], { env: { HOME: home, KUBECONFIG: kubeconfig } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n/,
    );
    expect(run.stderr).toContain(
      "hint: are the lab's nodes running? (docker ps --filter label=io.x-k8s.kind.cluster=sre-lab)",
    );
  });
});

describe("revisions", () => {
  it.each([
    [DIGEST, "sha256:3f1a9c0b7d2e"],
    ["4c7854c1347860ef04a7a8caef625ac4491afa4b", "4c7854c"],
    ["0.1.0", "0.1.0"],
    [undefined, "-"],
  ])("%s is shown as %s", (revision, shown) => {
    expect(shortRevision(revision)).toBe(shown);
  });
});

describe("why a pod is not ready", () => {
  const pod = (status: Record<string, unknown>) => ({
    metadata: { name: "p", namespace: "sre-lab-app" },
    status,
  });
  const waiting = (reason: string, message?: string) => ({
    name: "app",
    ready: false,
    restartCount: 0,
    state: { waiting: { reason, ...(message ? { message } : {}) } },
  });

  it.each([
    [
      "an image that cannot be pulled, with the kubelet's message",
      {
        phase: "Pending",
        containerStatuses: [waiting("ImagePullBackOff", 'Back-off pulling image "nope:1"')],
      },
      { reason: "ImagePullBackOff", container: "app", message: 'Back-off pulling image "nope:1"' },
    ],
    [
      "a missing Secret",
      {
        phase: "Pending",
        containerStatuses: [waiting("CreateContainerConfigError", 'secret "grafana-admin" not found')],
      },
      { reason: "CreateContainerConfigError", container: "app", message: 'secret "grafana-admin" not found' },
    ],
    [
      "a failing init container before the main one",
      {
        phase: "Pending",
        initContainerStatuses: [{ ...waiting("CrashLoopBackOff"), name: "init" }],
        containerStatuses: [waiting("PodInitializing")],
      },
      { reason: "Init:CrashLoopBackOff", container: "init" },
    ],
    [
      "an evicted pod",
      { phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." },
      { reason: "Evicted", message: "The node was low on resource: memory." },
    ],
    [
      "a container still being created",
      { phase: "Pending", containerStatuses: [waiting("ContainerCreating")] },
      { reason: "ContainerCreating", container: "app" },
    ],
    [
      "a running container whose readiness probe fails",
      {
        phase: "Running",
        conditions: [{ type: "Ready", status: "False" }],
        containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { running: {} } }],
      },
      { reason: "NotReady", container: "app", message: "running, but its readiness probe does not pass" },
    ],
  ])("%s", (_what, status, expected) => {
    expect(podProblem(pod(status))).toMatchObject(expected);
  });

  it("ignores Ready pods and finished Job pods", () => {
    expect(
      podProblem(pod({ phase: "Running", conditions: [{ type: "Ready", status: "True" }] })),
    ).toBeUndefined();
    expect(podProblem(pod({ phase: "Succeeded" }))).toBeUndefined();
  });
});
