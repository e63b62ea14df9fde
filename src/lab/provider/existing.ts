/**
 * The existing provider: a cluster the user already runs, named with --context and used as it is.
 * sre-lab creates and deletes nothing there but its GitOps objects (behind the write guard), its
 * nodes are not containers on this machine, and it cannot pull from the lab's local registry, so
 * Argo CD reads a Git remote (--repo-url) and the UIs are reached with `sre-lab open NAME`.
 */
import { EXPOSED } from "../config.js";
import type { ClusterProvider } from "./types.js";

const NOT_LOCAL = "not a local kind cluster";
const USING_IT = "using the existing cluster";

export const existingProvider: ClusterProvider = {
  name: "existing",
  description: "use --context as it is",
  contextName: (target) => target.context,
  kubeconfigFile: () => undefined,
  needsContext: true,
  localNodes: {
    unsupported: NOT_LOCAL,
    hint: "an existing cluster keeps its own ports; use sre-lab open to reach the UIs",
  },
  registry: {
    unsupported: "an existing cluster cannot read the lab's local registry",
    hint: "point Argo CD at a Git remote: --repo-url URL --revision REF",
  },
  ensureCluster: async () => ({ unsupported: USING_IT }),
  planCluster: async () => ({ unsupported: USING_IT }),
  deleteCluster: async () => ({
    unsupported: "sre-lab never deletes a cluster it did not create",
    hint: "to undo `up --provider existing`, delete the Applications in namespace argocd with kubectl (docs/existing-cluster.md)",
  }),
  nodeContainers: {
    unsupported: "the nodes of an existing cluster are not containers on this machine's Docker",
    hint: "node-failure runs only against the lab's kind cluster",
  },
  exposed: () =>
    (Object.keys(EXPOSED) as (keyof typeof EXPOSED)[]).map((name) => ({
      name,
      address: `sre-lab open ${name}`,
      hostPort: false,
    })),
  // The fallback: any cluster no other provider claims (see ./index.ts).
  detect: () => true,
};
