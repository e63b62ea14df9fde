/**
 * The error types every layer throws. Only the CLI entry catches them, prints
 * `message` (+ `hint`, + `details`) and exits with `exitCode`; stacks only with --verbose.
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface SreLabErrorOptions {
  /** What the user can do next, one line. */
  hint?: string | undefined;
  /** Extra lines worth showing without --verbose (for example a command's output tail). */
  details?: string | undefined;
  cause?: unknown;
}

/** An operational failure: the environment or a dependency did not do what we needed. Exit 1. */
export class SreLabError extends Error {
  override readonly name: string = "SreLabError";
  readonly exitCode: ExitCode = ExitCode.failure;
  readonly hint: string | undefined;
  readonly details: string | undefined;

  constructor(message: string, options: SreLabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** Bad flags, arguments or input files. Exit 2. */
export class UsageError extends SreLabError {
  override readonly name = "UsageError";
  override readonly exitCode = ExitCode.usage;
}

/** The user pressed Ctrl-C (or the process got SIGINT/SIGTERM). Exit 130. */
export class InterruptedError extends SreLabError {
  override readonly name = "InterruptedError";
  override readonly exitCode = ExitCode.interrupted;
  constructor(message = "interrupted", options: SreLabErrorOptions = {}) {
    super(message, options);
  }
}

/** A wait that ran past its deadline. Exit 1; the message says what was awaited and what was last seen. */
export class DeadlineError extends SreLabError {
  override readonly name = "DeadlineError";
}

export function isSreLabError(error: unknown): error is SreLabError {
  return error instanceof SreLabError;
}

/** Throws InterruptedError when the signal has fired; call between steps of a flow. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError();
}
