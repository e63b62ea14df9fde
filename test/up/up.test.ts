import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderKindConfig } from "../../src/lab/kind-config.js";
import { appSourceHash } from "../../src/lab/up/registry.js";
import type { FakeRule } from "../harness/fake-tools/index.js";
import { runCli } from "../support/cli.js";
import { type FakeLab, NODE_NAMES, startFakeLab } from "../support/fake-lab.js";
import { finishedLabRules, freshLabRules, hostsToml, image } from "../support/lab-rules.js";

const READ_ONLY =
  /^(docker (version|info|inspect|container inspect|image inspect|manifest inspect|exec \S+ cat)|kind (version|get)|kubectl (version|port-forward)|sysctl -n)/;

describe("sre-lab up", () => {
  let lab: FakeLab;
  afterEach(async () => {
    await lab.close();
  });

  it("stands up the lab from nothing, in order, and prints where everything is", async () => {
    lab = await startFakeLab();
    lab.tools.expect(...freshLabRules(lab));
    const run = await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env });
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    lab.tools.assertNoUnexpectedCalls();
    lab.tools.assertAllUsed();

    // The mutating commands, in the order a user would see them.
    const mutating = lab.tools.commandLines().filter((l) => !READ_ONLY.test(l));
    expect(mutating.map((l) => l.split(" ").slice(0, 4).join(" "))).toEqual([
      "sudo -n sysctl -w",
      "docker run -d --restart=always",
      "kind create cluster --name",
      ...NODE_NAMES.map((n) => `docker exec -i ${n}`),
      "docker network connect kind",
      `docker build --label sre-lab.dev/source-hash=${appSourceHash()}`,
      `docker push ${image}`,
      "kubectl --context kind-sre-lab apply",
    ]);
    const create = lab.tools.calls().find((c) => c.tool === "kind" && c.args[0] === "create");
    expect(create?.stdin).toContain(`hostPath: ${join(lab.home, ".cache/sre-lab/ollama")}`);
    expect(existsSync(join(lab.home, ".cache/sre-lab/ollama"))).toBe(true);
    const wired = lab.tools.calls().filter((c) => c.args[1] === "-i");
    expect(wired.map((c) => c.stdin)).toEqual([hostsToml, hostsToml, hostsToml]);

    // The manifests went to the registry, and Argo CD was pointed at exactly that digest.
    const root = lab.api.get<{ spec: { source: Record<string, unknown> } }>(
      "argoproj.io/v1alpha1",
      "Application",
      "argocd",
      "sre-lab",
    );
    const digest = lab.registry.manifest("sre-lab/manifests", "lab")?.digest;
    expect(root?.spec.source).toMatchObject({
      repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
      targetRevision: digest,
      path: "bootstrap",
    });
    const hosting = lab.api.get<{ data: Record<string, string> }>(
      "v1",
      "ConfigMap",
      "kube-public",
      "local-registry-hosting",
    );
    expect(hosting?.data["localRegistryHosting.v1"]).toContain('host: "localhost:5001"');
    const grafana = lab.api.get<{ data: Record<string, string> }>(
      "v1",
      "Secret",
      "monitoring",
      "grafana-admin",
    );
    const grafanaPassword = Buffer.from(grafana?.data["admin-password"] ?? "", "base64").toString();
    expect(grafanaPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);

    // The model was pulled through the port-forward, which was then stopped.
    expect(lab.ollama.requests.map((r) => r.path)).toContain("/api/pull");
    // …then loaded with diagnose's num_ctx and kept in memory for a practice session.
    expect(lab.ollama.resident()).toMatchObject([
      { name: "phi3:mini", numCtx: 4096, keepAliveMs: 2 * 3_600_000 },
    ]);
    expect(run.stderr).toMatch(/✓ Model.*: pulled phi3:mini; in memory for 2h \(loaded in \d+\.\ds\)/);
    expect(lab.tools.signals().map((s) => s.args.join(" "))).toEqual([
      "port-forward --namespace ollama --address 127.0.0.1 service/ollama :11434 --context kind-sre-lab",
    ]);

    // Progress on stderr, one line per step; data on stdout.
    for (const step of [
      "Preflight",
      "Host inotify limits",
      "Local registry",
      "Cluster sre-lab",
      "Target app image",
      "GitOps source",
      "Argo CD",
      "Applications synced and healthy",
      "Model",
    ]) {
      expect(run.stderr).toMatch(new RegExp(`✓ ${step}.*: `));
    }
    expect(run.stderr).toContain(
      "max_user_watches=8192, max_user_instances=128 → max_user_watches=524288, max_user_instances=512",
    );
    // One live line per Application while waiting (plain output prints each transition once).
    for (const app of ["sre-lab", "target-app", "metrics-server", "monitoring", "ollama"]) {
      expect(run.stderr).toMatch(new RegExp(`^ {4}${app} +Synced/Healthy @ sha256:`, "m"));
    }
    expect(run.stdout).toContain("kube context: kind-sre-lab");
    expect(run.stdout).toContain(`Grafana     http://127.0.0.1:3000  (admin / ${grafanaPassword})`);
    expect(run.stdout).toContain("Argo CD     https://127.0.0.1:8443  (admin / argo-initial-pw)");
    expect(run.stdout).toContain("sre-lab chaos oom");
  });

  it("converges on a finished lab: a second run changes nothing", async () => {
    lab = await startFakeLab();
    const { hash } = await renderKindConfig({
      modelCache: join(lab.home, ".cache/sre-lab/ollama"),
      name: "sre-lab",
    });
    lab.tools.expect(...freshLabRules(lab));
    expect((await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env })).code).toBe(0);
    lab.tools.cleanup();

    // Same API server and registry, now with a finished lab: run again with tools that only read.
    const second = await startFakeLabTools(lab, finishedLabRules);
    lab.ollama.setModels(["phi3:mini"]);
    const registryWrites = lab.registry.mutatingRequests().length;
    const apiWrites = lab.api.requests.filter((r) =>
      ["create", "update", "patch", "delete"].includes(r.verb),
    ).length;
    const run = await runCli(["up", "--yes"], { path: second.path, env: { ...lab.env, PATH: second.path } });
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    second.assertNoUnexpectedCalls();
    expect(second.commandLines().filter((l) => !READ_ONLY.test(l))).toEqual([]);
    expect(lab.registry.mutatingRequests().length).toBe(registryWrites);
    expect(
      lab.api.requests.filter((r) => ["create", "update", "patch", "delete"].includes(r.verb)).length,
    ).toBe(apiWrites);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    for (const step of [
      "Local registry",
      "Cluster sre-lab",
      "Target app image",
      "GitOps source",
      "Argo CD",
      "Model",
    ]) {
      expect(run.stderr).toMatch(new RegExp(`- ${step}.*: skipped, `));
    }
    second.cleanup();
  });

  it("--provider existing runs the GitOps steps against another cluster, with a Git source", async () => {
    lab = await startFakeLab();
    const kubeconfig = lab.api.writeKubeconfig(lab.home, { context: "lab-server" });
    lab.tools.expect({
      tool: "kubectl",
      argsPrefix: ["--context", "lab-server", "apply", "--server-side", "--force-conflicts", "-k"],
    });
    const args = [
      "--context",
      "lab-server",
      "up",
      "--provider",
      "existing",
      "--repo-url",
      "https://github.com/acme/lab.git",
      "--revision",
      "main",
      "--skip-model",
    ];
    const options = { path: lab.tools.path, env: { ...lab.env, KUBECONFIG: kubeconfig } };
    // Not the lab's context, and no one to ask: the write guard says what would be written, and stops.
    const refused = await runCli(args, options);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split("\n")[0]).toBe(
      'error: refusing to write to context "lab-server": it is not the lab\'s (kind-sre-lab): namespace sre-lab-app does not exist there',
    );
    expect(refused.stderr).toContain("Argo CD ");
    expect(refused.stderr).toContain("hint: pass --yes to write to it anyway");
    expect(lab.tools.commandLines().filter((l) => l.includes(" apply "))).toEqual([]);
    expect(lab.api.list("argoproj.io/v1alpha1", "Application", "argocd")).toEqual([]);

    const run = await runCli([...args, "--yes"], options);
    expect(run.stderr).toContain('warning: --yes: acting on context "lab-server", which is not the lab\'s');
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    lab.tools.assertAllUsed();
    expect(run.stderr).toContain(
      `- Target app image: skipped, push ${image} to a registry your cluster can pull from`,
    );
    expect(run.stderr).toContain(
      "- GitOps source: skipped, Argo CD reads https://github.com/acme/lab.git at main",
    );
    const root = lab.api.get<{ spec: { source: Record<string, unknown> } }>(
      "argoproj.io/v1alpha1",
      "Application",
      "argocd",
      "sre-lab",
    );
    expect(root?.spec.source).toMatchObject({
      repoURL: "https://github.com/acme/lab.git",
      targetRevision: "main",
      path: "manifests/bootstrap",
    });
    expect(lab.registry.requests).toEqual([]);
    expect(run.stdout).toContain("kube context: lab-server");
  });
});

async function startFakeLabTools(lab: FakeLab, rules: (lab: FakeLab) => FakeRule[]) {
  const { createFakeTools } = await import("../harness/fake-tools/index.js");
  return createFakeTools().expect(...rules(lab));
}
