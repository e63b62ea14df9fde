import { beforeEach, describe, expect, it, vi } from "vitest";
import type { KubeClient, ObjectRef } from "../../src/kube/client.js";
import type { Context } from "../../src/runtime/context.js";

// gameday's diagnoser runs the real diagnose flow; here only the options it is given matter.
const asked: { model: string; pod: string }[] = [];
vi.mock("../../src/diagnose/flow.js", () => ({
  runDiagnose: async (_ctx: unknown, options: { model: string; target: { pod: string } }) => {
    asked.push({ model: options.model, pod: options.target.pod });
    return { findings: [{ code: "ImagePullNotFound" }] };
  },
}));

const { labDiagnoser } = await import("../../src/chaos/diagnosis.js");
const { DEFAULT_MODEL } = await import("../../src/lab/config.js");
const { labModel } = await import("../../src/lab/model.js");

/** A cluster holding (or not) the root Application `up` writes, with the model in its Helm values. */
function labWith(model: string | undefined): { ctx: Context; kube: KubeClient; lookups: ObjectRef[] } {
  const lookups: ObjectRef[] = [];
  const kube = {
    context: "kind-sre-lab",
    async find(ref: ObjectRef) {
      lookups.push(ref);
      if (model === undefined || ref.kind !== "Application" || ref.name !== "sre-lab") return undefined;
      return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name: "sre-lab", namespace: "argocd" },
        spec: { source: { helm: { valuesObject: { ollama: { model } } } } },
      };
    },
  } as unknown as KubeClient;
  const ctx = { kube: async () => kube, clock: { now: () => 0 } } as unknown as Context;
  return { ctx, kube, lookups };
}

describe("the lab's model", () => {
  beforeEach(() => {
    asked.length = 0;
  });

  it("gameday diagnoses with the model the lab was brought up with (up --model), read once", async () => {
    const { ctx, lookups } = labWith("llama3.2:1b");
    const diagnose = labDiagnoser(ctx);
    await diagnose("web-1", "sre-lab-app");
    await diagnose("web-2", "sre-lab-app");
    expect(asked).toEqual([
      { model: "llama3.2:1b", pod: "web-1" },
      { model: "llama3.2:1b", pod: "web-2" },
    ]);
    expect(lookups).toEqual([
      { apiVersion: "argoproj.io/v1alpha1", kind: "Application", namespace: "argocd", name: "sre-lab" },
    ]);
  });

  it("a lab that records no model gets the default, the one versions.json pins", async () => {
    const { ctx } = labWith(undefined);
    await labDiagnoser(ctx)("web-1", "sre-lab-app");
    expect(asked).toEqual([{ model: DEFAULT_MODEL, pod: "web-1" }]);
    expect(DEFAULT_MODEL).toBe("phi3:mini");
  });

  it("an API server without Argo CD's Application kind means no recorded model, not a failure", async () => {
    const kube = {
      async find() {
        throw new Error('the server could not find the requested resource (kind "Application")');
      },
    } as unknown as KubeClient;
    expect(await labModel(kube)).toBe(DEFAULT_MODEL);
    expect(await labModel(labWith("  qwen2.5:0.5b ").kube)).toBe("qwen2.5:0.5b");
  });
});
