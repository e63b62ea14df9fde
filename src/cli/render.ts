/**
 * How steps look on stderr: listr2's live task tree on a terminal, plain lines otherwise (CI logs,
 * pipes, NO_COLOR-friendly). This is the one place that makes that choice; flows only talk to the
 * StepRenderer on their context. listr2 is imported only when a live tree is about to be drawn.
 */
import type { Output } from "../core/output.js";
import type { StepInfo, StepRenderer, StepReport } from "../core/steps.js";

export interface RendererOptions {
  out: Output;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** The live tree when stderr is a terminal and this is not CI; plain lines otherwise. */
export function createStepRenderer(options: RendererOptions): StepRenderer {
  const live = options.out.stderrIsTTY && !options.env.CI;
  return live ? liveRenderer(options.out, options.stderr) : plainRenderer(options.out);
}

const notRunLine = (out: Output, step: StepInfo) => `${out.style.dim("·")} ${step.title}: not run`;

export function plainRenderer(out: Output): StepRenderer {
  const { style } = out;
  let last: string[] = [];
  return {
    async begin() {},
    started(step) {
      last = [];
      out.info(`${style.cyan("›")} ${step.title}`);
    },
    progress(_step, text) {
      // Without a live display, print only the progress lines that changed, indented under the step
      // (a multi-line progress, such as one line per Application, shows each transition once).
      const lines = text.split("\n");
      for (const [i, line] of lines.entries()) {
        if (line !== last[i]) out.info(`    ${style.dim(line)}`);
      }
      last = lines;
    },
    done(report) {
      out.info(`${style.green("✓")} ${report.title}: ${report.detail}`);
    },
    skipped(report) {
      out.info(`${style.dim("-")} ${report.title}: skipped, ${report.detail}`);
    },
    failed(step) {
      out.info(`${style.red("✗")} ${step.title}`);
    },
    async end() {},
    notRun(step) {
      out.info(notRunLine(out, step));
    },
  };
}

interface ListrTask {
  output: string;
  title: string;
  skip(message?: string): void;
}

/** One listr2 task waiting for the executor to say how its step ended. */
interface Gate {
  task?: ListrTask;
  /** The last progress text, kept until listr2 has started the task. */
  output?: string;
  settle(result: { report: StepReport } | { error: unknown } | { notRun: true }): void;
  settled: Promise<{ report: StepReport } | { error: unknown } | { notRun: true }>;
}

function gate(): Gate {
  let settle!: Gate["settle"];
  const settled = new Promise<Parameters<Gate["settle"]>[0]>((resolve) => {
    settle = resolve;
  });
  return { settle, settled };
}

/**
 * The live tree. listr2 drives its own tasks, so each task waits on a gate that the executor's
 * calls settle; the executor stays the one that runs the steps (in the same order).
 */
function liveRenderer(out: Output, stderr: NodeJS.WritableStream): StepRenderer {
  let gates = new Map<string, Gate>();
  let drawn: Promise<void> = Promise.resolve();
  return {
    async begin(steps) {
      const { Listr, ListrLogger, ProcessOutput } = await import("listr2");
      const stream = stderr as NodeJS.WriteStream;
      const logger = new ListrLogger({ processOutput: new ProcessOutput(stream, stream) });
      gates = new Map(steps.map((step) => [step.id, gate()]));
      const list = new Listr(
        steps.map((step) => ({
          title: step.title,
          task: async (_ctx: unknown, task: ListrTask) => {
            const g = gates.get(step.id) as Gate;
            g.task = task;
            if (g.output !== undefined) task.output = g.output;
            const result = await g.settled;
            if ("error" in result) throw result.error;
            if ("notRun" in result) task.skip(`${step.title}: not run`);
            else if (result.report.status === "skipped") {
              task.skip(`${step.title}: skipped, ${result.report.detail}`);
            } else task.title = `${step.title}: ${result.report.detail}`;
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
      // The executor rethrows the step's own error; the list's rejection is only the display's.
      drawn = list.run().then(
        () => {},
        () => {},
      );
    },
    started() {},
    progress(step, text) {
      const g = gates.get(step.id);
      if (!g) return;
      g.output = text;
      if (g.task) g.task.output = text;
    },
    done(report) {
      gates.get(report.id)?.settle({ report });
    },
    skipped(report) {
      gates.get(report.id)?.settle({ report });
    },
    failed(step, error) {
      gates.get(step.id)?.settle({ error });
    },
    async end() {
      // A task listr2 already started but the executor never ran (Ctrl-C between steps) ends the list.
      for (const g of gates.values()) g.settle({ notRun: true });
      await drawn;
    },
    notRun(step) {
      out.info(notRunLine(out, step));
    },
  };
}
