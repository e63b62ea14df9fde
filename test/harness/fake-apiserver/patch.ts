/**
 * The non-apply PATCH content types:
 * - `application/merge-patch+json`: RFC 7386 JSON merge patch.
 * - `application/strategic-merge-patch+json`: applied as a JSON merge patch after dropping the `$...`
 *   directive keys (`$setElementOrder/...`, `$retainKeys`, `$patch`, ...). Real strategic merge merges
 *   lists by their patch merge key (containers by name); here a list in the patch replaces the list.
 * - `application/json-patch+json`: RFC 6902 operations (add, remove, replace, move, copy, test).
 */
import { badRequest } from "./errors.js";
import type { JsonObject } from "./objects.js";
import { clone, deepEqual, isObject } from "./objects.js";

export const mergePatchType = "application/merge-patch+json";
export const strategicMergePatchType = "application/strategic-merge-patch+json";
export const jsonPatchType = "application/json-patch+json";
export const applyPatchType = "application/apply-patch+yaml";
export const patchTypes = [jsonPatchType, mergePatchType, strategicMergePatchType, applyPatchType] as const;

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Removes strategic-merge directives so the rest can be applied as a merge patch. */
export function stripStrategicDirectives(patch: unknown): unknown {
  if (Array.isArray(patch)) return patch.map(stripStrategicDirectives);
  if (!isObject(patch)) return patch;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    out[key] = stripStrategicDirectives(value);
  }
  return out;
}

interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw badRequest(`the server rejected our request due to an error in our request`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function container(doc: unknown, tokens: string[]): { parent: unknown; key: string } {
  let parent = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(parent)) parent = parent[Number(token)];
    else if (isObject(parent)) parent = parent[token];
    else parent = undefined;
    if (parent === undefined) throw badRequest(`jsonpatch: missing path component "${token}"`);
  }
  return { parent, key: tokens[tokens.length - 1] ?? "" };
}

function readAt(doc: unknown, tokens: string[]): unknown {
  let current = doc;
  for (const token of tokens) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current)) current = current[token];
    else return undefined;
  }
  return current;
}

function removeAt(doc: unknown, tokens: string[], path: string): unknown {
  const { parent, key } = container(doc, tokens);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!(index >= 0 && index < parent.length))
      throw badRequest(`jsonpatch remove operation does not apply: doc is missing path: "${path}"`);
    return parent.splice(index, 1)[0];
  }
  if (isObject(parent) && key in parent) {
    const old = parent[key];
    delete parent[key];
    return old;
  }
  throw badRequest(`jsonpatch remove operation does not apply: doc is missing path: "${path}"`);
}

function addAt(doc: unknown, tokens: string[], value: unknown, replace: boolean, path: string): unknown {
  if (tokens.length === 0) return clone(value);
  const { parent, key } = container(doc, tokens);
  if (Array.isArray(parent)) {
    const index = key === "-" ? parent.length : Number(key);
    if (!(index >= 0 && index <= parent.length))
      throw badRequest(`jsonpatch add operation does not apply: doc is missing path: "${path}"`);
    if (replace) parent[index] = clone(value);
    else parent.splice(index, 0, clone(value));
  } else if (isObject(parent)) {
    if (replace && !(key in parent))
      throw badRequest(`jsonpatch replace operation does not apply: doc is missing key: ${path}`);
    parent[key] = clone(value);
  } else {
    throw badRequest(`jsonpatch add operation does not apply: doc is missing path: "${path}"`);
  }
  return doc;
}

export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations))
    throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let doc = clone(target);
  for (const raw of operations as JsonPatchOperation[]) {
    const tokens = parsePointer(raw.path);
    switch (raw.op) {
      case "add":
        doc = addAt(doc, tokens, raw.value, false, raw.path);
        break;
      case "replace":
        doc = addAt(doc, tokens, raw.value, true, raw.path);
        break;
      case "remove":
        removeAt(doc, tokens, raw.path);
        break;
      case "move": {
        const moved = removeAt(doc, parsePointer(raw.from ?? ""), raw.from ?? "");
        doc = addAt(doc, tokens, moved, false, raw.path);
        break;
      }
      case "copy":
        doc = addAt(doc, tokens, readAt(doc, parsePointer(raw.from ?? "")), false, raw.path);
        break;
      case "test":
        if (!deepEqual(readAt(doc, tokens), raw.value))
          throw badRequest(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${raw.op}`);
    }
  }
  return doc;
}
