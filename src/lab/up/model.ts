/**
 * Step 9: make sure the model is in Ollama, with a byte progress bar while it downloads. Reaches
 * Ollama through a short-lived `kubectl port-forward` (the in-cluster pull Job may be pulling the
 * same model; Ollama shares one download between them).
 */
import type { Step } from "../../cli/tasks.js";
import { NAMESPACES } from "../config.js";
import type { UpState } from "./options.js";

export const OLLAMA_READY_TIMEOUT_MS = 60_000;

function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  return `${(n / 1024 ** 2).toFixed(0)} MiB`;
}

export function progressBar(completed: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, completed / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${bytes(completed)} / ${bytes(total)} (${Math.floor(ratio * 100)}%)`;
}

export function modelStep(): Step<UpState> {
  return {
    id: "model",
    title: "Model",
    async run(state, handle) {
      const { ctx, options } = state;
      if (options.skipModel) return { status: "skipped", detail: "--skip-model" };
      const forward = await ctx.runner.start("kubectl", [
        ...state.kubectlTarget,
        "port-forward",
        "-n",
        NAMESPACES.ollama,
        "svc/ollama",
        "0:11434",
      ]);
      try {
        const [, port] = await forward.waitForLine(
          /^Forwarding from 127\.0\.0\.1:(\d+) ->/,
          OLLAMA_READY_TIMEOUT_MS,
        );
        const { createOllamaClient } = await import("../../ollama/client.js");
        const ollama = createOllamaClient({ host: `http://127.0.0.1:${port}`, signal: ctx.signal });
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
