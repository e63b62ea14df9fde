/**
 * Which kubeconfig file kind edits, by kubectl's rules (kind's own pathForMerge follows them,
 * pkg/cluster/internal/kubeconfig/internal/kubeconfig/paths.go at v0.32.0):
 * - `--kubeconfig F`: only F;
 * - `KUBECONFIG=a:b`: the first file in the list that exists, else the last one in the list;
 * - otherwise `$HOME/.kube/config`.
 * `kind create cluster` merges its cluster, user and context into that file and makes its context
 * the current one; `kind delete cluster` removes them again.
 */
import { statSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Context } from "../runtime/context.js";

export function kubeconfigWriteTarget(ctx: Pick<Context, "env" | "kubeTarget">): string {
  if (ctx.kubeTarget.kubeconfig) return ctx.kubeTarget.kubeconfig;
  const list = [...new Set((ctx.env.KUBECONFIG ?? "").split(delimiter).filter((p) => p !== ""))];
  if (list.length === 0) return join(ctx.env.HOME ?? "", ".kube", "config");
  if (list.length === 1) return list[0]!;
  return list.find(isFile) ?? list.at(-1)!;
}

/**
 * `--kubeconfig F` when the user gave one: for kind (which does not read kubectl's flag otherwise)
 * and for the kubectl calls that must edit the same file.
 */
export function kubeconfigFlag(kubeconfig: string | undefined): string[] {
  return kubeconfig ? ["--kubeconfig", kubeconfig] : [];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
