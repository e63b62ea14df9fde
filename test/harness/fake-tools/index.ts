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
import { imageConfigs } from "./recordings.js";

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
  /**
   * For `docker run`: matches what the container would execute (the image's ENTRYPOINT + the
   * arguments, or `--entrypoint` + the arguments), not the argv; needs `image`. Images and their
   * ENTRYPOINT/CMD are declared with `images()`.
   */
  process?: string[];
  image?: string;
  /** With `process`: whether the run must (true) or must not (false) be --privileged. */
  privileged?: boolean;
  /** How many calls this rule answers (default 1); "any" for idempotent queries. */
  times?: number | "any";
}

export interface FakeCall {
  tool: FakeToolName;
  args: string[];
  stdin: string;
  rule: number | null;
  /** For `docker run`: what the container executes (ENTRYPOINT semantics applied). */
  process?: string[];
  /** The environment the tool saw that decides which kubeconfig it uses. */
  env?: { KUBECONFIG?: string; HOME?: string };
}

/** An image's config as `docker run` uses it (ENTRYPOINT and CMD in exec form). */
export interface FakeImage {
  entrypoint?: string[];
  cmd?: string[];
}

export interface FakeTools {
  /** The PATH value to give the code under test. */
  path: string;
  dir: string;
  /** Adds rules; earlier rules win when several match. */
  expect(...rules: FakeRule[]): FakeTools;
  /** Declares images the fake `docker run` knows (reference as written on the command line). */
  images(images: Record<string, FakeImage>): FakeTools;
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
  // The lab's images, with their real ENTRYPOINT/CMD: `docker run IMAGE ARGS` runs the entrypoint with ARGS.
  writeFileSync(join(dir, "images.json"), JSON.stringify(imageConfigs));
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
    images(added) {
      const file = join(dir, "images.json");
      const known = existsSync(file)
        ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, FakeImage>)
        : {};
      writeFileSync(file, JSON.stringify({ ...known, ...added }));
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
