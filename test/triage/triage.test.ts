/**
 * `sre-lab diagnose` without a pod (triage) and with TYPE/NAME targets, on a fake cluster with
 * mixed failures across owners: what the user reads, what scripts get, and what the API server saw.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { onlyJson, runRecorded } from "../diagnose-cli/support.js";
import { type FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { createFakeClock } from "../support/fake-clock.js";
import { startSilentApiServer } from "../support/silent-apiserver.js";
import { mixedCluster, ownerObjects, seed } from "./world.js";

let api: FakeApiServer;
let home: string;
let env: NodeJS.ProcessEnv;
const world = mixedCluster();

beforeEach(async () => {
  api = await startFakeApiServer();
  home = mkdtempSync(join(tmpdir(), "sre-lab-triage-"));
  env = { HOME: home, KUBECONFIG: api.writeKubeconfig(home), NO_COLOR: "1" };
  seed(api, [...world.objects, ...ownerObjects()]);
});
afterEach(async () => {
  await api.close();
  rmSync(home, { recursive: true, force: true });
});

interface Entry {
  namespace: string;
  owner: { kind: string; name: string };
  category: string;
  pods: { name: string; status: string; code: string; restarts: number }[];
  totalPods: number;
  finding: { code: string; summary: string };
  detail: string;
  command: string;
  diagnose: string;
}

const triage = (...args: string[]) => runRecorded(["diagnose", ...args], { env });
const resourceRequests = () => api.requests.filter((r) => r.verb !== "");

describe("diagnose without a pod: triage of a namespace", () => {
  it("folds pods by owner, ranks crash-looping and pending first, and gives each owner its cause and first command", async () => {
    const run = await triage("-n", "shop", "-o", "json");
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout) as { pods: { total: number; unhealthy: number }; entries: Entry[] };
    expect(doc.pods).toEqual({ total: world.counts.shop, unhealthy: 7 });
    expect(doc.entries.map((e) => [`${e.owner.kind}/${e.owner.name}`, e.category, e.finding.code])).toEqual([
      ["Deployment/checkout-api", "crash-looping", "OOMKilled"],
      // Same category and severity: the owner with more failing pods first.
      ["Deployment/web", "pending", "ImagePullFailed"],
      ["Pod/debug", "pending", "ConfigMissing"],
      ["StatefulSet/pg", "pending", "Unschedulable"],
      ["Job/migrate", "failed", "AppError"],
    ]);
    const checkout = doc.entries[0] as Entry;
    // Two failing pods of three, the one with more restarts first; the healthy one is counted, not listed.
    expect(checkout.totalPods).toBe(3);
    expect(checkout.pods.map((p) => [p.status, p.restarts, p.code])).toEqual([
      ["CrashLoopBackOff", 4, "OOMKilled"],
      ["CrashLoopBackOff", 3, "OOMKilled"],
    ]);
    expect(checkout.detail).toContain("OOMKilled (exit 137)");
    expect(checkout.detail).toContain("256Mi");
    // The finding's own first command: the fix, sized from the evidence (256Mi → 384Mi).
    expect(checkout.command).toBe(
      "kubectl -n shop set resources deployment/checkout-api -c app --limits=memory=384Mi",
    );
    expect(checkout.diagnose).toBe("sre-lab diagnose deploy/checkout-api -n shop");
    expect(doc.entries.find((e) => e.owner.name === "pg")?.diagnose).toBe("sre-lab diagnose sts/pg -n shop");
    expect(doc.entries.find((e) => e.owner.name === "debug")?.command).toBe("kubectl -n shop get secrets");
    // Healthy catalog and the completed Job are not listed.
    expect(JSON.stringify(doc.entries)).not.toContain("catalog");
    expect(JSON.stringify(doc.entries)).not.toContain("report-");
  });

  it("reads one list of pods and one list of events, writes nothing and reads no pod on its own", async () => {
    const run = await triage("-n", "shop", "-o", "json");
    expect(run.code).toBe(0);
    const reads = resourceRequests().map((r) => `${r.verb} ${r.path}`);
    expect(reads.sort()).toEqual([
      "list /api/v1/namespaces/shop/events",
      "list /api/v1/namespaces/shop/pods",
    ]);
  });

  it("prints one plain line per owner, the most urgent first, then the next step", async () => {
    const run = await triage("-n", "shop");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("\x1b[");
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      `7 of ${world.counts.shop} pods in namespace shop are not healthy, in 5 workloads (context kind-sre-lab):`,
    );
    const rows = lines.slice(2, 7);
    expect(rows.map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      ["OOMKilled", "deploy/checkout-api", "2/3 CrashLoopBackOff"],
      ["ImagePullFailed", "deploy/web", "2/2 ImagePullBackOff"],
      ["ConfigMissing", "pod/debug", "1/1 CreateContainerConfigError"],
      ["Unschedulable", "sts/pg", "1/1 Pending"],
      ["AppError", "job/migrate", "1/1 Error"],
    ]);
    for (const row of rows) expect(row).toMatch(/ run: (kubectl|docker) \S+/);
    expect(lines.at(-1)).toBe(
      "next: sre-lab diagnose deploy/checkout-api -n shop   (the full story of the first line, with the model)",
    );
    expect(run.stderr).toContain(
      "triage of namespace shop (context kind-sre-lab): one list of pods and one of events, no model",
    );
  });

  it("-A covers every namespace with one cluster-wide list each, and names the namespace on each line", async () => {
    const run = await triage("-A", "-o", "json");
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout) as { namespace: string | null; entries: Entry[] };
    expect(doc.namespace).toBeNull();
    expect(doc.entries.map((e) => `${e.namespace}/${e.owner.name}:${e.finding.code}`)).toContain(
      "ops/log-agent:ReadinessProbeFailed",
    );
    const agent = doc.entries.find((e) => e.owner.name === "log-agent") as Entry;
    expect(agent.totalPods).toBe(2);
    expect(agent.pods).toHaveLength(1);
    expect(
      resourceRequests()
        .map((r) => `${r.verb} ${r.path}`)
        .sort(),
    ).toEqual(["list /api/v1/events", "list /api/v1/pods"]);
    const text = await triage("-A");
    expect(text.stdout).toMatch(/\nReadinessProbeFailed\s+ops\/ds\/log-agent\s+1\/2 Running\s+/);
  });

  it("-o yaml is the same document as -o json", async () => {
    const json = onlyJson((await triage("-n", "shop", "-o", "json")).stdout);
    const yaml = await triage("-n", "shop", "-o", "yaml");
    expect(yaml.code).toBe(0);
    expect(parseYaml(yaml.stdout)).toEqual(json);
  });

  it("a namespace with nothing failing says so and exits 0", async () => {
    api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "quiet" } });
    const run = await triage("-n", "quiet");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("No pods in namespace quiet (context kind-sre-lab).\n");
  });

  it("without the right to list events: a warning, and the lines from the pods alone", async () => {
    api.failNext({ verb: "list", resource: "events" }, 403);
    const run = await triage("-n", "shop", "-o", "json");
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: could not list events \(.*forbidden.*\); causes only events show/);
    const doc = onlyJson(run.stdout) as { entries: Entry[]; warnings: string[] };
    expect(doc.warnings).toHaveLength(1);
    expect(doc.entries[0]?.finding.code).toBe("OOMKilled");
  });

  it("a cluster that does not answer: exit 1 when --timeout passes, saying what it waited for", async () => {
    const silent = await startSilentApiServer();
    const kubeconfig = silent.writeKubeconfig(home);
    try {
      const started = performance.now();
      // Ten minutes on the context's clock, in virtual time.
      const clock = createFakeClock();
      const run = await runRecorded(["diagnose", "--timeout", "10m"], {
        env: { ...env, KUBECONFIG: kubeconfig },
        clock,
      });
      expect(run.code).toBe(1);
      expect(clock.sleeps).toContain(600_000);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(run.stderr).toContain(
        "error: triage of namespace shop did not finish within 10m (listing pods and events)\nhint: check that the cluster answers (kubectl get pods), or give more time with --timeout",
      );
    } finally {
      silent.close();
    }
  });

  it("without sre-lab on PATH, the next step is the npx form that works from the clone", async () => {
    const run = await runRecorded(["diagnose", "-n", "shop"], { env: { ...env, SRE_LAB_CLI: "" } });
    expect(run.stdout).toContain("next: npx sre-lab diagnose deploy/checkout-api -n shop");
  });
});

describe("TYPE/NAME targets: the owner's most relevant failing pod", () => {
  const diagnose = (...args: string[]) => runRecorded(["diagnose", ...args, "--local", "--no-ai"], { env });

  it("deploy/x picks its crash-looping pod with the most restarts, and says so", async () => {
    const run = await diagnose("deploy/checkout-api", "-n", "shop", "-o", "json");
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout) as {
      pod: { name: string; owner: string };
      findings: { code: string }[];
    };
    expect(doc.pod.name).toBe("checkout-api-7c9d6b5f48-b1x1");
    expect(doc.pod.owner).toBe("Deployment/checkout-api");
    expect(doc.findings[0]?.code).toBe("OOMKilled");
    expect(run.stderr).toContain(
      "deploy/checkout-api: the most relevant of its 2 failing pods (of 3), pod checkout-api-7c9d6b5f48-b1x1 (CrashLoopBackOff, 4 restarts)",
    );
  });

  it.each([
    ["sts/pg", "shop", "pg-0", "Unschedulable"],
    ["statefulset.apps/pg", "shop", "pg-0", "Unschedulable"],
    ["job/migrate", "shop", "migrate-8xk2p", "AppError"],
    ["ds/log-agent", "ops", "log-agent-k2l3m", "ReadinessProbeFailed"],
    ["pod/debug", "shop", "debug", "ConfigMissing"],
  ])("%s → %s/%s", async (target, namespace, podName, code) => {
    const run = await diagnose(target, "-n", namespace, "-o", "json");
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout) as { pod: { name: string }; findings: { code: string }[] };
    expect(doc.pod.name).toBe(podName);
    expect(doc.findings[0]?.code).toBe(code);
  });

  it("a healthy workload: the newest pod, and the output says none is failing", async () => {
    const run = await diagnose("deploy/catalog", "-n", "shop");
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /deploy\/catalog: none of its 2 pods is failing; diagnosing the newest, pod catalog-/,
    );
  });

  it("cj/x goes through its Jobs to their pods", async () => {
    const run = await diagnose("cj/report", "-n", "shop", "-o", "json");
    expect(run.code).toBe(0);
    expect((onlyJson(run.stdout) as { pod: { name: string } }).pod.name).toBe("report-29170560-abcde");
    expect(run.stderr).toContain("cronjob/report: none of its 1 pods is failing; diagnosing the newest");
  });

  it("a workload without pods is exit 1 with the command that shows why", async () => {
    api.put({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "idle", namespace: "shop", uid: "dep-idle" },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "idle" } },
        template: { spec: { containers: [] } },
      },
    });
    const run = await diagnose("deploy/idle", "-n", "shop");
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: deploy/idle in namespace "shop" has no pods to diagnose\nhint: kubectl -n shop describe deploy/idle shows why (scaled to 0, a quota, an admission error)\n',
    );
  });

  it("an owner that does not exist is exit 2 with the closest names", async () => {
    const run = await diagnose("deploy/checkout", "-n", "shop");
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: Deployment "checkout" not found in namespace "shop"\nhint: closest in "shop": deploy/checkout-api\n',
    );
  });
});
