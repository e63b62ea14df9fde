/** What `sre-lab up` was asked to do, and the state its steps share. */

import type { KubeClient } from "../../kube/client.js";
import type { Context } from "../../runtime/context.js";
import type { LabPorts } from "../config.js";
import type { DoctorReport } from "../doctor.js";
import type { ClusterProvider } from "../provider/types.js";

export interface UpOptions {
  /** Run sudo non-interactively for host changes (sysctl). */
  yes: boolean;
  /** Also write /etc/sysctl.d/99-sre-lab.conf so the limits survive a reboot. */
  persist: boolean;
  /** Leave host sysctl limits alone. */
  sysctl: boolean;
  /** Delete and re-create a cluster made from a different config. */
  recreate: boolean;
  dryRun: boolean;
  model: string;
  skipModel: boolean;
  /** Host directory for Ollama's models (kept across down/up). */
  modelCache: string;
  /** A real Git remote for Argo CD instead of the published OCI artifact. */
  repoUrl?: string | undefined;
  revision?: string | undefined;
  /** The name of the cluster provider (src/lab/provider/index.ts): kind (default), existing. */
  provider: string;
  /** Deadline for each wait: nodes Ready, Argo CD ready, Applications Synced and Healthy. */
  waitTimeoutMs: number;
  /** Host ports for the UIs and the registry (DEFAULT_PORTS with any --host-port applied). */
  ports: LabPorts;
  /** --host-port was given: use these ports even if an existing lab was made with others. */
  portsExplicit: boolean;
}

export interface GitOpsSource {
  repoURL: string;
  targetRevision: string;
  path: string;
}

export interface UpState {
  ctx: Context;
  options: UpOptions;
  /** The provider options.provider names: what the steps ask instead of comparing names. */
  provider: ClusterProvider;
  /** The Kubernetes client for the lab's context, created after the cluster exists. */
  kube(): Promise<KubeClient>;
  /** kubectl's --context/--kubeconfig for the lab. */
  kubectlTarget: string[];
  /** The host ports in use: the options', or (without --host-port) those the existing lab was made with. */
  ports: LabPorts;
  doctor?: DoctorReport;
  /** Set by the preflight's plan (a dry run): the error the real run would stop with. */
  blocking?: unknown;
  source?: GitOpsSource;
  /** What the summary prints. */
  credentials: { grafanaPassword?: string; argocdPassword?: string };
}
