/**
 * A plan is only worth printing if it is the run: for every flow that runs steps (up, sync, each chaos
 * scenario), the titles a real run shows on stderr are the titles of its steps' plans, in order.
 * The runs go against the stand-ins (fake tools, API server, registry); the run's titles are read
 * from the plain task list (`› title` as each step starts), as a user in CI sees them.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ChaosState, scenarioSteps } from "../../src/chaos/run.js";
import { SCENARIOS } from "../../src/chaos/scenarios/index.js";
import type { Scenario } from "../../src/chaos/types.js";
import { planSteps } from "../../src/core/steps.js";
import { DEFAULT_PORTS } from "../../src/lab/config.js";
import { syncSteps } from "../../src/lab/sync.js";
import type { UpState } from "../../src/lab/up/options.js";
import { startChaosWorld } from "../chaos/world.js";
import { runCli } from "../support/cli.js";
import { type FakeLab, startFakeLab } from "../support/fake-lab.js";
import { freshLabRules } from "../support/lab-rules.js";
import { healthyMachineRules } from "../support/machine.js";
import { rootApplication } from "../support/root-application.js";

/**
 * The real scenarios (names, deadlines, plans) whose injection is a stand-in that breaks at once:
 * what is compared is the chaos flow's own steps, not how each scenario breaks the lab (its own
 * tests cover that).
 */
vi.mock("../../src/chaos/scenarios/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/chaos/scenarios/index.js")>();
  const standIn = (s: Scenario): Scenario => ({
    ...s,
    inject: async () => ({
      actions: s.plan(),
      verify: async () => ({ evidence: ["stand-in: the break shows at once"] }),
      revert: async () => [],
    }),
  });
  return {
    SCENARIOS: real.SCENARIOS.map(standIn),
    scenario: (name: Parameters<typeof real.scenario>[0]) => standIn(real.scenario(name)),
  };
});

/** The steps a run started, in order. */
function runTitles(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("› "))
    .map((l) => l.slice(2));
}

describe("every flow's plan is its run", () => {
  let lab: FakeLab | undefined;
  afterEach(async () => {
    lab?.tools.assertNoUnexpectedCalls();
    await lab?.close();
    lab = undefined;
  });

  it("up: the --dry-run plan lists the steps the real run then runs", async () => {
    lab = await startFakeLab();
    lab.tools.expect(...healthyMachineRules());
    const dry = await runCli(["up", "--dry-run", "-o", "json"], { path: lab.tools.path, env: lab.env });
    expect(dry.code).toBe(0);
    const plan = (JSON.parse(dry.stdout) as { plan: { step: string }[] }).plan.map((e) => e.step);
    // The dry run ends with where the lab will answer: a note, not a step.
    expect(plan.at(-1)).toMatch(/^Where the lab answers/);

    lab.tools.expect(...freshLabRules(lab));
    const run = await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(0);
    expect(runTitles(run.stderr)).toEqual(plan.slice(0, -1));
    expect(plan.slice(0, -1)).toHaveLength(10);
  });

  it("sync: the steps it runs are the steps it plans", async () => {
    lab = await startFakeLab();
    lab.api.put(
      rootApplication({
        repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
        targetRevision: `sha256:${"0".repeat(64)}`,
        path: "bootstrap",
      }),
    );
    const run = await runCli(["sync", "--timeout", "20s"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(0);
    const state = { options: { repoUrl: undefined }, ports: { ...DEFAULT_PORTS } } as unknown as UpState;
    const plan = await planSteps(syncSteps(), state);
    expect(runTitles(run.stderr)).toEqual(plan.map((e) => e.step));
    expect(plan.map((e) => e.actions.length > 0)).toEqual([true, true, true]);
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    "chaos %s: the steps it runs are the steps it plans",
    async (name, scenario) => {
      const world = await startChaosWorld();
      try {
        const run = await runCli(["chaos", name], { path: world.tools.path, env: world.env });
        expect(run.stderr).not.toContain("error:");
        expect(run.code).toBe(0);
        const plan = await planSteps(scenarioSteps(scenario, undefined), {} as ChaosState);
        expect(runTitles(run.stderr)).toEqual(plan.map((e) => e.step));
        // The inject step's plan is the scenario's own account of what it changes.
        expect(plan[0]?.actions).toEqual(scenario.plan());
        world.tools.assertNoUnexpectedCalls();
      } finally {
        await world.close();
      }
    },
  );
});
