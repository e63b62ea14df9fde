/**
 * Runs a flow's ordered steps and shows them on stderr: listr2's live task tree on a terminal,
 * plain lines otherwise (CI logs, pipes, NO_COLOR-friendly). Steps return what they did or why
 * they were skipped; the executor returns those outcomes as data.
 */
import { InterruptedError } from "../core/errors.js";
import type { Output } from "../core/output.js";

export type StepOutcome = { status: "done"; detail: string } | { status: "skipped"; detail: string };

export interface StepHandle {
  /** Replaces the step's live line (progress such as "2 of 5 nodes Ready"). */
  progress(text: string): void;
}

export interface Step<S> {
  id: string;
  title: string;
  run(state: S, handle: StepHandle): Promise<StepOutcome>;
}

export interface StepReport {
  id: string;
  title: string;
  status: StepOutcome["status"];
  detail: string;
  durationMs: number;
}

export interface RunStepsOptions {
  out: Output;
  stderr: NodeJS.WritableStream;
  signal: AbortSignal;
  /** Live tree (listr2) instead of plain lines. */
  live: boolean;
  now?: () => number;
}

export async function runSteps<S>(
  steps: Step<S>[],
  state: S,
  options: RunStepsOptions,
): Promise<StepReport[]> {
  return options.live ? runLive(steps, state, options) : runPlain(steps, state, options);
}

async function runOne<S>(step: Step<S>, state: S, handle: StepHandle, options: RunStepsOptions) {
  if (options.signal.aborted) throw new InterruptedError();
  const now = options.now ?? Date.now;
  const started = now();
  const outcome = await step.run(state, handle);
  if (options.signal.aborted) throw new InterruptedError();
  return { id: step.id, title: step.title, ...outcome, durationMs: now() - started };
}

async function runPlain<S>(steps: Step<S>[], state: S, options: RunStepsOptions): Promise<StepReport[]> {
  const { style } = options.out;
  const reports: StepReport[] = [];
  for (const step of steps) {
    options.out.info(`${style.cyan("›")} ${step.title}`);
    let last: string[] = [];
    const handle: StepHandle = {
      progress(text) {
        // Without a live display, print only the progress lines that changed, indented under the step
        // (a multi-line progress, such as one line per Application, shows each transition once).
        const lines = text.split("\n");
        for (const [i, line] of lines.entries()) {
          if (line !== last[i]) options.out.info(`    ${style.dim(line)}`);
        }
        last = lines;
      },
    };
    try {
      const report = await runOne(step, state, handle, options);
      reports.push(report);
      options.out.info(
        report.status === "done"
          ? `${style.green("✓")} ${step.title}: ${report.detail}`
          : `${style.dim("-")} ${step.title}: skipped, ${report.detail}`,
      );
    } catch (error) {
      options.out.info(`${style.red("✗")} ${step.title}`);
      throw error;
    }
  }
  return reports;
}

async function runLive<S>(steps: Step<S>[], state: S, options: RunStepsOptions): Promise<StepReport[]> {
  const { Listr, ListrLogger, ProcessOutput } = await import("listr2");
  const stderr = options.stderr as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stderr, stderr) });
  const reports: StepReport[] = [];
  const list = new Listr(
    steps.map((step) => ({
      title: step.title,
      task: async (_ctx: unknown, task: { output: string; title: string; skip(message?: string): void }) => {
        const report = await runOne(step, state, { progress: (text) => (task.output = text) }, options);
        reports.push(report);
        if (report.status === "skipped") task.skip(`${step.title}: skipped, ${report.detail}`);
        else task.title = `${step.title}: ${report.detail}`;
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      registerSignalListeners: false,
      rendererOptions: { logger, collapseSkips: false, showSkipMessage: true },
      // listr2 falls back to its line renderer when the real stdout is not a terminal (for example
      // `up -o json > summary.json`); it must write to our stderr too.
      fallbackRendererOptions: { logger },
    },
  );
  await list.run();
  return reports;
}
