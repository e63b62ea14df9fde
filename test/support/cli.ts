/** Runs the CLI in-process with captured stdout/stderr, the fakes on PATH and a scripted host. */
import { Writable } from "node:stream";
import { main } from "../../src/cli/main.js";
import type { Clock } from "../../src/core/clock.js";
import type { HostProbe } from "../../src/core/host.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = "";
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const GiB = 1024 ** 3;

export function fakeHost(overrides: Partial<HostProbe> & { busyPorts?: number[] } = {}): HostProbe {
  const { busyPorts = [], ...rest } = overrides;
  return {
    platform: "linux",
    totalMemoryBytes: () => 16 * GiB,
    cpuCount: () => 8,
    isPortFree: async (port) => !busyPorts.includes(port),
    ...rest,
  };
}

export async function runCli(
  args: string[],
  options: {
    path?: string;
    env?: NodeJS.ProcessEnv;
    host?: HostProbe;
    tty?: boolean;
    signal?: AbortSignal;
    /** Virtual time for deadline tests (./fake-clock.ts); the system clock otherwise. */
    clock?: Clock;
    /** Answers yes/no questions; without it there is no one to ask (as in CI). */
    confirm?: (question: string) => Promise<boolean>;
    /** Answers typed questions (the write guard's); without it there is no one to ask. */
    ask?: (question: string) => Promise<string>;
  } = {},
): Promise<CliRun> {
  const stdout = new Capture(options.tty ?? false);
  const stderr = new Capture(options.tty ?? false);
  // SRE_LAB_CLI: hints as for a user with sre-lab on PATH (test/cli/help.test.ts covers npx).
  const env = {
    PATH: options.path ?? "/nonexistent",
    HOME: "/nonexistent-home",
    SRE_LAB_CLI: "sre-lab",
    ...options.env,
  };
  const code = await main(args, {
    stdout,
    stderr,
    env,
    host: options.host ?? fakeHost(),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    // Without an answerer there is no one to ask, as in CI (never the test runner's terminal).
    confirm: options.confirm,
    ask: options.ask,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
