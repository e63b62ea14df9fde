/** `sre-lab up`: validate flags, then run the flow (or print its plan), then print the summary. */
import { isAbsolute, resolve } from "node:path";
import { parseDuration } from "../../core/duration.js";
import { UsageError } from "../../core/errors.js";
import type { Styler } from "../../core/output.js";
import type { PlanEntry } from "../../core/steps.js";
import { DEFAULT_PORTS, isLabPortName, LAB_PORT_NAMES, type LabPorts } from "../../lab/config.js";
import { isModelName } from "../../lab/model.js";
import { defaultModelCache } from "../../lab/paths.js";
import { DEFAULT_PROVIDER, isUnsupported, providerNamed } from "../../lab/provider/index.js";
import type { UpSummary } from "../../lab/up/flow.js";
import type { UpOptions } from "../../lab/up/options.js";
import type { Context } from "../../runtime/context.js";
import type { OutputFormat } from "../options.js";

export interface UpFlags {
  yes?: boolean;
  force?: boolean;
  persist?: boolean;
  sysctl: boolean;
  recreate?: boolean;
  dryRun?: boolean;
  model: string;
  skipModel?: boolean;
  modelCache?: string;
  repoUrl?: string;
  revision?: string;
  /** Undefined when the program was built without the provider list (tests): the default provider. */
  provider?: string;
  timeout: string;
  /** `--host-port NAME=PORT`, repeatable. */
  hostPort?: string[];
  output: OutputFormat;
}

/** DEFAULT_PORTS with each `NAME=PORT` applied; two names on one port is a mistake, said before anything runs. */
export function parseHostPorts(specs: string[] = []): LabPorts {
  const ports = { ...DEFAULT_PORTS };
  const hint = `use NAME=PORT with NAME one of ${LAB_PORT_NAMES.join(", ")}, e.g. --host-port grafana=3001`;
  for (const spec of specs) {
    const match = /^([a-z]+)=(\d{1,5})$/.exec(spec.trim());
    if (!match) throw new UsageError(`invalid --host-port "${spec}"`, { hint });
    const [, name, value] = match as unknown as [string, string, string];
    if (!isLabPortName(name)) throw new UsageError(`unknown --host-port name "${name}"`, { hint });
    const port = Number(value);
    if (port < 1 || port > 65_535) {
      throw new UsageError(`--host-port ${name}=${value}: not a port number`, {
        hint: "use a port from 1 to 65535",
      });
    }
    ports[name] = port;
  }
  const seen = new Map<number, string>();
  for (const name of LAB_PORT_NAMES) {
    const other = seen.get(ports[name]);
    if (other) {
      throw new UsageError(`${other} and ${name} would both use host port ${ports[name]}`, {
        hint: `give one of them another port: --host-port ${name}=PORT`,
      });
    }
    seen.set(ports[name], name);
  }
  return ports;
}

export function toUpOptions(flags: UpFlags, ctx: Context): UpOptions {
  const provider = flags.provider === undefined ? DEFAULT_PROVIDER : providerNamed(flags.provider);
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
  if (provider.needsContext && !ctx.kubeTarget.context) {
    throw new UsageError(`--provider ${provider.name} needs --context`, {
      hint: `name the cluster explicitly, e.g. sre-lab up --provider ${provider.name} --context my-lab --repo-url URL`,
    });
  }
  if (isUnsupported(provider.registry) && !flags.repoUrl) {
    // Checked here, not at the publish step: a dry run must fail the same way the real run would.
    throw new UsageError(`--provider ${provider.name} needs --repo-url: ${provider.registry.unsupported}`, {
      hint: `point Argo CD at a Git remote: sre-lab up --provider ${provider.name}${provider.needsContext ? " --context NAME" : ""} --repo-url URL`,
    });
  }
  if (isUnsupported(provider.localNodes) && flags.hostPort?.length) {
    throw new UsageError("--host-port is for the lab's own kind cluster", {
      hint: provider.localNodes.hint ?? "use sre-lab open to reach the UIs",
    });
  }
  if (!isModelName(flags.model)) {
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
    provider: provider.name,
    waitTimeoutMs: parseDuration(flags.timeout),
    ports: parseHostPorts(flags.hostPort),
    portsExplicit: (flags.hostPort?.length ?? 0) > 0,
  };
}

export function renderSummary(summary: UpSummary, style: Styler): string {
  const where = summary.kubeconfig ? ` (in ${summary.kubeconfig}, now the current context)` : "";
  const lines = [style.bold("The lab is up."), "", `kube context: ${summary.context}${where}`, ""];
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

/**
 * The write guard for a provider that works on the user's --context (existing); the kind provider
 * writes only to the lab it creates.
 * A dry run asks nothing and contacts no cluster: it says what a real run would need.
 */
async function guardExisting(ctx: Context, flags: UpFlags, options: UpOptions): Promise<string | undefined> {
  if (!providerNamed(options.provider).needsContext) return undefined;
  const guard = await import("../../lab/write-guard.js");
  const plan = {
    command: `sre-lab up --provider ${options.provider}`,
    verb: "write to",
    writes: guard.gitopsWrites(),
  };
  if (options.dryRun) {
    const context = ctx.kubeTarget.context ?? "";
    const verdict = await guard.classifyTarget({ context, server: "(not contacted: --dry-run)" });
    if (verdict.lab) return undefined;
    const needs = verdict.production
      ? "--force"
      : "--yes (or the context's name typed on a terminal), unless its sre-lab-app namespace is labelled as the lab's";
    const why = verdict.production
      ? `it looks like production ("${verdict.production.word}")`
      : "which is not the lab's context";
    const note = `a real run writes to context "${context}", ${why}: it needs ${needs}`;
    ctx.out.warn(note);
    return note;
  }
  const kube = await ctx.kube();
  await guard.guardClusterWrite(ctx, guard.kubeWriteTarget(kube), plan, {
    yes: flags.yes === true,
    force: flags.force === true,
  });
  return undefined;
}

export async function upCommand(ctx: Context, flags: UpFlags): Promise<void> {
  const options = toUpOptions(flags, ctx);
  const guardNote = await guardExisting(ctx, flags, options);
  const { planUp, runUp } = await import("../../lab/up/flow.js");
  if (options.dryRun) {
    const { plan, blocking } = await planUp(ctx, options);
    ctx.out.data(
      flags.output === "json"
        ? JSON.stringify(
            {
              dryRun: true,
              wouldStart: blocking === undefined,
              ...(guardNote ? { guard: guardNote } : {}),
              plan,
            },
            null,
            2,
          )
        : renderPlan(plan),
    );
    // The same error, and exit code, the real run would stop with at its preflight.
    if (blocking !== undefined) throw blocking;
    return;
  }
  const summary = await runUp(ctx, options);
  ctx.out.data(
    flags.output === "json" ? JSON.stringify(summary, null, 2) : renderSummary(summary, ctx.out.dataStyle),
  );
}
