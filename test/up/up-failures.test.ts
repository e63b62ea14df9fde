import { afterEach, describe, expect, it } from "vitest";
import type { FakeRule } from "../harness/fake-tools/index.js";
import * as rec from "../harness/fake-tools/recordings.js";
import { runCli } from "../support/cli.js";
import { createFakeClock } from "../support/fake-clock.js";
import { type FakeLab, NODE_NAMES, startFakeLab } from "../support/fake-lab.js";
import { healthyMachineRules } from "../support/machine.js";

const SYSCTL_READ = ["-n", "fs.inotify.max_user_watches", "fs.inotify.max_user_instances"];

/** The commands before the cluster step, on a laptop whose limits are already raised. */
function upToCluster(): FakeRule[] {
  return [
    ...healthyMachineRules(),
    { tool: "sysctl", args: SYSCTL_READ, stdout: "524288\n512\n" },
    {
      tool: "docker",
      args: ["container", "inspect", "--format", "{{json .State.Status}}", "sre-lab-registry"],
      stdout: '"running"\n',
    },
    { tool: "kind", args: ["get", "clusters"], stderr: "No kind clusters found.\n" },
  ];
}

function clusterWiring(): FakeRule[] {
  return [
    { tool: "kind", args: ["get", "nodes", "--name", "sre-lab"], stdout: `${NODE_NAMES.join("\n")}\n` },
    ...NODE_NAMES.flatMap((node): FakeRule[] => [
      {
        tool: "docker",
        args: ["exec", node, "cat", "/etc/containerd/certs.d/localhost:5001/hosts.toml"],
        exitCode: 1,
      },
      { tool: "docker", argsPrefix: ["exec", "-i", node] },
    ]),
    {
      tool: "docker",
      args: ["inspect", "--format", "{{json .NetworkSettings.Networks}}", "sre-lab-registry"],
      stdout: '{"kind":{}}\n',
    },
  ];
}

describe("sre-lab up when things go wrong", () => {
  let lab: FakeLab;
  afterEach(async () => {
    lab.tools.assertNoUnexpectedCalls();
    await lab.close();
  });

  it("stops at preflight when Docker is not running, before changing anything", async () => {
    lab = await startFakeLab();
    lab.tools.expect(
      ...healthyMachineRules({ dockerInfo: rec.dockerDaemonDown, kindClusters: { times: 0 } }),
      { tool: "sysctl", args: SYSCTL_READ, stdout: "524288\n512\n", times: 0 },
    );
    const run = await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("✗ Preflight");
    expect(run.stderr).toContain("error: Docker daemon: not answering: Cannot connect to the Docker daemon");
    expect(run.stderr).toContain("hint: start Docker");
  });

  it("shows kind's own output when the cluster cannot be created", async () => {
    lab = await startFakeLab();
    lab.tools.expect(...upToCluster(), {
      tool: "kind",
      args: ["create", "cluster", "--name", "sre-lab", "--config", "-"],
      stderr:
        'Creating cluster "sre-lab" ...\n ✗ Preparing nodes 📦\nERROR: failed to create cluster: command "docker run --name sre-lab-control-plane ..." failed with error: exit status 125\nCommand Output: docker: Error response from daemon: Ports are not available: listen tcp 127.0.0.1:3000: bind: address already in use.\n',
      exitCode: 1,
    });
    const run = await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("✗ Cluster sre-lab");
    expect(run.stderr).toContain(
      "error: could not create the kind cluster sre-lab: ERROR: failed to create cluster",
    );
    expect(run.stderr).toContain("command: kind create cluster --name sre-lab --config -");
    expect(run.stderr).toContain("listen tcp 127.0.0.1:3000: bind: address already in use.");
  });

  it("says which nodes never became Ready when the deadline passes", async () => {
    lab = await startFakeLab({ nodesStuck: true });
    lab.tools.expect(
      ...upToCluster(),
      { tool: "kind", args: ["create", "cluster", "--name", "sre-lab", "--config", "-"] },
      ...clusterWiring(),
    );
    // The default 15m deadline, in virtual time.
    const run = await runCli(["up", "--yes"], {
      path: lab.tools.path,
      env: lab.env,
      clock: createFakeClock(),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: timed out after 15m waiting for all 3 nodes of sre-lab to be Ready");
    expect(run.stderr).toContain(
      "last seen: sre-lab-control-plane Ready=False (KubeletNotReady), sre-lab-worker Ready=False (KubeletNotReady), sre-lab-worker2 Ready=False (KubeletNotReady)",
    );
  });

  it("prints a Degraded Application's condition and last operation, not just a timeout", async () => {
    lab = await startFakeLab({ degraded: "ollama" });
    lab.tools.expect(
      ...upToCluster(),
      { tool: "kind", args: ["create", "cluster", "--name", "sre-lab", "--config", "-"] },
      ...clusterWiring(),
      { tool: "docker", argsPrefix: ["image", "inspect"], exitCode: 1 },
      { tool: "docker", argsPrefix: ["manifest", "inspect"], exitCode: 1 },
      { tool: "docker", argsPrefix: ["build"] },
      { tool: "docker", argsPrefix: ["push"] },
      { tool: "kubectl", argsPrefix: ["--context", "kind-sre-lab", "apply"] },
    );
    const run = await runCli(["up", "--yes", "--timeout", "20s"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: Application ollama failed to sync and is Degraded");
    expect(run.stderr).toContain(
      'SyncError: one or more objects failed to apply: Deployment "ollama" is invalid',
    );
    expect(run.stderr).toContain(
      "last operation Failed: one or more objects failed to apply (retried 10 times)",
    );
    expect(run.stderr).toContain("hint: look closer with: kubectl -n argocd describe application ollama");
  });

  it("explains a sudo refusal and gives the command to run by hand", async () => {
    lab = await startFakeLab();
    lab.tools.expect(
      ...healthyMachineRules({ sysctl: { stdout: "8192\n128\n" } }),
      { tool: "sysctl", args: SYSCTL_READ, stdout: "8192\n128\n" },
      {
        tool: "sudo",
        argsPrefix: ["-n", "sysctl"],
        stderr: "sudo: a password is required\n",
        exitCode: 1,
      },
    );
    const run = await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: sudo refused to raise the inotify limits");
    expect(run.stderr).toContain("sudo: a password is required");
    expect(run.stderr).toContain(
      "hint: run `sudo sysctl -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512` yourself",
    );
  });

  it("without --yes, shows the exact sudo command instead of running it (exit 2)", async () => {
    lab = await startFakeLab();
    lab.tools.expect(...healthyMachineRules({ sysctl: { stdout: "8192\n128\n" } }), {
      tool: "sysctl",
      args: SYSCTL_READ,
      stdout: "8192\n128\n",
    });
    const run = await runCli(["up"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: the inotify limits are too low and changing them needs root");
    expect(run.stderr).toContain(
      "re-run with --yes to run `sudo sysctl -w fs.inotify.max_user_watches=524288",
    );
  });

  it("on Ctrl-C during cluster creation, stops kind, removes the half-made cluster and exits 130", async () => {
    lab = await startFakeLab();
    lab.tools.expect(
      ...upToCluster(),
      {
        tool: "kind",
        args: ["create", "cluster", "--name", "sre-lab", "--config", "-"],
        hang: true,
        stdout: "Creating cluster\n",
      },
      {
        tool: "kind",
        args: ["delete", "cluster", "--name", "sre-lab"],
        stderr: 'Deleting cluster "sre-lab" ...\n',
      },
    );
    const controller = new AbortController();
    const running = runCli(["up", "--yes"], {
      path: lab.tools.path,
      env: lab.env,
      signal: controller.signal,
    });
    await expect
      .poll(() => lab.tools.commandLines().some((l) => l.startsWith("kind create")), { timeout: 15_000 })
      .toBe(true);
    controller.abort();
    const run = await running;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("interrupted: removing the half-created cluster");
    expect(lab.tools.signals().map((s) => s.args[0])).toEqual(["create"]);
    expect(lab.tools.commandLines().at(-1)).toBe("kind delete cluster --name sre-lab");
  });

  it("--dry-run runs the real (read-only) preflight, prints the plan and changes nothing", async () => {
    lab = await startFakeLab();
    lab.tools.expect(...healthyMachineRules());
    const run = await runCli(["up", "--dry-run"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(0);
    lab.tools.assertAllUsed();
    expect(lab.tools.commandLines()).toEqual(
      expect.arrayContaining(["docker info --format {{json .}}", "kind get clusters"]),
    );
    expect(run.stdout).toContain("nothing will be changed");
    expect(run.stdout).toMatch(/1\. Preflight\n {3}- ok\n {3}- ✓ Docker CLI: 28\.2\.2/);
    expect(run.stdout).toContain("- ✓ Host ports: 127.0.0.1 ports 5001, 8080, 3000, 8443, 9090 are free");
    expect(run.stdout).toContain("kind create cluster --name sre-lab --config - <<EOF");
    expect(run.stdout).toContain("kubectl --context kind-sre-lab apply --server-side --force-conflicts -k");
    expect(run.stdout).toContain("sre-lab.dev/config-hash:");
  });

  it("--dry-run without Docker shows the plan, then fails exactly as the real run would (exit 1)", async () => {
    lab = await startFakeLab();
    const noDocker = () =>
      healthyMachineRules({ dockerInfo: rec.dockerDaemonDown, kindClusters: { times: 0 } });
    lab.tools.expect(...noDocker(), ...noDocker());
    const dry = await runCli(["up", "--dry-run"], { path: lab.tools.path, env: lab.env });
    const real = await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env });
    expect(dry.code).toBe(1);
    expect(real.code).toBe(1);
    expect(dry.stdout).toContain("- would stop here: Docker daemon: not answering: Cannot connect");
    expect(dry.stdout).toContain("- ✗ Docker daemon: not answering");
    const errorLine = (text: string) => text.split("\n").find((l) => l.startsWith("error:"));
    expect(errorLine(dry.stderr)).toBe(errorLine(real.stderr));
    expect(errorLine(dry.stderr)).toContain("error: Docker daemon: not answering");
  });

  it("--dry-run --provider existing without a reachable context fails like the real run", async () => {
    lab = await startFakeLab();
    const args = [
      "--context",
      "nowhere",
      "up",
      "--provider",
      "existing",
      "--repo-url",
      "https://github.com/acme/lab.git",
    ];
    const dry = await runCli([...args, "--dry-run"], { path: lab.tools.path, env: lab.env });
    const real = await runCli(args, { path: lab.tools.path, env: lab.env });
    expect(dry.code).toBe(2);
    expect(real.code).toBe(2);
    expect(dry.stderr).toContain('error: context "nowhere" is not in the kubeconfig');
    expect(real.stderr).toContain('error: context "nowhere" is not in the kubeconfig');
    expect(lab.tools.calls()).toEqual([]);
  });

  it.each([
    [["up", "--revision", "main"], "error: --revision needs --repo-url"],
    [["up", "--provider", "eks"], 'error: unknown provider "eks"'],
    [["up", "--provider", "existing"], "error: --provider existing needs --context"],
    [
      ["--context", "x", "up", "--provider", "existing"],
      "error: --provider existing needs --repo-url: an existing cluster cannot read the lab's local registry",
    ],
    [["up", "--host-port", "grafana"], 'error: invalid --host-port "grafana"'],
    [["up", "--host-port", "graphana=3001"], 'error: unknown --host-port name "graphana"'],
    [["up", "--host-port", "grafana=70000"], "error: --host-port grafana=70000: not a port number"],
    [["up", "--host-port", "grafana=8080"], "error: app and grafana would both use host port 8080"],
    [["up", "--model", "Phi 3!"], 'error: invalid model name "Phi 3!"'],
    [["up", "--timeout", "soon"], 'error: invalid duration "soon" for --timeout'],
    [["up", "--timeout", "0"], "error: --timeout 0 must be longer than 0"],
    [["up", "--timeout", "1000h"], "error: --timeout 1000h is too long: at most 24h"],
  ])("rejects bad flags with exit 2: %j", async (args, message) => {
    lab = await startFakeLab();
    const run = await runCli(args, { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe(message);
    expect(run.stderr).toContain("hint:");
    expect(lab.tools.calls()).toEqual([]);
  });

  it("on a terminal without --yes, runs the preflight first, then shows the sudo command and asks", async () => {
    lab = await startFakeLab();
    lab.tools.expect(
      ...healthyMachineRules({ sysctl: { stdout: "8192\n128\n" } }),
      { tool: "sysctl", args: SYSCTL_READ, stdout: "8192\n128\n", times: 2 },
      { tool: "sudo", args: ["-v"] },
      { tool: "sudo", argsPrefix: ["-n", "sysctl", "-w"] },
      { tool: "sysctl", args: SYSCTL_READ, stdout: "524288\n512\n" },
      {
        tool: "docker",
        args: ["container", "inspect", "--format", "{{json .State.Status}}", "sre-lab-registry"],
        ...rec.dockerDaemonDown,
      },
    );
    const questions: string[] = [];
    const run = await runCli(["up"], {
      path: lab.tools.path,
      env: lab.env,
      confirm: async (question) => {
        questions.push(question);
        return true;
      },
    });
    expect(questions).toEqual(["Run it with sudo now?"]);
    const shown = run.stderr.indexOf(
      "sudo sysctl -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512",
    );
    expect(shown).toBeGreaterThan(run.stderr.indexOf("✓ Preflight"));
    expect(shown).toBeLessThan(run.stderr.indexOf("› Host inotify limits"));
    expect(lab.tools.commandLines().indexOf("sudo -v")).toBeLessThan(
      lab.tools.commandLines().findIndex((l) => l.startsWith("sudo -n sysctl")),
    );
    expect(run.stderr).toContain("✓ Host inotify limits: max_user_watches=8192");
    expect(run.code).toBe(1); // the registry step then meets a stopped Docker
  });

  it("when the user declines, warns and leaves the limits alone", async () => {
    lab = await startFakeLab();
    lab.tools.expect(
      ...healthyMachineRules({ sysctl: { stdout: "8192\n128\n" } }),
      { tool: "sysctl", args: SYSCTL_READ, stdout: "8192\n128\n" },
      {
        tool: "docker",
        args: ["container", "inspect", "--format", "{{json .State.Status}}", "sre-lab-registry"],
        ...rec.dockerDaemonDown,
      },
    );
    const run = await runCli(["up"], { path: lab.tools.path, env: lab.env, confirm: async () => false });
    expect(run.stderr).toContain(
      'warning: continuing without raising them; Prometheus and Argo CD may fail with "too many open files"',
    );
    expect(run.stderr).toContain("- Host inotify limits: skipped, left as they are");
    expect(lab.tools.commandLines().some((l) => l.startsWith("sudo"))).toBe(false);
  });
});
