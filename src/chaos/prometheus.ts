/**
 * Optional evidence from the lab's Prometheus: the highest memory working set it recorded for a
 * container, against the container's limit. Prometheus is reached on the lab's host port
 * (127.0.0.1:9090, kind's port mapping) or at SRE_LAB_PROMETHEUS_URL, through the context's one
 * Prometheus client; when it does not answer the evidence says so and nothing fails.
 */

import { InterruptedError } from "../core/errors.js";
import { formatBinaryBytes as formatMiB } from "../core/units.js";
import { escapeLabelValue } from "../prometheus/client.js";
import type { Context } from "../runtime/context.js";

/** Same variable `sre-lab diagnose --local` reads. */
export const PROMETHEUS_URL_ENV = "SRE_LAB_PROMETHEUS_URL";
/** How far back the peak is looked for. */
export const PEAK_WINDOW = "5m";

/** SRE_LAB_PROMETHEUS_URL when set, else `labUrl`: the lab's own on its host port (labHostUrl). */
export function prometheusUrl(env: NodeJS.ProcessEnv, labUrl: string | undefined): string | undefined {
  const configured = env[PROMETHEUS_URL_ENV];
  if (configured) return configured.replace(/\/+$/, "");
  return labUrl;
}

/**
 * "Prometheus: working set reached 219 MiB of the 256 MiB limit (86%) …", or why there is no such
 * line. Never throws (except on Ctrl-C).
 */
export async function memoryPeakEvidence(
  options: { ctx: Pick<Context, "env" | "prometheus">; context: string; labUrl: string | undefined },
  pod: { namespace: string; name: string },
  container: string,
  limitBytes: number | undefined,
): Promise<string> {
  const url = prometheusUrl(options.ctx.env, options.labUrl);
  if (!url)
    return `Prometheus: not queried (no lab Prometheus for context ${options.context}; set ${PROMETHEUS_URL_ENV})`;
  const selector = `namespace="${escapeLabelValue(pod.namespace)}",pod="${escapeLabelValue(pod.name)}",container="${escapeLabelValue(container)}"`;
  const promql = `max(max_over_time(container_memory_working_set_bytes{${selector}}[${PEAK_WINDOW}]))`;
  let values: number[];
  try {
    values = (await (await options.ctx.prometheus(url)).query(promql)).map((s) => s.value);
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return `${(error as Error).message}; memory not checked`;
  }
  const peak = values.length > 0 ? Math.max(...values) : undefined;
  if (peak === undefined)
    return `Prometheus: no working-set samples for ${pod.name}/${container} in the last ${PEAK_WINDOW}`;
  if (!limitBytes) return `Prometheus: working set peaked at ${formatMiB(peak)} in the last ${PEAK_WINDOW}`;
  const share = Math.round((peak / limitBytes) * 100);
  return `Prometheus: working set reached ${formatMiB(peak)} of the ${formatMiB(limitBytes)} limit (${share}%) in the last ${PEAK_WINDOW}, scraped every 15 s; the kernel kills at the limit itself`;
}
