/**
 * Log classification: finds the line that explains a crash in a container log.
 *
 * Strong ("decisive") signals, the last one wins because it is closest to the exit:
 *  - Python: the exception line that ends a `Traceback (most recent call last):` block;
 *  - Go: `panic: …` / `fatal error: …` at the start of a line; Rust: `thread '…' panicked at`;
 *  - Java / Node / .NET: an `…Error`/`…Exception` line followed by `at …` stack frames
 *    (for Java the last `Caused by:` is the root cause).
 * Start failures (exec format error, `exec: …: not found`, permission denied) are reported apart,
 * because they mean the process never ran. `fatal`/`error` lines are weak evidence, folded by
 * shape (digits ignored) with counts.
 *
 * Speed: only the last TAIL_WINDOW characters are scanned (a crash is at the end of the log it
 * ended), line by line, with cheap substring checks before any regex and regexes that cannot
 * backtrack across a whole line. A 5 MB log takes a few milliseconds.
 */
import { clip, sanitizeLine, stripAnsi } from "./quote.js";

export type LogSignalKind = "python" | "go-panic" | "rust-panic" | "stack-exception" | "exec-failure";

export interface LogSignal {
  kind: LogSignalKind;
  /** The decisive line. */
  line: string;
  /** A few lines that help read it (the frames before a Python exception, after a panic). */
  context: string[];
  /** The lines just before the crash started (often the input or step that triggered it). */
  before: string[];
  /** Lines right after the decisive line that belong to it (e.g. SQLAlchemy's [SQL: …]). */
  after: string[];
}

export interface ErrorLine {
  line: string;
  count: number;
  fatal: boolean;
}

export interface LogClassification {
  /** The crash, when the log shows one. */
  decisive?: LogSignal;
  /** The process could not be executed at all. */
  startFailure?: LogSignal;
  /** Weaker evidence: the last distinct fatal/error lines, oldest first, with repeat counts. */
  errors: ErrorLine[];
  /** The last non-empty lines, oldest first. */
  tail: string[];
}

/** How much of the end of a log is scanned. */
export const TAIL_WINDOW = 1024 * 1024;
/** Longest line quoted as evidence. */
export const MAX_QUOTED_LINE = 360;
/** Only the head of a very long line is inspected by the classifiers. */
const INSPECTED_PREFIX = 2048;
const MAX_ERROR_LINES = 5;
const TAIL_LINES = 12;

const PY_TRACEBACK = "Traceback (most recent call last):";
const RUST_PANIC = /^thread '[^']{0,200}' panicked at /;
const EXCEPTION_WORD = /(?:Error|Exception|Throwable)\b/;
const STACK_FRAME = /^\s+at\s/;
const FATAL_WORD = /\b(?:FATAL|Fatal|fatal|CRITICAL|CRIT|EMERG|PANIC|panic|Panic)\b/;
const ERROR_WORD = /\b(?:ERROR|Error|error|ERR|SEVERE|Exception|EXCEPTION|Traceback)\b/;
const INFO_LEVEL =
  /\b(?:INFO|DEBUG|TRACE|NOTICE)\b|level=(?:info|debug|trace)\b|"level":\s*(?:"(?:info|debug|trace)"|[123]0\b)|\[(?:info|debug|notice)\]/i;
const JSON_ERROR_LEVEL =
  /"level":\s*(?:"(?:error|fatal|critical)"|[56]0\b)|"severity":\s*"(?:ERROR|CRITICAL|ALERT|EMERGENCY)"/;
const JSON_FATAL_LEVEL =
  /"level":\s*(?:"(?:fatal|critical)"|60\b)|"severity":\s*"(?:CRITICAL|ALERT|EMERGENCY)"/;
const EXEC_FAILURE =
  /exec format error|exec user process caused|executable file not found|cannot execute binary file|\bexec:? [^\n]{0,300}?(?:not found|[Nn]o such file or directory|[Pp]ermission denied)|^(?:\/bin\/)?(?:ba|da|z)?sh: (?:\d+: )?[^\n]{0,300}?(?:not found|[Pp]ermission denied)$/;

/** Classifies a container log. Never throws; an empty log yields an empty classification. */
export function classifyLog(text: string): LogClassification {
  const lines = windowLines(text);
  let decisive: LogSignal | undefined;
  let startFailure: LogSignal | undefined;
  const errors = new Map<string, ErrorLine & { last: number }>();

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    if (raw === "") continue;
    const line = stripAnsi(raw.length > INSPECTED_PREFIX ? raw.slice(0, INSPECTED_PREFIX) : raw);

    if (line.startsWith(PY_TRACEBACK)) {
      const end = pythonException(lines, i + 1);
      if (end !== undefined) {
        decisive = {
          kind: "python",
          line: quote(lines[end] ?? ""),
          context: pythonFrame(lines, i + 1, end),
          before: preceding(lines, chainStart(lines, i), 3),
          after: trailing(lines, end, 2),
        };
        i = end;
      }
      continue;
    }
    if (line.startsWith("panic: ") || line.startsWith("fatal error: ")) {
      // The signal line and the first frame with its file:line; the goroutine header says little.
      const context = following(lines, i, 4)
        .filter((l) => !l.startsWith("goroutine "))
        .slice(0, 3);
      decisive = { kind: "go-panic", line: quote(line), context, before: preceding(lines, i, 3), after: [] };
      continue;
    }
    if (line.startsWith("thread '") && RUST_PANIC.test(line)) {
      decisive = {
        kind: "rust-panic",
        line: quote(line),
        context: following(lines, i, 1),
        before: preceding(lines, i, 3),
        after: [],
      };
      continue;
    }
    const first = line.charCodeAt(0);
    const indented = first === 32 || first === 9;
    if (!indented && EXCEPTION_WORD.test(line) && frameFollows(lines, i)) {
      const context = following(lines, i, 1).filter((l) => STACK_FRAME.test(l));
      // Java prints the outermost exception first and the root cause as the last `Caused by:`.
      const previousHeader =
        decisive?.kind === "stack-exception" && line.startsWith("Caused by:") ? decisive : undefined;
      if (previousHeader) context.unshift(previousHeader.line);
      const before = previousHeader ? previousHeader.before : preceding(lines, i, 3);
      decisive = { kind: "stack-exception", line: quote(line), context, before, after: [] };
      continue;
    }
    if (
      (line.includes("exec") || line.includes("not found") || line.includes("denied")) &&
      EXEC_FAILURE.test(line)
    ) {
      startFailure = { kind: "exec-failure", line: quote(line), context: [], before: [], after: [] };
    }
    const fatal = FATAL_WORD.test(line) || JSON_FATAL_LEVEL.test(line);
    if (fatal || ERROR_WORD.test(line) || JSON_ERROR_LEVEL.test(line)) {
      const explicitlyError =
        JSON_ERROR_LEVEL.test(line) || /\b(?:ERROR|FATAL|CRITICAL)\b|level=(?:error|fatal)/.test(line);
      if (!explicitlyError && INFO_LEVEL.test(line.slice(0, 120))) continue;
      const key = line.replace(/[0-9a-f]{6,}|\d+/gi, "#").slice(0, 200);
      const existing = errors.get(key);
      if (existing) {
        existing.count++;
        existing.last = i;
        existing.line = quote(line);
      } else {
        errors.set(key, { line: quote(line), count: 1, fatal, last: i });
      }
    }
  }

  const classification: LogClassification = {
    errors: [...errors.values()]
      .sort((a, b) => a.last - b.last)
      .slice(-MAX_ERROR_LINES)
      .map(({ last: _last, ...rest }) => rest),
    tail: tailOf(lines, TAIL_LINES),
  };
  if (decisive) classification.decisive = decisive;
  if (startFailure) classification.startFailure = startFailure;
  return classification;
}

/** The last `count` non-empty lines of a log, sanitized, without splitting the whole text. */
export function lastLines(text: string, count: number): string[] {
  const out: string[] = [];
  let end = text.length;
  while (out.length < count && end > 0) {
    const start = text.lastIndexOf("\n", end - 1);
    const line = text.slice(start + 1, end).replace(/\r$/, "");
    if (line.trim() !== "") out.push(quote(line));
    end = start;
    if (start === -1) break;
  }
  return out.reverse();
}

/** The part of a log that is classified: its last TAIL_WINDOW characters, from a line start. */
export function logWindow(text: string): string {
  if (text.length <= TAIL_WINDOW) return text;
  const cut = text.indexOf("\n", text.length - TAIL_WINDOW);
  return text.slice(cut === -1 ? text.length - TAIL_WINDOW : cut + 1);
}

function windowLines(text: string): string[] {
  return logWindow(text)
    .split("\n")
    .map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

/** Index of the exception line closing a Python traceback whose frames start at `from`. */
function pythonException(lines: string[], from: number): number | undefined {
  for (let j = from; j < lines.length && j < from + 400; j++) {
    const line = lines[j] ?? "";
    if (line === "") continue;
    const c = line.charCodeAt(0);
    if (c === 32 || c === 9) continue; // frames and source lines are indented
    return j;
  }
  return undefined;
}

/** The last frame of a Python traceback: its `File "…", line N, in f` line and the source line. */
function pythonFrame(lines: string[], from: number, end: number): string[] {
  const out: string[] = [];
  for (let j = end - 1; j >= from && out.length < 2; j--) {
    const line = lines[j] ?? "";
    const trimmed = line.trim();
    if (trimmed === "" || /^[\^~\s]+$/.test(trimmed)) continue; // 3.11+ caret markers
    out.unshift(quote(line));
    if (trimmed.startsWith("File ")) break;
  }
  return out;
}

/** Where a chain of Python tracebacks ("During handling…", "The above exception…") begins. */
function chainStart(lines: string[], traceback: number): number {
  let start = traceback;
  for (let j = traceback - 1; j >= 0 && j > traceback - 2000; j--) {
    const line = lines[j] ?? "";
    if (line.startsWith(PY_TRACEBACK)) start = j;
    else if (line === "" || /^\s/.test(line) || /^(?:During handling|The above exception)/.test(line))
      continue;
    else if (/^[A-Za-z_][\w.]*(?::\s|$)/.test(line))
      continue; // an earlier exception line of the chain
    else break;
  }
  return start;
}

function preceding(lines: string[], i: number, count: number): string[] {
  const out: string[] = [];
  for (let j = i - 1; j >= 0 && out.length < count && j >= i - count - 3; j--) {
    const line = lines[j] ?? "";
    if (line.trim() !== "") out.unshift(quote(line));
  }
  return out;
}

function trailing(lines: string[], i: number, count: number): string[] {
  const out: string[] = [];
  for (let j = i + 1; j < lines.length && out.length < count; j++) {
    const line = lines[j] ?? "";
    if (line.trim() === "") {
      if (out.length > 0) break;
      continue;
    }
    if (line.startsWith(PY_TRACEBACK) || /^(?:During handling|The above exception)/.test(line)) break;
    out.push(quote(line));
  }
  return out;
}

function frameFollows(lines: string[], i: number): boolean {
  for (let j = i + 1; j <= i + 3 && j < lines.length; j++) {
    if (STACK_FRAME.test(lines[j] ?? "")) return true;
  }
  return false;
}

function following(lines: string[], i: number, count: number): string[] {
  const out: string[] = [];
  for (let j = i + 1; j < lines.length && out.length < count && j <= i + count + 3; j++) {
    const line = lines[j] ?? "";
    if (line.trim() !== "") out.push(quote(line));
  }
  return out;
}

function tailOf(lines: string[], count: number): string[] {
  const out: string[] = [];
  for (let j = lines.length - 1; j >= 0 && out.length < count; j--) {
    const line = lines[j] ?? "";
    if (line.trim() !== "") out.push(quote(line));
  }
  return out.reverse();
}

function quote(line: string): string {
  // Clip before sanitizing so that a megabyte-long line costs nothing, then clip what is left.
  return clip(sanitizeLine(clip(line, 2 * MAX_QUOTED_LINE)), MAX_QUOTED_LINE);
}
