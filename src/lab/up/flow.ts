/**
 * `sre-lab up`: the ordered, idempotent steps that stand up the lab, the plan `--dry-run` prints
 * instead, and the summary a finished run returns. Each step skips with a reason when its work is
 * already done, so a second `up` converges without changing anything.
 */

import { InterruptedError, SreLabError } from "../../core/errors.js";
import { type PlanEntry, planSteps, runSteps, type Step, type StepReport } from "../../core/steps.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import type { Context } from "../../runtime/context.js";
import {
  type EXPOSED,
  HOST_PORT_LABEL_PREFIX,
  type LabPorts,
  NAMESPACES,
  portsFromLabels,
} from "../config.js";
import { providerNamed } from "../provider/index.js";
import { isUnsupported } from "../provider/types.js";
import { clusterStep } from "./cluster.js";
import { applicationsStep, argoCdStep, publishStep, rootApplicationStep } from "./gitops.js";
import { sysctlStep } from "./host.js";
import { modelStep } from "./model.js";
import type { UpOptions, UpState } from "./options.js";
import { imageStep, registryStep } from "./registry.js";

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
    // The real checks: a dry run shows their results, and what the real run would stop with.
    async plan(state) {
      let actions: string[];
      try {
        actions = [(await this.run(state, { progress: () => {} })).detail];
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        state.blocking = error;
        actions = [`would stop here: ${(error as Error).message}`];
      }
      const checks = state.doctor?.checks ?? [];
      const mark = { ok: "✓", warn: "!", fail: "✗", skip: "-" } as const;
      return [...actions, ...checks.map((c) => `${mark[c.status]} ${c.title}: ${c.detail}`)];
    },
    async run(state) {
      const { localNodes, needsContext } = state.provider;
      if (isUnsupported(localNodes)) {
        // Nothing of this machine to check, and a cluster the provider creates is not there yet.
        if (!needsContext) return { status: "skipped", detail: localNodes.unsupported };
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
    // Not state.kube(): this runs before kind may (re)write the context; nothing here is kept.
    const context = state.provider.contextName(state.ctx.kubeTarget);
    const kube = context ? await state.ctx.kubeFor(context, { fresh: true }) : await state.ctx.kube();
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
  const context = providerNamed(options.provider).contextName(ctx.kubeTarget);
  if (context) target.push("--context", context);
  return target;
}

/** `client`: a client for the provider's cluster the caller already has (sync's, from detection). */
export function createUpState(ctx: Context, options: UpOptions, client?: KubeClient): UpState {
  const provider = providerNamed(options.provider);
  const context = provider.contextName(ctx.kubeTarget);
  return {
    ctx,
    options,
    provider,
    kubectlTarget: kubectlTarget(ctx, options),
    ports: { ...options.ports },
    credentials: {},
    kube: () => (client ? Promise.resolve(client) : context ? ctx.kubeFor(context) : ctx.kube()),
  };
}

/**
 * Runs the steps in two parts around the one question `up` may ask: preflight first (read-only),
 * then — only when the limits are low, sudo is needed and there is someone to ask — the sudo
 * question, then the rest. A Ctrl-C at the question ends the run before anything changed (130).
 * When a step fails or is interrupted, the steps after it are listed as not run.
 */
export async function runUp(ctx: Context, options: UpOptions): Promise<UpSummary> {
  const state = createUpState(ctx, options);
  const steps = await runSteps(upSteps(), state, ctx, {
    pause: {
      after: "preflight",
      async run(st) {
        const { confirmHostChanges } = await import("./host.js");
        st.options = await confirmHostChanges(ctx, st.options, st.doctor?.facts.dockerDesktop === true);
      },
    },
  });
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
  const exposed = state.provider.exposed(state.ports);
  const url = (name: keyof typeof EXPOSED) => exposed.find((s) => s.name === name)?.address ?? "";
  const kubeconfig = state.provider.kubeconfigFile(ctx);
  return {
    context: kube.context,
    ...(kubeconfig ? { kubeconfig } : {}),
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

/**
 * What `up --dry-run` prints: every step's plan (the preflight's being its real, read-only results),
 * then where the lab will answer. `blocking` is the error the real run would stop with; the command
 * prints the plan and then fails.
 */
export async function planUp(
  ctx: Context,
  options: UpOptions,
): Promise<{ plan: PlanEntry[]; blocking?: unknown }> {
  const state = createUpState(ctx, options);
  const plan = await planSteps(upSteps(), state);
  const exposed = state.provider.exposed(state.ports).filter((service) => service.hostPort);
  if (exposed.length > 0) {
    plan.push({
      step: "Where the lab answers (127.0.0.1 only; --host-port NAME=PORT changes a port)",
      actions: [
        ...exposed.map((service) => `${service.name} ${service.address}`),
        ...(isUnsupported(state.provider.registry) ? [] : [`registry 127.0.0.1:${state.ports.registry}`]),
      ],
    });
  }
  return state.blocking === undefined ? { plan } : { plan, blocking: state.blocking };
}
