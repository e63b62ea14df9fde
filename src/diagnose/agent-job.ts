/**
 * The Kubernetes objects of the in-cluster agent, in the target pod's namespace:
 *
 * - ServiceAccount `sre-lab-diagnose` and a Role + RoleBinding of the same name that allow only
 *   reading what the collector reads: get pods, get pods/log, list events, get the owner kinds
 *   (replicasets, deployments, statefulsets, daemonsets, jobs, cronjobs). Never secrets, no write.
 * - ClusterRole `sre-lab-diagnose-nodes` (get nodes; nodes are cluster-scoped) bound by the
 *   ClusterRoleBinding `sre-lab-diagnose-nodes-<namespace>` to that one ServiceAccount.
 * - ConfigMap `sre-lab-agent-<sha256[:10]>`: the agent's code, named by its content, immutable.
 * - A Job per run on a stock, pinned Node image: non-root, read-only root filesystem, no
 *   capabilities, RuntimeDefault seccomp (passes Pod Security "restricted"), bounded resources,
 *   backoffLimit 0, activeDeadlineSeconds, ttlSecondsAfterFinished.
 *
 * All of them are applied with server-side apply, so running diagnose again changes nothing but the
 * new Job.
 */
import { createHash, randomBytes } from "node:crypto";
import versions from "../../versions.json" with { type: "json" };
import type { KubeObject } from "../kube/client.js";
import { type AgentConfig, agentEnv } from "./engine/config.js";

export const AGENT_NAME = "sre-lab-diagnose";
export const AGENT_NODES_ROLE = "sre-lab-diagnose-nodes";
export const AGENT_CONTAINER = "agent";
export const AGENT_IMAGE = versions.images.agentNode;
/** The key (file name) of the code in the ConfigMap; .mjs so that Node runs it as ESM in any directory. */
export const AGENT_FILE = "agent.mjs";
const AGENT_DIR = "/opt/sre-lab";
/** The node user of the official image (uid/gid 1000). */
const AGENT_UID = 1000;

export const AGENT_LABELS = {
  "app.kubernetes.io/name": "sre-lab-diagnose-agent",
  "app.kubernetes.io/component": "diagnose",
  "app.kubernetes.io/managed-by": "sre-lab",
} as const;

/** Label on each Job with the uid of the pod it diagnoses (a uid always fits a label value). */
export const TARGET_UID_LABEL = "sre-lab.dev/diagnose-target-uid";

/** The Role's rules: exactly the reads the collector makes. */
export const AGENT_ROLE_RULES = [
  { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: [""], resources: ["events"], verbs: ["list"] },
  {
    apiGroups: ["apps"],
    resources: ["replicasets", "deployments", "statefulsets", "daemonsets"],
    verbs: ["get"],
  },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["get"] },
  // Related objects whose state decides a cause (issue 12): the pod's claims, the Services its
  // log names and their EndpointSlices. Read-only, in this namespace only.
  { apiGroups: [""], resources: ["persistentvolumeclaims", "services"], verbs: ["get"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list"] },
];

/** The ClusterRole's rules: nodes, and the StorageClass of an unbound claim (both cluster-scoped). */
export const AGENT_CLUSTER_RULES = [
  { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
  { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get"] },
];

export interface AgentCode {
  code: string;
  /** sha256 of the code, hex. */
  sha256: string;
}

export function agentConfigMapName(code: AgentCode): string {
  return `sre-lab-agent-${code.sha256.slice(0, 10)}`;
}

export function agentCodeOf(code: string): AgentCode {
  return { code, sha256: createHash("sha256").update(code).digest("hex") };
}

/** `sre-lab-diagnose-<start of the pod's name>-<5 random>`: unique per run, at most 53 characters. */
export function agentJobName(podName: string, random = randomSuffix()): string {
  const base = podName.replace(/\./g, "-").slice(0, 30).replace(/-+$/, "");
  return `${AGENT_NAME}-${base}-${random}`;
}

function randomSuffix(): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join("");
}

export interface AgentObjectsOptions {
  namespace: string;
  jobName: string;
  targetUid: string | undefined;
  code: AgentCode;
  config: Omit<AgentConfig, "serviceAccountDir">;
  /** activeDeadlineSeconds */
  deadlineSeconds: number;
  /** ttlSecondsAfterFinished: the Job cleans itself up even if the CLI could not. */
  ttlSeconds: number;
}

export interface AgentObjects {
  serviceAccount: KubeObject;
  role: KubeObject;
  roleBinding: KubeObject;
  clusterRole: KubeObject;
  clusterRoleBinding: KubeObject;
  configMap: KubeObject;
  job: KubeObject;
}

export function agentObjects(options: AgentObjectsOptions): AgentObjects {
  const { namespace } = options;
  const meta = (name: string, ns?: string) => ({
    name,
    ...(ns === undefined ? {} : { namespace: ns }),
    labels: { ...AGENT_LABELS },
  });
  const subject = { kind: "ServiceAccount", name: AGENT_NAME, namespace };
  const configMapName = agentConfigMapName(options.code);
  return {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(AGENT_NAME, namespace) },
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta(AGENT_NAME, namespace),
      rules: AGENT_ROLE_RULES,
    },
    roleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(AGENT_NAME, namespace),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: AGENT_NAME },
      subjects: [subject],
    },
    clusterRole: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: meta(AGENT_NODES_ROLE),
      rules: AGENT_CLUSTER_RULES,
    },
    clusterRoleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: meta(`${AGENT_NODES_ROLE}-${namespace}`),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: AGENT_NODES_ROLE },
      subjects: [subject],
    },
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        ...meta(configMapName, namespace),
        annotations: { "sre-lab.dev/agent-sha256": options.code.sha256 },
      },
      immutable: true,
      data: { [AGENT_FILE]: options.code.code },
    },
    job: agentJob(options, configMapName),
  };
}

function agentJob(options: AgentObjectsOptions, configMapName: string): KubeObject {
  const labels = {
    ...AGENT_LABELS,
    ...(options.targetUid === undefined ? {} : { [TARGET_UID_LABEL]: options.targetUid }),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: options.jobName, namespace: options.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: options.deadlineSeconds,
      ttlSecondsAfterFinished: options.ttlSeconds,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: AGENT_NAME,
          automountServiceAccountToken: true,
          restartPolicy: "Never",
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 5,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: AGENT_UID,
            runAsGroup: AGENT_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: AGENT_CONTAINER,
              image: AGENT_IMAGE,
              imagePullPolicy: "IfNotPresent",
              command: ["node", `${AGENT_DIR}/${AGENT_FILE}`],
              env: [
                ...agentEnv(options.config),
                // Below the memory limit, so a huge log fails as a JS error, not an OOM kill.
                { name: "NODE_OPTIONS", value: "--max-old-space-size=160" },
              ],
              resources: {
                requests: { cpu: "50m", memory: "64Mi" },
                limits: { cpu: "500m", memory: "256Mi" },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "agent", mountPath: AGENT_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: "agent", configMap: { name: configMapName, defaultMode: 0o444 } }],
        },
      },
    },
  };
}
