/**
 * The one write guard (src/lab/write-guard.ts), alone and through each command that writes to a
 * cluster: up --provider existing, sync, down, chaos (test/chaos/safety.test.ts), gameday and
 * diagnose --in-cluster (test/diagnose-cli/existing-cluster.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { InterruptedError, SreLabError, UsageError } from "../../src/core/errors.js";
import {
  classifyTarget,
  guardClusterWrite,
  type WritePlan,
  type WriteTarget,
} from "../../src/lab/write-guard.js";
import { runCli } from "../support/cli.js";
import { type FakeLab, startFakeLab } from "../support/fake-lab.js";
import { rootApplication } from "../support/root-application.js";

const plan: WritePlan = {
  command: "sre-lab thing",
  verb: "write to",
  writes: ["a ConfigMap in namespace x"],
};

function recorder(answer?: string | Error) {
  const lines: string[] = [];
  const questions: string[] = [];
  const ctx = {
    out: {
      info: (t: string) => lines.push(t),
      warn: (t: string) => lines.push(`warning: ${t}`),
      debug: () => {},
    },
    ask:
      answer === undefined
        ? undefined
        : async (q: string) => {
            questions.push(q);
            if (answer instanceof Error) throw answer;
            return answer;
          },
  } as never;
  return { ctx, lines, questions };
}

const target = (context: string, server = "https://10.0.0.1:6443", labelled?: WriteTarget["labelled"]) => ({
  context,
  server,
  ...(labelled ? { labelled } : {}),
});
const no = { yes: false, force: false };

describe("the write guard", () => {
  it("lets the lab through without a word", async () => {
    const { ctx, lines } = recorder();
    await expect(guardClusterWrite(ctx, target("kind-sre-lab"), plan, no)).resolves.toEqual({
      lab: true,
      because: "context kind-sre-lab is the lab's",
      warnings: [],
    });
    await expect(
      guardClusterWrite(
        ctx,
        target("staging", undefined, async () => "labelled"),
        plan,
        no,
      ),
    ).resolves.toMatchObject({ lab: true });
    expect(lines).toEqual([]);
  });

  it("refuses another context without a terminal or a flag: exit 2, what and where, and the flag", async () => {
    const { ctx } = recorder();
    const refusal = await guardClusterWrite(
      ctx,
      target("staging", undefined, async () => "not-labelled"),
      plan,
      no,
    ).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(UsageError);
    expect(refusal).toMatchObject({
      message:
        "refusing to write to context \"staging\": it is not the lab's (kind-sre-lab): namespace sre-lab-app there is not labelled as the lab's",
      details:
        'sre-lab thing would write to context "staging" (https://10.0.0.1:6443):\n  - a ConfigMap in namespace x',
      hint: "pass --yes to write to it anyway, or use --context kind-sre-lab",
    });
  });

  it("--yes (or --force) lets another context through, said as a warning after the statement", async () => {
    const { ctx, lines } = recorder();
    await expect(
      guardClusterWrite(ctx, target("staging"), plan, { yes: true, force: false }),
    ).resolves.toEqual({
      lab: false,
      because: "--yes",
      warnings: ['--yes: acting on context "staging", which is not the lab\'s'],
    });
    expect(lines).toEqual([
      'sre-lab thing would write to context "staging" (https://10.0.0.1:6443):',
      "  - a ConfigMap in namespace x",
      'warning: --yes: acting on context "staging", which is not the lab\'s',
    ]);
  });

  it("production-looking names need --force, even on the lab's context and with --yes", async () => {
    const { ctx } = recorder("prod-eu-west-1");
    for (const [t, what] of [
      [target("prod-eu-west-1"), 'context "prod-eu-west-1"'],
      [target("kind-sre-lab", "https://api.live.example.com"), "API server https://api.live.example.com"],
    ] as const) {
      await expect(guardClusterWrite(ctx, t, plan, { yes: true, force: false })).rejects.toThrow(
        `refusing to write to ${what}: it looks like production`,
      );
    }
    await expect(
      guardClusterWrite(ctx, target("prod-eu-west-1"), plan, { yes: false, force: true }),
    ).resolves.toMatchObject({ lab: false, because: "--force" });
  });

  it("on a terminal: the context's name typed goes on; anything else stops (exit 1); Ctrl-C is 130", async () => {
    const typed = recorder("  staging ");
    await expect(guardClusterWrite(typed.ctx, target("staging"), plan, no)).resolves.toMatchObject({
      lab: false,
      because: "confirmed on the terminal",
    });
    expect(typed.questions).toEqual(["Type the context's name (staging) to go on, anything else stops:"]);
    expect(typed.lines[0]).toBe('sre-lab thing would write to context "staging" (https://10.0.0.1:6443):');

    const wrong = recorder("y");
    const declined = await guardClusterWrite(wrong.ctx, target("staging"), plan, no).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(SreLabError);
    expect(declined).not.toBeInstanceOf(UsageError);
    expect((declined as Error).message).toBe('not confirmed: nothing was written to context "staging"');

    const interrupted = recorder(new InterruptedError());
    await expect(guardClusterWrite(interrupted.ctx, target("staging"), plan, no)).rejects.toBeInstanceOf(
      InterruptedError,
    );
  });

  it("classifies without contacting a cluster when no label lookup is given (dry runs)", async () => {
    await expect(classifyTarget(target("prod-eu-west-1"))).resolves.toEqual({
      lab: false,
      because: "it is not the lab's (kind-sre-lab): not contacted",
      production: { what: 'context "prod-eu-west-1"', word: "prod" },
    });
  });
});

describe("each command that writes to a cluster goes through the guard", () => {
  let lab: FakeLab;
  afterEach(async () => {
    lab.tools.assertNoUnexpectedCalls();
    await lab.close();
  });
  const as = (context: string) => ({
    path: lab.tools.path,
    env: { ...lab.env, KUBECONFIG: lab.api.writeKubeconfig(lab.home, { context }) },
  });

  it("up --provider existing: refused without --yes, refused on production without --force; nothing run", async () => {
    lab = await startFakeLab();
    const up = [
      "up",
      "--provider",
      "existing",
      "--repo-url",
      "https://github.com/acme/lab.git",
      "--skip-model",
    ];
    const staging = await runCli(["--context", "staging", ...up], as("staging"));
    expect(staging.code).toBe(2);
    expect(staging.stderr).toContain('error: refusing to write to context "staging"');
    expect(staging.stderr).toContain(
      "Argo CD v3.5.1 in namespace argocd, server-side applied with --force-conflicts, with its CRDs, ClusterRoles and ClusterRoleBindings (cluster-wide)",
    );
    const prod = await runCli(["--context", "prod-eu-west-1", ...up, "--yes"], as("prod-eu-west-1"));
    expect(prod.code).toBe(2);
    expect(prod.stderr.split("\n")[0]).toBe(
      'error: refusing to write to context "prod-eu-west-1": it looks like production ("prod")',
    );
    expect(prod.stderr).toContain("pass --force only for a throwaway cluster");
    expect(lab.tools.calls()).toEqual([]);
    expect(lab.api.writeRequests()).toEqual([]);
  });

  it("up --provider existing --dry-run on production: exit 0, no write, and says what a real run would need", async () => {
    lab = await startFakeLab();
    const run = await runCli(
      [
        "--context",
        "prod-eu-west-1",
        "up",
        "--provider",
        "existing",
        "--repo-url",
        "https://github.com/acme/lab.git",
        "--dry-run",
        "-o",
        "json",
      ],
      as("prod-eu-west-1"),
    );
    expect(run.code).toBe(0);
    const note =
      'a real run writes to context "prod-eu-west-1", it looks like production ("prod"): it needs --force';
    expect(run.stderr).toContain(`warning: ${note}`);
    expect((JSON.parse(run.stdout) as { guard?: string }).guard).toBe(note);
    // A dry run reads (the same preflight as a real run) but writes nothing.
    expect(lab.api.writeRequests()).toEqual([]);
  });

  it("sync --context: refused off the lab without --yes; with --yes it goes on", async () => {
    lab = await startFakeLab();
    lab.api.put(rootApplication({ repoURL: "https://github.com/acme/lab.git", targetRevision: "main" }));
    const refused = await runCli(["--context", "staging", "sync"], as("staging"));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('sre-lab sync would write to context "staging"');
    expect(refused.stderr).toContain("hint: pass --yes to write to it anyway");
    const prod = await runCli(["--context", "prod-1", "sync", "--yes"], as("prod-1"));
    expect(prod.code).toBe(2);
    expect(lab.api.writeRequests()).toEqual([]);

    const yes = await runCli(["--context", "staging", "sync", "--yes"], as("staging"));
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain("Argo CD reads https://github.com/acme/lab.git");
  });

  it("down --context another: refused, nothing deleted (down only ever deletes the lab)", async () => {
    lab = await startFakeLab();
    const run = await runCli(["--context", "prod-eu-west-1", "down"], as("prod-eu-west-1"));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: sre-lab down deletes only the lab (kind cluster sre-lab, context kind-sre-lab), never context "prod-eu-west-1"\n' +
        "hint: drop --context prod-eu-west-1; to undo `up --provider existing` there, delete the Applications in namespace argocd with kubectl (docs/existing-cluster.md)\n",
    );
    expect(lab.tools.calls()).toEqual([]);
  });

  it("gameday --context another: refused before any scenario runs", async () => {
    lab = await startFakeLab();
    const run = await runCli(["--context", "staging", "gameday"], as("staging"));
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe(
      'error: refusing to break context "staging": it is not the lab\'s (kind-sre-lab): namespace sre-lab-app does not exist there',
    );
    expect(run.stderr).toContain('sre-lab gameday would write to context "staging"');
    expect(lab.api.writeRequests()).toEqual([]);
  });
});
