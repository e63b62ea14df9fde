/**
 * Checks the model's answer against the evidence it was given. A small model invents names, values
 * and commands; the deterministic findings do not. After the answer has streamed, every Kubernetes
 * name, namespace, image, quantity and command in its `Evidence:` and `Fix:` parts is looked up in
 * the evidence that was sent (the prompt's user messages and the findings). What cannot be found is
 * listed as "not from the evidence"; a root cause other than findings[0]'s is a contradiction.
 *
 * Matching rules (docs/diagnose.md, "Checked against the evidence"):
 * - names, namespaces and images must occur in the evidence as whole words (so a prefix of the real
 *   pod name, or the pod name with another hash, does not count);
 * - a quantity must occur in the evidence; in the fix it may also be derived from it: above the
 *   largest value of its kind in the evidence and at most twice that (a further raised limit);
 * - a command must use a `kubectl` subcommand that a command in the evidence uses (or occur in it
 *   whole); its names, namespaces, images and quantities are checked like the rest.
 *
 * Pure and small: it runs in the agent, whose bundle stays free of dependencies. The answer is
 * untrusted text; nothing here evaluates it, and the items it returns are printable and clipped.
 */
import { parseCpuMillicores, parseMemoryBytes } from "../core/units.js";
import { clip, sanitizeLine } from "./analyze/quote.js";
import type { Finding, FindingCode } from "./types.js";

export type GroundingKind = "name" | "namespace" | "image" | "quantity" | "command";

export interface UnmatchedItem {
  kind: GroundingKind;
  /** The item as the answer wrote it (printable, at most 160 characters). */
  text: string;
  /** The part of the answer it is in. */
  section: "Evidence" | "Fix";
}

export interface Contradiction {
  /** The root-cause code the answer's root cause or fix points at. */
  answer: FindingCode;
  /** findings[0].code */
  rootCause: FindingCode;
}

export interface Grounding {
  /** No unmatched item and no contradiction. */
  ok: boolean;
  /** How many items were checked (0: the answer had no Evidence/Fix part, or named nothing). */
  checked: number;
  unmatched: UnmatchedItem[];
  contradiction: Contradiction | null;
}

export interface GroundingInput {
  /** The model's whole answer. */
  answer: string;
  /** The text the model was given as evidence: the prompt's user messages. */
  evidence: readonly string[];
  findings: readonly Finding[];
}

interface Item {
  kind: GroundingKind;
  text: string;
  section: "Evidence" | "Fix";
  quantity?: Quantity;
}

const KIND_WORDS =
  "pods?|deployments?|deploy|statefulsets?|sts|daemonsets?|ds|replicasets?|rs|jobs?|cronjobs?|cj|containers?|secrets?|configmaps?|cm|services?|svc|nodes?|persistentvolumeclaims?|pvc|serviceaccounts?|sa|ingress(?:es)?|hpa|horizontalpodautoscalers?";
/** `deployment/checkout-api`, `pod/x`, `deploy/x` (kind/name, as kubectl takes it). */
const KIND_SLASH_NAME = new RegExp(
  `(?<![\\w./-])(?:${KIND_WORDS})(?:\\.[a-z.]+)?/([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)`,
  "gi",
);
/** `pod checkout-api-…`, `deployment "checkout-api"`, `container app`, `secret 'db-creds'`. */
const KIND_SPACE_NAME = new RegExp(
  `(?<![\\w/-])(?:${KIND_WORDS})\\s+[\`"'“]?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)[\`"'”]?(?![\\w/-])`,
  "gi",
);
/** Words after a kind word that are not names ("the pod is", "container was"). */
const NOT_NAMES = new Set(
  "a an the is was are were has had have with without that this its it in on of to for and or but by from keeps kept will would should can could may might must named called which who restarts restarted restarting crashed crashes crashing fails failed failing exits exited exiting uses using runs running ran limit limits memory cpu spec status logs log image images name names level object objects".split(
    " ",
  ),
);
const NAMESPACE_FLAG = /(?:^|\s)(?:-n|--namespace)(?:\s+|=)([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?![\w-])/g;
const NAMESPACE_WORD = /\bnamespace\s+[`"'“]?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)[`"'”]?(?![\w-])/gi;
const CONTAINER_FLAG = /(?:^|\s)(?:-c|--container)(?:\s+|=)([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?![\w-])/g;
/** Image references: a path with a tag or digest (`ghcr.io/acme/app:v2`, `nginx@sha256:…`). */
const IMAGE =
  /(?<![\w./:@-])((?:[a-z0-9.-]+(?::\d+)?\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*(?:(?::[\w][\w.-]{0,127})(?:@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64}))(?![\w.:/@-])/g;
/** Quantities with a binary suffix anywhere; decimal and milli suffixes only after cpu/memory. */
const BINARY_QUANTITY = /(?<![\w.])(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi)(?![\w])/g;
const RESOURCE_QUANTITY = /\b(cpu|memory)\s*[=:]\s*(\d+(?:\.\d+)?)(m|k|M|G|T)?(?![\w])/gi;
/** A pod name as a ReplicaSet makes it (`checkout-api-7c9d6b5f48-x2k9p`), wherever it is written. */
const POD_NAME_SHAPE = /(?<![\w./-])([a-z0-9]+(?:-[a-z0-9]+)*-[a-z0-9]{5,10}-[a-z0-9]{5})(?![\w-])/g;
/** A kubectl invocation, up to the end of the line, a backtick or a sentence end. */
const KUBECTL = /\bkubectl(?:[ \t]+[^\s`;|]+)+/g;

/**
 * What points at each root-cause code in free text, most specific first. Codes with no pattern
 * (AppError, CrashLoopBackOff, Healthy) are only recognised by their own name.
 */
const CODE_PATTERNS: [FindingCode, RegExp][] = [
  ["OOMKilled", /\bOOM(?:[- ]?kill(?:ed)?)?\b|out of memory|exceed(?:s|ed|ing)? (?:its |the )?memory limit/i],
  [
    "ImagePullFailed",
    /ImagePullBackOff|ErrImagePull|InvalidImageName|pull(?:ing)? the image|image (?:pull|cannot be pulled)/i,
  ],
  [
    "ConfigMissing",
    /CreateContainerConfigError|(?:secret|configmap)\b[^.\n]{0,60}\b(?:not found|missing|does not exist)/i,
  ],
  [
    "Unschedulable",
    /FailedScheduling|\bUnschedulable\b|Insufficient (?:cpu|memory)|cannot be scheduled|untolerated taint/i,
  ],
  ["VolumeMountFailed", /FailedMount|FailedAttachVolume|MountVolume/i],
  [
    "StartFailed",
    /exec format error|executable file not found|RunContainerError|StartError|ContainerCannotRun/i,
  ],
  ["Evicted", /\bevict(?:ed|ion)\b/i],
  ["NodeNotReady", /\bNodeNotReady\b|node[^.\n]{0,40}\bnot ?ready\b/i],
  ["LivenessProbeFailed", /liveness probe/i],
  ["ReadinessProbeFailed", /readiness probe/i],
  ["InitContainerFailed", /init container/i],
];

export function checkGrounding(input: GroundingInput): Grounding {
  const sections = answerSections(input.answer);
  const corpus = evidenceCorpus(input);
  const items = [...extractItems(sections.evidence, "Evidence"), ...extractItems(sections.fix, "Fix")];
  const unmatched: UnmatchedItem[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const key = `${item.section}\u0000${item.kind}\u0000${item.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!isGrounded(item, corpus)) {
      unmatched.push({ kind: item.kind, text: clip(sanitizeLine(item.text), 160), section: item.section });
    }
  }
  const contradiction = findContradiction(`${sections.rootCause}\n${sections.fix}`, input.findings);
  return {
    ok: unmatched.length === 0 && contradiction === null,
    checked: seen.size,
    unmatched,
    contradiction,
  };
}

/** The answer split into its parts; text before any header counts as the root cause. */
export function answerSections(answer: string): { rootCause: string; evidence: string; fix: string } {
  const parts = {
    rootCause: [] as string[],
    evidence: [] as string[],
    fix: [] as string[],
    other: [] as string[],
  };
  let current: keyof typeof parts = "rootCause";
  for (const raw of answer.split("\n")) {
    const header = /^[\s>*#_-]*(root cause|evidence|fix|confidence)\s*[*_]*\s*:\s*[*_]*\s?(.*)$/i.exec(raw);
    if (header) {
      const name = header[1]!.toLowerCase();
      current =
        name === "root cause"
          ? "rootCause"
          : name === "evidence"
            ? "evidence"
            : name === "fix"
              ? "fix"
              : "other";
      parts[current].push(header[2] ?? "");
    } else {
      parts[current].push(raw);
    }
  }
  return {
    rootCause: parts.rootCause.join("\n"),
    evidence: parts.evidence.join("\n"),
    fix: parts.fix.join("\n"),
  };
}

interface Corpus {
  text: string;
  /** Subcommands of the kubectl commands in the evidence ("set resources", "rollout restart"). */
  verbs: Set<string>;
  /** Memory quantities (bytes) and CPU quantities (millicores) in the evidence. */
  memory: number[];
  cpu: number[];
}

function evidenceCorpus(input: GroundingInput): Corpus {
  const findingText = input.findings.flatMap((f) => [
    f.summary,
    ...f.evidence,
    f.remediation,
    ...(((f as { commands?: unknown }).commands as string[] | undefined) ?? []),
    f.container ?? "",
  ]);
  const text = [...input.evidence, ...findingText].join("\n");
  const verbs = new Set<string>();
  for (const match of text.matchAll(KUBECTL)) {
    const verb = kubectlVerb(match[0]);
    if (verb) verbs.add(verb);
  }
  const memory: number[] = [];
  const cpu: number[] = [];
  for (const quantity of quantities(text))
    (quantity.dimension === "memory" ? memory : cpu).push(quantity.value);
  return { text, verbs, memory, cpu };
}

function extractItems(text: string, section: Item["section"]): Item[] {
  if (text.trim() === "") return [];
  const items: Item[] = [];
  const add = (kind: GroundingKind, value: string | undefined) => {
    if (value !== undefined && value !== "") items.push({ kind, text: value, section });
  };
  for (const m of text.matchAll(KIND_SLASH_NAME)) add("name", m[1]);
  for (const m of text.matchAll(KIND_SPACE_NAME)) {
    const name = m[1]!;
    // A plain English word after "pod" is prose, not a name; names that matter have a digit or dash.
    if (!NOT_NAMES.has(name.toLowerCase()) && /[-\d]/.test(name)) add("name", name);
  }
  for (const m of text.matchAll(POD_NAME_SHAPE)) add("name", m[1]);
  for (const m of text.matchAll(CONTAINER_FLAG)) add("name", m[1]);
  for (const m of text.matchAll(KUBECTL)) for (const name of kubectlNames(m[0])) add("name", name);
  for (const m of text.matchAll(NAMESPACE_FLAG)) add("namespace", m[1]);
  for (const m of text.matchAll(NAMESPACE_WORD))
    if (!NOT_NAMES.has(m[1]!.toLowerCase())) add("namespace", m[1]);
  for (const m of text.matchAll(IMAGE)) {
    const image = m[1]!;
    // A tag needs a path or a registry to be an image rather than "key:value" prose.
    if (image.includes("/") || image.includes("@sha256:")) add("image", image);
  }
  for (const quantity of quantities(text))
    items.push({ kind: "quantity", text: quantity.text, section, quantity });
  for (const m of text.matchAll(KUBECTL)) add("command", m[0].replace(/[.,:)]+$/, ""));
  return items;
}

function isGrounded(item: Item, corpus: Corpus): boolean {
  switch (item.kind) {
    case "name":
    case "namespace":
    case "image":
      return containsWord(corpus.text, item.text);
    case "quantity":
      return item.quantity !== undefined && quantityGrounded(item.quantity, item.section, corpus);
    case "command": {
      if (corpus.text.replace(/\s+/g, " ").includes(item.text.replace(/\s+/g, " "))) return true;
      const verb = kubectlVerb(item.text);
      return verb !== undefined && corpus.verbs.has(verb);
    }
  }
}

/** `text` occurs in `corpus` with no name character right before or after it. */
function containsWord(corpus: string, text: string): boolean {
  const needle = text.toLowerCase();
  const haystack = corpus.toLowerCase();
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    const before = haystack[at - 1] ?? " ";
    const after = haystack[at + needle.length] ?? " ";
    if (
      !/[a-z0-9-]/.test(before) &&
      !/[a-z0-9-]/.test(after === "." ? (haystack[at + needle.length + 1] ?? " ") : after)
    )
      return true;
  }
  return false;
}

interface Quantity {
  text: string;
  dimension: "memory" | "cpu";
  /** Bytes for memory, millicores for CPU. */
  value: number;
}

function quantities(text: string): Quantity[] {
  const found: Quantity[] = [];
  for (const m of text.matchAll(BINARY_QUANTITY)) {
    const text = `${m[1]}${m[2]}`;
    found.push({ text, dimension: "memory", value: parseMemoryBytes(text) ?? Number.NaN });
  }
  for (const m of text.matchAll(RESOURCE_QUANTITY)) {
    const unit = m[3] ?? "";
    if (m[1]!.toLowerCase() === "memory") {
      // Binary suffixes were taken above; here only decimal ones (and plain bytes are skipped).
      if (unit !== "" && unit !== "m") {
        // "512g" or "1K" are no quantities (NaN): only their exact text can ground them.
        const text = `${m[2]}${unit}`;
        found.push({ text, dimension: "memory", value: parseMemoryBytes(text) ?? Number.NaN });
      }
    } else {
      const millicores = unit === "m" || unit === "" ? parseCpuMillicores(`${m[2]}${unit}`) : undefined;
      if (millicores !== undefined)
        found.push({ text: `${m[2]}${unit}`, dimension: "cpu", value: millicores });
    }
  }
  return found;
}

function quantityGrounded(quantity: Quantity, section: Item["section"], corpus: Corpus): boolean {
  if (containsQuantity(corpus.text, quantity.text)) return true;
  // Evidence quotes facts; only a fix may propose a value of its own.
  if (section !== "Fix") return false;
  const known = quantity.dimension === "memory" ? corpus.memory : corpus.cpu;
  if (known.length === 0) return false;
  // Derived: a further raised limit, above the largest value of its kind and at most twice it.
  const largest = Math.max(...known);
  return quantity.value > largest && quantity.value <= 2 * largest;
}

function containsQuantity(corpus: string, text: string): boolean {
  for (let at = corpus.indexOf(text); at !== -1; at = corpus.indexOf(text, at + 1)) {
    const before = corpus[at - 1] ?? " ";
    const after = corpus[at + text.length] ?? " ";
    if (!/[\w.]/.test(before) && !/\w/.test(after)) return true;
  }
  return false;
}

/**
 * The bare names a kubectl command takes as arguments (`kubectl logs cart-6d5f7c8b9-x7k2p`): words
 * after the subcommand that are not flags, values, kind/name pairs or kind words, with a digit or dash.
 */
function kubectlNames(command: string): string[] {
  const words = command.trim().split(/\s+/).slice(1);
  const verbWords = (kubectlVerb(command) ?? "").split(" ").filter((w) => w !== "");
  const names: string[] = [];
  let pastVerb = verbWords.length === 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!.replace(/[.,:)]+$/, "");
    if (word.startsWith("-")) {
      if (!word.includes("=") && /^-(?:n|c|l)$|^--(?:namespace|context|container|kubeconfig)$/.test(word))
        i++;
      continue;
    }
    if (!pastVerb) {
      if (word === verbWords.at(-1)) pastVerb = true;
      continue;
    }
    if (word.includes("/") || word.includes("=") || new RegExp(`^(?:${KIND_WORDS})$`, "i").test(word))
      continue;
    if (/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(word) && /[-\d]/.test(word)) names.push(word);
  }
  return names;
}

/** "kubectl -n shop set resources deployment/x …" → "set resources"; flags and names skipped. */
function kubectlVerb(command: string): string | undefined {
  const words = command.trim().split(/\s+/).slice(1);
  const verb: string[] = [];
  for (let i = 0; i < words.length && verb.length < 2; i++) {
    const word = words[i]!;
    if (word.startsWith("-")) {
      // A flag with a separate value (-n shop, --context x) takes the next word too.
      if (!word.includes("=") && /^-(?:n|c|l)$|^--(?:namespace|context|container|kubeconfig)$/.test(word))
        i++;
      continue;
    }
    if (!/^[a-z-]+$/.test(word)) break;
    verb.push(word);
    // Two-word subcommands; the rest take a resource next.
    if (!/^(?:set|rollout|create|config|auth|certificate|top|apply)$/.test(verb[0]!)) break;
  }
  return verb.length === 0 ? undefined : verb.join(" ");
}

function findContradiction(text: string, findings: readonly Finding[]): Contradiction | null {
  const rootCause = findings[0]?.code;
  if (rootCause === undefined || rootCause === "Healthy") return null;
  if (mentions(text, rootCause)) return null;
  for (const [code] of CODE_PATTERNS) {
    if (code !== rootCause && mentions(text, code)) return { answer: code, rootCause };
  }
  return null;
}

function mentions(text: string, code: FindingCode): boolean {
  if (new RegExp(`\\b${code}\\b`).test(text)) return true;
  const pattern = CODE_PATTERNS.find(([c]) => c === code)?.[1];
  return pattern?.test(text) ?? false;
}
