/**
 * What an analyzer returns: a finding plus its rank. Ranks encode causality — a lower rank is
 * closer to the root cause — so that the ranking step can put the cause before its symptoms:
 *
 *   Evicted < NodeNotReady < Unschedulable < ImagePullFailed < ConfigMissing < VolumeMountFailed
 *   < StartFailed < InitContainerFailed < OOMKilled < LivenessProbeFailed < AppError
 *   < ReadinessProbeFailed < CrashLoopBackOff
 *
 * Pod-level causes come first (an evicted pod's containers were killed *because* it was
 * evicted; on a NotReady node nothing the containers report can be trusted). Then the reasons a
 * container cannot run at all, then the reasons a running container is restarted, from the
 * platform's hand (OOM kill, probe kill) before the process's own failure. CrashLoopBackOff is a
 * symptom and always last. Info findings (history, not the current problem) come after all others.
 */
import type { Finding, FindingCode } from "../types.js";
import type { ContainerFacts } from "./facts.js";
import { classifyLog, type LogClassification } from "./logs.js";

export interface Candidate {
  finding: Finding;
  rank: number;
}

export const RANK: Record<FindingCode, number> = {
  Evicted: 10,
  NodeNotReady: 20,
  Unschedulable: 30,
  ImagePullFailed: 40,
  ConfigMissing: 41,
  VolumeMountFailed: 42,
  StartFailed: 45,
  InitContainerFailed: 50,
  OOMKilled: 55,
  LivenessProbeFailed: 60,
  AppError: 65,
  ReadinessProbeFailed: 70,
  CrashLoopBackOff: 80,
  Healthy: 1000,
};

export function candidate(finding: Finding, rank: number = RANK[finding.code]): Candidate {
  return { finding, rank };
}

/** Adds `container` only when defined (exactOptionalPropertyTypes). */
export function withContainer(finding: Omit<Finding, "container">, container: string | undefined): Finding {
  return container === undefined ? finding : { ...finding, container };
}

/**
 * critical when the container is not running now or keeps restarting; warning when it runs but
 * has failed before.
 */
export function containerSeverity(container: ContainerFacts): "critical" | "warning" {
  const status = container.status;
  if (!status) return "critical";
  if (!status.state.running) return "critical";
  return status.restartCount >= 3 ? "critical" : "warning";
}

const classified = new WeakMap<
  ContainerFacts,
  { current?: LogClassification; previous?: LogClassification }
>();

/** The container's log classified once, whoever asks (containers, probes, prompt). */
export function classifiedLog(container: ContainerFacts, previous: boolean): LogClassification | undefined {
  const text = previous ? container.logs.previous : container.logs.current;
  if (text === undefined || text.trim() === "") return undefined;
  const cache = classified.get(container) ?? {};
  const key = previous ? "previous" : "current";
  const hit = cache[key];
  if (hit) return hit;
  const result = classifyLog(text);
  cache[key] = result;
  classified.set(container, cache);
  return result;
}

/** `log[app, previous]: <line>` — log lines are always marked as such in evidence. */
export function logEvidence(container: string, previous: boolean, line: string): string {
  return `log[${container}${previous ? ", previous" : ""}]: ${line}`;
}
