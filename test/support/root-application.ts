/**
 * The root Argo CD Application `up` applies (argocd/sre-lab), as the API server holds it; `source` is
 * its spec.source (an OCI or Git source, and the Helm values where `up --model` records the model).
 */
export function rootApplication(source: Record<string, unknown>) {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: "sre-lab", namespace: "argocd" },
    spec: { project: "default", source },
  };
}

/** The source part that records the lab's model, as `up --model` writes it. */
export function modelValues(model: unknown): Record<string, unknown> {
  return { helm: { valuesObject: { ollama: { model } } } };
}
