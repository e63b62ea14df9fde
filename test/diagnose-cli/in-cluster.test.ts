/**
 * `sre-lab diagnose POD` end to end: the CLI applies the agent's objects to the fake API server,
 * whose Job controller creates the agent pod; the test's kubelet runs the agent's code taken from
 * the Job's ConfigMap (`node agent.mjs`, in a directory with no node_modules) with the
 * ServiceAccount token the fake issued, so every read goes through the RBAC the CLI created; the
 * agent asks the fake Ollama; the CLI follows the pod's log and prints.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AGENT_CLUSTER_RULES,
  AGENT_ROLE_RULES,
  agentCodeOf,
  agentConfigMapName,
} from "../../src/diagnose/agent-job.js";
import { parseBundle } from "../../src/diagnose/bundle.js";
import versions from "../../versions.json" with { type: "json" };
import {
  type AgentKubelet,
  buildAgent,
  type FakePrometheus,
  OOM_POD,
  PLANTED_SECRETS,
  repoRoot,
  seedOomPod,
  startAgentKubelet,
  startFakePrometheus,
  tempDir,
} from "../agent/support.js";
import { type FakeApiServer, type KubeObject, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { onlyJson, runRecorded } from "./support.js";

const ANSWER =
  "Root cause: checkout-api was OOMKilled (exit 137): it needs more than its 256Mi limit.\nFix: kubectl -n shop set resources deployment/checkout-api -c checkout-api --limits=memory=512Mi";

let api: FakeApiServer;
let ollama: FakeOllama;
let prometheus: FakePrometheus;
let kubelet: AgentKubelet;
let home: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  const agent = await buildAgent();
  api = await startFakeApiServer();
  ollama = await startFakeOllama({ models: ["phi3:mini"], script: { answer: ANSWER, chunkDelayMs: 5 } });
  prometheus = await startFakePrometheus({
    "checkout-api": { peak: 255 * 2 ** 20, current: 90 * 2 ** 20, restarts: 3 },
  });
  kubelet = startAgentKubelet(api, { ollamaUrl: ollama.url, prometheusUrl: prometheus.url });
  home = tempDir("home");
  env = { HOME: home, KUBECONFIG: api.writeKubeconfig(home), SRE_LAB_AGENT_JS: agent.path };
  seedOomPod(api);
});

afterEach(async () => {
  await kubelet.stop();
  await Promise.all([api.close(), ollama.close(), prometheus.close()]);
  rmSync(home, { recursive: true, force: true });
});

const diagnose = (...args: string[]) =>
  runRecorded(["diagnose", OOM_POD.name, "-n", OOM_POD.namespace, ...args], { env });
const jobs = () => api.list("batch/v1", "Job", OOM_POD.namespace);
const agentRequests = () =>
  api.requests.filter((r) => r.user === "system:serviceaccount:shop:sre-lab-diagnose");

describe("diagnose through the in-cluster agent", () => {
  it("prints the findings, then the model's answer token by token, then the figures; then deletes the Job", async () => {
    const run = await diagnose();
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);

    const findingsAt = run.stdout.indexOf("1. OOMKilled [critical] · container checkout-api  ← root cause");
    const answerAt = run.stdout.indexOf(`Analysis by phi3:mini\n${ANSWER}`);
    const figuresAt = run.stdout.search(
      /prompt \d+ tokens · load \d+\.\ds \(preloaded in \d+\.\ds, alongside \d+\.\ds of evidence collection\) · prefill \d+\.\ds · generate \d+\.\ds · first token \d+\.\ds · [\d.]+ tokens\/s · \d+ answer tokens/,
    );
    expect(findingsAt).toBeGreaterThanOrEqual(0);
    expect(answerAt).toBeGreaterThan(findingsAt);
    expect(figuresAt).toBeGreaterThan(answerAt);
    expect(run.stdout).toContain(
      `Pod shop/${OOM_POD.name} (Running, node sre-lab-worker, Deployment/checkout-api)`,
    );
    // Prometheus' figures are evidence of the finding about that container.
    expect(run.stdout).toContain(
      "prometheus: container checkout-api memory working set peaked at 255Mi of its 256Mi limit (100%) over the last 15m, now 90Mi",
    );
    expect(run.stdout).toContain("prometheus: container checkout-api restarted 3 times in the last 15m");

    // Token by token: separate writes, in order, spread over the time the fake took to stream.
    const stdoutWrites = run.writes.filter((w) => w.stream === "stdout");
    const header = stdoutWrites.findIndex((w) => w.text.includes("Analysis by phi3:mini"));
    const figures = stdoutWrites.findIndex((w) => w.text.includes("tokens/s"));
    const tokenWrites = stdoutWrites.slice(header + 1, figures);
    expect(tokenWrites.length).toBeGreaterThan(20);
    expect(tokenWrites.map((w) => w.text).join("")).toBe(ANSWER);
    expect(tokenWrites.at(-1)!.at - tokenWrites[0]!.at).toBeGreaterThan(50);

    // No secret reached the model or the terminal.
    // The agent asked Ollama to load the model first (an empty chat with the answer's num_ctx and a
    // keep_alive), then sent the prompt.
    const chats = ollama.requests.filter((r) => r.endpoint === "chat");
    expect(chats[0]?.body).toMatchObject({ messages: [], keep_alive: "1h", options: { num_ctx: 4096 } });
    const chat = chats.find((r) => (r.body?.messages?.length ?? 0) > 0);
    expect(chats.indexOf(chat!)).toBe(1);
    expect(chat?.body?.options?.num_ctx).toBe(4096);
    const prompt = JSON.stringify(chat?.body?.messages);
    expect(prompt).toContain("OOMKilled");
    for (const secret of PLANTED_SECRETS) {
      expect(prompt).not.toContain(secret);
      expect(run.stdout + run.stderr).not.toContain(secret);
      expect(kubelet.runs[0]!.output).not.toContain(secret);
    }

    // Progress on stderr; the Job and its pod are gone.
    expect(run.stderr).toMatch(
      /agent Job shop\/sre-lab-diagnose-checkout-api-7c9d6b5f48-x2k9p-\w{5} started/,
    );
    expect(run.stderr).toContain(
      "evidence: pod; owners: ReplicaSet/checkout-api-7c9d6b5f48 → Deployment/checkout-api; events: 2 events (1 duplicates folded); logs: 2 logs; node: sre-lab-worker; prometheus: http://127.0.0.1:",
    );
    expect(jobs()).toEqual([]);
    expect(api.list("v1", "Pod", OOM_POD.namespace).map((p) => p.metadata?.name)).toEqual([OOM_POD.name]);
  });

  it("runs the agent's code from its ConfigMap with plain node, outside any node_modules", async () => {
    const run = await diagnose("--no-ai", "--keep");
    expect(run.code).toBe(0);
    const agentRun = kubelet.runs[0]!;
    expect(relative(repoRoot, agentRun.dir).startsWith("..")).toBe(true);
    expect(existsSync(join(agentRun.dir, "node_modules"))).toBe(false);
    expect(agentRun.exitCode).toBe(0);
    const code = readFileSync(env.SRE_LAB_AGENT_JS as string, "utf8");
    const configMap = api.get(
      "v1",
      "ConfigMap",
      "shop",
      agentConfigMapName(agentCodeOf(code)),
    ) as KubeObject & {
      data: Record<string, string>;
      immutable: boolean;
    };
    expect(configMap.immutable).toBe(true);
    expect(configMap.data["agent.mjs"]).toBe(code);
    expect(Buffer.byteLength(code)).toBeLessThan(512 * 1024);
    // The agent only read, and only with its own ServiceAccount.
    expect(agentRequests().length).toBeGreaterThan(4);
    expect(agentRequests().every((r) => r.method === "GET")).toBe(true);
  });

  it("gives the agent a least-privilege identity: no secrets, no writes, no other namespaces", async () => {
    const run = await diagnose("--no-ai", "--keep");
    expect(run.code).toBe(0);
    const role = api.get("rbac.authorization.k8s.io/v1", "Role", "shop", "sre-lab-diagnose") as KubeObject & {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
    };
    expect(role.rules).toEqual(AGENT_ROLE_RULES);
    const granted = role.rules.flatMap((r) => [...r.resources, ...r.verbs, ...r.apiGroups]);
    expect(granted).not.toContain("secrets");
    expect(granted).not.toContain("*");
    expect(new Set(role.rules.flatMap((r) => r.verbs))).toEqual(new Set(["get", "list"]));
    const clusterRole = api.get(
      "rbac.authorization.k8s.io/v1",
      "ClusterRole",
      undefined,
      "sre-lab-diagnose-nodes",
    ) as KubeObject & {
      rules: unknown[];
    };
    expect(clusterRole.rules).toEqual(AGENT_CLUSTER_RULES);
    expect(clusterRole.rules).toEqual([
      { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
      { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get"] },
    ]);
    const binding = api.get(
      "rbac.authorization.k8s.io/v1",
      "ClusterRoleBinding",
      undefined,
      "sre-lab-diagnose-nodes-shop",
    ) as KubeObject & {
      subjects: unknown[];
    };
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "sre-lab-diagnose", namespace: "shop" },
    ]);

    const token = api.tokenFor("shop", "sre-lab-diagnose");
    const as = (method: string, path: string, body?: string) =>
      api.request(method, path, {
        token,
        ...(body ? { body, headers: { "Content-Type": "application/json" } } : {}),
      });
    expect((await as("GET", "/api/v1/namespaces/shop/secrets")).status).toBe(403);
    expect((await as("GET", "/api/v1/namespaces/shop/secrets/db")).status).toBe(403);
    expect((await as("GET", "/api/v1/namespaces/kube-system/pods")).status).toBe(403);
    expect((await as("GET", "/api/v1/namespaces/kube-system/pods/x")).status).toBe(403);
    expect((await as("DELETE", `/api/v1/namespaces/shop/pods/${OOM_POD.name}`)).status).toBe(403);
    expect((await as("GET", `/api/v1/namespaces/shop/pods/${OOM_POD.name}`)).status).toBe(200);
    expect((await as("GET", "/api/v1/nodes/sre-lab-worker")).status).toBe(200);
  });

  it("runs the Job hardened: non-root, read-only, no capabilities, bounded, with a deadline and a TTL", async () => {
    const run = await diagnose("--no-ai", "--timeout", "5m");
    expect(run.code).toBe(0);
    const job = kubelet.runs[0]!.job as KubeObject & {
      spec: {
        backoffLimit: number;
        activeDeadlineSeconds: number;
        ttlSecondsAfterFinished: number;
        template: {
          spec: {
            serviceAccountName: string;
            securityContext: unknown;
            containers: { image: string; command: string[]; securityContext: unknown; resources: unknown }[];
          };
        };
      };
    };
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(300);
    expect(job.spec.ttlSecondsAfterFinished).toBe(600);
    const pod = job.spec.template.spec;
    expect(pod.serviceAccountName).toBe("sre-lab-diagnose");
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const container = pod.containers[0]!;
    expect(container.image).toBe(versions.images.agentNode);
    expect(container.command).toEqual(["node", "/opt/sre-lab/agent.mjs"]);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.resources).toEqual({
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    });
    // Ollama by its cluster DNS name, not through a port-forward.
    expect(kubelet.runs[0]!.env.SRE_LAB_OLLAMA_URL).toBe("http://ollama.ollama.svc.cluster.local:11434");
  });

  it("-o json prints one document { pod, findings, analysis } and nothing else on stdout", async () => {
    const run = await diagnose("-o", "json");
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout);
    expect(Object.keys(doc)).toEqual(["pod", "findings", "analysis"]);
    expect(doc.pod).toEqual({
      namespace: "shop",
      name: OOM_POD.name,
      phase: "Running",
      node: "sre-lab-worker",
      owner: "Deployment/checkout-api",
    });
    expect((doc.findings as { code: string }[])[0]?.code).toBe("OOMKilled");
    expect(doc.analysis).toMatchObject({ model: "phi3:mini", text: ANSWER, doneReason: "stop" });
    expect((doc.analysis as { promptTokens: number }).promptTokens).toBeGreaterThan(100);
  });

  it("--no-ai contacts no model and prints analysis null", async () => {
    const run = await diagnose("--no-ai", "-o", "json");
    expect(run.code).toBe(0);
    expect(onlyJson(run.stdout).analysis).toBeNull();
    expect(ollama.requests).toEqual([]);
  });

  it("--save-bundle writes the agent's redacted bundle, with the sources and the metrics", async () => {
    const file = join(home, "evidence.json");
    const run = await diagnose("--no-ai", "--save-bundle", file);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`saved the evidence bundle (secrets redacted) to ${file}`);
    const text = readFileSync(file, "utf8");
    for (const secret of PLANTED_SECRETS) expect(text).not.toContain(secret);
    const saved = JSON.parse(text);
    expect(saved.metadata.cluster).toBe("kind-sre-lab");
    expect(saved.metadata.sources.map((s: { name: string; ok: boolean }) => `${s.name}:${s.ok}`)).toEqual([
      "pod:true",
      "owners:true",
      "events:true",
      "logs:true",
      "node:true",
      "prometheus:true",
      "related:true",
    ]);
    expect(saved.metrics).toEqual([
      {
        container: "checkout-api",
        memoryPeakBytes: 255 * 2 ** 20,
        memoryWorkingSetBytes: 90 * 2 ** 20,
        restarts15m: 3,
        memoryLimitBytes: 256 * 2 ** 20,
      },
    ]);
    const bundle = parseBundle(text, file);
    expect(bundle.owners?.map((o) => o.kind)).toEqual(["ReplicaSet", "Deployment"]);
    expect(bundle.node?.metadata).toMatchObject({ name: "sre-lab-worker" });
    expect(bundle.logs.map((l) => `${l.container}:${l.previous}`)).toEqual([
      "checkout-api:false",
      "checkout-api:true",
    ]);
    // Events by uid (not the older pod's), duplicates folded with their counts, Warnings first.
    expect(bundle.events.map((e) => `${e.type} ${e.reason} x${e.count}`)).toEqual([
      "Warning BackOff x7",
      "Normal Pulled x5",
    ]);
  });

  it("with the cluster's Ollama down, still prints the findings, warns why there is no answer, exits 0", async () => {
    await ollama.close();
    const run = await diagnose("-o", "json");
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout);
    expect((doc.findings as { code: string }[])[0]?.code).toBe("OOMKilled");
    expect(doc.analysis).toBeNull();
    expect(run.stderr).toContain("warning: no explanation from the model: Ollama at");
    expect(run.stderr).toContain("is not answering");
    expect(run.stderr).toContain("fix: check the lab's Ollama: kubectl -n ollama get pods");
  });

  it("an answer cut off mid-way keeps what arrived, marks it, warns, and exits 0", async () => {
    ollama.script({ failure: { kind: "disconnect", afterChunks: 4 } });
    const run = await diagnose();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1. OOMKilled");
    expect(run.stdout).toContain("Analysis by phi3:mini\nRoot cause: checkout");
    expect(run.stdout).toMatch(/Root cause: checkout\S*\nanswer cut off: the stream from Ollama broke off/);
    expect(run.stdout).not.toMatch(/tokens\/s/);
    expect(run.stderr).toMatch(
      /warning: no explanation from the model: the answer from phi3:mini was cut off after 4 tokens/,
    );
  });

  it("an agent that dies mid-answer: the partial answer's line is ended and marked, exit 1", async () => {
    ollama.script({ answer: `${ANSWER} ${"and more words ".repeat(60)}`, chunkDelayMs: 40 });
    const running = diagnose();
    await expect
      .poll(() => kubelet.runs[0]?.output.includes('"type":"token"'), { timeout: 10_000 })
      .toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await kubelet.stop(); // SIGKILL: the container ends, its log stream ends without `done`
    const run = await running;
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("Analysis by phi3:mini\nRoot cause: checkout");
    expect(run.stdout).toMatch(
      /\S\nanswer cut off: the diagnosis failed \(the agent stopped before it finished[^\n]*\)\n$/,
    );
    expect(run.stderr).toContain("error: the agent stopped before it finished");
  });

  it("--keep leaves the Job for debugging and says how to read it", async () => {
    const run = await diagnose("--no-ai", "--keep");
    expect(run.code).toBe(0);
    const [job] = jobs();
    expect(job?.metadata?.name).toMatch(/^sre-lab-diagnose-checkout-api-7c9d6b5f48-x2k9p-\w{5}$/);
    expect(
      (job as KubeObject & { spec: { ttlSecondsAfterFinished: number } }).spec.ttlSecondsAfterFinished,
    ).toBe(86_400);
    expect(run.stderr).toContain(
      `kept Job ${job?.metadata?.name} (--keep): kubectl -n shop logs job/${job?.metadata?.name}`,
    );
  });

  it("--print-prompt gets the exact messages from the agent and contacts no model", async () => {
    const run = await diagnose("--print-prompt");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^--- system \(message 1 of 2\) ---\nYou are an SRE assistant/);
    expect(run.stdout).toContain("--- user (message 2 of 2) ---\nExplain why the pod");
    expect(run.stdout).toContain("```data pod\nPod shop/checkout-api-7c9d6b5f48-x2k9p: phase Running");
    expect(run.stdout).toContain("#1 OOMKilled [critical] container checkout-api");
    expect(run.stdout).not.toContain("1. OOMKilled"); // only the messages on stdout
    for (const secret of PLANTED_SECRETS) expect(run.stdout).not.toContain(secret);
    expect(ollama.requests).toEqual([]);
    expect(kubelet.runs[0]!.env.SRE_LAB_MODE).toBe("prompt");
  });

  it("applies its objects idempotently: a second run adds only a new Job", async () => {
    expect((await diagnose("--no-ai", "--keep")).code).toBe(0);
    const versionsOf = () =>
      ["ServiceAccount", "ConfigMap"].map((kind) =>
        api.list("v1", kind, "shop").map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      );
    const before = versionsOf();
    expect((await diagnose("--no-ai", "--keep")).code).toBe(0);
    expect(versionsOf()).toEqual(before);
    expect(jobs()).toHaveLength(2);
  });
});

describe("when the agent cannot run", () => {
  it("fails fast and clearly when the agent's image cannot be pulled", async () => {
    kubelet.behaviour = "image-pull-backoff";
    const started = Date.now();
    const run = await diagnose();
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.stderr).toContain(
      `error: the agent pod cannot start: ImagePullBackOff: Back-off pulling image "${versions.images.agentNode}"`,
    );
    expect(run.stderr).toContain(`hint: the cluster cannot pull ${versions.images.agentNode}`);
    expect(run.stderr).toContain("--local");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(jobs()).toEqual([]);
  });

  it("says why the cluster refused to create the agent pod (a quota)", async () => {
    kubelet.behaviour = "refused";
    const run = await diagnose();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: the cluster refused to create the agent pod: Error creating: pods");
    expect(run.stderr).toContain("exceeded quota: compute");
    expect(run.stderr).toContain(
      'hint: a ResourceQuota, LimitRange or admission policy in namespace "shop" rejects it',
    );
  });

  it("reports the Job's DeadlineExceeded with the agent's last log lines", async () => {
    ollama.script({ firstTokenDelayMs: 60_000 });
    const run = await diagnose("--timeout", "2s");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("1. OOMKilled"); // the findings came before the model
    expect(run.stderr).toContain(
      "error: the agent did not finish within 2s (DeadlineExceeded: Job was active longer than specified deadline)",
    );
    expect(run.stderr).toContain("last log lines:");
    expect(run.stderr).toContain('"type":"model"');
    expect(run.stderr).toContain(
      "hint: the model may be slow on this machine: allow more time with --timeout",
    );
    await kubelet.exited(0);
    expect(jobs()).toEqual([]);
  });

  it("Ctrl-C deletes the Job (and so the agent pod) and exits 130", async () => {
    ollama.script({ firstTokenDelayMs: 60_000 });
    const controller = new AbortController();
    const running = runRecorded(["diagnose", OOM_POD.name, "-n", "shop"], { env, signal: controller.signal });
    // Waiting for the answer (the chat with the prompt, not the preload).
    await expect
      .poll(() => ollama.requests.some((r) => r.endpoint === "chat" && (r.body?.messages?.length ?? 0) > 0), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(jobs()).toHaveLength(1);
    controller.abort();
    const run = await running;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("interrupted");
    expect(jobs()).toEqual([]);
    await kubelet.exited(0);
    expect(kubelet.runs[0]!.exitCode).not.toBe(0);
  });

  /** A user with rights in one namespace only (a namespace admin), through a kubeconfig of their own. */
  const namespaceUser = (rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]) => {
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "dev", namespace: "shop" },
      rules,
    });
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "dev", namespace: "shop" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "dev" },
      subjects: [{ kind: "ServiceAccount", name: "dev", namespace: "shop" }],
    });
    return {
      ...env,
      KUBECONFIG: api.writeKubeconfig(join(home, "dev"), { token: api.tokenFor("shop", "dev") }),
    };
  };
  const all = ["get", "list", "watch", "create", "patch", "update", "delete"];
  /** What a namespace admin reads of the owner kinds (the agent's Role grants their get). */
  const namespaceAdminReads = [
    {
      apiGroups: ["apps"],
      resources: ["replicasets", "deployments", "statefulsets", "daemonsets"],
      verbs: all,
    },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: all },
    // What the agent reads about related objects (claims, Services and their EndpointSlices).
    { apiGroups: [""], resources: ["persistentvolumeclaims", "services"], verbs: all },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: all },
  ];

  it("a namespace admin still gets a diagnosis, without the node, and is told why", async () => {
    const userEnv = namespaceUser([
      {
        apiGroups: [""],
        resources: ["pods", "pods/log", "events", "serviceaccounts", "configmaps"],
        verbs: all,
      },
      ...namespaceAdminReads,
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: all },
    ]);
    const run = await runRecorded(["diagnose", OOM_POD.name, "-n", "shop", "--no-ai"], { env: userEnv });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1. OOMKilled");
    // Said up front (SelfSubjectAccessReview), then by the API server itself.
    expect(run.stderr).toContain(
      "warning: without permission to create clusterroles.rbac.authorization.k8s.io (cluster-wide), patch clusterroles.rbac.authorization.k8s.io (cluster-wide), delete clusterroles.rbac.authorization.k8s.io (cluster-wide), create clusterrolebindings.rbac.authorization.k8s.io (cluster-wide)",
    );
    expect(run.stderr).toContain(
      "warning: cannot let the agent read nodes (clusterroles.rbac.authorization.k8s.io",
    );
    expect(run.stderr).toMatch(/warning: could not read the pod's node: nodes "sre-lab-worker" is forbidden/);
  });

  it("a user who may not create the agent's objects is told what is needed, and about --local", async () => {
    const userEnv = namespaceUser([
      { apiGroups: [""], resources: ["pods", "pods/log", "events"], verbs: ["get", "list"] },
    ]);
    const run = await runRecorded(["diagnose", OOM_POD.name, "-n", "shop"], { env: userEnv });
    expect(run.code).toBe(1);
    const lines = run.stderr.split("\n");
    expect(lines[0]).toMatch(
      /^error: missing permission for the in-cluster agent as context "kind-sre-lab": create serviceaccounts in namespace shop \(and \d+ more\)$/,
    );
    expect(lines).toContain("  cannot create roles.rbac.authorization.k8s.io in namespace shop");
    expect(lines).toContain("  cannot create jobs.batch in namespace shop");
    expect(run.stderr).toContain(
      "hint: check with: kubectl auth can-i create serviceaccounts -n shop; or run read-only with --local",
    );
    expect(run.stderr).not.toContain("forbidden"); // stopped before any write was tried
    expect(api.requests.filter((r) => r.user.endsWith(":dev") && r.verb === "patch")).toEqual([]);
    expect(jobs()).toEqual([]);
  });

  it("a user who may not grant what the agent's Role grants is told so up front (RBAC escalation)", async () => {
    const userEnv = namespaceUser([
      {
        apiGroups: [""],
        resources: ["pods", "pods/log", "events", "serviceaccounts", "configmaps"],
        verbs: all,
      },
      // No statefulsets, daemonsets or cronjobs: the API server would refuse the agent's Role.
      { apiGroups: ["apps"], resources: ["replicasets", "deployments"], verbs: all },
      { apiGroups: ["batch"], resources: ["jobs"], verbs: all },
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: all },
    ]);
    const run = await runRecorded(["diagnose", OOM_POD.name, "-n", "shop", "--no-ai"], { env: userEnv });
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n")[0]).toBe(
      'error: missing permission for the in-cluster agent as context "kind-sre-lab": grant the agent\'s Role get statefulsets.apps in namespace shop, get daemonsets.apps in namespace shop, get cronjobs.batch in namespace shop, get persistentvolumeclaims in namespace shop, get services in namespace shop, list endpointslices.discovery.k8s.io in namespace shop: you do not hold them yourself (RBAC lets you grant only what you hold, or with the escalate and bind verbs on roles)',
    );
    expect(api.list("rbac.authorization.k8s.io/v1", "Role", "shop").map((r) => r.metadata?.name)).toEqual([
      "dev",
    ]);
    expect(jobs()).toEqual([]);
  });

  it("a pod that does not exist is exit 2 with the closest names, and no Job is created", async () => {
    api.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "checkout-api-7c9d6b5f48-zzzzz", namespace: "shop" },
      spec: {},
    });
    api.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "payments-5d8f9c7b6-aaaaa", namespace: "shop" },
      spec: {},
    });
    const run = await runRecorded(["diagnose", "checkout-api-7c9d6b5f48-x2k9", "-n", "shop"], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: pod "checkout-api-7c9d6b5f48-x2k9" not found in namespace "shop"\n' +
        `hint: closest pods in "shop": ${OOM_POD.name}, checkout-api-7c9d6b5f48-zzzzz\n`,
    );
    expect(jobs()).toEqual([]);
  });

  it("a deployment's name alone suggests its pods", async () => {
    const run = await runRecorded(["diagnose", "checkout-api", "-n", "shop"], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`hint: closest pods in "shop": ${OOM_POD.name}`);
  });

  it("an empty or missing namespace is named as such", async () => {
    const run = await runRecorded(["diagnose", "web", "-n", "nope"], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: pod "web" not found in namespace "nope"');
    expect(run.stderr).toContain(
      'hint: namespace "nope" does not exist; pass the pod\'s namespace with -n NAMESPACE',
    );
  });

  it("takes the namespace from the kubeconfig context when -n is not given", async () => {
    const run = await runRecorded(["diagnose", OOM_POD.name, "--no-ai", "-o", "json"], {
      env: { ...env, KUBECONFIG: api.writeKubeconfig(home, { namespace: "shop" }) },
    });
    expect(run.code).toBe(0);
    expect(onlyJson(run.stdout).pod).toMatchObject({ namespace: "shop" });
  });

  it("a context that is not in the kubeconfig is a usage error naming the ones that are", async () => {
    const run = await runRecorded(["--context", "prod", "diagnose", OOM_POD.name], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: context "prod" is not in the kubeconfig\nhint: available contexts: kind-sre-lab\n',
    );
  });

  it("without any cluster configured, says so", async () => {
    const run = await runRecorded(["diagnose", OOM_POD.name], { env: { HOME: home } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: no Kubernetes cluster is configured (no kubeconfig found)");
  });

  it("an unreachable cluster is one line and a hint", async () => {
    await api.close();
    const run = await runRecorded(["diagnose", OOM_POD.name], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ \(/);
    expect(run.stderr).toContain('hint: is the cluster for context "kind-sre-lab" running?');
    api = await startFakeApiServer(); // for afterEach
  });
});
