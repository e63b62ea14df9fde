/**
 * The seam between the lab and whatever runs its cluster. A provider owns what differs between
 * kinds of cluster: the context name, creating and deleting the cluster, whether the cluster can pull
 * from the lab's local registry, the node containers chaos may stop, and where the UIs answer. Steps
 * and commands ask the provider and, where it cannot do something, skip with its reason; nothing
 * outside src/lab/provider/ compares provider names.
 */

import type { Runner } from "../../exec/runner.js";
import type { KubeClient } from "../../kube/client.js";
import type { Context, KubeTarget } from "../../runtime/context.js";
import type { EXPOSED, LabPorts } from "../config.js";

/** What a provider cannot do, and why (the skip reason, or the error a command gives). */
export interface Unsupported {
  unsupported: string;
  /** What to do instead, when there is something. */
  hint?: string;
}

export function isUnsupported(value: unknown): value is Unsupported {
  return typeof value === "object" && value !== null && "unsupported" in value;
}

/** What `up`'s cluster step hands the provider. */
export interface ClusterRequest {
  ctx: Context;
  /** Host directory for Ollama's models, mounted into the nodes. */
  modelCache: string;
  ports: LabPorts;
  /** Delete and re-create a cluster made from another config. */
  recreate: boolean;
  /** The client for the provider's context (only valid once the cluster exists). */
  kube(): Promise<KubeClient>;
  progress(text: string): void;
}

export interface ClusterSetup {
  /** How many nodes the cluster has once it is up (the step waits for all of them to be Ready). */
  nodeCount: number;
  /** "created" or "re-created" when this run made the cluster. */
  created?: string;
  /** Other changes this run made (registry wiring), for the step's detail. */
  changes: string[];
}

export type ClusterDeletion = { deleted: true; nodes: string[] } | { deleted: false };

/** The lab's local registry container, which the cluster pulls images and the manifests artifact from. */
export interface LocalRegistry {
  /** Starts or creates the registry container; undefined when it was already running. */
  ensure(ctx: Context, ports: LabPorts): Promise<string | undefined>;
  /** Builds app/ as `image` and pushes it unless the registry has this build; undefined when it has. */
  pushImage(ctx: Context, image: string, sourceHash: string): Promise<string | undefined>;
  /** What ensure would run, for `up --dry-run`. */
  planEnsure(ports: LabPorts): string[];
  /** What pushImage would run, for `up --dry-run`. */
  planPushImage(image: string): string[];
}

/** The node containers on this machine's Docker that chaos node-failure stops and starts. */
export interface NodeContainers {
  /** The container of `node`; throws when the node or its container is not this provider's. */
  containerOf(
    runner: Runner,
    node: { metadata?: { name?: string }; spec?: { providerID?: string } },
    state: string,
  ): Promise<string>;
  stop(runner: Runner, name: string): Promise<void>;
  start(runner: Runner, name: string): Promise<void>;
  /** The lab's node containers that are stopped. */
  stopped(runner: Runner): Promise<string[]>;
}

/** Where one exposed UI answers: a URL on a host port, or the command that opens one. */
export interface ExposedService {
  name: keyof typeof EXPOSED;
  address: string;
  /** The address is a URL on 127.0.0.1 that answers as long as the lab runs. */
  hostPort: boolean;
}

/** What detection reads from a running cluster. */
export interface ClusterFacts {
  context: string;
  nodes: { name: string; providerID?: string; labels: Record<string, string> }[];
}

export interface ClusterProvider {
  name: string;
  /** One line for `up --provider` help. */
  description: string;
  /** The context the lab is reached through; undefined when it is the user's --context and none was given. */
  contextName(target: KubeTarget): string | undefined;
  /** The kubeconfig file ensureCluster writes the context into (and makes current); undefined when it writes none. */
  kubeconfigFile(ctx: Pick<Context, "env" | "kubeTarget">): string | undefined;
  /** The provider works on a cluster the user names with --context (it makes none of its own). */
  needsContext: boolean;
  /**
   * The cluster's nodes run on this machine's Docker: doctor checks the machine, the inotify limits
   * are raised for them, and --host-port applies.
   */
  localNodes: true | Unsupported;
  /** The lab's local registry, when the cluster can pull from it; otherwise why not (→ --repo-url). */
  registry: LocalRegistry | Unsupported;
  /** Creates or reuses the cluster. */
  ensureCluster(request: ClusterRequest): Promise<ClusterSetup | Unsupported>;
  /** What ensureCluster would do, for `up --dry-run`; nodeCount for the step's wait line. */
  planCluster(
    request: Pick<ClusterRequest, "ctx" | "modelCache" | "ports">,
  ): Promise<{ actions: string[]; nodeCount: number } | Unsupported>;
  /** Deletes the cluster this provider created; never a cluster it did not create. */
  deleteCluster(ctx: Context): Promise<ClusterDeletion | Unsupported>;
  nodeContainers: NodeContainers | Unsupported;
  /** Where each UI answers, given the host ports the lab was made with. */
  exposed(ports: LabPorts): ExposedService[];
  /** Whether a running cluster is this provider's (from its context and nodes, never a local file). */
  detect(facts: ClusterFacts): boolean;
}
