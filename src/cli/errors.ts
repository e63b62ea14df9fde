/** Turns any thrown value into the lines the user sees and the process exit code. */
import { ExitCode, isSreLabError } from "../core/errors.js";
import type { Styler } from "../core/output.js";
import { terminalLine, terminalText } from "../core/sanitize.js";

export function renderError(
  error: unknown,
  style: Styler,
  verbose: boolean,
): { text: string; exitCode: ExitCode } {
  const lines: string[] = [];
  let exitCode: ExitCode = ExitCode.failure;
  if (isSreLabError(error)) {
    exitCode = error.exitCode;
    // Messages may quote evidence (a bundle's bytes, a cluster's message): sanitised.
    lines.push(`${style.red(style.bold("error:"))} ${terminalLine(error.message)}`);
    if (error.details)
      lines.push(
        ...terminalText(error.details)
          .split("\n")
          .map((l) => `  ${l}`),
      );
    if (error.hint) lines.push(`${style.cyan("hint:")} ${terminalLine(error.hint)}`);
  } else {
    const message = terminalLine(error instanceof Error ? error.message : String(error));
    lines.push(`${style.red(style.bold("error:"))} unexpected failure: ${message}`);
    if (!verbose)
      lines.push(`${style.cyan("hint:")} run again with --verbose for details, and report it if it persists`);
  }
  if (verbose) {
    let current: unknown = error;
    let depth = 0;
    while (current instanceof Error && depth < 5) {
      lines.push(
        style.dim(
          depth === 0 ? (current.stack ?? String(current)) : `caused by: ${current.stack ?? current}`,
        ),
      );
      current = current.cause;
      depth++;
    }
  }
  return { text: `${lines.join("\n")}\n`, exitCode };
}
