/**
 * The small context object every flow receives: the boundaries to the outside world
 * (process runner, Kubernetes clients, Ollama and Prometheus clients, host probes, clock), output
 * and cancellation. Nothing here is created at import time: the CLI builds one per invocation
 * (cli/main.ts), each client on first use, and tests build their own.
 */

import type { Clock } from "../core/clock.js";
import type { HostProbe } from "../core/host.js";
import type { Output } from "../core/output.js";
import type { StepRenderer } from "../core/steps.js";
import type { Runner } from "../exec/runner.js";
import type { RegistryClient } from "../gitops/registry.js";
import type { KubeClient } from "../kube/client.js";
import type { OllamaClient } from "../ollama/client.js";
import type { PrometheusClient } from "../prometheus/client.js";

/** Where the user pointed us: kubectl's own flags, passed through unchanged. */
export interface KubeTarget {
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

export interface Context {
  runner: Runner;
  out: Output;
  /** Shows flows' steps on stderr (the CLI picks a live tree or plain lines); flows never draw them. */
  renderer: StepRenderer;
  host: HostProbe;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** Fires on Ctrl-C; every wait and subprocess honours it. */
  signal: AbortSignal;
  kubeTarget: KubeTarget;
  /**
   * Asks the user a yes/no question on the terminal; undefined when there is no one to ask
   * (stdin is not a TTY, CI). Rejects with InterruptedError on Ctrl-C. Only ever called before a
   * task list starts.
   */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /**
   * Asks for a typed answer on the terminal (the write guard's confirmation); undefined when there is
   * no one to ask. Rejects with InterruptedError on Ctrl-C. Only ever called before a task list starts.
   */
  ask?: ((question: string) => Promise<string>) | undefined;
  /** The Kubernetes client for kubeTarget, created (and client-node loaded) on first call. */
  kube(): Promise<KubeClient>;
  /**
   * A client for another context of kubeTarget's kubeconfig (the lab's `kind-sre-lab` while
   * --context points elsewhere, or before kind has written it). Created on first call per context;
   * a failed creation is not kept, so a later call (after `kind create cluster`) tries again.
   * `fresh`: a new client that is not kept either, for a read made before kind may (re)write the
   * context (its server and certificates change with the cluster).
   */
  kubeFor(context: string, options?: { fresh?: boolean }): Promise<KubeClient>;
  /** An Ollama client for `url`, bound to `signal`; the ollama package is loaded on first call. */
  ollama(url: string, options?: { timeoutMs?: number }): Promise<OllamaClient>;
  /** The Prometheus client for `url` (instant queries, bounded in time and size), bound to `signal`. */
  prometheus(url: string): Promise<PrometheusClient>;
  /** The OCI registry client for `url` (the lab's local registry as the host reaches it), bound to `signal`. */
  registry(url: string): Promise<RegistryClient>;
  /**
   * The one way to undo work after Ctrl-C (and to outlive it): the same everything, but a fresh
   * runner and clients bound to their own deadline instead of the flow's signal (which, once fired,
   * makes the originals refuse). Flows never build such clients themselves.
   */
  cleanupContext(timeoutMs: number): Promise<Context>;
}
