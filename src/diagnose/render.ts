/**
 * What `sre-lab diagnose` prints. Human mode, on stdout: the findings as soon as they are known
 * (root cause first, with evidence and the fix), then the model's answer token by token, then the
 * figures (prompt tokens, time to first token, tokens per second). Progress, notes and warnings go
 * to stderr. `-o json` prints one document at the end and nothing else on stdout.
 *
 * Everything that comes from the evidence or the model is untrusted (names, messages, log lines,
 * the answer can carry escape sequences, bidi controls and forged line breaks), so every such
 * field goes through the one sanitiser (core/sanitize.ts) before it is written.
 */
import type { AgentEvent, AnalysisStats } from "../agent/protocol.js";
import type { Output, Styler } from "../core/output.js";
import { jsonSafe, terminalLine as line, terminalText } from "../core/sanitize.js";
import type { PodSummary } from "./evidence.js";
import type { DiagnoseResult, PromptResult } from "./flow.js";
import type { Finding } from "./types.js";

export function renderPodLine(pod: PodSummary, style: Styler): string {
  const facts = [pod.phase, pod.node ? `node ${pod.node}` : "not scheduled", pod.owner].filter(
    (f): f is string => f !== undefined,
  );
  return `${style.bold(line(`Pod ${pod.namespace}/${pod.name}`))} (${line(facts.join(", "))})`;
}

export function renderFindings(pod: PodSummary, findings: readonly Finding[], style: Styler): string {
  const lines = [renderPodLine(pod, style), ""];
  findings.forEach((finding, index) => {
    const color =
      finding.severity === "critical"
        ? style.red
        : finding.severity === "warning"
          ? style.yellow
          : style.green;
    const container = finding.container ? ` · container ${line(finding.container)}` : "";
    const root = index === 0 && finding.code !== "Healthy" ? `  ${style.dim("← root cause")}` : "";
    lines.push(
      `${index + 1}. ${style.bold(color(line(finding.code)))} [${line(finding.severity)}]${container}${root}`,
    );
    lines.push(`   ${line(finding.summary)}`);
    if (finding.evidence.length > 0) {
      lines.push(`   ${style.dim("Evidence:")}`);
      for (const evidence of finding.evidence) lines.push(`     - ${line(evidence)}`);
    }
    if (finding.remediation) lines.push(`   ${style.cyan("Fix:")} ${line(finding.remediation)}`);
    lines.push("");
  });
  return lines.join("\n");
}

/** `prompt 1,180 tokens · first token 2.4s · 14.1 tokens/s · 212 answer tokens` */
export function renderFigures(stats: AnalysisStats): string {
  const n = (value: number) => value.toLocaleString("en-US");
  return [
    `prompt ${n(stats.promptTokens)} tokens`,
    `first token ${(stats.timeToFirstTokenMs / 1000).toFixed(1)}s`,
    `${stats.tokensPerSecond.toFixed(1)} tokens/s`,
    `${n(stats.completionTokens)} answer tokens`,
    ...(stats.doneReason === "length" ? ["stopped at the length limit"] : []),
  ].join(" · ");
}

/** The exact messages, each under a header line; then the size. */
export function renderPrompt(prompt: PromptResult): string {
  const parts = prompt.messages.map(
    (m, i) => `--- ${m.role} (message ${i + 1} of ${prompt.messages.length}) ---\n${terminalText(m.content)}`,
  );
  parts.push(
    `--- ${prompt.estimatedTokens} estimated tokens; sent with num_ctx ${prompt.numCtx}, room for ${prompt.maxAnswerTokens} answer tokens ---`,
  );
  return `${parts.join("\n")}\n`;
}

/** The JSON document of `-o json`: { pod, findings, analysis }. */
export function jsonDocument(result: DiagnoseResult): string {
  return jsonSafe(
    JSON.stringify({ pod: result.pod, findings: result.findings, analysis: result.analysis }, null, 2),
  );
}

/** With --print-prompt and -o json: the pod and the messages, as data. */
export function jsonPrompt(result: DiagnoseResult): string {
  return jsonSafe(JSON.stringify({ pod: result.pod, ...result.prompt }, null, 2));
}

export interface StreamRendererOptions {
  /** Raw stdout (tokens arrive without newlines). */
  write: (text: string) => void;
  out: Output;
  format: "text" | "json";
  printPrompt: boolean;
}

/** Handles the run's events as they arrive. */
export function createStreamRenderer(options: StreamRendererOptions): (event: AgentEvent) => void {
  const { write, out, format } = options;
  const human = format === "text";
  const style = out.dataStyle;
  let model = "";
  let answering = false;
  return (event) => {
    switch (event.type) {
      case "start":
        out.debug(line(`agent ${event.version} started for ${event.pod.namespace}/${event.pod.name}`));
        break;
      case "source-failed":
        if (event.name === "prometheus") out.info(`note: no Prometheus figures: ${line(event.error)}`);
        else
          out.warn(
            `could not read the pod's ${line(event.name)}: ${line(event.error)} (diagnosing without it)`,
          );
        break;
      case "findings":
        out.info(
          `evidence: ${line(
            event.sources
              .filter((s) => s.ok)
              .map((s) => (s.detail ? `${s.name}: ${s.detail}` : s.name))
              .join("; "),
          )}`,
        );
        if (human && !options.printPrompt) write(renderFindings(event.pod, event.findings, style));
        break;
      case "prompt":
        if (human) write(renderPrompt(event));
        break;
      case "model":
        model = event.model;
        out.info(
          line(`asking ${event.model} at ${event.host} (about ${event.estimatedTokens} prompt tokens)…`),
        );
        break;
      case "token":
        if (!human) break;
        if (!answering) write(`\n${style.bold(`Analysis by ${model}`)}\n`);
        answering = true;
        write(terminalText(event.text));
        break;
      case "analysis-failed":
        if (human && answering) write(`\n${style.dim("[the answer was cut off here]")}\n\n`);
        answering = false;
        out.warn(`no explanation from the model: ${line(event.message)}`);
        if (event.hint) out.info(`  ${out.style.cyan("fix:")} ${line(event.hint)}`);
        break;
      case "done":
        if (human && event.stats)
          write(`${answering ? "\n\n" : ""}${style.dim(renderFigures(event.stats))}\n`);
        answering = false;
        break;
      default:
        break;
    }
  };
}
