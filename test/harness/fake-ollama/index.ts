/**
 * A fake Ollama server for tests: the REST endpoints sre-lab uses, speaking Ollama's wire format
 * (docs/api.md; errors and streaming as server/routes.go does them), scriptable per test and recording
 * every request. It is proven against the real `ollama` npm package in test/harness/fake-ollama.test.ts,
 * so a test that passes against it exercises the same client code paths as production.
 *
 * Endpoints: GET /api/version, GET /api/tags, POST /api/show, POST /api/pull, POST /api/chat,
 * POST /api/generate. Anything else answers 404 "404 page not found" like Ollama's router.
 *
 * Behaviour copied from Ollama on purpose:
 * - A streamed answer sends its HTTP headers with the first chunk, so "no first token" and "no response
 *   yet" are the same thing to a client (Ollama writes nothing until the model produced something).
 * - Errors before anything was streamed are a status code with `{"error": …}`; errors after that are an
 *   in-band `{"error": …}` line in a 200 stream (docs.ollama.com/api/errors).
 * - An unknown model: 404 `model "x" not found, try pulling it first` on chat/generate,
 *   404 `model 'x' not found` on show; pulling a name the registry lacks streams "pulling manifest" then
 *   `{"error":"pull model manifest: file does not exist"}` (500 with stream:false).
 * - `options.num_ctx` is honoured: a prompt over it is cut silently (see tokens.ts), the answer is a
 *   normal 200, and the cut is visible only in the server log — here `log` and `requests[i].prompt`.
 * - A model is loaded before it can answer (`script.loadDelayMs`) unless it is resident; it stays
 *   resident for the request's `keep_alive` (else the one it was loaded with, else 5m), a request with
 *   another `num_ctx` reloads it, and a request that arrives while it loads waits for that load — one
 *   request at a time, as Ollama's scheduler does (server/sched.go). `load_duration` is the time a
 *   request waited for the model, `prompt_eval_duration` the prefill, `eval_duration` the generation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  canonicalName,
  type FakeModel,
  layersOf,
  type StoredModel,
  showResponse,
  tagsEntry,
  toStoredModel,
} from "./models.js";
import {
  fitChatPrompt,
  fitRawPrompt,
  type PromptFit,
  type PromptMessage,
  renderChatPrompt,
  type Truncation,
  tokenize,
} from "./tokens.js";

export type { FakeModel } from "./models.js";
export { countTokens, type PromptMessage, renderChatPrompt, type Truncation, tokenize } from "./tokens.js";

export type FakeEndpoint = "version" | "tags" | "show" | "pull" | "chat" | "generate";

/**
 * Injected failures. `endpoints` defaults to ["chat", "generate"].
 * - http-error: answer `status` (default 500) with `{"error": message}` before anything else.
 * - model-not-found: answer as Ollama does for a model it does not have, whatever `setModels` says.
 * - disconnect: destroy the connection after `afterChunks` streamed chunks (0 = before any response).
 * - stream-error: after `afterChunks` chunks send an in-band `{"error": message}` line and end; with
 *   nothing streamed yet (or stream:false) it is a 500 instead, as in Ollama.
 * - hang: accept the request and never answer (until the client gives up or the fake closes).
 */
export type FakeFailure =
  | { kind: "http-error"; status?: number; message?: string; endpoints?: FakeEndpoint[] }
  | { kind: "model-not-found"; endpoints?: FakeEndpoint[] }
  | { kind: "disconnect"; afterChunks: number; endpoints?: FakeEndpoint[] }
  | { kind: "stream-error"; afterChunks: number; message?: string; endpoints?: FakeEndpoint[] }
  | { kind: "hang"; endpoints?: FakeEndpoint[] };

/** Durations in nanoseconds, as Ollama reports them. */
export interface FakeStats {
  total_duration: number;
  load_duration: number;
  prompt_eval_duration: number;
  eval_duration: number;
}

export interface FakeScript {
  /** The model's answer; streamed one token (see tokens.ts) per chunk. */
  answer?: string;
  /** Time to load a model that is not resident (Ollama's load_duration). Default 0. */
  loadDelayMs?: number;
  /** Prompt evaluation before the first token (prompt_eval_duration). Default 0. */
  prefillDelayMs?: number;
  /** Extra wait before the first chunk, after the model is loaded (counted as prompt evaluation). */
  firstTokenDelayMs?: number;
  /** Wait between streamed chunks of chat/generate (the per-token generation time). */
  chunkDelayMs?: number;
  /** Wait between streamed chunks of pull. */
  pullChunkDelayMs?: number;
  /** `done_reason` of the final chunk. Default "stop" ("length" when `options.num_predict` cut it). */
  doneReason?: string;
  failure?: FakeFailure | undefined;
  /** Replace measured durations in the final chunk (for deterministic tokens/s assertions). */
  stats?: Partial<FakeStats> | undefined;
}

export interface FakeRequestOptions {
  num_ctx?: number;
  num_keep?: number;
  num_predict?: number;
  temperature?: number;
  [option: string]: unknown;
}

/** The parsed JSON body; fields are whatever the client sent (they are not validated). */
export interface FakeRequestBody {
  model?: string;
  name?: string;
  stream?: boolean;
  messages?: PromptMessage[];
  prompt?: string;
  system?: string;
  raw?: boolean;
  options?: FakeRequestOptions;
  [field: string]: unknown;
}

export interface FakeRequest {
  method: string;
  path: string;
  endpoint: FakeEndpoint | undefined;
  body: FakeRequestBody | undefined;
  /** chat/generate: what the prompt cost and whether Ollama would have cut it. */
  prompt: { tokens: number; numCtx: number; truncation: Truncation | undefined } | undefined;
}

/** A model held in memory, as `ollama ps` would list it. */
export interface FakeResidentModel {
  name: string;
  numCtx: number;
  /** Date.now() milliseconds after which it is unloaded; Infinity for a negative keep_alive. */
  expiresAt: number;
  /** The keep_alive it stays loaded for after each request, in milliseconds. */
  keepAliveMs: number;
}

/** One load of a model into memory (a preload, or a request that found it not resident). */
export interface FakeLoad {
  model: string;
  numCtx: number;
  endpoint: "chat" | "generate";
  /** performance.now() when the load started and ended. */
  startedAt: number;
  endedAt: number;
}

export interface FakeOllamaOptions {
  /** Models present at start. Default ["phi3:mini"]. */
  models?: Array<string | FakeModel>;
  /** Models already loaded at start (with num_ctx 4096 and keep_alive 5m). Default none. */
  resident?: string[];
  /** Extra models /api/pull can fetch; present models and phi3:mini always can. */
  registry?: Array<string | FakeModel>;
  /** Reported by /api/version. Default "0.6.5". */
  version?: string;
  /** num_ctx when a request does not send one. Default 4096 (Ollama's default below 24 GiB of VRAM). */
  defaultNumCtx?: number;
  script?: FakeScript;
}

export interface FakeOllama {
  /** Base URL, e.g. http://127.0.0.1:43567. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  /** What Ollama would log at WARN level (prompt truncation). */
  readonly log: string[];
  /** Replace the models present (they also become pullable). */
  setModels(models: Array<string | FakeModel>): void;
  /** Names of the models present now (after pulls). */
  models(): string[];
  /** Merge into the current script; `script({ failure: undefined })` clears a failure. */
  script(script: FakeScript): void;
  /** The models loaded in memory now (expired ones are gone). */
  resident(): FakeResidentModel[];
  /** Every model load, in order. */
  readonly loads: FakeLoad[];
  close(): Promise<void>;
}

/** Ollama's default keep_alive (envconfig.KeepAlive without OLLAMA_KEEP_ALIVE). */
const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;

const DEFAULT_ANSWER = "The pod is in CrashLoopBackOff because its container exits with code 1.";
const ROUTES: Record<string, FakeEndpoint> = {
  "GET /api/version": "version",
  "GET /api/tags": "tags",
  "POST /api/show": "show",
  "POST /api/pull": "pull",
  "POST /api/chat": "chat",
  "POST /api/generate": "generate",
};

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const present = new Map<string, StoredModel>();
  const registry = new Map<string, StoredModel>();
  const requests: FakeRequest[] = [];
  const log: string[] = [];
  const closing = new AbortController();
  let current: FakeScript = { answer: DEFAULT_ANSWER, ...options.script };
  const defaultNumCtx = options.defaultNumCtx ?? 4096;
  const loads: FakeLoad[] = [];
  const memory = new Residency(closing.signal);
  for (const name of options.resident ?? []) memory.preset(name, defaultNumCtx, DEFAULT_KEEP_ALIVE_MS);

  const setModels = (models: Array<string | FakeModel>) => {
    present.clear();
    for (const spec of models) {
      const model = toStoredModel(spec);
      present.set(canonicalName(model.name), model);
      registry.set(canonicalName(model.name), model);
    }
  };
  for (const spec of ["phi3:mini", ...(options.registry ?? [])]) {
    const model = toStoredModel(spec);
    registry.set(canonicalName(model.name), model);
  }
  setModels(options.models ?? ["phi3:mini"]);

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !closing.signal.aborted && !res.destroyed) {
        sendJson(res, 500, {
          error: `fake-ollama: ${error instanceof Error ? error.message : String(error)}`,
        });
      } else {
        req.socket.destroy();
      }
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = process.hrtime.bigint();
    const path = new URL(req.url ?? "/", "http://fake-ollama").pathname;
    const endpoint = ROUTES[`${req.method} ${path}`];
    const raw = await readBody(req);
    let body: FakeRequestBody | undefined;
    let parseError: string | undefined;
    if (raw !== "") {
      try {
        body = JSON.parse(raw) as FakeRequestBody;
      } catch (error) {
        parseError = error instanceof Error ? error.message : String(error);
      }
    }
    const record: FakeRequest = { method: req.method ?? "", path, endpoint, body, prompt: undefined };
    requests.push(record);

    if (endpoint === undefined) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("404 page not found");
      return;
    }
    if (req.method === "POST" && raw === "") return sendJson(res, 400, { error: "missing request body" });
    if (parseError !== undefined) return sendJson(res, 400, { error: parseError });

    const requestGone = new AbortController();
    res.on("close", () => requestGone.abort());
    const signal = AbortSignal.any([closing.signal, requestGone.signal]);
    const failure = failureFor(endpoint);

    if (failure?.kind === "http-error") {
      return sendJson(res, failure.status ?? 500, {
        error: failure.message ?? "llama runner process has terminated",
      });
    }
    if (failure?.kind === "hang") {
      await waitFor(signal);
      req.socket.destroy();
      return;
    }

    const requestBody = body ?? {};
    try {
      switch (endpoint) {
        case "version":
        case "tags":
        case "show": {
          const answer = answerMetadata(endpoint, requestBody, failure);
          if (answer === "disconnect") req.socket.destroy();
          else sendJson(res, answer.status, answer.body);
          return;
        }
        case "pull":
          return await pull(requestBody, req, res, signal, failure);
        case "chat":
        case "generate":
          return await generate(endpoint, requestBody, record, arrived, req, res, signal, failure);
      }
    } catch (error) {
      if (signal.aborted) {
        req.socket.destroy();
        return;
      }
      throw error;
    }
  }

  function failureFor(endpoint: FakeEndpoint): FakeFailure | undefined {
    const failure = current.failure;
    if (failure === undefined) return undefined;
    return (failure.endpoints ?? ["chat", "generate"]).includes(endpoint) ? failure : undefined;
  }

  /** version, tags and show: one JSON answer, or a dropped connection. */
  function answerMetadata(
    endpoint: "version" | "tags" | "show",
    body: FakeRequestBody,
    failure: FakeFailure | undefined,
  ): { status: number; body: unknown } | "disconnect" {
    if (failure?.kind === "disconnect") return "disconnect";
    if (failure?.kind === "stream-error")
      return { status: 500, body: { error: failure.message ?? "internal error" } };
    if (endpoint === "version") return { status: 200, body: { version: options.version ?? "0.6.5" } };
    if (endpoint === "tags") return { status: 200, body: { models: [...present.values()].map(tagsEntry) } };
    const name = body.model ?? body.name ?? "";
    if (name === "") return { status: 400, body: { error: "model is required" } };
    const model = present.get(canonicalName(name));
    if (model === undefined || failure?.kind === "model-not-found") {
      return { status: 404, body: { error: `model '${name}' not found` } };
    }
    return { status: 200, body: showResponse(model) };
  }

  async function pull(
    body: FakeRequestBody,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
    failure: FakeFailure | undefined,
  ): Promise<void> {
    const name = body.model ?? body.name ?? "";
    if (name === "") return sendJson(res, 400, { error: "model is required" });
    const target = registry.get(canonicalName(name));
    const missing = "pull model manifest: file does not exist";

    const chunks: Record<string, unknown>[] = [{ status: "pulling manifest" }];
    if (target === undefined) {
      chunks.push({ error: missing });
    } else {
      const alreadyPresent = present.has(canonicalName(name));
      for (const layer of layersOf(target)) {
        const status = `pulling ${layer.digest.slice(7, 19)}`;
        // Ollama omits `completed` until some bytes arrived (omitempty); a cached layer is complete at once.
        const steps = alreadyPresent
          ? [layer.size]
          : [0, Math.floor(layer.size / 3), Math.floor((2 * layer.size) / 3), layer.size];
        for (const completed of steps) {
          chunks.push({
            status,
            digest: layer.digest,
            total: layer.size,
            ...(completed > 0 ? { completed } : {}),
          });
        }
      }
      chunks.push(
        { status: "verifying sha256 digest" },
        { status: "writing manifest" },
        { status: "success" },
      );
    }
    const install = () => {
      if (target !== undefined)
        present.set(canonicalName(target.name), { ...target, modifiedAt: new Date().toISOString() });
    };

    if (body.stream === false) {
      if (failure?.kind === "disconnect") {
        req.socket.destroy();
        return;
      }
      if (failure?.kind === "stream-error")
        return sendJson(res, 500, { error: failure.message ?? "pull failed" });
      if (target === undefined) return sendJson(res, 500, { error: missing });
      await sleep((current.pullChunkDelayMs ?? 0) * chunks.length, undefined, { signal });
      install();
      return sendJson(res, 200, { status: "success" });
    }

    const stream = new NdjsonStream(res);
    for (let i = 0; i < chunks.length; i++) {
      if (i > 0) await sleep(current.pullChunkDelayMs ?? 0, undefined, { signal });
      if (injectStreamFailure(failure, i, chunks.length - 1, stream, req)) return;
      const chunk = chunks[i]!;
      if (chunk.status === "success") install();
      if ("error" in chunk) return stream.fail(chunk.error as string);
      stream.write(chunk);
    }
    stream.end();
  }

  async function generate(
    endpoint: "chat" | "generate",
    body: FakeRequestBody,
    record: FakeRequest,
    arrived: bigint,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
    failure: FakeFailure | undefined,
  ): Promise<void> {
    const model = body.model ?? "";
    if (model === "") return sendJson(res, 400, { error: "model is required" });
    if (!present.has(canonicalName(model)) || failure?.kind === "model-not-found") {
      return sendJson(res, 404, { error: `model "${model}" not found, try pulling it first` });
    }
    const createdAt = () => new Date().toISOString();
    const chunkOf =
      endpoint === "chat"
        ? (content: string) => ({
            model,
            created_at: createdAt(),
            message: { role: "assistant", content },
            done: false,
          })
        : (content: string) => ({ model, created_at: createdAt(), response: content, done: false });

    const keepAlive = parseKeepAlive(body.keep_alive);
    if (keepAlive === "invalid") {
      return sendJson(res, 400, { error: `time: invalid duration "${String(body.keep_alive)}"` });
    }
    const messages = body.messages ?? [];
    const prompt = body.prompt ?? "";
    const requestOptions = body.options ?? {};
    const numCtx =
      typeof requestOptions.num_ctx === "number" && requestOptions.num_ctx > 0
        ? requestOptions.num_ctx
        : defaultNumCtx;
    const empty =
      (endpoint === "chat" && messages.length === 0) || (endpoint === "generate" && prompt === "");
    if (empty && keepAlive === 0) {
      // An empty request with keep_alive 0 unloads the model (docs/api.md "Unload a model").
      memory.unload(model);
      return sendJson(res, 200, { ...chunkOf(""), done: true, done_reason: "unload" });
    }

    // Wait for the model: loaded now, or by a load already under way, or resident.
    const load = await memory.acquire(model, numCtx, keepAlive, current.loadDelayMs ?? 0, signal);
    if (load) loads.push({ ...load, endpoint });
    const loadedAt = process.hrtime.bigint();
    try {
      if (empty) {
        // An empty request only loads the model (docs/api.md "Load a model"); no durations, as Ollama.
        return sendJson(res, 200, { ...chunkOf(""), done: true, done_reason: "load" });
      }
      return await answer(
        endpoint,
        body,
        record,
        arrived,
        loadedAt,
        numCtx,
        chunkOf,
        req,
        res,
        signal,
        failure,
      );
    } finally {
      memory.release(model);
    }
  }

  async function answer(
    endpoint: "chat" | "generate",
    body: FakeRequestBody,
    record: FakeRequest,
    arrived: bigint,
    loadedAt: bigint,
    numCtx: number,
    chunkOf: (content: string) => Record<string, unknown>,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
    failure: FakeFailure | undefined,
  ): Promise<void> {
    const messages = body.messages ?? [];
    const prompt = body.prompt ?? "";
    const requestOptions = body.options ?? {};
    const numKeep = typeof requestOptions.num_keep === "number" ? requestOptions.num_keep : 4;
    const fit: PromptFit =
      endpoint === "chat"
        ? fitChatPrompt(messages, numCtx, numKeep)
        : fitRawPrompt(
            body.raw === true
              ? prompt
              : renderChatPrompt([
                  ...(body.system ? [{ role: "system", content: body.system }] : []),
                  { role: "user", content: prompt },
                ]),
            numCtx,
            numKeep,
          );
    record.prompt = { tokens: fit.tokens, numCtx, truncation: fit.truncation };
    if (fit.truncation?.warning !== undefined) log.push(`level=WARN msg="${fit.truncation.warning}"`);

    let tokens = tokenize(current.answer ?? "");
    let doneReason = current.doneReason ?? "stop";
    const numPredict = requestOptions.num_predict;
    if (typeof numPredict === "number" && numPredict >= 0 && tokens.length > numPredict) {
      tokens = tokens.slice(0, numPredict);
      doneReason = "length";
    }

    await sleep((current.prefillDelayMs ?? 0) + (current.firstTokenDelayMs ?? 0), undefined, { signal });
    let firstAt = process.hrtime.bigint();
    const final = (content: string) => {
      const ended = process.hrtime.bigint();
      return {
        ...chunkOf(content),
        done: true,
        done_reason: doneReason,
        ...(endpoint === "generate"
          ? { context: Array.from({ length: fit.tokens + tokens.length }, (_, i) => i + 1) }
          : {}),
        total_duration: Number(ended - arrived),
        load_duration: Math.max(1, Number(loadedAt - arrived)),
        prompt_eval_count: fit.tokens,
        prompt_eval_duration: Math.max(1, Number(firstAt - loadedAt)),
        eval_count: tokens.length,
        eval_duration: Math.max(1, Number(ended - firstAt)),
        ...current.stats,
      };
    };

    if (body.stream === false) {
      if (failure?.kind === "disconnect") {
        req.socket.destroy();
        return;
      }
      if (failure?.kind === "stream-error")
        return sendJson(res, 500, { error: failure.message ?? "model runner failed" });
      await sleep((current.chunkDelayMs ?? 0) * Math.max(tokens.length - 1, 0), undefined, { signal });
      return sendJson(res, 200, final(tokens.join("")));
    }

    const stream = new NdjsonStream(res);
    for (let i = 0; i <= tokens.length; i++) {
      if (i > 0 && i < tokens.length) await sleep(current.chunkDelayMs ?? 0, undefined, { signal });
      if (injectStreamFailure(failure, i, tokens.length, stream, req)) return;
      if (i === 0) firstAt = process.hrtime.bigint();
      stream.write(i < tokens.length ? chunkOf(tokens[i]!) : final(""));
    }
    stream.end();
  }

  /** Applies a disconnect/stream-error before chunk `index`; `last` is the index it is clamped to. */
  function injectStreamFailure(
    failure: FakeFailure | undefined,
    index: number,
    last: number,
    stream: NdjsonStream,
    req: IncomingMessage,
  ): boolean {
    if (failure?.kind !== "disconnect" && failure?.kind !== "stream-error") return false;
    if (index !== Math.min(failure.afterChunks, last)) return false;
    if (failure.kind === "disconnect") req.socket.destroy();
    else stream.fail(failure.message ?? "an error was encountered while running the model");
    return true;
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    log,
    setModels,
    models: () => [...present.values()].map((m) => m.name),
    script(script) {
      current = { ...current, ...script };
    },
    resident: () => memory.list(),
    loads,
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes NDJSON lines; headers go out with the first line, as with Ollama's gin stream. */
class NdjsonStream {
  constructor(private readonly res: ServerResponse) {}

  write(chunk: object): void {
    if (!this.res.headersSent) this.res.writeHead(200, { "Content-Type": "application/x-ndjson" });
    this.res.write(`${JSON.stringify(chunk)}\n`);
  }

  /** An error: a status code if nothing was sent yet, else an in-band line (status stays 200). */
  fail(message: string): void {
    if (this.res.headersSent) this.res.end(`${JSON.stringify({ error: message })}\n`);
    else sendJson(this.res, 500, { error: message });
  }

  end(): void {
    if (!this.res.headersSent) this.res.writeHead(200, { "Content-Type": "application/x-ndjson" });
    this.res.end();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function waitFor(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

interface Resident {
  name: string;
  numCtx: number;
  keepAliveMs: number;
  /** Settles when the load is done (or the fake closes). */
  ready: Promise<void>;
  loading: boolean;
  /** Requests using it now; the keep_alive clock runs only when none do. */
  inUse: number;
  expiresAt: number;
}

/**
 * The models in memory. Requests are admitted one at a time (a queue), as Ollama's scheduler
 * processes its pending requests: a request that arrives during a load waits for that load, then
 * finds the model resident; one with another num_ctx reloads it.
 */
class Residency {
  private readonly models = new Map<string, Resident>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly closing: AbortSignal) {}

  preset(name: string, numCtx: number, keepAliveMs: number): void {
    this.models.set(canonicalName(name), {
      name,
      numCtx,
      keepAliveMs,
      ready: Promise.resolve(),
      loading: false,
      inUse: 0,
      expiresAt: Date.now() + keepAliveMs,
    });
  }

  list(): FakeResidentModel[] {
    this.expire();
    return [...this.models.values()].map(({ name, numCtx, expiresAt, keepAliveMs }) => ({
      name,
      numCtx,
      expiresAt: expiresAt,
      keepAliveMs,
    }));
  }

  unload(name: string): void {
    this.models.delete(canonicalName(name));
  }

  /**
   * Makes the model resident for one request and marks it in use; returns the load it started, if
   * any. `keepAlive` undefined keeps the duration the model was loaded with (server/sched.go
   * useLoadedRunner), else Ollama's default.
   */
  async acquire(
    name: string,
    numCtx: number,
    keepAlive: number | undefined,
    loadDelayMs: number,
    signal: AbortSignal,
  ): Promise<Omit<FakeLoad, "endpoint"> | undefined> {
    const turn = this.queue.then(() => this.admit(name, numCtx, keepAlive, loadDelayMs));
    this.queue = turn.then(
      (admitted) => admitted.resident.ready,
      () => undefined,
    );
    const admitted = await turn;
    admitted.resident.inUse += 1;
    try {
      await abortable(admitted.resident.ready, signal);
    } catch (error) {
      admitted.resident.inUse -= 1;
      throw error;
    }
    return admitted.load === undefined ? undefined : await admitted.load;
  }

  release(name: string): void {
    const resident = this.models.get(canonicalName(name));
    if (resident === undefined) return;
    resident.inUse = Math.max(0, resident.inUse - 1);
    if (resident.inUse === 0) {
      if (resident.keepAliveMs === 0) this.models.delete(canonicalName(name));
      else resident.expiresAt = Date.now() + resident.keepAliveMs;
    }
  }

  private admit(
    name: string,
    numCtx: number,
    keepAlive: number | undefined,
    loadDelayMs: number,
  ): { resident: Resident; load?: Promise<Omit<FakeLoad, "endpoint">> } {
    this.expire();
    const key = canonicalName(name);
    const existing = this.models.get(key);
    if (existing !== undefined && existing.numCtx === numCtx) {
      if (keepAlive !== undefined) existing.keepAliveMs = keepAlive;
      return { resident: existing };
    }
    const startedAt = performance.now();
    const resident: Resident = {
      name,
      numCtx,
      keepAliveMs: keepAlive ?? existing?.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
      ready: Promise.resolve(),
      loading: true,
      inUse: 0,
      expiresAt: Number.POSITIVE_INFINITY,
    };
    resident.ready = sleep(loadDelayMs, undefined, { signal: this.closing })
      .catch(() => undefined)
      .then(() => {
        resident.loading = false;
      });
    this.models.set(key, resident);
    return {
      resident,
      load: resident.ready.then(() => ({ model: name, numCtx, startedAt, endedAt: performance.now() })),
    };
  }

  private expire(): void {
    const now = Date.now();
    for (const [key, model] of this.models) {
      if (!model.loading && model.inUse === 0 && model.expiresAt <= now) this.models.delete(key);
    }
  }
}

/**
 * keep_alive as Ollama reads it (api/types.go Duration.UnmarshalJSON): a number of seconds or a Go
 * duration string; negative means forever. Returns milliseconds, undefined when absent.
 */
export function parseKeepAlive(value: unknown): number | undefined | "invalid" {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return value < 0 ? Number.POSITIVE_INFINITY : value * 1000;
  if (typeof value !== "string") return "invalid";
  const text = value.trim();
  if (text === "0") return 0;
  const match = /^([-+]?)((?:\d+(?:\.\d*)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(text);
  if (!match) return "invalid";
  const unitMs: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  for (const part of match[2]!.matchAll(/(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * unitMs[part[2]!]!;
  }
  return match[1] === "-" ? Number.POSITIVE_INFINITY : total;
}

function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
