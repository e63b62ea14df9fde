/**
 * Safe reads from untrusted JSON. A bundle's pod, events and node may miss any field or hold the
 * wrong type; these return undefined (or an empty value) instead of throwing.
 */

export type JsonRecord = Record<string, unknown>;

export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as JsonRecord)
    : undefined;
}

/** The object at `path` below `value`, or undefined. */
export function record(value: unknown, ...path: string[]): JsonRecord | undefined {
  return asRecord(at(value, path));
}

/** The list at `path`, keeping only objects. */
export function records(value: unknown, ...path: string[]): JsonRecord[] {
  const list = at(value, path);
  if (!Array.isArray(list)) return [];
  const out: JsonRecord[] = [];
  for (const item of list) {
    const obj = asRecord(item);
    if (obj) out.push(obj);
  }
  return out;
}

/** A string (numbers and booleans are rendered), or undefined. */
export function text(value: unknown, ...path: string[]): string | undefined {
  const v = at(value, path);
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/** A finite number (numeric strings are accepted), or undefined. */
export function num(value: unknown, ...path: string[]): number | undefined {
  const v = at(value, path);
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export function bool(value: unknown, ...path: string[]): boolean | undefined {
  const v = at(value, path);
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

/** A list of strings (other items are rendered or dropped). */
export function strings(value: unknown, ...path: string[]): string[] {
  const list = at(value, path);
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    if (typeof item === "string") out.push(item);
    else if (typeof item === "number" || typeof item === "boolean") out.push(String(item));
  }
  return out;
}

/** A string → string map (labels, nodeSelector, resource lists); non-scalar values are dropped. */
export function stringMap(value: unknown, ...path: string[]): Record<string, string> {
  const obj = record(value, ...path);
  const out: Record<string, string> = {};
  if (!obj) return out;
  for (const [key, v] of Object.entries(obj)) {
    if (typeof v === "string") out[key] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[key] = String(v);
  }
  return out;
}

function at(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    const obj = asRecord(current);
    if (!obj) return undefined;
    current = obj[key];
  }
  return current;
}

/** Milliseconds since the epoch for an RFC 3339 time, or undefined. */
export function timeOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
