/**
 * A third cluster provider that exists only in the tests: what adding k3d (or any other) would take.
 * This file is the provider; `cluster` is its fake (here: nodes put on the fake API server, as
 * `k3d cluster create` would make them); one registerProvider line adds it. Its cluster is not on
 * this machine's Docker and cannot pull from the lab's local registry, so `up` skips those steps
 * with the reasons below and Argo CD reads a Git remote.
 */
import { EXPOSED } from "../../src/lab/config.js";
import type { ClusterProvider } from "../../src/lab/provider/types.js";

export const K3D_LIKE_CONTEXT = "k3d-sre-lab";

export const K3D_LIKE_REASONS = {
  localNodes: "k3d-like: its nodes run in k3d's own VM",
  registry: "k3d-like: its cluster pulls from its own registry",
  nodeContainers: "k3d-like: no node containers on this machine's Docker",
} as const;

/** The part a real provider would run k3d for. */
export interface K3dLikeCluster {
  exists(): boolean;
  /** Makes the cluster; resolves with its node count. */
  create(): Promise<number>;
  delete(): Promise<string[]>;
}

export function k3dLikeProvider(cluster: K3dLikeCluster): ClusterProvider {
  return {
    name: "k3d-like",
    description: "a test-only k3d stand-in",
    contextName: () => K3D_LIKE_CONTEXT,
    kubeconfigFile: () => undefined,
    needsContext: false,
    localNodes: { unsupported: K3D_LIKE_REASONS.localNodes },
    registry: { unsupported: K3D_LIKE_REASONS.registry, hint: "pass --repo-url" },
    async ensureCluster(request) {
      if (cluster.exists()) {
        const nodes = await (await request.kube()).list("v1", "Node");
        return { nodeCount: nodes.length, changes: [] };
      }
      request.progress("creating the k3d-like cluster");
      return { nodeCount: await cluster.create(), created: "created", changes: [] };
    },
    planCluster: async () => ({ actions: ["k3d cluster create sre-lab"], nodeCount: 2 }),
    async deleteCluster() {
      return cluster.exists() ? { deleted: true, nodes: await cluster.delete() } : { deleted: false };
    },
    nodeContainers: { unsupported: K3D_LIKE_REASONS.nodeContainers },
    exposed: () =>
      (Object.keys(EXPOSED) as (keyof typeof EXPOSED)[]).map((name) => ({
        name,
        address: `sre-lab open ${name}`,
        hostPort: false,
      })),
    detect: (facts) =>
      facts.context === K3D_LIKE_CONTEXT && facts.nodes.some((n) => n.providerID?.startsWith("k3s://")),
  };
}
