/**
 * The one Prometheus boundary: instant queries over the HTTP API (`GET /api/v1/query`), bounded in
 * time and body size, parsed at the boundary. No dependencies (fetch only), so the in-cluster agent's
 * bundle can carry it.
 *
 * The envelope is Prometheus' own (docs/querying/api.md, web/api/v1/api.go; docs/versions.md):
 * `{status: "success", data: {resultType, result}, warnings?}` on 2xx, and
 * `{status: "error", errorType, error}` with 400 (bad parameters), 422 (the expression cannot be
 * executed) or 503 (timeout or abort). Anything else (a proxy's HTML page, an empty body) is not
 * Prometheus answering.
 */
import { InterruptedError, SreLabError } from "../core/errors.js";

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusClient {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  /**
   * An instant query: the samples of its vector (or scalar) result, non-finite values left out.
   * Throws PrometheusError when Prometheus does not answer or refuses; InterruptedError on Ctrl-C.
   */
  query(promql: string): Promise<PromSample[]>;
}

export interface PrometheusClientOptions {
  url: string;
  /** For the whole request, the body included. */
  timeoutMs?: number;
  /** An answer larger than this is refused rather than read into memory. */
  maxBodyBytes?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export const PROMETHEUS_DEFAULTS = { timeoutMs: 5_000, maxBodyBytes: 4 * 1024 * 1024 } as const;

/** Prometheus did not answer, or answered with an error; the message says which, with the URL. */
export class PrometheusError extends SreLabError {
  override readonly name = "PrometheusError";
  readonly url: string;
  constructor(url: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.url = url;
  }
}

export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const base = options.url.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? PROMETHEUS_DEFAULTS.timeoutMs;
  const maxBodyBytes = options.maxBodyBytes ?? PROMETHEUS_DEFAULTS.maxBodyBytes;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const outer = options.signal;
  const fail = (message: string, cause?: unknown) =>
    new PrometheusError(base, `Prometheus at ${base} ${message}`, cause === undefined ? {} : { cause });
  return {
    url: base,
    async query(promql) {
      if (outer?.aborted) throw new InterruptedError();
      const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(outer ? [outer] : [])]);
      let status: number;
      let body: string;
      try {
        const response = await fetchImpl(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`, {
          signal,
          headers: { Accept: "application/json" },
        });
        status = response.status;
        body = await readBounded(response, maxBodyBytes);
      } catch (error) {
        if (outer?.aborted) throw new InterruptedError();
        if (error instanceof BodyTooLarge) {
          throw fail(`answered more than ${Math.round(maxBodyBytes / 1024)} KiB; the answer was not read`);
        }
        throw fail(`is not answering (${reasonOf(error)})`, error);
      }
      let document: unknown;
      try {
        document = JSON.parse(body);
      } catch {
        throw fail(`answered HTTP ${status} without JSON`);
      }
      const envelope = (document ?? {}) as {
        status?: unknown;
        errorType?: unknown;
        error?: unknown;
        data?: { resultType?: unknown; result?: unknown };
      };
      if (envelope.status !== "success" || status < 200 || status > 299) {
        const type = typeof envelope.errorType === "string" ? `${envelope.errorType}: ` : "";
        const why = typeof envelope.error === "string" ? `${type}${envelope.error}` : `HTTP ${status}`;
        throw fail(`refused the query: ${why}`);
      }
      return samplesOf(envelope.data?.resultType, envelope.data?.result, fail);
    },
  };
}

/** A PromQL label matcher value: `"` and `\` escaped, as in a PromQL string literal. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function samplesOf(
  resultType: unknown,
  result: unknown,
  fail: (message: string) => PrometheusError,
): PromSample[] {
  const sample = (labels: unknown, value: unknown): PromSample | undefined => {
    // [ <unix time>, "<value>" ]: values are strings so that NaN and ±Inf survive JSON.
    const number = Array.isArray(value) ? Number(value[1]) : Number.NaN;
    if (!Number.isFinite(number)) return undefined;
    return { labels: stringMap(labels), value: number };
  };
  if (resultType === "vector") {
    if (!Array.isArray(result)) return [];
    return result
      .map((item: { metric?: unknown; value?: unknown }) => sample(item?.metric, item?.value))
      .filter((s): s is PromSample => s !== undefined);
  }
  if (resultType === "scalar") {
    const one = sample({}, result);
    return one ? [one] : [];
  }
  throw fail(`answered a ${String(resultType)} result where an instant vector was expected`);
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

class BodyTooLarge extends Error {}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge();
  }
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "no answer in time";
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.message : String(error);
}
