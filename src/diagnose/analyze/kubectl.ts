/**
 * Remediation commands with the bundle's real names: the namespace, the workload that owns the
 * pod (a fix goes to the Deployment, not to a pod that will be replaced), the container.
 *
 * Names from a bundle are hostile input (a forged file can name its namespace
 * `shop;touch${IFS}/tmp/pwned`), so every name is checked against Kubernetes' own rules before it
 * appears in a command. A name that fails is shown quoted instead, and no command is suggested:
 * the builders return a sentence instead of a command, and guardRemediation replaces a finding's
 * whole fix when the pod, its namespace, its owner or the finding's container has such a name.
 */
import type { Finding } from "../types.js";
import type { ContainerFacts, PodFacts } from "./facts.js";

/** The naming rule of each kind of object a command can name. */
export type NameKind =
  | "namespace"
  | "pod"
  | "container"
  | "node"
  | "Deployment"
  | "ReplicaSet"
  | "StatefulSet"
  | "DaemonSet"
  | "Job"
  | "CronJob"
  | "Secret"
  | "ConfigMap"
  | "PersistentVolumeClaim";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Kubernetes' rules: namespaces and container names are RFC 1123 labels (at most 63 characters);
 * pods, nodes and the other objects RFC 1123 subdomains (at most 253); a CronJob's name at most 52
 * characters (its Jobs add a suffix). Anything else is not a name a cluster would have written.
 */
export function isValidName(kind: NameKind, name: string): boolean {
  switch (kind) {
    case "namespace":
    case "container":
      return name.length <= 63 && DNS_LABEL.test(name);
    case "CronJob":
      return name.length <= 52 && DNS_SUBDOMAIN.test(name);
    default:
      return name.length <= 253 && DNS_SUBDOMAIN.test(name);
  }
}

/** A name as text, never as part of a command: quoted, controls escaped, shortened. */
export function quoteName(name: string): string {
  const shown = name.length > 80 ? `${name.slice(0, 60)}…${name.slice(-12)}` : name;
  return JSON.stringify(shown);
}

/** The pod's names that a command would use and that break Kubernetes' rules. */
export function invalidNames(pod: PodFacts, container?: ContainerFacts | string): string[] {
  const bad: string[] = [];
  if (!isValidName("namespace", pod.namespace)) bad.push(`namespace ${quoteName(pod.namespace)}`);
  if (!isValidName("pod", pod.name)) bad.push(`pod ${quoteName(pod.name)}`);
  const kind = pod.workload.kind;
  if (kind !== "Pod") {
    const known = workloadKinds.has(kind);
    if (!known || !isValidName(kind as NameKind, pod.workload.name))
      bad.push(`${known ? kind : `owner kind ${quoteName(kind)}`} ${quoteName(pod.workload.name)}`);
  }
  const containerName = typeof container === "string" ? container : container?.name;
  if (containerName !== undefined && !isValidName("container", containerName))
    bad.push(`container ${quoteName(containerName)}`);
  return bad;
}

const workloadKinds = new Set(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"]);

function noCommand(bad: readonly string[]): string {
  return `(no command: the evidence names ${bad.join(" and ")}, which ${bad.length === 1 ? "is not a valid Kubernetes name" : "are not valid Kubernetes names"})`;
}

/**
 * The finding with its fix replaced when a name it would put in a command is invalid: the
 * summary and evidence stay (they show the names quoted), no command is suggested.
 */
export function guardRemediation(pod: PodFacts, finding: Finding): Finding {
  const bad = invalidNames(pod, finding.container);
  // A name taken from a message or a log line (a Secret, a Service, an image) can still carry shell
  // syntax: a command that is not plain words and quoted strings is not suggested at all.
  const unsafe = (finding.commands ?? []).filter((command) => !isPasteSafe(command));
  if (unsafe.length > 0 && bad.length === 0) {
    return {
      ...finding,
      remediation: `No command is suggested: the evidence puts shell syntax into a command (${quoteName(unsafe[0] ?? "")}), so it was not written by a cluster as it is. Check where this evidence came from.`,
      commands: [],
    };
  }
  if (bad.length === 0) return finding;
  const guarded: Finding = {
    ...finding,
    remediation: `No command is suggested: the evidence names ${bad.join(" and ")}, which ${
      bad.length === 1 ? "is not a valid Kubernetes name" : "are not valid Kubernetes names"
    }, so it was not written by a cluster as it is. Check where this evidence came from.`,
    commands: [],
  };
  return guarded;
}

/** `kubectl -n <ns>`. */
export function kubectl(pod: PodFacts): string {
  if (!isValidName("namespace", pod.namespace)) return noCommand([`namespace ${quoteName(pod.namespace)}`]);
  return `kubectl -n ${pod.namespace}`;
}

/** `deployment/checkout-api`, or `pod/<name>` for a bare pod. */
export function workloadRef(pod: PodFacts): string {
  const bad = invalidNames({ ...pod, namespace: "default" });
  if (bad.length > 0) return noCommand(bad);
  return `${pod.workload.kind.toLowerCase()}/${pod.workload.name}`;
}

export function isBarePod(pod: PodFacts): boolean {
  return pod.workload.kind === "Pod";
}

/** Where the pod template lives inside the workload, as a JSON pointer (undefined for a bare pod). */
export function templatePointer(pod: PodFacts): string | undefined {
  switch (pod.workload.kind) {
    case "Pod":
      return undefined;
    case "CronJob":
      return "/spec/jobTemplate/spec/template/spec";
    default:
      return "/spec/template/spec";
  }
}

/**
 * A `kubectl patch --type=json` that replaces one field of a container in the workload's pod
 * template, e.g. livenessProbe/timeoutSeconds; undefined when it cannot be addressed.
 */
export function patchContainerField(
  pod: PodFacts,
  container: ContainerFacts,
  field: string,
  value: unknown,
  op: "replace" | "add" = "replace",
): string | undefined {
  const template = templatePointer(pod);
  if (template === undefined || container.specIndex < 0) return undefined;
  if (invalidNames(pod, container).length > 0) return undefined;
  const list = container.kind === "main" ? "containers" : "initContainers";
  const json = JSON.stringify([{ op, path: `${template}/${list}/${container.specIndex}/${field}`, value }]);
  return `${kubectl(pod)} patch ${workloadRef(pod)} --type=json -p='${json}'`;
}

/**
 * Sets resources for one container: `kubectl set resources` for a workload's regular container,
 * a JSON patch for an init container, and a manifest change for a bare pod (resources of a running
 * pod cannot be edited).
 */
export function setResources(
  pod: PodFacts,
  container: ContainerFacts,
  kind: "limits" | "requests" | "both",
  resource: string,
  value: string,
): string {
  const bad = invalidNames(pod, container);
  if (bad.length > 0) return noCommand(bad);
  if (isBarePod(pod)) {
    const fields = kind === "both" ? `requests.${resource} and limits.${resource}` : `${kind}.${resource}`;
    return `recreate pod ${pod.name} with ${fieldOwner(container)}.resources.${fields}: ${value} (a bare pod's resources cannot be changed in place)`;
  }
  if (container.kind === "main") {
    const flags =
      kind === "both"
        ? `--requests=${resource}=${value} --limits=${resource}=${value}`
        : `--${kind}=${resource}=${value}`;
    return `${kubectl(pod)} set resources ${workloadRef(pod)} -c ${container.name} ${flags}`;
  }
  const resources =
    kind === "both"
      ? { requests: { [resource]: value }, limits: { [resource]: value } }
      : { [kind]: { [resource]: value } };
  return strategicContainerPatch(pod, container, { resources });
}

/**
 * A strategic merge patch of one container of the workload's pod template: containers and
 * initContainers merge by name, so it works whatever the container's position.
 */
export function strategicContainerPatch(pod: PodFacts, container: ContainerFacts, change: object): string {
  const bad = invalidNames(pod, container);
  if (bad.length > 0) return noCommand(bad);
  const list = container.kind === "main" ? "containers" : "initContainers";
  let body: object = { [list]: [{ name: container.name, ...change }] };
  if (pod.workload.kind === "CronJob") body = { jobTemplate: { spec: { template: { spec: body } } } };
  else if (!isBarePod(pod)) body = { template: { spec: body } };
  return `${kubectl(pod)} patch ${workloadRef(pod)} -p '${JSON.stringify({ spec: body })}'`;
}

function fieldOwner(container: ContainerFacts): string {
  return `${container.kind === "main" ? "containers" : "initContainers"}[${container.name}]`;
}

/** A word for a POSIX shell: as is when safe, else in single quotes. */
export function shellQuote(value: string): string {
  if (/^[\w@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `kubectl -n <ns> set env <workload> -c <container> NAME=value` (shell-quoted). */
export function setEnv(pod: PodFacts, container: ContainerFacts, name: string, value: string): string {
  return `${kubectl(pod)} set env ${workloadRef(pod)} -c ${container.name} ${shellQuote(`${name}=${value}`)}`;
}

/** Lists the container's env as the workload defines it (read-only). */
export function listEnv(pod: PodFacts, container: ContainerFacts): string {
  return `${kubectl(pod)} set env ${workloadRef(pod)} -c ${container.name} --list`;
}

/**
 * A strategic merge patch of the workload's pod spec (volumes, securityContext, containers by
 * name), shell-quoted; undefined for a bare pod, whose spec cannot be changed in place.
 */
export function podSpecPatch(pod: PodFacts, spec: object): string | undefined {
  if (isBarePod(pod)) return undefined;
  const body =
    pod.workload.kind === "CronJob"
      ? { spec: { jobTemplate: { spec: { template: { spec } } } } }
      : { spec: { template: { spec } } };
  return `${kubectl(pod)} patch ${workloadRef(pod)} --type=strategic -p ${shellQuote(JSON.stringify(body))}`;
}

/** `kubectl -n <ns> <verb> <kind> <name>` for a read-only look at an object. */
export function inspect(
  pod: PodFacts,
  verb: "get" | "describe",
  kind: string,
  name: string,
  namespace = pod.namespace,
): string {
  return `kubectl -n ${namespace} ${verb} ${kind} ${name}`;
}

/** The EndpointSlices of a Service (read-only). */
export function endpointSlices(namespace: string, service: string): string {
  return `kubectl -n ${namespace} get endpointslices -l kubernetes.io/service-name=${service}`;
}

/** `kubectl -n <ns> rollout restart <workload>` (env read from Secrets is only read at start). */
export function rolloutRestart(pod: PodFacts): string | undefined {
  return isBarePod(pod) ? undefined : `${kubectl(pod)} rollout restart ${workloadRef(pod)}`;
}

/** `kubectl -n <ns> logs <pod> -c <container> [--previous]`. */
export function logsOf(pod: PodFacts, container: ContainerFacts, previous: boolean): string {
  return `${kubectl(pod)} logs ${pod.name} -c ${container.name}${previous ? " --previous" : ""}`;
}

/**
 * Whether a command is safe to paste into a POSIX shell: plain words, single-quoted strings,
 * double-quoted strings without expansions, and a pipe into grep. Nothing that expands, redirects,
 * substitutes, chains or ends a command early (`;`, `&&`, `$`, backticks, `(`, `<`, `>`, `#`, `*`).
 */
export function isPasteSafe(command: string): boolean {
  let i = 0;
  const n = command.length;
  let words = 0;
  while (i < n) {
    const c = command[i] as string;
    if (c === " ") {
      i++;
      continue;
    }
    // The one pipe our commands use: into grep, which runs nothing it is given.
    if (command.startsWith("| grep ", i) && words > 0) {
      i += 7;
      continue;
    }
    // One word: unquoted runs and quoted strings glued together.
    while (i < n && command[i] !== " ") {
      const ch = command[i] as string;
      if (ch === "'") {
        const close = command.indexOf("'", i + 1);
        if (close < 0 || /[\n\r]/.test(command.slice(i + 1, close))) return false;
        i = close + 1;
      } else if (ch === '"') {
        const close = command.indexOf('"', i + 1);
        if (close < 0 || /[$`\\!\n\r]/.test(command.slice(i + 1, close))) return false;
        i = close + 1;
      } else if (/[A-Za-z0-9._/:=,@%+\-[\]{}^~]/.test(ch)) i++;
      else return false;
    }
    words++;
  }
  return words > 0;
}
