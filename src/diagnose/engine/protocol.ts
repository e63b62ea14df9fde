/**
 * What the diagnose agent tells the CLI: one JSON object per line (NDJSON) on stdout, which the CLI
 * reads back from the agent pod's log stream (or receives in-process with --local and --bundle).
 *
 * Every line is pure ASCII (non-ASCII characters are \u-escaped): the log stream reaches the CLI in
 * chunks that are decoded one at a time, and an escaped line cannot be split inside a character.
 * Lines that are not events (a Node warning, a crash's stack trace on stderr, which shares the pod
 * log) are kept as raw text: the CLI shows the last of them when the agent fails.
 *
 * Everything in an event has been redacted by the agent before it is printed.
 */
import type { ContainerMetrics, PodSummary, SourceStatus } from "../evidence.js";
import type { Grounding } from "../grounding.js";
import type { ChatMessage } from "../prompt.js";
import type { Finding } from "../types.js";

export interface AnalysisStats {
  model: string;
  /** Ollama's prompt_eval_count. */
  promptTokens: number;
  completionTokens: number;
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
  doneReason: string;
  /** Ollama's load_duration of the answer (ms): how long the answer still waited for the model. */
  loadMs?: number;
  /** Ollama's prompt_eval_duration (ms): evaluating the prompt. */
  prefillMs?: number;
  /** Ollama's eval_duration (ms): generating the answer. */
  generateMs?: number;
  /** The preload sent when the diagnosis started took this long (ms); absent if none or it failed. */
  preloadMs?: number;
  /** Collecting the evidence took this long (ms); the preload ran alongside it. */
  collectMs?: number;
}

export type AnalysisFailure = "unreachable" | "model-missing" | "cut-off" | "deadline" | "failed";

export type AgentEvent =
  | { type: "start"; version: string; pod: { namespace: string; name: string } }
  | { type: "source-failed"; name: string; error: string }
  | {
      type: "findings";
      pod: PodSummary;
      findings: Finding[];
      sources: SourceStatus[];
      metrics: ContainerMetrics[];
    }
  /** A piece of the redacted bundle (gzip, base64), sent only when the CLI asked for it. */
  | { type: "bundle"; seq: number; last: boolean; data: string }
  | {
      type: "prompt";
      messages: ChatMessage[];
      estimatedTokens: number;
      numCtx: number;
      maxAnswerTokens: number;
    }
  /** About to ask the model. */
  | { type: "model"; model: string; host: string; estimatedTokens: number }
  | { type: "token"; text: string }
  | {
      type: "analysis-failed";
      reason: AnalysisFailure;
      message: string;
      hint?: string;
      /** What the model had said before it stopped. */
      partialText?: string;
    }
  /** The agent could not diagnose at all; exitCode 2 for bad input (pod not found), else 1. */
  | { type: "error"; message: string; hint?: string; exitCode: number }
  /** The agent finished; stats when the model answered, and the answer checked against the evidence. */
  | { type: "done"; stats?: AnalysisStats; grounding?: Grounding };

export type AgentEventType = AgentEvent["type"];

const EVENT_TYPES: ReadonlySet<string> = new Set<AgentEventType>([
  "start",
  "source-failed",
  "findings",
  "bundle",
  "prompt",
  "model",
  "token",
  "analysis-failed",
  "error",
  "done",
]);

/** One line of NDJSON, ASCII only. */
export function encodeEvent(event: AgentEvent): string {
  return `${JSON.stringify(event).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}\n`;
}

/** The event on a line, or undefined when the line is not one of ours. */
export function decodeEvent(line: string): AgentEvent | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (typeof value !== "object" || value === null) return undefined;
    const type = (value as { type?: unknown }).type;
    return typeof type === "string" && EVENT_TYPES.has(type) ? (value as AgentEvent) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns log chunks into events. Keeps the last lines for error messages: every line but the model's
 * tokens (a crashed agent's stack trace, a Node warning, the events before it stopped).
 */
export class AgentLogParser {
  private pending = "";
  private readonly last: string[] = [];

  constructor(private readonly keepLines = 12) {}

  push(chunk: string): AgentEvent[] {
    this.pending += chunk;
    const lines = this.pending.split("\n");
    this.pending = lines.pop() ?? "";
    return this.take(lines);
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): AgentEvent[] {
    const rest = this.pending;
    this.pending = "";
    return rest.trim() === "" ? [] : this.take([rest]);
  }

  /** The last lines of the log except tokens, each at most 300 characters. */
  get lastLines(): string[] {
    return [...this.last];
  }

  private take(lines: string[]): AgentEvent[] {
    const events: AgentEvent[] = [];
    for (const raw of lines) {
      const line = raw.replace(/\r$/, "");
      const event = decodeEvent(line);
      if (event) events.push(event);
      if (line.trim() === "" || event?.type === "token" || event?.type === "bundle") continue;
      this.last.push(line.length > 300 ? `${line.slice(0, 297)}...` : line);
      if (this.last.length > this.keepLines) this.last.shift();
    }
    return events;
  }
}
