/**
 * Steps 6-8: publish the manifests where Argo CD can read them (an OCI artifact in the local
 * registry, or a real Git remote), install Argo CD, hand it the root Application, and wait until
 * every Application is Synced and Healthy on the same revision.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import versions from "../../../versions.json" with { type: "json" };
import { formatDuration } from "../../core/duration.js";
import { SreLabError, UsageError } from "../../core/errors.js";
import type { Step } from "../../core/steps.js";
import { formatCommandLine } from "../../exec/command-line.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { GRAFANA_ADMIN_SECRET, NAMESPACES } from "../config.js";
import { labPaths } from "../paths.js";
import { isUnsupported } from "../provider/types.js";
import type { UpState } from "./options.js";

export const ROOT_APPLICATION = "sre-lab";
export const CHILD_APPLICATIONS = ["target-app", "metrics-server", "monitoring", "ollama"] as const;
const ARGOCD_WORKLOADS = {
  Deployment: ["argocd-server", "argocd-repo-server", "argocd-redis", "argocd-applicationset-controller"],
  StatefulSet: ["argocd-application-controller"],
} as const;

export function publishStep(): Step<UpState> {
  return {
    id: "source",
    title: "GitOps source",
    async plan({ options, ports }) {
      return [
        options.repoUrl
          ? `Argo CD reads ${options.repoUrl} at ${options.revision ?? "HEAD"} (path manifests/bootstrap)`
          : `publish ${labPaths.manifests()} as oci://127.0.0.1:${ports.registry}/sre-lab/manifests:lab (Argo CD reads it as oci://sre-lab-registry:5000/sre-lab/manifests, pinned by digest)`,
      ];
    },
    async run(state, handle) {
      const { options } = state;
      if (options.repoUrl) {
        state.source = {
          repoURL: options.repoUrl,
          targetRevision: options.revision ?? "HEAD",
          path: "manifests/bootstrap",
        };
        return {
          status: "skipped",
          detail: `Argo CD reads ${options.repoUrl} at ${state.source.targetRevision}`,
        };
      }
      const { registry } = state.provider;
      if (isUnsupported(registry)) {
        throw new UsageError(registry.unsupported, {
          hint: registry.hint ?? "point Argo CD at a Git remote: --repo-url URL --revision REF",
        });
      }
      const [{ publishArtifact, DEFAULT_REPOSITORY }, { argoCdOciSource }] = await Promise.all([
        import("../../gitops/oci.js"),
        import("../../gitops/argocd.js"),
      ]);
      handle.progress("packing manifests/ and pushing it to the local registry");
      const artifact = await publishArtifact({
        // SRE_LAB_REGISTRY_URL: where the host reaches the registry when it is not on 127.0.0.1 (a remote Docker host).
        registry: await state.ctx.registry(
          state.ctx.env.SRE_LAB_REGISTRY_URL ?? `http://127.0.0.1:${state.ports.registry}`,
        ),
        repository: DEFAULT_REPOSITORY,
        tag: "lab",
        dir: labPaths.manifests(),
        signal: state.ctx.signal,
      });
      state.source = argoCdOciSource({ artifact, repository: DEFAULT_REPOSITORY, path: "bootstrap" }).source;
      const short = artifact.digest.slice(0, 19);
      return artifact.unchanged
        ? { status: "skipped", detail: `manifests unchanged (${short})` }
        : {
            status: "done",
            detail: `published manifests as ${artifact.reference.replace(/@.*/, "")}@${short}`,
          };
    },
  };
}

interface Workload extends KubeObject {
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: { availableReplicas?: number; readyReplicas?: number };
}

function ready(workload: Workload): boolean {
  const want = workload.spec?.replicas ?? 1;
  return (workload.status?.availableReplicas ?? workload.status?.readyReplicas ?? 0) >= want;
}

async function waitForArgoCd(
  kube: KubeClient,
  timeoutMs: number,
  progress: (text: string) => void,
): Promise<void> {
  for (const [kind, names] of Object.entries(ARGOCD_WORKLOADS)) {
    await kube.waitFor<Workload, true>(
      "apps/v1",
      kind,
      { namespace: NAMESPACES.argocd },
      (items) => {
        const notReady = names.filter((name) => {
          const item = items.find((i) => i.metadata?.name === name);
          return !item || !ready(item);
        });
        progress(notReady.length ? `waiting for ${notReady.join(", ")}` : `${kind}s ready`);
        return notReady.length === 0 ? true : undefined;
      },
      {
        timeoutMs,
        what: `Argo CD's ${kind}s (${names.join(", ")}) to be ready`,
        describe: (items) =>
          names
            .map((name) => {
              const item = items.find((i) => i.metadata?.name === name);
              if (!item) return `${name}: missing`;
              return `${name}: ${item.status?.availableReplicas ?? item.status?.readyReplicas ?? 0}/${item.spec?.replicas ?? 1} ready`;
            })
            .join(", "),
      },
    );
  }
}

/** The command that installs Argo CD (the step runs it; --dry-run prints it). */
export function argoCdInstallArgv(kubectlTarget: string[]): string[] {
  return [
    "kubectl",
    ...kubectlTarget,
    "apply",
    "--server-side",
    "--force-conflicts",
    "-k",
    labPaths.argocdKustomization(),
  ];
}

export function argoCdStep(): Step<UpState> {
  return {
    id: "argocd",
    title: `Argo CD ${versions.argocd.version}`,
    async plan({ kubectlTarget }) {
      return [
        formatCommandLine(argoCdInstallArgv(kubectlTarget)),
        `create Secret ${GRAFANA_ADMIN_SECRET.namespace}/${GRAFANA_ADMIN_SECRET.name} with a random password (never in Git)`,
      ];
    },
    async run(state, handle) {
      const { ctx } = state;
      const kube = await state.kube();
      const server = await kube.find<Workload>({
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: NAMESPACES.argocd,
        name: "argocd-server",
      });
      const image = server?.spec?.template?.spec?.containers?.[0]?.image ?? "";
      const installed = image.endsWith(`:${versions.argocd.version}`);
      if (!installed) {
        handle.progress("applying the pinned install manifest (server-side)");
        const [file, ...args] = argoCdInstallArgv(state.kubectlTarget);
        await ctx.runner.run(file!, args, {
          timeoutMs: 600_000,
          purpose: `install Argo CD ${versions.argocd.version}`,
          hint: "kubectl's message above names the object it could not apply; sre-lab up again retries",
        });
      }
      await waitForArgoCd(kube, state.options.waitTimeoutMs, (text) => handle.progress(text));
      const secret = await ensureGrafanaSecret(kube);
      state.credentials.grafanaPassword = secret.password;
      const changes = [
        installed ? undefined : "installed",
        secret.created ? "Grafana admin secret created" : undefined,
      ];
      const done = changes.filter(Boolean);
      return done.length
        ? { status: "done", detail: done.join(", ") }
        : { status: "skipped", detail: "installed and ready" };
    },
  };
}

/** Hands Argo CD the root Application (the app of apps) pointing at the current source. */
export function rootApplicationStep(): Step<UpState> {
  return {
    id: "root",
    title: "Root Application",
    async plan() {
      return [`apply ${labPaths.rootApplication()} with its source filled in`];
    },
    async run(state) {
      const result = await ensureRootApplication(state, await state.kube());
      const where = `${state.source?.repoURL} @ ${state.source?.targetRevision.slice(0, 19)}`;
      return result === "unchanged"
        ? { status: "skipped", detail: `already points at ${where}` }
        : { status: "done", detail: `${result}, pointing at ${where}` };
    },
  };
}

async function ensureGrafanaSecret(kube: KubeClient): Promise<{ created: boolean; password: string }> {
  const ref = {
    apiVersion: "v1",
    kind: "Secret",
    namespace: GRAFANA_ADMIN_SECRET.namespace,
    name: GRAFANA_ADMIN_SECRET.name,
  };
  const existing = await kube.find<KubeObject & { data?: Record<string, string> }>(ref);
  if (existing) {
    const encoded = existing.data?.[GRAFANA_ADMIN_SECRET.passwordKey] ?? "";
    return { created: false, password: Buffer.from(encoded, "base64").toString("utf8") };
  }
  const namespace = { apiVersion: "v1", kind: "Namespace", name: GRAFANA_ADMIN_SECRET.namespace };
  if (!(await kube.find(namespace))) {
    await kube.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace.name } });
  }
  const password = randomBytes(18).toString("base64url");
  await kube.create({
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { "app.kubernetes.io/part-of": "sre-lab" },
    },
    type: "Opaque",
    stringData: { [GRAFANA_ADMIN_SECRET.userKey]: "admin", [GRAFANA_ADMIN_SECRET.passwordKey]: password },
  });
  return { created: true, password };
}

interface Application extends KubeObject {
  spec?: {
    source?: {
      repoURL?: string;
      targetRevision?: string;
      path?: string;
      helm?: { parameters?: unknown[]; valuesObject?: Record<string, unknown> };
    };
  };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    conditions?: { type?: string; message?: string }[];
    operationState?: { phase?: string; message?: string };
  };
}

/** The host user's ids for the model cache; root maps to 1000 (the pod must not run as root). */
function cacheOwner(): { uid: number; gid: number } {
  const uid = process.getuid?.() ?? 1000;
  const gid = process.getgid?.() ?? 1000;
  return uid === 0 ? { uid: 1000, gid: 1000 } : { uid, gid };
}

export async function renderRootApplication(state: UpState): Promise<Application> {
  const { parse } = await import("yaml");
  const app = parse(readFileSync(labPaths.rootApplication(), "utf8")) as Application;
  const source = state.source;
  if (!source || !app.spec?.source) throw new SreLabError("internal: the GitOps source is not set");
  const owner = cacheOwner();
  app.spec.source.repoURL = source.repoURL;
  app.spec.source.targetRevision = source.targetRevision;
  app.spec.source.path = source.path;
  app.spec.source.helm = {
    ...app.spec.source.helm,
    valuesObject: {
      ollama: { enabled: true, model: state.options.model, runAsUser: owner.uid, runAsGroup: owner.gid },
    },
  };
  return app;
}

async function ensureRootApplication(
  state: UpState,
  kube: KubeClient,
): Promise<"created" | "updated" | "unchanged"> {
  const desired = await renderRootApplication(state);
  const current = await kube.find<Application>({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    namespace: NAMESPACES.argocd,
    name: ROOT_APPLICATION,
  });
  // Compare as values: a server-side-apply merge may reorder keys.
  if (current && isDeepStrictEqual(current.spec?.source, desired.spec?.source)) return "unchanged";
  await kube.apply(desired);
  return current ? "updated" : "created";
}

function describeApplication(name: string, app: Application | undefined): string {
  if (!app) return `${name}: not created yet`;
  const s = app.status ?? {};
  const parts = [`${name}: ${s.sync?.status ?? "Unknown"}/${s.health?.status ?? "Unknown"}`];
  if (s.sync?.revision) parts.push(`revision ${s.sync.revision.slice(0, 19)}`);
  for (const condition of s.conditions ?? []) parts.push(`${condition.type}: ${condition.message}`);
  if (s.health?.message) parts.push(`health: ${s.health.message}`);
  if (s.operationState?.message)
    parts.push(`last operation ${s.operationState.phase}: ${s.operationState.message}`);
  return parts.join("; ");
}

export function applicationsStep(): Step<UpState> {
  return {
    id: "sync",
    title: "Applications synced and healthy",
    async plan() {
      return ["wait until every Application is Synced and Healthy on the same revision"];
    },
    async run(state, handle) {
      const kube = await state.kube();
      const names = [ROOT_APPLICATION, ...CHILD_APPLICATIONS];
      const started = state.ctx.clock.now();
      const revision = await kube.waitFor<Application, string>(
        "argoproj.io/v1alpha1",
        "Application",
        { namespace: NAMESPACES.argocd },
        (apps) => {
          const byName = new Map(apps.map((a) => [a.metadata?.name, a]));
          // One live line per Application.
          const width = Math.max(...names.map((n) => n.length));
          const lines = names.map((n) => {
            const s = byName.get(n)?.status;
            const revision = s?.sync?.revision ? ` @ ${s.sync.revision.slice(0, 19)}` : "";
            return `${n.padEnd(width)}  ${s?.sync?.status ?? "-"}/${s?.health?.status ?? "-"}${revision}`;
          });
          handle.progress(lines.join("\n"));
          const failed = names
            .map((n) => byName.get(n))
            .find(
              (a) => a?.status?.health?.status === "Degraded" && a.status.operationState?.phase === "Failed",
            );
          if (failed) {
            throw new SreLabError(`Application ${failed.metadata?.name} failed to sync and is Degraded`, {
              details: describeApplication(failed.metadata?.name ?? "?", failed),
              hint: `look closer with: kubectl -n argocd describe application ${failed.metadata?.name}`,
            });
          }
          const healthy = names.every((n) => {
            const s = byName.get(n)?.status;
            return s?.sync?.status === "Synced" && s.health?.status === "Healthy";
          });
          const revisions = new Set(names.map((n) => byName.get(n)?.status?.sync?.revision));
          const wanted = state.source?.targetRevision ?? "";
          const sameRevision =
            revisions.size === 1 && (!wanted.startsWith("sha256:") || revisions.has(wanted));
          return healthy && sameRevision ? [...revisions][0] : undefined;
        },
        {
          timeoutMs: state.options.waitTimeoutMs,
          what: "every Application to be Synced and Healthy on the same revision",
          describe: (apps) =>
            `\n${names
              .map(
                (n) =>
                  `  ${describeApplication(
                    n,
                    apps.find((a) => a.metadata?.name === n),
                  )}`,
              )
              .join("\n")}`,
        },
      );
      const took = formatDuration(state.ctx.clock.now() - started);
      return {
        status: "done",
        detail: `${names.length} Applications on ${revision?.slice(0, 19)} (${took})`,
      };
    },
  };
}
