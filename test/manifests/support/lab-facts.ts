/**
 * The lab's fixed facts that kind/ and manifests/ must agree with (the CLI relies on them; they
 * are declared once, in src/lab/config.ts).
 */
import {
  CLUSTER_NAME,
  EXPOSED,
  GRAFANA_ADMIN_SECRET,
  MODEL_CACHE_NODE_PATH,
  NAMESPACES,
  NODE_ROLE_LABEL,
  REGISTRY,
} from "../../../src/lab/config.js";

export const LAB = {
  clusterName: CLUSTER_NAME,
  registry: REGISTRY,
  /** host port -> NodePort, each bound to 127.0.0.1 on the control-plane node. */
  hostPorts: EXPOSED,
  modelCacheNodePath: MODEL_CACHE_NODE_PATH,
  nodeRoleLabel: NODE_ROLE_LABEL,
  namespaces: NAMESPACES,
  grafanaAdminSecret: GRAFANA_ADMIN_SECRET,
} as const;
