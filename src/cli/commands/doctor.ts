/** `sre-lab doctor`: run the checks, print them (or JSON), fail when a blocking check fails. */

import { SreLabError } from "../../core/errors.js";
import type { Styler } from "../../core/output.js";
import { type CheckResult, type DoctorReport, runDoctor } from "../../lab/doctor.js";
import type { Context } from "../../runtime/context.js";
import type { OutputFormat } from "../options.js";

export function renderDoctor(report: DoctorReport, style: Styler): string {
  const symbol: Record<CheckResult["status"], string> = {
    ok: style.green("✓"),
    warn: style.yellow("!"),
    fail: style.red("✗"),
    skip: style.dim("-"),
  };
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(`${symbol[check.status]} ${check.title.padEnd(width)}  ${check.detail}`);
    if (check.hint && (check.status === "fail" || check.status === "warn")) {
      lines.push(`  ${" ".repeat(width)}  ${style.cyan("fix:")} ${check.hint}`);
    }
    if (check.command && (check.status === "fail" || check.status === "warn")) {
      lines.push(`  ${" ".repeat(width)}  ${style.cyan("run:")} ${check.command}`);
    }
  }
  return lines.join("\n");
}

export function blockingFailures(report: DoctorReport): CheckResult[] {
  return report.checks.filter((c) => c.blocking && c.status === "fail");
}

export async function doctorCommand(ctx: Context, options: { output: OutputFormat }): Promise<DoctorReport> {
  const report = await runDoctor(ctx);
  if (options.output === "json") ctx.out.data(JSON.stringify(report, null, 2));
  else ctx.out.data(renderDoctor(report, ctx.out.dataStyle));
  const [first, ...others] = blockingFailures(report);
  if (first) {
    // End on the first blocking problem itself (on a machine without Docker: the Docker line).
    throw new SreLabError(`${first.title}: ${first.detail}`, {
      details: others.length > 0 ? `also blocking: ${others.map((c) => c.title).join(", ")}` : undefined,
      hint: first.command
        ? `run: ${first.command}`
        : (first.hint ?? "fix it as shown above, then run sre-lab doctor again"),
    });
  }
  return report;
}
