/** Fake-tool rules for `up`: a first run on a fresh laptop, and a run on a finished lab (read-only). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appSourceHash } from "../../src/lab/up/registry.js";
import versions from "../../versions.json" with { type: "json" };
import type { FakeRule } from "../harness/fake-tools/index.js";
import { type FakeLab, NODE_NAMES } from "./fake-lab.js";
import { healthyMachineRules } from "./machine.js";

export const image = versions.images.targetApp;
export const hostsToml = readFileSync(join(import.meta.dirname, "../../kind/registry-hosts.toml"), "utf8");
const SYSCTL_READ = ["-n", "fs.inotify.max_user_watches", "fs.inotify.max_user_instances"];
const LIMITS = ["fs.inotify.max_user_watches=524288", "fs.inotify.max_user_instances=512"];

function forwardRule(lab: FakeLab): FakeRule {
  const port = new URL(lab.ollama.url).port;
  return {
    tool: "kubectl",
    args: [
      "port-forward",
      "--namespace",
      "ollama",
      "--address",
      "127.0.0.1",
      "service/ollama",
      ":11434",
      "--context",
      "kind-sre-lab",
    ],
    hang: true,
    stdout: `Forwarding from 127.0.0.1:${port} -> 11434\nForwarding from [::1]:${port} -> 11434\n`,
  };
}

/** Every command a first `up --yes` runs on a healthy Linux laptop with low inotify limits. */
export function freshLabRules(lab: FakeLab): FakeRule[] {
  return [
    ...healthyMachineRules({ sysctl: { stdout: "8192\n128\n" } }),
    { tool: "sysctl", args: SYSCTL_READ, stdout: "8192\n128\n" },
    {
      tool: "sudo",
      args: ["-n", "sysctl", "-w", ...LIMITS],
      stdout: `${LIMITS.join("\n").replaceAll("=", " = ")}\n`,
    },
    { tool: "sysctl", args: SYSCTL_READ, stdout: "524288\n512\n" },
    {
      tool: "docker",
      args: ["container", "inspect", "--format", "{{json .State.Status}}", "sre-lab-registry"],
      stderr: "Error: No such container: sre-lab-registry\n",
      exitCode: 1,
    },
    { tool: "docker", argsPrefix: ["run", "-d", "--restart=always"], stdout: "0f3c1d2e9a8b\n" },
    { tool: "kind", args: ["get", "clusters"], stderr: "No kind clusters found.\n" },
    {
      tool: "kind",
      args: ["create", "cluster", "--name", "sre-lab", "--config", "-"],
      stderr: 'Creating cluster "sre-lab" ...\n',
    },
    { tool: "kind", args: ["get", "nodes", "--name", "sre-lab"], stdout: `${NODE_NAMES.join("\n")}\n` },
    ...NODE_NAMES.flatMap((node): FakeRule[] => [
      {
        tool: "docker",
        args: ["exec", node, "cat", "/etc/containerd/certs.d/localhost:5001/hosts.toml"],
        stderr: "cat: /etc/containerd/certs.d/localhost:5001/hosts.toml: No such file or directory\n",
        exitCode: 1,
      },
      { tool: "docker", argsPrefix: ["exec", "-i", node, "sh", "-c"] },
    ]),
    {
      tool: "docker",
      args: ["inspect", "--format", "{{json .NetworkSettings.Networks}}", "sre-lab-registry"],
      stdout: '{"bridge":{"NetworkID":"4b1e"}}\n',
    },
    { tool: "docker", args: ["network", "connect", "kind", "sre-lab-registry"] },
    {
      tool: "docker",
      argsPrefix: ["image", "inspect"],
      stderr: `Error: No such image: ${image}\n`,
      exitCode: 1,
    },
    {
      tool: "docker",
      args: ["manifest", "inspect", "--insecure", image],
      stderr: "no such manifest\n",
      exitCode: 1,
    },
    { tool: "docker", argsPrefix: ["build", "--label"] },
    { tool: "docker", args: ["push", image] },
    {
      tool: "kubectl",
      argsPrefix: ["--context", "kind-sre-lab", "apply", "--server-side", "--force-conflicts", "-k"],
    },
    forwardRule(lab),
  ];
}

/** A finished lab: every check reads, nothing changes. */
export function finishedLabRules(lab: FakeLab): FakeRule[] {
  return [
    ...healthyMachineRules({ kindClusters: { stdout: "sre-lab\n", stderr: "" } }),
    { tool: "sysctl", args: SYSCTL_READ, stdout: "524288\n512\n" },
    {
      tool: "docker",
      args: ["container", "inspect", "--format", "{{json .State.Status}}", "sre-lab-registry"],
      stdout: '"running"\n',
    },
    { tool: "kind", args: ["get", "clusters"], stdout: "sre-lab\n" },
    { tool: "kind", args: ["get", "nodes", "--name", "sre-lab"], stdout: `${NODE_NAMES.join("\n")}\n` },
    ...NODE_NAMES.map(
      (node): FakeRule => ({
        tool: "docker",
        args: ["exec", node, "cat", "/etc/containerd/certs.d/localhost:5001/hosts.toml"],
        stdout: hostsToml,
      }),
    ),
    {
      tool: "docker",
      args: ["inspect", "--format", "{{json .NetworkSettings.Networks}}", "sre-lab-registry"],
      stdout: '{"bridge":{},"kind":{}}\n',
    },
    { tool: "docker", argsPrefix: ["image", "inspect"], stdout: `${appSourceHash()}\n` },
    { tool: "docker", args: ["manifest", "inspect", "--insecure", image], stdout: "{}\n" },
    forwardRule(lab),
  ];
}
