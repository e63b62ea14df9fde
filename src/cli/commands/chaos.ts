/**
 * `sre-lab chaos list | reset | <scenario> [--revert]`: break the lab on purpose, prove it with
 * Kubernetes' own evidence, point at the diagnosis, and put it back.
 */

import { isScenarioName, scenarioSummary } from "../../chaos/catalogue.js";
import {
  notVerifiedError,
  type RevertReport,
  resetLab,
  revertScenario,
  runScenario,
  type ScenarioReport,
} from "../../chaos/run.js";
import { SCENARIOS, scenario as scenarioNamed } from "../../chaos/scenarios/index.js";
import { formatDuration, parseDuration } from "../../core/duration.js";
import { SreLabError, UsageError } from "../../core/errors.js";
import type { Styler } from "../../core/output.js";
import { terminalLine } from "../../core/sanitize.js";
import type { Context } from "../../runtime/context.js";
import type { OutputFormat } from "../options.js";

export interface ChaosFlags {
  revert?: boolean;
  timeout?: string;
  force?: boolean;
  yes?: boolean;
  output: OutputFormat;
}

export interface ScenarioListing {
  name: string;
  /** The catalogue's one line: what running it does (as in --help). */
  summary: string;
  breaks: string;
  expectedFinding: string | null;
  goodDiagnosis: string;
  deadline: string;
  usesDocker: boolean;
}

export function listScenarios(): ScenarioListing[] {
  return SCENARIOS.map((s) => ({
    name: s.name,
    summary: scenarioSummary(s.name),
    breaks: s.breaks,
    expectedFinding: s.expectedFinding ?? null,
    goodDiagnosis: s.goodDiagnosis,
    deadline: formatDuration(s.verifyTimeoutMs),
    usesDocker: s.usesDocker,
  }));
}

export function renderList(listing: ScenarioListing[], style: Styler): string {
  const width = Math.max(...listing.map((s) => s.name.length));
  const lines: string[] = [];
  for (const s of listing) {
    lines.push(`${style.bold(s.name.padEnd(width))}  ${s.breaks}`);
    lines.push(
      `${" ".repeat(width)}  ${style.dim("diagnose should find:")} ${
        s.expectedFinding ?? "nothing (no pod breaks; scored on Argo CD's self-heal time)"
      }`,
    );
  }
  lines.push(
    "",
    style.dim(
      "run one: sre-lab chaos <scenario>; undo: sre-lab chaos <scenario> --revert, or sre-lab chaos reset",
    ),
  );
  return lines.join("\n");
}

export async function chaosListCommand(ctx: Context, flags: { output: OutputFormat }): Promise<void> {
  const listing = listScenarios();
  if (flags.output === "json") ctx.out.data(JSON.stringify(listing, null, 2));
  else ctx.out.data(renderList(listing, ctx.out.dataStyle));
}

export function renderReport(report: ScenarioReport, style: Styler): string {
  const lines = [
    `${style.bold(report.scenario)}: ${style.green("break verified")} after ${formatDuration(report.elapsedMs)} on context ${report.context}`,
    "",
    style.bold("injected"),
    ...report.injected.map((l) => `  ${terminalLine(l)}`),
    "",
    style.bold("evidence (recorded by Kubernetes)"),
    // event and status messages are workload-written text
    ...report.evidence.map((l) => `  ${terminalLine(l)}`),
    "",
    style.bold("next"),
  ];
  if (report.diagnose) {
    lines.push(`  ${report.diagnose}`);
    lines.push(
      `  ${style.dim(`a good diagnosis finds ${report.expectedFinding ?? "-"}: ${report.goodDiagnosis}`)}`,
    );
  } else {
    lines.push(`  ${style.dim(report.goodDiagnosis)}`);
  }
  lines.push(`  undo: sre-lab chaos ${report.scenario} --revert (or sre-lab chaos reset)`);
  return lines.join("\n");
}

export function renderReverts(reports: RevertReport[], style: Styler): string {
  const lines: string[] = [];
  for (const report of reports) {
    if (report.error) lines.push(`${style.red("failed")}  ${report.scenario}: ${report.error}`);
    else if (report.reverted.length === 0)
      lines.push(`${style.dim("clean")}   ${report.scenario}: nothing to revert`);
    else
      for (const line of report.reverted) lines.push(`${style.green("undone")}  ${report.scenario}: ${line}`);
  }
  return lines.join("\n");
}

function timeoutOf(flags: ChaosFlags): number | undefined {
  if (flags.timeout === undefined) return undefined;
  return parseDuration(flags.timeout);
}

export async function chaosScenarioCommand(ctx: Context, name: string, flags: ChaosFlags): Promise<void> {
  if (!isScenarioName(name)) {
    throw new UsageError(`unknown chaos scenario "${name}"`, { hint: "sre-lab chaos list shows them" });
  }
  const scenario = scenarioNamed(name);
  const options = {
    force: flags.force === true,
    yes: flags.yes === true,
    timeoutMs: timeoutOf(flags),
  };
  if (flags.revert) {
    const report = await revertScenario(ctx, scenario, options);
    if (flags.output === "json") ctx.out.data(JSON.stringify(report, null, 2));
    else ctx.out.data(renderReverts([report], ctx.out.dataStyle));
    return;
  }
  const report = await runScenario(ctx, scenario, options);
  if (flags.output === "json") ctx.out.data(JSON.stringify(report, null, 2));
  if (!report.verified) throw notVerifiedError(report);
  if (flags.output !== "json") ctx.out.data(renderReport(report, ctx.out.dataStyle));
}

export async function chaosResetCommand(
  ctx: Context,
  flags: { force?: boolean; yes?: boolean; output: OutputFormat },
): Promise<void> {
  const reports = await resetLab(ctx, { force: flags.force === true, yes: flags.yes === true });
  if (flags.output === "json") ctx.out.data(JSON.stringify(reports, null, 2));
  else ctx.out.data(renderReverts(reports, ctx.out.dataStyle));
  const failed = reports.filter((r) => r.error);
  if (failed.length > 0) {
    throw new SreLabError(`could not revert ${failed.map((r) => r.scenario).join(", ")}`, {
      hint: "fix what the messages above say (is Docker running? does the cluster answer?), then run sre-lab chaos reset again",
    });
  }
}
