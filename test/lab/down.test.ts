import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDeletedNodes } from "../../src/lab/kind.js";
import { runCli } from "../support/cli.js";
import { cmd, labUpRules, line, nothingLeftRules, out, test } from "./down-world.js";

describe("sre-lab down", () => {
  test("deletes the cluster, the registry and the kind network in that order, keeps the model cache", async ({
    machine,
    expect,
  }) => {
    const { home, cache } = machine;
    const fake = machine.tools(...labUpRules());
    const run = await runCli(["down"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(fake.commandLines()).toEqual([
      line("docker", cmd.dockerInfo),
      line("kind", cmd.kindClusters),
      line("kind", cmd.kindDelete),
      line("kubectl", cmd.kubeconfigView),
      line("docker", cmd.registryInspect),
      line("docker", cmd.registryRm),
      line("docker", cmd.networkLs),
      line("docker", cmd.networkUsers),
      line("docker", cmd.networkRm),
    ]);
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "deleting kind cluster sre-lab …",
      "✓ deleted kind cluster sre-lab (nodes sre-lab-worker2, sre-lab-control-plane, sre-lab-worker)",
      "✓ deleted registry container sre-lab-registry",
      "✓ deleted docker network kind",
    ]);
    expect(run.stdout.trimEnd().split("\n")).toEqual([
      "deleted  kind cluster sre-lab (nodes sre-lab-worker2, sre-lab-control-plane, sre-lab-worker)",
      "deleted  registry container sre-lab-registry",
      "deleted  docker network kind",
      `kept     model cache ${cache} (2.5 MB): for the next sre-lab up; --purge deletes it`,
    ]);
    expect(existsSync(join(cache, "blobs", "sha256-0001"))).toBe(true);
    fake.assertAllUsed();
  });

  test("--keep-registry leaves the registry, and with it the kind network it is attached to", async ({
    machine,
    expect,
  }) => {
    const { home } = machine;
    const fake = machine.tools(
      ...labUpRules({ registryRm: null, networkUsers: { stdout: "sre-lab-registry\n" }, networkRm: null }),
    );
    const run = await runCli(["down", "--keep-registry"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(fake.commandLines().filter((l) => /\brm\b/.test(l))).toEqual([]);
    expect(run.stdout.trimEnd().split("\n")).toEqual([
      "deleted  kind cluster sre-lab (nodes sre-lab-worker2, sre-lab-control-plane, sre-lab-worker)",
      "kept     registry container sre-lab-registry: --keep-registry",
      "kept     docker network kind: in use by sre-lab-registry",
      `kept     model cache ${machine.cache} (2.5 MB): for the next sre-lab up; --purge deletes it`,
    ]);
    fake.assertAllUsed();
  });

  test("--purge deletes the model cache too, and -o json lists it under deleted", async ({
    machine,
    expect,
  }) => {
    const { home, cache } = machine;
    const fake = machine.tools(...labUpRules());
    const run = await runCli(["down", "--purge", "-o", "json"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(existsSync(cache)).toBe(false);
    expect(JSON.parse(run.stdout)).toEqual({
      deleted: [
        {
          part: "cluster",
          name: "sre-lab",
          detail: "nodes sre-lab-worker2, sre-lab-control-plane, sre-lab-worker",
        },
        { part: "registry", name: "sre-lab-registry" },
        { part: "network", name: "kind" },
        { part: "model-cache", name: cache, detail: "2.5 MB" },
      ],
      kept: [],
      absent: [{ part: "kubeconfig", name: "kind-sre-lab" }],
    });
    expect(run.stderr).toContain(`✓ deleted model cache ${cache} (2.5 MB)`);
  });

  test("--model-cache names another cache directory, relative to the working directory", async ({
    machine,
    expect,
  }) => {
    const { home, cache } = machine;
    const other = join(home, "models");
    mkdirSync(join(other, "blobs"), { recursive: true });
    const fake = machine.tools(...nothingLeftRules());
    const run = await runCli(["down", "--purge", "--model-cache", other], {
      path: fake.path,
      env: { HOME: home },
    });
    expect(run.code).toBe(0);
    expect(existsSync(other)).toBe(false);
    expect(existsSync(cache)).toBe(true);
    expect(run.stdout).toContain(`deleted  model cache ${other}`);
  });

  test("a second down finds nothing, says so, runs no deleting command and exits 0", async ({
    machine,
    expect,
  }) => {
    const { home, cache } = machine;
    const fake = machine.tools(...nothingLeftRules());
    const run = await runCli(["down"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n")).toEqual([
      "nothing to delete: no kind cluster sre-lab, no registry container sre-lab-registry, no docker network kind",
      `kept     model cache ${cache} (2.5 MB): for the next sre-lab up; --purge deletes it`,
    ]);
    expect(run.stderr).toBe("");
    expect(fake.commandLines()).toEqual([
      line("docker", cmd.dockerInfo),
      line("kind", cmd.kindClusters),
      line("kubectl", cmd.kubeconfigView),
      line("docker", cmd.registryInspect),
      line("docker", cmd.networkLs),
    ]);
    fake.assertAllUsed();
  });

  test("keeps the kind network while another cluster's nodes use it", async ({ machine, expect }) => {
    const { home } = machine;
    const fake = machine.tools(
      ...labUpRules({
        kindClusters: { stdout: "other\n" },
        kindDelete: null,
        registryInspect: { stdout: "", stderr: out.noSuchRegistry, exitCode: 1 },
        registryRm: null,
        networkUsers: { stdout: "other-control-plane\nother-worker\n" },
        networkRm: null,
      }),
    );
    const run = await runCli(["down"], { path: fake.path, env: { HOME: home } });
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n")).toEqual([
      "nothing to delete: no kind cluster sre-lab, no registry container sre-lab-registry",
      "kept     docker network kind: in use by other-control-plane, other-worker",
      `kept     model cache ${machine.cache} (2.5 MB): for the next sre-lab up; --purge deletes it`,
    ]);
    expect(fake.commandLines()).not.toContain(line("docker", cmd.networkRm));
    fake.assertAllUsed();
  });
});

describe("kind's delete output", () => {
  it("yields the node names, or none when kind printed no list", () => {
    expect(parseDeletedNodes(out.kindDeleted)).toEqual([
      "sre-lab-worker2",
      "sre-lab-control-plane",
      "sre-lab-worker",
    ]);
    expect(parseDeletedNodes('Deleting cluster "sre-lab" ...\n')).toEqual([]);
  });
});
