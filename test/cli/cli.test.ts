import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFakeTools, type FakeTools } from "../harness/fake-tools/index.js";
import * as rec from "../harness/fake-tools/recordings.js";
import { type BuiltPackage, buildPackage } from "../support/built-package.js";
import { runCli } from "../support/cli.js";
import { startSilentApiServer } from "../support/silent-apiserver.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

describe("global behaviour", () => {
  it("--version prints the package version on stdout", async () => {
    const run = await runCli(["--version"]);
    expect(run).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it("--help lists the global flags and only commands that exist", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    for (const flag of [
      "--context <name>",
      "--kubeconfig <file>",
      "-v, --verbose",
      "--no-color",
      "--version",
    ]) {
      expect(run.stdout).toContain(flag);
    }
    const commands = run.stdout
      .split("Commands:\n")[1]
      ?.split("\nExamples:")[0]
      ?.match(/^ {2}(\S+)/gm)
      ?.map((s) => s.trim());
    expect(commands).toEqual([
      "doctor",
      "up",
      "sync",
      "status",
      "open",
      "down",
      "diagnose",
      "chaos",
      "gameday",
      "version",
      "completion",
      "help",
    ]);
  });

  it("per-command --help works", async () => {
    const run = await runCli(["doctor", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: sre-lab doctor [options]");
    expect(run.stdout).toContain("-o, --output <format>");
  });

  it.each([
    [["frob"], "error: unknown command 'frob'"],
    [["doctor", "--frob"], "error: unknown option '--frob'"],
    [
      ["doctor", "-o", "yaml"],
      "error: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are text, json.",
    ],
  ])("usage mistakes exit 2 with a one-line cause and a hint: %j", async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`${message}\n(run with --help for usage)\n`);
  });

  it("with no command prints usage on stderr and exits 2", async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Usage: sre-lab [options] [command]");
  });
});

describe("colour and verbosity", () => {
  let fake: FakeTools;
  afterEach(() => fake?.cleanup());

  const daemonDown = () =>
    createFakeTools().expect(
      {
        tool: "docker",
        args: ["version", "--format", "{{.Client.Version}}"],
        stdout: rec.dockerClientVersion,
      },
      { tool: "docker", args: ["info", "--format", "{{json .}}"], ...rec.dockerDaemonDown },
      { tool: "kind", args: ["version"], stdout: rec.kindVersion },
      { tool: "kubectl", args: ["version", "--client", "-o", "json"], stdout: rec.kubectlVersionClientJson },
      { tool: "sysctl", argsPrefix: ["-n"], stdout: "524288\n512\n" },
    );
  const ESC = "\u001b[";

  it("colours a TTY, and NO_COLOR or --no-color turn it off", async () => {
    fake = daemonDown();
    const tty = await runCli(["doctor"], { path: fake.path, tty: true });
    expect(tty.stdout).toContain(`${ESC}31m✗`);
    expect(tty.stderr).toContain(`${ESC}31m`);
    const noColor = await runCli(["doctor"], { path: fake.path, tty: true, env: { NO_COLOR: "1" } });
    expect(noColor.stdout + noColor.stderr).not.toContain(ESC);
    const flag = await runCli(["--no-color", "doctor"], { path: fake.path, tty: true });
    expect(flag.stdout + flag.stderr).not.toContain(ESC);
  });

  it("writes no escape codes when output is not a terminal (CI logs)", async () => {
    fake = daemonDown();
    const run = await runCli(["doctor"], { path: fake.path });
    expect(run.stdout + run.stderr).not.toContain(ESC);
  });

  it("--verbose echoes each command it runs on stderr, as a pasteable line", async () => {
    fake = daemonDown();
    const run = await runCli(["--verbose", "doctor"], { path: fake.path });
    expect(run.stderr).toContain("$ docker info --format '{{json .}}'");
    expect(run.stderr).toContain("$ kubectl version --client -o json");
  });
});

describe("the installed bin", () => {
  // Built from the current source into a temp package, never into the work tree's dist/.
  let bin: string;
  let built: BuiltPackage | undefined;
  beforeAll(() => {
    built = buildPackage();
    bin = built.bin;
  });
  afterAll(() => built?.cleanup());

  it("--help loads neither @kubernetes/client-node, listr2 nor ollama", () => {
    const probe = join(root, "test/support/list-loaded-packages.mjs");
    const loaded = (args: string[]) => {
      const result = spawnSync(process.execPath, ["--import", probe, bin, ...args], {
        encoding: "utf8",
        env: { PATH: "/nonexistent" },
      });
      return result.stderr.trim().split("\n");
    };
    const help = loaded(["--help"]);
    for (const heavy of ["@kubernetes/client-node", "listr2", "ollama", "execa", "chalk"]) {
      expect(help).not.toContain(heavy);
    }
    // Control: the probe does see packages a command loads on demand.
    expect(loaded(["doctor"])).toContain("execa");
  });

  it("Ctrl-C stops the running tool and exits 130", async () => {
    const fake = createFakeTools().expect(
      { tool: "docker", args: ["version", "--format", "{{.Client.Version}}"], hang: true },
      { tool: "docker", args: ["info", "--format", "{{json .}}"], hang: true },
      { tool: "kind", args: ["version"], hang: true },
      { tool: "kubectl", args: ["version", "--client", "-o", "json"], hang: true },
    );
    try {
      const child = spawn(process.execPath, [bin, "doctor"], {
        env: { PATH: fake.path },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      await expect.poll(() => fake.calls().length, { timeout: 5_000 }).toBe(4);
      child.kill("SIGINT");
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code).toBe(130);
      expect(stderr).toContain("interrupted: stopping");
      expect(stderr).toContain("error: interrupted");
      await expect.poll(() => fake.signals().length).toBe(4);
    } finally {
      fake.cleanup();
    }
  });

  it("ends soon after a deadline, even with a request to a silent API server still open", async () => {
    const silent = await startSilentApiServer();
    const home = mkdtempSync(join(tmpdir(), "sre-lab-silent-"));
    try {
      const started = performance.now();
      const child = spawn(process.execPath, [bin, "diagnose", "--timeout", "1s"], {
        env: {
          PATH: dirname(process.execPath),
          HOME: home,
          KUBECONFIG: silent.writeKubeconfig(home),
          NO_COLOR: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code).toBe(1);
      expect(stderr).toContain("did not finish within 1s");
      // The deadline (1 s) plus the 1 s the bin gives output to drain; without it, about 11 s.
      expect(performance.now() - started).toBeLessThan(6_000);
    } finally {
      silent.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("refuses Node older than 22 with a clear line", () => {
    const result = spawnSync(process.execPath, [bin, "--help"], {
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    // The running Node is >= 22 here; the guard's message is checked by simulating an old version.
    expect(result.status).toBe(0);
    const guard = spawnSync(process.execPath, ["--input-type=module", "-e", guardSnippet("20.11.0", bin)], {
      encoding: "utf8",
    });
    expect(guard.status).toBe(1);
    expect(guard.stderr).toContain("error: sre-lab needs Node.js 22 or newer; this is v20.11.0");
  });
});

/** Runs bin/sre-lab.js with process.versions.node and process.version pretending to be `version`. */
function guardSnippet(version: string, bin: string): string {
  return `Object.defineProperty(process, "version", { value: "v${version}" });
Object.defineProperty(process, "versions", { value: { ...process.versions, node: "${version}" } });
await import(${JSON.stringify(bin)});`;
}
