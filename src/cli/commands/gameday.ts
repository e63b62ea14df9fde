/** `sre-lab gameday`: every chaos scenario in turn, diagnosed and scored; a scorecard in JSON and Markdown. */
import { resolve } from "node:path";
import { labDiagnoser } from "../../chaos/diagnosis.js";
import { type GamedayResult, renderScorecard, runGameday, selectScenarios } from "../../chaos/gameday.js";
import { parseDuration } from "../../core/duration.js";
import type { Context } from "../../runtime/context.js";
import type { OutputFormat } from "../options.js";

export interface GamedayFlags {
  only?: string;
  report?: string;
  timeout?: string;
  force?: boolean;
  yes?: boolean;
  output: OutputFormat;
}

/** 2026-01-02T15:04:05.678Z → 20260102-150405 */
export function reportStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d+Z$/, "")
    .replaceAll("-", "")
    .replaceAll(":", "")
    .replace("T", "-");
}

export async function gamedayCommand(ctx: Context, flags: GamedayFlags): Promise<GamedayResult> {
  const only = flags.only === undefined ? undefined : selectScenarios(flags.only);
  let timeoutMs: number | undefined;
  if (flags.timeout !== undefined) {
    timeoutMs = parseDuration(flags.timeout);
  }
  const reportDir = resolve(flags.report ?? `gameday-${reportStamp(ctx.clock.now())}`);
  const result = await runGameday(ctx, {
    only,
    timeoutMs,
    force: flags.force === true,
    yes: flags.yes === true,
    diagnoser: labDiagnoser(ctx),
    reportDir,
  });
  if (flags.output === "json") ctx.out.data(JSON.stringify(result.scorecard, null, 2));
  else ctx.out.data(renderScorecard(result.scorecard, ctx.out.dataStyle));
  ctx.out.info(`scorecard written: ${result.files.markdown} and ${result.files.json}`);
  return result;
}
