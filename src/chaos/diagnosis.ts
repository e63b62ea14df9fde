/**
 * The one place gameday meets `sre-lab diagnose`: runs the real in-cluster diagnosis for the pod
 * that broke and reports its findings (root cause first) with two timings, measured from the start
 * of the diagnosis: to the findings, and to the model's first token. Tests may replace this module
 * with a scripted diagnosis; test/chaos/gameday-diagnose.test.ts runs the real one.
 */

import type { Context } from "../runtime/context.js";
import type { Diagnoser } from "./gameday.js";

/** How long one diagnosis may take, model answer included (a CPU-bound phi3:mini is slow). */
export const GAMEDAY_DIAGNOSE_TIMEOUT_MS = 600_000;

/** Diagnoses with the model the lab was brought up with (`up --model`): diagnose reads it from the cluster. */
export function labDiagnoser(ctx: Context): Diagnoser {
  return async (pod, namespace) => {
    const { runDiagnose } = await import("../diagnose/flow.js");
    const started = ctx.clock.now();
    let findingsAt: number | undefined;
    let firstTokenAt: number | undefined;
    const result = await runDiagnose(
      ctx,
      {
        target: { kind: "live", pod, namespace, where: "cluster" },
        mode: "analyze",
        model: undefined,
        ollamaUrl: undefined,
        saveBundle: undefined,
        keep: false,
        // Only ever called after gameday's own write guard passed for this context, and its
        // statement lists the agent's writes: diagnose must not ask again for each scenario.
        consent: { yes: false, force: false, guarded: true },
        timeoutMs: GAMEDAY_DIAGNOSE_TIMEOUT_MS,
      },
      (event) => {
        if (event.type === "findings") findingsAt ??= ctx.clock.now();
        if (event.type === "token") firstTokenAt ??= ctx.clock.now();
      },
    );
    return {
      findings: result.findings,
      timeToFindingsMs: (findingsAt ?? ctx.clock.now()) - started,
      timeToFirstTokenMs: firstTokenAt === undefined ? undefined : firstTokenAt - started,
    };
  };
}
