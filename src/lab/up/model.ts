/**
 * Step 9: make sure the model is in Ollama, with a byte progress bar while it downloads. Reaches
 * Ollama through a short-lived `kubectl port-forward` (the in-cluster pull Job may be pulling the
 * same model; Ollama shares one download between them).
 */
import type { Step } from "../../cli/tasks.js";
import { NAMESPACES } from "../config.js";
import { formatBytes } from "../model-cache.js";
import { startPortForward } from "../port-forward.js";
import type { UpState } from "./options.js";

export const OLLAMA_READY_TIMEOUT_MS = 60_000;

export function progressBar(completed: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, completed / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${formatBytes(completed)} / ${formatBytes(total)} (${Math.floor(ratio * 100)}%)`;
}

export function modelStep(): Step<UpState> {
  return {
    id: "model",
    title: "Model",
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
        const { createOllamaClient } = await import("../../ollama/client.js");
        const ollama = createOllamaClient({
          host: `http://127.0.0.1:${forward.localPort}`,
          signal: ctx.signal,
        });
        if (await ollama.hasModel(options.model)) {
          return { status: "skipped", detail: `${options.model} is present` };
        }
        await ollama.pull(options.model, (p) => {
          handle.progress(
            p.totalBytes > 0 ? `${options.model} ${progressBar(p.completedBytes, p.totalBytes)}` : p.status,
          );
        });
        return { status: "done", detail: `pulled ${options.model}` };
      } finally {
        await forward.stop();
      }
    },
  };
}
