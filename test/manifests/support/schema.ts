/**
 * Validates a Kubernetes object against its schema, the way the API server will:
 *
 * 1. `kubernetes-models` / `@kubernetes-models/argo-cd` validation (construct the model, call
 *    `.validate()`): types, enums, required fields.
 * 2. Unknown fields. Those validators accept fields the API does not have (a misspelt
 *    `readinesProbe` passes), while the API server rejects or silently drops them. So we walk the
 *    object against the models' published type declarations (.d.ts), which list every field of
 *    every type, and report any field the type does not declare.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const nodeModules = dirname(dirname(require.resolve("kubernetes-models/package.json")));

/** A parsed type: a leaf we do not descend into, a list, a string-keyed map, or a struct. */
type Shape =
  | { kind: "any" }
  | { kind: "array"; of: () => Shape }
  | { kind: "map"; of: () => Shape }
  | { kind: "struct"; name: string; fields: Map<string, () => Shape> };

const ANY: Shape = { kind: "any" };

/** Model module (without extension) for an apiVersion/kind, or undefined if we have no model. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  let module: string;
  if (group === "argoproj.io") module = `@kubernetes-models/argo-cd/argoproj.io/${version}/${kind}`;
  else if (group === "") module = `kubernetes-models/${version}/${kind}`;
  else module = `kubernetes-models/${group}/${version}/${kind}`;
  return existsSync(join(nodeModules, `${module}.d.ts`)) ? module : undefined;
}

const fileShapes = new Map<string, Shape>();

function parseTypeExpression(expression: string, imports: Map<string, string>): () => Shape {
  const text = expression.trim();
  const array = /^Array<(.+)>$/.exec(text);
  if (array?.[1] !== undefined) {
    const of = parseTypeExpression(array[1], imports);
    return () => ({ kind: "array", of });
  }
  const map = /^\{\s*\[key: string\]:\s*(.+?);?\s*\}$/s.exec(text);
  if (map?.[1] !== undefined) {
    const of = parseTypeExpression(map[1], imports);
    return () => ({ kind: "map", of });
  }
  const importedFile = imports.get(text);
  if (importedFile !== undefined) return () => shapeOfFile(importedFile);
  return () => ANY;
}

/** Parses the declaration file of one model type into a Shape (cached). */
function shapeOfFile(file: string): Shape {
  const cached = fileShapes.get(file);
  if (cached !== undefined) return cached;
  const source = readFileSync(file, "utf8");
  const imports = new Map<string, string>();
  for (const m of source.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const [, name, spec] = m;
    if (name === undefined || spec === undefined || spec === "@kubernetes-models/base") continue;
    const path = spec.startsWith(".")
      ? join(dirname(file), `${spec.replace(/\.js$/, "")}.d.ts`)
      : join(nodeModules, `${spec}.d.ts`);
    imports.set(name, path);
  }

  const classMatch = /^export declare class (\w+)[^\n]*\{\n([\s\S]*?)^\}/m.exec(source);
  let shape: Shape;
  if (classMatch?.[2] !== undefined) {
    const fields = new Map<string, () => Shape>();
    // Field lines are indented four spaces; a map type spans lines until its closing `};`.
    for (const m of classMatch[2].matchAll(/^ {4}"([^"]+)"\??: ((?:\{\n[\s\S]*?^ {4}\})|[^\n]*);$/gm)) {
      const [, name, type] = m;
      if (name !== undefined && type !== undefined) fields.set(name, parseTypeExpression(type, imports));
    }
    // A struct that declares no fields (e.g. RawExtension) is free-form.
    shape = fields.size === 0 ? ANY : { kind: "struct", name: classMatch[1] ?? file, fields };
  } else {
    const alias = /^export type I\w+ = ([^;]+);$/m.exec(source);
    shape = alias?.[1] !== undefined ? parseTypeExpression(alias[1], imports)() : ANY;
  }
  fileShapes.set(file, shape);
  return shape;
}

/** Reports every field of `value` that its type does not declare, as `path: message`. */
function unknownFields(value: unknown, shape: Shape, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  switch (shape.kind) {
    case "any":
      return;
    case "array":
      if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) unknownFields(item, shape.of(), `${path}[${i}]`, out);
      }
      return;
    case "map":
      if (typeof value === "object") {
        for (const [key, item] of Object.entries(value))
          unknownFields(item, shape.of(), `${path}.${key}`, out);
      }
      return;
    case "struct":
      if (typeof value !== "object" || Array.isArray(value)) return;
      for (const [key, item] of Object.entries(value)) {
        const field = shape.fields.get(key);
        if (field === undefined) out.push(`${path}.${key}: unknown field (not in ${shape.name})`);
        else unknownFields(item, field(), `${path}.${key}`, out);
      }
  }
}

interface ValidatingModel {
  validate(): void;
}
type ModelClass = new (data: unknown) => ValidatingModel;

/**
 * Validates one object; returns problems (empty = valid). Objects of a kind we have no model for
 * are reported too, so nothing slips through unvalidated.
 */
export async function validateObject(object: Record<string, unknown>): Promise<string[]> {
  const apiVersion = String(object.apiVersion ?? "");
  const kind = String(object.kind ?? "");
  const metadata = object.metadata as { name?: string } | undefined;
  const where = `${kind}/${metadata?.name ?? "?"}`;
  const module = modelModule(apiVersion, kind);
  if (module === undefined) return [`${where}: no schema for ${apiVersion} ${kind}`];

  const problems: string[] = [];
  const exports = (await import(module)) as Record<string, unknown>;
  const Model = exports[kind] as ModelClass | undefined;
  if (Model === undefined) return [`${where}: ${module} does not export ${kind}`];
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const found: string[] = [];
  unknownFields(object, shapeOfFile(join(nodeModules, `${module}.d.ts`)), where, found);
  problems.push(...found);
  return problems;
}
