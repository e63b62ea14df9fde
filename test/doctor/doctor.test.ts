import { afterEach, describe, expect, it } from "vitest";
import versions from "../../versions.json" with { type: "json" };
import { createFakeTools, type FakeTools } from "../harness/fake-tools/index.js";
import * as rec from "../harness/fake-tools/recordings.js";
import { fakeHost, runCli } from "../support/cli.js";
import { healthyMachineRules } from "../support/machine.js";

const GiB = 1024 ** 3;
const KIND_MIN = versions.kind.version.replace(/^v/, "");

const healthyRules = healthyMachineRules;

describe("sre-lab doctor", () => {
  let fake: FakeTools;
  afterEach(() => {
    fake.assertNoUnexpectedCalls();
    fake.cleanup();
  });

  it("passes on a healthy machine and lists every check with ✓", async () => {
    fake = createFakeTools().expect(...healthyRules());
    const run = await runCli(["doctor"], { path: fake.path });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.slice(0, 2).trim())).toEqual(["✓", "✓", "✓", "✓", "✓", "✓", "✓", "✓", "✓"]);
    expect(run.stdout).toContain(`kind            ${KIND_MIN} (>= ${KIND_MIN})`);
    expect(run.stdout).toContain('no kind cluster "sre-lab" yet (sre-lab up creates it)');
    fake.assertAllUsed();
  });

  it("ends with the Docker line and exit 1 when the daemon does not answer, and never asks kind about clusters", async () => {
    fake = createFakeTools().expect(
      ...healthyRules({
        dockerVersion: { exitCode: 1, stderr: rec.dockerDaemonDown.stderr },
        dockerInfo: rec.dockerDaemonDown,
        kindClusters: { times: 0 },
      }),
    );
    const run = await runCli(["doctor"], { path: fake.path });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ Docker daemon +not answering: Cannot connect to the Docker daemon/);
    expect(run.stdout).toContain("- Lab cluster");
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "error: Docker daemon: not answering: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      "hint: run: sudo systemctl start docker",
    ]);
    expect(run.stdout).toContain(
      "fix: start Docker: sudo systemctl start docker (or start Docker Desktop), then run sre-lab doctor again",
    );
    expect(run.stdout).toMatch(/\n +run: sudo systemctl start docker\n/);
    expect(run.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(fake.commandLines()).not.toContain("kind get clusters");
  });

  it("says how to fix a permission problem on the Docker socket", async () => {
    fake = createFakeTools().expect(
      ...healthyRules({ dockerInfo: rec.dockerPermissionDenied, kindClusters: { times: 0 } }),
    );
    const run = await runCli(["doctor"], { path: fake.path });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("fix: add yourself to the docker group (sudo usermod -aG docker $USER)");
    expect(run.stderr).toContain("hint: run: sudo usermod -aG docker $USER && newgrp docker");
  });

  it("fails for a missing or too old tool, naming the minimum and where to get it", async () => {
    fake = createFakeTools({ missing: ["kubectl"] }).expect(
      ...healthyRules({ kindVersion: { stdout: rec.kindVersionOld } }).filter((r) => r.tool !== "kubectl"),
    );
    const run = await runCli(["doctor"], { path: fake.path });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`✗ kind            0.20.0 is older than the minimum ${KIND_MIN}`);
    expect(run.stdout).toMatch(
      /✗ kubectl +not found on PATH\n +fix: install kubectl: https:\/\/kubernetes\.io/,
    );
    expect(run.stderr).toContain(`error: kind: 0.20.0 is older than the minimum ${KIND_MIN}`);
    expect(run.stderr).toContain("also blocking: kubectl");
    // The exact command for this OS and CPU, with the pinned versions (fakeHost: linux, no arch → this CPU).
    const cpu = process.arch === "arm64" ? "arm64" : "amd64";
    const kubernetes = /:(v[\d.]+)@/.exec(versions.kindNodeImage)?.[1];
    expect(run.stdout).toContain(
      `run: curl -fsSLo ./kind https://kind.sigs.k8s.io/dl/${versions.kind.version}/kind-linux-${cpu} && chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind`,
    );
    expect(run.stdout).toContain(
      `run: curl -fsSLO https://dl.k8s.io/release/${kubernetes}/bin/linux/${cpu}/kubectl && sudo install -m 0755 kubectl /usr/local/bin/kubectl && rm kubectl`,
    );
    expect(run.stderr).toContain(
      `hint: run: curl -fsSLo ./kind https://kind.sigs.k8s.io/dl/${versions.kind.version}/kind-linux-${cpu}`,
    );
  });

  it("needs no helm: Argo CD renders the charts, so a machine without helm passes", async () => {
    fake = createFakeTools({ missing: ["helm"] }).expect(...healthyRules());
    const run = await runCli(["doctor"], { path: fake.path });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/helm/i);
    expect(fake.commandLines().filter((l) => l.startsWith("helm"))).toEqual([]);
  });

  it("holds kubectl to the skew policy: one minor version around the node image's Kubernetes", async () => {
    const apiServerMinor = Number(/:v1\.(\d+)\./.exec(versions.kindNodeImage)?.[1]);
    fake = createFakeTools().expect(
      ...healthyRules({ kubectlVersion: { stdout: rec.kubectlVersionClientJsonOld } }),
    );
    const run = await runCli(["doctor"], { path: fake.path });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `✗ kubectl         1.32.4 is older than the minimum 1.${apiServerMinor - 1}.0`,
    );
  });

  it("gives the command for the host's OS and CPU, also in -o json", async () => {
    fake = createFakeTools({ missing: ["kubectl", "kind"] }).expect(
      ...healthyRules({ kindClusters: { times: 0 } }).filter(
        (r) => r.tool !== "kubectl" && r.tool !== "kind",
      ),
    );
    const run = await runCli(["doctor", "-o", "json"], {
      path: fake.path,
      host: fakeHost({ platform: "darwin", arch: "arm64" }),
    });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { checks: { id: string; command?: string }[] };
    const kubernetes = /:(v[\d.]+)@/.exec(versions.kindNodeImage)?.[1];
    expect(report.checks.find((c) => c.id === "tool-kubectl")?.command).toBe(
      `curl -fsSLO https://dl.k8s.io/release/${kubernetes}/bin/darwin/arm64/kubectl && sudo install -m 0755 kubectl /usr/local/bin/kubectl && rm kubectl`,
    );
    expect(report.checks.find((c) => c.id === "tool-kind")?.command).toContain(
      `https://kind.sigs.k8s.io/dl/${versions.kind.version}/kind-darwin-arm64`,
    );
    // Checks that pass carry no command.
    expect(report.checks.find((c) => c.id === "tool-docker")?.command).toBeUndefined();
  });

  it("warns (without blocking) about low inotify limits with the exact sysctl command", async () => {
    fake = createFakeTools().expect(...healthyRules({ sysctl: { stdout: "8192\n128\n" } }));
    const run = await runCli(["doctor"], { path: fake.path });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("! inotify limits  max_user_watches=8192, max_user_instances=128; too low");
    expect(run.stdout).toContain(
      "fix: sre-lab up raises them, or now: sudo sysctl -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512",
    );
  });

  it("uses Docker Desktop's VM memory, not the host's, and skips host inotify there", async () => {
    fake = createFakeTools().expect(
      ...healthyRules({
        dockerInfo: { stdout: rec.dockerInfoJson({ desktop: true, memGiB: 3.8, cpus: 4 }) },
        sysctl: { times: 0 },
      }),
    );
    const run = await runCli(["doctor"], {
      path: fake.path,
      host: fakeHost({ platform: "darwin", totalMemoryBytes: () => 32 * GiB }),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /✗ Memory +3\.8 GiB available to Docker Desktop's VM; the lab needs at least 6 GiB/,
    );
    expect(run.stdout).toContain("raise Docker Desktop's memory limit to 8 GiB (Settings → Resources)");
    expect(run.stdout).toContain("- inotify limits  Docker Desktop: the limits live in its VM");
  });

  it("blocks on a busy lab port unless the lab itself holds it", async () => {
    fake = createFakeTools().expect(...healthyRules());
    const busy = await runCli(["doctor"], { path: fake.path, host: fakeHost({ busyPorts: [3000] }) });
    expect(busy.code).toBe(1);
    expect(busy.stdout).toContain("✗ Host ports      in use on 127.0.0.1: 3000 (grafana)");
    expect(busy.stdout).toContain("lsof -nP -iTCP:3000 -sTCP:LISTEN");
    fake.cleanup();

    fake = createFakeTools().expect(
      ...healthyRules({ kindClusters: { stdout: "kind\nsre-lab\n", stderr: "" } }),
    );
    const ours = await runCli(["doctor"], { path: fake.path, host: fakeHost({ busyPorts: [3000, 5001] }) });
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain('kind cluster "sre-lab" exists');
  });

  it("-o json prints the same verdicts as data, and only data, on stdout", async () => {
    fake = createFakeTools().expect(
      ...healthyRules({ dockerInfo: rec.dockerDaemonDown, kindClusters: { times: 0 } }),
    );
    const run = await runCli(["doctor", "-o", "json"], { path: fake.path });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      checks: { id: string; status: string; blocking: boolean }[];
    };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === "docker-daemon")).toMatchObject({
      status: "fail",
      blocking: true,
    });
    expect(report.checks.map((c) => c.id)).toEqual([
      "tool-docker",
      "docker-daemon",
      "tool-kind",
      "tool-kubectl",
      "memory",
      "cpu",
      "inotify",
      "ports",
      "cluster",
    ]);
  });
});
