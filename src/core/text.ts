/**
 * Plain-text helpers shared by every layer: the first meaningful line of a tool's output or an
 * API message, non-empty lines, truncation for one-line summaries, indentation for details.
 * Nothing here sanitises for the terminal; that is src/core/sanitize.ts.
 */

/** The non-empty lines of `text`, each trimmed. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/**
 * The first non-empty line of `text`, trimmed; "" when there is none. Tools and the API server
 * often start their output with a blank line or indentation, and a one-line summary wants the
 * first line that says something.
 */
export function firstLine(text: string): string {
  return lines(text)[0] ?? "";
}

/** `text` cut to at most `max` characters, ending with "…" when it was cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Every line of `text` indented by `prefix` (two spaces by default), for details under a message. */
export function indent(text: string, prefix = "  "): string {
  return text
    .split("\n")
    .map((line) => `${prefix}${line}`)
    .join("\n");
}
