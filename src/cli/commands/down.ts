/** `sre-lab down`: delete the lab, then list what was deleted and what was kept (or JSON). */

import type { Styler } from "../../core/output.js";
import { type DownEntry, type DownResult, describePart, runDown } from "../../lab/down.js";
import { resolveModelCacheDir } from "../../lab/model-cache.js";
import { refuseOtherContext } from "../../lab/write-guard.js";
import type { Context } from "../../runtime/context.js";
import type { OutputFormat } from "../options.js";

export interface DownCommandOptions {
  keepRegistry?: boolean;
  purge?: boolean;
  modelCache?: string;
  output: OutputFormat;
}

export function renderDown(result: DownResult, style: Styler): string {
  const lines: string[] = [];
  const described = (entry: DownEntry) => `${describePart(entry)}${entry.detail ? ` (${entry.detail})` : ""}`;
  if (result.deleted.length === 0) {
    const absent = result.absent.filter((e) => e.part !== "model-cache" && e.part !== "kubeconfig");
    lines.push(
      absent.length > 0
        ? `nothing to delete: no ${absent.map(describePart).join(", no ")}`
        : "nothing to delete",
    );
  }
  for (const entry of result.deleted) lines.push(`${style.green("deleted")}  ${described(entry)}`);
  for (const entry of result.kept)
    lines.push(`${style.yellow("kept")}     ${described(entry)}: ${entry.reason}`);
  return lines.join("\n");
}

export async function downCommand(ctx: Context, options: DownCommandOptions): Promise<DownResult> {
  refuseOtherContext("sre-lab down", ctx.kubeTarget.context);
  const result = await runDown(ctx, {
    keepRegistry: options.keepRegistry === true,
    purge: options.purge === true,
    modelCacheDir: resolveModelCacheDir(options.modelCache, ctx.env),
  });
  if (options.output === "json") ctx.out.data(JSON.stringify(result, null, 2));
  else ctx.out.data(renderDown(result, ctx.out.dataStyle));
  return result;
}
