/**
 * The step executor on its own: order, timing on the context's clock, what the renderer is told,
 * "not run" for the steps a failure or Ctrl-C left, the pause between two lists (up's one question),
 * and the plain lines a CI log shows.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createStepRenderer, plainRenderer } from "../../src/cli/render.js";
import { InterruptedError } from "../../src/core/errors.js";
import { createOutput } from "../../src/core/output.js";
import { planSteps, runSteps, type Step, type StepRenderer } from "../../src/core/steps.js";

/** A clock that moves only when a step says so. */
function fakeClock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function recorder(): StepRenderer & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    begin: async (steps) => void calls.push(`begin ${steps.map((s) => s.id).join(",")}`),
    started: (step) => void calls.push(`started ${step.id}`),
    progress: (step, text) => void calls.push(`progress ${step.id} ${text}`),
    done: (report) => void calls.push(`done ${report.id} ${report.detail} ${report.durationMs}ms`),
    skipped: (report) => void calls.push(`skipped ${report.id} ${report.detail}`),
    failed: (step, error) => void calls.push(`failed ${step.id} ${(error as Error).message}`),
    end: async () => void calls.push("end"),
    notRun: (step) => void calls.push(`not run ${step.id}`),
  };
}

interface World {
  log: string[];
}

function step(id: string, run: Step<World>["run"]): Step<World> {
  return { id, title: `Step ${id}`, plan: async () => [`would ${id}`], run };
}

const ok = (id: string, ms = 0, clock = fakeClock()) =>
  step(id, async (state) => {
    state.log.push(id);
    clock.advance(ms);
    return { status: "done", detail: `${id} done` };
  });

describe("runSteps", () => {
  it("runs the steps in order, timed on the context's clock, and tells the renderer", async () => {
    const clock = fakeClock();
    const renderer = recorder();
    const state: World = { log: [] };
    const steps = [
      step("a", async (s, handle) => {
        handle.progress("halfway");
        clock.advance(1_500);
        s.log.push("a");
        return { status: "done", detail: "made a" };
      }),
      step("b", async () => ({ status: "skipped", detail: "already there" })),
    ];
    const reports = await runSteps(steps, state, { signal: new AbortController().signal, clock, renderer });
    expect(state.log).toEqual(["a"]);
    expect(reports).toEqual([
      { id: "a", title: "Step a", status: "done", detail: "made a", durationMs: 1_500 },
      { id: "b", title: "Step b", status: "skipped", detail: "already there", durationMs: 0 },
    ]);
    expect(renderer.calls).toEqual([
      "begin a,b",
      "started a",
      "progress a halfway",
      "done a made a 1500ms",
      "started b",
      "skipped b already there",
      "end",
    ]);
  });

  it("a failing step is failed, the ones after it are not run, and its own error is rethrown", async () => {
    const renderer = recorder();
    const boom = new Error("registry port taken");
    const steps = [
      ok("a"),
      step("b", async () => {
        throw boom;
      }),
      ok("c"),
      ok("d"),
    ];
    const state: World = { log: [] };
    const ctx = { signal: new AbortController().signal, clock: fakeClock(), renderer };
    await expect(runSteps(steps, state, ctx)).rejects.toBe(boom);
    expect(state.log).toEqual(["a"]);
    expect(renderer.calls.slice(-5)).toEqual([
      "started b",
      "failed b registry port taken",
      "end",
      "not run c",
      "not run d",
    ]);
  });

  it("Ctrl-C during a step fails it with InterruptedError; nothing after it starts", async () => {
    const renderer = recorder();
    const controller = new AbortController();
    const steps = [
      step("a", async () => {
        controller.abort();
        return { status: "done", detail: "finished anyway" };
      }),
      ok("b"),
    ];
    const state: World = { log: [] };
    await expect(
      runSteps(steps, state, { signal: controller.signal, clock: fakeClock(), renderer }),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect(state.log).toEqual([]);
    expect(renderer.calls).toEqual(["begin a,b", "started a", "failed a interrupted", "end", "not run b"]);
  });

  it("pauses between two lists after the named step; the remaining steps are a new list", async () => {
    const renderer = recorder();
    const state: World = { log: [] };
    const ctx = { signal: new AbortController().signal, clock: fakeClock(), renderer };
    await runSteps([ok("a"), ok("b"), ok("c")], state, ctx, {
      pause: {
        after: "a",
        run: async (s) => {
          s.log.push("asked");
          renderer.calls.push("pause");
        },
      },
    });
    expect(state.log).toEqual(["a", "asked", "b", "c"]);
    expect(renderer.calls.filter((c) => !c.startsWith("started") && !c.startsWith("done"))).toEqual([
      "begin a",
      "end",
      "pause",
      "begin b,c",
      "end",
    ]);
  });

  it("when the pause throws (Ctrl-C at the question), every later step is not run", async () => {
    const renderer = recorder();
    const state: World = { log: [] };
    const ctx = { signal: new AbortController().signal, clock: fakeClock(), renderer };
    const run = runSteps([ok("a"), ok("b"), ok("c")], state, ctx, {
      pause: {
        after: "a",
        run: async () => {
          throw new InterruptedError("interrupted at the question; nothing was changed");
        },
      },
    });
    await expect(run).rejects.toThrow("interrupted at the question");
    expect(state.log).toEqual(["a"]);
    expect(renderer.calls.slice(-2)).toEqual(["not run b", "not run c"]);
  });
});

describe("planSteps", () => {
  it("is each step's title and plan, in order, and runs nothing", async () => {
    const state: World = { log: [] };
    expect(await planSteps([ok("a"), ok("b")], state)).toEqual([
      { step: "Step a", actions: ["would a"] },
      { step: "Step b", actions: ["would b"] },
    ]);
    expect(state.log).toEqual([]);
  });
});

describe("the plain renderer (CI logs, pipes)", () => {
  it("prints one line per transition, changed progress lines only, and not run after a failure", async () => {
    let text = "";
    const stream = new Writable({
      write(chunk, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    const out = createOutput({ stdout: stream, stderr: stream, env: {}, verbose: false, noColor: true });
    const steps = [
      step("a", async (_s, handle) => {
        handle.progress("app  OutOfSync\nui  Synced");
        handle.progress("app  Synced\nui  Synced");
        return { status: "done", detail: "2 Applications" };
      }),
      step("b", async () => ({ status: "skipped", detail: "already there" })),
      step("c", async () => {
        throw new Error("no");
      }),
      ok("d"),
    ];
    const ctx = { signal: new AbortController().signal, clock: fakeClock(), renderer: plainRenderer(out) };
    await expect(runSteps(steps, { log: [] }, ctx)).rejects.toThrow("no");
    expect(text.split("\n")).toEqual([
      "› Step a",
      "    app  OutOfSync",
      "    ui  Synced",
      "    app  Synced",
      "✓ Step a: 2 Applications",
      "› Step b",
      "- Step b: skipped, already there",
      "› Step c",
      "✗ Step c",
      "· Step d: not run",
      "",
    ]);
  });
});

/** A stream that says it is a terminal, and what was written to it. */
function terminal() {
  let written = "";
  const stderr = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        written += chunk.toString();
        done();
      },
    }),
    { isTTY: true },
  );
  return { stderr, text: () => written };
}

describe("the live renderer (a terminal)", () => {
  it("draws listr2's tree on stderr, shows the failure, and lists what was not run after it", async () => {
    const { stderr, text } = terminal();
    const out = createOutput({ stdout: stderr, stderr, env: {}, verbose: false, noColor: true });
    const renderer = createStepRenderer({ out, stderr, env: {} });
    const boom = new Error("registry port taken");
    const steps = [
      ok("a"),
      step("b", async () => {
        throw boom;
      }),
      ok("c"),
    ];
    const ctx = { signal: new AbortController().signal, clock: fakeClock(), renderer };
    await expect(runSteps(steps, { log: [] }, ctx)).rejects.toBe(boom);
    expect(text()).toContain("✔ Step a: a done");
    expect(text()).toContain("registry port taken");
    expect(text()).toMatch(/· Step c: not run\n$/);
  });

  it("is plain lines in CI even on a terminal", async () => {
    const { stderr, text } = terminal();
    const out = createOutput({ stdout: stderr, stderr, env: { CI: "1" }, verbose: false, noColor: true });
    const renderer = createStepRenderer({ out, stderr, env: { CI: "1" } });
    const ctx = { signal: new AbortController().signal, clock: fakeClock(), renderer };
    await runSteps([ok("a")], { log: [] }, ctx);
    expect(text()).toBe("› Step a\n✓ Step a: a done\n");
  });
});
