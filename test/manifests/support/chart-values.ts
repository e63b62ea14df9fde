/**
 * Helm is not available to the test suite, so upstream charts cannot be rendered here. What we can
 * check is the *values* we pass them: every key we set must be a key the pinned chart version
 * knows (from its default values.yaml or referenced by its templates), with a compatible type.
 * That catches the commonest chart mistake, a misspelt or moved key that Helm silently ignores.
 *
 * The known keys live in fixtures/charts/<chart>-<version>.json, extracted from the pinned chart
 * by `extract-chart-values.ts` (see fixtures/charts/README.md).
 */

/** A JSON pointer (RFC 6901) into a values tree, e.g. `/server/retention`. */
export type ValuesPointer = string;

/**
 * `string`, `number`, `boolean`, `array`: a leaf with a default of that type.
 * `object`: a map with known children (we descend into it).
 * `open`: accepts anything below it: an empty `{}`/`[]`/`null` default, or a key known only from
 * templates.
 */
export type KnownValueType = "string" | "number" | "boolean" | "array" | "object" | "open";

export interface ChartValuesFixture {
  chart: string;
  version: string;
  paths: Record<ValuesPointer, KnownValueType>;
}

export function pointer(segments: readonly string[]): ValuesPointer {
  return segments.map((s) => `/${s.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

function typeOf(value: unknown): KnownValueType {
  if (value === null || value === undefined) return "open";
  if (Array.isArray(value)) return value.length === 0 ? "open" : "array";
  if (typeof value === "object") return Object.keys(value).length === 0 ? "open" : "object";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  return "string";
}

/** Flattens a chart's default values into known pointers. */
export function knownPathsFromDefaults(
  values: unknown,
  into: Record<ValuesPointer, KnownValueType> = {},
  prefix: string[] = [],
): Record<ValuesPointer, KnownValueType> {
  const type = typeOf(values);
  if (prefix.length > 0) into[pointer(prefix)] = type;
  if (type === "object") {
    for (const [key, child] of Object.entries(values as Record<string, unknown>)) {
      knownPathsFromDefaults(child, into, [...prefix, key]);
    }
  }
  return into;
}

/** Adds `.Values.a.b` references found in template text as `open` keys (unless already known). */
export function addTemplateReferences(
  templateText: string,
  into: Record<ValuesPointer, KnownValueType>,
): void {
  for (const match of templateText.matchAll(/\.Values((?:\.[A-Za-z0-9_-]+)+)/g)) {
    const segments = (match[1] ?? "").slice(1).split(".");
    for (let i = 1; i <= segments.length; i++) {
      const p = pointer(segments.slice(0, i));
      if (!(p in into)) into[p] = i === segments.length ? "open" : "object";
    }
  }
}

/**
 * Returns one message per key in `values` that the chart does not know or that has the wrong type.
 * `values` is what we pass to the chart (for a subchart of an umbrella: the block under its name).
 */
export function unknownValueKeys(values: unknown, known: ChartValuesFixture): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, segments: string[]): void => {
    if (segments.length > 0) {
      const p = pointer(segments);
      const expected = known.paths[p];
      if (expected === undefined) {
        problems.push(`${known.chart} ${known.version} has no value ${p}`);
        return;
      }
      if (expected === "open") return;
      const actual = typeOf(node);
      if (actual === "open") return; // setting a key to null/{}/[] is always allowed
      if (expected !== actual) {
        problems.push(`${known.chart} ${known.version}: ${p} should be ${expected}, got ${actual}`);
        return;
      }
      if (expected !== "object") return;
    }
    if (node !== null && typeof node === "object" && !Array.isArray(node)) {
      for (const [key, child] of Object.entries(node)) walk(child, [...segments, key]);
    }
  };
  walk(values, []);
  return problems;
}
