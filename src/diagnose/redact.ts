/**
 * Redaction (contract §4): no secret value leaves the cluster, neither in a prompt nor in a saved
 * bundle. Secrets are replaced by `[REDACTED]`.
 *
 * Structure-aware for Kubernetes objects (pod, owners, node, events):
 *  - env[].value when the variable's name looks secret (PASSWORD, SECRET, TOKEN, KEY, CRED, AUTH,
 *    PRIVATE, CERT, …; over-redacting a harmless KEY_COUNT is preferred to leaking);
 *  - args/command: the value after a secret-looking flag (`--password x`), plus the text rules;
 *  - annotations: JSON values (kubectl.kubernetes.io/last-applied-configuration embeds the whole
 *    manifest, env values included) are parsed and redacted with these same rules;
 *  - Secret objects: every data/stringData value;
 *  - every other string: the text rules.
 * Text rules, for logs, event messages and everything else: private-key blocks, JWTs, bearer /
 * basic credentials, cloud and SaaS keys (AWS AKIA…/ASIA… ids and 40-character secret keys, GCP
 * AIza… keys and ya29. tokens, GitHub, Slack, Stripe), passwords in URLs (`postgres://u:p@h`),
 * `password=…` / `token: …` / `"api_key": "…"` pairs, `--password x` flags. Finally, the values of
 * secret-looking env vars are scrubbed wherever they appear verbatim (a log that echoes them).
 *
 * Speed: each rule is one linear pass (anchored on a literal prefix or a keyword, bounded
 * repetition, no nested quantifiers), skipped entirely when its marker substring is absent.
 */
import type { EvidenceBundle, KubeObject } from "./types.js";

export const REDACTED = "[REDACTED]";

const SECRET_NAME =
  /PASS|PWD|SECRET|TOKEN|KEY|CRED|AUTH|PRIVATE|CERT|SALT|SIGNATURE|SESSION|COOKIE|DSN|CONN(?:ECTION)?_?STR|WEBHOOK|ENCRYPT|BEARER|JWT/i;

/** Whether an env var / annotation / flag name looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

// ---------------------------------------------------------------------------------------------
// Text rules

const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const AUTH_HEADER =
  /\b((?:proxy-)?authorization)(\\?["']?[ \t]{0,5}[:=][ \t]{0,5}\\?["']?)((?:[A-Za-z]+[ \t]+)?[^\s"',;\\]+)/gi;
const AUTH_SCHEME = /\b((?:[Bb]earer|[Bb]asic|[Dd]igest)[ \t]+)([A-Za-z0-9._~+/=-]{6,})/g;
const AWS_ACCESS_KEY_ID = /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\b/g;
const KNOWN_TOKENS =
  /\b(?:AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|sk-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36})\b/g;
// Anchored on "://" (the scheme before it is left alone), so only URLs are looked at.
const URL_CREDENTIALS = /:\/\/([^\s:@/"'<>]*):([^\s/"'<>]+)@/g;
const ENV_JSON =
  /("name"[ \t]*:[ \t]*"([^"\\]{1,200})"[ \t]*,[ \t]*"value"[ \t]*:[ \t]*")((?:[^"\\]|\\.){0,4000})(")/g;
const ENV_YAML = /(\bname:[ \t]*["']?([A-Za-z_][\w.-]{0,200})["']?[ \t]*\r?\n[ \t]*value:[ \t]*)([^\n]*)/g;
// `--password hunter2`: the keyword is matched first and the flag's dashes checked behind it
// (a lookbehind placed first would run at every position of a large log).
const FLAG_KEYWORD = "(?:password|passwd|pass|pwd|secret|token|api-?key|access-?key|credential)";
const SECRET_FLAG = new RegExp(
  String.raw`(${FLAG_KEYWORD}(?<=(?:^|[\s"'])--?[\w-]{0,40}${FLAG_KEYWORD})[\w-]{0,40})(["']?,?[ \t]+["']?)(?!-)([^\s"']+|"[^"\n]*"|'[^'\n]*')`,
  "gim",
);
const PAIR = new RegExp(
  String.raw`((?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|key|credentials?|auth|cookie|session[_-]?id|signature|\bsig(?![a-z])|dsn)[\w.-]{0,40}?)` +
    String.raw`(\\?["']?[ \t]{0,5}[:=][ \t]{0,5})` +
    String.raw`(\\?"(?:[^"\\\n]|\\[^"\n])*\\?"|'[^'\n]*'|[^\s"',;&]+)`,
  "gi",
);

/** Redacts secrets from free text (logs, event messages, annotation values). Idempotent. */
export function redactText(text: string): string {
  if (text.length === 0) return text;
  let out = redactPrivateKeys(text);
  if (out.includes("eyJ")) out = out.replace(JWT, REDACTED);
  if (/authorization/i.test(out)) {
    out = out.replace(AUTH_HEADER, (_m, name: string, sep: string, value: string) =>
      value === REDACTED ? `${name}${sep}${value}` : `${name}${sep}${REDACTED}`,
    );
  }
  out = out.replace(AUTH_SCHEME, (_m, scheme: string, value: string) =>
    value.startsWith("[") ? _m : `${scheme}${REDACTED}`,
  );
  if (/A[BCGIKNPRS][A-Z]{2}[A-Z0-9]{16}/.test(out)) out = out.replace(AWS_ACCESS_KEY_ID, REDACTED);
  out = redactRandomWords(out);
  out = out.replace(KNOWN_TOKENS, REDACTED);
  if (out.includes("://")) {
    out = out.replace(URL_CREDENTIALS, (m, user: string, password: string) =>
      password === REDACTED || password.length === 0 ? m : `://${user}:${REDACTED}@`,
    );
  }
  if (out.includes('"value"')) {
    out = out.replace(ENV_JSON, (m, head: string, name: string, value: string, tail: string) =>
      isSecretName(name) && value !== "" && value !== REDACTED ? `${head}${REDACTED}${tail}` : m,
    );
  }
  if (out.includes("value:")) {
    out = out.replace(ENV_YAML, (m, head: string, name: string, value: string) =>
      isSecretName(name) && value.trim() !== "" && !value.includes(REDACTED) ? `${head}${REDACTED}` : m,
    );
  }
  out = out.replace(SECRET_FLAG, (m, flag: string, space: string, value: string) =>
    keepValue(unquote(value)) ? m : `${flag}${space}${REDACTED}`,
  );
  out = out.replace(PAIR, redactPair);
  return out;
}

function redactPair(match: string, name: string, separator: string, value: string): string {
  let quoteOpen = "";
  let quoteClose = "";
  let body = value;
  let trailing = "";
  if (value.startsWith('\\"')) {
    quoteOpen = '\\"';
    quoteClose = value.endsWith('\\"') && value.length >= 4 ? '\\"' : value.endsWith('"') ? '"' : "";
    body = value.slice(2, value.length - quoteClose.length);
  } else if (value.startsWith('"') || value.startsWith("'")) {
    quoteOpen = value[0] ?? "";
    quoteClose = value.length >= 2 && value.endsWith(quoteOpen) ? quoteOpen : "";
    body = value.slice(1, value.length - quoteClose.length);
  } else {
    // Give back closing brackets that belong to the surrounding text: "(key=AKIA…)".
    while (body.length > 1 && /[)\]}>]$/.test(body) && !hasOpener(body, body[body.length - 1] ?? "")) {
      trailing = body[body.length - 1] + trailing;
      body = body.slice(0, -1);
    }
  }
  if (keepValue(body)) return match;
  return `${name}${separator}${quoteOpen}${REDACTED}${quoteClose}${trailing}`;
}

const OPENERS: Record<string, string> = { ")": "(", "]": "[", "}": "{", ">": "<" };

function hasOpener(body: string, closer: string): boolean {
  const opener = OPENERS[closer];
  return opener !== undefined && body.includes(opener);
}

/** Values that are not secrets: empty, already redacted, references, placeholders. */
function keepValue(value: string): boolean {
  const v = value.trim();
  return (
    v === "" ||
    v.includes(REDACTED) ||
    /^\$\(?\{?[A-Za-z_][\w.]*\}?\)?$/.test(v) || // $(VAR) ${VAR} $VAR
    /^\{\{.*\}\}$/.test(v) ||
    /^<[^<>]*>$/.test(v) // <value> placeholders in our own remediation text
  );
}

function unquote(value: string): string {
  return /^(["']).*\1$/s.test(value) ? value.slice(1, -1) : value;
}

/**
 * Random-looking base64 words that are secrets by their shape alone: exactly 40 characters (an
 * AWS secret access key) or 64 and more (a PEM body line, an opaque token). They must mix upper
 * case, lower case and digits and not be plain hex (git SHAs and digests stay). A hand-written
 * scan: a regex needs a lookbehind at every position, several times slower on megabytes of log.
 */
function redactRandomWords(text: string): string {
  let out = "";
  let copied = 0;
  let runStart = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    const inRun =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 43 /* + */ ||
      c === 47; /* / */
    if (inRun) {
      if (runStart === -1) runStart = i;
      continue;
    }
    const length = runStart === -1 ? 0 : i - runStart;
    // A 40-character word followed by "=" is the tail of a longer padded blob, not a key.
    if ((length === 40 && c !== 61) || length >= 64) {
      const word = text.slice(runStart, i);
      if (looksRandom(word)) {
        out += text.slice(copied, runStart) + REDACTED;
        copied = i;
      }
    }
    runStart = -1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function looksRandom(word: string): boolean {
  if (/^[0-9a-fA-F]+$/.test(word)) return false;
  return /[A-Z]/.test(word) && /[a-z]/.test(word) && /[0-9]/.test(word);
}

/** Replaces `-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----` (also with literal \n). */
function redactPrivateKeys(text: string): string {
  if (!text.includes("PRIVATE KEY")) return text;
  let out = "";
  let pos = 0;
  for (;;) {
    const begin = text.indexOf("-----BEGIN ", pos);
    if (begin === -1) break;
    const labelEnd = text.indexOf("-----", begin + 11);
    if (labelEnd === -1 || labelEnd - begin > 80) {
      out += text.slice(pos, begin + 11);
      pos = begin + 11;
      continue;
    }
    const label = text.slice(begin + 11, labelEnd);
    if (!label.includes("PRIVATE KEY")) {
      out += text.slice(pos, labelEnd + 5);
      pos = labelEnd + 5;
      continue;
    }
    let stop: number;
    const end = text.indexOf("-----END ", labelEnd + 5);
    if (end !== -1 && end - labelEnd < 64 * 1024) {
      const close = text.indexOf("-----", end + 9);
      stop = close === -1 || close - end > 80 ? end + 9 : close + 5;
    } else {
      // A truncated block: swallow the base64 body that follows.
      stop = keyBodyEnd(text, labelEnd + 5);
    }
    out += `${text.slice(pos, begin)}-----BEGIN ${label}-----${REDACTED}-----END ${label}-----`;
    pos = stop;
  }
  return redactHeadlessKeyBodies(out + text.slice(pos));
}

const BASE64_CHAR = /[A-Za-z0-9+/=\\]/; // backslash: bodies written with literal \n escapes
const BASE64_LINE = /^[A-Za-z0-9+/=]+\r?$/;
const MAX_KEY_BODY = 64 * 1024;

/** Where a key body that follows `from` ends: the rest of its line, then whole base64 lines. */
function keyBodyEnd(text: string, from: number): number {
  let stop = from;
  while (stop < text.length && stop - from < MAX_KEY_BODY && BASE64_CHAR.test(text[stop] ?? "")) stop++;
  while (text[stop] === "\n" && stop - from < MAX_KEY_BODY) {
    const next = text.indexOf("\n", stop + 1);
    const lineEnd = next === -1 ? text.length : next;
    if (!BASE64_LINE.test(text.slice(stop + 1, lineEnd))) break;
    stop = lineEnd;
  }
  return stop;
}

/** Where a key body that ends at `end` starts: the base64 before it on its line, then whole lines. */
function keyBodyStart(text: string, end: number, floor: number): number {
  let start = end;
  while (start > floor && end - start < MAX_KEY_BODY && BASE64_CHAR.test(text[start - 1] ?? "")) start--;
  while (start > floor && text[start - 1] === "\n" && end - start < MAX_KEY_BODY) {
    const previous = text.lastIndexOf("\n", start - 2);
    const lineStart = Math.max(previous + 1, floor);
    if (!BASE64_LINE.test(text.slice(lineStart, start - 1))) break;
    start = lineStart;
  }
  return start;
}

/**
 * A key block cut off at its start (a log window that begins inside it) leaves base64 lines
 * followed by `-----END … PRIVATE KEY-----`: redact the body back to where it starts.
 */
function redactHeadlessKeyBodies(text: string): string {
  let out = "";
  let pos = 0;
  for (;;) {
    const end = text.indexOf("-----END ", pos);
    if (end === -1) break;
    const labelEnd = text.indexOf("-----", end + 9);
    const label = labelEnd === -1 ? "" : text.slice(end + 9, labelEnd);
    if (
      labelEnd === -1 ||
      labelEnd - end > 80 ||
      !label.includes("PRIVATE KEY") ||
      text.endsWith(REDACTED, end)
    ) {
      const next = labelEnd === -1 ? end + 9 : labelEnd + 5;
      out += text.slice(pos, next);
      pos = next;
      continue;
    }
    const start = keyBodyStart(text, end, pos);
    out += `${text.slice(pos, start)}${REDACTED}-----END ${label}-----`;
    pos = labelEnd + 5;
  }
  return pos === 0 ? text : out + text.slice(pos);
}

// ---------------------------------------------------------------------------------------------
// Structure-aware rules

/** Redacts command-line arguments: the value after a secret-looking flag, then the text rules. */
export function redactArgs(args: readonly string[], text: (value: string) => string = redactText): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const previous = args[i - 1];
    if (
      previous !== undefined &&
      /^--?[\w.-]*$/.test(previous) &&
      !previous.includes("=") &&
      isSecretName(previous) &&
      !arg.startsWith("-") &&
      !keepValue(arg)
    ) {
      out.push(REDACTED);
      continue;
    }
    out.push(text(arg));
  }
  return out;
}

/** Values of secret-looking env vars anywhere in the bundle, to scrub where they are echoed. */
export function secretValues(bundle: EvidenceBundle): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, key: string | undefined, depth: number): void => {
    if (depth > 64) return;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (key === "env" && isObject(item)) {
          const name = item.name;
          const v = item.value;
          if (typeof name === "string" && typeof v === "string" && isSecretName(name) && scrubbable(v))
            found.add(v);
        }
        visit(item, undefined, depth + 1);
      }
      return;
    }
    if (!isObject(value)) {
      if (
        typeof value === "string" &&
        key !== undefined &&
        (value.startsWith("{") || value.startsWith("["))
      ) {
        const parsed = parseJson(value);
        if (parsed !== undefined) visit(parsed, undefined, depth + 1);
      }
      return;
    }
    for (const [k, v] of Object.entries(value)) visit(v, k, depth + 1);
  };
  visit(bundle.pod, undefined, 0);
  visit(bundle.owners, undefined, 0);
  visit(bundle.related, undefined, 0);
  return [...found].sort((a, b) => b.length - a.length);
}

function scrubbable(value: string): boolean {
  const v = value.trim();
  return v.length >= 6 && !/^\d+$/.test(v) && !/^(?:true|false|null|none)$/i.test(v) && !keepValue(v);
}

/** Replaces every verbatim occurrence of the given secret values. */
export function scrubValues(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** A redacted deep copy of the bundle; the input is not modified. Idempotent. */
export function redactBundle(bundle: EvidenceBundle): EvidenceBundle {
  const secrets = secretValues(bundle);
  const text = (value: string) => scrubValues(redactText(value), secrets);
  const redacted: EvidenceBundle = {
    apiVersion: bundle.apiVersion,
    kind: bundle.kind,
    metadata: { ...bundle.metadata },
    pod: redactObject(bundle.pod, text),
    events: bundle.events.map((event) => redactObject(event, text)),
    logs: bundle.logs.map((log) => ({ ...log, text: text(log.text) })),
  };
  if (bundle.metadata.cluster !== undefined) redacted.metadata.cluster = text(bundle.metadata.cluster);
  if (bundle.owners !== undefined) redacted.owners = bundle.owners.map((owner) => redactObject(owner, text));
  if (bundle.node !== undefined) redacted.node = redactObject(bundle.node, text);
  if (bundle.related !== undefined)
    redacted.related = bundle.related.map((r) => ({
      object: redactObject(r.object, text),
      events: r.events.map((event) => redactObject(event, text)),
    }));
  return redacted;
}

type TextRedactor = (value: string) => string;

function redactObject(object: KubeObject, text: TextRedactor): KubeObject {
  return redactNode(object, undefined, text, 0) as KubeObject;
}

function redactNode(value: unknown, key: string | undefined, text: TextRedactor, depth: number): unknown {
  if (depth > 64) return REDACTED; // absurd nesting: refuse rather than recurse forever
  if (typeof value === "string") return text(value);
  if (Array.isArray(value)) {
    if ((key === "args" || key === "command") && value.every((v) => typeof v === "string")) {
      return redactArgs(value as string[], text);
    }
    return value.map((item) => {
      if (key === "env" && isObject(item)) return redactEnvVar(item, text, depth);
      return redactNode(item, undefined, text, depth + 1);
    });
  }
  if (!isObject(value)) return value;
  const isSecret = value.kind === "Secret";
  const out: KubeObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecret && (k === "data" || k === "stringData") && isObject(v)) {
      out[k] = Object.fromEntries(Object.keys(v).map((name) => [name, REDACTED]));
    } else if (k === "annotations" && isObject(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v).map(([name, a]) => [name, redactAnnotation(name, a, text, depth)]),
      );
    } else {
      out[k] = redactNode(v, k, text, depth + 1);
    }
  }
  return out;
}

function redactEnvVar(item: KubeObject, text: TextRedactor, depth: number): KubeObject {
  const out = redactNode(item, undefined, text, depth + 1) as KubeObject;
  if (
    typeof item.name === "string" &&
    typeof item.value === "string" &&
    item.value !== "" &&
    isSecretName(item.name)
  ) {
    out.value = REDACTED;
  }
  return out;
}

function redactAnnotation(name: string, value: unknown, text: TextRedactor, depth: number): unknown {
  if (typeof value !== "string") return redactNode(value, undefined, text, depth + 1);
  const trimmed = value.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    const parsed = parseJson(trimmed);
    if (parsed !== undefined) {
      const redacted = JSON.stringify(redactNode(parsed, undefined, text, depth + 1));
      return value.endsWith("\n") ? `${redacted}\n` : redacted;
    }
  }
  if (isSecretName(name.slice(name.lastIndexOf("/") + 1)) && value !== "") return REDACTED;
  return text(value);
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
