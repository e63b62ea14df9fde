/**
 * `sre-lab sync`: after editing manifests/, publish them again and point Argo CD at the new
 * revision, then wait until every Application runs it. With a Git source there is nothing to
 * publish: push to the remote and Argo CD picks it up.
 */
import type { Context } from "../core/context.js";
import { runSteps, type Step, type StepReport } from "../core/steps.js";
import type { KubeObject } from "../kube/client.js";
import { DEFAULT_PORTS, NAMESPACES, portsFromLabels } from "./config.js";
import { defaultModelCache } from "./paths.js";
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
  const provider = ctx.kubeTarget.context ? "existing" : "kind";
  const state = createUpState(ctx, {
    yes: false,
    persist: false,
    sysctl: false,
    recreate: false,
    dryRun: false,
    model: "phi3:mini",
    skipModel: true,
    modelCache: defaultModelCache(ctx.env),
    provider,
    waitTimeoutMs: options.waitTimeoutMs,
    ports: { ...DEFAULT_PORTS },
    portsExplicit: false,
  });
  const kube = await state.kube();
  if (provider === "kind") {
    // The registry's host port is the one the lab was made with (its nodes' labels).
    const nodes = await kube.list("v1", "Node");
    state.ports = portsFromLabels(nodes[0]?.metadata?.labels);
  }
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
  const model = root?.spec?.source?.helm?.valuesObject?.ollama?.model;
  if (model) state.options.model = model;
  const steps = await runSteps(syncSteps(), state, ctx);
  return { steps };
}
