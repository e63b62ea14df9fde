/**
 * `sre-lab sync`: after editing manifests/, publish them again and point Argo CD at the new
 * revision, then wait until every Application runs it. With a Git source there is nothing to
 * publish: push to the remote and Argo CD picks it up. Whether the cluster can read the lab's
 * registry is its provider's answer, read from the cluster (context and nodes), whatever --context says.
 */

import { runSteps, type Step, type StepReport } from "../core/steps.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import type { Context } from "../runtime/context.js";
import { DEFAULT_MODEL, DEFAULT_PORTS, labPortsOf, NAMESPACES } from "./config.js";
import { isModelName } from "./model.js";
import { defaultModelCache } from "./paths.js";
import { clusterFacts, DEFAULT_PROVIDER, providerOf } from "./provider/index.js";
import { isUnsupported } from "./provider/types.js";
import { createUpState } from "./up/flow.js";
import { applicationsStep, publishStep, ROOT_APPLICATION, rootApplicationStep } from "./up/gitops.js";
import type { UpState } from "./up/options.js";

export interface SyncResult {
  steps: StepReport[];
  /** Set when the lab reads a Git remote: what the user should do instead. */
  gitSource?: string;
}

/** What sync runs (its plan is what a dry run would print): the GitOps half of `up`. */
export function syncSteps(): Step<UpState>[] {
  return [publishStep(), rootApplicationStep(), applicationsStep()];
}

export async function runSync(ctx: Context, options: { waitTimeoutMs: number }): Promise<SyncResult> {
  // Without --context, sync acts on the lab's own context; the provider is read from the cluster.
  const kube = ctx.kubeTarget.context ? await ctx.kube() : await labClient(ctx);
  const nodes = await kube.list("v1", "Node");
  const provider = providerOf(clusterFacts(kube.context, nodes));
  const state = createUpState(
    ctx,
    {
      yes: false,
      persist: false,
      sysctl: false,
      recreate: false,
      dryRun: false,
      model: DEFAULT_MODEL,
      skipModel: true,
      modelCache: defaultModelCache(ctx.env),
      provider: provider.name,
      waitTimeoutMs: options.waitTimeoutMs,
      ports: { ...DEFAULT_PORTS },
      portsExplicit: false,
    },
    kube,
  );
  // The registry's host port is the one the lab was made with (its nodes' labels).
  if (!isUnsupported(provider.localNodes)) state.ports = labPortsOf(nodes);
  const root = await kube.find<
    KubeObject & {
      spec?: { source?: { repoURL?: string; helm?: { valuesObject?: { ollama?: { model?: string } } } } };
    }
  >({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    namespace: NAMESPACES.argocd,
    name: ROOT_APPLICATION,
  });
  const repoURL = root?.spec?.source?.repoURL;
  if (repoURL && !repoURL.startsWith("oci://")) return { steps: [], gitSource: repoURL };
  // Keep the model the lab was brought up with.
  // Read from the cluster: used only when it is a model name (it goes back into the root Application).
  const model: unknown = root?.spec?.source?.helm?.valuesObject?.ollama?.model;
  if (typeof model === "string" && isModelName(model.trim())) state.options.model = model.trim();
  const steps = await runSteps(syncSteps(), state, ctx);
  return { steps };
}

/** A client for the context the default provider's lab lives in (kind-sre-lab). */
function labClient(ctx: Context): Promise<KubeClient> {
  const context = DEFAULT_PROVIDER.contextName(ctx.kubeTarget);
  return context ? ctx.kubeFor(context) : ctx.kube();
}
