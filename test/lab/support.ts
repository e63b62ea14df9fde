/** Helpers for the down/status/open tests: a CLI run whose output can be watched while it runs. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { main } from "../../src/cli/main.js";
import type { HostProbe } from "../../src/core/host.js";
import type { CliRun } from "../support/cli.js";
import { fakeHost } from "../support/cli.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface RunningCli {
  stdout(): string;
  stderr(): string;
  /** Ctrl-C. */
  interrupt(): void;
  done: Promise<CliRun>;
}

/** Like runCli, but returns at once: poll stdout()/stderr(), interrupt(), then await done. */
export function startCli(
  args: string[],
  options: { path: string; env?: NodeJS.ProcessEnv; host?: HostProbe },
): RunningCli {
  const stdout = new Capture();
  const stderr = new Capture();
  const controller = new AbortController();
  const done = main(args, {
    stdout,
    stderr,
    // SRE_LAB_CLI: hints as for a user with sre-lab on PATH (test/cli/help.test.ts covers npx).
    env: { PATH: options.path, HOME: "/nonexistent-home", SRE_LAB_CLI: "sre-lab", ...options.env },
    host: options.host ?? fakeHost(),
    signal: controller.signal,
  }).then((code) => ({ code, stdout: stdout.text, stderr: stderr.text }));
  return {
    stdout: () => stdout.text,
    stderr: () => stderr.text,
    interrupt: () => controller.abort(),
    done,
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sre-lab-${prefix}-`));
}

/** A host whose 127.0.0.1 ports answer only where the test says. */
export function hostAnswering(ports: number[], overrides: Partial<HostProbe> = {}): HostProbe {
  return fakeHost({ canConnect: async (port) => ports.includes(port), ...overrides });
}
