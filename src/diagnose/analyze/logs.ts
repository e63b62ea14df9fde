/**
 * Log classification: finds the line that explains a crash in a container log.
 *
 * Strong ("decisive") signals, the last one wins because it is closest to the exit:
 *  - Python: the exception line that ends a `Traceback (most recent call last):` block;
 *  - Go: `panic: …` / `fatal error: …` at the start of a line; Rust: `thread '…' panicked at`;
 *  - Java / Node / .NET: an `…Error`/`…Exception` line followed by `at …` stack frames
 *    (for Java the last `Caused by:` is the root cause).
 * Start failures (exec format error, `exec: …: not found`, permission denied) are reported apart,
 * because they mean the process never ran.
 *
 * The whole bounded log is read, not its tail. Every warning/error/fatal line is folded into a
 * template (digits, hex and times ignored) with its count and first/last time, and ranked by
 * severity (FATAL/panic > ERROR/exception > WARN; JSON `level` fields count), by rarity (a line
 * repeated 200 times is one line ×200 and weighs less than a single one), by whether it names a
 * known cause (causes.ts) and by its place in the story: the last strong signal *before* the
 * shutdown sequence wins, and consequences ("Exiting with status 1", "shutting down") never do.
 *
 * Speed: at most SCAN_LIMIT characters (the end of a longer text), line by line, with cheap
 * substring checks before any regex and regexes that cannot backtrack across a whole line.
 */
import { type LineCause, lineCause } from "./causes.js";
import { clip, sanitizeLine, stripAnsi } from "./quote.js";

export type LogSignalKind =
  | "python"
  | "go-panic"
  | "rust-panic"
  | "stack-exception"
  | "exec-failure"
  /** A line that names a known cause (causes.ts) without a stack trace. */
  | "cause";

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
  /** Times of the first and last occurrence, when the lines carry a timestamp. */
  first?: string;
  last?: string;
}

/** The deciding line of the log: the best-ranked template, with its count and times. */
export interface RankedLine {
  line: string;
  count: number;
  first?: string;
  last?: string;
  /** 3 fatal, 2 error, 1 warning. */
  severity: number;
}

/** A known cause (causes.ts) found in the log, with the line that shows it. */
export interface LogCause extends LineCause {
  line: string;
  count: number;
  first?: string;
  last?: string;
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
  /** The deciding error line of the whole log, when any warning/error line exists. */
  primary?: RankedLine;
  /** The known cause the log shows (database auth, DNS, connection, permission, …). */
  cause?: LogCause;
  /** Ports the app logs that it listens on. */
  listeners: number[];
}

/** How much of a log is scanned: all of it up to this size (the end of a longer text). */
export const TAIL_WINDOW = 8 * 1024 * 1024;
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
  const signals: { signal: LogSignal; at: number }[] = [];
  let startFailure: LogSignal | undefined;
  const templates = new Map<string, Template>();
  const listeners = new Set<number>();
  let shutdownStart = -1;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    if (raw === "") continue;
    const line = stripAnsi(raw.length > INSPECTED_PREFIX ? raw.slice(0, INSPECTED_PREFIX) : raw);

    if (line.startsWith(PY_TRACEBACK)) {
      const end = pythonException(lines, i + 1);
      if (end !== undefined) {
        const signal: LogSignal = {
          kind: "python",
          line: quote(lines[end] ?? ""),
          context: pythonFrame(lines, i + 1, end),
          before: preceding(lines, chainStart(lines, i), 3),
          after: trailing(lines, end, 2),
        };
        signals.push({ signal, at: chainStart(lines, i) });
        note(templates, lines[end] ?? "", end, true);
        i = end;
      }
      continue;
    }
    if (line.startsWith("panic: ") || line.startsWith("fatal error: ")) {
      // The signal line and the first frame with its file:line; the goroutine header says little.
      const context = following(lines, i, 4)
        .filter((l) => !l.startsWith("goroutine "))
        .slice(0, 3);
      signals.push({
        signal: { kind: "go-panic", line: quote(line), context, before: preceding(lines, i, 3), after: [] },
        at: i,
      });
      note(templates, line, i, true);
      continue;
    }
    if (line.startsWith("thread '") && RUST_PANIC.test(line)) {
      signals.push({
        signal: {
          kind: "rust-panic",
          line: quote(line),
          context: following(lines, i, 1),
          before: preceding(lines, i, 3),
          after: [],
        },
        at: i,
      });
      note(templates, line, i, true);
      continue;
    }
    const first = line.charCodeAt(0);
    const indented = first === 32 || first === 9;
    if (!indented && EXCEPTION_WORD.test(line) && frameFollows(lines, i)) {
      const context = following(lines, i, 1).filter((l) => STACK_FRAME.test(l));
      // Java prints the outermost exception first and the root cause as the last `Caused by:`.
      const previous = signals[signals.length - 1];
      const previousHeader =
        previous?.signal.kind === "stack-exception" && line.startsWith("Caused by:") ? previous : undefined;
      if (previousHeader) {
        context.unshift(previousHeader.signal.line);
        previousHeader.signal = {
          kind: "stack-exception",
          line: quote(line),
          context,
          before: previousHeader.signal.before,
          after: [],
        };
      } else {
        signals.push({
          signal: {
            kind: "stack-exception",
            line: quote(line),
            context,
            before: preceding(lines, i, 3),
            after: [],
          },
          at: i,
        });
      }
      note(templates, line, i, true);
      continue;
    }
    if (
      (line.includes("exec") || line.includes("not found") || line.includes("denied")) &&
      EXEC_FAILURE.test(line)
    ) {
      startFailure = { kind: "exec-failure", line: quote(line), context: [], before: [], after: [] };
    }
    if (STARTUP.test(line)) {
      shutdownStart = -1;
      const port = LISTEN_PORT.exec(line);
      if (port) listeners.add(Number(port[1]));
    } else if (shutdownStart === -1 && SHUTDOWN.test(line)) {
      shutdownStart = i;
    }
    note(templates, line, i, false);
  }

  // The story: the last strong signal that starts before the final shutdown sequence.
  const beforeShutdown = signals.filter((s) => shutdownStart === -1 || s.at < shutdownStart);
  const decisive = (beforeShutdown[beforeShutdown.length - 1] ?? signals[signals.length - 1])?.signal;

  const ranked = [...templates.values()].filter((t) => t.severity > 0);
  for (const t of ranked) t.score = score(t, shutdownStart);
  ranked.sort((a, b) => b.score - a.score || a.firstIndex - b.firstIndex);
  const best = ranked[0];

  const classification: LogClassification = {
    errors: ranked
      .filter((t) => t.severity >= 2)
      .sort((a, b) => a.lastIndex - b.lastIndex)
      .slice(-MAX_ERROR_LINES)
      .map(errorLine),
    tail: tailOf(lines, TAIL_LINES),
    listeners: [...listeners],
  };
  if (best && best.severity >= 1) classification.primary = rankedLine(best);
  const cause = chooseCause(decisive, ranked, templates, lines);
  if (cause) classification.cause = cause;
  if (decisive) classification.decisive = decisive;
  else if (cause) {
    // A recognised cause is as decisive as a traceback: it names what to fix.
    classification.decisive = {
      kind: "cause",
      line: cause.line,
      context: [],
      before: [],
      after: [],
    };
  }
  if (startFailure) classification.startFailure = startFailure;
  return classification;
}

interface Template {
  line: string;
  count: number;
  firstIndex: number;
  lastIndex: number;
  first?: string;
  last?: string;
  severity: number;
  fatal: boolean;
  cause?: LineCause;
  consequence: boolean;
  score: number;
}

const MAX_TEMPLATES = 5000;
const WARN_WORD = /\b(?:WARN|WARNING|Warning|warn)\b|level=warn|"level":\s*(?:"warn(?:ing)?"|40\b)|\[warn\]/;
/** The start of the app's run: it says it starts or listens. */
const STARTUP =
  /(?:listen(?:ing)?|Local:|serving|started (?:server )?on|bound to|running on|Uvicorn running|Booting worker|Started \w+ in \d)/i;
const LISTEN_PORT =
  /(?:listen(?:ing)?|Local:|Network:|serving|started (?:server )?on|bound to|running on)\D{0,60}?(?:(?:0\.0\.0\.0|localhost|127\.0\.0\.1|\[::\]|::|\*)?:|port\s*[=:]?\s*)(\d{2,5})\b/i;
/** The shutdown sequence: everything from here on is a consequence. */
const SHUTDOWN =
  /shutting down|shutdown (?:complete|initiated|requested|hook)|graceful(?:ly)? (?:shutdown|stop)|stopping (?:server|service|application|worker|http|the)|received (?:signal|SIGTERM|SIGINT|shutdown)|\bexiting\b|exited with|exit (?:status|code) \d|Application run failed|Closing (?:connections|server|pool)|Worker exiting|Stopped /i;
const CONSEQUENCE =
  /exiting with (?:status|code)|exit(?:ed)? (?:with )?(?:status|code)|\bexiting\b|process exited|shutting down|shutdown|stopping|Application run failed|command terminated|Worker (?:exiting|failed to boot)|\bterminat(?:ing|ed)\b/i;
const TIMESTAMP =
  /(?:^|[\s"[(=])(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)/;

/** Folds one line into its template (only warning/error/fatal lines and known causes). */
function note(templates: Map<string, Template>, raw: string, index: number, strong: boolean): void {
  const line = raw.length > INSPECTED_PREFIX ? raw.slice(0, INSPECTED_PREFIX) : raw;
  const jsonError = line.includes('"level"') || line.includes('"severity"');
  const fatal = strong || FATAL_WORD.test(line) || (jsonError && JSON_FATAL_LEVEL.test(line));
  let severity = 0;
  if (fatal) severity = 3;
  else if (ERROR_WORD.test(line) || (jsonError && JSON_ERROR_LEVEL.test(line))) severity = 2;
  else if (WARN_WORD.test(line)) severity = 1;
  const explicitlyError =
    strong ||
    (jsonError && JSON_ERROR_LEVEL.test(line)) ||
    /\b(?:ERROR|FATAL|CRITICAL|PANIC)\b|level=(?:error|fatal|panic)/.test(line);
  if (severity >= 2 && !explicitlyError && INFO_LEVEL.test(line.slice(0, 120))) severity = 0;
  const cause = lineCause(line);
  if (severity === 0 && !cause) return;
  if (severity === 0) severity = 1; // a known cause logged at info level still counts, weakly
  const key = line
    .replace(TIMESTAMP, " ")
    .replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]+|\b[0-9a-f]{6,}\b|\d+/gi,
      "#",
    )
    .slice(0, 200);
  const time = TIMESTAMP.exec(line)?.[1];
  const existing = templates.get(key);
  if (existing) {
    existing.count++;
    existing.lastIndex = index;
    existing.line = quote(line);
    if (time !== undefined) {
      existing.last = time;
      if (existing.first === undefined) existing.first = time;
    }
    return;
  }
  if (templates.size >= MAX_TEMPLATES) return;
  const template: Template = {
    line: quote(line),
    count: 1,
    firstIndex: index,
    lastIndex: index,
    severity,
    fatal,
    consequence: CONSEQUENCE.test(line),
    score: 0,
  };
  if (time !== undefined) {
    template.first = time;
    template.last = time;
  }
  if (cause) template.cause = cause;
  templates.set(key, template);
}

/** Severity, then a known cause, then rarity and the place in the story; consequences last. */
function score(t: Template, shutdownStart: number): number {
  let value = t.severity * 10;
  if (t.cause) value += 25;
  if (t.consequence && !t.cause) value -= 25;
  if (t.count === 1) value += 3;
  else if (t.count > 20) value -= 3;
  if (shutdownStart !== -1 && t.firstIndex < shutdownStart) value += 5;
  return value;
}

function chooseCause(
  decisive: LogSignal | undefined,
  ranked: Template[],
  templates: Map<string, Template>,
  lines: string[],
): LogCause | undefined {
  if (decisive) {
    const own = lineCause(decisive.line);
    if (own) {
      const template = [...templates.values()].find((t) => t.line === decisive.line);
      return { ...own, line: decisive.line, count: template?.count ?? 1, ...times(template) };
    }
  }
  const withCause = ranked.filter((t) => t.cause !== undefined);
  const best = withCause[0];
  if (!best?.cause) return undefined;
  if (decisive) {
    // Next to a crash that is not a known cause, only a cause logged just before it counts.
    const at = lines.findIndex((l) => l.includes(decisive.line.slice(0, 60)));
    if (at !== -1 && (best.lastIndex > at || at - best.lastIndex > 50)) return undefined;
  }
  return { ...best.cause, line: best.line, count: best.count, ...times(best) };
}

function times(t: Template | undefined): { first?: string; last?: string } {
  const out: { first?: string; last?: string } = {};
  if (t?.first !== undefined) out.first = t.first;
  if (t?.last !== undefined) out.last = t.last;
  return out;
}

function rankedLine(t: Template): RankedLine {
  return { line: t.line, count: t.count, severity: t.severity, ...times(t) };
}

function errorLine(t: Template): ErrorLine {
  return { line: t.line, count: t.count, fatal: t.fatal, ...times(t) };
}

/** ` (x200, first …, last …)` after a quoted line that repeats. */
export function repeatNote(entry: { count: number; first?: string; last?: string }): string {
  if (entry.count <= 1) return "";
  const span =
    entry.first !== undefined && entry.last !== undefined && entry.first !== entry.last
      ? `, first ${entry.first}, last ${entry.last}`
      : "";
  return ` (x${entry.count}${span})`;
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
