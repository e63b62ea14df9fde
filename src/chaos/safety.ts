/**
 * Where chaos may act. Only on the lab: the context kind-sre-lab, or a cluster whose sre-lab-app
 * namespace is labelled as the lab's (app.kubernetes.io/part-of=sre-lab, for `up --provider
 * existing`). Anything else needs --force. A context or API server whose name looks like production
 * (prod, production, prd, live) is refused even when its namespace is labelled, unless --force.
 */
import { UsageError } from "../core/errors.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { KUBE_CONTEXT, NAMESPACES } from "../lab/config.js";

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

export interface SafetyVerdict {
  /** Why chaos may act here, for the progress line. */
  because: string;
  /** What --force let through. */
  warnings: string[];
}

/** Throws UsageError unless chaos may act on this cluster. */
export async function checkChaosTarget(kube: KubeClient, force: boolean): Promise<SafetyVerdict> {
  const warnings: string[] = [];
  const host = hostOf(kube.server);
  const word = productionWord(kube.context) ?? (host ? productionWord(host) : undefined);
  if (word) {
    const what = productionWord(kube.context) ? `context "${kube.context}"` : `API server ${kube.server}`;
    if (!force) {
      throw new UsageError(`refusing to break ${what}: it looks like production ("${word}")`, {
        hint: `chaos is for the lab (--context ${KUBE_CONTEXT}); pass --force only for a throwaway cluster`,
      });
    }
    warnings.push(`--force: acting on ${what}, which looks like production ("${word}")`);
  }
  if (kube.context === KUBE_CONTEXT) return { because: `context ${KUBE_CONTEXT} is the lab's`, warnings };

  const namespace = await kube.find<KubeObject>({
    apiVersion: "v1",
    kind: "Namespace",
    name: NAMESPACES.app,
  });
  const labelled = namespace?.metadata?.labels?.[LAB_NAMESPACE_LABEL.key] === LAB_NAMESPACE_LABEL.value;
  if (labelled) {
    return {
      because: `namespace ${NAMESPACES.app} is labelled ${LAB_NAMESPACE_LABEL.key}=${LAB_NAMESPACE_LABEL.value}`,
      warnings,
    };
  }
  if (!force) {
    throw new UsageError(
      `refusing to break context "${kube.context}": it is not the lab's (${KUBE_CONTEXT}) and namespace ${NAMESPACES.app} ${
        namespace ? "is not labelled as the lab's" : "does not exist there"
      }`,
      {
        hint: `use --context ${KUBE_CONTEXT}, or label the lab's namespace (kubectl label namespace ${NAMESPACES.app} ${LAB_NAMESPACE_LABEL.key}=${LAB_NAMESPACE_LABEL.value}), or pass --force`,
      },
    );
  }
  warnings.push(`--force: acting on context "${kube.context}", which is not the lab's`);
  return { because: "--force", warnings };
}

function hostOf(server: string): string | undefined {
  try {
    return new URL(server).hostname;
  } catch {
    return undefined;
  }
}
