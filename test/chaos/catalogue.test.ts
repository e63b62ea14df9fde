/**
 * The scenario catalogue is the one list: --help, shell completion, `chaos list`, `gameday --only`
 * and the scenario modules all say the same names, in the same order, with the same summaries.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { SCENARIO_CATALOGUE, SCENARIO_NAMES } from "../../src/chaos/catalogue.js";
import { selectScenarios } from "../../src/chaos/gameday.js";
import { SCENARIOS } from "../../src/chaos/scenarios/index.js";
import { buildProgram } from "../../src/cli/main.js";
import { UsageError } from "../../src/core/errors.js";
import { runCli } from "../support/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "sre-lab-catalogue-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const names = SCENARIO_CATALOGUE.map((s) => s.name);

describe("the scenario catalogue", () => {
  it("lists eight scenarios, node-failure last, each with a one-line summary", () => {
    expect(names).toHaveLength(8);
    expect(names.at(-1)).toBe("node-failure");
    expect(new Set(names).size).toBe(names.length);
    for (const { summary } of SCENARIO_CATALOGUE) expect(summary).toMatch(/^[a-z][^\n]{10,120}$/);
    expect(SCENARIO_NAMES).toEqual(names);
  });

  it("every scenario module is registered under its catalogue name, in catalogue order", () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual(names);
  });

  it("--help offers one `chaos` subcommand per scenario, described by its summary", async () => {
    const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
    const program = buildProgram({ stdout: quiet, stderr: quiet, env: {} }, new AbortController().signal);
    const chaos = program.commands.find((c) => c.name() === "chaos") as Command;
    const scenarios = chaos.commands.filter((c) => !["list", "reset", "help"].includes(c.name()));
    expect(scenarios.map((c) => [c.name(), c.description()])).toEqual(
      SCENARIO_CATALOGUE.map((s) => [s.name, s.summary]),
    );
    const help = (await runCli(["chaos", "--help"])).stdout;
    for (const name of names) expect(help).toMatch(new RegExp(`^  ${name}\\b`, "m"));
  });

  it("bash completion after `sre-lab chaos` offers exactly list, reset and the scenarios", async () => {
    const file = join(scratch, "sre-lab.bash");
    writeFileSync(file, (await runCli(["completion", "bash"])).stdout);
    const out = execFileSync(
      "bash",
      [
        "-c",
        `source ${file}; COMP_WORDS=(sre-lab chaos ''); COMP_CWORD=2; _sre_lab; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: "utf8" },
    );
    const words = out.split("\n").filter((w) => w !== "" && !w.startsWith("-"));
    expect(words.sort()).toEqual(["list", "reset", ...names].sort());
  });

  it("`chaos list -o json` lists the catalogue's names, in order, with its summaries", async () => {
    const run = await runCli(["chaos", "list", "-o", "json"]);
    expect(run.code).toBe(0);
    const listing = JSON.parse(run.stdout) as { name: string; summary: string }[];
    expect(listing.map((s) => [s.name, s.summary])).toEqual(
      SCENARIO_CATALOGUE.map((s) => [s.name, s.summary]),
    );
  });

  it("gameday --only accepts catalogue names only, and names them all in its hint", () => {
    expect(selectScenarios("node-failure,oom")).toEqual(["oom", "node-failure"]);
    const error = (() => {
      try {
        selectScenarios("oom,disk-full");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe("unknown scenario: disk-full");
    expect((error as UsageError).hint).toBe(`choose from ${names.join(", ")} (sre-lab chaos list)`);
  });
});
