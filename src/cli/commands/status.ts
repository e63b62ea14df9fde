/** `sre-lab status`: the lab at a glance (or as JSON). Exit 0 whenever the report could be made. */

import type { Styler } from "../../core/output.js";
import { terminalLine } from "../../core/sanitize.js";
import { getLabStatus, type LabStatus } from "../../lab/status.js";
import type { Context } from "../../runtime/context.js";
import type { OutputFormat } from "../options.js";

function table(rows: string[][], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visible(cell).length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - visible(cell).length),
        )
        .join("  ")
        .trimEnd(),
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the colour codes the Styler adds.
const ANSI = /\u001b\[[0-9;]*m/g;
function visible(text: string): string {
  return text.replace(ANSI, "");
}

/** Long API messages stay whole in -o json; the table shows their start. */
function clip(text: string, max = 110): string {
  const safe = terminalLine(text); // cluster messages are workload-written text
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

export function renderStatus(status: LabStatus, style: Styler): string {
  const good = (ok: boolean, text: string) => (ok ? style.green(text) : style.red(text));
  const lines: string[] = [`${style.bold("context")}  ${status.context} (${status.server})`, ""];

  lines.push(style.bold("nodes"));
  lines.push(
    ...table(
      status.nodes.map((n) => [
        n.name,
        n.role,
        good(n.ready, n.ready ? "Ready" : "NotReady"),
        n.reason ? style.dim(n.reason) : "",
      ]),
    ),
  );

  lines.push("", style.bold("applications"));
  if (status.applicationsError) lines.push(`  ${style.yellow(status.applicationsError)}`);
  else if (status.applications.length === 0) lines.push("  none yet (Argo CD has not created them)");
  else
    lines.push(
      ...table(
        status.applications.map((a) => [
          a.name,
          good(a.sync === "Synced", a.sync),
          a.health === "Progressing" ? style.yellow(a.health) : good(a.health === "Healthy", a.health),
          a.revision,
          clip([a.operation ? `operation ${a.operation}` : "", a.message ?? ""].filter(Boolean).join(": ")),
        ]),
      ),
    );

  lines.push("", style.bold("pods not ready"));
  if (status.unreadyPods.length === 0) lines.push("  none: every lab pod is Ready");
  else
    lines.push(
      ...table(
        status.unreadyPods.map((p) => [
          terminalLine(`${p.namespace}/${p.name}`),
          style.red(terminalLine(p.reason)),
          [
            p.lastTermination ? `last: ${terminalLine(p.lastTermination)}` : "",
            p.restarts > 0 ? `${p.restarts} restart${p.restarts === 1 ? "" : "s"}` : "",
            p.message ? clip(p.message, 80) : "",
          ]
            .filter(Boolean)
            .join("; "),
        ]),
      ),
    );

  const model = status.model;
  const modelState =
    model.state === "present"
      ? style.green("present")
      : model.state === "missing"
        ? `${style.red("missing")} (the ollama Application's pull Job downloads it after each sync)`
        : `${style.yellow("unknown")} (${model.detail ?? "no answer"})`;
  lines.push("", style.bold("model"), `  ${model.name}  ${modelState}`);

  if (status.urls.length > 0) {
    lines.push("", style.bold("urls"), ...table(status.urls.map((u) => [u.name, u.url])));
    lines.push(style.dim("  logins: sre-lab open grafana, sre-lab open argocd"));
  }
  return lines.join("\n");
}

export async function statusCommand(ctx: Context, options: { output: OutputFormat }): Promise<LabStatus> {
  const status = await getLabStatus(ctx);
  if (options.output === "json") ctx.out.data(JSON.stringify(status, null, 2));
  else ctx.out.data(renderStatus(status, ctx.out.dataStyle));
  return status;
}
