/**
 * VolumeMountFailed: FailedMount / FailedAttachVolume / FailedMapVolume events while the pod's
 * containers have not started. The specific message (`MountVolume.SetUp failed for volume
 * "config" : configmap "grafana-ini" not found`, `Multi-Attach error …`) is quoted before the
 * generic "Unable to attach or mount volumes … context deadline exceeded".
 */
import { type Candidate, candidate, RANK } from "./candidate.js";
import { describeEvent, type PodEvent } from "./events.js";
import type { PodFacts } from "./facts.js";
import { record, text } from "./fields.js";
import { kubectl, workloadRef } from "./kubectl.js";

const MOUNT_REASONS = new Set(["FailedMount", "FailedAttachVolume", "FailedMapVolume"]);

export interface MountFailure {
  volume?: string;
  /** A missing ConfigMap/Secret/PVC behind the volume. */
  missing?: { kind: "ConfigMap" | "Secret" | "PersistentVolumeClaim"; name: string };
  multiAttach: boolean;
  generic: boolean;
}

export function parseMountFailure(message: string): MountFailure {
  const failure: MountFailure = {
    multiAttach: /Multi-Attach error/i.test(message),
    generic: /^Unable to (?:attach or )?mount volumes/i.test(message),
  };
  const volume =
    /for volume "([^"]+)"/.exec(message)?.[1] ?? /unmounted volumes=\[([^\],\s]+)/.exec(message)?.[1];
  if (volume !== undefined) failure.volume = volume;
  const missing = /\b(configmap|secret|persistentvolumeclaim)s? "([^"]+)" not found/i.exec(message);
  if (missing) {
    const kind = (missing[1] ?? "").toLowerCase();
    failure.missing = {
      kind: kind === "secret" ? "Secret" : kind === "configmap" ? "ConfigMap" : "PersistentVolumeClaim",
      name: missing[2] ?? "",
    };
  }
  return failure;
}

export function volumesAnalyzer(pod: PodFacts): Candidate[] {
  const events = pod.events.filter((e) => MOUNT_REASONS.has(e.reason));
  if (events.length === 0) return [];
  const started = pod.containers.some((c) => c.kind !== "init" && c.status?.state.running !== undefined);
  const ordered = [...events].sort((a, b) => specificity(a) - specificity(b));
  const main = ordered[0] as PodEvent;
  const failure = parseMountFailure(main.message);
  const volume =
    failure.volume ?? ordered.map((e) => parseMountFailure(e.message).volume).find((v) => v !== undefined);

  const evidence = ordered.slice(0, 3).map(describeEvent);
  const spec = pod.volumes.find((v) => text(v, "name") === volume);
  if (spec) evidence.push(`spec.volumes[${volume}]: ${describeVolumeSource(spec)}`);
  const waiting = pod.containers
    .filter((c) => c.status?.state.waiting?.reason)
    .map((c) => `${c.name} waiting: ${c.status?.state.waiting?.reason}`);
  if (waiting.length > 0) evidence.push(`containers: ${waiting.join(", ")}`);

  const summary = failure.missing
    ? `Volume ${volume ?? ""} cannot be mounted: ${failure.missing.kind} ${failure.missing.name} does not exist in namespace ${pod.namespace}, so the containers never start.`
    : failure.multiAttach
      ? `Volume ${volume ?? ""} is still attached to another node (Multi-Attach error), so the pod cannot start.`
      : `Volume ${volume ?? ""} cannot be attached or mounted, so the containers never start.`;
  return [
    candidate(
      {
        code: "VolumeMountFailed",
        severity: started ? "info" : "critical",
        summary: started
          ? `Volume ${volume ?? ""} failed to mount earlier; the containers are running now.`
          : summary,
        evidence,
        remediation: mountRemedy(pod, failure, volume),
        commands: failure.missing
          ? [
              `${kubectl(pod)} get ${failure.missing.kind === "PersistentVolumeClaim" ? "pvc" : `${failure.missing.kind.toLowerCase()}s`}`,
              ...(failure.missing.kind === "PersistentVolumeClaim"
                ? []
                : [
                    `kubectl get ${failure.missing.kind.toLowerCase()}s -A --field-selector metadata.name=${failure.missing.name}`,
                  ]),
            ]
          : failure.multiAttach
            ? [`${kubectl(pod)} get pods -o wide`, "kubectl get volumeattachments"]
            : [`${kubectl(pod)} describe pod ${pod.name}`],
      },
      RANK.VolumeMountFailed,
    ),
  ];
}

function specificity(event: PodEvent): number {
  const parsed = parseMountFailure(event.message);
  if (parsed.missing || parsed.multiAttach) return 0;
  return parsed.generic ? 2 : 1;
}

function describeVolumeSource(volume: Record<string, unknown>): string {
  const configMap = text(volume, "configMap", "name");
  if (configMap !== undefined) return `configMap.name=${configMap}`;
  const secret = text(volume, "secret", "secretName");
  if (secret !== undefined) return `secret.secretName=${secret}`;
  const claim = text(volume, "persistentVolumeClaim", "claimName");
  if (claim !== undefined) return `persistentVolumeClaim.claimName=${claim}`;
  const source = Object.keys(volume).find((k) => k !== "name" && record(volume, k) !== undefined);
  return source ?? "unknown source";
}

function mountRemedy(pod: PodFacts, failure: MountFailure, volume: string | undefined): string {
  const missing = failure.missing;
  if (missing?.kind === "ConfigMap") {
    const key = mountedKey(pod, volume);
    return `Create ConfigMap ${missing.name} in namespace ${pod.namespace} (${kubectl(pod)} create configmap ${missing.name} --from-file=${key ?? "<key>"}=<local file>) or fix spec.volumes[${volume ?? ""}].configMap.name in ${workloadRef(pod)}; the kubelet retries the mount on its own.`;
  }
  if (missing?.kind === "Secret") {
    return `Create Secret ${missing.name} in namespace ${pod.namespace} (${kubectl(pod)} create secret generic ${missing.name} --from-file=<key>=<local file>) or fix spec.volumes[${volume ?? ""}].secret.secretName in ${workloadRef(pod)}.`;
  }
  if (missing?.kind === "PersistentVolumeClaim") {
    return `Create PersistentVolumeClaim ${missing.name} or fix the claimName in ${workloadRef(pod)}: ${kubectl(pod)} get pvc.`;
  }
  if (failure.multiAttach) {
    return `A ReadWriteOnce volume can be attached to one node at a time: find the pod still using it (${kubectl(pod)} get pods -o wide), let it terminate or delete it, and use strategy Recreate (or a ReadWriteMany volume) for ${workloadRef(pod)}.`;
  }
  return `${kubectl(pod)} describe pod ${pod.name} for the mount error, then check the volume's source (${kubectl(pod)} get pvc,configmap,secret) and the storage driver pods (kubectl -n kube-system get pods).`;
}

/** The key a container mounts from the volume with subPath (grafana.ini), if any. */
function mountedKey(pod: PodFacts, volume: string | undefined): string | undefined {
  if (volume === undefined) return undefined;
  for (const container of pod.containers) {
    const mount = container.volumeMounts.find((m) => m.name === volume && m.subPath !== undefined);
    if (mount?.subPath !== undefined) return mount.subPath;
  }
  return undefined;
}
