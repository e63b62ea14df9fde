/**
 * --help examples (every command has them, each one parses as printed), `help`, `version`,
 * `completion` (the bash script driven by bash itself), and how hints name the CLI.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { detectPrefix, rewriteHints } from "../../src/cli/invocation.js";
import { buildProgram, normalizeVerbosity } from "../../src/cli/main.js";
import versions from "../../versions.json" with { type: "json" };
import { runCli } from "../support/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "sre-lab-help-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function commandPaths(command: Command, path: string[] = []): string[][] {
  return [
    path,
    ...command.commands
      .filter((c) => c.name() !== "help")
      .flatMap((c) => commandPaths(c, [...path, c.name()])),
  ];
}

const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
const program = buildProgram({ stdout: quiet, stderr: quiet, env: {} }, new AbortController().signal);

/** The sre-lab argv inside an example line: comments, `source <(…)` and `> file` taken off. */
function exampleArgv(line: string): string[] {
  let command = line.replace(/\s+#.*$/, "").trim();
  command = command.replace(/^source <\((.*)\)$/, "$1").replace(/\s*>\s*\S+$/, "");
  expect(command).toMatch(/^sre-lab /);
  return command.replace(/^sre-lab /, "").split(/\s+/);
}

class ReachedAction extends Error {}

describe("--help examples", () => {
  it.each(commandPaths(program).map((p) => [p.join(" ") || "(root)", p]))(
    "%s: has examples, and each one parses as printed",
    async (_name, path) => {
      const run = await runCli([...(path as string[]), "--help"]);
      expect(run.code).toBe(0);
      const section = run.stdout.split("\nExamples:\n")[1];
      expect(section, "no Examples: section").toBeDefined();
      const lines = (section ?? "")
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        const argv = exampleArgv(line);
        // A fresh program whose actions are replaced by a sentinel: commander validates every flag,
        // choice and argument first, so reaching the action means the line is valid as printed.
        const fresh = buildProgram({ stdout: quiet, stderr: quiet, env: {} }, new AbortController().signal);
        fresh.hook("preAction", () => {
          throw new ReachedAction(line);
        });
        await expect(fresh.parseAsync(argv, { from: "user" }), line).rejects.toBeInstanceOf(ReachedAction);
      }
    },
  );
});

describe("help, version", () => {
  it("`help` and `help diagnose` exit 0 with the usage", async () => {
    const all = await runCli(["help"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("Usage: sre-lab [options] [command]");
    const one = await runCli(["help", "diagnose"]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("Usage: sre-lab diagnose [options] [target]");
  });

  it("`version -o json` has the CLI's and the pinned versions", async () => {
    const run = await runCli(["version", "-o", "json"]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as Record<string, string>;
    expect(doc).toMatchObject({
      kind: versions.kind.version,
      kubernetes: "v1.36.1",
      kindNodeImage: versions.kindNodeImage,
      argocd: versions.argocd.version,
      model: versions.models.ollama,
      agentImage: versions.images.agentNode,
      node: process.version,
    });
    expect(doc.cli).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("`version` as text: one line per pinned piece", async () => {
    const run = await runCli(["version"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^sre-lab \S+ \(Node\.js v22\.[\d.]+, \w+\/\w+\)\n/);
    expect(run.stdout).toContain(`  kind         ${versions.kind.version}\n`);
    expect(run.stdout).toContain(`  Argo CD      ${versions.argocd.version}\n`);
    expect(run.stdout).toContain(`  model        ${versions.models.ollama} (Ollama 0.32.15)`);
  });
});

describe("completion", () => {
  const script = (shell: string) => runCli(["completion", shell]);

  /** What bash completes for `words` (the last one is the word being typed). */
  async function complete(words: string[]): Promise<string[]> {
    const file = join(scratch, "sre-lab.bash");
    writeFileSync(file, (await script("bash")).stdout);
    const array = words.map((w) => `'${w}'`).join(" ");
    const out = execFileSync(
      "bash",
      [
        "-c",
        `source ${file}; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _sre_lab; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: "utf8" },
    );
    return out.split("\n").filter(Boolean);
  }

  it("bash: commands, subcommands, flags and their choices", async () => {
    expect(await complete(["sre-lab", "dia"])).toEqual(["diagnose"]);
    expect(await complete(["sre-lab", "diagnose", "-o", ""])).toEqual(["text", "json", "yaml"]);
    expect(await complete(["sre-lab", "diagnose", "-n", "shop", "--all"])).toEqual(["--all-namespaces"]);
    expect(await complete(["sre-lab", "open", ""])).toEqual(
      expect.arrayContaining(["grafana", "argocd", "prometheus", "app"]),
    );
    expect(await complete(["sre-lab", "chaos", "node"])).toEqual(["node-failure"]);
    expect(await complete(["sre-lab", "chaos", "oom", "--rev"])).toEqual(["--revert"]);
    const shells = await complete(["sre-lab", "completion", ""]);
    expect(shells.slice(0, 3)).toEqual(["bash", "zsh", "fish"]);
    expect(shells).not.toContain("doctor");
  });

  it("zsh reuses the bash function through bashcompinit; fish lists every command", async () => {
    const zsh = (await script("zsh")).stdout;
    expect(zsh).toMatch(/^#compdef sre-lab\n/);
    expect(zsh).toContain("autoload -U +X bashcompinit && bashcompinit");
    expect(zsh).toContain("complete -o default -F _sre_lab sre-lab");
    const fish = (await script("fish")).stdout;
    for (const command of ["doctor", "up", "diagnose", "chaos", "version", "completion"])
      expect(fish).toContain(`-n '__fish_use_subcommand' -a ${command} -d `);
    expect(fish).toContain("-s A -l all-namespaces");
    expect(fish).toContain("-l output -x -a 'text json yaml'");
  });

  it("an unknown shell is exit 2 with the choices", async () => {
    const run = await script("tcsh");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "value 'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.",
    );
  });
});

describe("hints name the CLI as this user can run it", () => {
  it("sre-lab on PATH (not in node_modules): sre-lab; otherwise npx sre-lab", () => {
    const bin = join(scratch, "bin");
    const npxBin = join(scratch, "node_modules", ".bin");
    for (const dir of [bin, npxBin]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "sre-lab"), "#!/bin/sh\n");
      chmodSync(join(dir, "sre-lab"), 0o755);
    }
    expect(detectPrefix({ PATH: `/nonexistent:${bin}` })).toBe("sre-lab");
    // npx puts node_modules/.bin on its child's PATH; the user's shell does not have it.
    expect(detectPrefix({ PATH: npxBin })).toBe("npx sre-lab");
    expect(detectPrefix({ PATH: "" })).toBe("npx sre-lab");
  });

  it("rewrites commands only, never names like sre-lab-registry or kind-sre-lab", () => {
    expect(
      rewriteHints(
        'run sre-lab doctor again; `sre-lab up --yes`; cluster "sre-lab" in kind-sre-lab, sre-lab-registry',
        "npx sre-lab",
      ),
    ).toBe(
      'run npx sre-lab doctor again; `npx sre-lab up --yes`; cluster "sre-lab" in kind-sre-lab, sre-lab-registry',
    );
    expect(rewriteHints("npx sre-lab doctor", "npx sre-lab")).toBe("npx sre-lab doctor");
  });

  it("errors and help say npx sre-lab when sre-lab is not on PATH", async () => {
    const run = await runCli(["diagnose", "--save-bundle", "b.json"], { env: { SRE_LAB_CLI: "" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "hint: npx sre-lab diagnose [-n NAMESPACE | -A] triages; npx sre-lab diagnose POD explains one pod",
    );
    const help = await runCli(["--help"], { env: { SRE_LAB_CLI: "" } });
    expect(help.stdout).toContain("Usage: npx sre-lab [options] [command]");
  });
});

describe("kubectl's -v=N", () => {
  it.each([
    [
      ["-v=6", "doctor"],
      ["--verbose", "doctor"],
    ],
    [
      ["--v=2", "up"],
      ["--verbose", "up"],
    ],
    [["-v=0", "up"], ["up"]],
    [
      ["-v", "up"],
      ["-v", "up"],
    ],
    [
      ["diagnose", "--", "-v=6"],
      ["diagnose", "--", "-v=6"],
    ],
  ])("%j → %j", (args, expected) => {
    expect(normalizeVerbosity(args)).toEqual(expected);
  });
  it.each(["-v=11", "-v=loud", "--verbose=yes"])("%s is a usage error that says what -v accepts", (arg) => {
    expect(() => normalizeVerbosity([arg])).toThrow(`invalid verbosity "${arg}"`);
  });
});
