/**
 * The shared acceptance scenarios (../shared/scenarios, next to the repository). Cases are
 * generated from the folder listing: without the folder this file simply has no scenario cases,
 * and the always-on test below still checks that expected.json and the bundle files agree when
 * the folder is there. Nothing is skipped.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/diagnose/analyze/index.js";
import { parseBundle, serializeBundle } from "../../src/diagnose/bundle.js";
import { buildPrompt, PROMPT_BUDGET_TOKENS } from "../../src/diagnose/prompt.js";
import { redactBundle } from "../../src/diagnose/redact.js";
import { estimateChatTokens } from "../../src/diagnose/tokens.js";
import { repoRoot } from "./support.js";

interface Scenario {
  file: string;
  code: string;
  prompt_must_contain: string[];
  secrets: string[];
}

const scenariosDir = path.resolve(repoRoot, "../shared/scenarios");
const bundlesDir = path.join(scenariosDir, "bundles");
const expectedPath = path.join(scenariosDir, "expected.json");
const present = existsSync(scenariosDir);
const bundleFiles = existsSync(bundlesDir)
  ? readdirSync(bundlesDir)
      .filter((f) => /\.(json|ya?ml)$/.test(f))
      .sort()
  : [];
const expected: Scenario[] = existsSync(expectedPath) ? JSON.parse(readFileSync(expectedPath, "utf8")) : [];

describe("shared scenarios", () => {
  it("expected.json has exactly one entry per bundle file (when ../shared/scenarios exists)", () => {
    if (!present) {
      expect(bundleFiles).toEqual([]);
      return;
    }
    expect(expected.length).toBe(bundleFiles.length);
    expect(expected.map((e) => e.file).sort()).toEqual(bundleFiles);
  });

  for (const file of bundleFiles) {
    describe(file, () => {
      const scenario = expected.find((e) => e.file === file);
      const text = readFileSync(path.join(bundlesDir, file), "utf8");

      // Both pipelines must hold: redact first (what the CLI does), and analyse the raw bundle.
      for (const pipeline of ["redacted", "raw"] as const) {
        it(`${pipeline}: root cause, prompt facts, no secrets, within budget`, () => {
          expect(scenario, `${file} has no entry in expected.json`).toBeDefined();
          if (!scenario) return;
          const parsed = parseBundle(text, file);
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
});
