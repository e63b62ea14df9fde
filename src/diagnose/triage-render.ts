/**
 * Triage as text: a heading, then one line per workload (root-cause code, workload, failing pods,
 * the decisive detail, the first command to run), most urgent first, then the next step. Plain
 * without a terminal or with NO_COLOR; every piece of cluster text passed through sanitizeLine.
 */
import type { Styler } from "../core/output.js";
import { clip, sanitizeLine } from "./analyze/quote.js";
import { type TriageReport, targetOf } from "./triage.js";

/** Room for the detail: enough for a finding's summary sentence, short enough to scan. */
const DETAIL_MAX = 140;

export function renderTriage(report: TriageReport, style: Styler): string {
  const where = report.namespace === null ? "all namespaces" : `namespace ${report.namespace}`;
  const { total, unhealthy } = report.pods;
  if (report.entries.length === 0) {
    return total === 0
      ? `No pods in ${where} (context ${report.context}).`
      : `${style.green("All healthy:")} ${total} pod${total === 1 ? "" : "s"} in ${where} (context ${report.context}).`;
  }
  const lines = [
    style.bold(
      `${unhealthy} of ${total} pods in ${where} are not healthy, in ${report.entries.length} workload${report.entries.length === 1 ? "" : "s"} (context ${report.context}):`,
    ),
    "",
  ];
  const rows = report.entries.map((entry) => ({
    code: entry.finding.code,
    severity: entry.finding.severity,
    workload: sanitizeLine(
      `${report.namespace === null ? `${entry.namespace}/` : ""}${targetOf(entry.owner)}`,
    ),
    pods: `${entry.pods.length}/${entry.totalPods} ${entry.pods[0]?.status ?? ""}`.trim(),
    detail: clip(entry.detail, DETAIL_MAX, 0.8),
    command: sanitizeLine(entry.command),
  }));
  const width = (pick: (r: (typeof rows)[number]) => string) => Math.max(...rows.map((r) => pick(r).length));
  const [codeWidth, workloadWidth, podsWidth] = [
    width((r) => r.code),
    width((r) => r.workload),
    width((r) => r.pods),
  ];
  for (const row of rows) {
    const code = row.code.padEnd(codeWidth);
    const colored =
      row.severity === "critical" ? style.red(code) : row.severity === "warning" ? style.yellow(code) : code;
    lines.push(
      `${colored}  ${style.bold(row.workload.padEnd(workloadWidth))}  ${row.pods.padEnd(podsWidth)}  ${row.detail}  ${style.cyan("run:")} ${row.command}`,
    );
  }
  const first = report.entries[0];
  if (first) {
    lines.push(
      "",
      `${style.cyan("next:")} ${first.diagnose}   (the full story of the first line, with the model)`,
    );
  }
  return lines.join("\n");
}
