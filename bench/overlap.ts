/**
 * Benchmark of the model preload: `npx tsx bench/overlap.ts [runs] [scale]`.
 *
 * Runs the diagnosis pipeline (src/diagnose/engine/run.ts, the code the agent and --local run) against the
 * Ollama-protocol fake (test/harness/fake-ollama) with simulated delays: evidence collection takes
 * `collect` ms, loading the model `load` ms (only when it is not resident), prompt evaluation
 * `prefill` ms and each answer token `token` ms. Each run starts with the model unloaded, as after
 * Ollama's keep_alive expired. It measures the time from the start of the run to the first token,
 * with the preload (load alongside collection) and without it (load after collection, when the
 * question is sent), and compares both with the model:
 *
 *   with preload:    TTFT = max(collect, load) + prefill
 *   without preload: TTFT = collect + load + prefill
 *
 * `scale` multiplies every delay (default 1; the default delays are a laptop CPU's figures divided
 * by ten so that the bench takes about a minute). Loopback only; no cluster, no real model.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseBundle } from "../src/diagnose/bundle.js";
import type { AgentEvent, AnalysisStats } from "../src/diagnose/engine/protocol.js";
import { runDiagnosis } from "../src/diagnose/engine/run.js";
import { renderFigures } from "../src/diagnose/render.js";
import { createOllamaClient } from "../src/ollama/client.js";
import { startFakeOllama } from "../test/harness/fake-ollama/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bundleFile = path.join(repoRoot, "test/fixtures/bundles/oom-crashloop-with-liveness.json");
const runs = Number(process.argv[2] ?? 3);
const scale = Number(process.argv[3] ?? 1);
if (!Number.isInteger(runs) || runs < 1 || !(scale > 0)) {
  console.error("usage: npx tsx bench/overlap.ts [runs ≥ 1] [scale > 0]");
  process.exit(2);
}

interface Scenario {
  name: string;
  collect: number;
  load: number;
  prefill: number;
  token: number;
}

// phi3:mini on a laptop CPU, divided by ten: loading 2.2 GB takes 2–20 s, prefill of ~1,000 tokens
// 15–70 s, a token 60–120 ms; the agent reads the pod, events and logs in 1–5 s.
const SCENARIOS: Scenario[] = [
  { name: "load longer than collection", collect: 300, load: 1_200, prefill: 1_500, token: 8 },
  { name: "collection longer than load", collect: 900, load: 400, prefill: 1_500, token: 8 },
  { name: "both equal", collect: 700, load: 700, prefill: 1_000, token: 8 },
];

const ANSWER =
  "Root cause: container cart was OOMKilled.\nEvidence:\n- limits.memory: 128Mi\nFix: kubectl -n shop set resources deployment/cart -c cart --limits=memory=256Mi\nConfidence: high";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function once(scenario: Scenario, preload: boolean): Promise<{ ttft: number; stats: AnalysisStats }> {
  const s = (ms: number) => ms * scale;
  const ollama = await startFakeOllama({
    script: {
      answer: ANSWER,
      loadDelayMs: s(scenario.load),
      prefillDelayMs: s(scenario.prefill),
      chunkDelayMs: s(scenario.token),
    },
  });
  const bundle = parseBundle(readFileSync(bundleFile, "utf8"), bundleFile);
  let firstToken: number | undefined;
  let stats: AnalysisStats | undefined;
  const started = performance.now();
  try {
    await runDiagnosis(
      { mode: "analyze", model: "phi3:mini", emitBundle: false, modelLocation: "cluster", preload },
      {
        evidence: async () => {
          await new Promise((resolve) => setTimeout(resolve, s(scenario.collect)));
          return { bundle, sources: [{ name: "pod", ok: true }], metrics: [] };
        },
        connectModel: async () => ({
          client: createOllamaClient({ host: ollama.url }),
          close: async () => {},
        }),
        emit: (event: AgentEvent) => {
          if (event.type === "token") firstToken ??= performance.now() - started;
          if (event.type === "done") stats = event.stats;
          if (event.type === "analysis-failed") throw new Error(`the model failed: ${event.message}`);
        },
      },
    );
  } finally {
    await ollama.close();
  }
  if (firstToken === undefined || stats === undefined) throw new Error("no answer");
  return { ttft: firstToken, stats };
}

const f = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
console.log(`overlap bench: ${runs} run(s) per case, delays × ${scale}, median time to first token\n`);
const rows: string[][] = [
  ["scenario", "collect", "load", "prefill", "with preload", "model", "without", "model", "saved"],
];
let lastFigures = "";
for (const scenario of SCENARIOS) {
  const withPreload: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = await once(scenario, true);
    withPreload.push(a.ttft);
    lastFigures = renderFigures(a.stats);
    without.push((await once(scenario, false)).ttft);
  }
  const c = scenario.collect * scale;
  const l = scenario.load * scale;
  const p = scenario.prefill * scale;
  const measuredWith = median(withPreload);
  const measuredWithout = median(without);
  rows.push([
    scenario.name,
    f(c),
    f(l),
    f(p),
    f(measuredWith),
    f(Math.max(c, l) + p),
    f(measuredWithout),
    f(c + l + p),
    f(measuredWithout - measuredWith),
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
console.log(`\nfigures line of the last preloaded run:\n  ${lastFigures}`);
