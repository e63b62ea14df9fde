/**
 * The agent's settings, passed as environment variables of the Job's container. The CLI writes them
 * (agentEnv) and the agent reads them (agentConfigFromEnv) from this one list of names, so the two
 * cannot drift apart.
 */
import { UsageError } from "../../core/errors.js";
import { DEFAULT_MODEL } from "../../lab/config.js";

export const AGENT_ENV = {
  namespace: "SRE_LAB_NAMESPACE",
  pod: "SRE_LAB_POD",
  /** analyze (default), no-ai or prompt */
  mode: "SRE_LAB_MODE",
  model: "SRE_LAB_MODEL",
  ollamaUrl: "SRE_LAB_OLLAMA_URL",
  /** Empty turns Prometheus off. */
  prometheusUrl: "SRE_LAB_PROMETHEUS_URL",
  /** "1": also send the redacted bundle (for --save-bundle). */
  emitBundle: "SRE_LAB_EMIT_BUNDLE",
  /** The kube context the CLI used, for the bundle's metadata.cluster. */
  cluster: "SRE_LAB_CLUSTER",
  /** Deadline for the model's whole answer, in milliseconds. */
  answerTimeoutMs: "SRE_LAB_ANSWER_TIMEOUT_MS",
  /** Where the ServiceAccount token, ca.crt and namespace are (tests point it at a temp dir). */
  serviceAccountDir: "SRE_LAB_SERVICE_ACCOUNT_DIR",
} as const;

export const DEFAULT_OLLAMA_URL = "http://ollama.ollama.svc.cluster.local:11434";
export const DEFAULT_PROMETHEUS_URL = "http://prometheus-server.monitoring.svc.cluster.local";
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export const AGENT_MODES = ["analyze", "no-ai", "prompt"] as const;
export type AgentMode = (typeof AGENT_MODES)[number];

export interface AgentConfig {
  namespace: string;
  pod: string;
  mode: AgentMode;
  model: string;
  ollamaUrl: string;
  /** undefined: Prometheus is not asked. */
  prometheusUrl: string | undefined;
  emitBundle: boolean;
  cluster: string | undefined;
  answerTimeoutMs: number | undefined;
  serviceAccountDir: string;
}

export function agentConfigFromEnv(env: NodeJS.ProcessEnv): AgentConfig {
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value)
      throw new UsageError(`the agent needs ${name}`, { hint: "the agent is started by sre-lab diagnose" });
    return value;
  };
  const mode = env[AGENT_ENV.mode]?.trim() || "analyze";
  if (!(AGENT_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`${AGENT_ENV.mode} must be one of ${AGENT_MODES.join(", ")}, not "${mode}"`);
  }
  const answer = env[AGENT_ENV.answerTimeoutMs]?.trim();
  const answerTimeoutMs = answer ? Number(answer) : undefined;
  if (answerTimeoutMs !== undefined && !(Number.isInteger(answerTimeoutMs) && answerTimeoutMs > 0)) {
    throw new UsageError(`${AGENT_ENV.answerTimeoutMs} must be a positive number of milliseconds`);
  }
  const prometheus = env[AGENT_ENV.prometheusUrl];
  return {
    namespace: required(AGENT_ENV.namespace),
    pod: required(AGENT_ENV.pod),
    mode: mode as AgentMode,
    model: env[AGENT_ENV.model]?.trim() || DEFAULT_MODEL,
    ollamaUrl: env[AGENT_ENV.ollamaUrl]?.trim() || DEFAULT_OLLAMA_URL,
    prometheusUrl: prometheus === undefined ? DEFAULT_PROMETHEUS_URL : prometheus.trim() || undefined,
    emitBundle: env[AGENT_ENV.emitBundle] === "1",
    cluster: env[AGENT_ENV.cluster]?.trim() || undefined,
    answerTimeoutMs,
    serviceAccountDir: env[AGENT_ENV.serviceAccountDir]?.trim() || SERVICE_ACCOUNT_DIR,
  };
}

/** The container env for a config (the Job's manifest); the ServiceAccount dir is left to the default. */
export function agentEnv(config: Omit<AgentConfig, "serviceAccountDir">): { name: string; value: string }[] {
  const env: [string, string | undefined][] = [
    [AGENT_ENV.namespace, config.namespace],
    [AGENT_ENV.pod, config.pod],
    [AGENT_ENV.mode, config.mode],
    [AGENT_ENV.model, config.model],
    [AGENT_ENV.ollamaUrl, config.ollamaUrl],
    [AGENT_ENV.prometheusUrl, config.prometheusUrl ?? ""],
    [AGENT_ENV.emitBundle, config.emitBundle ? "1" : undefined],
    [AGENT_ENV.cluster, config.cluster],
    [
      AGENT_ENV.answerTimeoutMs,
      config.answerTimeoutMs === undefined ? undefined : String(config.answerTimeoutMs),
    ],
  ];
  return env.flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }]));
}
