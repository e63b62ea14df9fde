import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FakeApiServer, KubeObject } from "../harness/fake-apiserver/index.js";
import { startCli } from "../lab/support.js";
import { runCli } from "../support/cli.js";
import { type ChaosWorld, labelled, NS, POD_A, pods, runDrillPods, startChaosWorld } from "./world.js";

/** The scripted diagnosis: an answer per pod-name prefix, and a record of what was asked. */
const script = vi.hoisted(() => ({
  calls: [] as string[],
  answers: {} as Record<string, { code: string; findingsMs: number; tokenMs?: number }>,
}));

vi.mock("../../src/chaos/diagnosis.js", () => ({
  labDiagnoser: () => async (pod: string, namespace: string) => {
    script.calls.push(`${namespace}/${pod}`);
    const key = Object.keys(script.answers).find((prefix) => pod.startsWith(prefix));
    const answer = key ? script.answers[key] : undefined;
    if (!answer) throw new Error(`the model is not reachable (no scripted answer for ${pod})`);
    return {
      findings: [{ code: answer.code }, { code: "CrashLoopBackOff" }],
      timeToFindingsMs: answer.findingsMs,
      timeToFirstTokenMs: answer.tokenMs,
    };
  },
}));

function oomKill(api: FakeApiServer): undefined | "done" {
  const driver = pods(api, labelled("oom"))[0];
  if (!driver) return undefined;
  api.update("v1", "Pod", NS, POD_A, (p: KubeObject) => {
    (p.status as { containerStatuses: unknown[] }).containerStatuses = [
      {
        name: "app",
        restartCount: 1,
        state: { running: {} },
        lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } },
      },
    ];
  });
  return "done";
}

function argoCdSelfHeal(api: FakeApiServer): undefined | "done" {
  const deployment = api.get("apps/v1", "Deployment", NS, "target-app") as {
    spec: { revisionHistoryLimit: number };
  };
  if (deployment.spec.revisionHistoryLimit === 3) return undefined;
  void api.request(
    "PATCH",
    `/apis/apps/v1/namespaces/${NS}/deployments/target-app?fieldManager=argocd-controller`,
    {
      headers: { "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { revisionHistoryLimit: 3 } }),
    },
  );
  return "done";
}

describe("sre-lab gameday", () => {
  let world: ChaosWorld;
  beforeEach(async () => {
    world = await startChaosWorld();
    script.calls = [];
    script.answers = {
      "target-app-": { code: "OOMKilled", findingsMs: 4_100, tokenMs: 2_300 },
      "sre-lab-drill-crashloop-": { code: "CrashLoopBackOff", findingsMs: 3_000 },
    };
  });
  afterEach(async () => {
    world.tools.assertNoUnexpectedCalls();
    await world.close();
  });

  it("injects, verifies, diagnoses, scores and reverts each scenario, and writes the scorecard", async () => {
    world.react(oomKill);
    world.react((api) =>
      runDrillPods(api, "crashloop", () => ({
        phase: "Running",
        containerStatuses: [
          {
            name: "app",
            restartCount: 1,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { reason: "Error", exitCode: 3 } },
          },
        ],
      })),
    );
    world.react(argoCdSelfHeal);
    // unschedulable: nobody plays the scheduler, so its break never shows.
    const report = join(world.home, "drill");
    const run = await runCli(
      ["gameday", "--only", "drift,unschedulable,crashloop,oom", "--timeout", "2s", "--report", report],
      { path: world.tools.path, env: world.env },
    );
    expect(run.code).toBe(0);

    // Gameday order, whatever --only said; diagnose ran on the pods that broke, and only on them.
    expect(script.calls).toEqual([`${NS}/${POD_A}`, `${NS}/sre-lab-drill-crashloop-5d8f7b9c6-abcde`]);
    const stderr = run.stderr.split("\n");
    expect(stderr.filter((l) => /^\[\d\/4\]/.test(l)).map((l) => l.split(":")[0])).toEqual([
      "[1/4] oom",
      "[2/4] crashloop",
      "[3/4] unschedulable",
      "[4/4] drift",
    ]);
    expect(stderr).toContain(`✓ diagnose ${POD_A}: root cause OOMKilled (expected OOMKilled)`);
    expect(run.stderr).toContain(`scorecard written: ${report}/scorecard.md and ${report}/scorecard.json`);

    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "gameday on kind-sre-lab: 1 of 2 diagnoses correct; 3 of 4 breaks verified; everything reverted",
    );
    const table = lines.slice(2, 7).map((l) => l.split(/ {2,}/));
    expect(table[0]).toEqual([
      "scenario",
      "break verified",
      "finding",
      "expected",
      "correct?",
      "time to findings",
      "time to first token",
      "reverted",
    ]);
    expect(table[1]).toEqual([
      "oom",
      expect.stringMatching(/^yes \(\d+\.\ds\)$/),
      "OOMKilled",
      "OOMKilled",
      "yes",
      "4.1s",
      "2.3s",
      "yes",
    ]);
    expect(table[2]).toEqual([
      "crashloop",
      expect.stringMatching(/^yes/),
      "CrashLoopBackOff",
      "AppError",
      "no",
      "3.0s",
      "-",
      "yes",
    ]);
    expect(table[3]).toEqual(["unschedulable", "no", "-", "Unschedulable", "n/a", "-", "-", "yes"]);
    expect(table[4]).toEqual(["drift", expect.stringMatching(/^yes/), "-", "-", "n/a", "-", "-", "yes"]);
    expect(lines).toContain("  unschedulable: the break did not show before the deadline");
    expect(lines.find((l) => l.startsWith("  drift: "))).toMatch(
      /^ {2}drift: Argo CD self-healed in \d+\.\ds$/,
    );

    // Everything was put back.
    expect(pods(world.api, (p) => p.metadata?.labels?.["sre-lab.dev/chaos"] !== undefined)).toEqual([]);
    expect(world.api.list("apps/v1", "Deployment", NS).map((d) => d.metadata?.name)).toEqual(["target-app"]);
    const target = world.api.get("apps/v1", "Deployment", NS, "target-app");
    expect(target?.metadata?.annotations?.["sre-lab.dev/chaos-drift"]).toBeUndefined();

    // The same scorecard as JSON and Markdown.
    const card = JSON.parse(readFileSync(join(report, "scorecard.json"), "utf8"));
    expect(card.context).toBe("kind-sre-lab");
    expect(card.interrupted).toBe(false);
    expect(card.summary).toEqual({ scenarios: 4, breaksVerified: 3, diagnosed: 2, correct: 1, reverted: 4 });
    expect(
      card.rows.map((r: { scenario: string; correct: boolean | null }) => [r.scenario, r.correct]),
    ).toEqual([
      ["oom", true],
      ["crashloop", false],
      ["unschedulable", null],
      ["drift", null],
    ]);
    expect(card.rows[0]).toMatchObject({
      expected: "OOMKilled",
      breakVerified: true,
      pod: `${NS}/${POD_A}`,
      finding: "OOMKilled",
      timeToFindingsMs: 4100,
      timeToFirstTokenMs: 2300,
      reverted: true,
    });
    expect(card.rows[2].evidence).toEqual(["no pod yet"]);
    expect(card.rows[2].revertActions).toEqual([`deleted Deployment ${NS}/sre-lab-drill-unschedulable`]);
    const markdown = readFileSync(join(report, "scorecard.md"), "utf8");
    expect(markdown).toContain("# sre-lab gameday scorecard");
    expect(markdown).toContain(
      "| Scenario | Break verified | Finding | Expected | Correct? | Time to findings | Time to first token | Reverted |",
    );
    expect(markdown).toMatch(
      /\| oom \| yes \(\d+\.\ds\) \| OOMKilled \| OOMKilled \| yes \| 4\.1s \| 2\.3s \| yes \|/,
    );
    expect(markdown).toContain(
      "## unschedulable\n\n- Note: the break did not show before the deadline\n- What was seen:\n  - no pod yet\n",
    );
  });

  it("a diagnosis that fails is scored wrong, and the drill goes on", async () => {
    script.answers = {};
    world.react((api) =>
      runDrillPods(api, "missing-config", () => ({
        phase: "Pending",
        containerStatuses: [
          { name: "app", restartCount: 0, state: { waiting: { reason: "CreateContainerConfigError" } } },
        ],
      })),
    );
    const report = join(world.home, "r");
    const run = await runCli(["gameday", "--only", "missing-config", "--report", report, "-o", "json"], {
      path: world.tools.path,
      env: world.env,
    });
    expect(run.code).toBe(0);
    const card = JSON.parse(run.stdout);
    expect(card.rows[0]).toMatchObject({
      scenario: "missing-config",
      breakVerified: true,
      finding: null,
      correct: false,
      reverted: true,
      note: "diagnose failed: the model is not reachable (no scripted answer for sre-lab-drill-missing-config-5d8f7b9c6-abcde)",
    });
    expect(world.api.get("apps/v1", "Deployment", NS, "sre-lab-drill-missing-config")).toBeUndefined();
  });

  it("Ctrl-C mid-drill reverts the scenario in progress, writes the partial scorecard, exits 130", async () => {
    const report = join(world.home, "partial");
    const cli = startCli(["gameday", "--only", "oom,crashloop", "--report", report], {
      path: world.tools.path,
      env: world.env,
    });
    await world.api.waitFor("v1", "Pod", NS, POD_A, () => pods(world.api, labelled("oom")).length === 1);
    await new Promise((r) => setTimeout(r, 100));
    cli.interrupt();
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("interrupted: reverting oom …");
    expect(pods(world.api, labelled("oom"))).toEqual([]);
    expect(world.api.get("apps/v1", "Deployment", NS, "sre-lab-drill-crashloop")).toBeUndefined();
    const card = JSON.parse(readFileSync(join(report, "scorecard.json"), "utf8"));
    expect(card.interrupted).toBe(true);
    expect(card.rows).toEqual([
      expect.objectContaining({ scenario: "oom", reverted: true, note: "interrupted (reverted)" }),
    ]);
  });

  it("rejects unknown scenarios in --only before touching anything", async () => {
    const report = join(world.home, "none");
    const run = await runCli(["gameday", "--only", "oom,meteor", "--report", report], {
      path: world.tools.path,
      env: world.env,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: unknown scenario: meteor");
    expect(run.stderr).toContain(
      "hint: choose from oom, crashloop, bad-image, missing-config, probe-failure, unschedulable, drift, node-failure",
    );
    expect(existsSync(report)).toBe(false);
    expect(pods(world.api, labelled("oom"))).toEqual([]);
  });
});
