/**
 * A running lab as the API server shows it, for the status and open tests: kind's three nodes, Argo CD's
 * Applications, the lab's pods (one crash-looping, one unschedulable), the Services and the Secrets.
 * Field shapes follow the real objects (Argo CD v3 Application status, core/v1 Pod status).
 */
import type { FakeApiServer } from "../harness/fake-apiserver/index.js";

export const DIGEST = `sha256:${"3f1a9c0b7d2e".padEnd(64, "0")}`;
export const GRAFANA_PASSWORD = "w4ter-Lily-91";
export const ARGOCD_PASSWORD = "Zk3pQ9xV2mRt7LsA";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

function node(api: FakeApiServer, name: string, role: string, ready: boolean): void {
  api.put({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "sre-lab.dev/role": role } },
    status: {
      conditions: [
        ready
          ? {
              type: "Ready",
              status: "True",
              reason: "KubeletReady",
              message: "kubelet is posting ready status",
            }
          : {
              type: "Ready",
              status: "False",
              reason: "KubeletNotReady",
              message: "container runtime network not ready",
            },
      ],
    },
  });
}

function application(api: FakeApiServer, name: string, status: Record<string, unknown>): void {
  api.put({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name, namespace: "argocd" },
    spec: { project: "default", destination: { server: "https://kubernetes.default.svc" } },
    status,
  });
}

const readyConditions = [
  { type: "PodScheduled", status: "True" },
  { type: "Initialized", status: "True" },
  { type: "ContainersReady", status: "True" },
  { type: "Ready", status: "True" },
];

function pod(
  api: FakeApiServer,
  namespace: string,
  name: string,
  app: string,
  status: Record<string, unknown>,
): void {
  api.put({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { "app.kubernetes.io/name": app } },
    spec: { nodeName: "sre-lab-worker", containers: [{ name: app, image: `${app}:1` }] },
    status,
  });
}

function service(api: FakeApiServer, namespace: string, name: string, ports: number[]): void {
  api.put({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { type: "ClusterIP", ports: ports.map((port) => ({ port, protocol: "TCP" })) },
  });
}

export function seedLab(api: FakeApiServer, options: { ollamaReady?: boolean } = {}): void {
  // The seeded node is sre-lab-control-plane (Ready, node-role.kubernetes.io/control-plane).
  node(api, "sre-lab-worker", "apps", true);
  node(api, "sre-lab-worker2", "ai", false);

  application(api, "sre-lab", {
    sync: { status: "Synced", revision: DIGEST },
    health: { status: "Healthy" },
    operationState: { phase: "Succeeded", message: "successfully synced (all tasks run)" },
  });
  application(api, "target-app", {
    sync: { status: "Synced", revision: DIGEST },
    health: { status: "Degraded" },
    operationState: { phase: "Succeeded" },
  });
  application(api, "monitoring", {
    sync: { status: "Unknown" },
    health: { status: "Healthy" },
    conditions: [
      {
        type: "ComparisonError",
        message:
          "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown\nmore detail",
      },
    ],
  });
  application(api, "ollama", {
    sync: { status: "OutOfSync", revision: "0.1.0" },
    health: { status: "Progressing" },
    operationState: {
      phase: "Running",
      message: "waiting for completion of hook batch/Job/ollama-pull-model",
    },
  });

  pod(api, "sre-lab-app", "target-app-6b7f9c8d4-x2k9p", "target-app", {
    phase: "Running",
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Ready", status: "False", reason: "ContainersNotReady" },
    ],
    containerStatuses: [
      {
        name: "app",
        ready: false,
        restartCount: 4,
        state: {
          waiting: {
            reason: "CrashLoopBackOff",
            message: "back-off 1m20s restarting failed container=app pod=target-app-6b7f9c8d4-x2k9p",
          },
        },
        lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } },
      },
    ],
  });
  pod(api, "sre-lab-app", "target-app-6b7f9c8d4-q8r2m", "target-app", {
    phase: "Running",
    conditions: readyConditions,
    containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: {} } }],
  });
  pod(api, "monitoring", "prometheus-server-7c9d5b6f8-lm4nz", "prometheus", {
    phase: "Pending",
    conditions: [
      {
        type: "PodScheduled",
        status: "False",
        reason: "Unschedulable",
        message: "0/3 nodes are available: 3 Insufficient memory.",
      },
    ],
  });
  pod(api, "ollama", "ollama-5f8d7c6b9-h7j2k", "ollama", {
    phase: "Running",
    conditions: options.ollamaReady === false ? [{ type: "Ready", status: "False" }] : readyConditions,
    containerStatuses: [
      {
        name: "ollama",
        ready: options.ollamaReady !== false,
        restartCount: 0,
        state: { running: {} },
      },
    ],
  });
  // A finished Job's pod is not a problem; nor is a broken pod outside the lab's namespaces.
  pod(api, "ollama", "ollama-pull-model-8kq2d", "ollama-pull-model", { phase: "Succeeded" });
  pod(api, "default", "scratch", "scratch", {
    phase: "Running",
    containerStatuses: [{ name: "scratch", state: { waiting: { reason: "ImagePullBackOff" } } }],
  });

  service(api, "monitoring", "grafana", [80]);
  service(api, "monitoring", "prometheus-server", [80]);
  service(api, "argocd", "argocd-server", [80, 443]);
  service(api, "sre-lab-app", "target-app", [8080]);
  service(api, "ollama", "ollama", [11434]);

  api.put({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "grafana-admin", namespace: "monitoring" },
    type: "Opaque",
    data: { "admin-user": b64("admin"), "admin-password": b64(GRAFANA_PASSWORD) },
  });
  api.put({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "argocd-initial-admin-secret", namespace: "argocd" },
    type: "Opaque",
    data: { password: b64(ARGOCD_PASSWORD) },
  });
}
