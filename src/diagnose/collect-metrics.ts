/**
 * Optional Prometheus evidence: each container's memory working set against its limit, and its
 * restarts, over the last 15 minutes. Prometheus is the lab's (`prometheus-server` in `monitoring`,
 * scraping cAdvisor and kube-state-metrics); when it does not answer, diagnose goes on without it.
 *
 * The figures become evidence lines on the finding about the same container, so they reach the
 * output and the prompt like any other fact.
 */

import { formatBinaryQuantity, parseQuantity } from "../core/units.js";
import { escapeLabelValue, type PrometheusClient } from "../prometheus/client.js";
import { records, text } from "./analyze/fields.js";
import type { ContainerMetrics } from "./evidence.js";
import type { Finding, KubeObject } from "./types.js";

export const METRICS_WINDOW = "15m";

/** The one Prometheus client (src/prometheus/client.ts); the name collect.ts knows it by. */
export type PrometheusApi = PrometheusClient;

/** The PromQL for one pod: peak and current working set, and restarts, by container. */
export function metricQueries(
  namespace: string,
  pod: string,
): Record<"peak" | "current" | "restarts", string> {
  const selector = `namespace="${escapeLabelValue(namespace)}",pod="${escapeLabelValue(pod)}"`;
  const memory = `container_memory_working_set_bytes{${selector},container!="",container!="POD"}`;
  return {
    peak: `max by (container) (max_over_time(${memory}[${METRICS_WINDOW}]))`,
    current: `max by (container) (${memory})`,
    restarts: `max by (container) (increase(kube_pod_container_status_restarts_total{${selector}}[${METRICS_WINDOW}]))`,
  };
}

/** Queries Prometheus for the pod's containers; containers without any sample are left out. */
export async function queryContainerMetrics(
  prometheus: PrometheusApi,
  pod: KubeObject,
): Promise<ContainerMetrics[]> {
  const namespace = text(pod, "metadata", "namespace") ?? "default";
  const name = text(pod, "metadata", "name") ?? "";
  const queries = metricQueries(namespace, name);
  const [peak, current, restarts] = await Promise.all([
    prometheus.query(queries.peak),
    prometheus.query(queries.current),
    prometheus.query(queries.restarts),
  ]);
  const byContainer = new Map<string, ContainerMetrics>();
  const entry = (container: string): ContainerMetrics => {
    let metrics = byContainer.get(container);
    if (!metrics) {
      metrics = { container };
      byContainer.set(container, metrics);
    }
    return metrics;
  };
  for (const s of peak) if (s.labels.container) entry(s.labels.container).memoryPeakBytes = s.value;
  for (const s of current) if (s.labels.container) entry(s.labels.container).memoryWorkingSetBytes = s.value;
  for (const s of restarts)
    if (s.labels.container) entry(s.labels.container).restarts15m = Math.round(s.value);
  const limits = memoryLimits(pod);
  for (const metrics of byContainer.values()) {
    const limit = limits.get(metrics.container);
    if (limit !== undefined) metrics.memoryLimitBytes = limit;
  }
  return [...byContainer.values()].sort((a, b) => a.container.localeCompare(b.container));
}

/** Evidence lines for one container's figures. */
export function metricsEvidence(metrics: ContainerMetrics): string[] {
  const lines: string[] = [];
  const peak = metrics.memoryPeakBytes ?? metrics.memoryWorkingSetBytes;
  if (peak !== undefined) {
    const now =
      metrics.memoryWorkingSetBytes !== undefined
        ? `, now ${formatBinaryQuantity(metrics.memoryWorkingSetBytes)}`
        : "";
    const limit = metrics.memoryLimitBytes;
    const against =
      limit !== undefined && limit > 0
        ? ` of its ${formatBinaryQuantity(limit)} limit (${Math.round((peak / limit) * 100)}%)`
        : " (no memory limit)";
    lines.push(
      `prometheus: container ${metrics.container} memory working set peaked at ${formatBinaryQuantity(peak)}${against} over the last ${METRICS_WINDOW}${now}`,
    );
  }
  if (metrics.restarts15m !== undefined) {
    lines.push(
      `prometheus: container ${metrics.container} restarted ${metrics.restarts15m} time${metrics.restarts15m === 1 ? "" : "s"} in the last ${METRICS_WINDOW}`,
    );
  }
  return lines;
}

/**
 * Adds each container's figures to the first finding about that container (the root cause when it
 * is about it). Figures for containers no finding names are left for the Metrics section.
 */
export function addMetricsEvidence(
  findings: readonly Finding[],
  metrics: readonly ContainerMetrics[],
): Finding[] {
  const out = findings.map((f) => ({ ...f, evidence: [...f.evidence] }));
  for (const m of metrics) {
    const target = out.find((f) => f.container === m.container);
    if (target) target.evidence.push(...metricsEvidence(m));
  }
  return out;
}

function memoryLimits(pod: KubeObject): Map<string, number> {
  const limits = new Map<string, number>();
  for (const container of [
    ...records(pod, "spec", "initContainers"),
    ...records(pod, "spec", "containers"),
  ]) {
    const name = text(container, "name");
    const bytes = parseQuantity(text(container, "resources", "limits", "memory"));
    if (name !== undefined && bytes !== undefined) limits.set(name, bytes);
  }
  return limits;
}
