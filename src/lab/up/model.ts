/**
 * Step 9: make sure the model is in Ollama, with a byte progress bar while it downloads. Reaches
 * Ollama through a short-lived `kubectl port-forward` (the in-cluster pull Job may be pulling the
 * same model; Ollama shares one download between them). Then it loads the model into memory for a
 * practice session, so the first `sre-lab diagnose` does not wait for the load.
 */
import { InterruptedError } from "../../core/errors.js";
import type { Step } from "../../core/steps.js";
import { formatDecimalBytes } from "../../core/units.js";
import { formatCommandLine } from "../../exec/command-line.js";
import type { OllamaClient } from "../../ollama/client.js";
import { MODEL_NUM_CTX, NAMESPACES } from "../config.js";
import { portForwardArgs, startPortForward } from "../port-forward.js";
import type { UpState } from "./options.js";

export const OLLAMA_READY_TIMEOUT_MS = 60_000;
/** How long the model stays in memory after `up` (a practice session); each diagnosis renews it. */
export const PRACTICE_KEEP_ALIVE = "2h";

export function progressBar(completed: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, completed / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${formatDecimalBytes(completed)} / ${formatDecimalBytes(total)} (${Math.floor(ratio * 100)}%)`;
}

export function modelStep(): Step<UpState> {
  return {
    id: "model",
    title: "Model",
    async plan({ ctx, options, provider }) {
      if (options.skipModel) return ["skipped (--skip-model)"];
      const forward = portForwardArgs(ctx, {
        namespace: NAMESPACES.ollama,
        service: "ollama",
        servicePort: 11434,
        localPort: 0,
        context: provider.contextName(ctx.kubeTarget) ?? "",
        readyTimeoutMs: 0,
      });
      return [
        `${formatCommandLine(["kubectl", ...forward])}, then pull ${options.model} if missing and load it into memory for ${PRACTICE_KEEP_ALIVE}`,
      ];
    },
    async run(state, handle) {
      const { ctx, options } = state;
      if (options.skipModel) return { status: "skipped", detail: "--skip-model" };
      const forward = await startPortForward(ctx, {
        namespace: NAMESPACES.ollama,
        service: "ollama",
        servicePort: 11434,
        localPort: 0,
        context: (await state.kube()).context,
        readyTimeoutMs: OLLAMA_READY_TIMEOUT_MS,
      });
      try {
        const ollama = await ctx.ollama(`http://127.0.0.1:${forward.localPort}`);
        const present = await ollama.hasModel(options.model);
        if (!present) {
          await ollama.pull(options.model, (p) => {
            handle.progress(
              p.totalBytes > 0 ? `${options.model} ${progressBar(p.completedBytes, p.totalBytes)}` : p.status,
            );
          });
        }
        const loaded = await loadForPractice(ollama, options.model, handle);
        return present
          ? { status: "skipped", detail: `${options.model} is present; ${loaded}` }
          : { status: "done", detail: `pulled ${options.model}; ${loaded}` };
      } finally {
        await forward.stop();
      }
    },
  };
}

/**
 * Loads the model with the context size diagnose uses (another num_ctx would make Ollama reload it)
 * and a keep_alive for a practice session. A model that cannot be loaded (not enough memory) is
 * reported in the step's detail, not as a failed `up`: diagnose says the same when asked.
 */
async function loadForPractice(
  ollama: OllamaClient,
  model: string,
  handle: { progress(text: string): void },
): Promise<string> {
  handle.progress(`loading ${model} into memory (keep_alive ${PRACTICE_KEEP_ALIVE})`);
  try {
    const { ms } = await ollama.load({ model, numCtx: MODEL_NUM_CTX, keepAlive: PRACTICE_KEEP_ALIVE });
    return `in memory for ${PRACTICE_KEEP_ALIVE} (loaded in ${(ms / 1000).toFixed(1)}s)`;
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return `not loaded into memory (${error instanceof Error ? error.message : String(error)}); the first diagnosis will load it`;
  }
}
