/**
 * The one duration parser for every `--timeout`-like flag: Go's time.ParseDuration syntax, which is
 * what kubectl takes (`90s`, `1m30s`, `1.5m`, `2h`, `500ms`), plus a range check. A bare number is
 * refused the way Go refuses it (missing unit), with the likely meant value as the hint.
 */
import { UsageError } from "./errors.js";

/** The longest wait any sre-lab flag accepts unless the flag documents its own limit. */
export const MAX_DURATION_MS = 24 * 3_600_000;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

export interface DurationRange {
  /** Smallest accepted value in ms (inclusive); default: anything above 0. */
  minMs?: number;
  /** Largest accepted value in ms (inclusive); default 24h. */
  maxMs?: number;
}

/**
 * Parses `text` as a Go duration and returns milliseconds. `flag` names the flag in messages
 * (`--timeout`). Throws UsageError (exit 2) for bad syntax, zero or negative values, and values
 * outside the range.
 */
export function parseDuration(text: string, flag = "--timeout", range: DurationRange = {}): number {
  const ms = parseGoDuration(text.trim());
  const example = `for example ${flag} 90s, ${flag} 1m30s or ${flag} 15m`;
  if (ms === undefined) {
    const bare = /^\d+(\.\d+)?$/.test(text.trim());
    throw new UsageError(
      bare
        ? `invalid duration "${text}" for ${flag}: missing unit`
        : `invalid duration "${text}" for ${flag}`,
      {
        hint: bare
          ? `add a unit as kubectl does: ${text.trim()}s, ${text.trim()}m or ${text.trim()}h`
          : `use Go/kubectl syntax with units ns, us, ms, s, m, h: ${example.replace("for example ", "")}`,
      },
    );
  }
  const maxMs = range.maxMs ?? MAX_DURATION_MS;
  const minMs = range.minMs;
  if (ms <= 0) {
    throw new UsageError(`${flag} ${text} must be longer than 0`, { hint: example });
  }
  if (minMs !== undefined && ms < minMs) {
    throw new UsageError(`${flag} ${text} is too short: at least ${formatMs(minMs)}`, { hint: example });
  }
  if (ms > maxMs) {
    throw new UsageError(`${flag} ${text} is too long: at most ${formatMs(maxMs)}`, { hint: example });
  }
  return Math.round(ms);
}

/**
 * Go's grammar: an optional sign, then one or more `<decimal><unit>` pieces (`1.5h`, `.5s`,
 * `1h30m`); a lone `0` is zero. Returns undefined when the text is not a duration.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  const piece = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== "") {
    const match = piece.exec(rest);
    if (!match) return undefined;
    const whole = match[1] ?? "";
    const fraction = match[2];
    if (whole === "" && (fraction === undefined || fraction === "")) return undefined;
    const unit = UNIT_MS[match[3] as string] as number;
    total += Number(`${whole || "0"}.${fraction || "0"}`) * unit;
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}

/** 90000 → 1m30s, 86400000 → 24h: Go's way of printing a duration, without zero parts. */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1_000;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}

/**
 * A wait or deadline in prose, rounded: 500 → "500ms", 90_000 → "90s", 600_000 → "10m". For a value
 * the user types back into a flag use formatMs, which is exact.
 */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)}s`;
  return `${Math.round(ms / 60_000)}m`;
}
