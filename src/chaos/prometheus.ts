/**
 * Optional evidence from the lab's Prometheus: the highest memory working set it recorded for a
 * container, against the container's limit. Prometheus is reached on the lab's host port
 * (127.0.0.1:9090, kind's port mapping) or at SRE_LAB_PROMETHEUS_URL; when it does not answer the
 * evidence says so and nothing fails.
 */

import { formatBinaryBytes as formatMiB } from "../core/units.js";
import { EXPOSED, KUBE_CONTEXT } from "../lab/config.js";

/** Same variable `sre-lab diagnose --local` reads. */
export const PROMETHEUS_URL_ENV = "SRE_LAB_PROMETHEUS_URL";
const QUERY_TIMEOUT_MS = 5_000;
/** How far back the peak is looked for. */
export const PEAK_WINDOW = "5m";

/** `port`: the lab's Prometheus host port as its nodes record it (`up --host-port prometheus=N`). */
export function prometheusUrl(
  env: NodeJS.ProcessEnv,
  context: string,
  port: number = EXPOSED.prometheus.host,
): string | undefined {
  const configured = env[PROMETHEUS_URL_ENV];
  if (configured) return configured.replace(/\/+$/, "");
  return context === KUBE_CONTEXT ? `http://127.0.0.1:${port}` : undefined;
}

/** An instant query's vector values; throws with a one-line reason when Prometheus fails. */
export async function queryVector(url: string, promql: string, signal: AbortSignal): Promise<number[]> {
  let response: Response;
  try {
    response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, {
      headers: { Accept: "application/json" },
      signal: AbortSignal.any([signal, AbortSignal.timeout(QUERY_TIMEOUT_MS)]),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`not answering at ${url} (${cause?.code ?? cause?.message ?? (error as Error).message})`);
  }
  const body = (await response.json().catch(() => undefined)) as
    | { status?: string; error?: string; data?: { resultType?: string; result?: { value?: unknown[] }[] } }
    | undefined;
  if (!response.ok || body?.status !== "success") {
    throw new Error(`at ${url} answered HTTP ${response.status}${body?.error ? `: ${body.error}` : ""}`);
  }
  if (body.data?.resultType !== "vector") return [];
  return (body.data.result ?? []).map((r) => Number(r.value?.[1])).filter((v) => Number.isFinite(v));
}

/**
 * "Prometheus: working set reached 219 MiB of the 256 MiB limit (86%) …", or why there is no such
 * line. Never throws (except on Ctrl-C).
 */
export async function memoryPeakEvidence(
  options: { env: NodeJS.ProcessEnv; context: string; signal: AbortSignal; port?: number },
  pod: { namespace: string; name: string },
  container: string,
  limitBytes: number | undefined,
): Promise<string> {
  const url = prometheusUrl(options.env, options.context, options.port);
  if (!url)
    return `Prometheus: not queried (no lab Prometheus for context ${options.context}; set ${PROMETHEUS_URL_ENV})`;
  const selector = `namespace="${pod.namespace}",pod="${pod.name}",container="${container}"`;
  const promql = `max(max_over_time(container_memory_working_set_bytes{${selector}}[${PEAK_WINDOW}]))`;
  let values: number[];
  try {
    values = await queryVector(url, promql, options.signal);
  } catch (error) {
    if (options.signal.aborted) throw error;
    return `Prometheus: ${(error as Error).message}; memory not checked`;
  }
  const peak = values.length > 0 ? Math.max(...values) : undefined;
  if (peak === undefined)
    return `Prometheus: no working-set samples for ${pod.name}/${container} in the last ${PEAK_WINDOW}`;
  if (!limitBytes) return `Prometheus: working set peaked at ${formatMiB(peak)} in the last ${PEAK_WINDOW}`;
  const share = Math.round((peak / limitBytes) * 100);
  return `Prometheus: working set reached ${formatMiB(peak)} of the ${formatMiB(limitBytes)} limit (${share}%) in the last ${PEAK_WINDOW}, scraped every 15 s; the kernel kills at the limit itself`;
}
