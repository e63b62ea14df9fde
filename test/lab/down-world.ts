/**
 * The world `down` sees, for its tests: the real tools' outputs, the commands `down` runs, rule sets for
 * "the whole lab is up" and "everything is gone", and a per-test machine (home directory with a model
 * cache, fake tools checked for unexpected calls).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";
import { createFakeTools, type FakeRule, type FakeTools } from "../harness/fake-tools/index.js";
import * as rec from "../harness/fake-tools/recordings.js";
import { tempDir } from "./support.js";

/** What the real tools print (kind logs to stderr; docker's "no such" errors are exit 1 on stderr). */
export const out = {
  kindClustersLab: "sre-lab\n",
  kindDeleted:
    'Deleting cluster "sre-lab" ...\nDeleted nodes: ["sre-lab-worker2" "sre-lab-control-plane" "sre-lab-worker"]\n',
  kubeconfigClean: `${JSON.stringify(
    {
      kind: "Config",
      apiVersion: "v1",
      preferences: {},
      clusters: null,
      users: null,
      contexts: null,
      "current-context": "",
    },
    null,
    4,
  )}\n`,
  kubeconfigLeftover: `${JSON.stringify(
    {
      kind: "Config",
      apiVersion: "v1",
      preferences: {},
      clusters: [{ name: "kind-sre-lab", cluster: { server: "https://127.0.0.1:40123" } }],
      users: [{ name: "kind-sre-lab", user: { "client-certificate-data": "DATA+OMITTED" } }],
      contexts: [{ name: "kind-sre-lab", context: { cluster: "kind-sre-lab", user: "kind-sre-lab" } }],
      "current-context": "kind-sre-lab",
    },
    null,
    4,
  )}\n`,
  noSuchRegistry: "Error response from daemon: No such container: sre-lab-registry\n",
};

export const cmd = {
  dockerInfo: ["info", "--format", "{{json .}}"],
  kindClusters: ["get", "clusters"],
  kindDelete: ["delete", "cluster", "--name", "sre-lab"],
  kubeconfigView: ["config", "view", "-o", "json"],
  registryInspect: ["container", "inspect", "--format", "{{json .State.Status}}", "sre-lab-registry"],
  registryRm: ["rm", "--force", "--volumes", "sre-lab-registry"],
  networkLs: ["network", "ls", "--filter", "name=^kind$", "--format", "{{.Name}}"],
  networkUsers: ["ps", "--all", "--filter", "network=kind", "--format", "{{.Names}}"],
  networkRm: ["network", "rm", "kind"],
};

type Step =
  | "dockerInfo"
  | "kindClusters"
  | "kindDelete"
  | "kubeconfigView"
  | "registryInspect"
  | "registryRm"
  | "networkLs"
  | "networkUsers"
  | "networkRm";

/** The tools' answers on a machine with the whole lab up; override a step to change the world. */
export function labUpRules(overrides: Partial<Record<Step, Partial<FakeRule> | null>> = {}): FakeRule[] {
  const rules: Record<Step, FakeRule> = {
    dockerInfo: { tool: "docker", args: cmd.dockerInfo, stdout: rec.dockerInfoJson() },
    kindClusters: { tool: "kind", args: cmd.kindClusters, stdout: out.kindClustersLab },
    kindDelete: { tool: "kind", args: cmd.kindDelete, stderr: out.kindDeleted },
    kubeconfigView: { tool: "kubectl", args: cmd.kubeconfigView, stdout: out.kubeconfigClean },
    registryInspect: { tool: "docker", args: cmd.registryInspect, stdout: '"running"\n' },
    registryRm: { tool: "docker", args: cmd.registryRm, stdout: "sre-lab-registry\n" },
    networkLs: { tool: "docker", args: cmd.networkLs, stdout: "kind\n" },
    networkUsers: { tool: "docker", args: cmd.networkUsers, stdout: "" },
    networkRm: { tool: "docker", args: cmd.networkRm, stdout: "kind\n" },
  };
  return (Object.keys(rules) as Step[])
    .filter((step) => overrides[step] !== null)
    .map((step) => ({ ...rules[step], ...overrides[step] }) as FakeRule);
}

/** The tools' answers once everything is gone. */
export function nothingLeftRules(): FakeRule[] {
  return labUpRules({
    kindClusters: rec.kindNoClusters,
    kindDelete: null,
    registryInspect: { stdout: "", stderr: out.noSuchRegistry, exitCode: 1 },
    registryRm: null,
    networkLs: { stdout: "" },
    networkUsers: null,
    networkRm: null,
  });
}

export const line = (tool: string, args: string[]) => [tool, ...args].join(" ");

export interface Machine {
  home: string;
  /** The default model cache, holding one 2.5 MB blob. */
  cache: string;
  /** Fake tools answering with these rules (every call a rule does not expect fails the test). */
  tools(...rules: FakeRule[]): FakeTools;
}

export const test = it.extend<{ machine: Machine }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern.
  machine: async ({}, use) => {
    const home = tempDir("home");
    const cache = join(home, ".cache", "sre-lab", "ollama");
    mkdirSync(join(cache, "blobs"), { recursive: true });
    mkdirSync(join(cache, "manifests"), { recursive: true });
    writeFileSync(join(cache, "blobs", "sha256-0001"), Buffer.alloc(2_500_000));
    const fakes: FakeTools[] = [];
    await use({
      home,
      cache,
      tools: (...rules) => {
        const fake = createFakeTools().expect(...rules);
        fakes.push(fake);
        return fake;
      },
    });
    try {
      for (const fake of fakes) fake.assertNoUnexpectedCalls();
    } finally {
      for (const fake of fakes) fake.cleanup();
      rmSync(home, { recursive: true, force: true });
    }
  },
});
