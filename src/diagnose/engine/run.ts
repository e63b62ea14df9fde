/**
 * One diagnosis, as events: the evidence is redacted first, analysed, the findings sent at once,
 * then (depending on the mode) the prompt, or the model's answer token by token, then `done`.
 *
 * The same function runs in the in-cluster agent (events become NDJSON on stdout), with --local
 * (evidence from the CLI's kube client, Ollama through a port-forward) and with --bundle (evidence
 * from a file); the caller decides where the evidence and the model come from.
 *
 * The model is optional by design: when Ollama is down, lacks the model or stops mid-answer, an
 * `analysis-failed` event says why and how to fix it, and the run still ends with `done`.
 */

import { InterruptedError, SreLabError } from "../../core/errors.js";
import type { OllamaClient } from "../../ollama/client.js";
import {
  OllamaAnswerCutOffError,
  OllamaDeadlineError,
  OllamaModelMissingError,
  OllamaUnreachableError,
} from "../../ollama/errors.js";
import { analyze } from "../analyze/index.js";
import { encodeBundleChunks } from "../bundle-transfer.js";
import { addMetricsEvidence } from "../collect-metrics.js";
import { type Evidence, podSummary } from "../evidence.js";
import { checkGrounding } from "../grounding.js";
import { buildPrompt, NUM_CTX } from "../prompt.js";
import { redactBundleAsync, redactText } from "../redact.js";
import type { AgentMode } from "./config.js";
import type { AgentEvent, AnalysisFailure } from "./protocol.js";

/** Low but not zero: the answer should restate the findings, not improvise. */
const TEMPERATURE = 0.2;
/**
 * How long the preload asks Ollama to keep the model after it (the lab's OLLAMA_KEEP_ALIVE too): the
 * next diagnosis within the hour finds it in memory. The answer itself sends no keep_alive, so it
 * keeps whatever duration the model has (server/sched.go useLoadedRunner).
 */
export const DIAGNOSE_KEEP_ALIVE = "1h";

export interface DiagnosisRequest {
  mode: AgentMode;
  model: string;
  /** Also emit the redacted bundle (for --save-bundle). */
  emitBundle: boolean;
  /** Where the model runs, for the hints: "cluster" (the agent's Job) or "host". */
  modelLocation: "cluster" | "host";
  answerTimeoutMs?: number | undefined;
  /**
   * Open the way to the model and ask Ollama to load it as soon as the run starts, alongside
   * evidence collection (the agent and --local; not --bundle, whose evidence is already there).
   */
  preload?: boolean;
}

export interface ModelConnection {
  client: OllamaClient;
  close(): Promise<void>;
}

export interface DiagnosisDeps {
  evidence(): Promise<Evidence>;
  /** Opens the way to Ollama (a port-forward, or nothing); only called in "analyze" mode. */
  connectModel(): Promise<ModelConnection>;
  emit(event: AgentEvent): void;
  signal?: AbortSignal;
}

/** The way to the model opened early, and the load asked for through it. */
interface Preload {
  connection: Promise<ModelConnection>;
  /** The load's wall-clock time, or undefined when it failed (the answer then reports why). */
  loaded: Promise<number | undefined>;
  /** Ends a load still under way when the run ends without needing it. */
  stop: AbortController;
}

function startPreload(request: DiagnosisRequest, deps: DiagnosisDeps): Preload {
  const stop = new AbortController();
  const connection = deps.connectModel();
  const loaded = connection.then(
    (opened) =>
      opened.client
        .load({
          model: request.model,
          numCtx: NUM_CTX,
          keepAlive: DIAGNOSE_KEEP_ALIVE,
          signal: stop.signal,
          ...(request.answerTimeoutMs === undefined ? {} : { timeoutMs: request.answerTimeoutMs }),
        })
        .then(
          (result) => result.ms,
          // A failed preload never fails the diagnosis: the answer's own request reports the cause.
          () => undefined,
        ),
    () => undefined,
  );
  return { connection, loaded, stop };
}

export async function runDiagnosis(request: DiagnosisRequest, deps: DiagnosisDeps): Promise<void> {
  const preload =
    request.mode === "analyze" && request.preload === true ? startPreload(request, deps) : undefined;
  let handedOver = false;
  try {
    await diagnose(request, deps, preload, () => {
      handedOver = true;
    });
  } finally {
    if (preload) {
      preload.stop.abort();
      // The connection is closed by the model step once it has it; otherwise here.
      if (!handedOver)
        await preload.connection.then(
          (c) => c.close(),
          () => undefined,
        );
    }
  }
}

async function diagnose(
  request: DiagnosisRequest,
  deps: DiagnosisDeps,
  preload: Preload | undefined,
  handOver: () => void,
): Promise<void> {
  const collectStarted = performance.now();
  const evidence = await deps.evidence();
  const collectMs = performance.now() - collectStarted;
  // Redact before anything is emitted: nothing below sees a secret. In pieces, so that Ctrl-C is
  // honoured on hundreds of megabytes of log.
  const bundle = await redactBundleAsync(evidence.bundle, deps.signal);
  for (const source of evidence.sources) {
    if (!source.ok && source.error !== undefined)
      deps.emit({ type: "source-failed", name: source.name, error: redactText(source.error) });
  }
  const findings = addMetricsEvidence(analyze(bundle), evidence.metrics);
  // Ctrl-C during the analysis (or just after the redaction's last piece) still ends the run.
  await yieldToSignal(deps.signal);
  deps.emit({
    type: "findings",
    pod: podSummary(bundle),
    findings,
    sources: evidence.sources,
    metrics: evidence.metrics,
  });
  if (request.emitBundle) {
    for (const chunk of encodeBundleChunks({ bundle, metrics: evidence.metrics })) deps.emit(chunk);
  }
  if (request.mode === "no-ai") {
    await yieldToSignal(deps.signal);
    deps.emit({ type: "done" });
    return;
  }
  const prompt = buildPrompt(bundle, findings);
  if (request.mode === "prompt") {
    deps.emit({
      type: "prompt",
      messages: prompt.messages,
      estimatedTokens: prompt.estimatedTokens,
      numCtx: prompt.numCtx,
      maxAnswerTokens: prompt.maxAnswerTokens,
    });
    deps.emit({ type: "done" });
    return;
  }

  let connection: ModelConnection | undefined;
  let partialText = "";
  try {
    if (preload) handOver();
    connection = preload ? await preload.connection : await deps.connectModel();
    deps.emit({
      type: "model",
      model: request.model,
      host: connection.client.host,
      estimatedTokens: prompt.estimatedTokens,
    });
    const answer = await connection.client.chatStream({
      model: request.model,
      messages: prompt.messages,
      numCtx: prompt.numCtx,
      // The prompt was built so that it plus this many answer tokens fit numCtx.
      maxTokens: prompt.maxAnswerTokens,
      temperature: TEMPERATURE,
      onToken: (text) => {
        partialText += text;
        deps.emit({ type: "token", text });
      },
      ...(request.answerTimeoutMs === undefined
        ? {}
        : {
            timeoutMs: request.answerTimeoutMs,
            firstTokenTimeoutMs: Math.min(120_000, request.answerTimeoutMs),
          }),
    });
    const preloadMs = preload ? await preload.loaded : undefined;
    deps.emit({
      type: "done",
      stats: {
        model: request.model,
        promptTokens: answer.promptTokens,
        completionTokens: answer.completionTokens,
        timeToFirstTokenMs: Math.round(answer.timeToFirstTokenMs),
        tokensPerSecond: Math.round(answer.tokensPerSecond * 10) / 10,
        doneReason: answer.doneReason,
        ...optionalMs("loadMs", answer.loadMs),
        ...optionalMs("prefillMs", answer.prefillMs),
        ...optionalMs("generateMs", answer.generateMs),
        ...optionalMs("preloadMs", preloadMs),
        ...(preload ? optionalMs("collectMs", collectMs) : {}),
      },
      grounding: checkGrounding({
        answer: answer.text,
        evidence: prompt.messages.filter((m) => m.role !== "system").map((m) => m.content),
        findings,
      }),
    });
  } catch (error) {
    if (error instanceof InterruptedError || deps.signal?.aborted) throw new InterruptedError();
    deps.emit(analysisFailed(error, request, partialText));
    deps.emit({ type: "done" });
  } finally {
    await connection?.close();
  }
}

/** Lets a pending signal be delivered, then throws InterruptedError when the run was aborted. */
async function yieldToSignal(signal: AbortSignal | undefined): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new InterruptedError();
}

function optionalMs<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: Math.round(value) } as Record<K, number>);
}

function analysisFailed(error: unknown, request: DiagnosisRequest, partialText: string): AgentEvent {
  const reason: AnalysisFailure =
    error instanceof OllamaUnreachableError
      ? "unreachable"
      : error instanceof OllamaModelMissingError
        ? "model-missing"
        : error instanceof OllamaAnswerCutOffError
          ? "cut-off"
          : error instanceof OllamaDeadlineError
            ? "deadline"
            : "failed";
  // Not redacted: the message is the Ollama client's (host, model, Ollama's error), not pod data, and
  // the text rules would garble it ("after 5 tokens: Ollama reported" reads as a token pair).
  const message = error instanceof Error ? error.message : String(error);
  const hint = hintFor(reason, request, error);
  return {
    type: "analysis-failed",
    reason,
    message,
    ...(hint === undefined ? {} : { hint }),
    ...(partialText === "" ? {} : { partialText }),
  };
}

/** What to do, for where the model runs (the client's hints assume a port-forward on this machine). */
function hintFor(reason: AnalysisFailure, request: DiagnosisRequest, error: unknown): string | undefined {
  const inCluster = request.modelLocation === "cluster";
  switch (reason) {
    case "unreachable":
      return inCluster
        ? "check the lab's Ollama: kubectl -n ollama get pods (sre-lab status shows it); or skip the model with --no-ai"
        : "start Ollama or point --ollama-url at it; or skip the model with --no-ai";
    case "model-missing":
      return inCluster
        ? `the lab pulls it at start-up: sre-lab up (or kubectl -n ollama exec deploy/ollama -- ollama pull ${request.model}); or use --no-ai`
        : `pull it: ollama pull ${request.model}; or use --no-ai`;
    case "cut-off":
    case "deadline":
      return error instanceof SreLabError && error.hint !== undefined
        ? error.hint
        : "run it again; on a slow machine allow more time with --timeout";
    default:
      return error instanceof SreLabError ? error.hint : undefined;
  }
}
