/**
 * The order a user lives through in `up`: the read-only preflight first, then (only when needed and
 * there is someone to ask) the one sudo question, then the steps. Ctrl-C at the question exits 130
 * with nothing changed; steps that never started are shown as not run, not as failed.
 */
import { afterEach, expect, it } from "vitest";
import * as rec from "../harness/fake-tools/recordings.js";
import { runCli } from "../support/cli.js";
import { type FakeLab, startFakeLab } from "../support/fake-lab.js";
import { healthyMachineRules } from "../support/machine.js";

const SYSCTL_READ = ["-n", "fs.inotify.max_user_watches", "fs.inotify.max_user_instances"];
const LATER_STEPS = [
  "Host inotify limits",
  "Local registry",
  "Cluster sre-lab",
  "Target app image",
  "GitOps source",
  "Argo CD",
  "Applications synced and healthy",
  "Model",
];
/** Commands that only read: doctor's checks and sysctl -n. */
const READ_ONLY = /^(docker (version|info)|kind (version|get clusters)|kubectl version|sysctl -n)/;

const notRunLine = (step: string) => new RegExp(`^· ${step}[^\n]*: not run$`, "m");

let lab: FakeLab;
afterEach(async () => {
  lab.tools.assertNoUnexpectedCalls();
  await lab.close();
});

it("Ctrl-C at the sudo question exits 130, changes nothing, and lists every later step as not run", async () => {
  lab = await startFakeLab();
  lab.tools.expect(...healthyMachineRules({ sysctl: { stdout: "8192\n128\n" } }), {
    tool: "sysctl",
    args: SYSCTL_READ,
    stdout: "8192\n128\n",
  });
  const controller = new AbortController();
  const asked: string[] = [];
  const run = await runCli(["up"], {
    path: lab.tools.path,
    env: lab.env,
    signal: controller.signal,
    // The user presses Ctrl-C while the question waits for an answer.
    confirm: (question) => {
      asked.push(question);
      setTimeout(() => controller.abort(), 20);
      return new Promise<boolean>(() => {});
    },
  });
  expect(asked).toEqual(["Run it with sudo now?"]);
  expect(run.code).toBe(130);
  expect(run.stderr).toContain("error: interrupted");
  expect(lab.tools.commandLines().filter((l) => !READ_ONLY.test(l))).toEqual([]);
  expect(lab.api.requests.filter((r) => r.verb !== "get" && r.verb !== "list")).toEqual([]);
  expect(run.stderr).toContain("✓ Preflight");
  for (const step of LATER_STEPS) {
    expect(run.stderr).toMatch(notRunLine(step));
    expect(run.stderr).not.toContain(`✗ ${step}`);
  }
  expect(run.stdout).toBe("");
});

it("a failing step is marked ✗; the steps after it are not run, not failed", async () => {
  lab = await startFakeLab();
  lab.tools.expect(
    ...healthyMachineRules(),
    { tool: "sysctl", args: SYSCTL_READ, stdout: "524288\n512\n" },
    {
      tool: "docker",
      args: ["container", "inspect", "--format", "{{json .State.Status}}", "sre-lab-registry"],
      ...rec.dockerDaemonDown,
    },
  );
  const run = await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("✓ Preflight");
  expect(run.stderr).toContain("- Host inotify limits: skipped, already");
  expect(run.stderr).toContain("✗ Local registry");
  const notRun = LATER_STEPS.slice(2);
  for (const step of notRun) {
    expect(run.stderr).toMatch(notRunLine(step));
    expect(run.stderr).not.toContain(`✗ ${step}`);
  }
  expect(run.stderr).not.toContain("· Local registry: not run");
  expect(run.stderr).not.toContain("· Preflight: not run");
});

it("a blocking preflight asks nothing and runs nothing else", async () => {
  lab = await startFakeLab();
  lab.tools.expect(...healthyMachineRules({ dockerInfo: rec.dockerDaemonDown, kindClusters: { times: 0 } }), {
    tool: "sysctl",
    args: SYSCTL_READ,
    stdout: "8192\n128\n",
    times: 0,
  });
  const asked: string[] = [];
  const run = await runCli(["up"], {
    path: lab.tools.path,
    env: lab.env,
    confirm: async (question) => {
      asked.push(question);
      return true;
    },
  });
  expect(run.code).toBe(1);
  expect(asked).toEqual([]);
  expect(run.stderr).toContain("✗ Preflight");
  for (const step of LATER_STEPS) expect(run.stderr).toMatch(notRunLine(step));
  lab.tools.assertAllUsed();
});
