/**
 * The agent as a process: settings from the environment, the in-cluster API client, Prometheus and
 * Ollama by their cluster DNS names, and every event written to stdout as one NDJSON line. This is
 * the agent's composition root (it has no CLI context): the only place it creates its clients, which
 * it passes to the diagnosis explicitly. Returns
 * the exit code: 0 when the diagnosis finished (with or without the model's answer), 2 when the
 * pod cannot be diagnosed (not found), 1 for other failures, 130 when stopped.
 */
import { ExitCode, InterruptedError, SreLabError } from "../core/errors.js";
import { collectEvidence, statusCode } from "../diagnose/collect.js";
import { agentConfigFromEnv } from "../diagnose/engine/config.js";
import { type AgentEvent, encodeEvent } from "../diagnose/engine/protocol.js";
import { runDiagnosis } from "../diagnose/engine/run.js";
import { redactText } from "../diagnose/redact.js";
import { createOllamaClient } from "../ollama/client.js";
import { createPrometheusClient } from "../prometheus/client.js";
import { createInClusterApi, loadInClusterConfig } from "./kube-api.js";

declare const __SRE_LAB_VERSION__: string;
const VERSION = typeof __SRE_LAB_VERSION__ === "string" ? __SRE_LAB_VERSION__ : "dev";

export async function runAgentProcess(
  env: NodeJS.ProcessEnv,
  write: (line: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  const emit = (event: AgentEvent) => write(encodeEvent(event));
  try {
    const config = agentConfigFromEnv(env);
    emit({ type: "start", version: VERSION, pod: { namespace: config.namespace, name: config.pod } });
    const api = createInClusterApi(loadInClusterConfig(env, config.serviceAccountDir), {
      ...(signal ? { signal } : {}),
      userAgent: `sre-lab-agent/${VERSION}`,
    });
    await runDiagnosis(
      {
        mode: config.mode,
        model: config.model,
        emitBundle: config.emitBundle,
        modelLocation: "cluster",
        answerTimeoutMs: config.answerTimeoutMs,
        // The model loads while the evidence is read (the load is most of the wait on a CPU).
        preload: true,
      },
      {
        evidence: () =>
          collectEvidence(api, {
            namespace: config.namespace,
            pod: config.pod,
            ...(config.cluster === undefined ? {} : { cluster: config.cluster }),
            ...(config.prometheusUrl === undefined
              ? { prometheusSkipped: "turned off" }
              : {
                  prometheus: createPrometheusClient({
                    url: config.prometheusUrl,
                    ...(signal ? { signal } : {}),
                  }),
                }),
          }).catch((error: unknown) => {
            throw statusCode(error) === 404
              ? new SreLabError(`pod "${config.pod}" not found in namespace "${config.namespace}"`, {
                  hint: "it was deleted after sre-lab diagnose started; check kubectl get pods",
                  cause: error,
                })
              : error;
          }),
        connectModel: async () => ({
          client: createOllamaClient({ host: config.ollamaUrl, ...(signal ? { signal } : {}) }),
          close: async () => {},
        }),
        emit,
        ...(signal ? { signal } : {}),
      },
    );
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof InterruptedError || signal?.aborted) return ExitCode.interrupted;
    const notFound = error instanceof SreLabError && statusCode(error.cause) === 404;
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof SreLabError ? error.hint : undefined;
    const exitCode = notFound
      ? ExitCode.usage
      : error instanceof SreLabError
        ? error.exitCode
        : ExitCode.failure;
    emit({
      type: "error",
      message: redactText(message),
      ...(hint === undefined ? {} : { hint: redactText(hint) }),
      exitCode,
    });
    return exitCode;
  }
}
