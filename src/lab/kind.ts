/**
 * The two kind calls `down` makes, parsed at the boundary. kind logs to stderr: `kind get clusters`
 * prints "No kind clusters found." there (exit 0) when there are none, and `kind delete cluster`
 * prints `Deleting cluster "x" ...` and `Deleted nodes: ["x-control-plane" "x-worker"]`. Deleting a
 * cluster also removes its context, cluster and user from the kubeconfig kind writes to.
 */
import type { Context } from "../core/context.js";

const LIST_TIMEOUT_MS = 30_000;
/** Removing three node containers takes seconds; a stuck daemon must not hang `down` for ever. */
const DELETE_TIMEOUT_MS = 300_000;

export async function listKindClusters(ctx: Context): Promise<string[]> {
  const result = await ctx.runner.run("kind", ["get", "clusters"], { timeoutMs: LIST_TIMEOUT_MS });
  return result.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

/** Deletes the cluster's nodes (and its kubeconfig entries); returns the node names kind reported. */
export async function deleteKindCluster(
  ctx: Context,
  name: string,
  kubeconfig: string | undefined,
): Promise<string[]> {
  const args = ["delete", "cluster", "--name", name, ...(kubeconfig ? ["--kubeconfig", kubeconfig] : [])];
  const result = await ctx.runner.run("kind", args, { timeoutMs: DELETE_TIMEOUT_MS });
  return parseDeletedNodes(`${result.stderr}\n${result.stdout}`);
}

export function parseDeletedNodes(output: string): string[] {
  const list = /Deleted nodes: \[([^\]]*)\]/.exec(output)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}
