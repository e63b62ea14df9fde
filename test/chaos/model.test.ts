/**
 * The lab's model as the cluster records it (src/lab/model.ts): what gameday's and diagnose's
 * defaults read. The end-to-end checks are in test/diagnose-cli/local.test.ts (diagnose --local)
 * and test/chaos/gameday-diagnose.test.ts (gameday through the agent Job).
 */
import { describe, expect, it } from "vitest";
import type { KubeClient, ObjectRef } from "../../src/kube/client.js";
import { DEFAULT_MODEL } from "../../src/lab/config.js";
import { isModelName, labModel, recordedModel } from "../../src/lab/model.js";
import { modelValues, rootApplication } from "../support/root-application.js";

/** A cluster holding (or not) the root Application `up` writes, with the model in its Helm values. */
function labWith(model: unknown): KubeClient {
  return {
    context: "kind-sre-lab",
    async find(ref: ObjectRef) {
      if (model === undefined || ref.kind !== "Application" || ref.name !== "sre-lab") return undefined;
      return rootApplication(modelValues(model));
    },
  } as unknown as KubeClient;
}

describe("the lab's model", () => {
  it("is the one `up --model` recorded, trimmed; the pinned default when none is recorded", async () => {
    expect(await labModel(labWith("  qwen2.5:0.5b "))).toBe("qwen2.5:0.5b");
    expect(await labModel(labWith(undefined))).toBe(DEFAULT_MODEL);
    expect(DEFAULT_MODEL).toBe("phi3:mini");
  });

  it("an API server without Argo CD's Application kind means no recorded model, not a failure", async () => {
    const kube = {
      async find() {
        throw new Error('the server could not find the requested resource (kind "Application")');
      },
    } as unknown as KubeClient;
    expect(await labModel(kube)).toBe(DEFAULT_MODEL);
  });

  it("a recorded value that is no Ollama model name is not taken (it came from the cluster)", async () => {
    for (const hostile of [
      "phi3\u001b[2J",
      "a b",
      "x; rm -rf ~",
      "",
      42,
      { name: "phi3" },
      "x".repeat(300),
    ]) {
      expect(await recordedModel(labWith(hostile)), JSON.stringify(hostile)).toBeUndefined();
    }
    expect(isModelName("library/phi3:mini")).toBe(true);
    expect(isModelName("llama3.2:1b")).toBe(true);
  });
});
