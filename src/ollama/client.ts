/**
 * The product's one door to Ollama: server version, model presence, pull with one aggregated progress
 * figure, and a streamed chat with timings. Whatever the `ollama` package or fetch throws is mapped here
 * to the SreLabError types in ./errors.ts; nothing above this module sees a ResponseError or a
 * "fetch failed".
 *
 * - The host is always explicit and OLLAMA_HOST is never read. The lab's Ollama runs in the cluster and
 *   is reached through a port-forward or cluster DNS name that the CLI chooses; a user's OLLAMA_HOST
 *   usually points at their desktop Ollama, and honouring it would send lab prompts to another server
 *   (other models, another default num_ctx) and make failures impossible to reproduce.
 * - The `ollama` package is imported on the first call, not at module load: CLI start-up must not pay
 *   for it (test/ollama/lazy-import.test.ts checks this in a fresh process).
 * - Every call has deadlines and honours the client's AbortSignal. The package takes no signal for its
 *   non-streaming calls, so each call builds its own `Ollama` instance (the constructor only stores
 *   config) whose `fetch` carries the call's signal.
 * - Every chat sends `options.num_ctx`. Ollama silently cuts a prompt longer than its context (a WARN in
 *   the server log, a normal 200 to us) and its default num_ctx depends on the machine's VRAM, so an
 *   explicit value is the only way to know what the model was given.
 */
import type { ChatRequest, Ollama } from "ollama";
import { formatDuration } from "../core/duration.js";
import { InterruptedError, SreLabError, throwIfAborted, UsageError } from "../core/errors.js";
import { formatDecimalBytes } from "../core/units.js";
import {
  OllamaAnswerCutOffError,
  OllamaDeadlineError,
  OllamaModelMissingError,
  OllamaUnreachableError,
  type PartialAnswer,
} from "./errors.js";
import { type PullProgress, PullProgressTracker } from "./pull-progress.js";

export type { PullProgress } from "./pull-progress.js";

export const DEFAULT_TIMEOUTS = {
  /** version, hasModel: a healthy Ollama answers these in milliseconds. */
  requestMs: 10_000,
  /** First token of a chat: covers loading phi3:mini on a CPU and evaluating a long prompt. */
  firstTokenMs: 120_000,
  /** A whole chat answer. */
  answerMs: 300_000,
  /** A whole pull (phi3:mini is about 2.2 GB). */
  pullMs: 3_600_000,
  /** A pull with no progress line for this long is stuck (Ollama ticks every 60 ms while downloading). */
  pullStallMs: 120_000,
} as const;

export interface OllamaClientOptions {
  /** Base URL of the lab's Ollama, e.g. "http://127.0.0.1:11434". Without a scheme "http://" is assumed, without a port 11434. */
  host: string;
  /** Deadline for version() and hasModel(). Default DEFAULT_TIMEOUTS.requestMs. */
  timeoutMs?: number;
  /** Aborts every call in flight (Ctrl-C); they then throw InterruptedError. */
  signal?: AbortSignal;
  /** The fetch the `ollama` package uses; for tests. Default globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatStreamRequest {
  model: string;
  messages: readonly ChatMessage[];
  /** Context size in tokens, always sent as options.num_ctx. The caller must keep the prompt within it. */
  numCtx: number;
  /** Longest answer in tokens (options.num_predict), so prompt + answer stay within numCtx. */
  maxTokens?: number;
  temperature?: number;
  /** Called with each piece of text as it arrives. */
  onToken: (token: string) => void;
  /** Default DEFAULT_TIMEOUTS.firstTokenMs. */
  firstTokenTimeoutMs?: number;
  /** Deadline for the whole answer. Default DEFAULT_TIMEOUTS.answerMs. */
  timeoutMs?: number;
}

export interface ChatStreamResult {
  text: string;
  /** Ollama's prompt_eval_count: tokens of the prompt it evaluated (0 if it did not say). */
  promptTokens: number;
  /** Ollama's eval_count, or the number of chunks received if it did not say. */
  completionTokens: number;
  /** From sending the request to the first piece of text, measured here. */
  timeToFirstTokenMs: number;
  /** eval_count / eval_duration as Ollama measured it; measured here if Ollama did not say. */
  tokensPerSecond: number;
  /** Ollama's done_reason: "stop", or "length" when num_predict or the context ran out; "unknown" if absent. */
  doneReason: string;
  /** Ollama's load_duration in ms: waiting for the model to be in memory (undefined if it did not say). */
  loadMs: number | undefined;
  /** Ollama's prompt_eval_duration in ms: evaluating the prompt (prefill). */
  prefillMs: number | undefined;
  /** Ollama's eval_duration in ms: generating the answer. */
  generateMs: number | undefined;
}

export interface LoadRequest {
  model: string;
  /** Sent as options.num_ctx: it must be the chat's, or Ollama reloads the model for the chat. */
  numCtx: number;
  /** How long Ollama keeps the model in memory after this request: a Go duration ("1h") or seconds. */
  keepAlive: string | number;
  /** Deadline for the load. Default DEFAULT_TIMEOUTS.firstTokenMs. */
  timeoutMs?: number;
  /** Ends the load early (the diagnosis finished without it); it then throws InterruptedError. */
  signal?: AbortSignal;
}

export interface LoadResult {
  /** Wall-clock time of the request: Ollama's "load" answer carries no durations. */
  ms: number;
}

export interface PullOptions {
  /** Deadline for the whole pull. Default DEFAULT_TIMEOUTS.pullMs. */
  timeoutMs?: number;
  /** Deadline between two progress lines. Default DEFAULT_TIMEOUTS.pullStallMs. */
  stallTimeoutMs?: number;
}

export interface OllamaClient {
  /** The normalized base URL every call goes to. */
  readonly host: string;
  /** The server's version, e.g. "0.6.5". */
  version(): Promise<string>;
  /** Whether the model is present; "phi3" and "phi3:latest" are the same model, case does not matter. */
  hasModel(name: string): Promise<boolean>;
  /** Pulls the model (a no-op download when present), reporting aggregate progress. */
  pull(name: string, onProgress: (progress: PullProgress) => void, options?: PullOptions): Promise<void>;
  /** Streams a chat answer; always sends options.num_ctx. */
  chatStream(request: ChatStreamRequest): Promise<ChatStreamResult>;
  /**
   * Loads the model into memory and keeps it there for `keepAlive`: a chat with no messages
   * (docs/api.md "Load a model"), answered with done_reason "load" once the model is resident.
   */
  load(request: LoadRequest): Promise<LoadResult>;
}

type OllamaPackage = typeof import("ollama");
let ollamaPackage: Promise<OllamaPackage> | undefined;

function loadOllamaPackage(): Promise<OllamaPackage> {
  ollamaPackage ??= import("ollama").catch((error: unknown) => {
    ollamaPackage = undefined;
    throw new SreLabError("the ollama package could not be loaded", {
      hint: "reinstall sre-lab (npm install -g sre-lab)",
      cause: error,
    });
  });
  return ollamaPackage;
}

export function createOllamaClient(options: OllamaClientOptions): OllamaClient {
  const host = normalizeHost(options.host);
  const requestTimeoutMs = positiveMs(options.timeoutMs, DEFAULT_TIMEOUTS.requestMs, "timeoutMs");
  const outerSignal = options.signal;

  async function open(scope: CallScope): Promise<Ollama> {
    const { Ollama } = await loadOllamaPackage();
    return new Ollama({ host, fetch: scope.fetchWith(options.fetch ?? globalThis.fetch) });
  }

  /** version/hasModel: one short request under one deadline. */
  async function request<T>(what: string, call: (ollama: Ollama) => Promise<T>): Promise<T> {
    throwIfAborted(outerSignal);
    const scope = new CallScope(outerSignal);
    scope.deadline(requestTimeoutMs, "deadline");
    try {
      return await call(await open(scope));
    } catch (error) {
      if (error instanceof SreLabError) throw error;
      if (scope.stopReason === "interrupted") throw new InterruptedError();
      if (scope.stopReason === "deadline") {
        throw new OllamaUnreachableError(host, `no response within ${formatDuration(requestTimeoutMs)}`, {
          cause: error,
        });
      }
      throw mapFailedRequest(host, what, error);
    } finally {
      scope.dispose();
    }
  }

  return {
    host,

    async version() {
      return request("asking for its version", async (ollama) => {
        const response: unknown = await ollama.version();
        const version = field(response, "version");
        if (typeof version !== "string") throw notOllama(host, "GET /api/version", response);
        return version;
      });
    },

    async hasModel(name) {
      const wanted = canonicalModelName(requireName(name));
      return request("listing its models", async (ollama) => {
        const response: unknown = await ollama.list();
        const models = field(response, "models");
        if (!Array.isArray(models)) throw notOllama(host, "GET /api/tags", response);
        return models.some((model: unknown) =>
          [field(model, "name"), field(model, "model")].some(
            (listed) => typeof listed === "string" && canonicalModelName(listed) === wanted,
          ),
        );
      });
    },

    async pull(name, onProgress, pullOptions = {}) {
      const model = requireName(name);
      const timeoutMs = positiveMs(pullOptions.timeoutMs, DEFAULT_TIMEOUTS.pullMs, "timeoutMs");
      const stallMs = positiveMs(pullOptions.stallTimeoutMs, DEFAULT_TIMEOUTS.pullStallMs, "stallTimeoutMs");
      throwIfAborted(outerSignal);
      const scope = new CallScope(outerSignal);
      scope.deadline(timeoutMs, "deadline");
      let cancelStall = scope.deadline(stallMs, "stalled");
      const tracker = new PullProgressTracker();
      let last: PullProgress | undefined;
      try {
        const ollama = await open(scope);
        const stream = await ollama.pull({ model, stream: true });
        for await (const line of stream) {
          cancelStall();
          cancelStall = scope.deadline(stallMs, "stalled");
          last = tracker.update(line);
          callBack(onProgress, last);
        }
      } catch (error) {
        throw mapPullError(error, { host, model, scope, last, timeoutMs, stallMs });
      } finally {
        scope.dispose();
      }
    },

    async load(load) {
      const model = requireName(load.model);
      if (!Number.isInteger(load.numCtx) || load.numCtx <= 0) {
        throw new UsageError(`num_ctx must be a positive whole number of tokens, not ${load.numCtx}`);
      }
      const timeoutMs = positiveMs(load.timeoutMs, DEFAULT_TIMEOUTS.firstTokenMs, "timeoutMs");
      throwIfAborted(outerSignal);
      throwIfAborted(load.signal);
      const scope = new CallScope(
        load.signal === undefined
          ? outerSignal
          : outerSignal === undefined
            ? load.signal
            : AbortSignal.any([outerSignal, load.signal]),
      );
      scope.deadline(timeoutMs, "deadline");
      const started = performance.now();
      try {
        const ollama = await open(scope);
        const response: unknown = await ollama.chat({
          model,
          messages: [],
          stream: false,
          keep_alive: load.keepAlive,
          options: { num_ctx: load.numCtx },
        });
        if (field(response, "done") !== true) throw notOllama(host, "POST /api/chat (load)", response);
        return { ms: performance.now() - started };
      } catch (error) {
        if (error instanceof SreLabError) throw error;
        if (scope.stopReason === "interrupted") throw new InterruptedError();
        if (scope.stopReason === "deadline") {
          throw new OllamaDeadlineError(
            `loading ${model} in Ollama at ${host} did not finish within ${formatDuration(timeoutMs)}`,
            { partialText: "", tokens: 0 },
            { cause: error },
          );
        }
        const failure = classifyFailure(error);
        if (failure.kind === "http" && failure.status === 404)
          throw new OllamaModelMissingError(model, host, { cause: error });
        throw mapFailedRequest(host, `loading ${model}`, error);
      } finally {
        scope.dispose();
      }
    },

    async chatStream(chat) {
      const model = requireName(chat.model);
      if (chat.messages.length === 0) throw new UsageError("a chat needs at least one message");
      if (!Number.isInteger(chat.numCtx) || chat.numCtx <= 0) {
        throw new UsageError(`num_ctx must be a positive whole number of tokens, not ${chat.numCtx}`);
      }
      if (chat.temperature !== undefined && !Number.isFinite(chat.temperature)) {
        throw new UsageError(`temperature must be a number, not ${chat.temperature}`);
      }
      const firstTokenMs = positiveMs(
        chat.firstTokenTimeoutMs,
        DEFAULT_TIMEOUTS.firstTokenMs,
        "firstTokenTimeoutMs",
      );
      const answerMs = positiveMs(chat.timeoutMs, DEFAULT_TIMEOUTS.answerMs, "timeoutMs");
      throwIfAborted(outerSignal);

      const scope = new CallScope(outerSignal);
      scope.deadline(answerMs, "deadline");
      const cancelFirstToken = scope.deadline(firstTokenMs, "first-token");
      const partial: PartialAnswer = { partialText: "", tokens: 0 };
      const body: ChatRequest & { stream: true } = {
        model,
        messages: chat.messages.map((m) => ({ role: m.role, content: m.content })),
        stream: true,
        options: {
          num_ctx: chat.numCtx,
          ...(chat.maxTokens === undefined ? {} : { num_predict: chat.maxTokens }),
          ...(chat.temperature === undefined ? {} : { temperature: chat.temperature }),
        },
      };
      let streaming = false;
      let sentAt = performance.now();
      let firstTokenAt: number | undefined;
      let final: unknown;
      try {
        const ollama = await open(scope);
        sentAt = performance.now();
        const stream = await ollama.chat(body);
        streaming = true;
        for await (const chunk of stream) {
          // Any chunk means the model is producing; a first chunk may carry no text.
          cancelFirstToken();
          const piece = field(field(chunk, "message"), "content");
          if (typeof piece === "string" && piece !== "") {
            firstTokenAt ??= performance.now();
            partial.partialText += piece;
            partial.tokens += 1;
            callBack(chat.onToken, piece);
          }
          if (field(chunk, "done") === true) final = chunk;
        }
      } catch (error) {
        throw mapChatError(error, { host, model, scope, streaming, partial, firstTokenMs, answerMs });
      } finally {
        scope.dispose();
      }
      if (final === undefined) {
        // The package throws when a stream ends without `done`; this guards against that changing.
        throw new OllamaAnswerCutOffError(model, "the stream ended without its final chunk", partial);
      }

      const endedAt = performance.now();
      const evalCount = count(field(final, "eval_count"));
      const evalDurationNs = count(field(final, "eval_duration"));
      const doneReason = field(final, "done_reason");
      const measuredSeconds = firstTokenAt === undefined ? 0 : (endedAt - firstTokenAt) / 1000;
      return {
        text: partial.partialText,
        promptTokens: count(field(final, "prompt_eval_count")) ?? 0,
        completionTokens: evalCount ?? partial.tokens,
        timeToFirstTokenMs: (firstTokenAt ?? endedAt) - sentAt,
        tokensPerSecond:
          evalCount !== undefined && evalDurationNs !== undefined && evalDurationNs > 0
            ? evalCount / (evalDurationNs / 1e9)
            : measuredSeconds > 0
              ? partial.tokens / measuredSeconds
              : 0,
        doneReason: typeof doneReason === "string" && doneReason !== "" ? doneReason : "unknown",
        loadMs: nsToMs(field(final, "load_duration")),
        prefillMs: nsToMs(field(final, "prompt_eval_duration")),
        generateMs: evalDurationNs === undefined ? undefined : evalDurationNs / 1e6,
      };
    },
  };
}

/** "phi3" → "phi3:latest", lower case, without the default registry prefix: how Ollama matches names. */
export function canonicalModelName(name: string): string {
  let canonical = name.trim().toLowerCase();
  for (const prefix of ["registry.ollama.ai/", "library/"]) {
    if (canonical.startsWith(prefix)) canonical = canonical.slice(prefix.length);
  }
  const lastSegment = canonical.slice(canonical.lastIndexOf("/") + 1);
  return lastSegment.includes(":") ? canonical : `${canonical}:latest`;
}

/** "127.0.0.1:11434" → "http://127.0.0.1:11434"; "ollama.lab.svc" → "http://ollama.lab.svc:11434". */
export function normalizeHost(host: string): string {
  const trimmed = host.trim();
  const hint = "give the URL of the lab's Ollama, for example http://127.0.0.1:11434";
  if (trimmed === "") throw new UsageError("no Ollama host given", { hint });
  const explicitScheme = trimmed.includes("://");
  let url: URL;
  try {
    url = new URL(explicitScheme ? trimmed : `http://${trimmed}`);
  } catch (error) {
    throw new UsageError(`not a valid Ollama host: ${host}`, { hint, cause: error });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`not a valid Ollama host: ${host} (only http and https)`, { hint });
  }
  if (!explicitScheme && url.port === "") url.port = "11434";
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

type StopReason = "interrupted" | "deadline" | "first-token" | "stalled" | "finished";

class CallStopped extends Error {
  readonly reason: StopReason;
  constructor(reason: StopReason) {
    super(`Ollama call stopped: ${reason}`);
    this.reason = reason;
  }
}

/**
 * One call's abort controller, deadlines and link to the client's signal. The first stop reason wins,
 * so an error can be explained by why the call was stopped rather than by how fetch reported it.
 */
class CallScope {
  private readonly controller = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly outer: AbortSignal | undefined;
  private readonly onOuterAbort = () => this.stop("interrupted");

  constructor(outer: AbortSignal | undefined) {
    this.outer = outer;
    outer?.addEventListener("abort", this.onOuterAbort, { once: true });
  }

  get stopReason(): StopReason | undefined {
    const reason: unknown = this.controller.signal.reason;
    return reason instanceof CallStopped ? reason.reason : undefined;
  }

  stop(reason: StopReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(new CallStopped(reason));
  }

  /** Stops the call with `reason` after `ms`; returns a function that cancels this deadline. */
  deadline(ms: number, reason: StopReason): () => void {
    const timer = setTimeout(() => this.stop(reason), ms);
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  fetchWith(fetchImpl: typeof fetch): typeof fetch {
    const own = this.controller.signal;
    return (input, init) =>
      fetchImpl(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, own]) : own });
  }

  /** Ends the call: clears timers, unhooks the client's signal, and aborts any body still being read. */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.outer?.removeEventListener("abort", this.onOuterAbort);
    this.stop("finished");
  }
}

/** Marks an exception thrown by the caller's callback so it is rethrown unchanged, not mapped. */
class CallbackFailed extends Error {
  readonly original: unknown;
  constructor(original: unknown) {
    super("callback failed");
    this.original = original;
  }
}

function callBack<T>(callback: (value: T) => void, value: T): void {
  try {
    callback(value);
  } catch (error) {
    throw new CallbackFailed(error);
  }
}

interface PullContext {
  host: string;
  model: string;
  scope: CallScope;
  last: PullProgress | undefined;
  timeoutMs: number;
  stallMs: number;
}

function mapPullError(
  error: unknown,
  { host, model, scope, last, timeoutMs, stallMs }: PullContext,
): unknown {
  if (error instanceof CallbackFailed) return error.original;
  if (error instanceof SreLabError) return error;
  const lastSeen = last === undefined ? "" : ` (last: ${describeProgress(last)})`;
  const rerun = "run it again; Ollama resumes a pull where it stopped";
  switch (scope.stopReason) {
    case "interrupted":
      return new InterruptedError();
    case "stalled":
      if (last === undefined) {
        return new OllamaUnreachableError(host, `no response within ${formatDuration(stallMs)}`, {
          cause: error,
        });
      }
      return new OllamaDeadlineError(
        `pulling ${model} stalled: no progress from Ollama at ${host} for ${formatDuration(stallMs)}${lastSeen}`,
        { partialText: "", tokens: 0 },
        { hint: `check that the Ollama pod can reach registry.ollama.ai, then ${rerun}`, cause: error },
      );
    case "deadline":
      return new OllamaDeadlineError(
        `pulling ${model} did not finish within ${formatDuration(timeoutMs)}${lastSeen}`,
        { partialText: "", tokens: 0 },
        { hint: rerun, cause: error },
      );
  }
  const failure = classifyFailure(error);
  if (failure.kind === "http") {
    return new SreLabError(`Ollama at ${host} could not pull ${model}: ${failure.message}`, {
      details: `HTTP ${failure.status}`,
      hint: rerun,
      cause: error,
    });
  }
  if (failure.kind === "network" && last === undefined) {
    return new OllamaUnreachableError(host, failure.message, { cause: error });
  }
  if (failure.kind === "server") {
    if (/file does not exist/.test(failure.message)) {
      return new SreLabError(`Ollama could not find ${model} in the model registry`, {
        details: `Ollama said: ${failure.message}`,
        hint: "check the model name (for example phi3:mini)",
        cause: error,
      });
    }
    return new SreLabError(`Ollama at ${host} could not pull ${model}: ${failure.message}`, {
      hint: rerun,
      cause: error,
    });
  }
  return new SreLabError(`pulling ${model} was cut off${lastSeen}: ${failure.message}`, {
    hint: rerun,
    cause: error,
  });
}

interface ChatContext {
  host: string;
  model: string;
  scope: CallScope;
  streaming: boolean;
  partial: PartialAnswer;
  firstTokenMs: number;
  answerMs: number;
}

function mapChatError(error: unknown, context: ChatContext): unknown {
  const { host, model, scope, streaming, partial, firstTokenMs, answerMs } = context;
  if (error instanceof CallbackFailed) return error.original;
  if (error instanceof SreLabError) return error;
  const slowHint =
    "the model may still be loading or the prompt is long for this machine; try again, or allow more time";
  switch (scope.stopReason) {
    case "interrupted":
      return new InterruptedError();
    case "first-token":
      return new OllamaDeadlineError(
        `${model} at ${host} produced no first token within ${formatDuration(firstTokenMs)}`,
        partial,
        { hint: slowHint, cause: error },
      );
    case "deadline":
      return new OllamaDeadlineError(
        partial.tokens === 0
          ? `${model} at ${host} did not answer within ${formatDuration(answerMs)}`
          : `the answer from ${model} did not finish within ${formatDuration(answerMs)}; cut off after ${partial.tokens} tokens`,
        partial,
        { hint: slowHint, cause: error },
      );
  }
  const failure = classifyFailure(error);
  if (!streaming) {
    if (failure.kind === "http" && failure.status === 404)
      return new OllamaModelMissingError(model, host, { cause: error });
    if (failure.kind === "http") {
      return new SreLabError(`Ollama at ${host} failed to answer with ${model}: ${failure.message}`, {
        details: `HTTP ${failure.status}`,
        hint: "read the Ollama pod's log; a runner that was killed usually ran out of memory",
        cause: error,
      });
    }
    if (failure.kind === "network")
      return new OllamaUnreachableError(host, failure.message, { cause: error });
    return new SreLabError(`asking ${model} at ${host} failed: ${failure.message}`, { cause: error });
  }
  const why =
    failure.kind === "server"
      ? `Ollama reported: ${failure.message}`
      : failure.kind === "ended"
        ? "the stream ended without its final chunk"
        : `the connection to Ollama at ${host} broke (${failure.message})`;
  return new OllamaAnswerCutOffError(model, why, partial, { cause: error });
}

type Failure =
  | { kind: "http"; status: number; message: string }
  | { kind: "network"; message: string }
  | { kind: "server"; message: string }
  | { kind: "ended"; message: string }
  | { kind: "other"; message: string };

const STREAM_ENDED_EARLY = "Did not receive done or success response in stream.";

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
};

/**
 * How the `ollama` package reports failures (read from its source, proven in fake-ollama.test.ts):
 * an HTTP error status → ResponseError with `status_code` (not exported, so matched by shape); an
 * in-band `{"error": …}` line → a plain Error with the server's message; a stream without `done` → a
 * plain Error with STREAM_ENDED_EARLY; transport problems → fetch's TypeError with a coded `cause`.
 */
function classifyFailure(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  const status = field(error, "status_code");
  if (typeof status === "number") return { kind: "http", status, message };
  const code = networkCode(error);
  if (code !== undefined) return { kind: "network", message: NETWORK_CODES[code] ?? code };
  if (error instanceof TypeError) return { kind: "other", message };
  if (message === STREAM_ENDED_EARLY) return { kind: "ended", message };
  if (error instanceof Error && Object.getPrototypeOf(error) === Error.prototype)
    return { kind: "server", message };
  return { kind: "other", message };
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = field(current, "code");
    if (typeof code === "string" && code in NETWORK_CODES) return code;
    const nested = field(current, "errors");
    if (Array.isArray(nested)) {
      for (const inner of nested) {
        const innerCode = networkCode(inner);
        if (innerCode !== undefined) return innerCode;
      }
    }
    current = field(current, "cause");
  }
  return undefined;
}

function mapFailedRequest(host: string, what: string, error: unknown): SreLabError {
  const failure = classifyFailure(error);
  if (failure.kind === "network") return new OllamaUnreachableError(host, failure.message, { cause: error });
  if (failure.kind === "http") {
    return new SreLabError(`Ollama at ${host} failed ${what}: ${failure.message}`, {
      details: `HTTP ${failure.status}`,
      hint: "read the Ollama pod's log",
      cause: error,
    });
  }
  if (error instanceof SyntaxError) return notOllama(host, what, undefined, error);
  return new SreLabError(`talking to Ollama at ${host} failed while ${what}: ${failure.message}`, {
    cause: error,
  });
}

function notOllama(host: string, what: string, response: unknown, cause?: unknown): SreLabError {
  const shown = response === undefined ? "" : JSON.stringify(response)?.slice(0, 200);
  return new SreLabError(`the server at ${host} does not answer like Ollama (${what})`, {
    hint: "check that the host points at the lab's Ollama service, not another port",
    ...(shown ? { details: `it answered: ${shown}` } : {}),
    cause,
  });
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Ollama's durations are nanoseconds (docs/api.md "Durations"). */
function nsToMs(value: unknown): number | undefined {
  const ns = count(value);
  return ns === undefined ? undefined : ns / 1e6;
}

function requireName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "") throw new UsageError("no model name given", { hint: "for example phi3:mini" });
  return trimmed;
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${name} must be a positive number of milliseconds`);
  return value;
}

function describeProgress(progress: PullProgress): string {
  return progress.totalBytes > 0
    ? `${progress.status} ${formatDecimalBytes(progress.completedBytes)} of ${formatDecimalBytes(progress.totalBytes)}`
    : progress.status;
}
