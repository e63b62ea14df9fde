/**
 * analyze(bundle): deterministic findings for one pod, root cause first. Small analyzers each look
 * at one kind of failure over a shared, defensive view of the bundle (facts.ts); rank.ts orders
 * their candidates. No I/O, no model, no clock: the same bundle always gives the same findings.
 *
 * Run it on a redacted bundle (redactBundle) when the findings may leave the machine: evidence
 * quotes the bundle verbatim.
 */
import type { EvidenceBundle, Finding } from "../types.js";
import type { Candidate } from "./candidate.js";
import { configAnalyzer } from "./config.js";
import { containersAnalyzer, sandboxAnalyzer } from "./containers.js";
import { evictionAnalyzer } from "./eviction.js";
import { type PodFacts, podFacts } from "./facts.js";
import { imagesAnalyzer } from "./images.js";
import { guardRemediation } from "./kubectl.js";
import { nodeAnalyzer } from "./node.js";
import { probesAnalyzer } from "./probes.js";
import { rankFindings } from "./rank.js";
import { schedulingAnalyzer } from "./scheduling.js";
import { volumesAnalyzer } from "./volumes.js";

export type Analyzer = (pod: PodFacts) => Candidate[];

/** Every analyzer, in no particular order: the ranking decides what comes first. */
export const ANALYZERS: readonly Analyzer[] = [
  evictionAnalyzer,
  nodeAnalyzer,
  schedulingAnalyzer,
  imagesAnalyzer,
  configAnalyzer,
  volumesAnalyzer,
  containersAnalyzer,
  sandboxAnalyzer,
  probesAnalyzer,
];

export function analyze(bundle: EvidenceBundle): Finding[] {
  return analyzeFacts(podFacts(bundle));
}

export function analyzeFacts(pod: PodFacts): Finding[] {
  return rankFindings(
    ANALYZERS.flatMap((analyzer) => analyzer(pod)),
    pod,
  ).map((finding) => guardRemediation(pod, finding)); // no command with a forged name
}

export { parseEvictionMessage } from "./eviction.js";
export { exitCodeMeaning } from "./exit-codes.js";
export { type PodFacts, podFacts } from "./facts.js";
export { classifyLog, type LogClassification } from "./logs.js";
export { parseSchedulingMessage, type SchedulingFailure } from "./scheduling.js";
