/**
 * Proves the fake apiserver against the real kubectl (/usr/bin/kubectl, v1.32): discovery, table and
 * JSON output, server-side apply and its conflicts, logs (plain, follow, previous), auth can-i,
 * watches, delete, Job completion, and the error text kubectl prints for real Status bodies.
 */
import type { ChildProcess } from "node:child_process";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeApiServer, KubeObject } from "./fake-apiserver/index.js";
import { startFakeApiServer } from "./fake-apiserver/index.js";

const kubectlPath = "/usr/bin/kubectl";
const callTimeoutMs = 10_000;

let api: FakeApiServer;
let dir: string;
let adminConfig: string;
const children = new Set<ChildProcess>();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseArgs(kubeconfig: string, cacheDir: string): string[] {
  return ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, "--request-timeout", "5s"];
}

function kubectlEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
  delete env.KUBECONFIG;
  return env;
}

/** Runs kubectl to completion with a deadline; never rejects on a non-zero exit. */
function kubectl(args: string[], options: { kubeconfig?: string; cacheDir?: string } = {}): Promise<Result> {
  const argv = [
    ...baseArgs(options.kubeconfig ?? adminConfig, options.cacheDir ?? join(dir, "cache")),
    ...args,
  ];
  return new Promise((resolve) => {
    execFile(kubectlPath, argv, { timeout: callTimeoutMs, env: kubectlEnv() }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running kubectl (logs -f, get -w) and collects its output as it arrives. */
function startKubectl(args: string[]): {
  output: () => string;
  exited: Promise<number | null>;
  stop: () => void;
} {
  const child = spawn(kubectlPath, [...baseArgs(adminConfig, join(dir, "cache")), ...args], {
    env: kubectlEnv(),
  });
  children.add(child);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = setTimeout(() => child.kill("SIGKILL"), callTimeoutMs);
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      clearTimeout(deadline);
      children.delete(child);
      resolve(code);
    });
  });
  return { output: () => output, exited, stop: () => child.kill("SIGTERM") };
}

function writeManifest(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function pod(namespace: string, name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name } },
    spec: { nodeName: "sre-lab-control-plane", containers: [{ name: "app", image: "busybox:1.36" }] },
    status: { phase: "Running" },
    ...extra,
  };
}

beforeAll(async () => {
  expect(existsSync(kubectlPath)).toBe(true);
  api = await startFakeApiServer();
  dir = mkdtempSync(join(tmpdir(), "kubectl-fake-"));
  adminConfig = api.writeKubeconfig(dir);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kubectl against the fake apiserver", () => {
  it("gets pods as JSON, jsonpath and a server-printed table", async () => {
    api.put(pod("get", "web"));
    api.put(
      pod("get", "crashy", {
        status: {
          phase: "Running",
          containerStatuses: [
            {
              name: "app",
              ready: false,
              restartCount: 4,
              state: { waiting: { reason: "CrashLoopBackOff" } },
            },
          ],
        },
      }),
    );

    const json = await kubectl(["get", "pods", "-n", "get", "-o", "json"]);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as { kind: string; items: KubeObject[] };
    expect(list.kind).toBe("List");
    expect(list.items.map((i) => `${i.kind} ${i.metadata?.name}`)).toEqual(["Pod crashy", "Pod web"]);

    const phase = await kubectl(["get", "pod", "web", "-n", "get", "-o", "jsonpath={.status.phase}"]);
    expect(phase).toEqual({ code: 0, stdout: "Running", stderr: "" });

    const table = await kubectl(["get", "pods", "-n", "get"]);
    expect(table.code).toBe(0);
    const lines = table.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/));
    expect(lines[0]).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(lines[1]?.slice(0, 4)).toEqual(["crashy", "0/1", "CrashLoopBackOff", "4"]);
    expect(lines[2]?.slice(0, 3)).toEqual(["web", "0/1", "Running"]);

    const byLabel = await kubectl(["get", "pods", "-n", "get", "-l", "app in (web)", "-o", "name"]);
    expect(byLabel.stdout).toBe("pod/web\n");
  });

  it("describes a pod with its events and lists events with the server's columns", async () => {
    api.put(pod("events", "api-0"));
    const uid = api.get("v1", "Pod", "events", "api-0")?.metadata?.uid;
    api.put({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "api-0.17f0", namespace: "events" },
      involvedObject: { apiVersion: "v1", kind: "Pod", name: "api-0", namespace: "events", uid },
      reason: "BackOff",
      message: "Back-off restarting failed container app in pod api-0",
      type: "Warning",
      count: 3,
      source: { component: "kubelet", host: "sre-lab-control-plane" },
      // Minutes, not seconds, so the printed ages cannot tick over while the test runs.
      firstTimestamp: new Date(Date.now() - 20 * 60_000 - 5_000).toISOString(),
      lastTimestamp: new Date(Date.now() - 10 * 60_000 - 5_000).toISOString(),
    });
    api.put({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "other.1", namespace: "events" },
      involvedObject: { kind: "Pod", name: "other", namespace: "events", uid: "someone-else" },
      reason: "Pulled",
      message: "not about api-0",
      type: "Normal",
    });

    const described = await kubectl(["describe", "pod", "api-0", "-n", "events"]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(
      /Warning\s+BackOff\s+10m \(x3 over 20m\)\s+kubelet\s+Back-off restarting failed container app in pod api-0/,
    );
    expect(described.stdout).not.toContain("not about api-0");
    const eventQueries = api.requests.filter(
      (r) => r.path === "/api/v1/namespaces/events/events" && r.verb === "list",
    );
    expect(eventQueries.at(-1)?.query.fieldSelector).toContain("involvedObject.name=api-0");

    const events = await kubectl(["get", "events", "-n", "events", "--field-selector", "type=Warning"]);
    const rows = events.stdout.trim().split("\n");
    expect(rows[0]?.split(/\s{2,}/)).toEqual(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    expect(rows.slice(1).map((r) => r.split(/\s{2,}/))).toEqual([
      ["10m", "Warning", "BackOff", "pod/api-0", "Back-off restarting failed container app in pod api-0"],
    ]);
  });

  it("prints NotFound and Forbidden errors as kubectl does for real Status bodies", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "errs" } });
    const missing = await kubectl(["get", "pod", "nope", "-n", "errs"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');

    const saConfig = api.writeKubeconfig(dir, { token: api.tokenFor("errs", "viewer"), context: "viewer" });
    const forbidden = await kubectl(["get", "secrets", "-n", "errs"], { kubeconfig: saConfig });
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toBe(
      'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:errs:viewer" cannot list resource "secrets" in API group "" in the namespace "errs"\n',
    );
  });

  it("applies server-side: create, unchanged re-apply, conflict with another manager, force", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ssa" } });
    const manifest = writeManifest(
      "settings.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ssa\ndata:\n  mode: fast\n",
    );
    const first = await kubectl(["apply", "--server-side", "-f", manifest]);
    expect(first).toEqual({ code: 0, stdout: "configmap/settings serverside-applied\n", stderr: "" });
    const created = api.get("v1", "ConfigMap", "ssa", "settings");
    expect(created?.data).toEqual({ mode: "fast" });
    expect(created?.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([
      ["kubectl", "Apply"],
    ]);

    const again = await kubectl(["apply", "--server-side", "-f", manifest]);
    expect(again.stdout).toBe("configmap/settings serverside-applied\n");
    expect(api.get("v1", "ConfigMap", "ssa", "settings")?.metadata?.resourceVersion).toBe(
      created?.metadata?.resourceVersion,
    );

    const other = writeManifest(
      "settings-other.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ssa\ndata:\n  mode: slow\n",
    );
    const conflict = await kubectl(["apply", "--server-side", "--field-manager", "ops", "-f", other]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      'error: Apply failed with 1 conflict: conflict with "kubectl": .data.mode\n',
    );
    expect(conflict.stderr).toContain("--force-conflicts");
    expect(api.get("v1", "ConfigMap", "ssa", "settings")?.data).toEqual({ mode: "fast" });

    const forced = await kubectl([
      "apply",
      "--server-side",
      "--field-manager",
      "ops",
      "--force-conflicts",
      "-f",
      other,
    ]);
    expect(forced.code).toBe(0);
    expect(api.get("v1", "ConfigMap", "ssa", "settings")?.data).toEqual({ mode: "slow" });
  });

  it("needs the OpenAPI v3 stub for apply --server-side (kubectl fails without any OpenAPI)", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "noapi" } });
    const restore = api.failNext({ path: /^\/openapi\// }, 404, { times: Number.POSITIVE_INFINITY });
    const manifest = writeManifest(
      "noapi.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: noapi\n",
    );
    const result = await kubectl(["apply", "--server-side", "-f", manifest], {
      cacheDir: join(dir, "cache-noapi"),
    });
    restore();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "failed to download openapi: the server could not find the requested resource",
    );
    expect(api.get("v1", "ConfigMap", "noapi", "c")).toBeUndefined();
  });

  it("reads logs, follows them until endLog, and reads --previous", async () => {
    api.put(pod("logs", "worker"));
    api.appendLog("logs", "worker", "app", "booting\nready\n");
    const plain = await kubectl(["logs", "worker", "-n", "logs"]);
    expect(plain).toEqual({ code: 0, stdout: "booting\nready\n", stderr: "" });
    const tail = await kubectl(["logs", "worker", "-n", "logs", "--tail", "1"]);
    expect(tail.stdout).toBe("ready\n");

    const follow = startKubectl(["logs", "-f", "worker", "-n", "logs"]);
    await expect.poll(follow.output, { timeout: 5000 }).toBe("booting\nready\n");
    api.appendLog("logs", "worker", "app", "request 1\n");
    await expect.poll(follow.output, { timeout: 5000 }).toBe("booting\nready\nrequest 1\n");
    api.endLog("logs", "worker", "app");
    expect(await follow.exited).toBe(0);

    const noPrevious = await kubectl(["logs", "worker", "-n", "logs", "--previous"]);
    expect(noPrevious.code).toBe(1);
    expect(noPrevious.stderr).toBe(
      'Error from server (BadRequest): previous terminated container "app" in pod "worker" not found\n',
    );
    api.appendLog("logs", "worker", "app", "panic: out of memory\n", { previous: true });
    const previous = await kubectl(["logs", "worker", "-n", "logs", "-p"]);
    expect(previous.stdout).toBe("panic: out of memory\n");
  });

  it("answers auth can-i for a ServiceAccount token and through impersonation", async () => {
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "pod-reader", namespace: "rbac" },
      rules: [{ apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] }],
    });
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "read-pods", namespace: "rbac" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
      subjects: [{ kind: "ServiceAccount", name: "diagnoser", namespace: "rbac" }],
    });
    const saConfig = api.writeKubeconfig(dir, {
      token: api.tokenFor("rbac", "diagnoser"),
      context: "diagnoser",
      namespace: "rbac",
    });

    expect(await kubectl(["auth", "can-i", "get", "pods"], { kubeconfig: saConfig })).toEqual({
      code: 0,
      stdout: "yes\n",
      stderr: "",
    });
    expect(
      await kubectl(["auth", "can-i", "get", "pods", "--subresource", "log"], { kubeconfig: saConfig }),
    ).toMatchObject({
      code: 0,
      stdout: "yes\n",
    });
    expect(await kubectl(["auth", "can-i", "delete", "pods"], { kubeconfig: saConfig })).toMatchObject({
      code: 1,
      stdout: "no\n",
    });
    expect(
      await kubectl(["auth", "can-i", "get", "secrets", "-n", "rbac"], { kubeconfig: saConfig }),
    ).toMatchObject({
      code: 1,
      stdout: "no\n",
    });

    const asSa = ["--as", "system:serviceaccount:rbac:diagnoser", "-n", "rbac"];
    expect((await kubectl(["auth", "can-i", "list", "pods", ...asSa])).stdout).toBe("yes\n");
    expect((await kubectl(["auth", "can-i", "list", "secrets", ...asSa])).stdout).toBe("no\n");
    expect((await kubectl(["auth", "can-i", "list", "secrets", "-n", "rbac"])).stdout).toBe("yes\n");
  });

  it("watches pods with get -w and prints an update", async () => {
    api.put(pod("watch", "api-0", { status: { phase: "Pending" } }));
    const watch = startKubectl(["get", "pods", "-n", "watch", "-w"]);
    await expect.poll(watch.output, { timeout: 5000 }).toMatch(/api-0\s+0\/1\s+Pending/);
    api.update("v1", "Pod", "watch", "api-0", (p) => {
      p.status = {
        phase: "Running",
        containerStatuses: [
          {
            name: "app",
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: "2025-01-01T00:00:00Z" } },
          },
        ],
      };
    });
    await expect.poll(watch.output, { timeout: 5000 }).toMatch(/api-0\s+1\/1\s+Running/);
    watch.stop();
    await watch.exited;
    const rows = watch.output().trim().split("\n");
    expect(rows[0]?.split(/\s+/)).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(rows).toHaveLength(3);
  });

  it("deletes a pod and waits for it to be gone", async () => {
    api.put(pod("del", "old"));
    const result = await kubectl(["delete", "pod", "old", "-n", "del"]);
    expect(result).toEqual({ code: 0, stdout: 'pod "old" deleted\n', stderr: "" });
    expect(api.get("v1", "Pod", "del", "old")).toBeUndefined();
    const deletes = api.requests.filter(
      (r) => r.method === "DELETE" && r.path === "/api/v1/namespaces/del/pods/old",
    );
    expect(deletes.map((r) => [r.verb, r.status])).toEqual([["delete", 200]]);
  });

  it("runs a Job to completion that kubectl wait observes", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "jobs" } });
    api.onJobCreated(({ pod: jobPod, api: server }) => {
      const name = jobPod.metadata?.name ?? "";
      server.appendLog("jobs", name, "main", "migrated 3 tables\n");
      server.update("v1", "Pod", "jobs", name, (p) => {
        p.status = { phase: "Succeeded" };
      });
    });
    const manifest = writeManifest(
      "job.yaml",
      [
        "apiVersion: batch/v1",
        "kind: Job",
        "metadata:",
        "  name: migrate",
        "  namespace: jobs",
        "spec:",
        "  template:",
        "    spec:",
        "      restartPolicy: Never",
        "      containers:",
        "      - name: main",
        "        image: busybox:1.36",
        "",
      ].join("\n"),
    );
    const applied = await kubectl(["apply", "--server-side", "-f", manifest]);
    expect(applied).toEqual({ code: 0, stdout: "job.batch/migrate serverside-applied\n", stderr: "" });
    const waited = await kubectl([
      "wait",
      "--for=condition=complete",
      "job/migrate",
      "-n",
      "jobs",
      "--timeout=5s",
    ]);
    expect(waited).toEqual({ code: 0, stdout: "job.batch/migrate condition met\n", stderr: "" });
    const logs = await kubectl(["logs", "job/migrate", "-n", "jobs"]);
    expect(logs.stdout).toBe("migrated 3 tables\n");
  });
});
