/**
 * Quoting untrusted text as evidence: control characters and ANSI colour codes removed, very long
 * lines shortened in the middle so that both the start (what failed) and the end (why) survive.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal escapes is the point
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;
// C0 controls except tab, plus DEL and the C1 range.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** The line without ANSI colour/cursor escapes (coloured logs start lines with them). */
export function stripAnsi(line: string): string {
  return line.includes("\x1b") ? line.replace(ANSI, "") : line;
}

/** One printable line: no ANSI escapes, no control characters, no trailing CR. */
export function sanitizeLine(line: string): string {
  let out = line;
  if (out.includes("\x1b")) out = out.replace(ANSI, "");
  return out.replace(CONTROL, "").replace(/\t/g, "  ");
}

/**
 * Shortens `value` to at most `max` characters, keeping its head and tail around " … ";
 * `headShare` is the part of the room given to the head.
 */
export function clip(value: string, max: number, headShare = 0.6): string {
  if (value.length <= max) return value;
  if (max <= 8) return value.slice(0, max);
  const keep = max - 3;
  const head = Math.ceil(keep * headShare);
  const tail = keep - head;
  return `${value.slice(0, head)} … ${value.slice(value.length - tail)}`;
}
