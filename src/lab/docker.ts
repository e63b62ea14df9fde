/**
 * What the lab asks Docker, parsed at the boundary into plain values: is the daemon answering, does a
 * container or network exist, which containers use a network, and the removals. Every call has a
 * timeout; "no such …" answers become `undefined`/`false`, anything else a typed error with the output.
 */

import { SreLabError } from "../core/errors.js";
import { lines } from "../core/text.js";
import { CommandFailedError, meaningfulErrorLine } from "../exec/runner.js";
import type { Context } from "../runtime/context.js";

const QUERY_TIMEOUT_MS = 15_000;
const REMOVE_TIMEOUT_MS = 60_000;

/** The network kind creates for every cluster; shared by all kind clusters on the machine. */
export const KIND_NETWORK = "kind";

/** The Docker daemon did not answer (stopped, or the socket is not ours to use). */
export class DockerUnavailableError extends SreLabError {
  override readonly name = "DockerUnavailableError";
}

/** What `docker info` says about the daemon, parsed at the boundary. */
export type DockerDaemonInfo =
  | {
      answering: true;
      serverVersion: string;
      operatingSystem?: string;
      /** Memory the daemon's containers can use (Docker Desktop: its VM's), in bytes. */
      memTotalBytes?: number;
      cpus?: number;
    }
  /** `why` is the daemon's or the CLI's own line (sanitised for the terminal). */
  | { answering: false; why: string };

interface DockerInfoJson {
  ServerVersion?: string;
  OperatingSystem?: string;
  MemTotal?: number;
  NCPU?: number;
  ServerErrors?: string[];
}

/** `docker info`: whether the daemon answers and what it reports. ToolNotFoundError without the CLI. */
export async function dockerDaemonInfo(
  ctx: Context,
  timeoutMs = QUERY_TIMEOUT_MS,
): Promise<DockerDaemonInfo> {
  const result = await ctx.runner.run("docker", ["info", "--format", "{{json .}}"], {
    timeoutMs,
    allowFailure: true,
    purpose: "ask the Docker daemon for its state",
  });
  let info: DockerInfoJson | undefined;
  try {
    info = JSON.parse(result.stdout.trim() || "null") as DockerInfoJson | undefined;
  } catch {
    info = undefined;
  }
  if (result.exitCode === 0 && info?.ServerVersion) {
    return {
      answering: true,
      serverVersion: info.ServerVersion,
      ...(info.OperatingSystem !== undefined ? { operatingSystem: info.OperatingSystem } : {}),
      ...(typeof info.MemTotal === "number" ? { memTotalBytes: info.MemTotal } : {}),
      ...(typeof info.NCPU === "number" ? { cpus: info.NCPU } : {}),
    };
  }
  const why =
    meaningfulErrorLine(info?.ServerErrors?.[0] ?? "") ??
    meaningfulErrorLine(result.stderr) ??
    `docker info exited with code ${result.exitCode}`;
  return { answering: false, why };
}

/** Throws DockerUnavailableError (with a hint for this platform) unless the daemon answers. */
export async function requireDockerDaemon(ctx: Context, rerun: string): Promise<string> {
  const daemon = await dockerDaemonInfo(ctx);
  if (daemon.answering) return daemon.serverVersion;
  const { why } = daemon;
  const hint = /permission denied/i.test(why)
    ? "add yourself to the docker group (sudo usermod -aG docker $USER), log in again"
    : ctx.host.platform === "linux"
      ? "start Docker (sudo systemctl start docker, or start Docker Desktop)"
      : "start Docker Desktop and wait until it says it is running";
  throw new DockerUnavailableError(`the Docker daemon is not answering: ${why}`, {
    hint: `${hint}, then run ${rerun} again`,
  });
}

/** `docker container inspect` says the object is not there (wording differs between Docker versions). */
export function isNoSuchObject(output: string): boolean {
  return /No such (container|object|network)|network \S+ not found/i.test(output);
}

/** The container's state ("running", "exited", …), or undefined when there is no such container. */
export async function containerState(ctx: Context, name: string): Promise<string | undefined> {
  const result = await ctx.runner.run(
    "docker",
    ["container", "inspect", "--format", "{{json .State.Status}}", name],
    // The purpose words a timeout; a non-zero exit is read below ("no such container" is an answer).
    { timeoutMs: QUERY_TIMEOUT_MS, allowFailure: true, purpose: `inspect the Docker container ${name}` },
  );
  if (result.exitCode !== 0) {
    if (isNoSuchObject(result.stderr)) return undefined;
    throw failed(result, `inspect the Docker container ${name}`);
  }
  const state = JSON.parse(result.stdout.trim() || '""') as unknown;
  return typeof state === "string" && state !== "" ? state : "unknown";
}

/** Removes the container and its anonymous volumes; false when it was already gone. */
export async function removeContainer(ctx: Context, name: string): Promise<boolean> {
  const result = await ctx.runner.run("docker", ["rm", "--force", "--volumes", name], {
    timeoutMs: REMOVE_TIMEOUT_MS,
    allowFailure: true,
    purpose: `remove the Docker container ${name}`,
  });
  if (result.exitCode === 0) return true;
  if (isNoSuchObject(result.stderr)) return false;
  throw failed(result, `remove the Docker container ${name}`);
}

export async function networkExists(ctx: Context, name: string): Promise<boolean> {
  // The name filter is a regular expression over names (kind itself queries its network this way).
  const result = await ctx.runner.run(
    "docker",
    ["network", "ls", "--filter", `name=^${name}$`, "--format", "{{.Name}}"],
    { timeoutMs: QUERY_TIMEOUT_MS, purpose: "list the Docker networks" },
  );
  return lines(result.stdout).includes(name);
}

/** Names of the containers (running or stopped) attached to the network. */
export async function containersOnNetwork(ctx: Context, name: string): Promise<string[]> {
  const result = await ctx.runner.run(
    "docker",
    ["ps", "--all", "--filter", `network=${name}`, "--format", "{{.Names}}"],
    { timeoutMs: QUERY_TIMEOUT_MS, purpose: `list the containers on Docker network ${name}` },
  );
  return lines(result.stdout).sort();
}

/** false when the network was already gone. */
export async function removeNetwork(ctx: Context, name: string): Promise<boolean> {
  const result = await ctx.runner.run("docker", ["network", "rm", name], {
    timeoutMs: REMOVE_TIMEOUT_MS,
    allowFailure: true,
    purpose: `remove the Docker network ${name}`,
  });
  if (result.exitCode === 0) return true;
  if (isNoSuchObject(result.stderr)) return false;
  throw failed(result, `remove the Docker network ${name}`);
}

/** A failure read from an allowFailure result, worded as the runner words one with a purpose. */
function failed(
  result: { argv: string[]; exitCode: number; stdout: string; stderr: string },
  purpose: string,
): CommandFailedError {
  const why =
    meaningfulErrorLine(result.stderr, result.stdout) ?? `docker exited with code ${result.exitCode}`;
  return new CommandFailedError(`could not ${purpose}: ${why}`, { ...result, timedOut: false });
}
