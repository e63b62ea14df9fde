/**
 * Step 4: the kind cluster. Reuses a cluster made from the same config (nodes carry its hash),
 * refuses one made from another unless --recreate, wires containerd on every node to the local
 * registry, and waits until every node is Ready (kind itself waits only for the control plane).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { InterruptedError, SreLabError } from "../../core/errors.js";
import type { Step } from "../../core/steps.js";
import { formatCommandLine } from "../../exec/command-line.js";
import type { KubeClient, KubeObject } from "../../kube/client.js";
import { CLUSTER_NAME, KUBE_CONTEXT, REGISTRY } from "../config.js";
import { listKindClusters } from "../kind.js";
import { CONFIG_HASH_LABEL, renderKindConfig } from "../kind-config.js";
import { kindKubeconfigArgs, kubeconfigWriteTarget } from "../kubeconfig.js";
import { labPaths } from "../paths.js";
import type { UpState } from "./options.js";

/**
 * containerd's per-registry directories: `localhost:5001` is the name the manifests pull images by;
 * a registry on another host port (--host-port registry=N) is also reachable as `localhost:N`, the
 * name the local-registry-hosting ConfigMap announces.
 */
function hostsDirs(registryPort: number): string[] {
  const names = [...new Set([REGISTRY.hostPort, registryPort])];
  return names.map((port) => `/etc/containerd/certs.d/localhost:${port}`);
}

interface NodeObject extends KubeObject {
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
}

export function isNodeReady(node: NodeObject): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
}

async function clusterExists(state: UpState): Promise<boolean> {
  return (await listKindClusters(state.ctx)).includes(CLUSTER_NAME);
}

/** kind writes the lab's context into the kubeconfig kubectl would (see ../kubeconfig.ts). */
export function kindCreateArgs(ctx: UpState["ctx"]): string[] {
  return ["create", "cluster", "--name", CLUSTER_NAME, "--config", "-", ...kindKubeconfigArgs(ctx)];
}

export function clusterStep(): Step<UpState> {
  return {
    id: "cluster",
    title: `Cluster ${CLUSTER_NAME}`,
    async plan({ ctx, options, ports }) {
      if (options.provider !== "kind") return ["skipped"];
      const config = await renderKindConfig({ modelCache: options.modelCache, name: CLUSTER_NAME, ports });
      return [
        `mkdir -p ${options.modelCache}`,
        `${formatCommandLine(["kind", ...kindCreateArgs(ctx)])} <<EOF\n${config.yaml.trimEnd()}\nEOF`,
        `kind adds context ${KUBE_CONTEXT} to ${kubeconfigWriteTarget(ctx)} and makes it the current context`,
        `copy kind/registry-hosts.toml to /etc/containerd/certs.d/localhost:${REGISTRY.hostPort}/hosts.toml on each node (docker exec -i)${ports.registry !== REGISTRY.hostPort ? `, and to certs.d/localhost:${ports.registry}` : ""}`,
        `docker network connect kind ${REGISTRY.container}`,
        `wait until all ${config.nodeCount} nodes are Ready`,
      ];
    },
    async run(state, handle) {
      const { ctx, options } = state;
      if (options.provider === "existing") return { status: "skipped", detail: "using the existing cluster" };
      const config = await renderKindConfig({
        modelCache: options.modelCache,
        name: CLUSTER_NAME,
        ports: state.ports,
      });
      let created = false;
      let recreated = false;
      const exists = await clusterExists(state);

      if (exists) {
        const kube = await state.kube();
        const nodes = await kube.list<NodeObject>("v1", "Node");
        const hashes = new Set(nodes.map((n) => n.metadata?.labels?.[CONFIG_HASH_LABEL] ?? "none"));
        if (hashes.size !== 1 || !hashes.has(config.hash)) {
          if (!options.recreate) {
            throw new SreLabError(
              `cluster "${CLUSTER_NAME}" exists but was made from a different config (${[...hashes].join(", ")}; now ${config.hash})`,
              { hint: "re-create it with: sre-lab up --recreate (the model cache is kept)" },
            );
          }
          handle.progress("deleting the old cluster");
          await ctx.runner.run(
            "kind",
            ["delete", "cluster", "--name", CLUSTER_NAME, ...kindKubeconfigArgs(ctx)],
            {
              timeoutMs: 300_000,
            },
          );
          recreated = true;
        }
      }
      if (recreated || !exists) {
        mkdirSync(options.modelCache, { recursive: true });
        handle.progress(`creating ${config.nodeCount} nodes (the first run pulls the node image)`);
        try {
          await ctx.runner.run("kind", kindCreateArgs(ctx), {
            input: config.yaml,
            timeoutMs: 900_000,
          });
        } catch (error) {
          if (error instanceof InterruptedError) {
            // A half-made cluster would look "existing" to the next run: remove it (kind's own cleanup
            // does not run when it is killed).
            await cleanupInterruptedCreate(state);
          }
          throw error;
        }
        created = true;
      }

      const nodeNames = (
        await ctx.runner.run("kind", ["get", "nodes", "--name", CLUSTER_NAME], { timeoutMs: 30_000 })
      ).stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      const hostsToml = readFileSync(labPaths.registryHosts(), "utf8");
      const wiredNodes = new Set<string>();
      for (const node of nodeNames) {
        for (const dir of hostsDirs(state.ports.registry)) {
          const current = await ctx.runner.run("docker", ["exec", node, "cat", `${dir}/hosts.toml`], {
            allowFailure: true,
            timeoutMs: 30_000,
          });
          if (current.exitCode === 0 && current.stdout === hostsToml) continue;
          await ctx.runner.run(
            "docker",
            ["exec", "-i", node, "sh", "-c", `mkdir -p ${dir} && cat > ${dir}/hosts.toml`],
            { input: hostsToml, timeoutMs: 30_000 },
          );
          wiredNodes.add(node);
        }
      }
      const networks = await ctx.runner.run(
        "docker",
        ["inspect", "--format", "{{json .NetworkSettings.Networks}}", REGISTRY.container],
        { timeoutMs: 15_000 },
      );
      const onKindNetwork = Object.hasOwn(JSON.parse(networks.stdout.trim() || "{}") as object, "kind");
      if (!onKindNetwork) {
        await ctx.runner.run("docker", ["network", "connect", "kind", REGISTRY.container], {
          timeoutMs: 30_000,
        });
      }

      const kube = await state.kube();
      const ready = await kube.waitFor<NodeObject, number>(
        "v1",
        "Node",
        {},
        (nodes) => {
          const count = nodes.filter(isNodeReady).length;
          handle.progress(`${count} of ${config.nodeCount} nodes Ready`);
          return nodes.length >= config.nodeCount && count === nodes.length ? count : undefined;
        },
        {
          timeoutMs: options.waitTimeoutMs,
          what: `all ${config.nodeCount} nodes of ${CLUSTER_NAME} to be Ready`,
          describe: (nodes) =>
            nodes
              .map((n) => {
                const ready = n.status?.conditions?.find((c) => c.type === "Ready");
                return `${n.metadata?.name} Ready=${ready?.status ?? "?"}${ready?.reason ? ` (${ready.reason})` : ""}`;
              })
              .join(", ") || "no nodes",
        },
      );
      const announced = await announceRegistry(kube, state.ports.registry);
      const changes = [
        created ? (recreated ? "re-created" : "created") : undefined,
        announced ? "registry announced in kube-public/local-registry-hosting" : undefined,
        wiredNodes.size
          ? `registry wired on ${wiredNodes.size} node${wiredNodes.size > 1 ? "s" : ""}`
          : undefined,
        onKindNetwork ? undefined : "registry joined the kind network",
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

async function cleanupInterruptedCreate(state: UpState): Promise<void> {
  // The flow's signal has fired, so the shared runner would refuse: use the cleanup context's.
  const { runner } = await state.ctx.cleanupContext(120_000);
  state.ctx.out.info(
    `interrupted: removing the half-created cluster (kind delete cluster --name ${CLUSTER_NAME})`,
  );
  await runner.run("kind", ["delete", "cluster", "--name", CLUSTER_NAME, ...kindKubeconfigArgs(state.ctx)], {
    timeoutMs: 120_000,
    allowFailure: true,
  });
}
