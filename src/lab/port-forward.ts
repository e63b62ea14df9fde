/**
 * `kubectl port-forward` to a Service, through the runner's start(): started with the same context
 * (and kubeconfig) as the Kubernetes client, ready when kubectl prints
 * "Forwarding from 127.0.0.1:<local> -> <target>", and always stoppable. Failures carry kubectl's own
 * error line ("error: unable to forward port because pod is not running…").
 */

import { formatDuration } from "../core/duration.js";
import { InterruptedError, SreLabError } from "../core/errors.js";
import { CommandFailedError, type RunningProcess } from "../exec/runner.js";
import type { Context } from "../runtime/context.js";

export interface PortForwardOptions {
  namespace: string;
  service: string;
  servicePort: number;
  /** 127.0.0.1 port to listen on; 0 lets kubectl pick a free one. */
  localPort: number;
  /** The context the Kubernetes client resolved (passed as --context so both talk to one cluster). */
  context: string;
  readyTimeoutMs: number;
}

export interface PortForward {
  localPort: number;
  process: RunningProcess;
  stop(): Promise<void>;
}

const READY_LINE = /Forwarding from 127\.0\.0\.1:(\d+) -> \d+/;

export function portForwardArgs(ctx: Context, options: PortForwardOptions): string[] {
  return [
    "port-forward",
    "--namespace",
    options.namespace,
    "--address",
    "127.0.0.1",
    `service/${options.service}`,
    `${options.localPort === 0 ? "" : options.localPort}:${options.servicePort}`,
    "--context",
    options.context,
    ...(ctx.kubeTarget.kubeconfig ? ["--kubeconfig", ctx.kubeTarget.kubeconfig] : []),
  ];
}

export class PortForwardError extends SreLabError {
  override readonly name = "PortForwardError";
}

/** The line in kubectl's output that says what went wrong. */
export function kubectlErrorLine(output: string): string | undefined {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return (
    lines.findLast((l) => /^(error:|Error from server)/i.test(l)) ??
    lines.findLast((l) => /unable to|failed|refused|not found/i.test(l))
  );
}

export async function startPortForward(ctx: Context, options: PortForwardOptions): Promise<PortForward> {
  const target = `${options.namespace}/${options.service}:${options.servicePort}`;
  const running = await ctx.runner.start("kubectl", portForwardArgs(ctx, options));
  try {
    const match = await running.waitForLine(READY_LINE, options.readyTimeoutMs);
    return { localPort: Number(match[1]), process: running, stop: () => running.stop() };
  } catch (error) {
    await running.stop();
    if (error instanceof InterruptedError || ctx.signal.aborted) throw new InterruptedError();
    const output = error instanceof CommandFailedError ? `${error.stderr}\n${error.stdout}` : "";
    const why =
      kubectlErrorLine(output) ??
      (error instanceof SreLabError
        ? error.message
        : `not ready within ${formatDuration(options.readyTimeoutMs)}`);
    throw new PortForwardError(`kubectl port-forward to ${target} failed: ${why}`, {
      hint: "check that the Service has a running pod (sre-lab status)",
      ...(error instanceof SreLabError && error.details ? { details: error.details } : {}),
      cause: error,
    });
  }
}
