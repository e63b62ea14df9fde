/**
 * Benchmark of the offline diagnose core: `npx tsx bench/diagnose.ts [runs]`.
 *
 * Prints the median time of each step (parse, redact, analyze, prompt) on the largest scenario
 * bundle (test/fixtures/scenarios, the copy of the shared scenarios kept in the repository) and on a
 * generated bundle with a 5 MB log, then the prompt size of every scenario.
 * Performance is measured here, not asserted in tests.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
// Llama 2's SentencePiece vocabulary (Phi-3 mini uses the same tokenizer), bundled in the package.
import llamaTokenizer from "llama-tokenizer-js";
import {
  analyze,
  buildPrompt,
  PROMPT_BUDGET_TOKENS,
  parseBundle,
  redactBundle,
} from "../src/diagnose/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const scenarioDir = path.join(repoRoot, "test/fixtures/scenarios/bundles");
const runs = Number(process.argv[2] ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const result = fn();
  return [result, performance.now() - start];
}

/** A crash-looping pod with a 5 MB previous log of realistic lines, secrets and a final traceback. */
function generatedBundleText(bytes: number): string {
  const lines = [
    "2025-06-10 08:30:00,123 INFO [billing.consumer] invoice.finalized inv_01JWXK7M2QH8RZ customer=cus_Hs81kQzA amount=761.91 EUR partition=1 offset=1883968 took=63ms",
    '10.244.0.17 - - [10/Jun/2025:08:30:00 +0000] "GET /api/v1/items?id=123456 HTTP/1.1" 200 5123 "-" "okhttp/4.12.0"',
    '{"level":30,"time":1749544200123,"pid":1,"msg":"request completed","res":{"statusCode":200},"responseTime":12.4}',
    "2025-06-10 08:30:00,124 WARNING [billing.fx] stale FX rate for CHF (age=3600s), using cached value",
    "2025-06-10 08:30:00,125 DEBUG [db] connecting to postgresql://billing:N0tS3cret@db:5432/billing password=hunter2 token: abc.def",
  ];
  const block = `${lines.join("\n")}\n`;
  const log = `${block.repeat(Math.ceil(bytes / block.length))}Traceback (most recent call last):\n  File "/app/billing/terms.py", line 37, in compute_due_date\n    days = int(invoice["payment_terms"]["net_days"])\nValueError: invalid literal for int() with base 10: 'thirty'\n`;
  return JSON.stringify({
    apiVersion: "sre-lab/v1",
    kind: "EvidenceBundle",
    metadata: { collectedAt: "2025-06-10T08:31:00Z" },
    pod: {
      metadata: {
        name: "billing-worker-84d6f7b9c5-tnw6h",
        namespace: "payments",
        uid: "u-1",
        labels: { "pod-template-hash": "84d6f7b9c5" },
        ownerReferences: [{ kind: "ReplicaSet", name: "billing-worker-84d6f7b9c5", controller: true }],
      },
      spec: {
        nodeName: "kind-worker",
        containers: [
          {
            name: "billing-worker",
            image: "ghcr.io/acme/billing-worker:3.4.0",
            env: [{ name: "DB_PASSWORD", value: "hunter2" }],
            resources: { limits: { memory: "768Mi" } },
          },
        ],
      },
      status: {
        phase: "Running",
        containerStatuses: [
          {
            name: "billing-worker",
            ready: false,
            restartCount: 12,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1, reason: "Error" } },
          },
        ],
      },
    },
    events: [],
    logs: [{ container: "billing-worker", previous: true, text: log }],
  });
}

interface Row {
  input: string;
  size: string;
  parse: number;
  redact: number;
  analyze: number;
  prompt: number;
  total: number;
}

function benchmark(name: string, text: string): Row {
  const samples = {
    parse: [] as number[],
    redact: [] as number[],
    analyze: [] as number[],
    prompt: [] as number[],
    total: [] as number[],
  };
  for (let i = 0; i < runs; i++) {
    const [parsed, parseMs] = time(() => parseBundle(text, name));
    const [bundle, redactMs] = time(() => redactBundle(parsed));
    const [findings, analyzeMs] = time(() => analyze(bundle));
    const [, promptMs] = time(() => buildPrompt(bundle, findings));
    samples.parse.push(parseMs);
    samples.redact.push(redactMs);
    samples.analyze.push(analyzeMs);
    samples.prompt.push(promptMs);
    samples.total.push(parseMs + redactMs + analyzeMs + promptMs);
  }
  return {
    input: name,
    size: `${(text.length / 1024 / 1024).toFixed(1)} MB`,
    parse: median(samples.parse),
    redact: median(samples.redact),
    analyze: median(samples.analyze),
    prompt: median(samples.prompt),
    total: median(samples.total),
  };
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

const scenarioFiles = readdirSync(scenarioDir)
  .filter((f) => f.endsWith(".json"))
  .sort();

console.log(`diagnose benchmark — node ${process.version}, median of ${runs} runs per step`);
console.log("");

const timed: Row[] = [];
const largest = [...scenarioFiles].sort(
  (a, b) => statSync(path.join(scenarioDir, b)).size - statSync(path.join(scenarioDir, a)).size,
)[0];
if (largest)
  timed.push(benchmark(`scenario ${largest}`, readFileSync(path.join(scenarioDir, largest), "utf8")));
timed.push(benchmark("generated (5 MB log)", generatedBundleText(5 * 1024 * 1024)));
const ms = (n: number) => n.toFixed(1);
console.log("Offline analysis time (ms, median)");
console.log(
  table(
    ["input", "size", "parse", "redact", "analyze", "prompt", "whole pipeline"],
    timed.map((r) => [
      r.input,
      r.size,
      ms(r.parse),
      ms(r.redact),
      ms(r.analyze),
      ms(r.prompt),
      `${ms(r.total)}${r.total < 1000 ? "" : " (over the 1 s target)"}`,
    ]),
  ),
);
console.log("");

const tokenRows: string[][] = [];
const tokens: number[] = [];
const errors: number[] = [];
for (const file of scenarioFiles) {
  const bundle = redactBundle(parseBundle(readFileSync(path.join(scenarioDir, file), "utf8"), file));
  const findings = analyze(bundle);
  const prompt = buildPrompt(bundle, findings);
  const chars = prompt.messages.reduce((n, m) => n + m.content.length, 0);
  // The real count: each message's content plus the template's tokens per message and reply.
  const real =
    prompt.messages.reduce((n, m) => n + llamaTokenizer.encode(m.content, false, false).length + 6, 0) + 4;
  tokens.push(real);
  errors.push((prompt.estimatedTokens - real) / real);
  tokenRows.push([
    file,
    findings[0]?.code ?? "-",
    String(real),
    String(prompt.estimatedTokens),
    `${(((prompt.estimatedTokens - real) / real) * 100).toFixed(1)}%`,
    String(chars),
  ]);
}
console.log(`Prompt tokens per scenario (test/fixtures/scenarios; budget ${PROMPT_BUDGET_TOKENS})`);
console.log(
  table(
    ["scenario", "findings[0]", "tokens (Llama 2 tokenizer)", "estimate", "estimate error", "chars"],
    tokenRows,
  ),
);
console.log("");
console.log(
  table(
    ["scenarios", "max real tokens", "median real tokens", "budget", "estimate error min / median / max"],
    [
      [
        String(tokens.length),
        String(Math.max(...tokens)),
        String(median(tokens)),
        String(PROMPT_BUDGET_TOKENS),
        [Math.min(...errors), median(errors), Math.max(...errors)]
          .map((e) => `${(e * 100).toFixed(1)}%`)
          .join(" / "),
      ],
    ],
  ),
);
