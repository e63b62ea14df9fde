/**
 * The acceptance scenarios: the suite's copy in test/fixtures/scenarios/ always runs (a fresh clone
 * included). The shared set (../shared/scenarios, next to the repository) is an extra when present:
 * it must agree with the copy, and a bundle only it holds is run too. Nothing is skipped: without the
 * shared folder its cases are simply not generated.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/diagnose/analyze/index.js";
import { parseBundle, serializeBundle } from "../../src/diagnose/bundle.js";
import { buildPrompt, PROMPT_BUDGET_TOKENS } from "../../src/diagnose/prompt.js";
import { redactBundle } from "../../src/diagnose/redact.js";
import { estimateChatTokens } from "../../src/diagnose/tokens.js";
import {
  casesOf,
  driftFromShared,
  repoScenarios,
  type ScenarioCase,
  sharedOnlyCases,
  sharedScenarios,
} from "../support/scenarios.js";

function scenarioTests(cases: ScenarioCase[]) {
  for (const scenario of cases) {
    describe(scenario.file, () => {
      const text = readFileSync(scenario.path, "utf8");

      // Both pipelines must hold: redact first (what the CLI does), and analyse the raw bundle.
      for (const pipeline of ["redacted", "raw"] as const) {
        it(`${pipeline}: root cause, prompt facts, no secrets, within budget`, () => {
          const parsed = parseBundle(text, scenario.file);
          const bundle = pipeline === "redacted" ? redactBundle(parsed) : parsed;
          const findings = analyze(bundle);
          expect(findings[0]?.code).toBe(scenario.code);

          const prompt = buildPrompt(bundle, findings);
          const content = prompt.messages.map((m) => m.content).join("\n");
          for (const fact of scenario.prompt_must_contain) expect(content).toContain(fact);

          const saved = serializeBundle(parsed);
          for (const secret of scenario.secrets) {
            expect(content).not.toContain(secret);
            expect(saved).not.toContain(secret);
          }

          expect(prompt.estimatedTokens).toBeLessThanOrEqual(PROMPT_BUDGET_TOKENS);
          expect(estimateChatTokens(prompt.messages)).toBe(prompt.estimatedTokens);
          expect(Math.ceil(content.length / 3)).toBeLessThanOrEqual(PROMPT_BUDGET_TOKENS);
        });
      }
    });
  }
}

describe("scenarios (test/fixtures/scenarios)", () => {
  it("expected.json has exactly one entry per bundle file", () => {
    expect(repoScenarios.bundleFiles.length).toBeGreaterThan(0);
    expect(repoScenarios.expected.map((e) => e.file).sort()).toEqual(repoScenarios.bundleFiles);
  });

  scenarioTests(casesOf(repoScenarios));
});

const shared = sharedScenarios;
if (shared) {
  describe("the shared scenarios (../shared/scenarios, present here)", () => {
    it("agree with the copy in test/fixtures/scenarios, and expected.json has one entry per bundle", () => {
      expect(shared.expected.map((e) => e.file).sort()).toEqual(shared.bundleFiles);
      expect(driftFromShared()).toEqual([]);
    });

    scenarioTests(sharedOnlyCases());
  });
}
