/**
 * Running scenarios: the safety check, inject → verify with a deadline, revert on failure or
 * Ctrl-C, `--revert` and `chaos reset`, as steps (each with its plan) shown by the context's
 * renderer; what happened comes back as data.
 */

import { formatDuration } from "../core/duration.js";
import { InterruptedError, SreLabError } from "../core/errors.js";
import { runSteps, type Step } from "../core/steps.js";
import type { Runner } from "../exec/runner.js";
import type { KubeClient } from "../kube/client.js";
import { labKube } from "../lab/status.js";
import type { Context } from "../runtime/context.js";
import type { ScenarioName } from "./catalogue.js";
import { diagnoseCommand } from "./lab.js";
import { checkChaosTarget } from "./safety.js";
import { SCENARIOS } from "./scenarios/index.js";
import {
  type ChaosRun,
  type Injection,
  NotVerifiedError,
  type PodRef,
  type Scenario,
  type Verification,
} from "./types.js";

/** How long reverting after Ctrl-C or a failure may take in all. */
const CLEANUP_TIMEOUT_MS = 300_000;

export interface RunOptions {
  force: boolean;
  /** --yes: act on a context that is not the lab's (not one that looks like production). */
  yes?: boolean;
  /** Overrides the scenario's own deadline for the break to show. */
  timeoutMs?: number | undefined;
}

export interface ScenarioReport {
  scenario: ScenarioName;
  context: string;
  breaks: string;
  expectedFinding: string | null;
  injected: string[];
  verified: boolean;
  /** From the start of the injection to the break being seen (or to the deadline). */
  elapsedMs: number;
  /** Kubernetes' evidence of the break (verified). */
  evidence: string[];
  /** What was there instead (not verified). */
  saw: string[];
  pod: PodRef | null;
  /** `sre-lab diagnose <pod> -n <ns>`, when a pod broke. */
  diagnose: string | null;
  goodDiagnosis: string;
  measurements: Record<string, number>;
  /** What revert did; null when the break was left in place for you to look at. */
  reverted: string[] | null;
}

export function makeRun(ctx: Context, kube: KubeClient, runner: Runner, signal: AbortSignal): ChaosRun {
  return {
    ctx,
    kube,
    runner,
    signal,
    now: () => ctx.clock.now(),
    progress: (text) => ctx.out.debug(text),
  };
}

/** The lab's client, checked by the write guard; warnings from --force/--yes are printed. */
export async function openRun(
  ctx: Context,
  consent: { force: boolean; yes?: boolean | undefined },
  command = "sre-lab chaos",
): Promise<ChaosRun> {
  const kube = await labKube(ctx);
  const verdict = await checkChaosTarget(
    ctx,
    kube,
    { force: consent.force, yes: consent.yes === true },
    command,
    command === "sre-lab gameday"
      ? [
          "for each pod that broke, the diagnose agent's ServiceAccount, Role, RoleBinding, ConfigMap, nodes ClusterRole and binding, and Job in its namespace (removed when it ends)",
        ]
      : [],
  );
  ctx.out.debug(`chaos acts on context ${kube.context}: ${verdict.because}`);
  return makeRun(ctx, kube, ctx.runner, ctx.signal);
}

/**
 * A run for reverting after Ctrl-C: the flow's signal has fired, so the shared client and runner
 * would refuse. A fresh client and runner with their own deadline instead.
 */
export async function cleanupRun(run: ChaosRun): Promise<ChaosRun> {
  if (!run.signal.aborted) return run;
  const cleanup = await run.ctx.cleanupContext(CLEANUP_TIMEOUT_MS);
  return makeRun(cleanup, await cleanup.kube(), cleanup.runner, cleanup.signal);
}

/** What a chaos run's steps share: the run, and what each step left for the next. */
export interface ChaosState {
  run: ChaosRun;
  /** When the injection started (run.now()); the verify deadline counts from it. */
  started: number;
  injection?: Injection;
  verification?: Verification;
  reverted?: string[];
}

export function chaosState(run: ChaosRun, injection?: Injection): ChaosState {
  return { run, started: run.now(), ...(injection ? { injection } : {}) };
}

export function injectStep(scenario: Scenario): Step<ChaosState> {
  return {
    id: `inject-${scenario.name}`,
    title: `inject ${scenario.name}`,
    plan: async () => scenario.plan(),
    async run(state) {
      state.started = state.run.now();
      const injection = await scenario.inject(state.run);
      state.injection = injection;
      return { status: "done", detail: injection.actions.join("; ") };
    },
  };
}

export function verifyStep(scenario: Scenario, timeoutMs: number): Step<ChaosState> {
  return {
    id: `verify-${scenario.name}`,
    title: `verify the break (up to ${formatDuration(timeoutMs)})`,
    plan: async () => [
      `wait up to ${formatDuration(timeoutMs)} for Kubernetes' own evidence of the break: ${scenario.breaks}`,
    ],
    async run(state) {
      const { run, injection, started } = state;
      if (!injection) throw new SreLabError(`${scenario.name} was not injected`);
      state.verification = await injection.verify(run, started + timeoutMs);
      return { status: "done", detail: `seen after ${formatDuration(run.now() - started)}` };
    },
  };
}

/** Undoes this run's injection when there is one, else whatever earlier runs left (found by labels). */
export function revertStep(scenario: Scenario, why?: string): Step<ChaosState> {
  return {
    id: `revert-${scenario.name}`,
    title: `revert ${scenario.name}${why ? ` (${why})` : ""}`,
    plan: async () => [`undo what runs of ${scenario.name} left in the lab, found by its labels`],
    async run(state) {
      const reverted = await revertNow(state.run, scenario, state.injection);
      state.reverted = reverted;
      return { status: "done", detail: reverted.length > 0 ? reverted.join("; ") : "nothing to revert" };
    },
  };
}

/** The steps of `chaos <scenario>` when the break shows (a revert step follows when it does not). */
export function scenarioSteps(scenario: Scenario, timeoutMs: number | undefined): Step<ChaosState>[] {
  return [injectStep(scenario), verifyStep(scenario, deadlineOf(scenario, timeoutMs))];
}

/** Runs one step on its own task list (chaos decides what comes next from how it ended). */
export async function runStep<S>(ctx: Context, step: Step<S>, state: S): Promise<void> {
  await runSteps([step], state, ctx);
}

export function deadlineOf(scenario: Scenario, timeoutMs: number | undefined): number {
  return timeoutMs ?? scenario.verifyTimeoutMs;
}

export interface InjectOutcome {
  injection: Injection;
  verification: Verification | undefined;
  /** Why there is no verification: NotVerifiedError (the break did not show) or another failure. Not reverted yet. */
  failure: Error | undefined;
  elapsedMs: number;
}

/**
 * Injects and verifies. Ctrl-C at any point reverts what was injected, then rethrows. A failed
 * injection is rethrown (scenarios check everything before they change anything). A failed
 * verification (NotVerifiedError or another error) comes back as `failure`, for the caller to revert.
 */
export async function injectAndVerify(
  run: ChaosRun,
  scenario: Scenario,
  options: { timeoutMs?: number | undefined },
): Promise<InjectOutcome> {
  const { ctx } = run;
  const [inject, verify] = scenarioSteps(scenario, options.timeoutMs) as [Step<ChaosState>, Step<ChaosState>];
  const state = chaosState(run);
  try {
    await runStep(ctx, inject, state);
  } catch (error) {
    // Scenarios check everything before they change anything; only Ctrl-C can leave a half-made
    // injection, which the scenario's label-based revert finds.
    if (error instanceof InterruptedError || run.signal.aborted) {
      await revertInterrupted(run, (r) => scenario.revert(r), scenario);
    }
    throw error;
  }
  const injection = state.injection as Injection;
  try {
    await runStep(ctx, verify, state);
    return {
      injection,
      verification: state.verification,
      failure: undefined,
      elapsedMs: run.now() - state.started,
    };
  } catch (error) {
    if (error instanceof InterruptedError || ctx.signal.aborted) {
      await revertInterrupted(run, (r) => injection.revert(r), scenario);
      throw error;
    }
    return {
      injection,
      verification: undefined,
      failure: error instanceof Error ? error : new Error(String(error)),
      elapsedMs: run.now() - state.started,
    };
  }
}

/** After Ctrl-C: revert with a fresh run and say what was done (on stderr). */
async function revertInterrupted(
  run: ChaosRun,
  revert: (run: ChaosRun) => Promise<string[]>,
  scenario: Scenario,
): Promise<void> {
  const cleanup = await cleanupRun(run);
  run.ctx.out.info(`interrupted: reverting ${scenario.name} …`);
  try {
    const done = await revert(cleanup);
    for (const line of done) run.ctx.out.info(`  ${line}`);
    if (done.length === 0) run.ctx.out.info("  nothing to revert");
  } catch (revertError) {
    run.ctx.out.warn(
      `could not revert ${scenario.name}: ${(revertError as Error).message}; run sre-lab chaos reset when the cluster answers`,
    );
  }
}

/** Reverts and returns the lines; errors become SreLabErrors that say how to finish the job. */
export async function revertNow(
  run: ChaosRun,
  scenario: Scenario,
  injection: Injection | undefined,
): Promise<string[]> {
  try {
    return await (injection ? injection.revert(run) : scenario.revert(run));
  } catch (error) {
    if (error instanceof InterruptedError || run.signal.aborted) {
      // Ctrl-C during the revert itself: finish it anyway, it is what the user wants most.
      return (injection ?? scenario).revert(await cleanupRun(run));
    }
    throw error;
  }
}

/** `sre-lab chaos <scenario>`: inject, verify, leave the break for you to diagnose (revert when it does not show). */
export async function runScenario(
  ctx: Context,
  scenario: Scenario,
  options: RunOptions,
): Promise<ScenarioReport> {
  const run = await openRun(ctx, options);
  const outcome = await injectAndVerify(run, scenario, options);
  let reverted: string[] | null = null;
  if (outcome.failure) {
    const why = outcome.failure instanceof NotVerifiedError ? "the break did not show" : "verify failed";
    const state = chaosState(run, outcome.injection);
    await runStep(ctx, revertStep(scenario, why), state);
    reverted = state.reverted ?? [];
    if (!(outcome.failure instanceof NotVerifiedError)) throw outcome.failure;
  }
  const notVerified = outcome.failure instanceof NotVerifiedError ? outcome.failure : undefined;
  const pod = outcome.verification?.pod ?? null;
  return {
    scenario: scenario.name,
    context: run.kube.context,
    breaks: scenario.breaks,
    expectedFinding: scenario.expectedFinding ?? null,
    injected: outcome.injection.actions,
    verified: outcome.verification !== undefined,
    elapsedMs: outcome.elapsedMs,
    evidence: outcome.verification?.evidence ?? [],
    saw: notVerified?.saw ?? [],
    pod,
    diagnose: pod ? diagnoseCommand(pod) : null,
    goodDiagnosis: scenario.goodDiagnosis,
    measurements: outcome.verification?.measurements ?? {},
    reverted,
  };
}

export interface RevertReport {
  scenario: ScenarioName;
  reverted: string[];
  error?: string;
}

/** `sre-lab chaos <scenario> --revert`. */
export async function revertScenario(
  ctx: Context,
  scenario: Scenario,
  options: RunOptions,
): Promise<RevertReport> {
  const run = await openRun(ctx, options);
  const state = chaosState(run);
  await runStep(ctx, revertStep(scenario), state);
  return { scenario: scenario.name, reverted: state.reverted ?? [] };
}

/**
 * `sre-lab chaos reset`: every scenario's revert, node-failure first (the other reverts need the
 * node's pods to terminate). One failing revert does not stop the others; the reports say which.
 */
export async function resetLab(ctx: Context, options: RunOptions): Promise<RevertReport[]> {
  const run = await openRun(ctx, options);
  const ordered = [...SCENARIOS].sort((a, b) => Number(b.usesDocker) - Number(a.usesDocker));
  const reports: RevertReport[] = [];
  for (const scenario of ordered) {
    try {
      const state = chaosState(run);
      await runStep(ctx, revertStep(scenario), state);
      reports.push({ scenario: scenario.name, reverted: state.reverted ?? [] });
    } catch (error) {
      if (error instanceof InterruptedError || ctx.signal.aborted) throw error;
      reports.push({ scenario: scenario.name, reverted: [], error: (error as Error).message });
    }
  }
  return reports;
}

/** The error `chaos <scenario>` ends with when the break did not show (after reverting). */
export function notVerifiedError(report: ScenarioReport): SreLabError {
  return new SreLabError(
    `${report.scenario}: the break did not show within ${formatDuration(report.elapsedMs)}; reverted`,
    {
      details: [
        "what was seen:",
        ...report.saw.map((l) => `  ${l}`),
        "reverted:",
        ...(report.reverted && report.reverted.length > 0 ? report.reverted : ["nothing to revert"]).map(
          (l) => `  ${l}`,
        ),
      ].join("\n"),
      hint: `check the lab with sre-lab status; give it longer with --timeout, or look at docs/chaos.md (${report.scenario})`,
    },
  );
}
