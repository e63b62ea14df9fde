/**
 * The lab's Ollama model. The default is DEFAULT_MODEL (lab/config.ts, from versions.json); the model
 * a running lab was brought up with (`up --model`) is recorded by `up` in the root Argo CD
 * Application's Helm values (`ollama.model`, which the pull Job and the agent read), so commands
 * that act on a lab read it back from the cluster rather than assuming the default.
 */
import { InterruptedError } from "../core/errors.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { DEFAULT_MODEL, NAMESPACES } from "./config.js";
import { ROOT_APPLICATION } from "./up/gitops.js";

/** Ollama model names: `name[:tag]`, optionally with a namespace (`library/phi3:mini`). */
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*(:[A-Za-z0-9._-]+)?$/;

export function isModelName(name: string): boolean {
  return name.length <= 200 && MODEL_NAME.test(name);
}

type RootApplication = KubeObject & {
  spec?: { source?: { helm?: { valuesObject?: { ollama?: { model?: unknown } } } } };
};

/**
 * The model the lab on `kube`'s context was made with, or undefined when it records none (no root
 * Application: an older lab, Argo CD not installed yet, or not a lab at all; the API server may
 * then not even know the Application kind; or a value that is no model name). Callers fall back to
 * DEFAULT_MODEL.
 */
export async function recordedModel(kube: KubeClient): Promise<string | undefined> {
  let root: RootApplication | undefined;
  try {
    root = await kube.find<RootApplication>({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      namespace: NAMESPACES.argocd,
      name: ROOT_APPLICATION,
    });
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return undefined;
  }
  // Read from the cluster, so checked like a typed --model before it reaches a request or a terminal.
  const model = root?.spec?.source?.helm?.valuesObject?.ollama?.model;
  return typeof model === "string" && isModelName(model.trim()) ? model.trim() : undefined;
}

/** The model to use against the lab on `kube`'s context: the recorded one, else the default. */
export async function labModel(kube: KubeClient): Promise<string> {
  return (await recordedModel(kube)) ?? DEFAULT_MODEL;
}
