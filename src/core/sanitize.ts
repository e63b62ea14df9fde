/**
 * The one sanitiser for untrusted text (anything a workload, a cluster or a bundle file wrote:
 * names, messages, log lines, the model's answer) on its way to a terminal or a JSON document.
 *
 * For a terminal: escape sequences (CSI, OSC — titles, OSC 52 clipboard writes, hyperlinks —,
 * DCS/SOS/PM/APC strings, two-character ESC sequences) are removed with their payload; every
 * other C0 control (except tab, shown as two spaces), DEL and every C1 control (0x80–0x9f, which
 * includes the 8-bit CSI and OSC) is removed; bidi controls (which reorder what is shown, so a
 * command can read differently from what is pasted) are removed. A single-line field shows line
 * breaks as `⏎`, so a message cannot forge extra lines of output.
 *
 * For `-o json`: JSON.stringify escapes C0 controls already; jsonSafe also escapes C1 controls,
 * bidi controls and U+2028/U+2029, so a document printed to a terminal or pasted stays inert.
 */

/** The mark shown in place of a line break inside a single-line field. */
export const LINE_BREAK_MARK = "⏎";

const ESCAPE_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
  /\x1b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\x07\x1b\x9c\n]{0,65536}(?:\x07|\x1b\\|\x9c)?|[ -/]*[0-~]?)/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the 8-bit forms of CSI and OSC/DCS strings
const C1_SEQUENCE = /\x9b[0-?]*[ -/]*[@-~]?|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c\n]{0,65536}(?:\x07|\x9c)?/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: C0 (but tab and line feed), DEL, C1
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Anything that can end a line: CR LF, LF, CR, VT, FF, NEL, LS, PS. */
const LINE_BREAKS = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the quick test for the slow path
const NEEDS_WORK = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

const HAS_C1 = /[\x90-\x9f]/;

function stripControls(text: string): string {
  let out = text;
  if (out.includes("\x1b")) out = out.replace(ESCAPE_SEQUENCE, "");
  if (HAS_C1.test(out)) out = out.replace(C1_SEQUENCE, "");
  return out.replace(/\t/g, "  ").replace(CONTROL, "").replace(BIDI, "");
}

/** A single-line field (a name, a summary, an evidence line, a message): line breaks become ⏎. */
export function terminalLine(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  return stripControls(text.replace(LINE_BREAKS, LINE_BREAK_MARK));
}

/** Multi-line text (a prompt, the model's answer, details): line feeds kept, CR LF → LF. */
export function terminalText(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  return stripControls(text.replace(/\r\n/g, "\n").replace(/[\r\v\f\u0085\u2028\u2029]/g, "\n"));
}

const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/**
 * A JSON document with C1 controls, DEL, bidi controls and line/paragraph separators written as
 * `\uXXXX` escapes. Only valid on JSON text: outside strings JSON holds none of these characters.
 */
export function jsonSafe(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
