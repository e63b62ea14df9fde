import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe } from "vitest";
import { createFakeTools } from "../harness/fake-tools/index.js";
import * as rec from "../harness/fake-tools/recordings.js";
import { runCli } from "../support/cli.js";
import { cmd, labUpRules, line, nothingLeftRules, out, test } from "./down-world.js";
import { startCli } from "./support.js";

describe("sre-lab down: kubeconfig leftovers, failures and interrupts", () => {
  test("refuses --purge of a directory that holds more than models, before deleting anything", async ({
    machine,
    expect,
  }) => {
    const { home } = machine;
    writeFileSync(join(home, "thesis.tex"), "\\documentclass{article}\n");
    const fake = machine.tools(...labUpRules());
    const run = await runCli(["down", "--purge", "--model-cache", home], {
      path: fake.path,
      env: { HOME: home },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: refusing to delete ${home}: it is not a model cache directory`);
    expect(fake.calls()).toEqual([]);
    expect(existsSync(join(home, "thesis.tex"))).toBe(true);

    const docs = join(home, "docs");
    mkdirSync(docs);
    writeFileSync(join(docs, "notes.md"), "keep me\n");
    const again = await runCli(["down", "--purge", "--model-cache", docs], {
      path: fake.path,
      env: { HOME: home },
    });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      `error: refusing to delete ${docs}: it holds more than Ollama's models (notes.md)`,
    );
    expect(existsSync(join(docs, "notes.md"))).toBe(true);
    expect(fake.calls()).toEqual([]);
  });

  test("stops with a clear line and exit 1 when Docker does not answer, before asking kind anything", async ({
    machine,
    expect,
  }) => {
    const { home } = machine;
    const fake = machine.tools({ tool: "docker", args: cmd.dockerInfo, ...rec.dockerDaemonDown });
    const run = await runCli(["down"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "error: the Docker daemon is not answering: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      "hint: start Docker (sudo systemctl start docker, or start Docker Desktop), then run sre-lab down again",
    ]);
    expect(fake.commandLines()).toEqual([line("docker", cmd.dockerInfo)]);
  });

  test("says Docker is not installed, with where to get it, when docker is not on PATH", async ({
    machine,
    expect,
  }) => {
    const fake = createFakeTools({ missing: ["docker"] });
    try {
      const run = await runCli(["down"], { path: fake.path, env: { HOME: machine.home } });
      expect(run.code).toBe(1);
      expect(run.stderr.trimEnd().split("\n")).toEqual([
        "error: docker is not installed or not on PATH",
        "hint: install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/",
      ]);
      expect(fake.calls()).toEqual([]);
    } finally {
      fake.cleanup();
    }
  });

  test("shows a failing tool's command and output", async ({ machine, expect }) => {
    const { home } = machine;
    const fake = machine.tools(
      ...labUpRules({
        kindDelete: {
          stderr:
            'Deleting cluster "sre-lab" ...\nERROR: failed to delete cluster "sre-lab": failed to delete nodes: command "docker rm -f -v sre-lab-worker" failed with error: exit status 1\n',
          exitCode: 1,
        },
        kubeconfigView: null,
        registryInspect: null,
        registryRm: null,
        networkLs: null,
        networkUsers: null,
        networkRm: null,
      }),
    );
    const run = await runCli(["down"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: could not delete the kind cluster sre-lab: ERROR: failed to delete cluster "sre-lab"',
    );
    expect(run.stderr).toContain(
      "hint: is Docker running? kind lists what is left: kind get nodes --name sre-lab\n",
    );
    expect(run.stderr).toContain("  command: kind delete cluster --name sre-lab\n");
    expect(run.stderr).toContain('ERROR: failed to delete cluster "sre-lab": failed to delete nodes');
    expect(run.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
    fake.assertAllUsed();
  });

  test("Ctrl-C stops kind and exits 130; running down again finishes the job", async ({
    machine,
    expect,
  }) => {
    const { home } = machine;
    const fake = machine.tools(...labUpRules({ kindDelete: { hang: true }, kubeconfigView: null }));
    const cli = startCli(["down"], { path: fake.path, env: { HOME: home } });
    await expect.poll(() => fake.commandLines(), { timeout: 5_000 }).toContain(line("kind", cmd.kindDelete));
    cli.interrupt();
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("error: interrupted");
    await expect
      .poll(() => fake.signals())
      .toEqual([{ tool: "kind", args: cmd.kindDelete, signal: "SIGTERM" }]);
    expect(fake.commandLines()).not.toContain(line("docker", cmd.registryRm));

    // kind still lists the cluster (some node containers are left): the next run deletes the rest.
    fake.expect(...labUpRules());
    const again = await runCli(["down"], { path: fake.path, env: { HOME: home } });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("deleted  kind cluster sre-lab");
    expect(again.stdout).toContain("deleted  docker network kind");
  });

  test("removes kubeconfig entries kind left behind", async ({ machine, expect }) => {
    const { home } = machine;
    const fake = machine.tools(
      ...nothingLeftRules().map((r) =>
        r.args === cmd.kubeconfigView ? { ...r, stdout: out.kubeconfigLeftover } : r,
      ),
      {
        tool: "kubectl",
        args: ["config", "unset", "current-context"],
        stdout: 'Property "current-context" unset.\n',
      },
      { tool: "kubectl", args: ["config", "delete-context", "kind-sre-lab"], stdout: "deleted context\n" },
      { tool: "kubectl", args: ["config", "delete-cluster", "kind-sre-lab"], stdout: "deleted cluster\n" },
      { tool: "kubectl", args: ["config", "delete-user", "kind-sre-lab"], stdout: "deleted user\n" },
    );
    const run = await runCli(["down"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "deleted  kubeconfig entries kind-sre-lab (current-context, context, cluster, user)",
    );
    expect(run.stdout).not.toContain("nothing to delete");
    fake.assertAllUsed();
  });

  test("passes --kubeconfig through to kind and kubectl", async ({ machine, expect }) => {
    const { home } = machine;
    const kubeconfig = join(home, "lab.yaml");
    const fake = machine.tools(
      ...labUpRules({
        kindDelete: { args: [...cmd.kindDelete, "--kubeconfig", kubeconfig] },
        kubeconfigView: { args: [...cmd.kubeconfigView, "--kubeconfig", kubeconfig] },
        registryInspect: { stdout: "", stderr: out.noSuchRegistry, exitCode: 1 },
        registryRm: null,
        networkLs: { stdout: "" },
        networkUsers: null,
        networkRm: null,
      }),
    );
    const run = await runCli(["--kubeconfig", kubeconfig, "down"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(0);
    fake.assertAllUsed();
  });
});
