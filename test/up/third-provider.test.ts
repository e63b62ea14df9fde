/**
 * A third provider touches its own file, its fake and one registration line: the test-only
 * k3d-like provider (test/support/k3d-like-provider.ts) is registered, and `up --provider k3d-like`
 * runs the steps it supports and skips the others with its reasons; `status` reads it back from the
 * cluster. Nothing here changes src/ to make room for it.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerProvider } from "../../src/lab/provider/index.js";
import { runCli } from "../support/cli.js";
import { type FakeLab, startFakeLab } from "../support/fake-lab.js";
import { K3D_LIKE_CONTEXT, K3D_LIKE_REASONS, k3dLikeProvider } from "../support/k3d-like-provider.js";
import { image } from "../support/lab-rules.js";

const K3D_NODES = ["k3d-sre-lab-server-0", "k3d-sre-lab-agent-0"];

describe("a third provider (test-only k3d-like)", () => {
  let lab: FakeLab;
  let unregister: () => void;
  let created = 0;

  beforeEach(async () => {
    lab = await startFakeLab();
    created = 0;
    // Its fake: `k3d cluster create` as the API server would show it afterwards.
    const cluster = {
      exists: () => K3D_NODES.some((name) => lab.api.get("v1", "Node", undefined, name) !== undefined),
      create: async () => {
        created += 1;
        lab.api.remove("v1", "Node", undefined, "sre-lab-control-plane");
        for (const name of K3D_NODES) {
          lab.api.put({
            apiVersion: "v1",
            kind: "Node",
            metadata: { name, labels: { "kubernetes.io/hostname": name } },
            spec: { providerID: `k3s://${name}` },
            status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] },
          });
        }
        return K3D_NODES.length;
      },
      delete: async () => K3D_NODES,
    };
    // The one registration line.
    unregister = registerProvider(k3dLikeProvider(cluster));
  });
  afterEach(async () => {
    unregister();
    await lab.close();
  });

  it("up --provider k3d-like runs the steps it supports and skips the rest with its reasons", async () => {
    const kubeconfig = lab.api.writeKubeconfig(join(lab.home, "k3d"), { context: K3D_LIKE_CONTEXT });
    lab.tools.expect({
      tool: "kubectl",
      argsPrefix: ["--context", K3D_LIKE_CONTEXT, "apply", "--server-side", "--force-conflicts", "-k"],
    });
    const env = { ...lab.env, KUBECONFIG: kubeconfig };
    const args = [
      "up",
      "--provider",
      "k3d-like",
      "--repo-url",
      "https://github.com/acme/lab.git",
      "--revision",
      "main",
      "--skip-model",
    ];
    const run = await runCli(args, { path: lab.tools.path, env });
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    lab.tools.assertNoUnexpectedCalls();
    lab.tools.assertAllUsed();
    expect(created).toBe(1);

    // Skipped with the provider's own reasons: no doctor, no sysctl, no registry, no image.
    expect(run.stderr).toContain(`- Preflight: skipped, ${K3D_LIKE_REASONS.localNodes}`);
    expect(run.stderr).toContain(`- Host inotify limits: skipped, ${K3D_LIKE_REASONS.localNodes}`);
    expect(run.stderr).toContain(`- Local registry: skipped, ${K3D_LIKE_REASONS.registry}`);
    expect(run.stderr).toContain(
      `- Target app image: skipped, push ${image} to a registry your cluster can pull from`,
    );
    // Run: its cluster, then the GitOps steps against its context.
    expect(run.stderr).toContain("✓ Cluster sre-lab: created; 2 nodes Ready");
    expect(run.stderr).toContain(
      "- GitOps source: skipped, Argo CD reads https://github.com/acme/lab.git at main",
    );
    expect(run.stderr).toMatch(/✓ Argo CD \S+: installed/);
    expect(run.stderr).toMatch(/✓ Applications synced and healthy: 5 Applications on main/);
    // Only kubectl ran: no kind, no docker, nothing pushed to the local registry.
    expect(lab.tools.calls().map((c) => c.tool)).toEqual(["kubectl"]);
    expect(lab.registry.requests).toEqual([]);
    // No kubeconfig line (it wrote none), and the UIs through `sre-lab open`.
    expect(run.stdout).toContain(`kube context: ${K3D_LIKE_CONTEXT}\n`);
    expect(run.stdout).not.toContain("now the current context");
    expect(run.stdout).toMatch(/Grafana\s+sre-lab open grafana/);

    // A second up finds its cluster and creates nothing.
    const again = await runCli(args, { path: lab.tools.path, env });
    expect(again.code).toBe(0);
    expect(created).toBe(1);
    expect(again.stderr).toContain("- Cluster sre-lab: skipped, exists, 2 nodes Ready");

    // status reads the provider back from the cluster: no host-port URLs for it.
    const status = await runCli(["--context", K3D_LIKE_CONTEXT, "status", "-o", "json"], {
      path: lab.tools.path,
      env,
    });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { urls: unknown[] }).urls).toEqual([]);

    // Its context is the lab's to the write guard: sync there asks nobody (CI has no one to ask).
    const sync = await runCli(["--context", K3D_LIKE_CONTEXT, "sync"], { path: lab.tools.path, env });
    expect(sync.stderr).not.toContain("error:");
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain("https://github.com/acme/lab.git");
  });

  it("its help and its validation come from the same registration", async () => {
    const help = await runCli(["up", "--help"], { path: lab.tools.path, env: lab.env });
    expect(help.stdout.replace(/\s+/g, " ")).toContain(
      "kind (create the lab cluster), k3d-like (a test-only k3d stand-in) or existing (use --context as it is)",
    );
    const noRepo = await runCli(["up", "--provider", "k3d-like"], { path: lab.tools.path, env: lab.env });
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr.split("\n")[0]).toBe(
      `error: --provider k3d-like needs --repo-url: ${K3D_LIKE_REASONS.registry}`,
    );
    expect(lab.tools.calls()).toEqual([]);
  });
});
