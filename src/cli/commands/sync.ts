/** `sre-lab sync`: republish manifests/ and wait for Argo CD to roll the change out. */

import { parseDuration } from "../../core/duration.js";
import { runSync } from "../../lab/sync.js";
import { guardClusterWrite, kubeWriteTarget, syncWrites } from "../../lab/write-guard.js";
import type { Context } from "../../runtime/context.js";
import type { OutputFormat } from "../options.js";

export interface SyncFlags {
  timeout: string;
  output: OutputFormat;
  yes?: boolean;
  force?: boolean;
}

export async function syncCommand(ctx: Context, flags: SyncFlags): Promise<void> {
  const waitTimeoutMs = parseDuration(flags.timeout);
  // Without --context, sync acts on the lab's own context (kind-sre-lab); with one, the write guard
  // decides first (it lets the lab's context through without a word).
  if (ctx.kubeTarget.context !== undefined) {
    await guardClusterWrite(
      ctx,
      kubeWriteTarget(await ctx.kube()),
      { command: "sre-lab sync", verb: "write to", writes: syncWrites() },
      { yes: flags.yes === true, force: flags.force === true },
    );
  }
  const result = await runSync(ctx, { waitTimeoutMs });
  if (flags.output === "json") {
    ctx.out.data(JSON.stringify(result, null, 2));
    return;
  }
  if (result.gitSource) {
    ctx.out.data(
      `Argo CD reads ${result.gitSource}: push your manifest changes there; it syncs them on its own.`,
    );
    return;
  }
  const changed = result.steps.some((s) => s.id === "root" && s.status === "done");
  ctx.out.data(
    changed ? "The lab runs the edited manifests." : "Nothing changed: the lab already runs these manifests.",
  );
}
