/**
 * What the lab asks Docker, parsed at the boundary into plain values: is the daemon answering, does a
 * container or network exist, which containers use a network, and the removals. Every call has a
 * timeout; "no such …" answers become `undefined`/`false`, anything else a typed error with the output.
 */
import type { Context } from "../core/context.js";
import { SreLabError } from "../core/errors.js";
import { firstLine, lines } from "../core/text.js";
import { CommandFailedError } from "../exec/runner.js";

const QUERY_TIMEOUT_MS = 15_000;
const REMOVE_TIMEOUT_MS = 60_000;

/** The network kind creates for every cluster; shared by all kind clusters on the machine. */
export const KIND_NETWORK = "kind";

/** The Docker daemon did not answer (stopped, or the socket is not ours to use). */
export class DockerUnavailableError extends SreLabError {
  override readonly name = "DockerUnavailableError";
}

interface DockerInfo {
  ServerVersion?: string;
  ServerErrors?: string[];
}

/** Throws DockerUnavailableError (with a hint for this platform) unless the daemon answers. */
export async function requireDockerDaemon(ctx: Context, rerun: string): Promise<string> {
  const result = await ctx.runner.run("docker", ["info", "--format", "{{json .}}"], {
    timeoutMs: QUERY_TIMEOUT_MS,
    allowFailure: true,
  });
  let info: DockerInfo | undefined;
  try {
    info = JSON.parse(result.stdout.trim() || "null") as DockerInfo | undefined;
  } catch {
    info = undefined;
  }
  if (result.exitCode === 0 && info?.ServerVersion) return info.ServerVersion;
  const why =
    info?.ServerErrors?.[0] ??
    (firstLine(result.stderr) || `docker info exited with code ${result.exitCode}`);
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
    { timeoutMs: QUERY_TIMEOUT_MS, allowFailure: true },
  );
  if (result.exitCode !== 0) {
    if (isNoSuchObject(result.stderr)) return undefined;
    throw failed(result, `docker could not inspect container ${name}`);
  }
  const state = JSON.parse(result.stdout.trim() || '""') as unknown;
  return typeof state === "string" && state !== "" ? state : "unknown";
}

/** Removes the container and its anonymous volumes; false when it was already gone. */
export async function removeContainer(ctx: Context, name: string): Promise<boolean> {
  const result = await ctx.runner.run("docker", ["rm", "--force", "--volumes", name], {
    timeoutMs: REMOVE_TIMEOUT_MS,
    allowFailure: true,
  });
  if (result.exitCode === 0) return true;
  if (isNoSuchObject(result.stderr)) return false;
  throw failed(result, `docker could not remove container ${name}`);
}

export async function networkExists(ctx: Context, name: string): Promise<boolean> {
  // The name filter is a regular expression over names (kind itself queries its network this way).
  const result = await ctx.runner.run(
    "docker",
    ["network", "ls", "--filter", `name=^${name}$`, "--format", "{{.Name}}"],
    { timeoutMs: QUERY_TIMEOUT_MS },
  );
  return lines(result.stdout).includes(name);
}

/** Names of the containers (running or stopped) attached to the network. */
export async function containersOnNetwork(ctx: Context, name: string): Promise<string[]> {
  const result = await ctx.runner.run(
    "docker",
    ["ps", "--all", "--filter", `network=${name}`, "--format", "{{.Names}}"],
    { timeoutMs: QUERY_TIMEOUT_MS },
  );
  return lines(result.stdout).sort();
}

/** false when the network was already gone. */
export async function removeNetwork(ctx: Context, name: string): Promise<boolean> {
  const result = await ctx.runner.run("docker", ["network", "rm", name], {
    timeoutMs: REMOVE_TIMEOUT_MS,
    allowFailure: true,
  });
  if (result.exitCode === 0) return true;
  if (isNoSuchObject(result.stderr)) return false;
  throw failed(result, `docker could not remove network ${name}`);
}

function failed(
  result: { argv: string[]; exitCode: number; stdout: string; stderr: string },
  message: string,
): CommandFailedError {
  const why = firstLine(result.stderr);
  return new CommandFailedError(why ? `${message}: ${why}` : message, { ...result, timedOut: false });
}
