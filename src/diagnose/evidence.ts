/**
 * What a live collection produces besides the bundle itself: how each evidence source went and the
 * Prometheus figures. Shared by the collector, the agent's protocol and the CLI's output.
 */
import { podFacts } from "./analyze/facts.js";
import type { BundleMetadata, EvidenceBundle } from "./types.js";

/** One evidence source and how reading it went (also written to the bundle's metadata.sources). */
export interface SourceStatus {
  /** pod, owners, events, logs, node, prometheus */
  name: string;
  ok: boolean;
  /** What was read, e.g. "7 events (3 duplicates folded)". */
  detail?: string;
  /** Why it failed or was skipped, redacted. */
  error?: string;
}

/** Prometheus figures for one container over the last 15 minutes. */
export interface ContainerMetrics {
  container: string;
  memoryWorkingSetBytes?: number;
  memoryPeakBytes?: number;
  /** From the pod spec (resources.limits.memory). */
  memoryLimitBytes?: number;
  restarts15m?: number;
}

/** A collected bundle: its metadata also lists the sources (unknown fields are allowed there). */
export type CollectedMetadata = BundleMetadata & { sources?: SourceStatus[] };

export interface Evidence {
  bundle: EvidenceBundle & { metadata: CollectedMetadata };
  sources: SourceStatus[];
  metrics: ContainerMetrics[];
}

/** The pod a diagnosis is about, as the output shows it. */
export interface PodSummary {
  namespace: string;
  name: string;
  phase?: string;
  node?: string;
  /** The controller a fix applies to, as Kind/name (Deployment/target-app), when it is not the pod. */
  owner?: string;
}

export function podSummary(bundle: EvidenceBundle): PodSummary {
  const facts = podFacts(bundle);
  const summary: PodSummary = { namespace: facts.namespace, name: facts.name };
  if (facts.phase !== undefined) summary.phase = facts.phase;
  if (facts.nodeName !== undefined) summary.node = facts.nodeName;
  if (facts.workload.kind !== "Pod") summary.owner = `${facts.workload.kind}/${facts.workload.name}`;
  return summary;
}
