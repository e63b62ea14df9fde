/**
 * Renders kind/cluster.yaml with the values the CLI owns (cluster name, model cache path, host
 * ports) and stamps every node with a hash of the result, so a later `up` can tell whether the
 * running cluster was made from the same config (the cluster's labels are the source of truth).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { DEFAULT_PORTS, EXPOSED, hostPortLabels, type LabPorts, MODEL_CACHE_NODE_PATH } from "./config.js";
import { labPaths } from "./paths.js";

export const CONFIG_HASH_LABEL = "sre-lab.dev/config-hash";

interface KindNode {
  role: string;
  labels?: Record<string, string>;
  extraMounts?: { hostPath: string; containerPath: string }[];
  extraPortMappings?: { containerPort: number; hostPort: number }[];
  [key: string]: unknown;
}

export interface RenderedKindConfig {
  yaml: string;
  hash: string;
  nodeCount: number;
}

export async function renderKindConfig(options: {
  modelCache: string;
  name: string;
  /** Host ports for the UIs (the registry's is Docker's, not kind's); default DEFAULT_PORTS. */
  ports?: LabPorts;
}): Promise<RenderedKindConfig> {
  const ports = options.ports ?? DEFAULT_PORTS;
  const { parse, stringify } = await import("yaml");
  const source = readFileSync(labPaths.kindConfig(), "utf8");
  const config = parse(source) as { name: string; nodes: KindNode[] };
  config.name = options.name;
  for (const node of config.nodes) {
    for (const mount of node.extraMounts ?? []) {
      if (mount.containerPath === MODEL_CACHE_NODE_PATH) mount.hostPath = options.modelCache;
    }
    for (const mapping of node.extraPortMappings ?? []) {
      const exposed = Object.entries(EXPOSED).find(([, p]) => p.nodePort === mapping.containerPort);
      if (exposed) mapping.hostPort = ports[exposed[0] as keyof typeof EXPOSED];
    }
    node.labels = { ...node.labels, ...hostPortLabels(ports) };
  }
  // The hash covers everything but itself: same inputs, same hash, same cluster.
  const hash = createHash("sha256").update(stringify(config)).digest("hex").slice(0, 16);
  for (const node of config.nodes) node.labels = { ...node.labels, [CONFIG_HASH_LABEL]: hash };
  return { yaml: stringify(config), hash, nodeCount: config.nodes.length };
}
