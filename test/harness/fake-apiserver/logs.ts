/**
 * Container logs for `pods/log`: text appended by the test's "kubelet", served with the options the
 * real endpoint takes (container, previous, tailLines, limitBytes, timestamps, sinceSeconds,
 * sinceTime, follow) and the real errors: the apiserver's container choice (`a container name must be
 * specified for pod x, choose one of: [a b]`, `container c is not valid for pod x`) and the kubelet's
 * (`previous terminated container "c" in pod "x" not found`, `container "c" in pod "x" is waiting to
 * start: ContainerCreating`), each as 400 BadRequest. A follow stream stays open until `endLog`, the
 * pod's deletion, or `limitBytes`.
 */
import type { ServerResponse } from "node:http";
import { badRequest } from "./errors.js";
import type { KubeObject } from "./objects.js";
import { isObject, pathValue } from "./objects.js";

interface LogLine {
  time: Date;
  text: string;
}

interface ContainerLog {
  current: LogLine[];
  previous: LogLine[] | undefined;
  ended: boolean;
  followers: Set<Follower>;
}

interface Follower {
  write(line: LogLine): void;
  end(): void;
}

export interface LogQuery {
  container: string;
  previous: boolean;
  follow: boolean;
  timestamps: boolean;
  tailLines: number | undefined;
  limitBytes: number | undefined;
  sinceTime: Date | undefined;
}

function containerNames(pod: KubeObject, field: "containers" | "initContainers"): string[] {
  const list = pathValue(pod, ["spec", field]);
  return Array.isArray(list) ? list.filter(isObject).map((c) => String(c.name ?? "")) : [];
}

/** The container a log request reads, resolved as LogLocation does in the apiserver. */
export function resolveContainer(pod: KubeObject, requested: string): string {
  const name = pod.metadata?.name ?? "";
  const containers = containerNames(pod, "containers");
  const inits = containerNames(pod, "initContainers");
  if (requested === "") {
    if (containers.length === 1) return containers[0] ?? "";
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`;
    if (inits.length > 0) message += ` or one of the init containers: [${inits.join(" ")}]`;
    throw badRequest(message);
  }
  if (!containers.includes(requested) && !inits.includes(requested)) {
    throw badRequest(`container ${requested} is not valid for pod ${name}`);
  }
  return requested;
}

function waitingReason(pod: KubeObject, container: string): string | undefined {
  for (const field of ["containerStatuses", "initContainerStatuses"]) {
    const statuses = pathValue(pod, ["status", field]);
    if (!Array.isArray(statuses)) continue;
    for (const status of statuses.filter(isObject)) {
      if (status.name !== container) continue;
      const waiting = pathValue(status, ["state", "waiting"]);
      if (isObject(waiting)) return String(waiting.reason ?? "ContainerCreating");
    }
  }
  return undefined;
}

function splitLines(text: string, time: Date): LogLine[] {
  return text
    .split(/(?<=\n)/)
    .filter((piece) => piece !== "")
    .map((piece) => ({ time, text: piece }));
}

function render(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${line.time.toISOString()} ${line.text}` : line.text;
}

export class LogBook {
  private readonly logs = new Map<string, ContainerLog>();

  private entry(
    namespace: string,
    pod: string,
    container: string,
    create: boolean,
  ): ContainerLog | undefined {
    const key = `${namespace}/${pod}/${container}`;
    let log = this.logs.get(key);
    if (log === undefined && create) {
      log = { current: [], previous: undefined, ended: false, followers: new Set() };
      this.logs.set(key, log);
    }
    return log;
  }

  append(namespace: string, pod: string, container: string, text: string, previous: boolean): void {
    const log = this.entry(namespace, pod, container, true) as ContainerLog;
    const lines = splitLines(text, new Date());
    if (previous) {
      log.previous = [...(log.previous ?? []), ...lines];
      return;
    }
    log.current.push(...lines);
    for (const follower of log.followers) for (const line of lines) follower.write(line);
  }

  /** Ends the current container's log: open follow streams finish, later follows return at once. */
  end(namespace: string, pod: string, container: string): void {
    const log = this.entry(namespace, pod, container, true) as ContainerLog;
    log.ended = true;
    for (const follower of log.followers) follower.end();
    log.followers.clear();
  }

  /** The pod is gone: its follow streams end and its logs are dropped. */
  forgetPod(namespace: string, pod: string): void {
    for (const [key, log] of this.logs) {
      if (!key.startsWith(`${namespace}/${pod}/`)) continue;
      for (const follower of log.followers) follower.end();
      this.logs.delete(key);
    }
  }

  /** Ends every follow stream (server shutdown). */
  closeAll(): void {
    for (const log of this.logs.values()) {
      for (const follower of log.followers) follower.end();
      log.followers.clear();
    }
  }

  /** Validates the request against the pod as the apiserver and kubelet do; throws 400 BadRequest. */
  check(pod: KubeObject, query: LogQuery): string {
    const container = resolveContainer(pod, query.container);
    const namespace = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    const log = this.entry(namespace, name, container, false);
    if (query.previous) {
      if (log?.previous === undefined) {
        throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
      }
      return container;
    }
    const reason = waitingReason(pod, container);
    if ((log === undefined || log.current.length === 0) && reason !== undefined) {
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
    }
    return container;
  }

  /** Writes the selected log to `res`, keeping it open while following. */
  serve(pod: KubeObject, container: string, query: LogQuery, res: ServerResponse): void {
    const namespace = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    const log = this.entry(namespace, name, container, false);
    let lines = (query.previous ? log?.previous : log?.current) ?? [];
    if (query.sinceTime !== undefined) {
      const since = query.sinceTime.getTime();
      lines = lines.filter((l) => l.time.getTime() >= since);
    }
    if (query.tailLines !== undefined) lines = query.tailLines === 0 ? [] : lines.slice(-query.tailLines);

    res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private" });
    let budget = query.limitBytes ?? Number.POSITIVE_INFINITY;
    let finished = false;
    const write = (line: LogLine): void => {
      if (finished) return;
      const chunk = Buffer.from(render(line, query.timestamps));
      const part = chunk.length > budget ? chunk.subarray(0, budget) : chunk;
      res.write(part);
      budget -= part.length;
      if (budget <= 0) finish();
    };
    const follower: Follower = { write, end: () => finish() };
    const finish = (): void => {
      if (finished) return;
      finished = true;
      log?.followers.delete(follower);
      res.end();
    };
    for (const line of lines) write(line);
    if (finished) return;
    const keepOpen = query.follow && !query.previous && log !== undefined && !log.ended;
    if (!keepOpen) {
      if (query.follow && !query.previous && log === undefined) {
        // Following a container with no output yet: wait for the first append or the end.
        const created = this.entry(namespace, name, container, true) as ContainerLog;
        created.followers.add(follower);
        res.flushHeaders();
        res.on("close", () => created.followers.delete(follower));
        return;
      }
      finish();
      return;
    }
    log.followers.add(follower);
    res.flushHeaders();
    res.on("close", () => log.followers.delete(follower));
  }
}
