/** `sre-lab diagnose`: check the flags, run the flow, print as the events arrive, then the result. */
import { existsSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { parseDuration } from "../../core/duration.js";
import { DeadlineError, InterruptedError, UsageError } from "../../core/errors.js";
import { firstLine, truncate } from "../../core/text.js";
import { parseByteSize } from "../../diagnose/bundle-input.js";
import type { DiagnoseOptions, DiagnoseResult } from "../../diagnose/flow.js";
import { checkSaveTarget } from "../../diagnose/save-bundle.js";
import { parseTarget, type TargetKind, validateNamespace } from "../../diagnose/target.js";
import type { TriageReport } from "../../diagnose/triage.js";
import { normalizeHost } from "../../ollama/client.js";
import type { Context } from "../../runtime/context.js";
import type { OutputFormat } from "../options.js";

export interface DiagnoseFlags {
  namespace?: string;
  bundle?: string;
  saveBundle?: string;
  ai: boolean;
  printPrompt?: boolean;
  /** Undefined when the user gave no --model: the flow picks the lab's own (src/diagnose/flow.ts). */
  model?: string | undefined;
  ollamaUrl?: string;
  local?: boolean;
  inCluster?: boolean;
  keep?: boolean;
  yes?: boolean;
  force?: boolean;
  timeout: string;
  allNamespaces?: boolean;
  output: OutputFormat | "yaml";
  /** --max-bundle-size: the most --bundle reads (default 256Mi). */
  maxBundleSize?: string;
}

/** A workload named as TYPE/NAME: diagnose resolves it to its most relevant pod first. */
export type DiagnoseOwner = { kind: Exclude<TargetKind, "Pod">; name: string };

export function toDiagnoseOptions(
  pod: string | undefined,
  flags: DiagnoseFlags,
): DiagnoseOptions & { owner?: DiagnoseOwner } {
  const usage =
    "sre-lab diagnose POD|TYPE/NAME [-n NAMESPACE], sre-lab diagnose --bundle FILE, or sre-lab diagnose [-n NAMESPACE | -A] to triage";
  if (flags.bundle !== undefined && pod !== undefined) {
    throw new UsageError(`give a pod or --bundle, not both (got pod "${pod}" and --bundle ${flags.bundle})`, {
      hint: usage,
    });
  }
  if (flags.bundle === undefined && pod === undefined) {
    throw new UsageError("no pod given", { hint: usage });
  }
  if (flags.allNamespaces) {
    throw new UsageError("-A triages every namespace; it does not take a pod or --bundle", {
      hint: "drop -A, or drop the target: sre-lab diagnose -A",
    });
  }
  if (flags.bundle !== undefined) {
    for (const [flag, set] of [
      ["--namespace", flags.namespace !== undefined],
      ["--local", flags.local === true],
      ["--in-cluster", flags.inCluster === true],
      ["--keep", flags.keep === true],
    ] as const) {
      if (set)
        throw new UsageError(`${flag} does not apply to --bundle, which contacts no cluster`, {
          hint: usage,
        });
    }
  }
  if (flags.local && flags.inCluster) {
    throw new UsageError("--local runs the agent on this machine, and --in-cluster as a Job in the cluster", {
      hint: "drop one of them",
    });
  }
  if (flags.local && flags.keep) {
    throw new UsageError("--keep keeps the agent's Job, and --local runs no Job", {
      hint: "drop one of them",
    });
  }
  // The agent Job's activeDeadlineSeconds is whole seconds.
  const timeoutMs = parseDuration(flags.timeout, "--timeout", { minMs: 1_000 });
  if (flags.model !== undefined && flags.model.trim() === "")
    throw new UsageError("--model is empty", { hint: "for example --model phi3:mini" });
  const ollamaUrl = flags.ollamaUrl === undefined ? undefined : normalizeHost(flags.ollamaUrl);

  let target: DiagnoseOptions["target"];
  let owner: DiagnoseOwner | undefined;
  if (flags.bundle !== undefined) {
    target = { kind: "bundle", file: flags.bundle };
    if (flags.maxBundleSize !== undefined) target.maxBytes = parseByteSize(flags.maxBundleSize);
  } else {
    if (flags.maxBundleSize !== undefined)
      throw new UsageError("--max-bundle-size applies to --bundle only", { hint: usage });
    const parsed = parseTarget(pod ?? "");
    if (parsed.kind !== "Pod") owner = { kind: parsed.kind, name: parsed.name };
    if (flags.namespace !== undefined) validateNamespace(flags.namespace);
    target = {
      kind: "live",
      // For a workload: its name until resolveOwnerTarget has picked the pod.
      pod: parsed.name,
      namespace: flags.namespace,
      where: flags.local ? "local" : flags.inCluster ? "cluster" : "auto",
    };
  }
  return {
    target,
    mode: flags.printPrompt ? "prompt" : flags.ai ? "analyze" : "no-ai",
    model: flags.model?.trim(),
    ollamaUrl,
    saveBundle:
      flags.saveBundle === undefined
        ? undefined
        : saveTarget(flags.saveBundle, flags.force === true, flags.bundle),
    keep: flags.keep === true,
    consent: { yes: flags.yes === true, force: flags.force === true },
    timeoutMs,
    ...(owner ? { owner } : {}),
  };
}

/** Checked before anything runs, so a typo does not cost a whole diagnosis. */
function saveTarget(
  file: string,
  overwrite: boolean,
  input: string | undefined,
): { path: string; format: "json" | "yaml"; overwrite: boolean } {
  const path = resolve(file);
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new UsageError(`--save-bundle ${file}: the directory ${parent} does not exist`, {
      hint: "create it first, or choose another path",
    });
  }
  checkSaveTarget(file, overwrite, input);
  const ext = extname(path).toLowerCase();
  return { path, format: ext === ".yaml" || ext === ".yml" ? "yaml" : "json", overwrite };
}

export async function diagnoseCommand(
  ctx: Context,
  pod: string | undefined,
  flags: DiagnoseFlags,
  stdout: NodeJS.WritableStream,
): Promise<DiagnoseResult | TriageReport> {
  if (pod === undefined && flags.bundle === undefined) return triageCommand(ctx, flags);
  const { owner, ...options } = toDiagnoseOptions(pod, flags);
  if (owner && options.target.kind === "live") {
    const { resolveOwnerTarget } = await import("../../diagnose/target.js");
    const kube = await ctx.kube();
    const namespace = options.target.namespace ?? kube.namespace;
    validateNamespace(namespace);
    const resolved = await resolveOwnerTarget(kube, namespace, owner, ctx.clock.now());
    ctx.out.info(resolved.reason);
    options.target = { ...options.target, pod: resolved.pod, namespace };
  }
  const [{ runDiagnose }, render] = await Promise.all([
    import("../../diagnose/flow.js"),
    import("../../diagnose/render.js"),
  ]);
  const onEvent = render.createStreamRenderer({
    write: (text) => stdout.write(text),
    out: ctx.out,
    format: flags.output === "text" ? "text" : "json",
    printPrompt: options.mode === "prompt",
  });
  let result: DiagnoseResult;
  try {
    result = await runDiagnose(ctx, options, onEvent);
  } catch (error) {
    // Stopped mid-answer: end the partial answer's line and say so before the error is printed.
    onEvent.cutOff(
      error instanceof InterruptedError || ctx.signal.aborted
        ? "interrupted (Ctrl-C)"
        : `the diagnosis failed (${summary(error)})`,
    );
    throw error;
  }
  if (flags.output !== "text") {
    const json = options.mode === "prompt" ? render.jsonPrompt(result) : render.jsonDocument(result);
    ctx.out.data(flags.output === "yaml" ? await toYaml(json) : json);
  }
  return result;
}

/** The first line of an error's message, short enough for a one-line summary. */
function summary(error: unknown): string {
  return truncate(firstLine(error instanceof Error ? error.message : String(error)), 160);
}

/** `diagnose` without a target: the namespace's (or -A: every namespace's) failing workloads. */
async function triageCommand(ctx: Context, flags: DiagnoseFlags): Promise<TriageReport> {
  const hint = "sre-lab diagnose [-n NAMESPACE | -A] triages; sre-lab diagnose POD explains one pod";
  for (const [flag, set] of [
    ["--save-bundle", flags.saveBundle !== undefined],
    ["--print-prompt", flags.printPrompt === true],
    ["--local", flags.local === true],
    ["--in-cluster", flags.inCluster === true],
    ["--keep", flags.keep === true],
  ] as const) {
    if (set) throw new UsageError(`${flag} needs a pod: triage uses no agent and no model`, { hint });
  }
  if (flags.allNamespaces && flags.namespace !== undefined) {
    throw new UsageError("-A and -n together: -A already covers every namespace", {
      hint: "drop one of them",
    });
  }
  if (flags.namespace !== undefined) validateNamespace(flags.namespace);
  const timeoutMs = parseDuration(flags.timeout, "--timeout", { minMs: 1_000 });
  const [{ runTriage }, { renderTriage }] = await Promise.all([
    import("../../diagnose/triage.js"),
    import("../../diagnose/triage-render.js"),
  ]);
  const kube = await ctx.kube();
  const scope = flags.allNamespaces ? "every namespace" : `namespace ${flags.namespace ?? kube.namespace}`;
  ctx.out.info(`triage of ${scope} (context ${kube.context}): one list of pods and one of events, no model`);
  // The deadline runs on the context's clock; it is cancelled once triage has its answer.
  const finished = new AbortController();
  const deadline = ctx.clock.sleep(timeoutMs, finished.signal).then((): never => {
    throw new DeadlineError(
      `triage of ${scope} did not finish within ${flags.timeout} (listing pods and events)`,
      {
        hint: "check that the cluster answers (kubectl get pods), or give more time with --timeout",
      },
    );
  });
  deadline.catch(() => {}); // the cancelled sleep's rejection, once triage has won the race
  const report = await Promise.race([
    runTriage(kube, {
      namespace: flags.namespace,
      allNamespaces: flags.allNamespaces === true,
      now: ctx.clock.now(),
    }),
    deadline,
  ]).finally(() => finished.abort());
  for (const warning of report.warnings) ctx.out.warn(warning);
  if (flags.output === "text") ctx.out.data(renderTriage(report, ctx.out.dataStyle));
  else {
    const json = JSON.stringify(report, null, 2);
    ctx.out.data(flags.output === "yaml" ? await toYaml(json) : json);
  }
  return report;
}

/** The same document as -o json, as YAML (loaded only when asked for). */
async function toYaml(json: string): Promise<string> {
  const { stringify } = await import("yaml");
  return stringify(JSON.parse(json), { lineWidth: 0 });
}
