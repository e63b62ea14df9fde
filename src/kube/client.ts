/**
 * The Kubernetes boundary: a small, typed client over @kubernetes/client-node, built lazily from a
 * kubeconfig and context (never at import time; `--help` must not load client-node). It covers what
 * the flows need — get, list, server-side apply, delete, waits with deadlines, logs — and turns every
 * failure into a typed error that says what failed and what to do.
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import type * as k8s from "@kubernetes/client-node";
import { type Clock, systemClock } from "../core/clock.js";
import { formatDuration } from "../core/duration.js";
import { DeadlineError, InterruptedError, SreLabError, UsageError } from "../core/errors.js";
import { KubeNotFoundError, toKubeError } from "./errors.js";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

export interface WaitOptions<T> {
  timeoutMs: number;
  /** What we wait for, for progress and the deadline message: `node sre-lab-worker to be Ready`. */
  what: string;
  /** Summarises the last state seen, for the deadline message. */
  describe?: (objects: T[]) => string;
}

export interface LogOptions {
  container: string;
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

export interface KubeClient {
  readonly context: string;
  readonly namespace: string;
  readonly server: string;
  get<T extends KubeObject>(ref: ObjectRef): Promise<T>;
  /** Like get, but undefined when the object does not exist. */
  find<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject>(apiVersion: string, kind: string, options?: ListOptions): Promise<T[]>;
  create<T extends KubeObject>(object: T): Promise<T>;
  /** Server-side apply (creates or updates) as field manager `sre-lab`. */
  apply<T extends KubeObject>(object: T, options?: { fieldManager?: string; force?: boolean }): Promise<T>;
  /** Deletes; false when it was already gone. */
  delete(
    ref: ObjectRef,
    options?: { propagationPolicy?: "Background" | "Foreground" | "Orphan" },
  ): Promise<boolean>;
  /**
   * Lists, then watches, the matching objects until `check` returns a value, which is returned.
   * Re-lists when a watch ends early; throws DeadlineError (with the last state) after `timeoutMs`.
   * `check` may throw to end the wait with a failure (for example an Application that failed to sync).
   */
  waitFor<T extends KubeObject, R>(
    apiVersion: string,
    kind: string,
    options: ListOptions,
    check: (objects: T[]) => R | undefined,
    wait: WaitOptions<T>,
  ): Promise<R>;
  readLog(namespace: string, pod: string, options: LogOptions): Promise<string>;
  /** Streams a container's log to `onData` until the container stops or the signal fires. */
  followLog(
    namespace: string,
    pod: string,
    options: LogOptions & { onData: (text: string) => void },
  ): Promise<void>;
}

export interface KubeClientOptions {
  /** --kubeconfig; otherwise KUBECONFIG from env (several files merged), else $HOME/.kube/config. */
  kubeconfig?: string | undefined;
  /** --context; otherwise the kubeconfig's current context. */
  context?: string | undefined;
  /** Use the pod's ServiceAccount (the in-cluster agent). */
  inCluster?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** What waitFor's deadlines read and sleep on; the system clock by default. */
  clock?: Clock;
}

function kubeconfigFiles(options: KubeClientOptions): { files: string[]; explicit: boolean } {
  const env = options.env ?? process.env;
  if (options.kubeconfig) return { files: [options.kubeconfig], explicit: true };
  if (env.KUBECONFIG) return { files: env.KUBECONFIG.split(delimiter).filter(Boolean), explicit: true };
  return { files: env.HOME ? [join(env.HOME, ".kube", "config")] : [], explicit: false };
}

function loadConfig(client: typeof k8s, options: KubeClientOptions): k8s.KubeConfig {
  const kc = new client.KubeConfig();
  if (options.inCluster) {
    kc.loadFromCluster();
    return kc;
  }
  const { files, explicit } = kubeconfigFiles(options);
  const present = files.filter((f) => existsSync(f));
  if (present.length === 0) {
    if (explicit) {
      throw new UsageError(`kubeconfig file not found: ${files.join(", ")}`, {
        hint: "pass an existing file with --kubeconfig, or unset KUBECONFIG",
      });
    }
    throw new SreLabError("no Kubernetes cluster is configured (no kubeconfig found)", {
      hint: "create the lab with `sre-lab up`, or point at a cluster with --kubeconfig and --context",
    });
  }
  try {
    kc.loadFromFile(present[0]!);
    for (const file of present.slice(1)) {
      const extra = new client.KubeConfig();
      extra.loadFromFile(file);
      mergeFirstWins(kc, extra);
    }
  } catch (error) {
    throw new UsageError(`cannot read kubeconfig ${present.join(", ")}: ${(error as Error).message}`, {
      hint: "check the file is a valid kubeconfig (kubectl config view)",
      cause: error,
    });
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const names = kc.getContexts().map((c) => c.name);
      throw new UsageError(`context "${options.context}" is not in the kubeconfig`, {
        hint: names.length ? `available contexts: ${names.join(", ")}` : "the kubeconfig has no contexts",
      });
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentContext() || !kc.getCurrentCluster()) {
    // Nothing is selected (typically after `kind delete cluster`): no cluster, not a usage mistake.
    throw new SreLabError("no Kubernetes cluster is selected: the kubeconfig has no current context", {
      hint: "create the lab with `sre-lab up`, or choose a cluster with --context (kubectl config get-contexts lists them)",
    });
  }
  return kc;
}

/**
 * kubectl's merge of a KUBECONFIG list: the first file to define a cluster, user or context (by
 * name) or the current-context wins; later duplicates are ignored. (client-node's mergeConfig throws
 * "Duplicate cluster" instead, which is what `KUBECONFIG=a:b` with a shared name used to hit.)
 */
function mergeFirstWins(into: k8s.KubeConfig, from: k8s.KubeConfig): void {
  for (const cluster of from.clusters) if (!into.getCluster(cluster.name)) into.addCluster(cluster);
  for (const user of from.users) if (!into.getUser(user.name)) into.addUser(user);
  for (const context of from.contexts) if (!into.getContextObject(context.name)) into.addContext(context);
  if (!into.getCurrentContext() && from.getCurrentContext()) into.setCurrentContext(from.getCurrentContext());
}

/** Loads client-node on first use and returns a client bound to one context. */
export async function createKubeClient(options: KubeClientOptions = {}): Promise<KubeClient> {
  const client = await import("@kubernetes/client-node");
  const kc = loadConfig(client, options);
  const context = kc.getCurrentContext();
  const server = kc.getCurrentCluster()?.server ?? "(unknown server)";
  const namespace = options.inCluster ? "default" : (kc.getContextObject(context)?.namespace ?? "default");

  /** Exposes client-node's discovery-backed URL building, which it keeps protected. */
  class ObjectApi extends client.KubernetesObjectApi {
    static forConfig(config: k8s.KubeConfig): ObjectApi {
      const api = config.makeApiClient(ObjectApi);
      api.setDefaultNamespace(config);
      return api;
    }
    collectionPath(apiVersion: string, kind: string, ns: string | undefined): Promise<string> {
      return this.specUriPath({ apiVersion, kind, metadata: ns ? { namespace: ns } : {} }, "list");
    }
  }
  const objects = ObjectApi.forConfig(kc);
  const core = kc.makeApiClient(client.CoreV1Api);
  const signal = options.signal;
  const clock = options.clock ?? systemClock;

  const scope = (action: string) => ({ context, server, action });
  const describeRef = (ref: ObjectRef) =>
    `${ref.kind} "${ref.name}"${ref.namespace ? ` in namespace "${ref.namespace}"` : ""}`;
  const header = (ref: ObjectRef) => ({
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
  });
  const guard = async <R>(action: string, call: () => Promise<R>): Promise<R> => {
    if (signal?.aborted) throw new InterruptedError();
    try {
      return await call();
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError();
      throw toKubeError(error, scope(action));
    }
  };

  const api: KubeClient = {
    context,
    namespace,
    server,
    get: (ref) => guard(`get ${describeRef(ref)}`, () => objects.read(header(ref)) as never),
    async find(ref) {
      try {
        return await api.get(ref);
      } catch (error) {
        if (error instanceof KubeNotFoundError) return undefined;
        throw error;
      }
    },
    list: (apiVersion, kind, opts = {}) =>
      guard(`list ${kind}`, async () => {
        const result = await listObjects(objects, apiVersion, kind, opts);
        return result.items as never;
      }),
    create: (object) =>
      guard(
        `create ${object.kind} "${object.metadata?.name}"`,
        () => objects.create(object as never) as never,
      ),
    apply: (object, opts = {}) =>
      guard(
        `apply ${object.kind} "${object.metadata?.name}"`,
        () =>
          objects.patch(
            object as never,
            undefined,
            undefined,
            opts.fieldManager ?? "sre-lab",
            opts.force ?? true,
            client.PatchStrategy.ServerSideApply,
          ) as never,
      ),
    async delete(ref, opts = {}) {
      try {
        await guard(`delete ${describeRef(ref)}`, () =>
          objects.delete(
            header(ref),
            undefined,
            undefined,
            undefined,
            undefined,
            opts.propagationPolicy ?? "Background",
          ),
        );
        return true;
      } catch (error) {
        if (error instanceof KubeNotFoundError) return false;
        throw error;
      }
    },
    waitFor: (apiVersion, kind, opts, check, wait) =>
      waitFor(
        { objects, watch: new client.Watch(kc), signal, guard, clock },
        apiVersion,
        kind,
        opts,
        check,
        wait,
      ),
    readLog: (ns, pod, opts) =>
      guard(`read the log of container "${opts.container}" in pod "${pod}"`, () =>
        core.readNamespacedPodLog({
          name: pod,
          namespace: ns,
          container: opts.container,
          ...(opts.previous ? { previous: true } : {}),
          ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
          ...(opts.limitBytes !== undefined ? { limitBytes: opts.limitBytes } : {}),
        }),
      ),
    async followLog(ns, pod, opts) {
      const sink = new PassThrough();
      // Decode across chunk boundaries (a UTF-8 character may span two chunks).
      sink.setEncoding("utf8");
      sink.on("data", (text: string) => opts.onData(text));
      // client-node pipes the response into `sink` without an error listener on its side: an abort
      // or a dropped connection would be an unhandled error. Take the source's errors here.
      sink.on("pipe", (source: NodeJS.ReadableStream) => {
        source.on("error", (error: Error) => sink.destroy(error));
      });
      let controller: AbortController;
      try {
        controller = await guard(`follow the log of pod "${pod}"`, () =>
          new client.Log(kc).log(ns, pod, opts.container, sink, {
            follow: true,
            ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
          }),
        );
      } catch (error) {
        // client-node drops the API server's Status on a failed log request; ask once more without
        // following, which returns it, so the user sees the real reason (for example "container not found").
        await api.readLog(ns, pod, { container: opts.container, tailLines: 1 });
        throw error;
      }
      const onAbort = () => controller.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        await finished(sink).catch(() => undefined);
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
      if (signal?.aborted) throw new InterruptedError();
    },
  };
  return api;
}

/** client-node's positional list() with our options object. */
function listObjects(
  objects: Pick<k8s.KubernetesObjectApi, "list">,
  apiVersion: string,
  kind: string,
  opts: ListOptions,
): Promise<k8s.KubernetesListObject<k8s.KubernetesObject>> {
  return objects.list(
    apiVersion,
    kind,
    opts.namespace,
    undefined,
    undefined,
    undefined,
    opts.fieldSelector,
    opts.labelSelector,
  );
}

interface WaitDeps {
  objects: {
    collectionPath(apiVersion: string, kind: string, ns: string | undefined): Promise<string>;
  } & Pick<k8s.KubernetesObjectApi, "list">;
  watch: k8s.Watch;
  signal: AbortSignal | undefined;
  guard: <R>(action: string, call: () => Promise<R>) => Promise<R>;
  clock: Clock;
}

async function waitFor<T extends KubeObject, R>(
  deps: WaitDeps,
  apiVersion: string,
  kind: string,
  opts: ListOptions,
  check: (objects: T[]) => R | undefined,
  wait: WaitOptions<T>,
): Promise<R> {
  const { clock } = deps;
  const deadline = clock.now() + wait.timeoutMs;
  const seen = new Map<string, T>();
  const key = (o: T) => o.metadata?.uid ?? `${o.metadata?.namespace}/${o.metadata?.name}`;
  const timeoutError = () =>
    new DeadlineError(`timed out after ${formatDuration(wait.timeoutMs)} waiting for ${wait.what}`, {
      details: wait.describe ? `last seen: ${wait.describe([...seen.values()])}` : undefined,
      hint: "the cluster may be slow or stuck; check with sre-lab status, then run the command again",
    });
  const path = await deps.guard(`find the API path for ${kind}`, () =>
    deps.objects.collectionPath(apiVersion, kind, opts.namespace),
  );

  while (clock.now() < deadline) {
    const listed = await deps.guard(`list ${kind}`, () => listObjects(deps.objects, apiVersion, kind, opts));
    seen.clear();
    for (const item of listed.items as T[]) seen.set(key(item), item);
    const ready = check([...seen.values()]);
    if (ready !== undefined) return ready;

    const remainingSeconds = Math.max(1, Math.ceil((deadline - clock.now()) / 1000));
    const outcome = await new Promise<{ value?: R; ended: boolean; error?: unknown; fatal?: boolean }>(
      (resolve) => {
        let controller: AbortController | undefined;
        let settled = false;
        const settle = (result: { value?: R; ended: boolean; error?: unknown; fatal?: boolean }) => {
          if (settled) return;
          settled = true;
          timer.abort();
          deps.signal?.removeEventListener("abort", onAbort);
          controller?.abort();
          resolve(result);
        };
        // The deadline on the injected clock (the watch's own timeoutSeconds is only a backstop).
        const timer = new AbortController();
        clock.sleep(Math.max(0, deadline - clock.now()), timer.signal).then(
          () => settle({ ended: true }),
          () => undefined,
        );
        const onAbort = () => settle({ ended: true, error: new InterruptedError() });
        deps.signal?.addEventListener("abort", onAbort, { once: true });
        deps.watch
          .watch(
            path,
            {
              resourceVersion: listed.metadata?.resourceVersion,
              labelSelector: opts.labelSelector,
              fieldSelector: opts.fieldSelector,
              timeoutSeconds: remainingSeconds,
              allowWatchBookmarks: true,
            },
            (type: string, object: T) => {
              if (type === "ERROR") {
                settle({ ended: true }); // e.g. 410 Gone: re-list and watch again
                return;
              }
              if (type === "BOOKMARK") return;
              if (type === "DELETED") seen.delete(key(object));
              else seen.set(key(object), object);
              // client-node swallows what a watch callback throws: carry a failing check out by hand.
              try {
                const value = check([...seen.values()]);
                if (value !== undefined) settle({ value, ended: false });
              } catch (error) {
                settle({ ended: true, error, fatal: true });
              }
            },
            (error: unknown) => settle({ ended: true, error }),
          )
          .then(
            (c) => {
              controller = c;
              if (settled) c.abort();
            },
            (error: unknown) => settle({ ended: true, error }),
          );
      },
    );
    if (outcome.value !== undefined) return outcome.value;
    if (outcome.fatal) throw outcome.error;
    if (outcome.error instanceof InterruptedError || deps.signal?.aborted) throw new InterruptedError();
    if (outcome.error && (outcome.error as { name?: string }).name !== "AbortError") {
      // A broken watch is retried by re-listing; a persistent failure surfaces from list().
      await clock.sleep(Math.min(1_000, Math.max(0, deadline - clock.now())), deps.signal);
    }
  }
  throw timeoutError();
}
