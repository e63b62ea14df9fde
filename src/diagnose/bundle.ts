/**
 * Reading and writing evidence bundles (contract §1). Parsing is the boundary: whatever the file
 * holds, the result is a well-formed EvidenceBundle or a UsageError (exit 2) that says what is
 * wrong and where. Inside `pod`, `events` and `node` nothing is validated: any field may be
 * missing or odd, and the analyzers degrade instead of crashing.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { UsageError } from "../core/errors.js";
import { firstLine } from "../core/text.js";
import { redactBundle } from "./redact.js";
import {
  BUNDLE_API_VERSION,
  BUNDLE_KIND,
  type BundleMetadata,
  type ContainerLog,
  type EvidenceBundle,
  type KubeObject,
  type RelatedObject,
} from "./types.js";

const HINT =
  "an evidence bundle is written by `sre-lab diagnose <pod> --save-bundle FILE` (see docs/diagnose.md)";

/**
 * Parses a bundle from JSON or YAML text. `sourceName` (usually the file path) prefixes every
 * error message. Unknown top-level fields are dropped.
 */
export function parseBundle(text: string, sourceName: string): EvidenceBundle {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (source.trim() === "") throw new UsageError(`${sourceName}: the file is empty`, { hint: HINT });
  const document = parseDocument(source, sourceName);
  return toBundle(document, sourceName);
}

export interface SerializeOptions {
  format?: "json" | "yaml";
  /** Redact secrets before writing (contract §4). Default true: a written bundle never holds a secret. */
  redact?: boolean;
}

/** Serializes a bundle for `--save-bundle`. Redacts by default. */
export function serializeBundle(bundle: EvidenceBundle, options: SerializeOptions = {}): string {
  const safe = options.redact === false ? bundle : redactBundle(bundle);
  const ordered: EvidenceBundle = {
    apiVersion: safe.apiVersion,
    kind: safe.kind,
    metadata: safe.metadata,
    pod: safe.pod,
    events: safe.events,
    logs: safe.logs,
    ...(safe.owners === undefined ? {} : { owners: safe.owners }),
    ...(safe.node === undefined ? {} : { node: safe.node }),
    ...(safe.related === undefined ? {} : { related: safe.related }),
  };
  if (options.format === "yaml") return stringifyYaml(ordered, { lineWidth: 0 });
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

function parseDocument(source: string, sourceName: string): unknown {
  const first = source.trimStart()[0];
  if (first === "{" || first === "[") {
    try {
      return JSON.parse(source);
    } catch (error) {
      // YAML is a superset of JSON, but a file that starts like JSON and does not parse as JSON
      // is a broken JSON file: report JSON's message, which carries line and column.
      const message = error instanceof Error ? error.message : String(error);
      throw new UsageError(`${sourceName}: not valid JSON: ${message}`, { hint: HINT, cause: error });
    }
  }
  try {
    return parseYaml(source, { prettyErrors: true, uniqueKeys: false, maxAliasCount: 1000 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${sourceName}: neither valid JSON nor valid YAML: ${firstLine(message)}`, {
      hint: HINT,
      details: message,
      cause: error,
    });
  }
}

function toBundle(document: unknown, sourceName: string): EvidenceBundle {
  if (!isObject(document)) {
    throw new UsageError(
      `${sourceName}: expected a mapping with "kind: ${BUNDLE_KIND}" at the top level, found ${describe(document)}`,
      { hint: HINT },
    );
  }
  const kind = document.kind;
  if (kind !== BUNDLE_KIND) {
    const found = kind === undefined ? "no kind field" : `kind ${JSON.stringify(kind)}`;
    const podHint = kind === "Pod" ? "; this looks like a bare Pod, not a bundle" : "";
    throw new UsageError(`${sourceName}: expected kind ${BUNDLE_KIND}, found ${found}${podHint}`, {
      hint: HINT,
    });
  }
  const apiVersion = document.apiVersion;
  if (apiVersion !== undefined && apiVersion !== BUNDLE_API_VERSION) {
    throw new UsageError(
      `${sourceName}: unsupported apiVersion ${JSON.stringify(apiVersion)}; this version of sre-lab reads ${BUNDLE_API_VERSION}`,
      { hint: HINT },
    );
  }
  const pod = document.pod;
  if (pod === undefined || pod === null) {
    throw new UsageError(
      `${sourceName}: the "pod" field is missing; a bundle needs the Pod object under "pod"`,
      {
        hint: HINT,
      },
    );
  }
  if (!isObject(pod)) {
    throw new UsageError(`${sourceName}: "pod" must be a Pod object, found ${describe(pod)}`, { hint: HINT });
  }

  const bundle: EvidenceBundle = {
    apiVersion: BUNDLE_API_VERSION,
    kind: BUNDLE_KIND,
    metadata: toMetadata(document.metadata),
    pod,
    events: objectList(document.events),
    logs: toLogs(document.logs),
  };
  if (document.owners !== undefined && document.owners !== null) bundle.owners = objectList(document.owners);
  if (isObject(document.node)) bundle.node = document.node;
  if (Array.isArray(document.related)) bundle.related = toRelated(document.related);
  return bundle;
}

/** `related: [{ object, events }]`; entries without an object are dropped. */
function toRelated(value: unknown[]): RelatedObject[] {
  const out: RelatedObject[] = [];
  for (const entry of value) {
    if (!isObject(entry) || !isObject(entry.object)) continue;
    out.push({ object: entry.object, events: objectList(entry.events) });
  }
  return out;
}

function toMetadata(value: unknown): BundleMetadata {
  const metadata: BundleMetadata = {};
  if (!isObject(value)) return metadata;
  // YAML turns an unquoted timestamp into a Date; keep the bundle's string form.
  const collectedAt = value.collectedAt instanceof Date ? value.collectedAt.toISOString() : value.collectedAt;
  if (typeof collectedAt === "string") metadata.collectedAt = collectedAt;
  if (typeof value.cluster === "string") metadata.cluster = value.cluster;
  return metadata;
}

/** Accepts a list, or a Kubernetes List object (`{kind: EventList, items: [...]}`); drops non-objects. */
function objectList(value: unknown): KubeObject[] {
  const items = Array.isArray(value)
    ? value
    : isObject(value) && Array.isArray(value.items)
      ? value.items
      : [];
  return items.filter(isObject);
}

function toLogs(value: unknown): ContainerLog[] {
  if (!Array.isArray(value)) return [];
  const logs: ContainerLog[] = [];
  for (const entry of value) {
    if (!isObject(entry)) continue;
    const text = typeof entry.text === "string" ? entry.text : entry.text == null ? "" : String(entry.text);
    logs.push({
      container: typeof entry.container === "string" ? entry.container : "",
      previous: entry.previous === true || entry.previous === "true",
      text,
    });
  }
  return logs;
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return "a string";
  return `a ${typeof value}`;
}
