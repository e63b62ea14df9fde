/**
 * Everything the lab applies, rendered once per test file: the root Application, the
 * Applications the bootstrap chart renders from the OCI source, what each of them applies, and
 * the Argo CD install (with the upstream manifest stubbed, see argocd-install.ts).
 */
import { renderArgoCdInstall } from "./argocd-install.js";
import {
  type Application,
  type K8sObject,
  OCI_SOURCE,
  readRootApplication,
  readVersions,
  renderApplication,
  renderBootstrap,
} from "./lab.js";

export interface RenderedSource {
  /** Application name, or "argocd-install" / "root". */
  name: string;
  objects: K8sObject[];
  /** Objects that come from an upstream manifest we only patch (their probes etc. are not ours). */
  upstream: boolean;
}

export interface RenderedLab {
  root: Application;
  applications: Application[];
  sources: RenderedSource[];
}

let cached: RenderedLab | undefined;

export function renderLab(): RenderedLab {
  if (cached !== undefined) return cached;
  const root = readRootApplication();
  const applications = renderBootstrap(OCI_SOURCE);
  const sources: RenderedSource[] = [
    { name: "root", objects: [root], upstream: false },
    { name: "bootstrap", objects: applications, upstream: false },
    ...applications.map((app) => ({
      name: app.metadata.name,
      objects: renderApplication(app),
      upstream: false,
    })),
    {
      name: "argocd-install",
      objects: renderArgoCdInstall(readVersions().argocd.installManifest),
      upstream: true,
    },
  ];
  cached = { root, applications, sources };
  return cached;
}

export function allObjects(lab: RenderedLab): Array<{ source: RenderedSource; object: K8sObject }> {
  return lab.sources.flatMap((source) => source.objects.map((object) => ({ source, object })));
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]);

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  volumes?: Array<{ name: string; hostPath?: { path: string }; emptyDir?: { sizeLimit?: string } }>;
  affinity?: unknown;
}

export interface Workload {
  source: RenderedSource;
  object: K8sObject;
  podLabels: Record<string, string>;
  pod: PodSpec;
  /** Deployments/StatefulSets/DaemonSets run forever; Jobs run to completion. */
  longRunning: boolean;
}

export function workloads(lab: RenderedLab): Workload[] {
  return allObjects(lab)
    .filter(({ object }) => WORKLOAD_KINDS.has(object.kind))
    .map(({ source, object }) => {
      const spec = object.spec as {
        template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
        jobTemplate?: {
          spec: { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } };
        };
      };
      const template = spec.template ?? spec.jobTemplate?.spec.template;
      if (template === undefined)
        throw new Error(`${object.kind}/${object.metadata.name} has no pod template`);
      return {
        source,
        object,
        podLabels: template.metadata?.labels ?? {},
        pod: template.spec,
        longRunning: object.kind !== "Job" && object.kind !== "CronJob",
      };
    });
}
