/**
 * Steps and their executor: a flow is an ordered list of small steps sharing one state. Each step
 * says what it would do (`plan`, what `--dry-run` prints) next to doing it (`run`), and returns
 * what it did or why it was skipped. The executor runs them in order, honours Ctrl-C, times each
 * on the context's clock and tells a StepRenderer (the CLI's listr2 tree or plain lines; tests
 * their own) what happens. Nothing here draws anything.
 */
import { InterruptedError } from "./errors.js";

export type StepOutcome = { status: "done"; detail: string } | { status: "skipped"; detail: string };

export interface StepHandle {
  /** Replaces the step's live line (progress such as "2 of 5 nodes Ready"). */
  progress(text: string): void;
}

export interface Step<S> {
  id: string;
  title: string;
  /** What run() would do, one action per entry, without changing anything (the dry run). */
  plan(state: S): Promise<string[]>;
  run(state: S, handle: StepHandle): Promise<StepOutcome>;
}

export interface StepReport {
  id: string;
  title: string;
  status: StepOutcome["status"];
  detail: string;
  durationMs: number;
}

/** What a renderer knows of a step: enough to show it, nothing to run it. */
export interface StepInfo {
  id: string;
  title: string;
}

/**
 * Shows a run of steps. The executor calls `begin` with the whole list, then for each step in turn
 * `started` and one of `done`, `skipped` or `failed` (with `progress` in between), then `end`; after
 * `end`, `notRun` for each step that never started because of a failure or Ctrl-C.
 */
export interface StepRenderer {
  begin(steps: readonly StepInfo[]): Promise<void>;
  started(step: StepInfo): void;
  progress(step: StepInfo, text: string): void;
  done(report: StepReport): void;
  skipped(report: StepReport): void;
  failed(step: StepInfo, error: unknown): void;
  /** Resolves when the display of this list is settled (nothing more is drawn for it). */
  end(): Promise<void>;
  notRun(step: StepInfo): void;
}

/** The part of the flow context the executor uses. */
export interface StepContext {
  signal: AbortSignal;
  clock: { now(): number };
  renderer: StepRenderer;
}

export interface RunStepsOptions<S> {
  /**
   * Work between two steps with no task list on screen (the one question `up` may ask): the list
   * shown so far ends after step `after`, `run` runs, and the remaining steps are shown as a new
   * list. When `run` throws, the remaining steps are not run.
   */
  pause?: { after: string; run(state: S): Promise<void> };
}

/**
 * Runs the steps in order and returns their reports. A failing step (or Ctrl-C) ends the run: the
 * error is rethrown after the steps that never started have been reported as not run.
 */
export async function runSteps<S>(
  steps: readonly Step<S>[],
  state: S,
  ctx: StepContext,
  options: RunStepsOptions<S> = {},
): Promise<StepReport[]> {
  const cut = options.pause ? steps.findIndex((s) => s.id === options.pause?.after) + 1 : 0;
  const parts = cut > 0 && cut < steps.length ? [steps.slice(0, cut), steps.slice(cut)] : [steps];
  const reports: StepReport[] = [];
  let next = 0;
  try {
    for (const [index, part] of parts.entries()) {
      if (index > 0 && options.pause) await options.pause.run(state);
      await runPart(part, state, ctx, (report) => {
        reports.push(report);
        next += 1;
      });
    }
  } catch (error) {
    // The step that failed counts as started; the ones after it never did.
    const failedAt = error instanceof StepFailure ? next + 1 : next;
    for (const step of steps.slice(failedAt)) ctx.renderer.notRun(step);
    throw error instanceof StepFailure ? error.cause : error;
  }
  return reports;
}

/** Marks an error thrown by a step that had started (it is shown as failed, not as not run). */
class StepFailure extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super("step failed");
    this.cause = cause;
  }
}

async function runPart<S>(
  steps: readonly Step<S>[],
  state: S,
  ctx: StepContext,
  onReport: (report: StepReport) => void,
): Promise<void> {
  const { renderer } = ctx;
  if (ctx.signal.aborted) throw new InterruptedError();
  await renderer.begin(steps.map(({ id, title }) => ({ id, title })));
  try {
    for (const step of steps) {
      if (ctx.signal.aborted) throw new InterruptedError();
      renderer.started(step);
      const started = ctx.clock.now();
      let outcome: StepOutcome;
      try {
        outcome = await step.run(state, { progress: (text) => renderer.progress(step, text) });
        if (ctx.signal.aborted) throw new InterruptedError();
      } catch (error) {
        renderer.failed(step, error);
        throw new StepFailure(error);
      }
      const report: StepReport = {
        id: step.id,
        title: step.title,
        ...outcome,
        durationMs: ctx.clock.now() - started,
      };
      if (report.status === "done") renderer.done(report);
      else renderer.skipped(report);
      onReport(report);
    }
  } finally {
    await renderer.end();
  }
}

/** One entry of a plan: a step's title and what it would do. */
export interface PlanEntry {
  step: string;
  actions: string[];
}

/** Every step's plan, in order: what a dry run prints. */
export async function planSteps<S>(steps: readonly Step<S>[], state: S): Promise<PlanEntry[]> {
  const plan: PlanEntry[] = [];
  for (const step of steps) plan.push({ step: step.title, actions: await step.plan(state) });
  return plan;
}
