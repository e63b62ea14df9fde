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

import type { Output, Styler } from "../core/output.js";
import { jsonSafe, terminalLine as line, terminalText } from "../core/sanitize.js";
import type { AgentEvent, AnalysisFailure, AnalysisStats } from "./engine/protocol.js";
import type { PodSummary } from "./evidence.js";
import type { DiagnoseResult, PromptResult } from "./flow.js";
import type { Grounding } from "./grounding.js";
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
    if (finding.commands && finding.commands.length > 0) {
      lines.push(`   ${style.dim("Commands:")}`);
      for (const command of finding.commands) lines.push(`     ${line(command)}`);
    }
    lines.push("");
  });
  return lines.join("\n");
}

/**
 * `prompt 1,180 tokens · load 0.4s (preloaded in 5.2s, alongside 4.8s of evidence collection) ·
 * prefill 6.1s · generate 11.8s · first token 6.5s · 14.1 tokens/s · 212 answer tokens`
 */
export function renderFigures(stats: AnalysisStats): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const preloaded =
    stats.preloadMs === undefined
      ? ""
      : ` (preloaded in ${s(stats.preloadMs)}${stats.collectMs === undefined ? "" : `, alongside ${s(stats.collectMs)} of evidence collection`})`;
  return [
    `prompt ${n(stats.promptTokens)} tokens`,
    ...(stats.loadMs === undefined ? [] : [`load ${s(stats.loadMs)}${preloaded}`]),
    ...(stats.prefillMs === undefined ? [] : [`prefill ${s(stats.prefillMs)}`]),
    ...(stats.generateMs === undefined ? [] : [`generate ${s(stats.generateMs)}`]),
    `first token ${(stats.timeToFirstTokenMs / 1000).toFixed(1)}s`,
    `${stats.tokensPerSecond.toFixed(1)} tokens/s`,
    `${n(stats.completionTokens)} answer tokens`,
    ...(stats.doneReason === "length" ? ["stopped at the length limit"] : []),
  ].join(" · ");
}

/**
 * After the answer: what in its Evidence and Fix parts is not from the evidence, and a root cause
 * other than findings[0]'s. The items are the model's text, so they are printed sanitised.
 */
export function renderGrounding(grounding: Grounding, rootCause: string | undefined, style: Styler): string {
  if (grounding.checked === 0 && grounding.contradiction === null) {
    return style.dim(
      "Checked against the evidence: the answer names no resource, value or command to check.",
    );
  }
  if (grounding.ok) {
    return style.dim(
      grounding.checked === 1
        ? "Checked against the evidence: the one name, value or command in Evidence and Fix is in it."
        : `Checked against the evidence: all ${grounding.checked} names, values and commands in Evidence and Fix are in it.`,
    );
  }
  const lines: string[] = [];
  if (grounding.unmatched.length > 0) {
    lines.push(
      style.yellow(
        `Checked against the evidence: ${grounding.unmatched.length} of ${grounding.checked} items in the answer ${grounding.unmatched.length === 1 ? "is" : "are"} not from the evidence:`,
      ),
    );
    const shown = grounding.unmatched.slice(0, MAX_UNMATCHED_SHOWN);
    for (const item of shown) {
      lines.push(
        `  ${style.yellow("✗")} ${item.section}: ${item.kind} ${line(item.text)}  ${style.dim("(not from the evidence)")}`,
      );
    }
    const more = grounding.unmatched.length - shown.length;
    if (more > 0) lines.push(`  ${style.dim(`… and ${more} more (-o json lists them all)`)}`);
  }
  if (grounding.contradiction) {
    lines.push(
      style.yellow(
        `The answer points at ${grounding.contradiction.answer}, but the root cause found is ${grounding.contradiction.rootCause}${rootCause ? ` (${line(rootCause)})` : ""}: trust the findings.`,
      ),
    );
  }
  return lines.join("\n");
}

const MAX_UNMATCHED_SHOWN = 12;

/** Why an answer stopped early, for the marker line after it. */
const CUT_OFF_REASONS: Record<AnalysisFailure, string> = {
  "cut-off": "the stream from Ollama broke off (see the warning)",
  deadline: "it ran past its time limit (see the warning)",
  unreachable: "Ollama stopped answering (see the warning)",
  "model-missing": "the model went away (see the warning)",
  failed: "Ollama reported an error (see the warning)",
};

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

export interface StreamRenderer {
  (event: AgentEvent): void;
  /**
   * The run stopped (Ctrl-C, an error) while an answer was being printed: ends its line and marks
   * it `answer cut off: <why>`, so a partial answer never ends in a half line. No-op otherwise.
   */
  cutOff(why: string): void;
}

/** Handles the run's events as they arrive. */
export function createStreamRenderer(options: StreamRendererOptions): StreamRenderer {
  const { write, out, format } = options;
  const human = format === "text";
  const style = out.dataStyle;
  let model = "";
  let answering = false;
  let atLineStart = true;
  let rootCause: string | undefined;
  const cutOff = (why: string) => {
    if (!human || !answering) return;
    write(`${atLineStart ? "" : "\n"}${style.yellow(`answer cut off: ${line(why)}`)}\n`);
    answering = false;
    atLineStart = true;
  };
  const handle = (event: AgentEvent) => {
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
        rootCause = event.findings[0]?.summary;
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
        {
          const text = terminalText(event.text);
          write(text);
          if (text !== "") atLineStart = text.endsWith("\n");
        }
        break;
      case "analysis-failed":
        if (answering) {
          cutOff(CUT_OFF_REASONS[event.reason] ?? "the model stopped (see the warning)");
          if (human) write("\n");
        }
        answering = false;
        out.warn(`no explanation from the model: ${line(event.message)}`);
        if (event.hint) out.info(`  ${out.style.cyan("fix:")} ${line(event.hint)}`);
        break;
      case "done":
        if (human && event.stats) {
          let end = answering ? (atLineStart ? "\n" : "\n\n") : "";
          if (answering && event.stats.doneReason === "length") {
            cutOff(`it reached the answer limit of ${event.stats.completionTokens} tokens`);
            end = "\n";
          }
          const grounding = event.grounding ? `${renderGrounding(event.grounding, rootCause, style)}\n` : "";
          write(`${end}${grounding}${style.dim(renderFigures(event.stats))}\n`);
        }
        answering = false;
        atLineStart = true;
        break;
      default:
        break;
    }
  };
  return Object.assign(handle, { cutOff });
}
