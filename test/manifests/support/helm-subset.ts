/**
 * Renders the lab's *own* Helm templates (manifests/bootstrap, manifests/monitoring/templates) so the
 * tests can validate what Argo CD will apply. Helm is not installed here, so this implements the
 * small subset of Go templates those files are allowed to use, and throws on anything else:
 *
 *   {{ .Values.a.b }}   {{ .Files.Get "path" }}   "string literals"   numbers
 *   functions: required, default, quote, dir, indent, nindent      pipelines with |
 *   {{ if X }} … {{ else }} … {{ end }}   {{/* comments *\/}}   {{- and -}} whitespace trimming
 *
 * Keeping the templates inside this subset is deliberate: it keeps them readable, and it keeps the
 * rendering the tests check the same as Helm's (each function here behaves as Sprig/Go's does).
 */
import { readFileSync } from "node:fs";
import { posix } from "node:path";

export interface TemplateContext {
  values: Record<string, unknown>;
  /** Directory of the chart, for .Files.Get. */
  chartDir: string;
}

type Token =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "word"; value: string };

interface TextNode {
  kind: "text";
  text: string;
}
interface ActionNode {
  kind: "action";
  source: string;
}
interface IfNode {
  kind: "if";
  condition: string;
  whenTrue: Node[];
  otherwise: Node[];
}
type Node = TextNode | ActionNode | IfNode;

/** Splits template text into text and `{{ }}` actions, applying `{{-` / `-}}` trimming. */
function lex(template: string): Array<{ kind: "text"; text: string } | { kind: "action"; source: string }> {
  const parts: Array<{ kind: "text"; text: string } | { kind: "action"; source: string }> = [];
  let rest = template;
  let trimNextText = false;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    let text = open === -1 ? rest : rest.slice(0, open);
    if (trimNextText) text = text.replace(/^\s+/, "");
    if (open === -1) {
      parts.push({ kind: "text", text });
      break;
    }
    // A comment ends at `*/}}` (it may itself contain braces).
    const commentStart = /^\{\{-?\s*\/\*/.exec(rest.slice(open));
    const commentEnd = commentStart === null ? -1 : rest.indexOf("*/", open);
    const close = rest.indexOf("}}", commentEnd === -1 ? open : commentEnd);
    if (close === -1) throw new Error("unterminated {{ action");
    let source = rest.slice(open + 2, close);
    if (source.startsWith("-")) {
      text = text.replace(/\s+$/, "");
      source = source.slice(1);
    }
    trimNextText = source.endsWith("-");
    if (trimNextText) source = source.slice(0, -1);
    parts.push({ kind: "text", text });
    parts.push({ kind: "action", source: source.trim() });
    rest = rest.slice(close + 2);
  }
  return parts;
}

function parse(template: string): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: IfNode; inElse: boolean }> = [];
  const current = (): Node[] => {
    const top = stack.at(-1);
    if (top === undefined) return root;
    return top.inElse ? top.node.otherwise : top.node.whenTrue;
  };
  for (const part of lex(template)) {
    if (part.kind === "text") {
      if (part.text !== "") current().push({ kind: "text", text: part.text });
      continue;
    }
    const source = part.source;
    if (source.startsWith("/*")) continue;
    if (source.startsWith("if ")) {
      const node: IfNode = { kind: "if", condition: source.slice(3).trim(), whenTrue: [], otherwise: [] };
      current().push(node);
      stack.push({ node, inElse: false });
    } else if (source === "else") {
      const top = stack.at(-1);
      if (top === undefined || top.inElse) throw new Error("{{ else }} without {{ if }}");
      top.inElse = true;
    } else if (source === "end") {
      if (stack.pop() === undefined) throw new Error("{{ end }} without {{ if }}");
    } else if (/^(range|with|define|template|include|block|tpl)\b/.test(source) || source.includes(":=")) {
      throw new Error(`unsupported template construct: {{ ${source} }}`);
    } else {
      current().push({ kind: "action", source });
    }
  }
  if (stack.length > 0) throw new Error("{{ if }} without {{ end }}");
  return root;
}

function tokenize(command: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+)|([^\s"]+))/gy;
  let match: RegExpExecArray | null = pattern.exec(command);
  while (match !== null && match[0] !== "") {
    if (match[1] !== undefined) tokens.push({ kind: "string", value: JSON.parse(`"${match[1]}"`) as string });
    else if (match[2] !== undefined) tokens.push({ kind: "number", value: Number(match[2]) });
    else if (match[3] !== undefined) tokens.push({ kind: "word", value: match[3] });
    match = pattern.exec(command);
  }
  return tokens;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") throw new Error("cannot print a map or list without toYaml (unsupported)");
  return String(value);
}

function lookupValues(values: Record<string, unknown>, path: string): unknown {
  let node: unknown = values;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function indentLines(spaces: number, text: string): string {
  const pad = " ".repeat(spaces);
  return text
    .split("\n")
    .map((line) => pad + line)
    .join("\n");
}

const functions: Record<string, (...args: unknown[]) => unknown> = {
  required: (message, value) => {
    if (isEmpty(value)) throw new Error(`required: ${String(message)}`);
    return value;
  },
  default: (fallback, value) => (isEmpty(value) ? fallback : value),
  quote: (value) => JSON.stringify(stringify(value)),
  dir: (value) => posix.dirname(stringify(value)),
  indent: (spaces, text) => indentLines(Number(spaces), stringify(text)),
  nindent: (spaces, text) => `\n${indentLines(Number(spaces), stringify(text))}`,
};

function evaluateCommand(tokens: Token[], piped: unknown[], context: TemplateContext): unknown {
  const [head, ...args] = tokens;
  if (head === undefined) throw new Error("empty command");
  const argValue = (token: Token): unknown => {
    if (token.kind !== "word") return token.value;
    if (token.value.startsWith(".Values.")) return lookupValues(context.values, token.value.slice(8));
    throw new Error(`unsupported argument ${token.value}`);
  };
  if (head.kind === "word" && head.value === ".Files.Get") {
    const [file] = args;
    if (file?.kind !== "string" || args.length !== 1) throw new Error(".Files.Get takes one string");
    return readFileSync(posix.join(context.chartDir, file.value), "utf8");
  }
  if (head.kind === "word" && !head.value.startsWith(".")) {
    const fn = functions[head.value];
    if (fn === undefined) throw new Error(`unsupported function ${head.value}`);
    return fn(...args.map(argValue), ...piped);
  }
  if (args.length > 0 || piped.length > 0) throw new Error("a value cannot take arguments");
  return argValue(head);
}

function evaluatePipeline(source: string, context: TemplateContext): unknown {
  const commands: Token[][] = [[]];
  for (const token of tokenize(source)) {
    if (token.kind === "word" && token.value === "|") commands.push([]);
    else commands.at(-1)?.push(token);
  }
  let piped: unknown[] = [];
  for (const command of commands) piped = [evaluateCommand(command, piped, context)];
  return piped[0];
}

function renderNodes(nodes: Node[], context: TemplateContext): string {
  let out = "";
  for (const node of nodes) {
    if (node.kind === "text") out += node.text;
    else if (node.kind === "action") out += stringify(evaluatePipeline(node.source, context));
    else {
      const branch = isEmpty(evaluatePipeline(node.condition, context)) ? node.otherwise : node.whenTrue;
      out += renderNodes(branch, context);
    }
  }
  return out;
}

export function renderTemplate(template: string, context: TemplateContext): string {
  return renderNodes(parse(template), context);
}
