/**
 * `sre-lab gameday`: the lab as a scored drill. Each scenario in turn: inject, verify the break,
 * run diagnose on the pod that broke, compare its root-cause code with the expected one, revert.
 * The scorecard is printed and written as JSON and Markdown.
 *
 * Diagnose is reached only through `Diagnoser`, a function injected by the caller, so the drill
 * can be tested with a scripted diagnosis and wired to `sre-lab diagnose` in one place
 * (src/chaos/diagnosis.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InterruptedError, SreLabError, UsageError } from "../core/errors.js";
import type { Styler } from "../core/output.js";
import type { Step } from "../core/steps.js";
import type { Context } from "../runtime/context.js";
import { SCENARIO_NAMES, type ScenarioName } from "./catalogue.js";
import {
  chaosState,
  cleanupRun,
  type InjectOutcome,
  injectAndVerify,
  openRun,
  revertNow,
  revertStep,
  runStep,
} from "./run.js";
import { scenario as scenarioNamed } from "./scenarios/index.js";
import { type ChaosRun, NotVerifiedError, type PodRef } from "./types.js";

export interface DiagnosisOutcome {
  /** Findings, root cause first (diagnose's contract). */
  findings: { code: string }[];
  /** From the start of the diagnosis to the findings. */
  timeToFindingsMs: number;
  /** From the start of the diagnosis to the model's first token; absent without a model answer. */
  timeToFirstTokenMs?: number | undefined;
}

export type Diagnoser = (pod: string, namespace: string) => Promise<DiagnosisOutcome>;

export interface GamedayRow {
  scenario: ScenarioName;
  expected: string | null;
  breakVerified: boolean;
  /** Injection to break seen (or to the deadline). */
  timeToBreakMs: number | null;
  pod: string | null;
  /** diagnose's root cause (findings[0].code). */
  finding: string | null;
  /** null when there was nothing to score (no pod broke, or diagnose failed). */
  correct: boolean | null;
  timeToFindingsMs: number | null;
  timeToFirstTokenMs: number | null;
  reverted: boolean;
  /** One line: what was seen instead, the self-heal time, why diagnose failed, an error. */
  note: string;
  evidence: string[];
  revertActions: string[];
}

export interface Scorecard {
  context: string;
  startedAt: string;
  finishedAt: string;
  /** true when Ctrl-C ended the drill early (everything injected was reverted). */
  interrupted: boolean;
  summary: {
    scenarios: number;
    breaksVerified: number;
    diagnosed: number;
    correct: number;
    reverted: number;
  };
  rows: GamedayRow[];
}

export interface GamedayOptions {
  only?: ScenarioName[] | undefined;
  timeoutMs?: number | undefined;
  force: boolean;
  /** --yes: act on a context that is not the lab's. */
  yes?: boolean;
  diagnoser: Diagnoser;
  reportDir: string;
}

export interface GamedayResult {
  scorecard: Scorecard;
  files: { json: string; markdown: string };
}

/** Parses `--only a,b`; UsageError on unknown names. */
export function selectScenarios(only: string | undefined): ScenarioName[] {
  if (only === undefined) return [...SCENARIO_NAMES];
  const wanted = only
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = wanted.filter((w) => !(SCENARIO_NAMES as readonly string[]).includes(w));
  if (unknown.length > 0 || wanted.length === 0) {
    throw new UsageError(
      wanted.length === 0
        ? "--only needs at least one scenario"
        : `unknown scenario${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`,
      { hint: `choose from ${SCENARIO_NAMES.join(", ")} (sre-lab chaos list)` },
    );
  }
  // Always in gameday order (node-failure last), whatever order they were given in.
  return SCENARIO_NAMES.filter((name) => wanted.includes(name));
}

export async function runGameday(ctx: Context, options: GamedayOptions): Promise<GamedayResult> {
  const names = options.only ?? [...SCENARIO_NAMES];
  const run = await openRun(ctx, options, "sre-lab gameday");
  const startedAt = new Date(run.now()).toISOString();
  const rows: GamedayRow[] = [];
  const finish = (interrupted: boolean): GamedayResult => {
    const scorecard = buildScorecard(
      run.kube.context,
      startedAt,
      new Date(run.now()).toISOString(),
      rows,
      interrupted,
    );
    return { scorecard, files: writeReport(options.reportDir, scorecard) };
  };

  for (const [index, name] of names.entries()) {
    const scenario = scenarioNamed(name);
    ctx.out.info(`${ctx.out.style.bold(`[${index + 1}/${names.length}] ${name}`)}: ${scenario.breaks}`);
    const row: GamedayRow = {
      scenario: name,
      expected: scenario.expectedFinding ?? null,
      breakVerified: false,
      timeToBreakMs: null,
      pod: null,
      finding: null,
      correct: null,
      timeToFindingsMs: null,
      timeToFirstTokenMs: null,
      reverted: false,
      note: "",
      evidence: [],
      revertActions: [],
    };
    rows.push(row);

    let outcome: InjectOutcome;
    try {
      outcome = await injectAndVerify(run, scenario, { timeoutMs: options.timeoutMs });
    } catch (error) {
      if (error instanceof InterruptedError || ctx.signal.aborted) {
        // injectAndVerify has reverted what it injected.
        row.note = "interrupted (reverted)";
        row.reverted = true;
        finish(true);
        throw error;
      }
      // Nothing was changed: scenarios check everything before they act.
      row.note = `not injected: ${(error as Error).message}`;
      row.reverted = true;
      continue;
    }
    row.timeToBreakMs = outcome.elapsedMs;
    if (outcome.failure) {
      row.note =
        outcome.failure instanceof NotVerifiedError
          ? "the break did not show before the deadline"
          : `verify failed: ${outcome.failure.message}`;
      if (outcome.failure instanceof NotVerifiedError) row.evidence = outcome.failure.saw;
    }
    const verification = outcome.verification;
    if (verification) {
      row.breakVerified = true;
      row.evidence = verification.evidence;
      row.pod = verification.pod ? `${verification.pod.namespace}/${verification.pod.name}` : null;
      if (verification.measurements?.selfHealMs !== undefined) {
        row.note = `Argo CD self-healed in ${(verification.measurements.selfHealMs / 1000).toFixed(1)}s`;
      }
      if (scenario.expectedFinding && verification.pod) {
        {
          const pod = verification.pod;
          const diagnoser = options.diagnoser;
          try {
            const diagnosis: { result?: DiagnosisOutcome } = {};
            await runStep(ctx, diagnoseStep(pod, scenario.expectedFinding, diagnoser), diagnosis);
            const result = diagnosis.result as DiagnosisOutcome;
            row.finding = result.findings[0]?.code ?? null;
            row.correct = row.finding === scenario.expectedFinding;
            row.timeToFindingsMs = result.timeToFindingsMs;
            row.timeToFirstTokenMs = result.timeToFirstTokenMs ?? null;
          } catch (error) {
            if (error instanceof InterruptedError || ctx.signal.aborted) {
              await revertInterrupted(run, row, (r) => revertNow(r, scenario, outcome.injection));
              finish(true);
              throw new InterruptedError();
            }
            row.correct = false;
            row.note = `diagnose failed: ${(error as Error).message}`;
          }
        }
      } else if (scenario.expectedFinding && !verification.pod) {
        row.note = "no pod to diagnose";
      }
    }

    try {
      const state = chaosState(run, outcome.injection);
      await runStep(ctx, revertStep(scenario), state);
      row.revertActions = state.reverted ?? [];
      row.reverted = true;
    } catch (error) {
      row.note = [row.note, `revert failed: ${(error as Error).message}`].filter(Boolean).join("; ");
      const result = finish(ctx.signal.aborted);
      if (error instanceof InterruptedError || ctx.signal.aborted) throw error;
      throw new SreLabError(`gameday stopped: ${name} could not be reverted (${(error as Error).message})`, {
        details: `scorecard so far: ${result.files.markdown}`,
        hint: "fix what the message says, then run sre-lab chaos reset before anything else",
      });
    }
  }
  return finish(false);
}

/** Diagnoses the pod that broke and says how its root cause compares with the expected one. */
function diagnoseStep(
  pod: PodRef,
  expected: string,
  diagnoser: Diagnoser,
): Step<{ result?: DiagnosisOutcome }> {
  return {
    id: `diagnose-${pod.name}`,
    title: `diagnose ${pod.name}`,
    plan: async () => [
      `sre-lab diagnose ${pod.name} -n ${pod.namespace}, its root cause compared with ${expected}`,
    ],
    async run(state) {
      const result = await diagnoser(pod.name, pod.namespace);
      state.result = result;
      const code = result.findings[0]?.code ?? "none";
      return { status: "done", detail: `root cause ${code} (expected ${expected})` };
    },
  };
}

async function revertInterrupted(
  run: ChaosRun,
  row: GamedayRow,
  revert: (run: ChaosRun) => Promise<string[]>,
): Promise<void> {
  const cleanup = await cleanupRun(run);
  run.ctx.out.info(`interrupted: reverting ${row.scenario} …`);
  try {
    row.revertActions = await revert(cleanup);
    row.reverted = true;
    for (const line of row.revertActions) run.ctx.out.info(`  ${line}`);
    row.note = [row.note, "interrupted (reverted)"].filter(Boolean).join("; ");
  } catch (error) {
    row.note = [row.note, `interrupted; revert failed: ${(error as Error).message}`]
      .filter(Boolean)
      .join("; ");
    run.ctx.out.warn(
      `could not revert ${row.scenario}: ${(error as Error).message}; run sre-lab chaos reset`,
    );
  }
}

export function buildScorecard(
  context: string,
  startedAt: string,
  finishedAt: string,
  rows: GamedayRow[],
  interrupted: boolean,
): Scorecard {
  return {
    context,
    startedAt,
    finishedAt,
    interrupted,
    summary: {
      scenarios: rows.length,
      breaksVerified: rows.filter((r) => r.breakVerified).length,
      diagnosed: rows.filter((r) => r.finding !== null).length,
      correct: rows.filter((r) => r.correct === true).length,
      reverted: rows.filter((r) => r.reverted).length,
    },
    rows,
  };
}

function writeReport(dir: string, scorecard: Scorecard): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "scorecard.json");
  const markdown = join(dir, "scorecard.md");
  writeFileSync(json, `${JSON.stringify(scorecard, null, 2)}\n`);
  writeFileSync(markdown, renderMarkdown(scorecard));
  return { json, markdown };
}

const seconds = (ms: number | null): string => (ms === null ? "-" : `${(ms / 1000).toFixed(1)}s`);
const yesNo = (value: boolean | null): string => (value === null ? "n/a" : value ? "yes" : "no");

export function scorecardHeadline(card: Scorecard): string {
  const s = card.summary;
  const scored = card.rows.filter((r) => r.correct !== null).length;
  return [
    `${s.correct} of ${scored} diagnoses correct`,
    `${s.breaksVerified} of ${s.scenarios} breaks verified`,
    s.reverted === s.scenarios ? "everything reverted" : `${s.scenarios - s.reverted} not reverted`,
    ...(card.interrupted ? ["interrupted"] : []),
  ].join("; ");
}

function cells(row: GamedayRow): string[] {
  return [
    row.scenario,
    row.breakVerified ? `yes (${seconds(row.timeToBreakMs)})` : "no",
    row.finding === null ? "-" : row.finding,
    row.expected ?? "-",
    yesNo(row.correct),
    seconds(row.timeToFindingsMs),
    seconds(row.timeToFirstTokenMs),
    row.reverted ? "yes" : "NO",
  ];
}

const HEADER = [
  "scenario",
  "break verified",
  "finding",
  "expected",
  "correct?",
  "time to findings",
  "time to first token",
  "reverted",
];

export function renderScorecard(card: Scorecard, style: Styler): string {
  const rows = [HEADER, ...card.rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const lines = [
    `${style.bold("gameday")} on ${card.context}: ${scorecardHeadline(card)}`,
    "",
    ...rows.map((r, n) => {
      const text = r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
      return n === 0 ? style.bold(text) : text;
    }),
  ];
  const notes = card.rows.filter((r) => r.note !== "");
  if (notes.length > 0) {
    lines.push("", style.bold("notes"));
    for (const row of notes) lines.push(`  ${row.scenario}: ${row.note}`);
  }
  return lines.join("\n");
}

const escapeCell = (text: string): string => text.replaceAll("|", "\\|").replaceAll("\n", " ");

export function renderMarkdown(card: Scorecard): string {
  const lines = [
    "# sre-lab gameday scorecard",
    "",
    `Context \`${card.context}\`, ${card.startedAt} to ${card.finishedAt}. ${scorecardHeadline(card)}.`,
    "",
    `| ${HEADER.map((h) => h[0]?.toUpperCase() + h.slice(1)).join(" | ")} |`,
    `|${HEADER.map(() => "---").join("|")}|`,
    ...card.rows.map((row) => `| ${cells(row).map(escapeCell).join(" | ")} |`),
    "",
  ];
  for (const row of card.rows) {
    lines.push(`## ${row.scenario}`, "");
    if (row.pod) lines.push(`- Pod: \`${row.pod}\``);
    if (row.note) lines.push(`- Note: ${row.note}`);
    if (row.evidence.length > 0) {
      lines.push(`- ${row.breakVerified ? "Evidence" : "What was seen"}:`);
      for (const e of row.evidence) lines.push(`  - ${e}`);
    }
    lines.push(`- Reverted: ${row.reverted ? "yes" : "no"}`);
    for (const action of row.revertActions) lines.push(`  - ${action}`);
    lines.push("");
  }
  return lines.join("\n");
}
