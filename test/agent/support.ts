/**
 * Test support for the diagnose agent and the CLI's in-cluster mode:
 * - buildAgent(): the agent bundled with esbuild exactly as scripts/build.mjs bundles dist/agent.js,
 *   into a temp dir (the real dist/ is rebuilt by other suites running in parallel);
 * - startFakePrometheus(): /api/v1/query with canned vectors;
 * - startAgentKubelet(): the fake API server's "kubelet" for agent Jobs: it copies the code out of
 *   the Job's ConfigMap into a temp dir outside the repository (so no node_modules can be found),
 *   writes the ServiceAccount's token and CA where a pod would have them, and runs `node agent.mjs`
 *   with the container's env — cluster DNS names mapped to the fakes — streaming its output into
 *   the pod's log;
 * - seedOomPod(): a crash-looping, OOM-killed pod with owners, events, logs, a node and secrets.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { DEFAULT_OLLAMA_URL, DEFAULT_PROMETHEUS_URL } from "../../src/diagnose/engine/config.js";
import type { FakeApiServer, KubeObject } from "../harness/fake-apiserver/index.js";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sre-lab-${prefix}-`));
}

let built: Promise<{ path: string; code: string; dir: string }> | undefined;

/** dist/agent.js as scripts/build.mjs makes it (same esbuild options), built once per test file. */
export function buildAgent(): Promise<{ path: string; code: string; dir: string }> {
  built ??= (async () => {
    const dir = tempDir("agent-build");
    const result = await build({
      define: { __SRE_LAB_VERSION__: JSON.stringify("0.0.0-test") },
      bundle: true,
      platform: "node",
      target: "node22",
      format: "esm",
      logLevel: "warning",
      absWorkingDir: repoRoot,
      entryPoints: { agent: "src/agent/main.ts" },
      outdir: dir,
      sourcemap: false,
      minify: true,
      legalComments: "none",
      write: true,
    });
    if (result.errors.length > 0) throw new Error("building the agent failed");
    const path = join(dir, "agent.js");
    const { readFileSync } = await import("node:fs");
    return { path, code: readFileSync(path, "utf8"), dir };
  })();
  return built;
}

export interface FakePrometheus {
  url: string;
  queries: string[];
  close(): Promise<void>;
}

/** Answers instant queries: peak, current working set and restarts for the named containers. */
export async function startFakePrometheus(
  figures: Record<string, { peak: number; current: number; restarts: number }>,
): Promise<FakePrometheus> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://prometheus");
    if (url.pathname !== "/api/v1/query") {
      res.writeHead(404).end("404 page not found");
      return;
    }
    const query = url.searchParams.get("query") ?? "";
    queries.push(query);
    const pick = query.includes("max_over_time")
      ? "peak"
      : query.includes("increase(")
        ? "restarts"
        : "current";
    const result = Object.entries(figures).map(([container, f]) => ({
      metric: { container },
      value: [1_750_000_000.123, String(f[pick])],
    }));
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export type KubeletBehaviour = "run" | "image-pull-backoff" | "refused";

export interface AgentRun {
  job: KubeObject;
  pod: KubeObject;
  /** The container's env as the Job set it (before the cluster DNS names were mapped). */
  env: Record<string, string>;
  exitCode?: number | null;
  output: string;
  /** The agent's working directory: only agent.mjs, no node_modules anywhere above it. */
  dir: string;
}

export interface AgentKubelet {
  runs: AgentRun[];
  behaviour: KubeletBehaviour;
  /** Resolves when the n-th run's process has exited. */
  exited(index?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface AgentKubeletOptions {
  ollamaUrl: string;
  /** The cluster's Prometheus; absent: its DNS name does not answer. */
  prometheusUrl?: string;
  behaviour?: KubeletBehaviour;
}

export function startAgentKubelet(api: FakeApiServer, options: AgentKubeletOptions): AgentKubelet {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const exits: Promise<void>[] = [];
  const timers: NodeJS.Timeout[] = [];
  const kubelet: AgentKubelet = {
    runs: [],
    behaviour: options.behaviour ?? "run",
    exited: (index = 0) => exits[index] ?? Promise.reject(new Error(`no agent run #${index}`)),
    async stop() {
      for (const timer of timers) clearInterval(timer);
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
      await Promise.allSettled(exits);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };

  api.onJobCreated(({ job, pod, api: server }) => {
    const namespace = pod.metadata?.namespace ?? "";
    const podName = pod.metadata?.name ?? "";
    const spec = pod.spec as {
      serviceAccountName: string;
      containers: {
        name: string;
        image: string;
        command: string[];
        env: { name: string; value: string }[];
      }[];
      volumes: { name: string; configMap: { name: string } }[];
    };
    const container = spec.containers[0]!;
    const setStatus = (status: KubeObject["status"]) =>
      server.update("v1", "Pod", namespace, podName, (p) => {
        p.status = status;
      });

    if (kubelet.behaviour === "image-pull-backoff") {
      setStatus({
        phase: "Pending",
        containerStatuses: [
          {
            name: container.name,
            image: container.image,
            ready: false,
            restartCount: 0,
            state: {
              waiting: {
                reason: "ImagePullBackOff",
                message: `Back-off pulling image "${container.image}": ErrImagePull: failed to resolve reference "${container.image}": dial tcp: lookup registry-1.docker.io: no such host`,
              },
            },
          },
        ],
      });
      return;
    }
    if (kubelet.behaviour === "refused") {
      // What a ResourceQuota does: the controller cannot create the pod and says so on the Job.
      server.remove("v1", "Pod", namespace, podName);
      server.put({
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${job.metadata?.name}.quota`, namespace },
        involvedObject: { kind: "Job", namespace, name: job.metadata?.name, uid: job.metadata?.uid },
        type: "Warning",
        reason: "FailedCreate",
        message: `Error creating: pods "${podName}" is forbidden: exceeded quota: compute, requested: limits.memory=256Mi, used: limits.memory=1Gi, limited: limits.memory=1Gi`,
        count: 1,
      });
      return;
    }

    const dir = tempDir("agent-pod");
    dirs.push(dir);
    const configMap = server.get("v1", "ConfigMap", namespace, spec.volumes[0]!.configMap.name) as
      | (KubeObject & { data: Record<string, string> })
      | undefined;
    if (!configMap) throw new Error("the agent's ConfigMap is missing");
    const codeDir = join(dir, "opt-sre-lab");
    mkdirSync(codeDir);
    for (const [file, text] of Object.entries(configMap.data)) writeFileSync(join(codeDir, file), text);
    const saDir = join(dir, "serviceaccount");
    mkdirSync(saDir);
    writeFileSync(join(saDir, "token"), server.tokenFor(namespace, spec.serviceAccountName));
    writeFileSync(join(saDir, "ca.crt"), server.caCertificate);
    writeFileSync(join(saDir, "namespace"), namespace);

    const declared = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    // Cluster DNS, played by the test: the Services' names resolve to the fakes.
    const resolveDns = (value: string) =>
      value === DEFAULT_OLLAMA_URL
        ? options.ollamaUrl
        : value === DEFAULT_PROMETHEUS_URL
          ? (options.prometheusUrl ?? "http://127.0.0.1:9")
          : value;
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, resolveDns(v)])),
      PATH: process.env.PATH,
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: new URL(server.url).port,
      SRE_LAB_SERVICE_ACCOUNT_DIR: saDir,
    };
    const script = container.command[1]!.replace("/opt/sre-lab", codeDir);
    const run: AgentRun = { job, pod, env: declared, output: "", dir: codeDir };
    kubelet.runs.push(run);
    setStatus({
      phase: "Running",
      containerStatuses: [
        {
          name: container.name,
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: new Date().toISOString() } },
        },
      ],
    });
    const child = spawn(process.execPath, [script], { cwd: codeDir, env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      run.output += text;
      if (server.get("v1", "Pod", namespace, podName))
        server.appendLog(namespace, podName, container.name, text);
    };
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", onOutput);
    // A deleted pod (Ctrl-C, the Job's deadline) stops its container.
    const watch = setInterval(() => {
      if (!server.get("v1", "Pod", namespace, podName) && child.exitCode === null) child.kill("SIGTERM");
    }, 25);
    timers.push(watch);
    exits.push(
      new Promise<void>((resolve) => {
        child.on("close", (code) => {
          clearInterval(watch);
          run.exitCode = code;
          if (server.get("v1", "Pod", namespace, podName)) {
            setStatus({
              phase: code === 0 ? "Succeeded" : "Failed",
              containerStatuses: [
                {
                  name: container.name,
                  ready: false,
                  restartCount: 0,
                  state: {
                    terminated: { exitCode: code ?? 137, reason: code === 0 ? "Completed" : "Error" },
                  },
                },
              ],
            });
          }
          server.endLog(namespace, podName, container.name);
          resolve();
        });
      }),
    );
  });
  return kubelet;
}

/** Secret values planted in the seeded pod's spec and logs. */
export const PLANTED_SECRETS = ["S3cr3t-Pa55w0rd!", "AKIAYWAUUQPASCISUJ3N", "hunter2-db-pass"];

export const OOM_POD = {
  namespace: "shop",
  name: "checkout-api-7c9d6b5f48-x2k9p",
  uid: "4a52295e-4a51-4551-ad6b-819e05bcb01c",
  node: "sre-lab-worker",
} as const;

/** A Deployment's pod that keeps being OOMKilled, with everything the collector reads. */
export function seedOomPod(api: FakeApiServer): void {
  const { namespace, name, uid, node } = OOM_POD;
  api.put({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "checkout-api", namespace, uid: "dep-uid-1" },
    spec: {
      replicas: 1,
      template: {
        spec: { containers: [{ name: "checkout-api", image: "ghcr.io/acme/checkout-api:2.3.1" }] },
      },
    },
  });
  api.put({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: "checkout-api-7c9d6b5f48",
      namespace,
      uid: "rs-uid-1",
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: "checkout-api",
          uid: "dep-uid-1",
          controller: true,
        },
      ],
    },
    spec: { replicas: 1 },
  });
  api.put({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: node, labels: { "sre-lab.dev/role": "apps" } },
    status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] },
  });
  api.put({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      uid,
      labels: { app: "checkout-api", "pod-template-hash": "7c9d6b5f48" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "checkout-api-7c9d6b5f48",
          uid: "rs-uid-1",
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: node,
      restartPolicy: "Always",
      containers: [
        {
          name: "checkout-api",
          image: "ghcr.io/acme/checkout-api:2.3.1",
          env: [
            { name: "DB_PASSWORD", value: PLANTED_SECRETS[0] },
            { name: "AWS_ACCESS_KEY_ID", value: PLANTED_SECRETS[1] },
          ],
          resources: { limits: { memory: "256Mi" }, requests: { memory: "128Mi" } },
        },
      ],
    },
    status: {
      phase: "Running",
      containerStatuses: [
        {
          name: "checkout-api",
          ready: false,
          restartCount: 4,
          state: {
            waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" },
          },
          lastState: {
            terminated: { reason: "OOMKilled", exitCode: 137, finishedAt: "2025-05-20T14:16:38Z" },
          },
        },
      ],
    },
  });
  const event = (
    suffix: string,
    reason: string,
    message: string,
    type: string,
    count: number,
    last: string,
  ) =>
    api.put({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${name}.${suffix}`, namespace },
      involvedObject: { kind: "Pod", namespace, name, uid, fieldPath: "spec.containers{checkout-api}" },
      reason,
      message,
      type,
      count,
      lastTimestamp: last,
      firstTimestamp: "2025-05-20T14:00:00Z",
    });
  event(
    "a",
    "BackOff",
    "Back-off restarting failed container checkout-api",
    "Warning",
    4,
    "2025-05-20T14:16:00Z",
  );
  event(
    "b",
    "BackOff",
    "Back-off restarting failed container checkout-api",
    "Warning",
    3,
    "2025-05-20T14:17:39Z",
  );
  event(
    "c",
    "Pulled",
    'Container image "ghcr.io/acme/checkout-api:2.3.1" already present on machine',
    "Normal",
    5,
    "2025-05-20T14:17:00Z",
  );
  // An event of an earlier pod with the same name: another uid, so not evidence about this pod.
  api.put({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${name}.old`, namespace },
    involvedObject: { kind: "Pod", namespace, name, uid: "some-older-pod" },
    reason: "FailedMount",
    message: "an older pod's trouble",
    type: "Warning",
    count: 1,
  });
  api.appendLog(
    namespace,
    name,
    "checkout-api",
    `starting checkout-api 2.3.1\nconnecting to postgres://checkout:${PLANTED_SECRETS[2]}@db:5432/checkout\nloading catalogue cache (412 MB)\n`,
    { previous: true },
  );
  api.appendLog(namespace, name, "checkout-api", "starting checkout-api 2.3.1\n");
}
