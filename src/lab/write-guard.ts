/**
 * The one guard in front of every command that writes to a cluster (up --provider existing, sync,
 * down, chaos, gameday, diagnose --in-cluster). SREs run sre-lab with their real kubeconfig, whose
 * current context is often production, so:
 *
 * - the lab passes: the context kind-sre-lab, or a cluster whose sre-lab-app namespace carries the
 *   lab's label (app.kubernetes.io/part-of=sre-lab, put there by hand after `up --provider
 *   existing`, docs/chaos.md);
 * - a context or API server whose name looks like production (prod, prd, live, prodn) is refused
 *   unless --force, even when it is labelled (as chaos always did);
 * - any other context gets a statement of what would be written where, and needs an explicit
 *   choice: --yes (or --force), or the context's name typed on a terminal. No terminal and no flag:
 *   exit 2 with the reason and the flag to use.
 */
import versions from "../../versions.json" with { type: "json" };
import { SreLabError, UsageError } from "../core/errors.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { KubeForbiddenError } from "../kube/errors.js";
import type { Context } from "../runtime/context.js";
import { CLUSTER_NAME, KUBE_CONTEXT, NAMESPACES } from "./config.js";
import { isLabContext, labContexts } from "./provider/index.js";

export const LAB_NAMESPACE_LABEL = { key: "app.kubernetes.io/part-of", value: "sre-lab" } as const;

/** Words that mark a production cluster when they are a whole word of a name ("live", not "deliver"). */
const PRODUCTION_WORDS = ["prd", "live", "prodn"];

/** The production-looking word in `name`, or undefined. "prod" counts anywhere (myprodcluster). */
export function productionWord(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.includes("prod")) return "prod";
  const words = lower.split(/[^a-z0-9]+/).filter((w) => w !== "");
  return words.find((w) => PRODUCTION_WORDS.includes(w));
}

/** Where a command would write. */
export interface WriteTarget {
  context: string;
  server: string;
  /**
   * Whether the lab's namespace there carries the lab's label. Not given when it should not be
   * read (a dry run contacts no cluster).
   */
  labelled?: () => Promise<LabMarker>;
}

/** The lab's namespace on a cluster: labelled as the lab's, not labelled, absent, or not readable. */
export type LabMarker = "labelled" | "not-labelled" | "absent" | "unreadable";

/** What a command would write, said before anything is written. */
export interface WritePlan {
  /** The command as the user typed it: "sre-lab up --provider existing". */
  command: string;
  /** How the refusal says it: "break" for chaos, "write to" elsewhere. */
  verb: string;
  /** One line per kind of write: "Argo CD's CRDs, ClusterRoles and ClusterRoleBindings (cluster-wide)". */
  writes: string[];
}

export interface Consent {
  /** --yes: write to a context that is not the lab's. */
  yes: boolean;
  /** --force: also when it looks like production (implies --yes). */
  force: boolean;
}

export interface LabVerdict {
  /** The lab's own context, or a cluster labelled as the lab's. */
  lab: boolean;
  /** Why it is (or is not) the lab, for the progress line and the refusal. */
  because: string;
  /** Set when the context or server looks like production. */
  production?: { what: string; word: string };
}

export interface GuardVerdict {
  lab: boolean;
  because: string;
  /** What --yes/--force/the typed confirmation let through; already printed as warnings. */
  warnings: string[];
}

function hostOf(server: string): string | undefined {
  try {
    return new URL(server).hostname;
  } catch {
    return undefined;
  }
}

/** Says whether `target` is the lab, and whether it looks like production. Reads one Namespace at most. */
export async function classifyTarget(target: WriteTarget): Promise<LabVerdict> {
  const host = hostOf(target.server);
  const contextWord = productionWord(target.context);
  const word = contextWord ?? (host ? productionWord(host) : undefined);
  const production = word
    ? { what: contextWord ? `context "${target.context}"` : `API server ${target.server}`, word }
    : undefined;
  const withProduction = production ? { production } : {};
  if (isLabContext(target.context)) {
    return { lab: true, because: `context ${target.context} is the lab's`, ...withProduction };
  }
  const labelled = target.labelled ? await target.labelled() : undefined;
  if (labelled === "labelled") {
    return {
      lab: true,
      because: `namespace ${NAMESPACES.app} is labelled ${LAB_NAMESPACE_LABEL.key}=${LAB_NAMESPACE_LABEL.value}`,
      ...withProduction,
    };
  }
  const why = {
    "not-labelled": `namespace ${NAMESPACES.app} there is not labelled as the lab's`,
    absent: `namespace ${NAMESPACES.app} does not exist there`,
    unreadable: `namespace ${NAMESPACES.app} there could not be read`,
    none: "not contacted",
  }[labelled ?? "none"];
  return {
    lab: false,
    because: `it is not the lab's (${labContexts().join(", ")}): ${why}`,
    ...withProduction,
  };
}

/** A WriteTarget for a client: its context and server, and the lab's namespace label read through it. */
export function kubeWriteTarget(kube: KubeClient): WriteTarget {
  return {
    context: kube.context,
    server: kube.server,
    labelled: async () => {
      try {
        const namespace = await kube.find<KubeObject>({
          apiVersion: "v1",
          kind: "Namespace",
          name: NAMESPACES.app,
        });
        if (!namespace) return "absent";
        return namespace.metadata?.labels?.[LAB_NAMESPACE_LABEL.key] === LAB_NAMESPACE_LABEL.value
          ? "labelled"
          : "not-labelled";
      } catch (error) {
        // A user who may not read namespaces is simply not known to be on the lab.
        if (error instanceof KubeForbiddenError) return "unreadable";
        throw error;
      }
    },
  };
}

/** The statement printed before asking, and attached to a refusal. */
export function describeWrites(target: WriteTarget, plan: WritePlan): string[] {
  return [
    `${plan.command} would write to context "${target.context}" (${target.server}):`,
    ...plan.writes.map((w) => `  - ${w}`),
  ];
}

/**
 * Passes on the lab; elsewhere needs the consent the module doc describes. Prints the statement and
 * any warnings on stderr; throws UsageError (exit 2) when the consent is missing, SreLabError (exit 1)
 * when the typed confirmation does not match, InterruptedError (130) on Ctrl-C at the question.
 */
export async function guardClusterWrite(
  ctx: Pick<Context, "out" | "ask">,
  target: WriteTarget,
  plan: WritePlan,
  consent: Consent,
): Promise<GuardVerdict> {
  const verdict = await classifyTarget(target);
  const warnings: string[] = [];
  const warn = (text: string) => {
    warnings.push(text);
    ctx.out.warn(text);
  };
  const statement = describeWrites(target, plan);
  if (verdict.production) {
    const { what, word } = verdict.production;
    if (!consent.force) {
      throw new UsageError(`refusing to ${plan.verb} ${what}: it looks like production ("${word}")`, {
        details: statement.join("\n"),
        hint: `${plan.command} is for the lab (--context ${KUBE_CONTEXT}); pass --force only for a throwaway cluster`,
      });
    }
    warn(`--force: acting on ${what}, which looks like production ("${word}")`);
  }
  if (verdict.lab) return { lab: true, because: verdict.because, warnings };

  if (consent.force || consent.yes) {
    const flag = consent.force ? "--force" : "--yes";
    for (const line of statement) ctx.out.info(line);
    warn(`${flag}: acting on context "${target.context}", which is not the lab's`);
    return { lab: false, because: flag, warnings };
  }
  const refusal = `refusing to ${plan.verb} context "${target.context}": ${verdict.because}`;
  if (!ctx.ask) {
    throw new UsageError(refusal, {
      details: statement.join("\n"),
      hint: `pass --yes to ${plan.verb} it anyway, or use --context ${KUBE_CONTEXT}${labelHint(plan)}`,
    });
  }
  for (const line of statement) ctx.out.info(line);
  ctx.out.info(`It is not the lab's: ${verdict.because.replace(/^it is not the lab's \([^)]*\): /, "")}.`);
  const answer = await ctx.ask(`Type the context's name (${target.context}) to go on, anything else stops:`);
  if (answer.trim() !== target.context) {
    throw new SreLabError(`not confirmed: nothing was written to context "${target.context}"`, {
      hint: `type the context's name exactly, or pass --yes; use --context ${KUBE_CONTEXT} for the lab`,
    });
  }
  warnings.push(`confirmed: acting on context "${target.context}", which is not the lab's`);
  return { lab: false, because: "confirmed on the terminal", warnings };
}

function labelHint(plan: WritePlan): string {
  return plan.verb === "break"
    ? `, or label the lab's namespace (kubectl label namespace ${NAMESPACES.app} ${LAB_NAMESPACE_LABEL.key}=${LAB_NAMESPACE_LABEL.value})`
    : "";
}

/** What `up --provider existing` and `sync` write to the cluster, for the statement. */
export function gitopsWrites(): string[] {
  return [
    `Argo CD ${versions.argocd.version} in namespace argocd, server-side applied with --force-conflicts, with its CRDs, ClusterRoles and ClusterRoleBindings (cluster-wide)`,
    "Secret monitoring/grafana-admin (a random Grafana admin password)",
    `the root Application argocd/sre-lab, through which Argo CD creates namespaces ${NAMESPACES.app}, ${NAMESPACES.ollama} and ${NAMESPACES.monitoring} (with cluster-scoped RBAC for Prometheus and kube-state-metrics) and metrics-server in kube-system`,
  ];
}

/** What `sync` writes: the root Application re-pointed, and through it the lab's manifests. */
export function syncWrites(): string[] {
  return [
    "the root Application argocd/sre-lab, re-pointed at the manifests just published to the local registry",
    `through it, Argo CD applies manifests/ (namespaces ${NAMESPACES.app}, ${NAMESPACES.ollama}, ${NAMESPACES.monitoring}, metrics-server in kube-system)`,
  ];
}

/**
 * `down` deletes only the lab (the kind cluster and its kubeconfig entries), whatever --context says:
 * naming another context is refused, so nobody believes it removed anything from that cluster.
 */
export function refuseOtherContext(command: string, context: string | undefined): void {
  if (context === undefined || context === KUBE_CONTEXT) return;
  throw new UsageError(
    `${command} deletes only the lab (kind cluster ${CLUSTER_NAME}, context ${KUBE_CONTEXT}), never context "${context}"`,
    {
      hint: `drop --context ${context}; to undo \`up --provider existing\` there, delete the Applications in namespace argocd with kubectl (docs/existing-cluster.md)`,
    },
  );
}
