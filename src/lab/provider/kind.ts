/**
 * The kind provider: the lab's own three-node cluster "sre-lab" in this machine's Docker, reached
 * through context kind-sre-lab, pulling from the local registry container. The only place that runs
 * kind (through ../kind.ts) and the docker calls that exist only because the nodes are containers.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { InterruptedError, SreLabError } from "../../core/errors.js";
import { formatCommandLine } from "../../exec/command-line.js";
import type { Runner } from "../../exec/runner.js";
import type { KubeObject } from "../../kube/client.js";
import { CLUSTER_NAME, EXPOSED, hostPortUrl, KUBE_CONTEXT, REGISTRY } from "../config.js";
import { KIND_NETWORK } from "../docker.js";
import {
  createKindCluster,
  deleteKindCluster,
  joinKindNetwork,
  kindCreateArgs,
  kindNodeNames,
  listKindClusters,
  writeNodeFile,
} from "../kind.js";
import { CONFIG_HASH_LABEL, renderKindConfig } from "../kind-config.js";
import { kubeconfigWriteTarget } from "../kubeconfig.js";
import { labPaths } from "../paths.js";
import { dockerRegistry } from "./local-registry.js";
import type { ClusterFacts, ClusterProvider, ClusterRequest, NodeContainers } from "./types.js";

/** The label kind puts on each node container (kind v0.32.0, providers/docker/constants.go). */
export const KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster";
const DOCKER_TIMEOUT_MS = 90_000;

/** What kind sets as each node's spec.providerID (kind v0.32.0, kubeadm/config.go). */
export function kindProviderID(node: string, cluster = CLUSTER_NAME): string {
  return `kind://docker/${cluster}/${node}`;
}

/**
 * containerd's per-registry directories: `localhost:5001` is the name the manifests pull images by;
 * a registry on another host port (--host-port registry=N) is also reachable as `localhost:N`, the
 * name the local-registry-hosting ConfigMap announces.
 */
function hostsFiles(registryPort: number): string[] {
  const names = [...new Set([REGISTRY.hostPort, registryPort])];
  return names.map((port) => `/etc/containerd/certs.d/localhost:${port}/hosts.toml`);
}

/**
 * Reuses a cluster made from the same config (nodes carry its hash), refuses one made from another
 * unless --recreate, and wires containerd on every node to the local registry.
 */
async function ensureKindCluster(request: ClusterRequest) {
  const { ctx, progress } = request;
  const kubeconfig = ctx.kubeTarget.kubeconfig;
  const config = await renderKindConfig({
    modelCache: request.modelCache,
    name: CLUSTER_NAME,
    ports: request.ports,
  });
  let created: string | undefined;
  const exists = (await listKindClusters(ctx)).includes(CLUSTER_NAME);
  let recreate = false;
  if (exists) {
    const kube = await request.kube();
    const nodes = await kube.list<KubeObject>("v1", "Node");
    const hashes = new Set(nodes.map((n) => n.metadata?.labels?.[CONFIG_HASH_LABEL] ?? "none"));
    if (hashes.size !== 1 || !hashes.has(config.hash)) {
      if (!request.recreate) {
        throw new SreLabError(
          `cluster "${CLUSTER_NAME}" exists but was made from a different config (${[...hashes].join(", ")}; now ${config.hash})`,
          { hint: "re-create it with: sre-lab up --recreate (the model cache is kept)" },
        );
      }
      progress("deleting the old cluster");
      await deleteKindCluster(ctx, CLUSTER_NAME, kubeconfig);
      recreate = true;
    }
  }
  if (recreate || !exists) {
    mkdirSync(request.modelCache, { recursive: true });
    progress(`creating ${config.nodeCount} nodes (the first run pulls the node image)`);
    try {
      await createKindCluster(ctx.runner, CLUSTER_NAME, config.yaml, kubeconfig);
    } catch (error) {
      if (error instanceof InterruptedError) {
        // A half-made cluster would look "existing" to the next run: remove it (kind's own cleanup
        // does not run when it is killed). The flow's signal has fired, so the shared runner would
        // refuse: use the cleanup context's.
        const cleanup = await ctx.cleanupContext(120_000);
        ctx.out.info(
          `interrupted: removing the half-created cluster (kind delete cluster --name ${CLUSTER_NAME})`,
        );
        await deleteKindCluster(cleanup, CLUSTER_NAME, kubeconfig, {
          timeoutMs: 120_000,
          allowFailure: true,
        });
      }
      throw error;
    }
    created = recreate ? "re-created" : "created";
  }

  const hostsToml = readFileSync(labPaths.registryHosts(), "utf8");
  const wiredNodes = new Set<string>();
  for (const node of await kindNodeNames(ctx.runner, CLUSTER_NAME)) {
    for (const file of hostsFiles(request.ports.registry)) {
      if (await writeNodeFile(ctx.runner, node, file, hostsToml)) wiredNodes.add(node);
    }
  }
  const joined = await joinKindNetwork(ctx.runner, REGISTRY.container, KIND_NETWORK);
  const changes = [
    wiredNodes.size
      ? `registry wired on ${wiredNodes.size} node${wiredNodes.size > 1 ? "s" : ""}`
      : undefined,
    joined ? "registry joined the kind network" : undefined,
  ].filter((c): c is string => c !== undefined);
  return { nodeCount: config.nodeCount, ...(created ? { created } : {}), changes };
}

async function planKindCluster(request: Pick<ClusterRequest, "ctx" | "modelCache" | "ports">) {
  const { ctx, ports } = request;
  const config = await renderKindConfig({ modelCache: request.modelCache, name: CLUSTER_NAME, ports });
  const createLine = formatCommandLine(["kind", ...kindCreateArgs(CLUSTER_NAME, ctx.kubeTarget.kubeconfig)]);
  const extra = ports.registry !== REGISTRY.hostPort ? `, and to certs.d/localhost:${ports.registry}` : "";
  return {
    nodeCount: config.nodeCount,
    actions: [
      `mkdir -p ${request.modelCache}`,
      `${createLine} <<EOF\n${config.yaml.trimEnd()}\nEOF`,
      `kind adds context ${KUBE_CONTEXT} to ${kubeconfigWriteTarget(ctx)} and makes it the current context`,
      `copy kind/registry-hosts.toml to /etc/containerd/certs.d/localhost:${REGISTRY.hostPort}/hosts.toml on each node (docker exec -i)${extra}`,
      `docker network connect ${KIND_NETWORK} ${REGISTRY.container}`,
    ],
  };
}

const kindNodeContainers: NodeContainers = {
  async containerOf(runner: Runner, node, state) {
    const name = node.metadata?.name ?? "";
    const expected = kindProviderID(name);
    if (node.spec?.providerID !== expected) {
      throw new SreLabError(`node ${name} is not a node of the kind cluster ${CLUSTER_NAME}`, {
        details: `providerID: ${node.spec?.providerID ?? "(none)"}, expected ${expected}`,
        hint: "node-failure stops kind node containers on this machine; it runs only against the lab's kind cluster",
      });
    }
    const result = await runner.run(
      "docker",
      [
        "container",
        "inspect",
        "--format",
        `{{.State.Status}} {{index .Config.Labels "${KIND_CLUSTER_LABEL}"}}`,
        name,
      ],
      { timeoutMs: DOCKER_TIMEOUT_MS, allowFailure: true, purpose: `inspect the node container ${name}` },
    );
    const [status, cluster] = result.stdout.trim().split(/\s+/);
    if (result.exitCode !== 0 || cluster !== CLUSTER_NAME) {
      throw new SreLabError(
        `no container ${name} of the kind cluster ${CLUSTER_NAME} on this machine's Docker`,
        {
          details:
            result.stderr
              .split("\n")
              .find((l) => l.trim() !== "")
              ?.trim() || `docker says: ${result.stdout.trim() || "(nothing)"}`,
          hint: "node-failure needs the lab's kind cluster on this machine's Docker (is Docker running?)",
        },
      );
    }
    if (status !== state) {
      throw new SreLabError(`the kind node container ${name} is ${status}, not ${state}`, {
        hint: "restore the lab first: sre-lab chaos reset",
      });
    }
    return name;
  },
  async stop(runner, name) {
    await runner.run("docker", ["stop", name], {
      timeoutMs: DOCKER_TIMEOUT_MS,
      purpose: `stop the node container ${name}`,
      hint: "the node may be stopped or not; sre-lab chaos reset starts stopped lab nodes",
    });
  },
  async start(runner, name) {
    await runner.run("docker", ["start", name], {
      timeoutMs: DOCKER_TIMEOUT_MS,
      purpose: `start the node container ${name}`,
      hint: "is Docker running? if the node stays down, recreate the lab: sre-lab down && sre-lab up",
    });
  },
  async stopped(runner) {
    const result = await runner.run(
      "docker",
      [
        "ps",
        "--all",
        "--filter",
        `label=${KIND_CLUSTER_LABEL}=${CLUSTER_NAME}`,
        "--filter",
        "status=exited",
        "--format",
        "{{.Names}}",
      ],
      {
        timeoutMs: DOCKER_TIMEOUT_MS,
        purpose: "list the lab's stopped node containers",
        hint: "is Docker running?",
      },
    );
    return result.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .sort();
  },
};

/** The lab's nodes: kind's providerID for cluster sre-lab, or the config hash only the lab's kind config stamps. */
function isLabKindNode(node: ClusterFacts["nodes"][number]): boolean {
  return node.providerID === kindProviderID(node.name) || CONFIG_HASH_LABEL in node.labels;
}

export const kindProvider: ClusterProvider = {
  name: "kind",
  description: "create the lab cluster",
  contextName: () => KUBE_CONTEXT,
  kubeconfigFile: kubeconfigWriteTarget,
  needsContext: false,
  localNodes: true,
  registry: dockerRegistry,
  ensureCluster: ensureKindCluster,
  planCluster: planKindCluster,
  async deleteCluster(ctx) {
    if (!(await listKindClusters(ctx)).includes(CLUSTER_NAME)) return { deleted: false };
    ctx.out.info(`deleting kind cluster ${CLUSTER_NAME} …`);
    return { deleted: true, nodes: await deleteKindCluster(ctx, CLUSTER_NAME, ctx.kubeTarget.kubeconfig) };
  },
  nodeContainers: kindNodeContainers,
  exposed: (ports) =>
    (Object.keys(EXPOSED) as (keyof typeof EXPOSED)[]).map((name) => ({
      name,
      address: hostPortUrl(name, ports),
      hostPort: true,
    })),
  detect: (facts) => facts.context === KUBE_CONTEXT && facts.nodes.some(isLabKindNode),
};
