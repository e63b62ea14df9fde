/** `sre-lab diagnose`: check the flags, run the flow, print as the events arrive, then the result. */
import { existsSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import type { Context } from "../../core/context.js";
import { UsageError } from "../../core/errors.js";
import { parseByteSize } from "../../diagnose/bundle-input.js";
import type { DiagnoseOptions, DiagnoseResult } from "../../diagnose/flow.js";
import { validateNamespace, validatePodName } from "../../diagnose/target.js";
import { normalizeHost } from "../../ollama/client.js";
import type { OutputFormat } from "../main.js";
import { parseDuration } from "./up.js";

export interface DiagnoseFlags {
  namespace?: string;
  bundle?: string;
  saveBundle?: string;
  ai: boolean;
  printPrompt?: boolean;
  model: string;
  ollamaUrl?: string;
  local?: boolean;
  keep?: boolean;
  timeout: string;
  output: OutputFormat;
  /** --max-bundle-size: the most --bundle reads (default 256Mi). */
  maxBundleSize?: string;
}

export function toDiagnoseOptions(pod: string | undefined, flags: DiagnoseFlags): DiagnoseOptions {
  const usage = "sre-lab diagnose POD [-n NAMESPACE], or sre-lab diagnose --bundle FILE";
  if (flags.bundle !== undefined && pod !== undefined) {
    throw new UsageError(`give a pod or --bundle, not both (got pod "${pod}" and --bundle ${flags.bundle})`, {
      hint: usage,
    });
  }
  if (flags.bundle === undefined && pod === undefined) {
    throw new UsageError("no pod given", { hint: usage });
  }
  if (flags.bundle !== undefined) {
    for (const [flag, set] of [
      ["--namespace", flags.namespace !== undefined],
      ["--local", flags.local === true],
      ["--keep", flags.keep === true],
    ] as const) {
      if (set)
        throw new UsageError(`${flag} does not apply to --bundle, which contacts no cluster`, {
          hint: usage,
        });
    }
  }
  if (flags.local && flags.keep) {
    throw new UsageError("--keep keeps the agent's Job, and --local runs no Job", {
      hint: "drop one of them",
    });
  }
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs < 1_000)
    throw new UsageError(`--timeout ${flags.timeout} is too short`, { hint: "for example --timeout 10m" });
  if (flags.model.trim() === "")
    throw new UsageError("--model is empty", { hint: "for example --model phi3:mini" });
  const ollamaUrl = flags.ollamaUrl === undefined ? undefined : normalizeHost(flags.ollamaUrl);

  let target: DiagnoseOptions["target"];
  if (flags.bundle !== undefined) {
    target = { kind: "bundle", file: flags.bundle };
    if (flags.maxBundleSize !== undefined) target.maxBytes = parseByteSize(flags.maxBundleSize);
  } else {
    if (flags.maxBundleSize !== undefined)
      throw new UsageError("--max-bundle-size applies to --bundle only", { hint: usage });
    validatePodName(pod ?? "");
    if (flags.namespace !== undefined) validateNamespace(flags.namespace);
    target = {
      kind: "live",
      pod: pod ?? "",
      namespace: flags.namespace,
      where: flags.local ? "local" : "cluster",
    };
  }
  return {
    target,
    mode: flags.printPrompt ? "prompt" : flags.ai ? "analyze" : "no-ai",
    model: flags.model.trim(),
    ollamaUrl,
    saveBundle: flags.saveBundle === undefined ? undefined : saveTarget(flags.saveBundle),
    keep: flags.keep === true,
    timeoutMs,
  };
}

/** Checked before anything runs, so a typo does not cost a whole diagnosis. */
function saveTarget(file: string): { path: string; format: "json" | "yaml" } {
  const path = resolve(file);
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new UsageError(`--save-bundle ${file}: the directory ${parent} does not exist`, {
      hint: "create it first, or choose another path",
    });
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UsageError(`--save-bundle ${file} is a directory`, {
      hint: "give a file name, e.g. bundle.json",
    });
  }
  const ext = extname(path).toLowerCase();
  return { path, format: ext === ".yaml" || ext === ".yml" ? "yaml" : "json" };
}

export async function diagnoseCommand(
  ctx: Context,
  pod: string | undefined,
  flags: DiagnoseFlags,
  stdout: NodeJS.WritableStream,
): Promise<DiagnoseResult> {
  const options = toDiagnoseOptions(pod, flags);
  const [{ runDiagnose }, render] = await Promise.all([
    import("../../diagnose/flow.js"),
    import("../../diagnose/render.js"),
  ]);
  const onEvent = render.createStreamRenderer({
    write: (text) => stdout.write(text),
    out: ctx.out,
    format: flags.output,
    printPrompt: options.mode === "prompt",
  });
  const result = await runDiagnose(ctx, options, onEvent);
  if (flags.output === "json") {
    ctx.out.data(options.mode === "prompt" ? render.jsonPrompt(result) : render.jsonDocument(result));
  }
  return result;
}
