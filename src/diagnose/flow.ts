/**
 * `sre-lab diagnose` as a flow: where the evidence comes from (a saved bundle, the in-cluster agent,
 * or the agent's code run here with --local), the events of the run passed on as they arrive (so
 * the command can print findings at once and the answer token by token), and the result as data.
 */

import { SreLabError } from "../core/errors.js";
import type { KubeClient } from "../kube/client.js";
import { DEFAULT_MODEL, NAMESPACES } from "../lab/config.js";
import { labModel } from "../lab/model.js";
import { labHostUrl } from "../lab/provider/index.js";
import type { Context } from "../runtime/context.js";
import { parseBundle, serializeBundle } from "./bundle.js";
import { readBundleInput } from "./bundle-input.js";
import { BundleAssembler, type TransferredBundle } from "./bundle-transfer.js";
import { collectEvidence } from "./collect.js";
import { type AgentMode, DEFAULT_OLLAMA_URL, DEFAULT_PROMETHEUS_URL } from "./engine/config.js";
import type { AgentEvent, AnalysisFailure, AnalysisStats } from "./engine/protocol.js";
import { type ModelConnection, runDiagnosis } from "./engine/run.js";
import type { ContainerMetrics, Evidence, PodSummary, SourceStatus } from "./evidence.js";
import type { Grounding } from "./grounding.js";
import type { ChatMessage } from "./prompt.js";
import { writeBundleFile } from "./save-bundle.js";
import { findTargetPod, validateNamespace } from "./target.js";
import type { Finding } from "./types.js";

/** Ollama on this machine, for --bundle (no cluster is contacted, so no port-forward). */
export const HOST_OLLAMA_URL = "http://127.0.0.1:11434";
/** Overrides where --local finds Prometheus (default: the lab's host port on the lab's context). */
export const PROMETHEUS_URL_ENV = "SRE_LAB_PROMETHEUS_URL";
/** Time kept for the agent to report a slow model before its Job's deadline. */
const ANSWER_MARGIN_MS = 20_000;

export type DiagnoseTarget =
  | { kind: "bundle"; file: string; maxBytes?: number }
  | {
      kind: "live";
      pod: string;
      namespace: string | undefined;
      /** --in-cluster, --local, or neither: the agent on the lab, read-only anywhere else. */
      where: "cluster" | "local" | "auto";
    };

export interface DiagnoseOptions {
  target: DiagnoseTarget;
  mode: AgentMode;
  /**
   * Undefined: the model the lab was brought up with (`up --model`, read from the cluster) when the
   * lab's own Ollama answers, else DEFAULT_MODEL (a --bundle, or --ollama-url to another Ollama).
   */
  model: string | undefined;
  /** Ollama as the agent (or this machine) reaches it; default by target. */
  ollamaUrl: string | undefined;
  saveBundle: { path: string; format: "json" | "yaml"; overwrite: boolean } | undefined;
  keep: boolean;
  /**
   * --yes / --force: the write guard's consent for --in-cluster off the lab; `guarded`: the caller's
   * own guard already passed for this context (gameday), so diagnose does not ask again.
   */
  consent?: { yes: boolean; force: boolean; guarded?: boolean };
  timeoutMs: number;
}

/** The model's answer with Ollama's figures for it (AnalysisStats: tokens, speed, load and prefill). */
export interface Analysis extends AnalysisStats {
  text: string;
  /** The answer checked against the evidence (null from an agent that does not check). */
  grounded: Grounding | null;
}

export interface PromptResult {
  messages: ChatMessage[];
  estimatedTokens: number;
  numCtx: number;
  maxAnswerTokens: number;
}

export interface DiagnoseResult {
  pod: PodSummary;
  findings: Finding[];
  /** null with --no-ai, --print-prompt, or when the model could not answer. */
  analysis: Analysis | null;
  /** Why there is no analysis although one was asked for. */
  analysisFailure?: { reason: AnalysisFailure; message: string; hint?: string };
  prompt?: PromptResult;
  sources: SourceStatus[];
  metrics: ContainerMetrics[];
  savedBundle?: string;
}

export async function runDiagnose(
  ctx: Context,
  options: DiagnoseOptions,
  onEvent: (event: AgentEvent) => void,
): Promise<DiagnoseResult> {
  const state = new ResultBuilder(options, ctx);
  const handle = (event: AgentEvent) => {
    state.add(event);
    onEvent(event);
  };
  const { target } = options;
  if (target.kind === "bundle") {
    const bundle = await readBundle(target.file, { maxBytes: target.maxBytes, signal: ctx.signal });
    ctx.out.info(
      `analysing the saved bundle ${target.file === "-" ? "from stdin" : target.file} (no cluster is contacted)`,
    );
    await runDiagnosis(request(options, options.model ?? DEFAULT_MODEL, "host"), {
      evidence: async () => ({
        bundle,
        sources: [{ name: "bundle", ok: true, detail: target.file }],
        metrics: [],
      }),
      connectModel: () => connectHostModel(ctx, options.ollamaUrl ?? HOST_OLLAMA_URL),
      emit: handle,
      signal: ctx.signal,
    });
    return state.result();
  }

  const kube = await ctx.kube();
  const namespace = target.namespace ?? kube.namespace;
  validateNamespace(namespace);
  const { chooseMode, checkModeAccess } = await import("./cluster-mode.js");
  const where = await chooseMode(ctx, kube, {
    where: target.where,
    namespace,
    keep: options.keep,
    consent: options.consent ?? { yes: false, force: false },
  });
  await checkModeAccess(ctx, kube, where, namespace, options.keep);
  const pod = await findTargetPod(kube, namespace, target.pod);
  const model =
    options.model ??
    (options.ollamaUrl !== undefined || options.mode === "no-ai" ? DEFAULT_MODEL : await labModel(kube));
  if (where === "local") {
    ctx.out.info(
      `collecting evidence for ${namespace}/${target.pod} from this machine (${target.where === "local" ? "--local" : "read-only"}, context ${kube.context})`,
    );
    // The port-forward opens and the model loads while the evidence is collected.
    await runDiagnosis(
      { ...request(options, model, "host"), preload: true },
      {
        evidence: () => collectLocally(ctx, kube, namespace, target.pod),
        connectModel: () =>
          options.ollamaUrl ? connectHostModel(ctx, options.ollamaUrl) : connectThroughPortForward(ctx, kube),
        emit: handle,
        signal: ctx.signal,
      },
    );
    return state.result();
  }

  const { runInCluster } = await import("./in-cluster.js");
  ctx.out.info(`diagnosing ${namespace}/${target.pod} with the in-cluster agent (context ${kube.context})`);
  await runInCluster(
    ctx,
    kube,
    {
      pod,
      namespace,
      config: {
        mode: options.mode,
        model,
        ollamaUrl: options.ollamaUrl ?? DEFAULT_OLLAMA_URL,
        prometheusUrl: DEFAULT_PROMETHEUS_URL,
        emitBundle: options.saveBundle !== undefined,
        // Shorter than the Job's deadline, so a slow model is reported, not killed.
        answerTimeoutMs:
          options.timeoutMs >= 3 * ANSWER_MARGIN_MS ? options.timeoutMs - ANSWER_MARGIN_MS : undefined,
      },
      keep: options.keep,
      timeoutMs: options.timeoutMs,
    },
    handle,
  );
  return state.result();
}

function request(options: DiagnoseOptions, model: string, modelLocation: "cluster" | "host") {
  return {
    mode: options.mode,
    model,
    emitBundle: options.saveBundle !== undefined,
    modelLocation,
    answerTimeoutMs: options.timeoutMs,
  };
}

/**
 * Reads (bundle-input.ts: regular files or stdin, size-capped) and parses a bundle; every problem
 * is a UsageError (exit 2) that says what is wrong.
 */
export async function readBundle(
  file: string,
  options: { maxBytes?: number | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Evidence["bundle"]> {
  const text = await readBundleInput(file, {
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    signal: options.signal,
  });
  return parseBundle(text, file === "-" ? "stdin" : file);
}

async function collectLocally(
  ctx: Context,
  kube: KubeClient,
  namespace: string,
  pod: string,
): Promise<Evidence> {
  const configured = ctx.env[PROMETHEUS_URL_ENV];
  const url =
    configured !== undefined ? configured.trim() || undefined : await labHostUrl(kube, "prometheus");
  return collectEvidence(kube, {
    namespace,
    pod,
    cluster: kube.context,
    ...(url === undefined
      ? {
          prometheusSkipped: `no Prometheus reachable from this machine for context ${kube.context} (set ${PROMETHEUS_URL_ENV})`,
        }
      : { prometheus: await ctx.prometheus(url) }),
  });
}

async function connectHostModel(ctx: Context, url: string): Promise<ModelConnection> {
  return { client: await ctx.ollama(url), close: async () => {} };
}

/** --local without --ollama-url: the lab's Ollama through `kubectl port-forward svc/ollama`. */
async function connectThroughPortForward(ctx: Context, kube: KubeClient): Promise<ModelConnection> {
  const { startPortForward } = await import("../lab/port-forward.js");
  const forward = await startPortForward(ctx, {
    namespace: NAMESPACES.ollama,
    service: "ollama",
    servicePort: 11434,
    localPort: 0,
    context: kube.context,
    readyTimeoutMs: 15_000,
  });
  return {
    client: await ctx.ollama(`http://127.0.0.1:${forward.localPort}`),
    close: () => forward.stop(),
  };
}

/** Folds the run's events into the result, and writes --save-bundle as soon as the bundle is whole. */
class ResultBuilder {
  private pod: PodSummary | undefined;
  private findings: Finding[] = [];
  private sources: SourceStatus[] = [];
  private metrics: ContainerMetrics[] = [];
  private text = "";
  private analysis: Analysis | null = null;
  private failure: DiagnoseResult["analysisFailure"];
  private prompt: PromptResult | undefined;
  private readonly bundle = new BundleAssembler();
  private savedBundle: string | undefined;

  constructor(
    private readonly options: DiagnoseOptions,
    private readonly ctx: Context,
  ) {}

  add(event: AgentEvent): void {
    switch (event.type) {
      case "findings":
        this.pod = event.pod;
        this.findings = event.findings;
        this.sources = event.sources;
        this.metrics = event.metrics;
        break;
      case "bundle":
        this.bundle.add(event);
        if (this.bundle.done) this.save(this.bundle.result());
        break;
      case "prompt":
        this.prompt = {
          messages: event.messages,
          estimatedTokens: event.estimatedTokens,
          numCtx: event.numCtx,
          maxAnswerTokens: event.maxAnswerTokens,
        };
        break;
      case "token":
        this.text += event.text;
        break;
      case "analysis-failed":
        this.failure = {
          reason: event.reason,
          message: event.message,
          ...(event.hint === undefined ? {} : { hint: event.hint }),
        };
        break;
      case "done":
        if (event.stats)
          this.analysis = { ...event.stats, text: this.text, grounded: event.grounding ?? null };
        break;
    }
  }

  private save(payload: TransferredBundle): void {
    const target = this.options.saveBundle;
    if (!target) return;
    try {
      writeBundleFile(target.path, serializeEvidence(payload, target.format), target.overwrite);
    } catch (error) {
      if (error instanceof SreLabError) throw error;
      throw new SreLabError(
        `cannot write the bundle to ${target.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        {
          hint: "choose a writable path for --save-bundle",
          cause: error,
        },
      );
    }
    this.savedBundle = target.path;
    this.ctx.out.info(`saved the evidence bundle (secrets redacted) to ${target.path}`);
  }

  result(): DiagnoseResult {
    if (!this.pod) throw new SreLabError("the diagnosis ended without findings");
    if (this.options.saveBundle && !this.savedBundle)
      throw new SreLabError("the evidence bundle did not arrive, so it was not saved");
    return {
      pod: this.pod,
      findings: this.findings,
      analysis: this.analysis,
      ...(this.failure ? { analysisFailure: this.failure } : {}),
      ...(this.prompt ? { prompt: this.prompt } : {}),
      sources: this.sources,
      metrics: this.metrics,
      ...(this.savedBundle ? { savedBundle: this.savedBundle } : {}),
    };
  }
}

/**
 * The file --save-bundle writes: the contract's bundle (redacted again by serializeBundle) plus the
 * Prometheus figures under `metrics`, an extra top-level field that readers ignore.
 */
export function serializeEvidence(payload: TransferredBundle, format: "json" | "yaml"): string {
  const text = serializeBundle(payload.bundle, { format });
  if (payload.metrics.length === 0) return text;
  if (format === "yaml") {
    // Each figure as a JSON flow mapping, which is YAML too.
    return `${text}metrics:\n${payload.metrics.map((m) => `  - ${JSON.stringify(m)}`).join("\n")}\n`;
  }
  return `${JSON.stringify({ ...(JSON.parse(text) as object), metrics: payload.metrics }, null, 2)}\n`;
}
