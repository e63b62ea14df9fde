/**
 * Redaction (contract §4): no secret value leaves, neither in a prompt nor in a saved bundle.
 * Secrets are replaced by `[REDACTED]`. The rules are a small grammar (documented in
 * docs/diagnose.md, "Redaction"): *detectors* find spans of secret text, the spans are merged and
 * replaced in one pass, and an *allow-list* of evidence shapes decides what a detector must leave.
 *
 * Detectors over free text (logs, event/termination/status messages, annotation values, args):
 *  - token formats, found wherever they occur (no word boundary is assumed, so a token glued to
 *    letters, digits or `_` is still found): AWS key ids, GitHub, GitLab, Slack, Stripe, Google,
 *    npm, SendGrid, Vault, PyPI, Hugging Face, OpenAI tokens, JWTs; private-key blocks (also when
 *    cut off at either end); random-looking base64 words of 40 or 64+ characters;
 *  - `KEY SEP VALUE` pairs whose KEY is a secret name (see SECRET_NAME below): `password=x`,
 *    `"api_key": "x"`, `token: x`, headers (`X-Api-Key: x`, `Authorization: Bearer x`), flags
 *    (`--password x`, `--db-token=x`);
 *  - argv forms: `-pVALUE`, `-p VALUE`, `-u user:VALUE`, `--user user:VALUE`;
 *  - `Cookie:` / `Set-Cookie:` headers: the value of every cookie;
 *  - `Bearer x` / `Basic x` anywhere; `scheme://user:PASSWORD@host` with any password characters;
 *  - the values of secret-named env vars wherever they are echoed (one Aho-Corasick pass).
 * Never redacted (the allow-list): exception and error class names used as keys
 * (`TokenExpiredError: …`, `KeyError: …`), and, for keys that *describe* a secret rather than hold
 * it (`SECRET_NAME`, `TLS_KEY_FILE`, `TOKEN_TTL`, `SESSION_CACHE_LIMIT`), Kubernetes names, paths,
 * numbers, quantities and durations; everywhere: references (`$(VAR)`, `${VAR}`), placeholders
 * (`<value>`, `{{ … }}`), booleans, and text that is already `[REDACTED]`.
 *
 * Cost: every detector is linear in the input (literal-anchored regexes with bounded repetition,
 * hand-written scans, an automaton for echoed values); long texts are processed in chunks split at
 * line ends, and redactBundleAsync yields between chunks so that Ctrl-C is honoured.
 */
import { InterruptedError } from "../core/errors.js";
import type { EvidenceBundle, KubeObject } from "./types.js";

export const REDACTED = "[REDACTED]";

// ---------------------------------------------------------------------------------------------
// Secret names

/** Components that make a name secret when a component contains them. */
const SECRET_PART =
  /pass|pwd|secret|token|cred|auth|private|cookie|session|signature|salt|bearer|jwt|dsn|apikey|webhook|encrypt|cert|mnemonic|otp$/;
/** Components that make a name secret only as a whole component (they are common inside words). */
const SECRET_COMPONENTS = new Set(["key", "keys", "pw", "pat", "sk", "seed", "sig", "pin", "connstr"]);
/** Components that are not secret although they contain a secret part. */
const NOT_SECRET_COMPONENTS = new Set(["author", "authors", "authority", "passed", "passes", "bypass"]);
/** The last component of an exception/error class name: such a key is evidence. */
const CLASS_SUFFIXES = new Set(["error", "exception", "exc", "warning", "fault", "failure", "panic"]);

/** What a describing key's value may be and still be evidence. */
type ValueShape = "name" | "path" | "amount" | "word" | "address";
const DESCRIPTORS: Record<string, ValueShape> = {
  name: "name",
  names: "name",
  ref: "name",
  secretname: "name",
  namespace: "name",
  path: "path",
  file: "path",
  dir: "path",
  mount: "path",
  location: "path",
  count: "amount",
  length: "amount",
  len: "amount",
  size: "amount",
  limit: "amount",
  max: "amount",
  min: "amount",
  ttl: "amount",
  timeout: "amount",
  expiry: "amount",
  lifetime: "amount",
  interval: "amount",
  port: "amount",
  bytes: "amount",
  age: "amount",
  url: "address",
  uri: "address",
  host: "address",
  addr: "address",
  address: "address",
  endpoint: "address",
  server: "address",
  type: "word",
  algorithm: "word",
  alg: "word",
  mode: "word",
  format: "word",
  version: "word",
  provider: "word",
  header: "word",
  enabled: "word",
};

/** `DB_PASSWORD` → ["db", "password"]; `TokenExpiredError` → ["token", "expired", "error"]. */
function nameComponents(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((c) => c !== "");
}

interface SecretName {
  /** The value shape that is still evidence, when the name describes a secret (SECRET_NAME). */
  shape?: ValueShape;
  /** A bare `key`/`sig`: only random-looking values are secrets. */
  weak?: boolean;
}

const nameCache = new Map<string, SecretName | null>();

/** Classifies a key/env/flag name: null when it is not secret. */
function classifyName(raw: string): SecretName | null {
  const cached = nameCache.get(raw);
  if (cached !== undefined) return cached;
  const components = nameComponents(raw);
  let result: SecretName | null = null;
  const last = components[components.length - 1];
  if (last !== undefined && !CLASS_SUFFIXES.has(last)) {
    const secret = components.some(
      (c) => !NOT_SECRET_COMPONENTS.has(c) && (SECRET_COMPONENTS.has(c) || SECRET_PART.test(c)),
    );
    if (secret) {
      const shape = components.length > 1 ? DESCRIPTORS[last] : undefined;
      result = shape ? { shape } : {};
      if (components.length === 1 && (last === "key" || last === "keys" || last === "sig"))
        result.weak = true;
    }
  }
  if (nameCache.size > 10_000) nameCache.clear();
  nameCache.set(raw, result);
  return result;
}

/** Whether an env var / annotation / flag / key name looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  return classifyName(name) !== null;
}

// ---------------------------------------------------------------------------------------------
// The allow-list: values that are evidence

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUANTITY = /^[+-]?\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m|u|n)?$/;
const DURATION = /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d)?$/;
const LOWER_PATH = /^\/?[a-z0-9._~-]+(\/[a-z0-9._~-]+)+\/?$|^\/[a-z0-9._~-]+$/;
const ANY_PATH = /^[\w.~-]*\/[\w./~-]*$|^[\w-]+\.[a-z0-9]{1,5}$/;

/** Values that are never secrets, whatever the key: empty, already redacted, references. */
function alwaysKept(value: string): boolean {
  const v = value.trim();
  return v === "" || v.includes(REDACTED) || KEPT_VALUE.test(v);
}

/**
 * One regex for the kept shapes: $(VAR) ${VAR} $VAR; {{ … }}; <value> placeholders (our own
 * remediation text); booleans and nulls; `***` (already masked by the application).
 */
const KEPT_VALUE =
  /^(?:\$\(?\{?[A-Za-z_][\w.]*\}?\)?|\{\{.*\}\}|<[^<>]*>|true|false|null|none|nil|undefined|yes|no|on|off|\*+)$/i;

/** Whether `value` of a key named `name` is evidence and must stay. */
function keptFor(name: SecretName, value: string): boolean {
  if (alwaysKept(value)) return true;
  const v = value.trim();
  if (LOWER_PATH.test(v) && v.startsWith("/")) return true;
  if (name.weak) return DNS_SUBDOMAIN.test(v) || QUANTITY.test(v) || ANY_PATH.test(v) || !looksRandom(v);
  switch (name.shape) {
    case "name":
      return DNS_SUBDOMAIN.test(v) && v.length <= 253;
    case "path":
      return ANY_PATH.test(v) || LOWER_PATH.test(v);
    case "amount":
      return QUANTITY.test(v) || DURATION.test(v);
    case "word":
      return /^[A-Za-z0-9._-]{1,32}$/.test(v) && !looksRandom(v);
    case "address":
      return plainAddress(v);
    default:
      return false;
  }
}

/**
 * `redis://session-cache:6379/0`, `auth.shop.svc:8443`: an address with no credentials in it (no
 * user info, no query) and no random-looking path segment (a webhook URL carries its secret there).
 */
function plainAddress(value: string): boolean {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([a-z0-9.-]+)(?::\d{1,5})?((?:\/[\w.~-]*)*)$/i.exec(value);
  if (!match) return false;
  const segments = (match[2] ?? "").split("/").filter((s) => s !== "");
  return segments.every((s) => s.length < 24 && !looksRandom(s));
}

/** Upper case, lower case and digits together. */
function mixedClasses(word: string): boolean {
  return /[A-Z]/.test(word) && /[a-z]/.test(word) && /[0-9]/.test(word);
}

/** Mixed upper case, lower case and digits, or long: how generated secrets look. */
function looksRandom(word: string): boolean {
  if (/^[0-9a-fA-F]+$/.test(word)) return false;
  return (/[A-Z]/.test(word) && /[a-z]/.test(word) && /[0-9]/.test(word)) || word.length >= 24;
}

// ---------------------------------------------------------------------------------------------
// Spans

/** Half-open [start, end) ranges of secret text, collected by the detectors. */
class Spans {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  add(start: number, end: number): void {
    if (end > start) {
      this.starts.push(start);
      this.ends.push(end);
    }
  }
  /** The text with every span (merged when they overlap or touch) replaced by one marker. */
  apply(text: string): string {
    const n = this.starts.length;
    if (n === 0) return text;
    const { starts, ends } = this;
    let sorted = true;
    for (let i = 1; i < n; i++)
      if ((starts[i] as number) < (starts[i - 1] as number)) {
        sorted = false;
        break;
      }
    // The spans by start (ends alongside), in typed arrays.
    const from = new Int32Array(n);
    const to = new Int32Array(n);
    if (sorted) {
      for (let i = 0; i < n; i++) {
        from[i] = starts[i] as number;
        to[i] = ends[i] as number;
      }
    } else {
      // The detectors add their spans in ascending runs: merge the runs pairwise (stable, linear
      // per pass, a few passes) instead of sorting.
      let runs: number[] = [0];
      for (let i = 1; i < n; i++) if ((starts[i] as number) < (starts[i - 1] as number)) runs.push(i);
      runs.push(n);
      let srcFrom = new Int32Array(n);
      let srcTo = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        srcFrom[i] = starts[i] as number;
        srcTo[i] = ends[i] as number;
      }
      let dstFrom = from;
      let dstTo = to;
      while (runs.length > 2) {
        const next: number[] = [0];
        for (let r = 0; r + 1 < runs.length; r += 2) {
          const lo = runs[r] as number;
          const mid = runs[r + 1] as number;
          const hi = r + 2 < runs.length ? (runs[r + 2] as number) : mid;
          let a = lo;
          let b = mid;
          let k = lo;
          while (a < mid && b < hi) {
            if ((srcFrom[b] as number) < (srcFrom[a] as number)) {
              dstFrom[k] = srcFrom[b] as number;
              dstTo[k++] = srcTo[b++] as number;
            } else {
              dstFrom[k] = srcFrom[a] as number;
              dstTo[k++] = srcTo[a++] as number;
            }
          }
          while (a < mid) {
            dstFrom[k] = srcFrom[a] as number;
            dstTo[k++] = srcTo[a++] as number;
          }
          while (b < hi) {
            dstFrom[k] = srcFrom[b] as number;
            dstTo[k++] = srcTo[b++] as number;
          }
          next.push(hi);
        }
        runs = next;
        [srcFrom, dstFrom] = [dstFrom, srcFrom];
        [srcTo, dstTo] = [dstTo, srcTo];
      }
      if (srcFrom !== from) {
        from.set(srcFrom);
        to.set(srcTo);
      }
    }
    const parts: string[] = [];
    let copied = 0;
    let i = 0;
    while (i < n) {
      const start = from[i] as number;
      let end = to[i] as number;
      i++;
      while (i < n && (from[i] as number) <= end) {
        if ((to[i] as number) > end) end = to[i] as number;
        i++;
      }
      if (start < copied) continue;
      parts.push(text.slice(copied, start), REDACTED);
      copied = end;
    }
    parts.push(text.slice(copied));
    return parts.join("");
  }
}

// ---------------------------------------------------------------------------------------------
// Detectors

/**
 * Token formats: a literal prefix and a bounded body. No `\b`: a token glued to neighbouring
 * word characters is still a token. Formats with a weak prefix must also look random.
 */
const TOKEN = new RegExp(
  [
    String.raw`(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}`,
    String.raw`gh[pousr]_[A-Za-z0-9]{36,255}`,
    String.raw`github_pat_[A-Za-z0-9_]{22,255}`,
    String.raw`glpat-[A-Za-z0-9_-]{20,300}`,
    String.raw`xox[abposr]-[A-Za-z0-9-]{10,250}`,
    String.raw`[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}`,
    String.raw`whsec_[A-Za-z0-9+/=]{24,128}`,
    String.raw`AIza[0-9A-Za-z_-]{35}`,
    String.raw`ya29\.[0-9A-Za-z_-]{20,2048}`,
    String.raw`npm_[A-Za-z0-9]{36}`,
    String.raw`SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}`,
    String.raw`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}`,
    String.raw`hf_[A-Za-z0-9]{30,64}`,
    String.raw`eyJ[A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,4096}`,
    // Weak prefixes: checked with looksRandom below.
    String.raw`hv[sbr]\.[A-Za-z0-9_-]{24,512}`,
    String.raw`sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,256}`,
  ].join("|"),
  "g",
);
const WEAK_TOKEN = /^(?:hv[sbr]\.|sk-)/;

function detectTokens(text: string, spans: Spans): void {
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const token = m[0];
    if (
      WEAK_TOKEN.test(token) &&
      !mixedClasses(token.slice(token.indexOf(token[0] === "h" ? "." : "-") + 1))
    ) {
      TOKEN.lastIndex = m.index + 1;
      continue;
    }
    spans.add(m.index, m.index + token.length);
  }
}

/** `Bearer x`, `Basic x` anywhere (a header name may be missing or far away). */
const AUTH_SCHEME = /(?:Bearer|Basic|Digest)[ \t]+([A-Za-z0-9._~+/=-]{6,4096})/gi;

function detectSchemes(text: string, spans: Spans): void {
  AUTH_SCHEME.lastIndex = 0;
  for (let m = AUTH_SCHEME.exec(text); m !== null; m = AUTH_SCHEME.exec(text)) {
    const value = m[1] ?? "";
    if (value.startsWith("[")) continue;
    spans.add(m.index + m[0].length - value.length, m.index + m[0].length);
  }
}

/**
 * `KEY SEP VALUE` where KEY is a secret name. A cheap keyword search finds candidates; the whole
 * identifier around the keyword is then classified (so `TokenExpiredError` is seen whole).
 */
/** The secret keywords as a trie-shaped alternation (much faster than a flat list). */
const KEYWORDS =
  "p(?:ass|wd|w|at|in|rivate)|s(?:ecret|ession|ignature|alt|k|eed|ig)|token|c(?:red|ookie|ert)|a(?:uth|pi-?key)|bearer|jwt|dsn|webhook|encrypt|mnemonic|key|otp";
/**
 * A keyword, the rest of its identifier, a separator: the regex engine rejects most text natively.
 * It runs on the lower-cased text (same length), which is faster than a case-insensitive regex.
 */
const PAIR_CANDIDATE = new RegExp(String.raw`(?:${KEYWORDS})[a-z0-9_.-]{0,60}\\?["']?[ \t]{0,5}[:=]`, "g");
const PAIR_CANDIDATE_I = new RegExp(PAIR_CANDIDATE.source, "gi");
const FLAG_KEYWORD = new RegExp(KEYWORDS, "i");
/** A flag at the start of a word whose value follows after spaces: `--db-password x`. */
const FLAG_CANDIDATE = /(?:^|[\s"'[,(])(--?[A-Za-z][A-Za-z0-9_.-]{0,60})["']?,?[ \t]/gm;

function isIdentChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46
  );
}

function detectPairs(text: string, spans: Spans, lower?: string): void {
  const candidates = lower === undefined ? PAIR_CANDIDATE_I : PAIR_CANDIDATE;
  const haystack = lower ?? text;
  candidates.lastIndex = 0;
  for (let m = candidates.exec(haystack); m !== null; m = candidates.exec(haystack)) {
    let start = m.index;
    let end = m.index;
    while (start > 0 && m.index - start < 80 && isIdentChar(text.charCodeAt(start - 1))) start--;
    while (end < text.length && end - m.index < 80 && isIdentChar(text.charCodeAt(end))) end++;
    // A trailing "." or "-" belongs to the sentence, not to the name.
    while (end > start && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    candidates.lastIndex = Math.max(end, m.index + 1);
    pairAt(text, start, end, false, spans);
  }
  FLAG_CANDIDATE.lastIndex = 0;
  for (let m = FLAG_CANDIDATE.exec(text); m !== null; m = FLAG_CANDIDATE.exec(text)) {
    const flag = m[1] ?? "";
    const start = m.index + m[0].indexOf(flag);
    FLAG_CANDIDATE.lastIndex = start + flag.length;
    if (flag.length > 2 && FLAG_KEYWORD.test(flag)) pairAt(text, start, start + flag.length, true, spans);
  }
}

/** A lower-case DNS name with a dash or a dot: how a host looks, where a secret key does not. */
const HOST_KEY = /^[a-z0-9]+(?:[.-][a-z0-9]+)+$/;
/** `:` glued to a port number that ends there. */
const HOST_PORT = /^:\d{1,5}(?![\w-])/;

/** The pair whose key is text[start, end): redacts its value when the key is a secret name. */
function pairAt(text: string, start: number, end: number, isFlag: boolean, spans: Spans): void {
  const ident = text.slice(start, end);
  const name = classifyName(isFlag ? ident.replace(/^-+/, "") : ident);
  if (name === null) return;
  // `session-cache:6379`, `auth.shop.svc:8443/`: a host and its port, not a key and its value.
  if (!isFlag && HOST_KEY.test(ident) && HOST_PORT.test(text.slice(end, end + 8))) return;
  if (/^(?:set-)?cookie$/i.test(ident)) return; // detectCookies takes every cookie
  const value = valueAfter(text, end, isFlag);
  if (value === undefined) return;
  const body = text.slice(value.start, value.end);
  // `Authorization: Bearer x`: the scheme and the credential.
  if (
    /authori[sz]ation/i.test(ident) &&
    /^(?:bearer|basic|digest|token|negotiate|aws4-hmac-sha256)$/i.test(body)
  ) {
    const rest = /^[ \t]+[^\s"',;]+/.exec(text.slice(value.end, value.end + 4096));
    spans.add(value.start, value.end + (rest ? rest[0].length : 0));
    return;
  }
  if (keptFor(name, unquote(body))) return;
  spans.add(value.start, value.end);
}

/**
 * The value after a key: an optional quote closing the key, a separator (`:`, `=`, `=>`, or for a
 * flag spaces), then a quoted or bare value. Returns the span of the value's body.
 */
function valueAfter(text: string, from: number, isFlag: boolean): { start: number; end: number } | undefined {
  let i = from;
  if (text.charCodeAt(i) === 92 /* \ */ && (text.charCodeAt(i + 1) === 34 || text.charCodeAt(i + 1) === 39))
    i += 2;
  else if (text.charCodeAt(i) === 34 || text.charCodeAt(i) === 39) i++;
  let spaces = 0;
  while ((text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) && spaces < 6) {
    i++;
    spaces++;
  }
  let separated = false;
  if (text.charCodeAt(i) === 58 /* : */ || text.charCodeAt(i) === 61 /* = */) {
    if (text.charCodeAt(i) === 58 && text.charCodeAt(i + 1) === 58) return undefined; // Class::method
    i++;
    if (text.charCodeAt(i) === 62 /* > */) i++;
    separated = true;
  } else if (isFlag && (spaces > 0 || text.charCodeAt(i) === 44)) {
    if (text.charCodeAt(i) === 44) i++; // ["--db-token", "x"]
    separated = true;
  }
  if (!separated) return undefined;
  spaces = 0;
  while ((text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) && spaces < 6) {
    i++;
    spaces++;
  }
  if (isFlag && text.charCodeAt(i) === 45 /* - */) return undefined; // the next flag
  // A quoted value: its body, up to the closing quote on the same line.
  let quote = "";
  if (text.charCodeAt(i) === 92 && (text.charCodeAt(i + 1) === 34 || text.charCodeAt(i + 1) === 39)) {
    quote = text.slice(i, i + 2);
    i += 2;
  } else if (text.charCodeAt(i) === 34 || text.charCodeAt(i) === 39) {
    quote = text[i] ?? "";
    i++;
  }
  const start = i;
  if (quote !== "") {
    const close = quote[quote.length - 1] ?? "";
    while (i < text.length && i - start < 8192) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) break;
      if (quote.length === 2 && c === 92 && text[i + 1] === close) break;
      if (quote.length === 1 && text[i] === close && text.charCodeAt(i - 1) !== 92) break;
      i++;
    }
    return i > start ? { start, end: i } : undefined;
  }
  while (i < text.length && i - start < 8192) {
    const c = text.charCodeAt(i);
    // whitespace, quotes, `,` `;` `&` end a bare value; `\` too (an escaped quote in JSON text)
    if (c <= 32 || c === 34 || c === 39 || c === 44 || c === 59 || c === 38 || c === 92) break;
    i++;
  }
  // Give back closing brackets that belong to the surrounding text: "(key=AKIA…)".
  let end = i;
  while (end > start + 1 && /[)\]}>]/.test(text[end - 1] ?? "") && !hasOpener(text.slice(start, end))) end--;
  return end > start ? { start, end } : undefined;
}

function hasOpener(body: string): boolean {
  const closer = body[body.length - 1] ?? "";
  const opener = ({ ")": "(", "]": "[", "}": "{", ">": "<" } as Record<string, string>)[closer];
  return opener !== undefined && body.includes(opener);
}

function unquote(value: string): string {
  return /^(["']).*\1$/s.test(value) ? value.slice(1, -1) : value;
}

/** `Cookie: a=1; session=x` and `Set-Cookie: session=x; Path=/`: every cookie's value. */
const COOKIE = /cookie\\?["']?[ \t]{0,5}[:=][ \t]{0,5}\\?["']?/gi;
const COOKIE_ATTRIBUTES = /^(?:path|domain|expires|max-age|samesite|secure|httponly|priority|partitioned)$/i;

function detectCookies(text: string, spans: Spans): void {
  if (!/cookie/i.test(text)) return;
  COOKIE.lastIndex = 0;
  let searchFrom = 0;
  for (let m = COOKIE.exec(text); m !== null; searchFrom = COOKIE.lastIndex, m = COOKIE.exec(text)) {
    let i = m.index + m[0].length;
    const limit = Math.min(text.length, i + 16_384);
    // `Set-Cookie`: a `set-` before the match that the search could have started at.
    const setCookie = m.index - 4 >= searchFrom && text.slice(m.index - 4, m.index).toLowerCase() === "set-";
    let first = true;
    while (i < limit) {
      while (text[i] === " " || text[i] === "\t") i++;
      const nameStart = i;
      while (i < limit && !cookieStop(text.charCodeAt(i), true)) i++;
      const cookieName = text.slice(nameStart, i);
      if (text[i] !== "=" || cookieName === "") break;
      i++;
      const valueStart = i;
      while (i < limit && !cookieStop(text.charCodeAt(i), false)) i++;
      const value = text.slice(valueStart, i);
      if ((!setCookie || first) && !COOKIE_ATTRIBUTES.test(cookieName) && !alwaysKept(value))
        spans.add(valueStart, i);
      first = false;
      if (text[i] !== ";") break;
      i++;
    }
    COOKIE.lastIndex = Math.max(COOKIE.lastIndex, i);
  }
}

/** Whitespace, `;` `,` quotes and `\` end a cookie's name or value; `=` ends its name. */
function cookieStop(c: number, name: boolean): boolean {
  return c <= 32 || c === 59 || c === 44 || c === 34 || c === 39 || c === 92 || (name && c === 61);
}

/**
 * Short argv forms: `-pVALUE` / `-p VALUE` (mysql, mariadb, redis-cli -a is a long-name case) and
 * `-u user:VALUE` / `--user user:VALUE` / `-uuser:VALUE` (curl). Ports, paths and JSON patches
 * (`docker run -p 8080:80`, `mkdir -p /x`, `kubectl patch -p '{…}'`) are not passwords.
 */
const SHORT_FLAG = /(?:-[pu]|--(?:proxy-)?user)(?=[=\s"'A-Za-z0-9!#$%^*+/~.:@_\\-])/g;
const FIND_WORDS =
  /^(?:ath|rune|rint\w*|erm|ipe|lain|ort\w*|orts|id|idfile|rofile|roxy\w*|ython\w*|ackage|ublish\w*|ull|ush|atch|arallel|re|ersistent|arents)$/;

function detectShortFlags(text: string, spans: Spans): void {
  SHORT_FLAG.lastIndex = 0;
  for (let m = SHORT_FLAG.exec(text); m !== null; m = SHORT_FLAG.exec(text)) {
    const before = m.index === 0 ? 32 : text.charCodeAt(m.index - 1);
    // At the start of a word: after whitespace, a quote, "(" "[" "," or "=".
    if (!(before <= 32 || before === 34 || before === 39 || before === 40 || before === 91 || before === 44))
      continue;
    const flag = m[0];
    let i = m.index + flag.length;
    const glued = text[i] !== " " && text[i] !== "\t" && text[i] !== "=";
    if (text[i] === "=") i++;
    else while ((text[i] === " " || text[i] === "\t") && i - m.index < 12) i++;
    let quote = "";
    if (text[i] === '"' || text[i] === "'") quote = text[i++] ?? "";
    const start = i;
    while (i < text.length && i - start < 4096) {
      const c = text.charCodeAt(i);
      if (c <= 32 || (quote !== "" && text[i] === quote)) break;
      // unquoted, a shell operator ends the word
      if (quote === "" && (c === 34 || c === 39 || c === 59 || c === 124 || c === 38)) break;
      i++;
    }
    const value = text.slice(start, i);
    if (value === "" || value.startsWith("-") || alwaysKept(value)) continue;
    if (flag === "-p") {
      if (glued && FIND_WORDS.test(value)) continue;
      // ports and port mappings, paths, JSON patches
      if (/^[\d.:/a-z]*\d+(?:\/(?:tcp|udp|sctp))?$/.test(value) && /^[\d.:]+(?:\/\w+)?$/.test(value))
        continue;
      if (/^[{[]/.test(value) || (!glued && /^(?:\/|\.{1,2}\/|~\/)/.test(value))) continue;
      spans.add(start, i);
    } else {
      const colon = value.indexOf(":");
      if (colon === -1) continue;
      const password = value.slice(colon + 1);
      if (/^\d+$/.test(value.slice(0, colon)) && /^\d*$/.test(password)) continue; // uid:gid
      if (password !== "" && !alwaysKept(password)) spans.add(start + colon + 1, i);
    }
  }
}

/**
 * `scheme://user:PASSWORD@host`: the password may hold any character except whitespace and quotes;
 * it ends at the last `@` that is followed by a host (so `p@ss/w@rd` is covered).
 */
function detectUrlCredentials(text: string, spans: Spans): void {
  let pos = text.indexOf("://");
  while (pos !== -1) {
    let i = pos + 3;
    const userStart = i;
    while (i < text.length && i - userStart < 256 && !urlStop(text.charCodeAt(i), true)) i++;
    if (text[i] === ":") {
      const passwordStart = i + 1;
      let end = passwordStart;
      let lastAt = -1;
      while (end < text.length && end - passwordStart < 2048 && !urlStop(text.charCodeAt(end), false)) {
        if (
          text.charCodeAt(end) === 64 &&
          /^[A-Za-z0-9[][A-Za-z0-9.:[\]-]*(?:[/?#\s"'<>]|$)/.test(text.slice(end + 1, end + 300))
        )
          lastAt = end;
        end++;
      }
      if (lastAt > passwordStart) {
        const password = text.slice(passwordStart, lastAt);
        if (password !== REDACTED) spans.add(passwordStart, lastAt);
      }
    }
    pos = text.indexOf("://", pos + 3);
  }
}

/** Whitespace, quotes, `<` `>` and a backtick end a URL; in its user part also `:` `@` `/`. */
function urlStop(c: number, user: boolean): boolean {
  if (c <= 32 || c === 34 || c === 39 || c === 60 || c === 62 || c === 96) return true;
  return user && (c === 58 || c === 64 || c === 47);
}

/**
 * Random-looking base64 words that are secrets by their shape alone: exactly 40 characters (an
 * AWS secret access key) or 64 and more (a PEM body line, an opaque token). They must mix upper
 * case, lower case and digits and not be plain hex (git SHAs and digests stay).
 */
function detectRandomWords(text: string, spans: Spans, echo: EchoScrubber): void {
  // Every run of 40 or more word characters covers one of every 40th position: only those are
  // looked at, and a run is measured from there (most text is skipped 40 characters at a time).
  const length = text.length;
  let p = RANDOM_MIN - 1;
  while (p < length) {
    if (!isBase64Word(text.charCodeAt(p))) {
      p += RANDOM_MIN;
      continue;
    }
    let start = p;
    while (start > 0 && isBase64Word(text.charCodeAt(start - 1))) start--;
    let end = p + 1;
    while (end < length && isBase64Word(text.charCodeAt(end))) end++;
    const run = end - start;
    // A 40-character word followed by "=" is the tail of a longer padded blob, not a key.
    if ((run === 40 && text.charCodeAt(end) !== 61) || run >= 64) {
      const word = text.slice(start, end);
      if (!/^[0-9a-fA-F]+$/.test(word) && /[A-Z]/.test(word) && /[a-z]/.test(word) && /[0-9]/.test(word))
        spans.add(start, end);
    }
    p = end + RANDOM_MIN;
  }
  echo.detect(text, spans);
}

/** The shortest random word. */
const RANDOM_MIN = 40;

function isBase64Word(c: number): boolean {
  return c < 128 && BASE64_WORD[c] === 1;
}

/** The characters of a random word: letters, digits, `+`, `/`. */
const BASE64_WORD = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
  BASE64_WORD[c.charCodeAt(0)] = 1;

/**
 * Private-key blocks: `-----BEGIN … PRIVATE KEY-----` … `-----END … PRIVATE KEY-----`, also with
 * literal `\n` escapes, and cut off at either end (a log window that starts or stops inside one).
 * One pass over the markers: linear however many headers the text holds.
 */
const KEY_MARKER = /-----(BEGIN|END) ([A-Z0-9 ]{0,40}PRIVATE KEY[A-Z0-9 ]{0,20})-----/g;
const MAX_KEY_BODY = 64 * 1024;

function detectPrivateKeys(text: string, spans: Spans): void {
  if (!text.includes("PRIVATE KEY")) return;
  KEY_MARKER.lastIndex = 0;
  let open: number | undefined; // end of the BEGIN marker still waiting for its END
  let floor = 0; // nothing before this is looked at again
  for (let m = KEY_MARKER.exec(text); m !== null; m = KEY_MARKER.exec(text)) {
    if (m[1] === "BEGIN") {
      if (open !== undefined) spans.add(open, keyBodyEnd(text, open, m.index)); // truncated block
      open = m.index + m[0].length;
      floor = open;
    } else if (open !== undefined && m.index - open <= MAX_KEY_BODY) {
      spans.add(open, m.index);
      open = undefined;
      floor = m.index + m[0].length;
    } else {
      if (open !== undefined) spans.add(open, keyBodyEnd(text, open, m.index));
      open = undefined;
      // A block cut off at its start: the base64 before the END marker.
      spans.add(keyBodyStart(text, m.index, floor), m.index);
      floor = m.index + m[0].length;
    }
  }
  if (open !== undefined) spans.add(open, keyBodyEnd(text, open, text.length));
}

const BASE64_CHAR = /[A-Za-z0-9+/=\\]/; // backslash: bodies written with literal \n escapes
const BASE64_LINE = /^[A-Za-z0-9+/=]+\r?$/;

/** Where a key body that follows `from` ends: the rest of its line, then whole base64 lines. */
function keyBodyEnd(text: string, from: number, limit: number): number {
  const max = Math.min(limit, from + MAX_KEY_BODY);
  let stop = from;
  while (stop < max && BASE64_CHAR.test(text[stop] ?? "")) stop++;
  while (text[stop] === "\n" && stop < max) {
    const next = text.indexOf("\n", stop + 1);
    const lineEnd = Math.min(next === -1 ? text.length : next, max);
    if (!BASE64_LINE.test(text.slice(stop + 1, lineEnd))) break;
    stop = lineEnd;
  }
  return stop;
}

/** Where a key body that ends at `end` starts: the base64 before it on its line, then whole lines. */
function keyBodyStart(text: string, end: number, floor: number): number {
  const min = Math.max(floor, end - MAX_KEY_BODY);
  let start = end;
  while (start > min && BASE64_CHAR.test(text[start - 1] ?? "")) start--;
  while (start > min && text[start - 1] === "\n") {
    const previous = text.lastIndexOf("\n", start - 2);
    const lineStart = Math.max(previous + 1, min);
    if (!BASE64_LINE.test(text.slice(lineStart, start - 1))) break;
    start = lineStart;
  }
  return start;
}

/** Env vars written out as JSON or YAML text (a dumped manifest in a log or an annotation). */
const ENV_JSON =
  /"name"[ \t]*:[ \t]*"([^"\\]{1,200})"[ \t]*,[ \t]*"value"[ \t]*:[ \t]*"((?:[^"\\]|\\.){0,4000})"/g;
const ENV_YAML = /\bname:[ \t]*["']?([A-Za-z_][\w.-]{0,200})["']?[ \t]*\r?\n[ \t]*value:[ \t]*([^\n]*)/g;

function detectEnvText(text: string, spans: Spans): void {
  for (const pattern of [ENV_JSON, ENV_YAML]) {
    if (!text.includes(pattern === ENV_JSON ? '"value"' : "value:")) continue;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const value = m[2] ?? "";
      const bare = pattern === ENV_YAML ? unquote(value.trim()) : value;
      if (!secretEnvValue(m[1] ?? "", bare)) continue;
      const end = m.index + m[0].length - (pattern === ENV_JSON ? 1 : 0);
      spans.add(end - value.length, end);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Echoed values: one automaton for all of them

/**
 * Aho-Corasick over the secret values: one pass over the text whatever the number of values.
 * The alphabet is the values' own characters; any other character leads back to the root.
 */
export class EchoScrubber {
  /** Character code → column; characters outside the values' alphabet share the last column. */
  readonly alphabet = new Int32Array(65536).fill(-1);
  readonly width: number;
  readonly delta: Int32Array;
  /** Length of the longest value ending in each state (0: none). */
  readonly out: Int32Array;
  readonly size: number;
  /**
   * delta and out in one array, for the scan: the row of a state starts at state * (width + 1)
   * with its out length, then its transitions as row offsets of the next states.
   */
  readonly rows: Int32Array;

  constructor(values: readonly string[]) {
    this.size = values.length;
    let width = 0;
    for (const v of values)
      for (let i = 0; i < v.length; i++) {
        const c = v.charCodeAt(i);
        if (this.alphabet[c] === -1) this.alphabet[c] = width++;
      }
    this.width = width + 1; // the last column: characters outside the alphabet
    for (let c = 0; c < 65536; c++) if (this.alphabet[c] === -1) this.alphabet[c] = width;
    // The trie.
    const children: Map<number, number>[] = [new Map()];
    const length: number[] = [0];
    for (const v of values) {
      let state = 0;
      for (let i = 0; i < v.length; i++) {
        const a = this.alphabet[v.charCodeAt(i)] ?? 0;
        let next = children[state]?.get(a);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          length.push(0);
          children[state]?.set(a, next);
        }
        state = next;
      }
      length[state] = Math.max(length[state] ?? 0, v.length);
    }
    // The automaton, breadth first.
    const states = children.length;
    this.delta = new Int32Array(states * this.width);
    this.out = new Int32Array(states);
    const fail = new Int32Array(states);
    const queue: number[] = [];
    for (let a = 0; a < this.width; a++) {
      const child = children[0]?.get(a);
      if (child !== undefined) {
        this.delta[a] = child;
        fail[child] = 0;
        queue.push(child);
      }
    }
    this.out[0] = 0;
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] ?? 0;
      this.out[state] = Math.max(length[state] ?? 0, this.out[fail[state] ?? 0] ?? 0);
      for (let a = 0; a < this.width; a++) {
        const child = children[state]?.get(a);
        const viaFail = this.delta[(fail[state] ?? 0) * this.width + a] ?? 0;
        if (child !== undefined) {
          fail[child] = viaFail;
          this.delta[state * this.width + a] = child;
          queue.push(child);
        } else {
          this.delta[state * this.width + a] = viaFail;
        }
      }
    }
    const stride = this.width + 1;
    this.rows = new Int32Array(states * stride);
    for (let state = 0; state < states; state++) {
      this.rows[state * stride] = this.out[state] ?? 0;
      for (let a = 0; a < this.width; a++)
        this.rows[state * stride + 1 + a] = (this.delta[state * this.width + a] ?? 0) * stride;
    }
  }

  detect(text: string, spans: Spans): void {
    if (this.size === 0) return;
    const { alphabet, rows } = this;
    const length = text.length;
    let row = 0;
    for (let i = 0; i < length; i++) {
      row = rows[row + 1 + (alphabet[text.charCodeAt(i)] as number)] as number;
      const found = rows[row] as number;
      if (found > 0) spans.add(i + 1 - found, i + 1);
    }
  }
}

const NO_ECHO = new EchoScrubber([]);

// ---------------------------------------------------------------------------------------------
// Text

/** Texts longer than this are redacted piece by piece, cut at line ends. */
export const CHUNK_CHARS = 512 * 1024;

function redactPiece(text: string, echo: EchoScrubber): string {
  if (text.length === 0) return text;
  const spans = new Spans();
  detectPrivateKeys(text, spans);
  detectTokens(text, spans);
  detectSchemes(text, spans);
  // Case-insensitive on the text itself: measured faster than lower-casing a copy of the piece.
  detectPairs(text, spans);
  detectCookies(text, spans);
  detectShortFlags(text, spans);
  if (text.includes("://")) detectUrlCredentials(text, spans);
  detectEnvText(text, spans);
  detectRandomWords(text, spans, echo);
  return spans.apply(text);
}

/** The pieces of a long text, cut after a line end. */
function* pieces(text: string): Generator<string> {
  if (text.length <= CHUNK_CHARS) {
    yield text;
    return;
  }
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + CHUNK_CHARS);
    if (end < text.length) {
      let newline = text.lastIndexOf("\n", end);
      // Not between `name: X` and its `value: …` line (ENV_YAML reads both): cut a line earlier.
      for (let tries = 0; newline > start && tries < 8; tries++) {
        const previous = text.lastIndexOf("\n", newline - 1);
        if (previous <= start || !text.slice(previous, newline).includes("name:")) break;
        newline = previous;
      }
      if (newline > start) end = newline + 1;
    }
    yield text.slice(start, end);
    start = end;
  }
}

/** Redacts secrets from free text (logs, event messages, annotation values). Idempotent. */
export function redactText(text: string, echo: EchoScrubber = NO_ECHO): string {
  if (text.length <= CHUNK_CHARS) return redactPiece(text, echo);
  const out: string[] = [];
  for (const piece of pieces(text)) out.push(redactPiece(piece, echo));
  return out.join("");
}

// ---------------------------------------------------------------------------------------------
// Structure-aware rules

/** Redacts command-line arguments: the value after a secret-looking flag, then the text rules. */
export function redactArgs(args: readonly string[], text: (value: string) => string = redactText): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const previous = args[i - 1];
    if (previous !== undefined && /^--?[\w.-]+$/.test(previous) && !arg.startsWith("-")) {
      const joined = text(`${previous} ${arg}`);
      if (joined !== `${previous} ${arg}` && joined.startsWith(`${previous} `)) {
        out.push(joined.slice(previous.length + 1));
        continue;
      }
      const name = classifyName(previous.replace(/^-+/, ""));
      if (name !== null && previous.length > 2 && !keptFor(name, arg)) {
        out.push(REDACTED);
        continue;
      }
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
          const v = item.value;
          if (typeof item.name === "string" && typeof v === "string" && secretEnvValue(item.name, v)) {
            const trimmed = v.trim();
            if (trimmed.length >= 6 && !/^\d+$/.test(trimmed)) found.add(v);
          }
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

/** Whether the env var `name=value` holds a secret value (not evidence). */
function secretEnvValue(name: string, value: string): boolean {
  const kind = classifyName(name);
  return kind !== null && value !== "" && !keptFor(kind, value);
}

/** Replaces every verbatim occurrence of the given secret values. */
export function scrubValues(text: string, secrets: readonly string[] | EchoScrubber): string {
  const echo = secrets instanceof EchoScrubber ? secrets : new EchoScrubber(secrets);
  if (echo.size === 0) return text;
  const spans = new Spans();
  echo.detect(text, spans);
  return spans.apply(text);
}

/** A redacted deep copy of the bundle; the input is not modified. Idempotent. */
export function redactBundle(bundle: EvidenceBundle): EvidenceBundle {
  const echo = new EchoScrubber(secretValues(bundle));
  return redactWith(
    bundle,
    (value) => redactText(value, echo),
    (log) => redactText(log, echo),
  );
}

/**
 * redactBundle in pieces: the event loop runs between them, so Ctrl-C (the signal) is honoured
 * within a piece's time (tens of milliseconds) even on hundreds of megabytes of log.
 */
export async function redactBundleAsync(
  bundle: EvidenceBundle,
  signal?: AbortSignal,
): Promise<EvidenceBundle> {
  const echo = new EchoScrubber(secretValues(bundle));
  const logs: string[] = [];
  for (const log of bundle.logs) {
    const out: string[] = [];
    for (const piece of pieces(log.text)) {
      await yieldToEventLoop();
      if (signal?.aborted) throw new InterruptedError();
      out.push(redactPiece(piece, echo));
    }
    logs.push(out.join(""));
  }
  await yieldToEventLoop();
  if (signal?.aborted) throw new InterruptedError();
  let index = 0;
  return redactWith(
    bundle,
    (value) => redactText(value, echo),
    () => logs[index++] ?? "",
  );
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type TextRedactor = (value: string) => string;

function redactWith(bundle: EvidenceBundle, text: TextRedactor, logText: TextRedactor): EvidenceBundle {
  const redacted: EvidenceBundle = {
    apiVersion: bundle.apiVersion,
    kind: bundle.kind,
    metadata: { ...bundle.metadata },
    pod: redactObject(bundle.pod, text),
    events: bundle.events.map((event) => redactObject(event, text)),
    logs: bundle.logs.map((log) => ({ ...log, text: logText(log.text) })),
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
    secretEnvValue(item.name, item.value)
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
  if (secretEnvValue(name.slice(name.lastIndexOf("/") + 1), value)) return REDACTED;
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
