/**
 * The scenario model. A scenario injects one fault into the lab, proves it happened with the
 * evidence Kubernetes itself records (container statuses, conditions, events), names the pod to
 * diagnose and the finding a good diagnosis reports, and reverts.
 *
 * `inject` returns an Injection that knows exactly what it did (for its own verify and revert);
 * `revert` on the scenario finds what any earlier run left behind by labels and annotations, so
 * `chaos <name> --revert` and `chaos reset` work from a new process.
 */

import { SreLabError, type SreLabErrorOptions } from "../core/errors.js";
import type { FindingCode } from "../diagnose/types.js";
import type { Runner } from "../exec/runner.js";
import type { KubeClient } from "../kube/client.js";
import type { Context } from "../runtime/context.js";
import type { ScenarioName } from "./catalogue.js";

/** What a scenario acts through. Reverts after Ctrl-C get a fresh one whose signal has not fired. */
export interface ChaosRun {
  ctx: Context;
  kube: KubeClient;
  runner: Runner;
  signal: AbortSignal;
  now(): number;
  /** A progress line (stderr). */
  progress(text: string): void;
}

export interface PodRef {
  namespace: string;
  name: string;
}

export interface Verification {
  /** Kubernetes' own evidence that the break happened, one fact per line. */
  evidence: string[];
  /** The pod `diagnose` should look at; absent when the scenario breaks no pod (drift). */
  pod?: PodRef;
  /** Figures worth scoring, in milliseconds (drift: selfHealMs). */
  measurements?: Record<string, number>;
}

export interface Injection {
  /** What was changed, one line each. */
  actions: string[];
  /** Waits (until `deadlineAt`, epoch ms) for the break; throws NotVerifiedError with what it saw. */
  verify(run: ChaosRun, deadlineAt: number): Promise<Verification>;
  /** Undoes exactly this injection; returns what it did. */
  revert(run: ChaosRun): Promise<string[]>;
}

export interface Scenario {
  name: ScenarioName;
  /** What it breaks, one line (chaos list). */
  breaks: string;
  /** The root-cause code `diagnose` should report; undefined when no pod breaks (drift). */
  expectedFinding: FindingCode | undefined;
  /** What a good diagnosis says, one or two sentences. */
  goodDiagnosis: string;
  /** Default deadline for the break to show. */
  verifyTimeoutMs: number;
  /** Needs Docker on this machine (the kind node containers). */
  usesDocker: boolean;
  /** What inject would change, one line each, without looking at the cluster (the inject step's plan). */
  plan(): string[];
  inject(run: ChaosRun): Promise<Injection>;
  /** Undoes whatever runs of this scenario left in the lab, found by labels; idempotent. */
  revert(run: ChaosRun): Promise<string[]>;
}

/** The break did not show before its deadline; `saw` says what was there instead. */
export class NotVerifiedError extends SreLabError {
  override readonly name = "NotVerifiedError";
  readonly saw: string[];
  constructor(message: string, saw: string[], options: SreLabErrorOptions = {}) {
    super(message, options);
    this.saw = saw;
  }
}
