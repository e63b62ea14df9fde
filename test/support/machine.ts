/** Fake-tool rules for a healthy Linux laptop: every tool present and current, Docker up, limits raised. */
import type { FakeRule } from "../harness/fake-tools/index.js";
import * as rec from "../harness/fake-tools/recordings.js";

export type MachineRule =
  | "dockerVersion"
  | "dockerInfo"
  | "kindVersion"
  | "kubectlVersion"
  | "sysctl"
  | "kindClusters";

export function healthyMachineRules(
  overrides: Partial<Record<MachineRule, Partial<FakeRule>>> = {},
): FakeRule[] {
  const rules: Record<MachineRule, FakeRule> = {
    dockerVersion: {
      tool: "docker",
      args: ["version", "--format", "{{.Client.Version}}"],
      stdout: rec.dockerClientVersion,
    },
    dockerInfo: { tool: "docker", args: ["info", "--format", "{{json .}}"], stdout: rec.dockerInfoJson() },
    kindVersion: { tool: "kind", args: ["version"], stdout: rec.kindVersion },
    kubectlVersion: {
      tool: "kubectl",
      args: ["version", "--client", "-o", "json"],
      stdout: rec.kubectlVersionClientJson,
    },
    sysctl: {
      tool: "sysctl",
      args: ["-n", "fs.inotify.max_user_watches", "fs.inotify.max_user_instances"],
      stdout: "524288\n512\n",
    },
    kindClusters: { tool: "kind", args: ["get", "clusters"], ...rec.kindNoClusters },
  };
  return (Object.keys(rules) as MachineRule[]).map(
    (key) => ({ ...rules[key], ...overrides[key] }) as FakeRule,
  );
}
