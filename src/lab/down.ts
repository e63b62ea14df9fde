/**
 * `sre-lab down`: removes what `up` created, in an order that can be interrupted and re-run at any
 * point — the kind cluster (kind also drops its kubeconfig entries; leftovers are removed through
 * kubectl), the registry container, then the `kind` docker network once nothing uses it. The model
 * cache stays unless purged. Each step looks before it acts, so a second run deletes nothing.
 */

import { throwIfAborted } from "../core/errors.js";
import { formatDecimalBytes } from "../core/units.js";
import { ToolNotFoundError } from "../exec/runner.js";
import type { Context } from "../runtime/context.js";
import { CLUSTER_NAME, REGISTRY } from "./config.js";
import {
  containerState,
  containersOnNetwork,
  KIND_NETWORK,
  networkExists,
  removeContainer,
  removeNetwork,
  requireDockerDaemon,
} from "./docker.js";
import { kubeconfigFlag } from "./kubeconfig.js";
import { checkPurgeable, inspectModelCache, purgeModelCache } from "./model-cache.js";
import { DEFAULT_PROVIDER } from "./provider/index.js";
import { isUnsupported } from "./provider/types.js";

/**
 * `down` removes what `up` creates by default. It does not detect: a half-deleted or stopped cluster
 * cannot answer, and kind itself finds its clusters by their node containers' labels.
 */
const LAB_PROVIDER = DEFAULT_PROVIDER;

export interface DownOptions {
  /** Leave the registry container (and the images pushed to it) in place. */
  keepRegistry: boolean;
  /** Delete the model cache too. */
  purge: boolean;
  /** Absolute path of the model cache (resolveModelCacheDir). */
  modelCacheDir: string;
}

export type LabPart = "cluster" | "kubeconfig" | "registry" | "network" | "model-cache";

export interface DownEntry {
  part: LabPart;
  /** The cluster, context, container or network name, or the cache directory. */
  name: string;
  /** For example the nodes kind deleted, or the cache's size. */
  detail?: string;
}

export interface KeptEntry extends DownEntry {
  /** Why it stayed. */
  reason: string;
}

export interface DownResult {
  deleted: DownEntry[];
  kept: KeptEntry[];
  /** Parts that were not there (already deleted, or never created). */
  absent: DownEntry[];
}

const KUBECTL_TIMEOUT_MS = 15_000;
/** The context the lab's provider writes into the kubeconfig (kind-sre-lab). */
const LAB_CONTEXT = LAB_PROVIDER.contextName({}) ?? "";

export function describePart(entry: DownEntry): string {
  switch (entry.part) {
    case "cluster":
      return `kind cluster ${entry.name}`;
    case "kubeconfig":
      return `kubeconfig entries ${entry.name}`;
    case "registry":
      return `registry container ${entry.name}`;
    case "network":
      return `docker network ${entry.name}`;
    case "model-cache":
      return `model cache ${entry.name}`;
  }
}

export async function runDown(ctx: Context, options: DownOptions): Promise<DownResult> {
  const result: DownResult = { deleted: [], kept: [], absent: [] };
  const { style } = ctx.out;
  const deleted = (entry: DownEntry) => {
    result.deleted.push(entry);
    ctx.out.info(
      `${style.green("✓")} deleted ${describePart(entry)}${entry.detail ? ` (${entry.detail})` : ""}`,
    );
  };

  // A --purge that would be refused must stop `down` before it deletes anything.
  if (options.purge) await checkPurgeable(options.modelCacheDir, ctx.env);
  await requireDockerDaemon(ctx, "sre-lab down");

  // 1. The cluster. kind lists clusters from its node containers' labels, so a cluster whose deletion
  //    was interrupted still shows up here and the next run finishes it.
  throwIfAborted(ctx.signal);
  const deletion = await LAB_PROVIDER.deleteCluster(ctx);
  if (isUnsupported(deletion)) {
    result.kept.push({ part: "cluster", name: CLUSTER_NAME, reason: deletion.unsupported });
  } else if (deletion.deleted) {
    deleted({
      part: "cluster",
      name: CLUSTER_NAME,
      ...(deletion.nodes.length > 0 ? { detail: `nodes ${deletion.nodes.join(", ")}` } : {}),
    });
  } else {
    result.absent.push({ part: "cluster", name: CLUSTER_NAME });
  }

  // 2. Kubeconfig entries kind left behind (its kubeconfig update can fail on its own, or the nodes
  //    were removed by hand).
  throwIfAborted(ctx.signal);
  const leftovers = await kubeconfigLeftovers(ctx);
  if (leftovers === undefined) {
    ctx.out.warn(`kubectl not found: could not check the kubeconfig for leftover ${LAB_CONTEXT} entries`);
  } else if (leftovers.entries.length > 0) {
    await removeKubeconfigEntries(ctx, leftovers);
    deleted({ part: "kubeconfig", name: LAB_CONTEXT, detail: leftovers.entries.join(", ") });
  } else {
    result.absent.push({ part: "kubeconfig", name: LAB_CONTEXT });
  }

  // 3. The registry container (and the images in its anonymous volume).
  throwIfAborted(ctx.signal);
  const registry = { part: "registry" as const, name: REGISTRY.container };
  if ((await containerState(ctx, REGISTRY.container)) === undefined) {
    result.absent.push(registry);
  } else if (options.keepRegistry) {
    result.kept.push({ ...registry, reason: "--keep-registry" });
  } else {
    if (await removeContainer(ctx, REGISTRY.container)) deleted(registry);
    else result.absent.push(registry);
  }

  // 4. The `kind` network, shared by every kind cluster on the machine: only when nothing uses it.
  throwIfAborted(ctx.signal);
  const network = { part: "network" as const, name: KIND_NETWORK };
  if (!(await networkExists(ctx, KIND_NETWORK))) {
    result.absent.push(network);
  } else {
    const users = await containersOnNetwork(ctx, KIND_NETWORK);
    if (users.length > 0) {
      result.kept.push({ ...network, reason: `in use by ${users.join(", ")}` });
    } else if (await removeNetwork(ctx, KIND_NETWORK)) {
      deleted(network);
    } else {
      result.absent.push(network);
    }
  }

  // 5. The model cache: kept by default, so the next `up` does not download ~2.3 GB again.
  throwIfAborted(ctx.signal);
  const cache = await inspectModelCache(options.modelCacheDir);
  const cacheEntry = {
    part: "model-cache" as const,
    name: cache.dir,
    ...(cache.exists ? { detail: formatDecimalBytes(cache.bytes) } : {}),
  };
  if (!cache.exists) {
    result.absent.push(cacheEntry);
  } else if (options.purge) {
    await purgeModelCache(cache.dir, ctx.env);
    deleted(cacheEntry);
  } else {
    result.kept.push({ ...cacheEntry, reason: "for the next sre-lab up; --purge deletes it" });
  }
  return result;
}

interface KubeconfigView {
  clusters?: { name?: string }[] | null;
  users?: { name?: string }[] | null;
  contexts?: { name?: string }[] | null;
  "current-context"?: string;
}

interface Leftovers {
  /** e.g. ["context", "cluster", "user"]: the kinds of entry named LAB_CONTEXT still present. */
  entries: ("context" | "cluster" | "user" | "current-context")[];
}

/** What is still named LAB_CONTEXT (kind-sre-lab) in the kubeconfig; undefined when kubectl is not installed. */
async function kubeconfigLeftovers(ctx: Context): Promise<Leftovers | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await ctx.runner.run(
      "kubectl",
      ["config", "view", "-o", "json", ...kubeconfigFlag(ctx.kubeTarget.kubeconfig)],
      {
        timeoutMs: KUBECTL_TIMEOUT_MS,
        purpose: "read the kubeconfig",
        hint: "is the kubeconfig valid YAML? kubectl config view says where it is not",
      },
    ));
  } catch (error) {
    if (error instanceof ToolNotFoundError) return undefined;
    throw error;
  }
  const view = JSON.parse(stdout.trim() || "{}") as KubeconfigView;
  const named = (list: { name?: string }[] | null | undefined) =>
    (list ?? []).some((item) => item.name === LAB_CONTEXT);
  const entries: Leftovers["entries"] = [];
  if (view["current-context"] === LAB_CONTEXT) entries.push("current-context");
  if (named(view.contexts)) entries.push("context");
  if (named(view.clusters)) entries.push("cluster");
  if (named(view.users)) entries.push("user");
  return { entries };
}

async function removeKubeconfigEntries(ctx: Context, leftovers: Leftovers): Promise<void> {
  const commands: Record<Leftovers["entries"][number], string[]> = {
    "current-context": ["config", "unset", "current-context"],
    context: ["config", "delete-context", LAB_CONTEXT],
    cluster: ["config", "delete-cluster", LAB_CONTEXT],
    user: ["config", "delete-user", LAB_CONTEXT],
  };
  for (const entry of leftovers.entries) {
    throwIfAborted(ctx.signal);
    await ctx.runner.run("kubectl", [...commands[entry], ...kubeconfigFlag(ctx.kubeTarget.kubeconfig)], {
      timeoutMs: KUBECTL_TIMEOUT_MS,
      purpose: `remove the ${entry} entry ${LAB_CONTEXT} from the kubeconfig`,
      hint: `remove it by hand: kubectl ${commands[entry].join(" ")}`,
    });
  }
}
