/**
 * Why a container stopped: one classification per container, from its most recent termination
 * (state.terminated, else lastState.terminated), its waiting reason, its events and the log of
 * the instance that ended.
 *
 *   StartFailed          RunContainerError / CreateContainerError / StartError / ContainerCannotRun,
 *                        exit 126/127, or an exec failure in the log (exec format error, not found)
 *   OOMKilled            reason OOMKilled (exit 137)
 *   (probe kill)         exit 137/143 after liveness/startup failures → left to the probes analyzer
 *   CrashLoopBackOff     exit 0 under restartPolicy Always; or killed from outside with no cause on
 *                        record; or back-off with nothing more specific
 *   AppError             any other non-zero exit (traceback/panic/exception quoted from the log)
 *   InitContainerFailed  the same failures of the process in an init container (a start failure or
 *                        OOM kill keeps its own, more specific code)
 *
 * Waiting reasons owned by other analyzers (image pulls, config errors) are skipped here, and so
 * is everything in an evicted pod: its containers were killed because it was evicted.
 */

import { parseQuantity } from "../../core/units.js";
import type { FindingCode } from "../types.js";
import {
  type Candidate,
  candidate,
  classifiedLog,
  containerSeverity,
  logEvidence,
  RANK,
  withContainer,
} from "./candidate.js";
import { describeEvent } from "./events.js";
import { isEvicted } from "./eviction.js";
import { describeExitCode, isKillSignalExit, isStartFailureExit } from "./exit-codes.js";
import {
  type ContainerFacts,
  containerPath,
  lastTermination,
  logOfTermination,
  type PodFacts,
  statusPath,
  type TerminatedState,
} from "./facts.js";
import { kubectl, logsOf, setResources, shellQuote, workloadRef } from "./kubectl.js";
import { type LogClassification, repeatNote } from "./logs.js";
import { describeProbe, killedByProbe } from "./probes.js";
import { suggestMemory } from "./quantity.js";
import { causeRemedy, heapRemedy } from "./remedies.js";

const OWNED_ELSEWHERE = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "RegistryUnavailable",
  "CreateContainerConfigError",
  "ContainerCreating",
  "PodInitializing",
]);
const START_WAITING = new Set([
  "RunContainerError",
  "CreateContainerError",
  "StartError",
  "ContainerCannotRun",
]);

interface Context {
  pod: PodFacts;
  container: ContainerFacts;
  termination?: { state: "state" | "lastState"; terminated: TerminatedState };
  log?: { classification: LogClassification; previous: boolean };
  restarting: boolean;
}

export function containersAnalyzer(pod: PodFacts): Candidate[] {
  if (isEvicted(pod)) return [];
  const out: Candidate[] = [];
  for (const container of pod.containers) {
    const status = container.status;
    if (!status) continue;
    const waiting = status.state.waiting?.reason;
    if (waiting !== undefined && OWNED_ELSEWHERE.has(waiting)) {
      // An init container that is Initializing fine, or a pull/config problem: not ours.
      continue;
    }
    const termination = lastTermination(container);
    const logRef = logOfTermination(container);
    const classification = logRef ? classifiedLog(container, logRef.previous) : undefined;
    const ctx: Context = {
      pod,
      container,
      restarting:
        waiting === "CrashLoopBackOff" ||
        status.restartCount > 0 ||
        container.events.some((e) => e.reason === "BackOff" && /restarting failed container/.test(e.message)),
    };
    if (termination) ctx.termination = termination;
    if (classification && logRef) ctx.log = { classification, previous: logRef.previous };
    const found = classify(ctx);
    if (found) out.push(found);
  }
  return out;
}

function classify(ctx: Context): Candidate | undefined {
  const { pod, container, termination } = ctx;
  const status = container.status;
  const waiting = status?.state.waiting;
  const t = termination?.terminated;
  const isInit = container.kind === "init";

  if (waiting?.reason !== undefined && START_WAITING.has(waiting.reason)) return startFailed(ctx);
  if (t?.reason === "OOMKilled") return oomKilled(ctx);
  if (t !== undefined && isKillSignalExit(t.exitCode) && killedByProbe(pod, container)) return undefined;
  // An exec failure counts only as the last thing the process said (a long-running app may log a
  // failed `exec` of some helper and die of something else later).
  const startFailure = ctx.log?.classification.startFailure;
  const execFailedAtEnd =
    startFailure !== undefined &&
    !ctx.log?.classification.decisive &&
    (ctx.log?.classification.tail.slice(-5).includes(startFailure.line) ?? false);
  if (
    t !== undefined &&
    (isStartFailureExit(t.exitCode, t.reason) ||
      (t.exitCode === 128 && /OCI runtime|failed to (?:create|start)|exec/i.test(t.message ?? "")) ||
      (t.exitCode !== 0 && execFailedAtEnd))
  ) {
    return startFailed(ctx);
  }

  if (t !== undefined && t.exitCode === 0) {
    if (isInit || !ctx.restarting || pod.restartPolicy !== "Always") return undefined;
    // An app that handles SIGTERM exits 0 when the kubelet kills it for failing liveness.
    if (killedByProbe(pod, container)) return undefined;
    if (container.probes.liveness) return probeKillSuspected(ctx);
    return crashLoop(ctx, "completed");
  }
  if (t !== undefined && (t.exitCode !== undefined || t.reason === "Error")) {
    if (isKillSignalExit(t.exitCode) && !ctx.log?.classification.decisive) {
      if (isInit) return processFailed(ctx, "InitContainerFailed");
      // Running again after an occasional kill (node restart, rollout, manual kill): not a failure.
      if (status?.state.running && (status.restartCount ?? 0) < 3) return undefined;
      if (ctx.restarting) return crashLoop(ctx, "killed");
      if (pod.deleting) return undefined;
    }
    return processFailed(ctx, isInit ? "InitContainerFailed" : "AppError");
  }
  if (waiting?.reason === "CrashLoopBackOff") {
    if (isInit) return processFailed(ctx, "InitContainerFailed");
    return ctx.log?.classification.decisive ? processFailed(ctx, "AppError") : crashLoop(ctx, "unknown");
  }
  if (
    isInit &&
    status?.state.running &&
    pod.conditions.some((c) => c.type === "Initialized" && c.status === "False")
  ) {
    return initStillRunning(ctx);
  }
  return undefined;
}

const SANDBOX_FAILURES = new Set(["FailedCreatePodSandBox", "FailedCreatePodContainer"]);

/**
 * Containers stuck in ContainerCreating because the runtime cannot create the pod sandbox (CNI,
 * runtime): StartFailed for the pod — its containers cannot start.
 */
export function sandboxAnalyzer(pod: PodFacts): Candidate[] {
  const failures = pod.events.filter((e) => e.type === "Warning" && SANDBOX_FAILURES.has(e.reason));
  const creating = pod.containers.filter(
    (c) => c.status?.state.waiting?.reason === "ContainerCreating" || !c.status,
  );
  if (failures.length === 0 || creating.length === 0 || pod.containers.some((c) => c.status?.state.running))
    return [];
  const node = pod.nodeName ?? "<node>";
  return [
    candidate({
      code: "StartFailed",
      severity: "critical",
      summary: `The containers of ${pod.name} cannot start: the container runtime fails to create the pod sandbox on node ${node} (${failures[0]?.reason}).`,
      evidence: [
        ...failures.slice(0, 2).map(describeEvent),
        `containers waiting: ${creating.map((c) => `${c.name} ${c.status?.state.waiting?.reason ?? "(no status)"}`).join(", ")}`,
      ],
      remediation: `This is the node's runtime or network plugin, not the app: kubectl describe node ${node}; check the CNI and runtime pods on it (kubectl -n kube-system get pods -o wide --field-selector spec.nodeName=${node}); then ${kubectl(pod)} delete pod ${pod.name} to retry.`,
      commands: [
        `kubectl describe node ${node}`,
        `kubectl -n kube-system get pods -o wide --field-selector spec.nodeName=${node}`,
        `${kubectl(pod)} delete pod ${pod.name}`,
      ],
    }),
  ];
}

function baseEvidence(ctx: Context): string[] {
  const { container, termination } = ctx;
  const status = container.status;
  const evidence: string[] = [];
  const waiting = status?.state.waiting;
  if (waiting?.reason) {
    evidence.push(
      `${statusPath(container)}.state.waiting.reason: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ""}`,
    );
  }
  if (termination) {
    const t = termination.terminated;
    evidence.push(
      `${statusPath(container)}.${termination.state}.terminated: reason=${t.reason ?? "?"} exitCode=${
        t.exitCode === undefined ? "?" : describeExitCode(t.exitCode)
      }${t.finishedAt ? ` finishedAt=${t.finishedAt}` : ""}`,
    );
    if (t.message)
      evidence.push(`${statusPath(container)}.${termination.state}.terminated.message: ${t.message}`);
  }
  if (status && status.restartCount > 0) evidence.push(`restartCount: ${status.restartCount}`);
  if (status?.state.running && termination?.state === "lastState") {
    evidence.push(
      `${statusPath(container)}.state: running since ${status.state.running.startedAt ?? "?"}, ready=${status.ready ?? "?"}`,
    );
  }
  // The back-off event repeats what a CrashLoopBackOff waiting state already says.
  const backOff = container.events.find((e) => e.reason === "BackOff");
  if (backOff && waiting?.reason !== "CrashLoopBackOff") evidence.push(describeEvent(backOff));
  return evidence;
}

function logLines(ctx: Context, max = 4): string[] {
  const log = ctx.log;
  if (!log) return [];
  const name = ctx.container.name;
  const c = log.classification;
  const quote = (line: string) => logEvidence(name, log.previous, line);
  const out: string[] = [];
  if (c.cause && c.cause.line !== c.decisive?.line) out.push(quote(`${c.cause.line}${repeatNote(c.cause)}`));
  if (c.decisive) {
    const repeats = c.cause?.line === c.decisive.line ? repeatNote(c.cause) : "";
    out.push(
      quote(`${c.decisive.line}${repeats}`),
      ...c.decisive.context.slice(0, max - 1).map((line) => quote(line)),
    );
    return out;
  }
  if (c.primary) {
    out.push(quote(`${c.primary.line}${repeatNote(c.primary)}`));
    const latest = c.errors[c.errors.length - 1];
    if (latest && latest.line !== c.primary.line) out.push(quote(`${latest.line}${repeatNote(latest)}`));
    return out;
  }
  return c.tail.slice(-2).map(quote);
}

function startFailed(ctx: Context): Candidate {
  const { pod, container } = ctx;
  const waiting = container.status?.state.waiting;
  const t = ctx.termination?.terminated;
  const evidence = baseEvidence(ctx);
  const logLine = ctx.log?.classification.startFailure?.line;
  if (logLine && ctx.log) evidence.push(logEvidence(container.name, ctx.log.previous, logLine));
  const commandLine = [...container.command, ...container.args];
  if (commandLine.length > 0) {
    evidence.push(
      `${containerPath(container)}: command=${JSON.stringify(container.command)} args=${JSON.stringify(container.args)}`,
    );
  }
  if (container.image) evidence.push(`${containerPath(container)}.image: ${container.image}`);

  const said = `${waiting?.message ?? ""} ${t?.message ?? ""} ${logLine ?? ""}`;
  const cause = /exec format error/i.test(said)
    ? "format"
    : /permission denied/i.test(said) || t?.exitCode === 126
      ? "permission"
      : /not found|no such file|executable file not found/i.test(said) || t?.exitCode === 127
        ? "missing"
        : "other";
  const path = missingPath(said) ?? container.command[0];
  const image = container.image ?? "the image";
  const what =
    cause === "format"
      ? `the binary in ${image} is built for another CPU architecture (exec format error)`
      : cause === "permission"
        ? `${path ?? "the command"} is not executable (permission denied)`
        : cause === "missing"
          ? `${path ?? "the command"} does not exist in ${image}`
          : (waiting?.message ?? t?.message ?? "the runtime could not start the process");
  const exit =
    t?.exitCode !== undefined ? ` (exit ${t.exitCode})` : waiting?.reason ? ` (${waiting.reason})` : "";
  const arch = pod.node?.labels["kubernetes.io/arch"];
  const remedy =
    cause === "format"
      ? `Rebuild ${image} for the node's architecture${arch ? ` (${arch})` : ""}, e.g. docker buildx build --platform linux/amd64,linux/arm64 -t ${image} --push ., or schedule the pod on matching nodes (nodeSelector kubernetes.io/arch).`
      : cause === "permission"
        ? `Make ${path ?? "the entrypoint"} executable in the image (RUN chmod +x ${path ?? "<file>"}) or check that it is not on a noexec mount; then roll out the new image.`
        : cause === "missing"
          ? `Check what the image contains (docker run --rm --entrypoint sh ${image} -c 'ls -l ${dirOf(path)}') and fix ${containerPath(container)}.command/args in ${workloadRef(pod)}, or the image's build so that ${path ?? "the command"} exists.`
          : `Fix ${containerPath(container)}.command/args or the image entrypoint in ${workloadRef(pod)}; ${kubectl(pod)} describe pod ${pod.name} shows the runtime error.`;
  return candidate(
    withContainer(
      {
        code: "StartFailed",
        severity: "critical",
        summary: `${kindLabel(container)} ${container.name} cannot start${exit}: ${what}.`,
        evidence,
        remediation: remedy,
        commands:
          cause === "format"
            ? [
                ...(pod.nodeName
                  ? [`kubectl get node ${pod.nodeName} -o jsonpath='{.status.nodeInfo.architecture}'`]
                  : []),
                ...(container.image ? [`docker manifest inspect ${container.image}`] : []),
              ]
            : (cause === "missing" || cause === "permission") && container.image
              ? [
                  `docker run --rm --entrypoint sh ${container.image} -c ${shellQuote(`ls -l ${dirOf(path)}`)}`,
                ]
              : [`${kubectl(pod)} describe pod ${pod.name}`],
      },
      container.name,
    ),
  );
}

function oomKilled(ctx: Context): Candidate {
  const { pod, container } = ctx;
  const evidence = baseEvidence(ctx);
  const limit = container.limits.memory;
  const request = container.requests.memory;
  evidence.push(
    limit !== undefined
      ? `${containerPath(container)}.resources.limits.memory: ${limit}${request !== undefined ? ` (requests.memory: ${request})` : ""}`
      : `${containerPath(container)}.resources.limits.memory: not set${request !== undefined ? ` (requests.memory: ${request})` : ""}`,
  );
  const parsed = parseQuantity(limit);
  const next = parsed !== undefined ? suggestMemory(parsed, 1.5) : undefined;
  const restarts = container.status?.restartCount ?? 0;
  const exitCode = ctx.termination?.terminated.exitCode;
  const heap = heapRemedy(pod, container, undefined, true);
  if (heap.what !== "") evidence.push(...heap.evidence.filter((e) => !evidence.includes(e)));
  const top = `${kubectl(pod)} top pod ${pod.name} --containers`;
  const summary = `${kindLabel(container)} ${container.name} was OOMKilled (exit ${exitCode ?? "?"})${
    restarts > 0 ? `, ${restarts} restart${restarts === 1 ? "" : "s"} so far` : ""
  }: it used more memory than its limit${limit !== undefined ? ` of ${limit}` : " (no limit set: the node ran out of memory)"}${
    heap.what !== "" ? `; ${heap.what}` : ""
  }.`;
  let remediation: string;
  let commands: string[];
  if (heap.what !== "") {
    remediation = heap.remediation;
    commands = [...heap.commands, top];
  } else if (next !== undefined) {
    const set = setResources(pod, container, "limits", "memory", next);
    remediation = `Raise resources.limits.memory of ${container.name} from ${limit} to ${next} (1.5× the limit it outgrew, in 64Mi steps): ${set}; or make the process use less memory (smaller caches/heap, fewer workers). Watch usage with ${top}.`;
    commands = [...(set.startsWith("kubectl") ? [set] : []), top];
  } else {
    remediation = `Give ${container.name} a memory request and limit that cover its real usage, measured with ${top} (a container without a limit is killed when the node runs out of memory).`;
    commands = [top];
  }
  return candidate(
    withContainer(
      { code: "OOMKilled", severity: containerSeverity(container), summary, evidence, remediation, commands },
      container.name,
    ),
  );
}

function processFailed(
  ctx: Context,
  code: Extract<FindingCode, "AppError" | "InitContainerFailed">,
): Candidate {
  const { pod, container } = ctx;
  const t = ctx.termination?.terminated;
  const evidence = [...baseEvidence(ctx), ...logLines(ctx)];
  if (code === "InitContainerFailed") {
    const initialized = pod.conditions.find((c) => c.type === "Initialized" && c.status === "False");
    if (initialized)
      evidence.push(`condition Initialized=False${initialized.message ? `: ${initialized.message}` : ""}`);
    const blocked = pod.containers.filter(
      (c) => c.kind === "main" && c.status?.state.waiting?.reason === "PodInitializing",
    );
    if (blocked.length > 0)
      evidence.push(`main containers waiting: ${blocked.map((c) => `${c.name} PodInitializing`).join(", ")}`);
  }
  const decisive = ctx.log?.classification.decisive?.line;
  const cause = ctx.log?.classification.cause;
  const remedy = cause && ctx.log ? causeRemedy(pod, container, cause, ctx.log.previous) : undefined;
  if (remedy) for (const line of remedy.evidence) if (!evidence.includes(line)) evidence.push(line);
  const exit =
    t?.exitCode !== undefined
      ? cause?.kind === "heap" && t.exitCode !== 1
        ? `with code ${t.exitCode} after its heap ran out (not a crash of its own code)`
        : `with code ${describeExitCode(t.exitCode)}`
      : "with an error";
  const repeats = cause && cause.line === decisive ? repeatNote(cause) : "";
  // Without a crash signal, the best-ranked error line of the whole log is the one to quote.
  const primary = ctx.log?.classification.primary;
  const why = decisive
    ? `${decisive}${repeats}`
    : t?.message
      ? t.message
      : primary && primary.severity >= 2
        ? `${primary.line}${repeatNote(primary)}`
        : undefined;
  const because = remedy ? ` — ${remedy.what}` : "";
  const summary =
    code === "InitContainerFailed"
      ? `Init container ${container.name} exits ${exit}${why ? `: ${why}` : ""}${because}; the main containers cannot start until it succeeds.`
      : `${container.name} exits ${exit}${why ? `: ${why}` : ""}${because}${
          container.status?.state.waiting?.reason === "CrashLoopBackOff"
            ? ", so the kubelet keeps restarting it (CrashLoopBackOff)"
            : ""
        }.`;
  const logsCommand = logsOf(pod, container, ctx.log?.previous !== false);
  const location = ctx.log?.classification.decisive?.context.find((l) =>
    /File "|\.(?:go|java|js|ts|py|rb|rs):\d+/.test(l),
  );
  const remediation = remedy
    ? `${remedy.remediation} Read the full output with ${logsCommand}.`
    : code === "InitContainerFailed"
      ? `Fix what ${container.name} does so that it exits 0${decisive ? ` (it fails with: ${decisive})` : ""}; read the whole output with ${logsCommand}. The pod retries the init container on its own; roll out the fix to ${workloadRef(pod)}.`
      : `Fix the application error${decisive ? ` "${decisive}"` : primary && primary.severity >= 2 ? ` "${primary.line}"` : ""}${location ? ` (${location.trim()})` : ""} and roll out a fixed image to ${workloadRef(pod)}; read the full output with ${logsCommand}.`;
  const commands = remedy && remedy.commands.length > 0 ? remedy.commands : [logsCommand];
  return candidate(
    withContainer(
      {
        code,
        severity: code === "InitContainerFailed" ? "critical" : containerSeverity(container),
        summary,
        evidence,
        remediation,
        commands,
      },
      container.name,
    ),
  );
}

function crashLoop(ctx: Context, why: "completed" | "killed" | "unknown"): Candidate {
  const { pod, container } = ctx;
  const t = ctx.termination?.terminated;
  const evidence = [...baseEvidence(ctx), ...logLines(ctx, 2)];
  const summary =
    why === "completed"
      ? `${container.name} exits successfully (exit 0, reason ${t?.reason ?? "Completed"}) but restartPolicy is ${pod.restartPolicy}, so the kubelet restarts it again and again (CrashLoopBackOff).`
      : why === "killed"
        ? `${container.name} keeps being stopped from outside (exit ${t?.exitCode === undefined ? "?" : describeExitCode(t.exitCode)}) with no OOMKilled reason and no probe failure on record; the kubelet backs off restarting it (CrashLoopBackOff).`
        : `${container.name} keeps restarting (CrashLoopBackOff) and the evidence shows no more specific cause.`;
  const commandLine = [...container.command, ...container.args];
  const job =
    container.image !== undefined
      ? `${kubectl(pod)} create job ${pod.workload.name}-run --image=${container.image}${commandLine.length > 0 ? ` -- ${commandLine.map(shellQuote).join(" ")}` : ""}`
      : undefined;
  const remediation =
    why === "completed"
      ? `This is a run-to-completion task: run it as a Job (or a CronJob on the schedule it needs) instead of a ${pod.workload.kind}${job ? `, e.g. ${job}` : ""}, then remove ${workloadRef(pod)}; or, if it should serve, find why its main process returns (it must stay in the foreground).`
      : `Read the last run's output and events: ${logsOf(pod, container, true)}; ${kubectl(pod)} describe pod ${pod.name}${
          why === "killed"
            ? "; a SIGKILL/SIGTERM without OOMKilled is often a child process killed by the OOM killer or a preStop/termination timeout"
            : ""
        }.`;
  const commands =
    why === "completed"
      ? [...(job ? [job] : [])]
      : [logsOf(pod, container, true), `${kubectl(pod)} describe pod ${pod.name}`];
  return candidate(
    withContainer(
      {
        code: "CrashLoopBackOff",
        severity: containerSeverity(container),
        summary,
        evidence,
        remediation,
        commands,
      },
      container.name,
    ),
  );
}

/**
 * Restarts that end with exit 0 in a container with a liveness probe: an app that handles SIGTERM
 * exits 0 (reason Completed) when the kubelet kills it for failing liveness. The Unhealthy and
 * Killing events expire after an hour, so the probe is the suspect even without them.
 */
function probeKillSuspected(ctx: Context): Candidate {
  const { pod, container } = ctx;
  const probe = container.probes.liveness;
  const evidence = [...baseEvidence(ctx)];
  if (probe) evidence.push(`${containerPath(container)}.livenessProbe: ${describeProbe(probe)}`);
  evidence.push(...logLines(ctx, 2));
  const restarts = container.status?.restartCount ?? 0;
  const events = `kubectl -n ${pod.namespace} get events --field-selector involvedObject.name=${pod.name},reason=Unhealthy`;
  return candidate(
    withContainer(
      {
        code: "LivenessProbeFailed",
        severity: containerSeverity(container),
        summary: `${container.name} keeps being restarted (${restarts} restarts) although each run exits 0 (reason ${ctx.termination?.terminated.reason ?? "Completed"}): an app that handles SIGTERM exits 0 when the kubelet stops it, and it has a liveness probe — most likely the probe fails and the kubelet restarts it (the probe events may have expired).`,
        evidence,
        remediation: `Check the liveness endpoint${probe?.path ? ` ${probe.path}` : ""} from inside the pod and its timing (timeoutSeconds=${probe?.timeoutSeconds ?? "?"}, failureThreshold=${probe?.failureThreshold ?? "?"}); keep the liveness check to the process itself. Recent Unhealthy events confirm it.`,
        commands: [events, `${kubectl(pod)} describe pod ${pod.name}`],
      },
      container.name,
    ),
    RANK.LivenessProbeFailed,
  );
}

function initStillRunning(ctx: Context): Candidate {
  const { pod, container } = ctx;
  const evidence = [
    `${statusPath(container)}.state: running since ${container.status?.state.running?.startedAt ?? "?"}`,
    ...pod.conditions
      .filter((c) => c.type === "Initialized" && c.status === "False")
      .map((c) => `condition Initialized=False${c.message ? `: ${c.message}` : ""}`),
    ...logLines(ctx, 2),
  ];
  return candidate(
    withContainer(
      {
        code: "InitContainerFailed",
        severity: "warning",
        summary: `Init container ${container.name} has not finished, so the main containers have not started; it is probably waiting for something (see its log).`,
        evidence,
        remediation: `See what it waits for: ${kubectl(pod)} logs ${pod.name} -c ${container.name}; make that dependency available or fix the init container's check in ${workloadRef(pod)}.`,
        commands: [logsOf(pod, container, false)],
      },
      container.name,
    ),
  );
}

function kindLabel(container: ContainerFacts): string {
  return container.kind === "init"
    ? "Init container"
    : container.kind === "sidecar"
      ? "Sidecar container"
      : "Container";
}

/** The path a runtime or shell could not execute: `exec: "/app/x": …`, `exec /app/x: …`, `sh: 1: exec: /x: not found`. */
function missingPath(message: string): string | undefined {
  return (
    /exec(?:ve)?:? "?([^\s":]+)"?:? (?:stat [^:]+: )?(?:not found|no such file|executable file not found|permission denied|exec format error)/i.exec(
      message,
    )?.[1] ?? /(\/[\w./-]+): (?:not found|No such file|Permission denied)/.exec(message)?.[1]
  );
}

function dirOf(path: string | undefined): string {
  if (path === undefined || !path.includes("/")) return "/";
  return path.slice(0, path.lastIndexOf("/")) || "/";
}
