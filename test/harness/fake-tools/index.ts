/**
 * Fake executables on PATH for tests: `kind`, `docker`, `helm`, `kubectl`, `sysctl`, `sudo`.
 * PATH holds only the fakes, so a call to a tool the test did not expect fails (exit 97, recorded)
 * instead of reaching a real binary; `assertNoUnexpectedCalls()` turns that into a test failure
 * even when the code under test swallowed the error.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ALL_TOOLS = ["kind", "docker", "helm", "kubectl", "sysctl", "sudo"] as const;
export type FakeToolName = (typeof ALL_TOOLS)[number];

export interface FakeRule {
  tool: FakeToolName;
  /** Exact argv after the tool name. */
  args?: string[];
  /** Matches any argv that starts with these. */
  argsPrefix?: string[];
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  delayMs?: number;
  /** Never exit on its own: stays until killed (records the SIGTERM). */
  hang?: boolean;
  /** How many calls this rule answers (default 1); "any" for idempotent queries. */
  times?: number | "any";
}

export interface FakeCall {
  tool: FakeToolName;
  args: string[];
  stdin: string;
  rule: number | null;
}

export interface FakeTools {
  /** The PATH value to give the code under test. */
  path: string;
  dir: string;
  /** Adds rules; earlier rules win when several match. */
  expect(...rules: FakeRule[]): FakeTools;
  calls(): FakeCall[];
  /** The argv of each call as `tool arg…` strings, in order. */
  commandLines(): string[];
  signals(): { tool: string; args: string[]; signal: string }[];
  assertNoUnexpectedCalls(): void;
  /** Every rule with a fixed count was used exactly that many times. */
  assertAllUsed(): void;
  cleanup(): void;
}

const script = join(dirname(fileURLToPath(import.meta.url)), "fake-tool.mjs");

export function createFakeTools(options: { missing?: FakeToolName[] } = {}): FakeTools {
  const dir = mkdtempSync(join(tmpdir(), "sre-lab-fake-tools-"));
  const binDir = join(dir, "bin");
  const rules: FakeRule[] = [];
  const save = () => writeFileSync(join(dir, "rules.json"), JSON.stringify(rules));
  save();
  writeFileSync(join(dir, "calls.jsonl"), "");
  mkdirSync(binDir);
  for (const tool of ALL_TOOLS) {
    if (options.missing?.includes(tool)) continue;
    const wrapper = join(binDir, tool);
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(script)} ${shellQuote(dir)} ${tool} "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
  }
  const readJsonl = <T>(file: string): T[] =>
    existsSync(join(dir, file))
      ? readFileSync(join(dir, file), "utf8")
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => JSON.parse(l) as T)
      : [];

  const fake: FakeTools = {
    path: binDir,
    dir,
    expect(...added) {
      rules.push(...added);
      save();
      return fake;
    },
    calls: () => readJsonl<FakeCall>("calls.jsonl"),
    commandLines: () => fake.calls().map((c) => [c.tool, ...c.args].join(" ")),
    signals: () => readJsonl("signals.jsonl"),
    assertNoUnexpectedCalls() {
      const unexpected = fake.calls().filter((c) => c.rule === null);
      if (unexpected.length > 0) {
        throw new Error(
          `unexpected tool invocations:\n${unexpected.map((c) => `  ${[c.tool, ...c.args].join(" ")}`).join("\n")}`,
        );
      }
    },
    assertAllUsed() {
      const counts = new Map<number, number>();
      for (const call of fake.calls())
        if (call.rule !== null) counts.set(call.rule, (counts.get(call.rule) ?? 0) + 1);
      const unused = rules
        .map((rule, i) => ({ rule, i }))
        .filter(({ rule, i }) => rule.times !== "any" && (counts.get(i) ?? 0) !== (rule.times ?? 1));
      if (unused.length > 0) {
        throw new Error(
          `expected tool invocations that did not happen:\n${unused
            .map(({ rule }) => `  ${[rule.tool, ...(rule.args ?? rule.argsPrefix ?? ["…"])].join(" ")}`)
            .join("\n")}`,
        );
      }
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return fake;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}
