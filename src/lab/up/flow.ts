/**
 * `sre-lab up`: the ordered, idempotent steps that stand up the lab, the plan `--dry-run` prints
 * instead, and the summary a finished run returns. Each step skips with a reason when its work is
 * already done, so a second `up` converges without changing anything.
 */

import versions from "../../../versions.json" with { type: "json" };
import { runSteps, type Step, type StepReport } from "../../cli/tasks.js";
import type { Context } from "../../core/context.js";
import { SreLabError } from "../../core/errors.js";
import { formatCommandLine } from "../../exec/command-line.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import {
  CLUSTER_NAME,
  EXPOSED,
  GRAFANA_ADMIN_SECRET,
  KUBE_CONTEXT,
  NAMESPACES,
  REGISTRY,
} from "../config.js";
import { labPaths } from "../paths.js";
import { portForwardArgs } from "../port-forward.js";
import { clusterStep } from "./cluster.js";
import {
  applicationsStep,
  argoCdInstallArgv,
  argoCdStep,
  publishStep,
  rootApplicationStep,
} from "./gitops.js";
import { desktopSysctlArgv, sudoCommandLine, sysctlStep } from "./host.js";
import { modelStep } from "./model.js";
import type { UpOptions, UpState } from "./options.js";
import { imageStep, registryRunArgv, registryStep } from "./registry.js";

export interface UpSummary {
  context: string;
  steps: StepReport[];
  urls: { name: string; url: string; user?: string; password?: string }[];
  next: string[];
}

function preflightStep(): Step<UpState> {
  return {
    id: "preflight",
    title: "Preflight",
    async run(state) {
      if (state.options.provider === "existing") {
        const kube = await state.kube();
        await kube.list("v1", "Node");
        return { status: "done", detail: `cluster at ${kube.server} answers (context ${kube.context})` };
      }
      const { runDoctor } = await import("../../doctor/checks.js");
      const report = await runDoctor(state.ctx);
      state.doctor = report;
      const blocking = report.checks.filter((c) => c.blocking && c.status === "fail");
      const first = blocking[0];
      if (first) {
        throw new SreLabError(`${first.title}: ${first.detail}`, {
          details:
            blocking.length > 1
              ? `also blocking: ${blocking
                  .slice(1)
                  .map((c) => c.title)
                  .join(", ")}`
              : undefined,
          hint: first.hint ?? "run sre-lab doctor for details",
        });
      }
      const warnings = report.checks.filter((c) => c.status === "warn").map((c) => c.title);
      return { status: "done", detail: warnings.length ? `ok (warnings: ${warnings.join(", ")})` : "ok" };
    },
  };
}

export function upSteps(): Step<UpState>[] {
  return [
    preflightStep(),
    sysctlStep(),
    // The registry comes before the cluster: the cluster step connects it to the kind network.
    registryStep(),
    clusterStep(),
    imageStep(),
    publishStep(),
    argoCdStep(),
    rootApplicationStep(),
    applicationsStep(),
    modelStep(),
  ];
}

export function kubectlTarget(ctx: Context, options: UpOptions): string[] {
  const target: string[] = [];
  if (ctx.kubeTarget.kubeconfig) target.push("--kubeconfig", ctx.kubeTarget.kubeconfig);
  const context = options.provider === "kind" ? KUBE_CONTEXT : ctx.kubeTarget.context;
  if (context) target.push("--context", context);
  return target;
}

export function createUpState(ctx: Context, options: UpOptions): UpState {
  let kube: Promise<KubeClient> | undefined;
  return {
    ctx,
    options,
    kubectlTarget: kubectlTarget(ctx, options),
    credentials: {},
    kube: () => {
      kube ??= import("../../kube/client.js").then(({ createKubeClient }) =>
        createKubeClient({
          kubeconfig: ctx.kubeTarget.kubeconfig,
          context: options.provider === "kind" ? KUBE_CONTEXT : ctx.kubeTarget.context,
          env: ctx.env,
          signal: ctx.signal,
        }),
      );
      return kube;
    },
  };
}

export async function runUp(
  ctx: Context,
  options: UpOptions,
  live: boolean,
  stderr: NodeJS.WritableStream,
): Promise<UpSummary> {
  const state = createUpState(ctx, options);
  const steps = await runSteps(upSteps(), state, { out: ctx.out, stderr, signal: ctx.signal, live });
  const kube = await state.kube();
  const argocd = await kube.find<KubeObject & { data?: Record<string, string> }>({
    apiVersion: "v1",
    kind: "Secret",
    namespace: NAMESPACES.argocd,
    name: "argocd-initial-admin-secret",
  });
  const argocdPassword = argocd?.data?.password
    ? Buffer.from(argocd.data.password, "base64").toString("utf8")
    : undefined;
  const mapped = options.provider === "kind";
  const url = (name: keyof typeof EXPOSED, scheme = "http") =>
    mapped ? `${scheme}://127.0.0.1:${EXPOSED[name].host}` : `sre-lab open ${name}`;
  return {
    context: kube.context,
    steps,
    urls: [
      {
        name: "Grafana",
        url: url("grafana"),
        user: "admin",
        ...(state.credentials.grafanaPassword ? { password: state.credentials.grafanaPassword } : {}),
      },
      {
        name: "Argo CD",
        url: url("argocd", "https"),
        user: "admin",
        ...(argocdPassword ? { password: argocdPassword } : {}),
      },
      { name: "Prometheus", url: url("prometheus") },
      { name: "Target app", url: url("app") },
    ],
    next: [
      "sre-lab status",
      `kubectl --context ${kube.context} -n ${NAMESPACES.app} get pods`,
      "sre-lab chaos oom",
      "sre-lab diagnose <pod> -n sre-lab-app",
    ],
  };
}

export interface PlanEntry {
  step: string;
  actions: string[];
}

/** What `up --dry-run` prints: every command and manifest, without touching Docker or the cluster. */
export async function planUp(ctx: Context, options: UpOptions): Promise<PlanEntry[]> {
  const { renderKindConfig } = await import("../kind-config.js");
  const config = await renderKindConfig({ modelCache: options.modelCache, name: CLUSTER_NAME });
  const state = createUpState(ctx, options);
  const target = state.kubectlTarget;
  const kind = options.provider === "kind";
  const source = options.repoUrl
    ? `Argo CD reads ${options.repoUrl} at ${options.revision ?? "HEAD"} (path manifests/bootstrap)`
    : `publish ${labPaths.manifests()} as oci://127.0.0.1:${REGISTRY.hostPort}/sre-lab/manifests:lab (Argo CD reads it as oci://sre-lab-registry:5000/sre-lab/manifests, pinned by digest)`;
  const plan: PlanEntry[] = [
    {
      step: "Preflight",
      actions: [kind ? "sre-lab doctor checks (read-only)" : "list nodes through the existing context"],
    },
    {
      step: "Host inotify limits",
      actions:
        !options.sysctl || !kind
          ? ["skipped"]
          : [
              `if too low: ${sudoCommandLine(options.persist)}`,
              `(Docker Desktop: ${formatCommandLine(desktopSysctlArgv("write"))})`,
            ],
    },
    {
      step: "Local registry",
      actions: kind ? [formatCommandLine(registryRunArgv())] : ["skipped"],
    },
    {
      step: `Cluster ${CLUSTER_NAME}`,
      actions: kind
        ? [
            `mkdir -p ${options.modelCache}`,
            `kind create cluster --name ${CLUSTER_NAME} --config - <<EOF\n${config.yaml.trimEnd()}\nEOF`,
            `copy kind/registry-hosts.toml to /etc/containerd/certs.d/localhost:${REGISTRY.hostPort}/hosts.toml on each node (docker exec -i)`,
            `docker network connect kind ${REGISTRY.container}`,
            `wait until all ${config.nodeCount} nodes are Ready`,
          ]
        : ["skipped"],
    },
    {
      step: "Target app image",
      actions: kind
        ? [
            `docker build -t ${versions.images.targetApp} ${labPaths.app()}`,
            `docker push ${versions.images.targetApp}`,
          ]
        : ["skipped"],
    },
    { step: "GitOps source", actions: [source] },
    {
      step: `Argo CD ${versions.argocd.version}`,
      actions: [
        formatCommandLine(argoCdInstallArgv(target)),
        `create Secret ${GRAFANA_ADMIN_SECRET.namespace}/${GRAFANA_ADMIN_SECRET.name} with a random password (never in Git)`,
        `apply ${labPaths.rootApplication()} with its source filled in`,
      ],
    },
    {
      step: "Applications",
      actions: ["wait until every Application is Synced and Healthy on the same revision"],
    },
    {
      step: "Model",
      actions: options.skipModel
        ? ["skipped (--skip-model)"]
        : [
            `${formatCommandLine([
              "kubectl",
              ...portForwardArgs(ctx, {
                namespace: NAMESPACES.ollama,
                service: "ollama",
                servicePort: 11434,
                localPort: 0,
                context: kind ? KUBE_CONTEXT : (ctx.kubeTarget.context ?? ""),
                readyTimeoutMs: 0,
              }),
            ])}, then pull ${options.model} if missing`,
          ],
    },
  ];
  return plan;
}
