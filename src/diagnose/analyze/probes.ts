/**
 * Probe failures, told apart by the kubelet's Unhealthy event messages ("Liveness probe failed:",
 * "Readiness probe failed:", "Startup probe failed:") and its Killing events ("Container x failed
 * liveness probe, will be restarted").
 *
 * - LivenessProbeFailed: the kubelet kills and restarts the container. A startup probe that fails
 *   has the same effect and the same code (the summary says "startup probe").
 * - ReadinessProbeFailed: the container runs but is not Ready (not in the Service's endpoints).
 *   Readiness failures while the container is Ready now are history (info).
 */
import {
  type Candidate,
  candidate,
  classifiedLog,
  containerSeverity,
  logEvidence,
  RANK,
  withContainer,
} from "./candidate.js";
import { describeEvent, type PodEvent } from "./events.js";
import { describeExitCode } from "./exit-codes.js";
import {
  type ContainerFacts,
  containerPath,
  lastTermination,
  type PodFacts,
  type Probe,
  type ProbeKind,
  statusPath,
} from "./facts.js";
import { kubectl, patchContainerField, workloadRef } from "./kubectl.js";

export interface ProbeEvents {
  failures: Record<ProbeKind, PodEvent[]>;
  /** Killing events caused by a liveness or startup probe. */
  kills: PodEvent[];
}

const PROBE_PREFIX: Record<ProbeKind, RegExp> = {
  liveness: /^Liveness probe (?:failed|errored)/,
  readiness: /^Readiness probe (?:failed|errored)/,
  startup: /^Startup probe (?:failed|errored)/,
};

/** The probe events about one container (events without a fieldPath are attributed by name). */
export function probeEvents(pod: PodFacts, container: ContainerFacts): ProbeEvents {
  const runnable = pod.containers.filter((c) => c.kind !== "init");
  const mine = pod.events.filter(
    (e) =>
      e.container === container.name ||
      (e.container === undefined &&
        (e.message.includes(`Container ${container.name} `) ||
          (runnable.length === 1 && runnable[0] === container))),
  );
  const failures: Record<ProbeKind, PodEvent[]> = { liveness: [], readiness: [], startup: [] };
  for (const event of mine) {
    if (event.reason !== "Unhealthy") continue;
    for (const kind of ["liveness", "readiness", "startup"] as const) {
      if (PROBE_PREFIX[kind].test(event.message)) failures[kind].push(event);
    }
  }
  const kills = mine.filter(
    (e) => e.reason === "Killing" && /failed (?:liveness|startup) probe/.test(e.message),
  );
  return { failures, kills };
}

/** true when the container's restarts come from probe kills (events say so). */
export function killedByProbe(pod: PodFacts, container: ContainerFacts): boolean {
  const events = probeEvents(pod, container);
  return events.kills.length > 0 || events.failures.liveness.length > 0 || events.failures.startup.length > 0;
}

export function probesAnalyzer(pod: PodFacts): Candidate[] {
  const out: Candidate[] = [];
  for (const container of pod.containers) {
    if (container.kind === "init") continue;
    const events = probeEvents(pod, container);
    const killing = [...events.failures.liveness, ...events.failures.startup];
    if (killing.length > 0 || events.kills.length > 0) out.push(restartingProbe(pod, container, events));
    const readiness = readinessFinding(pod, container, events.failures.readiness);
    if (readiness) out.push(readiness);
  }
  return out;
}

function restartingProbe(pod: PodFacts, container: ContainerFacts, events: ProbeEvents): Candidate {
  const startupOnly =
    events.failures.startup.length > 0 &&
    events.failures.liveness.length === 0 &&
    !events.kills.some((e) => /liveness/.test(e.message));
  const kind: ProbeKind = startupOnly ? "startup" : "liveness";
  const probe = container.probes[kind];
  const failures = events.failures[kind];
  const status = container.status;
  const termination = lastTermination(container);
  const restarts = status?.restartCount ?? 0;

  const evidence: string[] = [];
  for (const event of failures.slice(0, 2)) evidence.push(describeEvent(event));
  for (const event of events.kills.slice(0, 1)) evidence.push(describeEvent(event));
  if (termination) {
    const t = termination.terminated;
    evidence.push(
      `${statusPath(container)}.${termination.state}.terminated: reason=${t.reason ?? "?"} exitCode=${
        t.exitCode === undefined ? "?" : describeExitCode(t.exitCode)
      }`,
    );
  }
  if (status) evidence.push(`restartCount: ${restarts}`);
  if (probe) evidence.push(`${containerPath(container)}.${kind}Probe: ${describeProbe(probe)}`);
  const log = classifiedLog(container, true) ?? classifiedLog(container, false);
  const previous = classifiedLog(container, true) !== undefined;
  // Error lines about the health check itself explain the probe failure best; else the latest.
  const errors = log?.errors ?? [];
  const probeWord =
    probe?.path
      ?.split("/")
      .filter((p) => p !== "")
      .pop() ?? "health";
  const aboutProbe = errors.filter(
    (e) => e.line.includes(probeWord) || /health|liveness|probe/i.test(e.line),
  );
  const chosen = (aboutProbe.length > 0 ? aboutProbe : errors).slice(-2);
  for (const error of chosen) {
    evidence.push(
      logEvidence(container.name, previous, `${error.line}${error.count > 1 ? ` (x${error.count})` : ""}`),
    );
  }

  const killed = events.kills.length > 0 || restarts > 0;
  const failure = failures[0]?.message ?? "";
  const what = `${kind} probe${probe ? ` (${describeProbeTarget(probe)})` : ""}`;
  const summary = killed
    ? `The kubelet restarts ${container.name} because its ${what} fails${restarts > 0 ? ` (${restarts} restarts)` : ""}: ${failure || "see events"}.`
    : `The ${what} of ${container.name} is failing (${failure || "see events"}); the kubelet will restart the container when it keeps failing.`;
  return candidate(
    withContainer(
      {
        code: "LivenessProbeFailed",
        severity: killed ? containerSeverity(container) : "warning",
        summary,
        evidence,
        remediation: probeRemedy(pod, container, kind, probe, failure),
        commands: probeCommands(pod, container, kind, probe, failure),
      },
      container.name,
    ),
  );
}

function readinessFinding(
  pod: PodFacts,
  container: ContainerFacts,
  failures: PodEvent[],
): Candidate | undefined {
  const status = container.status;
  const probe = container.probes.readiness;
  const running = status?.state.running !== undefined;
  if (failures.length === 0) {
    // No events (they expire after an hour) but a container that has run long enough to be Ready.
    if (!running || status?.ready !== false || !probe || !runningLongerThanProbeWindow(pod, container, probe))
      return undefined;
    return candidate(
      withContainer(
        {
          code: "ReadinessProbeFailed",
          severity: "warning",
          summary: `${container.name} has been running for a while but is not Ready; its readiness probe (${describeProbeTarget(probe)}) does not pass.`,
          evidence: [
            `${statusPath(container)}.ready: false (running since ${status.state.running?.startedAt ?? "?"})`,
            `${containerPath(container)}.readinessProbe: ${describeProbe(probe)}`,
          ],
          remediation: probeRemedy(pod, container, "readiness", probe, ""),
          commands: probeCommands(pod, container, "readiness", probe, ""),
        },
        container.name,
      ),
      RANK.ReadinessProbeFailed + 5,
    );
  }
  const notReady = status?.ready !== true;
  const failure = failures[0]?.message ?? "";
  const evidence = failures.slice(0, 2).map(describeEvent);
  if (status) {
    evidence.push(
      `${statusPath(container)}.ready: ${status.ready ?? "unknown"}${running ? ` (running since ${status.state.running?.startedAt ?? "?"}, restartCount ${status.restartCount})` : ""}`,
    );
  }
  const condition = pod.conditions.find((c) => c.type === "Ready" && c.status !== "True");
  if (condition?.message) evidence.push(`condition Ready=${condition.status}: ${condition.message}`);
  if (probe) evidence.push(`${containerPath(container)}.readinessProbe: ${describeProbe(probe)}`);
  const hint = portMismatch(container, probe);
  if (hint) evidence.push(hint.evidence);
  return candidate(
    withContainer(
      {
        code: "ReadinessProbeFailed",
        severity: notReady ? "warning" : "info",
        summary: notReady
          ? `${container.name} runs but never becomes Ready: its readiness probe fails (${failure})${hint ? `; ${hint.summary}` : ""}.`
          : `The readiness probe of ${container.name} failed earlier (${failures.reduce((n, e) => n + e.count, 0)} times); it is Ready now.`,
        evidence,
        remediation: probeRemedy(pod, container, "readiness", probe, failure, hint),
        commands: probeCommands(pod, container, "readiness", probe, failure, hint),
      },
      container.name,
    ),
  );
}

function runningLongerThanProbeWindow(pod: PodFacts, container: ContainerFacts, probe: Probe): boolean {
  const started = Date.parse(container.status?.state.running?.startedAt ?? "");
  if (pod.collectedAt === undefined || Number.isNaN(started)) return false;
  const windowMs = (probe.initialDelaySeconds + probe.periodSeconds * probe.failureThreshold + 60) * 1000;
  return pod.collectedAt - started > windowMs;
}

interface PortHint {
  port: number;
  evidence: string;
  summary: string;
}

const PORT_ENV = /^(?:PORT|HTTP_PORT|SERVER_PORT|LISTEN_PORT|APP_PORT|WEB_PORT)$/;
const LISTEN_LINE =
  /(?:listen(?:ing)?|Local:|Network:|serving|started (?:server )?on|bound to|running on)\D{0,60}?(?:(?:0\.0\.0\.0|localhost|127\.0\.0\.1|\[::\]|\*)?:|port\s*=?\s*)(\d{2,5})\b/i;

/**
 * The app listens on another port than the probe targets (env PORT, or a "listening on" log
 * line) — concluded only when no listener on the probe's own port is logged: an app with a second
 * listener (metrics, admin) is not a mismatch.
 */
export function portMismatch(container: ContainerFacts, probe: Probe | undefined): PortHint | undefined {
  if (!probe || probe.portNumber === undefined || probe.handler === "exec") return undefined;
  const logged = loggedListeners(container);
  if (logged.some((l) => l.port === probe.portNumber)) return undefined;
  for (const [name, value] of Object.entries(container.env)) {
    if (!PORT_ENV.test(name)) continue;
    const port = Number(value);
    if (Number.isInteger(port) && port > 0 && port !== probe.portNumber) {
      return {
        port,
        evidence: `${containerPath(container)}.env ${name}=${value} but the probe targets port ${probe.portNumber}${probe.port !== String(probe.portNumber) ? ` (${probe.port})` : ""}`,
        summary: `the app listens on ${port} (env ${name}) while the probe targets ${probe.portNumber}`,
      };
    }
  }
  const first = logged[0];
  if (first) {
    return {
      port: first.port,
      evidence: logEvidence(container.name, first.previous, first.line),
      summary: `the app logs that it listens on ${logged.map((l) => l.port).join(", ")} while the probe targets ${probe.portNumber}`,
    };
  }
  return undefined;
}

/** Every "listening on …:PORT" line in the logs (the start of each log, then the whole classification). */
function loggedListeners(container: ContainerFacts): { port: number; line: string; previous: boolean }[] {
  const out: { port: number; line: string; previous: boolean }[] = [];
  for (const [text, previous] of [
    [container.logs.current, false],
    [container.logs.previous, true],
  ] as const) {
    if (text === undefined) continue;
    const head = text
      .slice(0, 64 * 1024)
      .split("\n")
      .slice(0, 400);
    for (const line of head) {
      const match = LISTEN_LINE.exec(line);
      const port = Number(match?.[1]);
      if (match && Number.isInteger(port) && !out.some((l) => l.port === port))
        out.push({ port, line: line.trim(), previous });
    }
    for (const port of classifiedLog(container, previous)?.listeners ?? []) {
      if (!out.some((l) => l.port === port)) out.push({ port, line: `listening on port ${port}`, previous });
    }
  }
  return out;
}

/** The kubectl commands a remedy text contains (patches built by kubectl.ts), one per entry. */
function probeCommands(
  pod: PodFacts,
  container: ContainerFacts,
  kind: ProbeKind,
  probe: Probe | undefined,
  failure: string,
  hint = portMismatch(container, probe),
): string[] {
  const text = probeRemedy(pod, container, kind, probe, failure, hint);
  const commands: string[] = [];
  const prefix = `${kubectl(pod)} `;
  let at = text.indexOf(prefix);
  while (at !== -1) {
    // Our own builders end a command at "'" (JSON patches) or at the next ";"/" and "/end.
    const rest = text.slice(at);
    const patch = /^kubectl -n \S+ patch \S+ --type=json -p='[^']*'/.exec(rest)?.[0];
    const plain = /^kubectl -n [^;]*?(?=; | and kubectl| and \w|\.$|$)/.exec(rest)?.[0];
    const command = patch ?? plain;
    if (command) commands.push(command.replace(/[.,;:]+$/, ""));
    at = text.indexOf(prefix, at + (command?.length ?? prefix.length));
  }
  return commands;
}

function probeRemedy(
  pod: PodFacts,
  container: ContainerFacts,
  kind: ProbeKind,
  probe: Probe | undefined,
  failure: string,
  hint = portMismatch(container, probe),
): string {
  const field = `${kind}Probe`;
  if (hint && /connection refused|connect: |no route/i.test(failure)) {
    const port = container.ports.find((p) => p.containerPort === probe?.portNumber);
    const portIndex = port ? container.ports.indexOf(port) : -1;
    const patch =
      port?.name !== undefined && probe?.port === port.name
        ? `change containerPort ${port.containerPort} (named ${port.name}) to ${hint.port} in ${workloadRef(pod)}${
            portIndex >= 0
              ? `: ${patchContainerField(pod, container, `ports/${portIndex}/containerPort`, hint.port) ?? ""}`
              : ""
          }`
        : patchContainerField(pod, container, `${field}/${probe?.handler ?? "httpGet"}/port`, hint.port);
    return `Point the probe at the port the app really listens on (${hint.port}) or make the app listen on ${probe?.portNumber}: ${patch ?? `set ${field}.port to ${hint.port}`}.`;
  }
  if (/timeout|deadline exceeded|timed out/i.test(failure) && probe) {
    const next = Math.max(probe.timeoutSeconds * 2, 5);
    const patch = patchContainerField(pod, container, `${field}/timeoutSeconds`, next);
    return `The probe endpoint answers slower than timeoutSeconds=${probe.timeoutSeconds}: make it cheap, or raise the timeout${patch ? `: ${patch}` : ` to ${next}s in ${workloadRef(pod)}`}.`;
  }
  if (kind === "startup" && probe) {
    const needed = probe.failureThreshold * 2;
    const patch = patchContainerField(pod, container, "startupProbe/failureThreshold", needed);
    return `The app needs longer than failureThreshold×periodSeconds = ${probe.failureThreshold * probe.periodSeconds}s to start: allow more${patch ? `: ${patch}` : ` (startupProbe.failureThreshold ${needed})`}.`;
  }
  if (/connection refused|connect: /i.test(failure) && probe && kind !== "readiness") {
    const patch = patchContainerField(
      pod,
      container,
      "startupProbe",
      {
        ...(probe.handler === "httpGet"
          ? { httpGet: { path: probe.path ?? "/", port: probe.port ?? probe.portNumber } }
          : {}),
        ...(probe.handler === "tcpSocket" ? { tcpSocket: { port: probe.port ?? probe.portNumber } } : {}),
        periodSeconds: 5,
        failureThreshold: 30,
      },
      "add",
    );
    return `The app is not listening on port ${probe.portNumber ?? probe.port ?? "?"} when the probe starts: add a startupProbe (or raise initialDelaySeconds=${probe.initialDelaySeconds})${patch ? `: ${patch}` : ""}.`;
  }
  if (kind === "readiness") {
    return `Find out why ${describeProbeTarget(probe)} fails: ${kubectl(pod)} logs ${pod.name} -c ${container.name} and ${kubectl(pod)} exec ${pod.name} -c ${container.name} -- wget -qO- http://localhost:${probe?.portNumber ?? "<port>"}${probe?.path ?? "/"}; fix the app or the probe's port/path in ${workloadRef(pod)}.`;
  }
  const threshold = probe
    ? patchContainerField(
        pod,
        container,
        `${field}/failureThreshold`,
        Math.max(probe.failureThreshold * 2, 6),
      )
    : undefined;
  return `The ${kind} endpoint${probe ? ` ${describeProbeTarget(probe)}` : ""} reports failure${
    /statuscode: 5\d\d/.test(failure) ? " (HTTP 5xx)" : ""
  }: fix what it checks (see the log lines), and keep the liveness check to the process itself — check dependencies in the readiness probe instead, so an outage of a dependency does not restart the pod${
    threshold ? `; to stop the restarts meanwhile: ${threshold}` : ""
  }.`;
}

export function describeProbe(probe: Probe): string {
  return `${describeProbeTarget(probe)} initialDelaySeconds=${probe.initialDelaySeconds} timeoutSeconds=${probe.timeoutSeconds} periodSeconds=${probe.periodSeconds} failureThreshold=${probe.failureThreshold}`;
}

function describeProbeTarget(probe: Probe | undefined): string {
  if (!probe) return "the probe";
  const port =
    probe.port !== undefined && probe.portNumber !== undefined && probe.port !== String(probe.portNumber)
      ? `${probe.portNumber} (${probe.port})`
      : (probe.port ?? "?");
  switch (probe.handler) {
    case "httpGet":
      return `httpGet :${port}${probe.path ?? "/"}`;
    case "tcpSocket":
      return `tcpSocket :${port}`;
    case "grpc":
      return `grpc :${port}`;
    case "exec":
      return `exec ${JSON.stringify(probe.command ?? [])}`;
    default:
      return "probe";
  }
}
