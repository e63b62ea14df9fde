/**
 * Runs the CLI in-process like test/support/cli.ts, but records every write with its time, so tests
 * can prove that findings come before the answer and that the answer arrives token by token.
 */
import { Writable } from "node:stream";
import { main } from "../../src/cli/main.js";
import type { Clock } from "../../src/core/clock.js";
import { fakeHost } from "../support/cli.js";

export interface Write {
  stream: "stdout" | "stderr";
  text: string;
  at: number;
}

export interface DiagnoseRun {
  code: number;
  stdout: string;
  stderr: string;
  writes: Write[];
}

class Recorder extends Writable {
  constructor(
    private readonly stream: Write["stream"],
    private readonly writes: Write[],
  ) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.writes.push({ stream: this.stream, text: chunk.toString(), at: performance.now() });
    done();
  }
}

export async function runRecorded(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    signal?: AbortSignal;
    path?: string;
    /** Answers the write guard's typed question; without it there is no one to ask (as in CI). */
    ask?: (question: string) => Promise<string>;
    /** Virtual time for deadline tests (test/support/fake-clock.ts); the system clock otherwise. */
    clock?: Clock;
  } = {},
): Promise<DiagnoseRun> {
  const writes: Write[] = [];
  // SRE_LAB_CLI: hints as for a user with sre-lab on PATH (test/cli/help.test.ts covers npx).
  const env = {
    PATH: options.path ?? "/nonexistent",
    HOME: "/nonexistent-home",
    SRE_LAB_CLI: "sre-lab",
    ...options.env,
  };
  const code = await main(args, {
    stdout: new Recorder("stdout", writes),
    stderr: new Recorder("stderr", writes),
    env,
    host: fakeHost(),
    ...(options.signal ? { signal: options.signal } : {}),
    ask: options.ask,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const text = (stream: Write["stream"]) =>
    writes
      .filter((w) => w.stream === stream)
      .map((w) => w.text)
      .join("");
  return { code, stdout: text("stdout"), stderr: text("stderr"), writes };
}

/** Parses stdout as exactly one JSON document (fails the test otherwise). */
export function onlyJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}
