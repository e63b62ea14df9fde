/**
 * `sre-lab up`: the ordered, idempotent steps that stand up the lab, the plan `--dry-run` prints
 * instead, and the summary a finished run returns. Each step skips with a reason when its work is
 * already done, so a second `up` converges without changing anything.
 */

import versions from "../../../versions.json" with { type: "json" };
import { runSteps, type Step, type StepReport } from "../../cli/tasks.js";
import type { Context } from "../../core/context.js";
import { InterruptedError, SreLabError } from "../../core/errors.js";
import { formatCommandLine } from "../../exec/command-line.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import {
  CLUSTER_NAME,
  EXPOSED,
  GRAFANA_ADMIN_SECRET,
  HOST_PORT_LABEL_PREFIX,
  hostPortUrl,
  KUBE_CONTEXT,
  type LabPorts,
  NAMESPACES,
  portsFromLabels,
  REGISTRY,
} from "../config.js";
import { kubeconfigWriteTarget } from "../kubeconfig.js";
import { labPaths } from "../paths.js";
import { portForwardArgs } from "../port-forward.js";
import { clusterStep, kindCreateArgs } from "./cluster.js";
import {
  applicationsStep,
  argoCdInstallArgv,
  argoCdStep,
  publishStep,
  rootApplicationStep,
} from "./gitops.js";
import { desktopSysctlArgv, sudoCommandLine, sysctlStep } from "./host.js";
import { modelStep, PRACTICE_KEEP_ALIVE } from "./model.js";
import type { UpOptions, UpState } from "./options.js";
import { imageStep, pushImageName, registryRunArgv, registryStep } from "./registry.js";

export interface UpSummary {
  context: string;
  /** The kubeconfig file kind wrote the context into (and made current); absent for --provider existing. */
  kubeconfig?: string;
  steps: StepReport[];
  urls: { name: string; url: string; user?: string; password?: string }[];
  next: string[];
}

/**
 * The checks before anything changes, shared by the real run and `--dry-run` (so a plan that exits 0
 * is a plan that would start). Read-only: the doctor checks, or for --provider existing a node list
 * through the given context. Without --host-port, an existing lab keeps the ports it was made with.
 */
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
      const { runDoctor } = await import("../doctor.js");
      const report = await runDoctor(state.ctx, { ports: state.ports });
      state.doctor = report;
      if (report.facts.clusterExists && !state.options.portsExplicit) {
        state.ports = await existingLabPorts(state);
      }
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

/** The host ports the existing lab's nodes were made with; the current ones when they cannot be read. */
async function existingLabPorts(state: UpState): Promise<LabPorts> {
  try {
    // Not state.kube(): a failure here must not stay cached for the steps that follow.
    const { createKubeClient } = await import("../../kube/client.js");
    const kube = await createKubeClient({
      kubeconfig: state.ctx.kubeTarget.kubeconfig,
      context: KUBE_CONTEXT,
      env: state.ctx.env,
      signal: state.ctx.signal,
    });
    const nodes = await kube.list("v1", "Node");
    const labelled = nodes.find((n) =>
      Object.keys(n.metadata?.labels ?? {}).some((k) => k.startsWith(HOST_PORT_LABEL_PREFIX)),
    );
    return labelled ? portsFromLabels(labelled.metadata?.labels) : state.ports;
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return state.ports;
  }
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
    ports: { ...options.ports },
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

/**
 * Runs the steps in two parts around the one question `up` may ask: preflight first (read-only),
 * then — only when the limits are low, sudo is needed and there is someone to ask — the sudo
 * question, then the rest. A Ctrl-C at the question ends the run before anything changed (130).
 * When a step fails or is interrupted, the steps after it are listed as not run.
 */
export async function runUp(
  ctx: Context,
  options: UpOptions,
  live: boolean,
  stderr: NodeJS.WritableStream,
): Promise<UpSummary> {
  const state = createUpState(ctx, options);
  const started = new Set<string>();
  const all = upSteps().map(
    (step): Step<UpState> => ({
      ...step,
      run: (st, handle) => {
        started.add(step.id);
        return step.run(st, handle);
      },
    }),
  );
  const [preflight, ...rest] = all;
  const run = (steps: Step<UpState>[]) =>
    runSteps(steps, state, { out: ctx.out, stderr, signal: ctx.signal, live });
  const steps: StepReport[] = [];
  try {
    steps.push(...(await run([preflight!])));
    const { confirmHostChanges } = await import("./host.js");
    state.options = await confirmHostChanges(ctx, state.options, state.doctor?.facts.dockerDesktop === true);
    steps.push(...(await run(rest)));
  } catch (error) {
    reportNotRun(ctx, all, started);
    throw error;
  }
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
  const url = (name: keyof typeof EXPOSED) =>
    mapped ? hostPortUrl(name, state.ports) : `sre-lab open ${name}`;
  return {
    context: kube.context,
    ...(mapped ? { kubeconfig: kubeconfigWriteTarget(ctx) } : {}),
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
        url: url("argocd"),
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

/** After a failure or Ctrl-C: the steps that never started are "not run", not failed. */
function reportNotRun(ctx: Context, steps: Step<UpState>[], started: Set<string>): void {
  for (const step of steps.filter((s) => !started.has(s.id))) {
    ctx.out.info(`${ctx.out.style.dim("·")} ${step.title}: not run`);
  }
}

export interface PlanEntry {
  step: string;
  actions: string[];
}

/**
 * What `up --dry-run` prints: the preflight's real results (the same read-only checks the real run
 * makes first), then every command and manifest, without changing Docker, the host or the cluster.
 * `blocking` is the error the real run would stop with; the command prints the plan and then fails.
 */
export async function planUp(
  ctx: Context,
  options: UpOptions,
): Promise<{ plan: PlanEntry[]; blocking?: unknown }> {
  const state = createUpState(ctx, options);
  let blocking: unknown;
  let preflight: string[];
  try {
    const outcome = await preflightStep().run(state, { progress: () => {} });
    preflight = [`${outcome.detail}`];
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    blocking = error;
    preflight = [`would stop here: ${(error as Error).message}`];
  }
  if (state.doctor) {
    preflight.push(
      ...state.doctor.checks.map(
        (c) => `${{ ok: "✓", warn: "!", fail: "✗", skip: "-" }[c.status]} ${c.title}: ${c.detail}`,
      ),
    );
  }
  const { renderKindConfig } = await import("../kind-config.js");
  const config = await renderKindConfig({
    modelCache: options.modelCache,
    name: CLUSTER_NAME,
    ports: state.ports,
  });
  const target = state.kubectlTarget;
  const kind = options.provider === "kind";
  const ports = state.ports;
  const pushImage = pushImageName(ports);
  const desktop = state.doctor?.facts.dockerDesktop === true;
  const source = options.repoUrl
    ? `Argo CD reads ${options.repoUrl} at ${options.revision ?? "HEAD"} (path manifests/bootstrap)`
    : `publish ${labPaths.manifests()} as oci://127.0.0.1:${ports.registry}/sre-lab/manifests:lab (Argo CD reads it as oci://sre-lab-registry:5000/sre-lab/manifests, pinned by digest)`;
  const plan: PlanEntry[] = [
    { step: "Preflight", actions: preflight },
    {
      step: "Host inotify limits",
      actions:
        !options.sysctl || !kind
          ? ["skipped"]
          : desktop
            ? [`if too low in Docker Desktop's VM: ${formatCommandLine(desktopSysctlArgv("write"))}`]
            : [
                `if too low: ${sudoCommandLine(options.persist)}${options.yes ? "" : " (asked first on a terminal; without one, --yes runs it)"}`,
              ],
    },
    {
      step: "Local registry",
      actions: kind ? [formatCommandLine(registryRunArgv(ports))] : ["skipped"],
    },
    {
      step: `Cluster ${CLUSTER_NAME}`,
      actions: kind
        ? [
            `mkdir -p ${options.modelCache}`,
            `${formatCommandLine(["kind", ...kindCreateArgs(ctx)])} <<EOF\n${config.yaml.trimEnd()}\nEOF`,
            `kind adds context ${KUBE_CONTEXT} to ${kubeconfigWriteTarget(ctx)} and makes it the current context`,
            `copy kind/registry-hosts.toml to /etc/containerd/certs.d/localhost:${REGISTRY.hostPort}/hosts.toml on each node (docker exec -i)${ports.registry !== REGISTRY.hostPort ? `, and to certs.d/localhost:${ports.registry}` : ""}`,
            `docker network connect kind ${REGISTRY.container}`,
            `wait until all ${config.nodeCount} nodes are Ready`,
          ]
        : ["skipped"],
    },
    {
      step: "Target app image",
      actions: kind
        ? [`docker build -t ${pushImage} ${labPaths.app()}`, `docker push ${pushImage}`]
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
            ])}, then pull ${options.model} if missing and load it into memory for ${PRACTICE_KEEP_ALIVE}`,
          ],
    },
  ];
  if (kind) {
    plan.push({
      step: "Where the lab answers (127.0.0.1 only; --host-port NAME=PORT changes a port)",
      actions: [
        ...(Object.keys(EXPOSED) as (keyof typeof EXPOSED)[]).map(
          (name) => `${name} ${hostPortUrl(name, ports)}`,
        ),
        `registry 127.0.0.1:${ports.registry}`,
      ],
    });
  }
  return blocking === undefined ? { plan } : { plan, blocking };
}
