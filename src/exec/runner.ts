/**
 * The one seam every subprocess goes through (kind, docker, kubectl, sysctl, sudo).
 * argv arrays only, a timeout on every call, output captured, failures as CommandFailedError
 * carrying a pasteable command line and the output tail. Tests replace the tools on PATH.
 *
 * A caller says what the command is for (`purpose: "create the kind cluster"`) and, when there is
 * a real next step, a `hint`; a failure then reads "could not create the kind cluster: <the tool's
 * own first error line>" with that hint, and the command line and output stay in the details.
 */

import { formatDuration } from "../core/duration.js";
import { InterruptedError, SreLabError, type SreLabErrorOptions } from "../core/errors.js";
import { terminalLine } from "../core/sanitize.js";
import { indent, lines, truncate } from "../core/text.js";
import { formatCommandLine, tail } from "./command-line.js";
import { isToolName, TOOLS } from "./tools.js";

export interface RunOptions {
  /** Milliseconds before the process is killed. Defaults to the runner's default (2 minutes). */
  timeoutMs?: number;
  /** Text written to the process's stdin. */
  input?: string;
  /** Extra environment variables (merged over the runner's environment). */
  env?: Record<string, string>;
  cwd?: string;
  /** Return a non-zero exit as a result instead of throwing. Timeouts and interrupts still throw. */
  allowFailure?: boolean;
  /** Called with each line of stdout as it arrives (for live progress). */
  onLine?: (line: string) => void;
  /** Give the process the terminal (for sudo's password prompt); output is not captured. */
  interactive?: boolean;
  /**
   * What the command is for, as an imperative phrase ("create the kind cluster"). A failure then
   * reads "could not <purpose>: <the tool's first error line>" instead of "<tool> exited with code N".
   */
  purpose?: string;
  /** The next step shown under a failure (with or without a purpose). */
  hint?: string;
}

export interface RunResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/** A long-running process (a port-forward, a log tail): stopped by stop(), by Ctrl-C, or by exiting. */
export interface RunningProcess {
  argv: string[];
  /**
   * Resolves with the first stdout or stderr line matching `pattern` (for example kubectl's
   * "Forwarding from 127.0.0.1:41234 -> 3000"); rejects when the process exits first or after
   * `timeoutMs`, with its output in the error.
   */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves when the process ends on its own (or after stop()). */
  readonly exited: Promise<RunResult>;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it is gone. Safe to call twice. */
  stop(): Promise<void>;
}

export interface Runner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  start(file: string, args: readonly string[], options?: StartOptions): Promise<RunningProcess>;
}

export class CommandFailedError extends SreLabError {
  override readonly name = "CommandFailedError";
  readonly argv: string[];
  readonly commandLine: string;
  readonly processExitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;

  constructor(
    message: string,
    fields: { argv: string[]; exitCode?: number; stdout: string; stderr: string; timedOut: boolean },
    options: SreLabErrorOptions = {},
  ) {
    const commandLine = formatCommandLine(fields.argv);
    const output = tail([fields.stderr, fields.stdout].filter((s) => s.trim() !== "").join("\n"));
    super(message, {
      ...options,
      details: [`command: ${commandLine}`, output && `output:\n${indent(output)}`].filter(Boolean).join("\n"),
    });
    this.argv = fields.argv;
    this.commandLine = commandLine;
    this.processExitCode = fields.exitCode;
    this.stdout = fields.stdout;
    this.stderr = fields.stderr;
    this.timedOut = fields.timedOut;
  }
}

export class ToolNotFoundError extends SreLabError {
  override readonly name = "ToolNotFoundError";
  readonly tool: string;
  constructor(tool: string, options: SreLabErrorOptions = {}) {
    super(`${tool} is not installed or not on PATH`, {
      hint: isToolName(tool) ? TOOLS[tool].install : `install ${tool} and make sure it is on PATH`,
      ...options,
    });
    this.tool = tool;
  }
}

// Moved to core/duration.ts; kept here until the modules outside engineer D's area import it
// from there (the lead drops this line after the merge).

/** Words with which tools start the line that says what went wrong. */
const ERROR_LINE =
  /\b(error|fatal|failed|failure|denied|cannot|can't|unable|refused|not found|no such|invalid)\b/i;

/**
 * The tool's own line about what went wrong: the first line of stderr (else stdout) that reads
 * like an error, else the first non-empty one; sanitised and cut for a one-line message. kind,
 * for one, prints progress lines ("Creating cluster …") before its "ERROR: …" line.
 */
export function meaningfulErrorLine(stderr: string, stdout = ""): string | undefined {
  for (const output of [stderr, stdout]) {
    const candidates = lines(output);
    const line = candidates.find((l) => ERROR_LINE.test(l)) ?? candidates[0];
    if (line !== undefined) return truncate(terminalLine(line), 300);
  }
  return undefined;
}

/** "could not <purpose>: <why>", or without a purpose the runner's own wording. */
function failureMessage(purpose: string | undefined, why: string, fallback: string): string {
  return purpose ? `could not ${purpose}: ${why}` : fallback;
}

export interface ExecaRunnerOptions {
  /** Called with the pasteable command line before each run (wired to --verbose). */
  echo?: (commandLine: string) => void;
  defaultTimeoutMs?: number;
  /** Aborting kills the running process (SIGTERM, then SIGKILL after 3 s) and throws InterruptedError. */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

export function createExecaRunner(options: ExecaRunnerOptions = {}): Runner {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    async run(file, args, runOptions = {}) {
      const argv = [file, ...args];
      options.echo?.(formatCommandLine(argv));
      if (options.signal?.aborted) throw new InterruptedError();
      const { execa } = await import("execa");
      const timeout = runOptions.timeoutMs ?? defaultTimeoutMs;
      const subprocess = execa(file, args, {
        reject: false,
        timeout,
        forceKillAfterDelay: 3_000,
        ...(options.signal ? { cancelSignal: options.signal } : {}),
        ...(runOptions.interactive
          ? { stdio: "inherit" as const }
          : runOptions.input !== undefined
            ? { input: runOptions.input }
            : { stdin: "ignore" as const }),
        ...(runOptions.cwd !== undefined ? { cwd: runOptions.cwd } : {}),
        env: { ...(options.env ?? process.env), ...runOptions.env },
        extendEnv: false,
        stripFinalNewline: false,
        lines: false,
      });
      if (runOptions.onLine) {
        const onLine = runOptions.onLine;
        let pending = "";
        subprocess.stdout?.on("data", (chunk: Buffer) => {
          pending += chunk.toString("utf8");
          let newline = pending.indexOf("\n");
          while (newline >= 0) {
            onLine(pending.slice(0, newline));
            pending = pending.slice(newline + 1);
            newline = pending.indexOf("\n");
          }
        });
      }
      const result = await subprocess;
      const stdout = String(result.stdout ?? "");
      const stderr = String(result.stderr ?? "");
      if (result.isCanceled) throw new InterruptedError(`interrupted while running ${file}`);
      // A timed-out process may still exit with its own code (143 after handling SIGTERM): check first.
      if (result.timedOut) {
        const stopped = `${file} did not finish within ${formatDuration(timeout)} and was stopped`;
        throw new CommandFailedError(
          failureMessage(runOptions.purpose, stopped, stopped),
          { argv, stdout, stderr, timedOut: true },
          {
            hint:
              runOptions.hint ??
              "check that the tool is not waiting on something (a daemon, a prompt, the network)",
          },
        );
      }
      if (result.failed && result.exitCode === undefined) {
        if ((result as { code?: string }).code === "ENOENT") throw new ToolNotFoundError(file);
        const notRun = `${file} could not be run: ${result.shortMessage ?? "unknown error"}`;
        throw new CommandFailedError(
          failureMessage(runOptions.purpose, notRun, notRun),
          { argv, stdout, stderr, timedOut: false },
          { cause: result, ...(runOptions.hint !== undefined ? { hint: runOptions.hint } : {}) },
        );
      }
      const exitCode = result.exitCode ?? 1;
      if (exitCode !== 0 && !runOptions.allowFailure) {
        const exited = `${file} exited with code ${exitCode}`;
        throw new CommandFailedError(
          failureMessage(runOptions.purpose, meaningfulErrorLine(stderr, stdout) ?? exited, exited),
          { argv, exitCode, stdout, stderr, timedOut: false },
          runOptions.hint !== undefined ? { hint: runOptions.hint } : {},
        );
      }
      return { argv, exitCode, stdout, stderr };
    },

    async start(file, args, startOptions = {}) {
      const argv = [file, ...args];
      options.echo?.(formatCommandLine(argv));
      if (options.signal?.aborted) throw new InterruptedError();
      const { execa } = await import("execa");
      const subprocess = execa(file, args, {
        reject: false,
        forceKillAfterDelay: 3_000,
        ...(options.signal ? { cancelSignal: options.signal } : {}),
        stdin: "ignore",
        ...(startOptions.cwd !== undefined ? { cwd: startOptions.cwd } : {}),
        env: { ...(options.env ?? process.env), ...startOptions.env },
        extendEnv: false,
        stripFinalNewline: false,
      });
      let output = "";
      const listeners = new Set<(line: string) => void>();
      let pending = "";
      const onChunk = (chunk: Buffer) => {
        const text = chunk.toString("utf8");
        output = (output + text).slice(-20_000);
        pending += text;
        let newline = pending.indexOf("\n");
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          for (const listener of listeners) listener(line);
          newline = pending.indexOf("\n");
        }
      };
      subprocess.stdout?.on("data", onChunk);
      subprocess.stderr?.on("data", onChunk);
      const exited: Promise<RunResult> = subprocess.then((result) => ({
        argv,
        exitCode: result.exitCode ?? 1,
        stdout: String(result.stdout ?? ""),
        stderr: String(result.stderr ?? ""),
      }));
      let ended = false;
      void exited.then(() => {
        ended = true;
      });
      if (subprocess.pid === undefined) {
        // The spawn itself failed (no such file, not executable).
        const failed = (await subprocess) as { code?: string; shortMessage?: string };
        if (failed.code === "ENOENT") throw new ToolNotFoundError(file);
        throw new CommandFailedError(
          `${file} could not be started: ${failed.shortMessage ?? "unknown error"}`,
          {
            argv,
            stdout: "",
            stderr: "",
            timedOut: false,
          },
        );
      }
      return {
        argv,
        exited,
        waitForLine(pattern, timeoutMs) {
          return new Promise((resolve, reject) => {
            const fail = (message: string) => {
              cleanup();
              reject(new CommandFailedError(message, { argv, stdout: output, stderr: "", timedOut: false }));
            };
            const listener = (line: string) => {
              const match = pattern.exec(line);
              if (match) {
                cleanup();
                resolve(match);
              }
            };
            const timer = setTimeout(
              () => fail(`${file} did not report ready within ${formatDuration(timeoutMs)}`),
              timeoutMs,
            );
            const cleanup = () => {
              clearTimeout(timer);
              listeners.delete(listener);
            };
            listeners.add(listener);
            void exited.then((result) => {
              if (!listeners.has(listener)) return;
              if (options.signal?.aborted) {
                cleanup();
                reject(new InterruptedError());
              } else fail(`${file} exited with code ${result.exitCode} before it was ready`);
            });
          });
        },
        async stop() {
          if (!ended) subprocess.kill("SIGTERM");
          await exited;
        },
      };
    },
  };
}
