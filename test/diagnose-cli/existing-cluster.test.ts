/**
 * `sre-lab diagnose` with a kubeconfig whose context is not the lab's (issue 13): read-only by
 * default, with a write-request counter on the fake API server as the proof; `--in-cluster` only
 * after the write guard, and then everything it created (cluster-scoped RBAC included) removed
 * afterwards unless --keep.
 */
import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/core/errors.js";
import {
  type AgentKubelet,
  buildAgent,
  OOM_POD,
  seedOomPod,
  startAgentKubelet,
  tempDir,
} from "../agent/support.js";
import {
  type FakeApiServer,
  type RecordedRequest,
  startFakeApiServer,
} from "../harness/fake-apiserver/index.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { onlyJson, runRecorded } from "./support.js";

let api: FakeApiServer;
let ollama: FakeOllama;
let kubelet: AgentKubelet;
let home: string;
let agentJs: string;

beforeEach(async () => {
  agentJs = (await buildAgent()).path;
  api = await startFakeApiServer();
  ollama = await startFakeOllama({ models: ["phi3:mini"], script: { answer: "Root cause: OOMKilled." } });
  kubelet = startAgentKubelet(api, { ollamaUrl: ollama.url, prometheusUrl: "http://127.0.0.1:9" });
  home = tempDir("home");
  seedOomPod(api);
});

afterEach(async () => {
  await kubelet.stop();
  await Promise.all([api.close(), ollama.close()]);
  rmSync(home, { recursive: true, force: true });
});

// api.writeRequests() is the write-request counter: SelfSubjectAccessReviews (POSTs the server
// answers and stores nothing for, like `kubectl auth can-i`) are counted apart.
const accessReviews = (requests: RecordedRequest[]) =>
  requests.filter((r) => r.path.endsWith("/selfsubjectaccessreviews"));

/** The same fake cluster behind a context of the given name (the user's own kubeconfig). */
function envFor(context: string): NodeJS.ProcessEnv {
  return {
    HOME: home,
    KUBECONFIG: api.writeKubeconfig(home, { context }),
    SRE_LAB_AGENT_JS: agentJs,
    SRE_LAB_PROMETHEUS_URL: "",
  };
}

const diagnose = (context: string, args: string[], options: Parameters<typeof runRecorded>[1] = {}) =>
  runRecorded(["diagnose", OOM_POD.name, "-n", OOM_POD.namespace, ...args], {
    env: envFor(context),
    ...options,
  });

/** What the agent would leave behind: its RBAC, its code, its Job. */
function agentLeftovers(): string[] {
  const named = (apiVersion: string, kind: string, namespace?: string) =>
    api
      .list(apiVersion, kind, namespace)
      .map((o) => `${kind}/${o.metadata?.name}`)
      .filter((n) => n.includes("sre-lab-diagnose") || n.includes("sre-lab-agent"));
  return [
    ...named("v1", "ServiceAccount", "shop"),
    ...named("rbac.authorization.k8s.io/v1", "Role", "shop"),
    ...named("rbac.authorization.k8s.io/v1", "RoleBinding", "shop"),
    ...named("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ...named("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ...named("v1", "ConfigMap", "shop"),
    ...named("batch/v1", "Job", "shop"),
  ];
}

describe("diagnose on a context that is not the lab's", () => {
  it("defaults to read-only: findings and an answer, and not one write request", async () => {
    // The fake's ServiceAccount controller settles the seeded namespace first.
    await api.waitFor("v1", "ServiceAccount", "shop", "default", () => true);
    const versionBefore = api.resourceVersion;
    const run = await diagnose("prod-eu-west-1", ["--ollama-url", ollama.url, "-o", "json"]);
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout);
    expect((doc.findings as { code: string }[])[0]?.code).toBe("OOMKilled");
    expect(doc.analysis).toMatchObject({ text: "Root cause: OOMKilled." });
    expect(run.stderr).toContain(
      'context "prod-eu-west-1" is not the lab\'s: diagnosing read-only with your own credentials, nothing is written to the cluster (--in-cluster runs the agent Job there)',
    );
    expect(run.stderr).toContain("from this machine (read-only, context prod-eu-west-1)");

    // The counter: zero writes; the permission checks are reviews, and the store did not change.
    expect(api.writeRequests()).toEqual([]);
    expect(accessReviews(api.requests).length).toBeGreaterThan(0);
    expect(api.resourceVersion).toBe(versionBefore);
    expect(agentLeftovers()).toEqual([]);
    expect(kubelet.runs).toEqual([]);
  });

  it("--keep without --in-cluster is a usage error there, before anything is read", async () => {
    const run = await diagnose("staging", ["--keep"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: --keep keeps the agent\'s Job, and on context "staging" diagnose runs read-only (no Job)\n' +
        "hint: add --in-cluster to run the agent Job there, or drop --keep\n",
    );
    expect(api.writeRequests()).toEqual([]);
  });

  it("--in-cluster without --yes and without a terminal: exit 2, what would be written, nothing written", async () => {
    const run = await diagnose("staging", ["--in-cluster", "--no-ai"]);
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")).toEqual([
      'error: refusing to write to context "staging": it is not the lab\'s (kind-sre-lab): namespace sre-lab-app does not exist there',
      `  sre-lab diagnose --in-cluster would write to context "staging" (${api.url}):`,
      "    - ServiceAccount, Role and RoleBinding sre-lab-diagnose and a ConfigMap with the agent's code in namespace shop",
      "    - ClusterRole sre-lab-diagnose-nodes and ClusterRoleBinding sre-lab-diagnose-nodes-shop (cluster-wide: read nodes)",
      "    - a Job and its pod in namespace shop",
      "    - everything it created is deleted when it ends",
      "hint: pass --yes to write to it anyway, or use --context kind-sre-lab",
      "",
    ]);
    expect(api.writeRequests()).toEqual([]);
  });

  it("--in-cluster on a production-looking context needs --force, even with --yes", async () => {
    const run = await diagnose("prod-eu-west-1", ["--in-cluster", "--yes", "--no-ai"]);
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe(
      'error: refusing to write to context "prod-eu-west-1": it looks like production ("prod")',
    );
    expect(run.stderr).toContain(
      "hint: sre-lab diagnose --in-cluster is for the lab (--context kind-sre-lab); pass --force only for a throwaway cluster",
    );
    expect(api.writeRequests()).toEqual([]);
  });

  it("--in-cluster --yes runs the agent, then removes everything it created, cluster-scoped RBAC included", async () => {
    const run = await diagnose("staging", ["--in-cluster", "--yes", "--no-ai"]);
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("1. OOMKilled");
    expect(run.stderr).toContain('warning: --yes: acting on context "staging", which is not the lab\'s');
    expect(kubelet.runs).toHaveLength(1);
    expect(run.stderr).toMatch(
      /removed what the agent created: ClusterRoleBinding sre-lab-diagnose-nodes-shop, ClusterRole sre-lab-diagnose-nodes, RoleBinding shop\/sre-lab-diagnose, Role shop\/sre-lab-diagnose, ConfigMap shop\/sre-lab-agent-\w{10}, ServiceAccount shop\/sre-lab-diagnose/,
    );
    expect(agentLeftovers()).toEqual([]);
  });

  it("--in-cluster --keep leaves what it created, and says so", async () => {
    const run = await diagnose("staging", ["--in-cluster", "--yes", "--keep", "--no-ai"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "kept what the agent created (--keep): ServiceAccount shop/sre-lab-diagnose",
    );
    expect(agentLeftovers()).toEqual(
      expect.arrayContaining([
        "ServiceAccount/sre-lab-diagnose",
        "ClusterRole/sre-lab-diagnose-nodes",
        "ClusterRoleBinding/sre-lab-diagnose-nodes-shop",
      ]),
    );
  });

  it("leaves RBAC that was there before the run", async () => {
    expect((await diagnose("kind-sre-lab", ["--no-ai", "--keep"])).code).toBe(0);
    for (const job of api.list("batch/v1", "Job", "shop"))
      api.remove("batch/v1", "Job", "shop", job.metadata?.name ?? "");
    const run = await diagnose("kind-sre-lab", ["--no-ai"]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("removed what the agent created");
    expect(agentLeftovers()).toEqual(expect.arrayContaining(["ServiceAccount/sre-lab-diagnose"]));
    expect(api.list("batch/v1", "Job", "shop")).toEqual([]);
  });

  it("a typed confirmation on a terminal: the context's name goes on, anything else stops with nothing written", async () => {
    const questions: string[] = [];
    const refused = await diagnose("staging", ["--in-cluster", "--no-ai"], {
      ask: async (question) => {
        questions.push(question);
        return "yes";
      },
    });
    expect(refused.code).toBe(1);
    expect(questions).toEqual(["Type the context's name (staging) to go on, anything else stops:"]);
    expect(refused.stderr).toContain('sre-lab diagnose --in-cluster would write to context "staging"');
    expect(refused.stderr).toContain('error: not confirmed: nothing was written to context "staging"');
    expect(api.writeRequests()).toEqual([]);

    const confirmed = await diagnose("staging", ["--in-cluster", "--no-ai"], {
      ask: async () => "staging\n",
    });
    expect(confirmed.stderr).not.toContain("error:");
    expect(confirmed.code).toBe(0);
    expect(kubelet.runs).toHaveLength(1);
    expect(agentLeftovers()).toEqual([]);
  });

  it("Ctrl-C at the question exits 130 with nothing written", async () => {
    const run = await diagnose("staging", ["--in-cluster", "--no-ai"], {
      ask: async () => {
        throw new InterruptedError();
      },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("interrupted");
    expect(run.stderr).not.toContain("unexpected failure");
    expect(api.writeRequests()).toEqual([]);
  });

  it("Ctrl-C while the agent runs removes the Job and the RBAC it created", async () => {
    ollama.script({ firstTokenDelayMs: 60_000 });
    const controller = new AbortController();
    const running = diagnose("staging", ["--in-cluster", "--yes", "--ollama-url", ollama.url], {
      signal: controller.signal,
    });
    await expect
      .poll(() => ollama.requests.some((r) => r.endpoint === "chat"), { timeout: 10_000 })
      .toBe(true);
    controller.abort();
    const run = await running;
    expect(run.code).toBe(130);
    expect(agentLeftovers()).toEqual([]);
  });

  it("a user who may not read pods there gets one clear line, before any other request", async () => {
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "events-only", namespace: "shop" },
      rules: [{ apiGroups: [""], resources: ["events"], verbs: ["list"] }],
    });
    api.put({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "events-only", namespace: "shop" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "events-only" },
      subjects: [{ kind: "ServiceAccount", name: "viewer", namespace: "shop" }],
    });
    const env = {
      HOME: home,
      KUBECONFIG: api.writeKubeconfig(home, { context: "staging", token: api.tokenFor("shop", "viewer") }),
    };
    const run = await runRecorded(["diagnose", OOM_POD.name, "-n", "shop", "--no-ai"], { env });
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n").slice(1)).toEqual([
      'error: missing permission for read-only diagnose as context "staging": get pods in namespace shop',
      "hint: check with: kubectl auth can-i get pods -n shop; diagnose reads pods, pods/log and events in namespace shop",
      "",
    ]);
    const viewer = api.requests.filter((r) => r.user === "system:serviceaccount:shop:viewer");
    expect(viewer.filter((r) => r.path.includes("/pods"))).toEqual([]);
  });
});
