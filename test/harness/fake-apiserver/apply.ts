/**
 * Field ownership (`metadata.managedFields`) and server-side apply.
 *
 * Faithful: FieldsV1 entries (`{"f:spec":{"f:replicas":{}}}`) per manager, operation Apply or Update,
 * apiVersion, time, and subresource; manager identity as in BuildManagerIdentifier (Apply entries
 * ignore apiVersion); Update ownership for create/update/patch with the manager from `fieldManager` or
 * the User-Agent prefix; apply conflicts against any other manager that owns a field the applier sets
 * to a different value, with the real message ("Apply failed with 1 conflict: conflict with
 * \"mgr\": .spec.replicas", `"mgr" using v1` for Update owners) and FieldManagerConflict causes;
 * `force` takes ownership; fields the applier stops applying are removed unless someone else owns them;
 * entries sorted as the server sorts them.
 *
 * Simplified: maps merge key by key but every list is atomic (a list is one field and is replaced
 * whole, where the real server merges e.g. containers by name and records `k:{"name":"c"}` items);
 * ownership is tracked on leaves only.
 */
import { applyConflict, badRequest } from "./errors.js";
import type { JsonObject, KubeObject, ManagedFieldsEntry } from "./objects.js";
import { clone, deepEqual, isObject, metaOf, pathValue, timestamp } from "./objects.js";
import type { ResourceDef } from "./resources.js";

type FieldPath = readonly string[];

interface ManagerState {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  subresource: string | undefined;
  time: string | undefined;
  paths: Map<string, FieldPath>;
}

const strippedMetadata = [
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "selfLink",
  "managedFields",
];

const pathKey = (path: FieldPath): string => JSON.stringify(path);

/** The object as field ownership sees it: no type meta, no server-owned metadata, and no status on the main resource. */
function ownedView(obj: KubeObject, def: ResourceDef, subresource: string | undefined): JsonObject {
  const copy: JsonObject = clone(obj);
  delete copy.apiVersion;
  delete copy.kind;
  if (isObject(copy.metadata)) {
    for (const key of strippedMetadata) delete copy.metadata[key];
    if (Object.keys(copy.metadata).length === 0) delete copy.metadata;
  }
  if (subresource === "status")
    return isObject(copy.status) || copy.status !== undefined ? { status: copy.status } : {};
  if ("status" in def.subresources) delete copy.status;
  return copy;
}

/** Leaf paths: scalars, lists (atomic) and empty maps. */
function leafPaths(value: JsonObject, prefix: string[] = []): FieldPath[] {
  const out: FieldPath[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    const path = [...prefix, key];
    if (isObject(child) && Object.keys(child).length > 0) out.push(...leafPaths(child, path));
    else out.push(path);
  }
  return out;
}

export function toFieldsV1(paths: Iterable<FieldPath>): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let node = root;
    for (const segment of path) {
      const key = `f:${segment}`;
      if (!isObject(node[key])) node[key] = {};
      node = node[key] as JsonObject;
    }
  }
  return root;
}

function fromFieldsV1(fields: unknown, prefix: string[] = []): FieldPath[] {
  if (!isObject(fields)) return [];
  const entries = Object.entries(fields);
  if (entries.length === 0) return prefix.length > 0 ? [prefix] : [];
  const out: FieldPath[] = [];
  for (const [key, child] of entries) {
    if (key === ".") {
      out.push(prefix);
      continue;
    }
    const segment = key.startsWith("f:") ? key.slice(2) : key;
    out.push(...fromFieldsV1(child, [...prefix, segment]));
  }
  return out;
}

function readManaged(obj: KubeObject | undefined): ManagerState[] {
  const entries = obj?.metadata?.managedFields ?? [];
  return entries.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    subresource: e.subresource,
    time: e.time,
    paths: new Map(fromFieldsV1(e.fieldsV1).map((p) => [pathKey(p), p])),
  }));
}

function sameIdentity(
  s: ManagerState,
  manager: string,
  operation: string,
  apiVersion: string,
  sub: string | undefined,
): boolean {
  return (
    s.manager === manager &&
    s.operation === operation &&
    s.subresource === sub &&
    (operation === "Apply" || s.apiVersion === apiVersion)
  );
}

function writeManaged(obj: KubeObject, states: ManagerState[]): void {
  const entries: ManagedFieldsEntry[] = states
    .filter((s) => s.paths.size > 0)
    .sort((p, q) => {
      if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
      const pt = p.time === undefined ? 0 : Date.parse(p.time);
      const qt = q.time === undefined ? 0 : Date.parse(q.time);
      if (pt !== qt) return pt - qt;
      if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
      if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
      return (p.subresource ?? "") < (q.subresource ?? "") ? -1 : 1;
    })
    .map((s) => {
      const entry: ManagedFieldsEntry = {
        manager: s.manager,
        operation: s.operation,
        apiVersion: s.apiVersion,
        fieldsType: "FieldsV1",
        fieldsV1: toFieldsV1(s.paths.values()),
      };
      if (s.time !== undefined) entry.time = s.time;
      if (s.subresource !== undefined) entry.subresource = s.subresource;
      return entry;
    });
  const meta = metaOf(obj);
  if (entries.length > 0) meta.managedFields = entries;
  else delete meta.managedFields;
}

/** `managerOrUserAgent`: the explicit fieldManager, else the User-Agent up to its first "/". */
export function managerName(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager !== undefined && fieldManager !== "") return fieldManager;
  const prefix = (userAgent ?? "").split("/")[0] ?? "";
  return [...prefix]
    .filter((ch) => ch >= " " && ch !== "\u007f")
    .join("")
    .slice(0, 128);
}

export interface OwnershipOptions {
  manager: string;
  apiVersion: string;
  subresource: string | undefined;
}

/**
 * Records an Update operation (create, PUT or non-apply PATCH) on `next`: the manager takes the fields
 * whose value changed, other managers lose them, and nobody keeps fields that no longer exist.
 */
export function recordUpdate(
  def: ResourceDef,
  previous: KubeObject | undefined,
  next: KubeObject,
  options: OwnershipOptions,
): void {
  const states = readManaged(previous);
  const before = previous === undefined ? {} : ownedView(previous, def, options.subresource);
  const after = ownedView(next, def, options.subresource);
  const changed = leafPaths(after).filter((p) => !deepEqual(pathValue(before, p), pathValue(after, p)));
  const full = ownedView(next, def, undefined);
  const fullStatus = ownedView(next, def, "status");
  for (const state of states) {
    for (const path of changed) state.paths.delete(pathKey(path));
    for (const [key, path] of state.paths) {
      const view = path[0] === "status" ? fullStatus : full;
      if (pathValue(view, path) === undefined) state.paths.delete(key);
    }
  }
  if (changed.length > 0) {
    let mine = states.find((s) =>
      sameIdentity(s, options.manager, "Update", options.apiVersion, options.subresource),
    );
    if (mine === undefined) {
      mine = {
        manager: options.manager,
        operation: "Update",
        apiVersion: options.apiVersion,
        subresource: options.subresource,
        time: undefined,
        paths: new Map(),
      };
      states.push(mine);
    }
    for (const path of changed) mine.paths.set(pathKey(path), path);
    mine.time = timestamp();
  }
  writeManaged(next, states);
}

function describeManager(state: ManagerState): string {
  let text = JSON.stringify(state.manager);
  if (state.subresource !== undefined) text += ` with subresource ${JSON.stringify(state.subresource)}`;
  if (state.operation === "Update") text += ` using ${state.apiVersion}`;
  return text;
}

const renderPath = (path: FieldPath): string => path.map((segment) => `.${segment}`).join("");

function isPrefix(prefix: FieldPath, path: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/** Deep-merges an apply configuration into the live object: maps merge, everything else replaces. */
function mergeApplied(target: JsonObject, source: JsonObject): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const existing = target[key];
    if (isObject(value) && isObject(existing)) mergeApplied(existing, value);
    else target[key] = clone(value);
  }
}

function removePath(obj: JsonObject, path: FieldPath): void {
  const parents: JsonObject[] = [];
  let node: unknown = obj;
  for (const segment of path.slice(0, -1)) {
    if (!isObject(node)) return;
    parents.push(node);
    node = node[segment];
  }
  if (!isObject(node)) return;
  delete node[path[path.length - 1] ?? ""];
  // Prune maps the removal left empty, but keep top-level sections such as metadata and spec.
  for (let depth = path.length - 1; depth >= 2; depth--) {
    const parent = parents[depth - 1];
    const key = path[depth - 1] ?? "";
    const child = parent?.[key];
    if (parent !== undefined && isObject(child) && Object.keys(child).length === 0) delete parent[key];
    else break;
  }
}

export interface ApplyOptions extends OwnershipOptions {
  force: boolean;
}

/**
 * Server-side apply of `config` onto `live` (undefined when the object does not exist yet). Returns
 * the object to store; throws 409 Conflict when another manager owns a field being changed.
 */
export function serverSideApply(
  def: ResourceDef,
  live: KubeObject | undefined,
  config: KubeObject,
  options: ApplyOptions,
): KubeObject {
  const managedInConfig = config.metadata?.managedFields;
  if (Array.isArray(managedInConfig) && managedInConfig.length > 0)
    throw badRequest("metadata.managedFields must be nil");
  const applied = ownedView(config, def, options.subresource);
  const appliedPaths = leafPaths(applied);
  const states = readManaged(live);
  const mine = states.find((s) =>
    sameIdentity(s, options.manager, "Apply", options.apiVersion, options.subresource),
  );
  const liveView = live === undefined ? {} : ownedView(live, def, options.subresource);

  const conflicts: { state: ManagerState; path: FieldPath }[] = [];
  if (live !== undefined) {
    for (const path of appliedPaths) {
      if (deepEqual(pathValue(applied, path), pathValue(liveView, path))) continue;
      for (const state of states) {
        if (state === mine) continue;
        for (const owned of state.paths.values()) {
          const seen = conflicts.some((c) => c.state === state && pathKey(c.path) === pathKey(owned));
          if (isPrefix(owned, path) && !seen) conflicts.push({ state, path: owned });
        }
      }
    }
  }
  if (conflicts.length > 0 && !options.force) throw conflictError(conflicts);
  for (const { state, path } of conflicts) state.paths.delete(pathKey(path));

  const result: KubeObject = live === undefined ? {} : clone(live);
  const source: JsonObject = clone(config);
  if (options.subresource === "status") {
    for (const key of Object.keys(source))
      if (key !== "status" && key !== "apiVersion" && key !== "kind") delete source[key];
  } else if ("status" in def.subresources) {
    delete source.status;
  }
  if (isObject(source.metadata)) delete source.metadata.managedFields;
  mergeApplied(result, source);

  if (mine !== undefined) {
    const keep = new Set(appliedPaths.map(pathKey));
    for (const [key, path] of mine.paths) {
      if (keep.has(key)) continue;
      const ownedElsewhere = states.some((s) => s !== mine && s.paths.has(key));
      if (!ownedElsewhere) removePath(result, path);
    }
  }
  const state: ManagerState = mine ?? {
    manager: options.manager,
    operation: "Apply",
    apiVersion: options.apiVersion,
    subresource: options.subresource,
    time: undefined,
    paths: new Map(),
  };
  if (mine === undefined) states.push(state);
  state.apiVersion = options.apiVersion;
  state.paths = new Map(appliedPaths.map((p) => [pathKey(p), p]));
  state.time = timestamp();
  writeManaged(result, states);
  return result;
}

function conflictError(conflicts: { state: ManagerState; path: FieldPath }[]) {
  const causes = conflicts.map((c) => ({
    reason: "FieldManagerConflict",
    message: `conflict with ${describeManager(c.state)}`,
    field: renderPath(c.path),
  }));
  const [first] = conflicts;
  if (conflicts.length === 1 && first !== undefined) {
    return applyConflict(
      `Apply failed with 1 conflict: conflict with ${describeManager(first.state)}: ${renderPath(first.path)}`,
      causes,
    );
  }
  const byManager = new Map<string, { label: string; paths: string[] }>();
  for (const c of conflicts) {
    const label = describeManager(c.state);
    const group = byManager.get(label) ?? { label, paths: [] };
    group.paths.push(renderPath(c.path));
    byManager.set(label, group);
  }
  const lines: string[] = [];
  for (const label of [...byManager.keys()].sort()) {
    const group = byManager.get(label);
    if (group === undefined) continue;
    lines.push(`conflicts with ${group.label}:`);
    for (const p of group.paths) lines.push(`- ${p}`);
  }
  return applyConflict(`Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`, causes);
}
