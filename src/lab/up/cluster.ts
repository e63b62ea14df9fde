/**
 * Step 4: the cluster. The provider creates or reuses it (kind: reuses a cluster made from the same
 * config, refuses one made from another unless --recreate, wires containerd on every node to the
 * local registry; src/lab/provider/kind.ts); then the step waits until every node is Ready (kind
 * itself waits only for the control plane). A provider that makes no cluster skips with its reason.
 */
import { isDeepStrictEqual } from "node:util";
import type { Step } from "../../core/steps.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { condition, isNodeReady, type NodeObject } from "../../kube/objects.js";
import { CLUSTER_NAME, REGISTRY } from "../config.js";
import { isUnsupported } from "../provider/types.js";
import type { UpState } from "./options.js";

export function clusterStep(): Step<UpState> {
  return {
    id: "cluster",
    title: `Cluster ${CLUSTER_NAME}`,
    async plan({ ctx, options, ports, provider }) {
      const planned = await provider.planCluster({ ctx, modelCache: options.modelCache, ports });
      if (isUnsupported(planned)) return [`skipped: ${planned.unsupported}`];
      return [...planned.actions, `wait until all ${planned.nodeCount} nodes are Ready`];
    },
    async run(state, handle) {
      const { options, provider } = state;
      const setup = await provider.ensureCluster({
        ctx: state.ctx,
        modelCache: options.modelCache,
        ports: state.ports,
        recreate: options.recreate,
        kube: () => state.kube(),
        progress: (text) => handle.progress(text),
      });
      if (isUnsupported(setup)) return { status: "skipped", detail: setup.unsupported };

      const kube = await state.kube();
      const ready = await kube.waitFor<NodeObject, number>(
        "v1",
        "Node",
        {},
        (nodes) => {
          const count = nodes.filter(isNodeReady).length;
          handle.progress(`${count} of ${setup.nodeCount} nodes Ready`);
          return nodes.length >= setup.nodeCount && count === nodes.length ? count : undefined;
        },
        {
          timeoutMs: options.waitTimeoutMs,
          what: `all ${setup.nodeCount} nodes of ${CLUSTER_NAME} to be Ready`,
          describe: (nodes) =>
            nodes
              .map((n) => {
                const ready = condition(n, "Ready");
                return `${n.metadata?.name} Ready=${ready?.status ?? "?"}${ready?.reason ? ` (${ready.reason})` : ""}`;
              })
              .join(", ") || "no nodes",
        },
      );
      // In-cluster tools learn the registry's address only where the cluster can pull from it.
      const announced =
        !isUnsupported(provider.registry) && (await announceRegistry(kube, state.ports.registry));
      const changes = [
        setup.created,
        announced ? "registry announced in kube-public/local-registry-hosting" : undefined,
        ...setup.changes,
      ].filter(Boolean);
      if (changes.length === 0) return { status: "skipped", detail: `exists, ${ready} nodes Ready` };
      return { status: "done", detail: `${changes.join(", ")}; ${ready} nodes Ready` };
    },
  };
}

/**
 * Tells in-cluster tools where the local registry is: the `local-registry-hosting` ConfigMap in
 * kube-public (KEP-1755), as kind's local-registry guide does. Returns whether it wrote anything.
 */
export async function announceRegistry(
  kube: KubeClient,
  registryPort: number = REGISTRY.hostPort,
): Promise<boolean> {
  const data = {
    "localRegistryHosting.v1": `host: "localhost:${registryPort}"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n`,
  };
  const ref = {
    apiVersion: "v1",
    kind: "ConfigMap",
    namespace: "kube-public",
    name: "local-registry-hosting",
  };
  const current = await kube.find<KubeObject & { data?: Record<string, string> }>(ref);
  if (current && isDeepStrictEqual(current.data, data)) return false;
  await kube.apply({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: ref.name, namespace: ref.namespace },
    data,
  });
  return true;
}
