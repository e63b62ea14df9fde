/**
 * The one list of cluster providers. `up --provider NAME` looks names up here (and its help lists
 * them); every other command reads the provider of the running lab from the cluster with
 * detectProvider. Adding a provider is its file and one line in PROVIDERS.
 */
import { InterruptedError, UsageError } from "../../core/errors.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { type EXPOSED, labPortsOf } from "../config.js";
import { existingProvider } from "./existing.js";
import { kindProvider } from "./kind.js";
import type { ClusterFacts, ClusterProvider } from "./types.js";

/** In detection order: the first whose detect() claims a cluster is its provider. */
const PROVIDERS: ClusterProvider[] = [kindProvider, existingProvider];

/** What `up` uses without --provider, and what `down` removes. */
export const DEFAULT_PROVIDER: ClusterProvider = kindProvider;

/** The fallback of detection: a cluster no provider claims is an existing cluster. */
const FALLBACK_PROVIDER: ClusterProvider = existingProvider;

/**
 * Adds a provider ahead of the fallback (tests register a stand-in through it); returns the undo.
 */
export function registerProvider(provider: ClusterProvider): () => void {
  if (PROVIDERS.some((p) => p.name === provider.name)) {
    throw new Error(`a provider named "${provider.name}" is already registered`);
  }
  PROVIDERS.splice(PROVIDERS.indexOf(FALLBACK_PROVIDER), 0, provider);
  return () => {
    const index = PROVIDERS.indexOf(provider);
    if (index >= 0) PROVIDERS.splice(index, 1);
  };
}

export function providers(): readonly ClusterProvider[] {
  return PROVIDERS;
}

/** `kind (create the lab cluster) or existing (use --context as it is)`: for help texts. */
export function describeProviders(): string {
  const each = PROVIDERS.map((p) => `${p.name} (${p.description})`);
  return each.length > 1 ? `${each.slice(0, -1).join(", ")} or ${each.at(-1)}` : (each[0] ?? "");
}

/**
 * The contexts of the labs sre-lab makes itself: one per provider that creates its own cluster
 * (kind's kind-sre-lab). A context by one of these names is the lab's to the write guard and status.
 */
export function labContexts(): string[] {
  return PROVIDERS.filter((p) => !p.needsContext).flatMap((p) => p.contextName({}) ?? []);
}

export function isLabContext(context: string | undefined): boolean {
  return context !== undefined && labContexts().includes(context);
}

export function findProvider(name: string): ClusterProvider | undefined {
  return PROVIDERS.find((p) => p.name === name);
}

/** The provider registered as `name`; a UsageError naming the others when there is none. */
export function providerNamed(name: string): ClusterProvider {
  const provider = findProvider(name);
  if (provider) return provider;
  const names = PROVIDERS.map((p) => (p === DEFAULT_PROVIDER ? `${p.name} (default)` : p.name));
  throw new UsageError(`unknown provider "${name}"`, {
    hint: `use --provider ${names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names[0]}`,
  });
}

interface NodeFields extends KubeObject {
  spec?: { providerID?: string };
}

/** The facts detection reads: the context's name and each node's name, providerID and labels. */
export function clusterFacts(context: string, nodes: readonly NodeFields[]): ClusterFacts {
  return {
    context,
    nodes: nodes.map((n) => ({
      name: n.metadata?.name ?? "",
      ...(n.spec?.providerID ? { providerID: n.spec.providerID } : {}),
      labels: n.metadata?.labels ?? {},
    })),
  };
}

export function providerOf(facts: ClusterFacts): ClusterProvider {
  return PROVIDERS.find((p) => p !== FALLBACK_PROVIDER && p.detect(facts)) ?? FALLBACK_PROVIDER;
}

/** The provider of the running cluster behind `kube`, read from its context and nodes. */
export async function detectProvider(kube: Pick<KubeClient, "context" | "list">): Promise<ClusterProvider> {
  return providerOf(clusterFacts(kube.context, await kube.list<NodeFields>("v1", "Node")));
}

/**
 * Where the running lab's UI `name` answers on this machine, read from the cluster: its provider's
 * host-port URL (kind: 127.0.0.1 and the port the nodes record, `up --host-port`), or undefined when
 * the provider maps no host port (an existing cluster) or the nodes cannot be read.
 */
export async function labHostUrl(
  kube: Pick<KubeClient, "context" | "list">,
  name: keyof typeof EXPOSED,
): Promise<string | undefined> {
  let nodes: NodeFields[];
  try {
    nodes = await kube.list<NodeFields>("v1", "Node");
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return undefined;
  }
  const exposed = providerOf(clusterFacts(kube.context, nodes)).exposed(labPortsOf(nodes));
  return exposed.find((service) => service.name === name && service.hostPort)?.address;
}

export type { ClusterProvider } from "./types.js";
export { isUnsupported } from "./types.js";
