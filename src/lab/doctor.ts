/**
 * `sre-lab doctor`: can this machine run the lab? Each check returns data (status, detail, hint);
 * rendering and the exit code are the command's business. `up` runs the same checks as its preflight.
 */

import { isSreLabError } from "../core/errors.js";
import { formatBinaryBytes } from "../core/units.js";
import { ToolNotFoundError } from "../exec/runner.js";
import { compareVersions, parseVersion, TOOLS, type ToolName } from "../exec/tools.js";
import type { Context } from "../runtime/context.js";
import {
  CLUSTER_NAME,
  DEFAULT_PORTS,
  INOTIFY_LIMITS,
  type LabPorts,
  labHostPorts,
  RESOURCE_BUDGET,
} from "./config.js";
import { type DockerDaemonInfo, dockerDaemonInfo } from "./docker.js";
import { listKindClusters } from "./kind.js";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** One line: what was found. */
  detail: string;
  /** One line: what to do about it (for warn/fail). */
  hint?: string;
  /** The exact command that fixes it on this OS (pinned versions from src/exec/tools.ts), when there is one. */
  command?: string;
  /** A failing blocking check stops `up` before anything changes. */
  blocking: boolean;
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
  /** Facts later steps use (for example whether Docker runs inside a VM such as Docker Desktop). */
  facts: DockerFacts & { clusterExists: boolean | undefined };
}

export interface DockerFacts {
  dockerServerVersion?: string;
  dockerOperatingSystem?: string;
  /** True for Docker Desktop (macOS, Windows, or Linux), whose containers run in a VM. */
  dockerDesktop: boolean;
  dockerMemoryBytes?: number;
  dockerCpus?: number;
}

const VERSION_TIMEOUT_MS = 10_000;
const DAEMON_TIMEOUT_MS = 15_000;

/** The install command for this host, as a field to spread into a failing check. */
function installFix(ctx: Context, tool: ToolName): { command?: string } {
  const command = TOOLS[tool].installCommand?.({
    platform: ctx.host.platform,
    arch: ctx.host.arch ?? process.arch,
  });
  return command === undefined ? {} : { command };
}

async function checkToolVersion(ctx: Context, tool: ToolName, title: string): Promise<CheckResult> {
  const spec = TOOLS[tool];
  const base = { id: `tool-${tool}`, title, blocking: true };
  const fix = installFix(ctx, tool);
  try {
    // docker exits 1 when the daemon is down but still prints the client version on stdout.
    const result = await ctx.runner.run(tool, spec.versionArgs ?? ["--version"], {
      timeoutMs: VERSION_TIMEOUT_MS,
      allowFailure: true,
      purpose: `read the ${tool} version`,
    });
    const version = parseVersion(result.stdout) ?? parseVersion(result.stderr);
    if (!version) {
      return {
        ...base,
        status: "fail",
        detail: `could not read the version from \`${tool} ${(spec.versionArgs ?? []).join(" ")}\``,
        hint: spec.install,
        ...fix,
      };
    }
    if (spec.minVersion && compareVersions(version, spec.minVersion) < 0) {
      return {
        ...base,
        status: "fail",
        detail: `${version} is older than the minimum ${spec.minVersion}`,
        hint: `upgrade: ${spec.install}`,
        ...fix,
      };
    }
    return {
      ...base,
      status: "ok",
      detail: spec.minVersion ? `${version} (>= ${spec.minVersion})` : version,
    };
  } catch (error) {
    if (error instanceof ToolNotFoundError) {
      return { ...base, status: "fail", detail: "not found on PATH", hint: spec.install, ...fix };
    }
    return { ...base, status: "fail", detail: describe(error), hint: spec.install, ...fix };
  }
}

async function checkDockerDaemon(ctx: Context): Promise<{ check: CheckResult; facts: DockerFacts }> {
  const base = { id: "docker-daemon", title: "Docker daemon", blocking: true };
  const facts: DockerFacts = { dockerDesktop: false };
  let daemon: DockerDaemonInfo;
  try {
    daemon = await dockerDaemonInfo(ctx, DAEMON_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof ToolNotFoundError) {
      return { check: { ...base, status: "skip", detail: "skipped: the Docker CLI is missing" }, facts };
    }
    return {
      check: {
        ...base,
        status: "fail",
        detail: describe(error),
        hint: dockerStartHint(ctx),
        ...dockerStartCommand(ctx),
      },
      facts,
    };
  }
  if (!daemon.answering) {
    const permission = /permission denied/i.test(daemon.why);
    return {
      check: {
        ...base,
        status: "fail",
        detail: `not answering: ${daemon.why}`,
        hint: permission
          ? "add yourself to the docker group (sudo usermod -aG docker $USER), then log in again"
          : dockerStartHint(ctx),
        ...(permission
          ? { command: "sudo usermod -aG docker $USER && newgrp docker" }
          : dockerStartCommand(ctx)),
      },
      facts,
    };
  }
  facts.dockerServerVersion = daemon.serverVersion;
  if (daemon.operatingSystem !== undefined) facts.dockerOperatingSystem = daemon.operatingSystem;
  facts.dockerDesktop = /docker desktop/i.test(daemon.operatingSystem ?? "");
  if (daemon.memTotalBytes !== undefined) facts.dockerMemoryBytes = daemon.memTotalBytes;
  if (daemon.cpus !== undefined) facts.dockerCpus = daemon.cpus;
  const where = facts.dockerDesktop ? ` (${daemon.operatingSystem})` : "";
  return { check: { ...base, status: "ok", detail: `server ${daemon.serverVersion}${where}` }, facts };
}

function dockerStartHint(ctx: Context): string {
  return ctx.host.platform === "linux"
    ? "start Docker: sudo systemctl start docker (or start Docker Desktop), then run sre-lab doctor again"
    : "start Docker Desktop, wait until it says it is running, then run sre-lab doctor again";
}

function dockerStartCommand(ctx: Context): { command?: string } {
  if (ctx.host.platform === "linux") return { command: "sudo systemctl start docker" };
  if (ctx.host.platform === "darwin") return { command: "open -a Docker" };
  return {};
}

function checkMemory(ctx: Context, facts: DockerFacts): CheckResult {
  const { minimumBytes, recommendedBytes, items } = RESOURCE_BUDGET.memory;
  const fromDocker = facts.dockerMemoryBytes !== undefined;
  const bytes = facts.dockerMemoryBytes ?? ctx.host.totalMemoryBytes();
  const source = fromDocker ? (facts.dockerDesktop ? "Docker Desktop's VM" : "Docker") : "this host";
  const budget = items.map((i) => `${i.what} ${formatBinaryBytes(i.bytes)}`).join(", ");
  const base = { id: "memory", title: "Memory", blocking: true };
  const have = `${formatBinaryBytes(bytes)} available to ${source}`;
  if (bytes < minimumBytes) {
    return {
      ...base,
      status: "fail",
      detail: `${have}; the lab needs at least ${formatBinaryBytes(minimumBytes)} (${budget})`,
      hint: facts.dockerDesktop
        ? `raise Docker Desktop's memory limit to ${formatBinaryBytes(recommendedBytes)} (Settings → Resources)`
        : `free memory or use a machine with ${formatBinaryBytes(recommendedBytes)}; or run without the model: sre-lab up --skip-model`,
    };
  }
  if (bytes < recommendedBytes) {
    return {
      ...base,
      status: "warn",
      detail: `${have}; ${formatBinaryBytes(recommendedBytes)} recommended (${budget})`,
      hint: "expect slow model answers and evictions under load",
    };
  }
  return { ...base, status: "ok", detail: `${have} (>= ${formatBinaryBytes(recommendedBytes)} recommended)` };
}

function checkCpu(ctx: Context, facts: DockerFacts): CheckResult {
  const cpus = facts.dockerCpus ?? ctx.host.cpuCount();
  const { minimum, recommended } = RESOURCE_BUDGET.cpus;
  const base = { id: "cpu", title: "CPU", blocking: true };
  if (cpus < minimum) {
    return {
      ...base,
      status: "fail",
      detail: `${cpus} CPU; the lab needs at least ${minimum}`,
      hint: facts.dockerDesktop
        ? "give Docker Desktop more CPUs (Settings → Resources)"
        : "use a larger machine",
    };
  }
  if (cpus < recommended) {
    return {
      ...base,
      status: "warn",
      detail: `${cpus} CPUs; ${recommended} recommended (model answers are CPU-bound)`,
      hint: "diagnose still works; the model's answer will be slower",
    };
  }
  return { ...base, status: "ok", detail: `${cpus} CPUs` };
}

async function checkInotify(ctx: Context, facts: DockerFacts): Promise<CheckResult> {
  const base = { id: "inotify", title: "inotify limits", blocking: false };
  if (facts.dockerDesktop) {
    return {
      ...base,
      status: "skip",
      detail: "Docker Desktop: the limits live in its VM; sre-lab up sets them there",
    };
  }
  if (ctx.host.platform !== "linux") {
    return { ...base, status: "skip", detail: `not needed on ${ctx.host.platform}` };
  }
  const keys = Object.keys(INOTIFY_LIMITS) as (keyof typeof INOTIFY_LIMITS)[];
  let values: number[];
  try {
    const result = await ctx.runner.run("sysctl", ["-n", ...keys], {
      timeoutMs: VERSION_TIMEOUT_MS,
      purpose: "read the inotify limits",
    });
    values = result.stdout.trim().split(/\s+/).map(Number);
  } catch (error) {
    return {
      ...base,
      status: "warn",
      detail: describe(error),
      hint: TOOLS.sysctl.install,
    };
  }
  const low = keys.filter((key, i) => !((values[i] ?? 0) >= INOTIFY_LIMITS[key]));
  const shown = keys.map((key, i) => `${key.replace("fs.inotify.", "")}=${values[i] ?? "?"}`).join(", ");
  if (low.length === 0) return { ...base, status: "ok", detail: shown };
  const fix = low.map((key) => `${key}=${INOTIFY_LIMITS[key]}`).join(" ");
  return {
    ...base,
    status: "warn",
    detail: `${shown}; too low (Prometheus and Argo CD fail with "too many open files")`,
    hint: `sre-lab up raises them, or now: sudo sysctl -w ${fix}`,
    command: `sudo sysctl -w ${fix}`,
  };
}

async function checkPorts(
  ctx: Context,
  clusterExists: boolean | undefined,
  chosen: LabPorts,
): Promise<CheckResult> {
  const base = { id: "ports", title: "Host ports", blocking: true };
  const ports = labHostPorts(chosen);
  const busy: typeof ports = [];
  for (const entry of ports) {
    if (!(await ctx.host.isPortFree(entry.port))) busy.push(entry);
  }
  const list = ports.map((p) => p.port).join(", ");
  if (busy.length === 0) return { ...base, status: "ok", detail: `127.0.0.1 ports ${list} are free` };
  const named = busy.map((p) => `${p.port} (${p.name})`).join(", ");
  if (clusterExists) {
    return { ...base, status: "ok", detail: `${named} in use, as expected with the lab running` };
  }
  return {
    ...base,
    status: "fail",
    detail: `in use on 127.0.0.1: ${named}`,
    hint: `stop what listens there (find it with: lsof -nP -iTCP:${busy[0]?.port} -sTCP:LISTEN), or give the lab another port: sre-lab up ${busy.map((p) => `--host-port ${p.name}=${freeSuggestion(p.port, ports)}`).join(" ")}`,
    command: `lsof -nP -iTCP:${busy[0]?.port} -sTCP:LISTEN`,
  };
}

async function checkCluster(
  ctx: Context,
  canAsk: boolean,
): Promise<{ check: CheckResult; exists?: boolean }> {
  const base = { id: "cluster", title: "Lab cluster", blocking: false };
  if (!canAsk)
    return { check: { ...base, status: "skip", detail: "skipped: needs kind and a running Docker daemon" } };
  try {
    // kind prints "No kind clusters found." on stderr (exit 0) when there are none.
    const exists = (await listKindClusters(ctx)).includes(CLUSTER_NAME);
    return {
      check: {
        ...base,
        status: "ok",
        detail: exists
          ? `kind cluster "${CLUSTER_NAME}" exists (sre-lab up reuses it; sre-lab down removes it)`
          : `no kind cluster "${CLUSTER_NAME}" yet (sre-lab up creates it)`,
      },
      exists,
    };
  } catch (error) {
    return { check: { ...base, status: "warn", detail: describe(error) } };
  }
}

/** A port to suggest instead of a busy one: the next ones up, skipping the lab's others. */
function freeSuggestion(port: number, ports: { port: number }[]): number {
  let candidate = port + 1;
  while (ports.some((p) => p.port === candidate)) candidate++;
  return candidate;
}

export async function runDoctor(ctx: Context, options: { ports?: LabPorts } = {}): Promise<DoctorReport> {
  // No helm: Argo CD renders the charts with its own Helm, and nothing on the host runs it.
  const [dockerCli, daemon, kind, kubectl] = await Promise.all([
    checkToolVersion(ctx, "docker", "Docker CLI"),
    checkDockerDaemon(ctx),
    checkToolVersion(ctx, "kind", "kind"),
    checkToolVersion(ctx, "kubectl", "kubectl"),
  ]);
  const facts = daemon.facts;
  const cluster = await checkCluster(ctx, kind.status === "ok" && daemon.check.status === "ok");
  const checks = [
    dockerCli,
    daemon.check,
    kind,
    kubectl,
    checkMemory(ctx, facts),
    checkCpu(ctx, facts),
    await checkInotify(ctx, facts),
    await checkPorts(ctx, cluster.exists, options.ports ?? DEFAULT_PORTS),
    cluster.check,
  ];
  return {
    ok: checks.every((c) => !(c.blocking && c.status === "fail")),
    checks,
    facts: { ...facts, clusterExists: cluster.exists },
  };
}

function describe(error: unknown): string {
  if (isSreLabError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
