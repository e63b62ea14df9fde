/**
 * The shapes of the diagnose contract (docs/diagnose.md, "The contract"): the evidence bundle
 * that is read and written, and the findings the analyzers produce.
 *
 * Kubernetes objects inside a bundle are kept as plain JSON objects: they come from a file or
 * from the API server and are untrusted, so every reader goes through the safe accessors in
 * analyze/fields.ts instead of trusting a static type.
 */

/** A JSON object as found in a bundle (a Pod, an Event, a Node, an owner). */
export type KubeObject = Record<string, unknown>;

export const BUNDLE_API_VERSION = "sre-lab/v1";
export const BUNDLE_KIND = "EvidenceBundle";

/** One captured container log: `kubectl logs [--previous] -c <container>`. */
export interface ContainerLog {
  container: string;
  /** true = log of the last terminated instance (kubectl logs --previous). */
  previous: boolean;
  /** Raw log text; may be megabytes. */
  text: string;
}

export interface BundleMetadata {
  /** RFC 3339 time the evidence was collected. */
  collectedAt?: string;
  /** Free text, e.g. the kube context name. */
  cluster?: string;
}

/** Everything diagnose knows about one pod. See docs/diagnose.md for the file format. */
export interface EvidenceBundle {
  apiVersion: typeof BUNDLE_API_VERSION;
  kind: typeof BUNDLE_KIND;
  metadata: BundleMetadata;
  /** A core/v1 Pod exactly as the API server returns it (spec + status). */
  pod: KubeObject;
  /** core/v1 Events whose involvedObject is the pod (may be empty). */
  events: KubeObject[];
  /** One entry per container and per previous/current instance (may be empty). */
  logs: ContainerLog[];
  /** Optional ReplicaSet / Deployment / StatefulSet / DaemonSet / Job / CronJob objects. */
  owners?: KubeObject[];
  /** Optional core/v1 Node the pod is (or was) bound to. */
  node?: KubeObject;
  /**
   * Optional other objects whose state decides the cause (a PVC and its StorageClass, a Service
   * and its EndpointSlices, the owning Job), each with its own Events. Read-only evidence.
   */
  related?: RelatedObject[];
}

/** One entry of `related`: an API object and the Events about it. */
export interface RelatedObject {
  object: KubeObject;
  events: KubeObject[];
}

/**
 * The closed vocabulary of finding codes (contract §2). Extend only by adding, never renaming.
 */
export const FINDING_CODES = [
  "OOMKilled",
  "LivenessProbeFailed",
  "ReadinessProbeFailed",
  "AppError",
  "StartFailed",
  "ConfigMissing",
  "ImagePullFailed",
  "Unschedulable",
  "VolumeMountFailed",
  "InitContainerFailed",
  "Evicted",
  "NodeNotReady",
  "CrashLoopBackOff",
  "Healthy",
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One diagnosis. `findings[0]` of an analysis is the root cause, not a symptom. */
export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** The container the finding is about, when it is about one. */
  container?: string;
  /** One or two sentences for a human. */
  summary: string;
  /** The exact facts that led to the finding: status fields, event messages, log lines. */
  evidence: string[];
  /** A concrete next step: a kubectl command or manifest change with the bundle's real names. */
  remediation: string;
  /**
   * Complete, pasteable shell commands that carry out or check the fix, one per entry, with the
   * real names and namespaces, no trailing punctuation and no invented values. Always present
   * (possibly empty) on findings returned by analyze().
   */
  commands?: string[];
}
