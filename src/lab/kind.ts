/**
 * The kind calls, parsed at the boundary; the internals of the kind provider (provider/kind.ts) and
 * of doctor. kind logs to stderr: `kind get clusters` prints "No kind clusters found." there (exit 0)
 * when there are none, and `kind delete cluster` prints `Deleting cluster "x" ...` and
 * `Deleted nodes: ["x-control-plane" "x-worker"]`. Deleting a cluster also removes its context,
 * cluster and user from the kubeconfig kind writes to. The docker calls here are the ones only a kind
 * cluster needs: containerd's registry config on each node and the registry on kind's network.
 */
import versions from "../../versions.json" with { type: "json" };
import { lines } from "../core/text.js";
import type { Runner, RunResult } from "../exec/runner.js";
import type { Context } from "../runtime/context.js";
import { kubeconfigFlag } from "./kubeconfig.js";

const LIST_TIMEOUT_MS = 30_000;
/** Removing three node containers takes seconds; a stuck daemon must not hang `down` for ever. */
const DELETE_TIMEOUT_MS = 300_000;
/** The first run pulls the node image. */
const CREATE_TIMEOUT_MS = 900_000;
const DOCKER_TIMEOUT_MS = 30_000;

const DOCKER_HINT = "is Docker running? (docker info)";

export async function listKindClusters(ctx: Pick<Context, "runner">): Promise<string[]> {
  const result = await ctx.runner.run("kind", ["get", "clusters"], {
    timeoutMs: LIST_TIMEOUT_MS,
    purpose: "list the kind clusters",
    hint: DOCKER_HINT,
  });
  return lines(result.stdout);
}

/** kind writes the cluster's context into `kubeconfig` (kubectl's file when undefined; ./kubeconfig.ts). */
export function kindCreateArgs(name: string, kubeconfig: string | undefined): string[] {
  return ["create", "cluster", "--name", name, "--config", "-", ...kubeconfigFlag(kubeconfig)];
}

export async function createKindCluster(
  runner: Runner,
  name: string,
  configYaml: string,
  kubeconfig: string | undefined,
): Promise<void> {
  await runner.run("kind", kindCreateArgs(name, kubeconfig), {
    input: configYaml,
    timeoutMs: CREATE_TIMEOUT_MS,
    purpose: `create the kind cluster ${name}`,
    hint: "run sre-lab doctor; kind's own message above says which part failed",
  });
}

/** Deletes the cluster's nodes (and its kubeconfig entries); returns the node names kind reported. */
export async function deleteKindCluster(
  ctx: Pick<Context, "runner">,
  name: string,
  kubeconfig: string | undefined,
  options: { timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<string[]> {
  const result = await ctx.runner.run(
    "kind",
    ["delete", "cluster", "--name", name, ...kubeconfigFlag(kubeconfig)],
    {
      timeoutMs: options.timeoutMs ?? DELETE_TIMEOUT_MS,
      ...(options.allowFailure ? { allowFailure: true } : {}),
      purpose: `delete the kind cluster ${name}`,
      hint: `is Docker running? kind lists what is left: kind get nodes --name ${name}`,
    },
  );
  return parseDeletedNodes(`${result.stderr}\n${result.stdout}`);
}

export function parseDeletedNodes(output: string): string[] {
  const list = /Deleted nodes: \[([^\]]*)\]/.exec(output)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/** The node container names of the cluster. */
export async function kindNodeNames(runner: Runner, name: string): Promise<string[]> {
  const result = await runner.run("kind", ["get", "nodes", "--name", name], {
    timeoutMs: LIST_TIMEOUT_MS,
    purpose: `list the nodes of the kind cluster ${name}`,
    hint: DOCKER_HINT,
  });
  return lines(result.stdout);
}

/** Writes `content` to `path` on the node unless it is there already; whether it wrote. */
export async function writeNodeFile(
  runner: Runner,
  node: string,
  path: string,
  content: string,
): Promise<boolean> {
  const current = await runner.run("docker", ["exec", node, "cat", path], {
    allowFailure: true,
    timeoutMs: DOCKER_TIMEOUT_MS,
    purpose: `read ${path} on node ${node}`,
  });
  if (current.exitCode === 0 && current.stdout === content) return false;
  const dir = path.slice(0, path.lastIndexOf("/"));
  await runner.run("docker", ["exec", "-i", node, "sh", "-c", `mkdir -p ${dir} && cat > ${path}`], {
    input: content,
    timeoutMs: DOCKER_TIMEOUT_MS,
    purpose: `write ${path} on node ${node}`,
    hint: `is the node running? (docker ps --filter name=${node})`,
  });
  return true;
}

/** Connects the container to kind's network unless it is on it; whether it connected. */
export async function joinKindNetwork(runner: Runner, container: string, network: string): Promise<boolean> {
  const networks = await runner.run(
    "docker",
    ["inspect", "--format", "{{json .NetworkSettings.Networks}}", container],
    {
      timeoutMs: 15_000,
      purpose: `read the networks of container ${container}`,
      hint: `is the container running? (docker ps --filter name=${container})`,
    },
  );
  if (Object.hasOwn(JSON.parse(networks.stdout.trim() || "{}") as object, network)) return false;
  await runner.run("docker", ["network", "connect", network, container], {
    timeoutMs: DOCKER_TIMEOUT_MS,
    purpose: `connect ${container} to the ${network} network`,
    hint: DOCKER_HINT,
  });
  return true;
}

/**
 * Docker Desktop: sysctl inside its VM, through a throw-away container of the node image (already
 * pulled for the cluster). The image's ENTRYPOINT is kind's `/usr/local/bin/entrypoint /sbin/init`,
 * so arguments after the image would reach init, not sysctl: `--entrypoint sysctl` replaces it.
 * Writing needs --privileged (/proc/sys is read-only in a container); reading does not.
 */
export function nodeImageSysctlArgv(sysctlArgs: readonly string[], privileged: boolean): string[] {
  return [
    "docker",
    "run",
    "--rm",
    ...(privileged ? ["--privileged"] : []),
    "--entrypoint",
    "sysctl",
    versions.kindNodeImage,
    ...sysctlArgs,
  ];
}

export async function runNodeImageSysctl(
  runner: Runner,
  sysctlArgs: readonly string[],
  privileged: boolean,
): Promise<RunResult> {
  const [file, ...args] = nodeImageSysctlArgv(sysctlArgs, privileged);
  return runner.run(file!, args, {
    // The first run may pull the node image.
    timeoutMs: 300_000,
    purpose: privileged
      ? "raise the inotify limits in Docker Desktop's VM"
      : "read the inotify limits in Docker Desktop's VM",
    hint: "is Docker Desktop running? pass --no-sysctl to leave the limits as they are",
  });
}
