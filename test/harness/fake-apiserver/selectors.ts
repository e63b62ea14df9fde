/**
 * Label and field selectors with the grammar and matching rules of k8s.io/apimachinery
 * (`labels.Parse`, `fields.ParseSelector`): `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `>`, `<`
 * for labels; `=`, `==`, `!=` over a per-kind set of supported fields for fields. Unsupported field
 * labels are rejected with the server's `field label not supported: <label>`.
 */
import { badRequest } from "./errors.js";
import type { KubeObject } from "./objects.js";
import type { ResourceDef } from "./resources.js";

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

const qualifiedName =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function checkKey(key: string, source: string): string {
  if (!qualifiedName.test(key) || key.length > 316) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${source}"`);
  }
  return key;
}

function checkValue(value: string, source: string): string {
  if (!labelValue.test(value) || value.length > 63) {
    throw badRequest(`unable to parse requirement: invalid label value: "${value}" in selector "${source}"`);
  }
  return value;
}

export function parseLabelSelector(text: string | undefined): LabelRequirement[] {
  if (text === undefined || text.trim() === "") return [];
  const requirements: LabelRequirement[] = [];
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    if (part === "") throw badRequest(`unable to parse requirement: found '', expected: identifier`);
    const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (setMatch !== null) {
      const values = (setMatch[3] ?? "").split(",").map((v) => checkValue(v.trim(), text));
      requirements.push({
        key: checkKey(setMatch[1] ?? "", text),
        operator: setMatch[2] as "in" | "notin",
        values,
      });
      continue;
    }
    if (part.startsWith("!")) {
      requirements.push({ key: checkKey(part.slice(1).trim(), text), operator: "!", values: [] });
      continue;
    }
    const opMatch = /^([^\s!=<>]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(part);
    if (opMatch !== null) {
      const op = opMatch[2] === "==" ? "=" : (opMatch[2] as LabelOperator);
      const value = opMatch[3] ?? "";
      if ((op === ">" || op === "<") && !/^-?\d+$/.test(value)) {
        throw badRequest(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
      requirements.push({
        key: checkKey(opMatch[1] ?? "", text),
        operator: op,
        values: [checkValue(value, text)],
      });
      continue;
    }
    if (/^\S+$/.test(part)) {
      requirements.push({ key: checkKey(part, text), operator: "exists", values: [] });
      continue;
    }
    throw badRequest(`unable to parse requirement: couldn't parse the selector string "${text}"`);
  }
  return requirements;
}

export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  const set = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(set, r.key);
    const value = set[r.key];
    switch (r.operator) {
      case "=":
        return has && value === r.values[0];
      case "!=":
        return !(has && value === r.values[0]);
      case "in":
        return has && r.values.includes(value ?? "");
      case "notin":
        return !(has && r.values.includes(value ?? ""));
      case "exists":
        return has;
      case "!":
        return !has;
      case ">":
      case "<": {
        if (!has || !/^-?\d+$/.test(value ?? "")) return false;
        const n = Number(value);
        const limit = Number(r.values[0]);
        return r.operator === ">" ? n > limit : n < limit;
      }
    }
    return false;
  });
}

/** Splits on unescaped separators; `\,` `\=` `\!` and `\\` are escapes as in fields.ParseSelector. */
function splitEscaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeSelector(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

export function parseFieldSelector(text: string | undefined, def: ResourceDef): FieldRequirement[] {
  if (text === undefined || text.trim() === "") return [];
  const out: FieldRequirement[] = [];
  for (const raw of splitEscaped(text, ",")) {
    const part = raw.trim();
    if (part === "") continue;
    const match = /^((?:[^=!\\]|\\.)+?)\s*(==|!=|=)\s*(.*)$/.exec(part);
    if (match === null) throw badRequest(`invalid selector: '${part}'; can't understand '${part}'`);
    const field = unescapeSelector(match[1] ?? "");
    if (field !== "metadata.name" && field !== "metadata.namespace" && !(field in def.fieldSelectors)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    out.push({ field, operator: match[2] === "!=" ? "!=" : "=", value: unescapeSelector(match[3] ?? "") });
  }
  return out;
}

export function fieldValue(def: ResourceDef, obj: KubeObject, field: string): string {
  if (field === "metadata.name") return obj.metadata?.name ?? "";
  if (field === "metadata.namespace") return obj.metadata?.namespace ?? "";
  const read = def.fieldSelectors[field];
  return read === undefined ? "" : read(obj);
}

export function matchesFields(
  def: ResourceDef,
  requirements: readonly FieldRequirement[],
  obj: KubeObject,
): boolean {
  return requirements.every((r) => {
    const value = fieldValue(def, obj, r.field);
    return r.operator === "=" ? value === r.value : value !== r.value;
  });
}

/** A parsed list/watch filter; `matches` answers for one object. */
export interface Selection {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function selects(def: ResourceDef, selection: Selection, obj: KubeObject): boolean {
  return matchesLabels(selection.labels, obj.metadata?.labels) && matchesFields(def, selection.fields, obj);
}
