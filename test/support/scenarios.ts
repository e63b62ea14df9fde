/**
 * The acceptance scenarios: realistic bundles with the root cause, the prompt's facts and the planted
 * (fake) secrets each must show. The suite's own copy lives in test/fixtures/scenarios/, so a fresh
 * clone runs every case. The shared set (../shared/scenarios, next to the repository), when present,
 * is an extra: it must agree with the copy file for file, and any bundle it holds that the copy
 * lacks is run as well, so a scenario added there is exercised before it is copied in.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface Scenario {
  file: string;
  code: string;
  prompt_must_contain: string[];
  secrets: string[];
}

/** One scenario case: its expectations and the bundle file to read. */
export interface ScenarioCase extends Scenario {
  path: string;
}

export interface ScenarioSet {
  dir: string;
  /** The bundle files in `<dir>/bundles`, sorted. */
  bundleFiles: string[];
  /** `<dir>/expected.json`, in its order. */
  expected: Scenario[];
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const repoScenariosDir = path.join(repoRoot, "test/fixtures/scenarios");
export const sharedScenariosDir = path.resolve(repoRoot, "../shared/scenarios");

export function readScenarioSet(dir: string): ScenarioSet | undefined {
  if (!existsSync(dir)) return undefined;
  const bundlesDir = path.join(dir, "bundles");
  const bundleFiles = existsSync(bundlesDir)
    ? readdirSync(bundlesDir)
        .filter((f) => /\.(json|ya?ml)$/.test(f))
        .sort()
    : [];
  const expectedPath = path.join(dir, "expected.json");
  const expected: Scenario[] = existsSync(expectedPath) ? JSON.parse(readFileSync(expectedPath, "utf8")) : [];
  return { dir, bundleFiles, expected };
}

/** The set's cases, one per expected.json entry, sorted by file. */
export function casesOf(set: ScenarioSet): ScenarioCase[] {
  return [...set.expected]
    .sort((a, b) => a.file.localeCompare(b.file))
    .map((scenario) => ({ ...scenario, path: path.join(set.dir, "bundles", scenario.file) }));
}

/** Always present: the suite's own copy. */
export const repoScenarios = readScenarioSet(repoScenariosDir) ?? {
  dir: repoScenariosDir,
  bundleFiles: [],
  expected: [],
};

/** Present only where ../shared/scenarios exists. */
export const sharedScenarios = readScenarioSet(sharedScenariosDir);

/** The shared scenarios the copy does not hold, run as extra cases. */
export function sharedOnlyCases(): ScenarioCase[] {
  if (!sharedScenarios) return [];
  const copied = new Set(repoScenarios.expected.map((s) => s.file));
  return casesOf(sharedScenarios).filter((c) => !copied.has(c.file));
}

/**
 * Where the shared set and the copy disagree on a scenario both hold: a bundle whose bytes differ or
 * an expected.json entry that differs. Empty when the copy is current.
 */
export function driftFromShared(): string[] {
  if (!sharedScenarios) return [];
  const drift: string[] = [];
  const copied = new Map(repoScenarios.expected.map((s) => [s.file, s]));
  for (const scenario of sharedScenarios.expected) {
    const copy = copied.get(scenario.file);
    if (!copy) continue;
    if (JSON.stringify(copy) !== JSON.stringify(scenario))
      drift.push(`${scenario.file}: expected.json entry differs`);
    const shared = path.join(sharedScenarios.dir, "bundles", scenario.file);
    const local = path.join(repoScenarios.dir, "bundles", scenario.file);
    if (existsSync(shared) && existsSync(local) && !readFileSync(shared).equals(readFileSync(local))) {
      drift.push(`${scenario.file}: bundle differs from test/fixtures/scenarios/bundles/${scenario.file}`);
    }
  }
  return drift;
}
