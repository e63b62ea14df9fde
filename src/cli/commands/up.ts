/** `sre-lab up`: validate flags, then run the flow (or print its plan), then print the summary. */
import { isAbsolute, resolve } from "node:path";
import type { Context } from "../../core/context.js";
import { parseDuration } from "../../core/duration.js";
import { UsageError } from "../../core/errors.js";
import type { Styler } from "../../core/output.js";
import { defaultModelCache } from "../../lab/paths.js";
import type { PlanEntry, UpSummary } from "../../lab/up/flow.js";
import type { UpOptions } from "../../lab/up/options.js";
import type { OutputFormat } from "../main.js";

export interface UpFlags {
  yes?: boolean;
  persist?: boolean;
  sysctl: boolean;
  recreate?: boolean;
  dryRun?: boolean;
  model: string;
  skipModel?: boolean;
  modelCache?: string;
  repoUrl?: string;
  revision?: string;
  provider: string;
  timeout: string;
  output: OutputFormat;
}

/** Ollama model names: `name[:tag]`, optionally with a namespace (`library/phi3:mini`). */
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*(:[A-Za-z0-9._-]+)?$/;

export function toUpOptions(flags: UpFlags, ctx: Context): UpOptions {
  if (flags.provider !== "kind" && flags.provider !== "existing") {
    throw new UsageError(`unknown provider "${flags.provider}"`, {
      hint: "use --provider kind (default) or existing",
    });
  }
  if (flags.revision && !flags.repoUrl) {
    throw new UsageError("--revision needs --repo-url", {
      hint: "pass the Git remote Argo CD should read: --repo-url URL",
    });
  }
  if (flags.repoUrl && !/^(https?:\/\/|git@|ssh:\/\/|oci:\/\/)/.test(flags.repoUrl)) {
    throw new UsageError(`--repo-url "${flags.repoUrl}" is not a repository URL`, {
      hint: "use an https://, ssh:// or git@ Git URL",
    });
  }
  if (flags.provider === "existing" && !ctx.kubeTarget.context) {
    throw new UsageError("--provider existing needs --context", {
      hint: "name the cluster explicitly, e.g. sre-lab up --provider existing --context my-lab --repo-url URL",
    });
  }
  if (!MODEL_NAME.test(flags.model)) {
    throw new UsageError(`invalid model name "${flags.model}"`, {
      hint: "use an Ollama model name such as phi3:mini",
    });
  }
  const modelCache = flags.modelCache
    ? isAbsolute(flags.modelCache)
      ? flags.modelCache
      : resolve(flags.modelCache)
    : defaultModelCache(ctx.env);
  return {
    yes: flags.yes === true,
    persist: flags.persist === true,
    sysctl: flags.sysctl,
    recreate: flags.recreate === true,
    dryRun: flags.dryRun === true,
    model: flags.model,
    skipModel: flags.skipModel === true,
    modelCache,
    repoUrl: flags.repoUrl,
    revision: flags.revision,
    provider: flags.provider,
    waitTimeoutMs: parseDuration(flags.timeout),
  };
}

export function renderSummary(summary: UpSummary, style: Styler): string {
  const lines = [style.bold("The lab is up."), "", `kube context: ${summary.context}`, ""];
  const width = Math.max(...summary.urls.map((u) => u.name.length));
  for (const entry of summary.urls) {
    const login = entry.user ? `  (${entry.user} / ${entry.password ?? "see the Secret"})` : "";
    lines.push(`${entry.name.padEnd(width)}  ${entry.url}${login}`);
  }
  lines.push("", "Next:");
  for (const step of summary.next) lines.push(`  ${step}`);
  return lines.join("\n");
}

export function renderPlan(plan: PlanEntry[]): string {
  const lines = ["sre-lab up --dry-run: nothing will be changed. The plan:", ""];
  plan.forEach((entry, index) => {
    lines.push(`${index + 1}. ${entry.step}`);
    for (const action of entry.actions)
      lines.push(...action.split("\n").map((l, i) => `${i === 0 ? "   - " : "     "}${l}`));
  });
  return lines.join("\n");
}

export async function upCommand(ctx: Context, flags: UpFlags, stderr: NodeJS.WritableStream): Promise<void> {
  const options = toUpOptions(flags, ctx);
  const { planUp, runUp } = await import("../../lab/up/flow.js");
  if (options.dryRun) {
    const plan = await planUp(ctx, options);
    ctx.out.data(
      flags.output === "json" ? JSON.stringify({ dryRun: true, plan }, null, 2) : renderPlan(plan),
    );
    return;
  }
  const { confirmHostChanges } = await import("../../lab/up/host.js");
  const confirmed = await confirmHostChanges(ctx, options);
  const live = ctx.out.stderrIsTTY && !ctx.env.CI;
  const summary = await runUp(ctx, confirmed, live, stderr);
  ctx.out.data(
    flags.output === "json" ? JSON.stringify(summary, null, 2) : renderSummary(summary, ctx.out.dataStyle),
  );
}
