/**
 * Remediation commands with the bundle's real names: the namespace, the workload that owns the
 * pod (a fix goes to the Deployment, not to a pod that will be replaced), the container.
 */
import type { ContainerFacts, PodFacts } from "./facts.js";

/** `kubectl -n <ns>`. */
export function kubectl(pod: PodFacts): string {
  return `kubectl -n ${pod.namespace}`;
}

/** `deployment/checkout-api`, or `pod/<name>` for a bare pod. */
export function workloadRef(pod: PodFacts): string {
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
