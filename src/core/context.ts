/**
 * The small context object every flow receives: the boundaries to the outside world
 * (process runner, Kubernetes client, Ollama client, host probes), output and cancellation.
 * Nothing here is created at import time; the CLI builds one per invocation and tests build their own.
 */
import type { Runner } from "../exec/runner.js";
import type { KubeClient } from "../kube/client.js";
import type { HostProbe } from "./host.js";
import type { Output } from "./output.js";
import type { StepRenderer } from "./steps.js";

/** Where the user pointed us: kubectl's own flags, passed through unchanged. */
export interface KubeTarget {
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

export interface Clock {
  now(): number;
  /** Resolves after ms; rejects with InterruptedError when the signal fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
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
   * (stdin is not a TTY, CI). Only ever called before a task list starts.
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
   * A context for undoing work after Ctrl-C: the same everything, but a fresh runner and Kubernetes
   * client bound to their own deadline instead of the fired signal (which makes the originals refuse).
   */
  cleanupContext(timeoutMs: number): Promise<Context>;
}
