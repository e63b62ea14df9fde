/**
 * ConfigMissing: CreateContainerConfigError. The kubelet cannot build the container's
 * environment because a referenced Secret or ConfigMap (or one of its keys) does not exist:
 *   secret "db-creds" not found · configmap "app-config" not found
 *   couldn't find key password in Secret comms/db-creds
 * The remediation names the env vars that reference the missing object and the keys it needs.
 */
import { type Candidate, candidate, withContainer } from "./candidate.js";
import { describeEvent } from "./events.js";
import { type ContainerFacts, containerPath, type EnvReference, type PodFacts, statusPath } from "./facts.js";
import { kubectl, workloadRef } from "./kubectl.js";

export interface MissingConfig {
  kind: "Secret" | "ConfigMap";
  name: string;
  /** Set when the object exists but the key does not. */
  key?: string;
}

export function parseMissingConfig(message: string): MissingConfig | undefined {
  const key = /couldn't find key (\S+) in (Secret|ConfigMap) (?:[^/\s]+\/)?(\S+)/.exec(message);
  if (key)
    return {
      kind: key[2] === "Secret" ? "Secret" : "ConfigMap",
      name: trimQuote(key[3] ?? ""),
      key: key[1] ?? "",
    };
  const object = /\b(secret|configmap)s? "([^"]+)" not found/i.exec(message);
  if (object)
    return { kind: object[1]?.toLowerCase() === "secret" ? "Secret" : "ConfigMap", name: object[2] ?? "" };
  return undefined;
}

export function configAnalyzer(pod: PodFacts): Candidate[] {
  const out: Candidate[] = [];
  for (const container of pod.containers) {
    const waiting = container.status?.state.waiting;
    const failed = container.events.filter(
      (e) =>
        e.reason === "Failed" &&
        /not found|couldn't find key|runAsNonRoot|CreateContainerConfigError/.test(e.message),
    );
    const configError = waiting?.reason === "CreateContainerConfigError";
    const stuck =
      !container.status?.state.running && failed.some((e) => parseMissingConfig(e.message) !== undefined);
    if (!configError && !stuck) continue;

    const message = waiting?.message ?? failed[0]?.message ?? "";
    const missing =
      parseMissingConfig(message) ??
      failed.map((e) => parseMissingConfig(e.message)).find((m) => m !== undefined);
    const evidence: string[] = [];
    if (waiting?.reason) {
      evidence.push(
        `${statusPath(container)}.state.waiting: reason=${waiting.reason}${waiting.message ? ` message=${waiting.message}` : ""}`,
      );
    }
    for (const event of failed.slice(0, 2)) evidence.push(describeEvent(event));
    const refs = missing ? referencesTo(container, missing) : [];
    if (refs.length > 0)
      evidence.push(`${containerPath(container)} references: ${refs.map(describeReference).join(", ")}`);

    const what = missing
      ? missing.key !== undefined
        ? `key ${missing.key} is missing from ${missing.kind} ${missing.name}`
        : `${missing.kind} ${missing.name} does not exist in namespace ${pod.namespace}`
      : (waiting?.message ?? "its configuration is invalid");
    out.push(
      candidate(
        withContainer(
          {
            code: "ConfigMissing",
            severity: "critical",
            summary: `Container ${container.name} cannot be created (CreateContainerConfigError): ${what}.`,
            evidence,
            remediation: configRemedy(pod, container, missing, refs, message),
            commands: configCommands(pod, missing),
          },
          container.name,
        ),
      ),
    );
  }
  return out;
}

function referencesTo(container: ContainerFacts, missing: MissingConfig): EnvReference[] {
  return container.references.filter((r) => r.kind === missing.kind && r.name === missing.name);
}

function describeReference(ref: EnvReference): string {
  const source = ref.env !== undefined ? `env ${ref.env}` : "envFrom";
  return `${source} ← ${ref.kind.toLowerCase()} ${ref.name}${ref.key !== undefined ? ` key ${ref.key}` : ""}`;
}

function configRemedy(
  pod: PodFacts,
  container: ContainerFacts,
  missing: MissingConfig | undefined,
  refs: EnvReference[],
  message: string,
): string {
  if (!missing) {
    if (/runAsNonRoot/.test(message)) {
      return `Run as a non-root user: set securityContext.runAsUser for ${containerPath(container)} in ${workloadRef(pod)} to a non-root UID the image supports (its USER, as a number), or use an image with a numeric non-root USER.`;
    }
    return `${kubectl(pod)} describe pod ${pod.name} and fix the container's env/envFrom/securityContext in ${workloadRef(pod)}.`;
  }
  const keys = [...new Set(refs.flatMap((r) => (r.key !== undefined ? [r.key] : [])))];
  if (missing.key !== undefined) {
    return `Add key ${missing.key} to ${missing.kind} ${missing.name} (${kubectl(pod)} edit ${missing.kind.toLowerCase()} ${missing.name}), or change the key referenced in ${workloadRef(pod)}, or mark the reference optional: true.`;
  }
  const literalKeys = keys.length > 0 ? keys : ["<key>"];
  const create =
    missing.kind === "Secret"
      ? `${kubectl(pod)} create secret generic ${missing.name} ${literalKeys.map((k) => `--from-literal=${k}=<value>`).join(" ")}`
      : `${kubectl(pod)} create configmap ${missing.name} ${literalKeys.map((k) => `--from-literal=${k}=<value>`).join(" ")}`;
  return `Create the missing ${missing.kind} in namespace ${pod.namespace}: ${create}; or fix the name referenced by ${containerPath(container)} in ${workloadRef(pod)} (or mark it optional: true). The kubelet retries on its own once it exists.`;
}

/** Checks with the real names: the object's keys (describe shows a Secret's keys, not its values). */
function configCommands(pod: PodFacts, missing: MissingConfig | undefined): string[] {
  if (!missing) return [`${kubectl(pod)} describe pod ${pod.name}`];
  const kind = missing.kind === "Secret" ? "secret" : "configmap";
  if (missing.key !== undefined) return [`${kubectl(pod)} describe ${kind} ${missing.name}`];
  return [
    `${kubectl(pod)} get ${kind}s`,
    `kubectl get ${kind}s -A --field-selector metadata.name=${missing.name}`,
  ];
}

function trimQuote(value: string): string {
  return value.replace(/^"|"$/g, "");
}
