/**
 * A running lab for the chaos tests, as the API server shows it: kind's three nodes, the target-app
 * Deployment from manifests/target-app with two Ready pods, the Argo CD Applications, the app
 * namespace. There is no Deployment controller, scheduler or kubelet in the fake: each test plays
 * them with `react` handlers, run every 20 ms, that see what the CLI wrote and update statuses the
 * way the real components would.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { type FakeApiServer, type KubeObject, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { createFakeTools, type FakeRule, type FakeTools } from "../harness/fake-tools/index.js";

export const NS = "sre-lab-app";
export const POD_A = "target-app-6b7f9c8d4-q8r2m";
export const POD_B = "target-app-6b7f9c8d4-x2k9p";
export const IP_A = "10.244.1.5";
export const TARGET_IMAGE = "localhost:5001/sre-lab/target-app:0.1.0";

export type Reaction = (api: FakeApiServer, world: ChaosWorld) => void;

export interface FakePrometheus {
  url: string;
  queries: string[];
  /** The value every query answers with; undefined answers an empty vector. */
  value: number | undefined;
  close(): Promise<void>;
}

export interface ChaosWorld {
  api: FakeApiServer;
  tools: FakeTools;
  prometheus: FakePrometheus;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Adds a handler run every 20 ms until the world closes (or it returns "done"). */
  react(reaction: (api: FakeApiServer) => undefined | "done"): void;
  /** Tool rules (fake docker) for this test. */
  expectTools(...rules: FakeRule[]): void;
  close(): Promise<void>;
}

const readyConditions = [
  { type: "PodScheduled", status: "True" },
  { type: "Initialized", status: "True" },
  { type: "ContainersReady", status: "True" },
  { type: "Ready", status: "True" },
];

/** What the DefaultTolerationSeconds admission plugin adds to every pod. */
const defaultTolerations = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
];

export function targetDeploymentManifest(): KubeObject {
  const text = readFileSync(join(import.meta.dirname, "../../manifests/target-app/deployment.yaml"), "utf8");
  const manifest = parse(text) as KubeObject;
  manifest.metadata = {
    ...manifest.metadata,
    namespace: NS,
    labels: { ...manifest.metadata?.labels, "app.kubernetes.io/part-of": "sre-lab" },
    annotations: { "argocd.argoproj.io/tracking-id": "target-app:apps/Deployment:sre-lab-app/target-app" },
  };
  return manifest;
}

function node(api: FakeApiServer, name: string, role: string): void {
  api.put({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, "sre-lab.dev/role": role } },
    spec: { providerID: `kind://docker/sre-lab/${name}` },
    status: {
      conditions: [
        { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" },
      ],
    },
  });
}

export function putTargetPod(api: FakeApiServer, name: string, nodeName: string, ip: string): void {
  const deployment = targetDeploymentManifest() as { spec: { template: { spec: Record<string, unknown> } } };
  api.put({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: NS,
      labels: { "app.kubernetes.io/name": "target-app", "pod-template-hash": "6b7f9c8d4" },
    },
    spec: { ...deployment.spec.template.spec, nodeName, tolerations: defaultTolerations },
    status: {
      phase: "Running",
      podIP: ip,
      conditions: readyConditions,
      containerStatuses: [
        {
          name: "app",
          ready: true,
          restartCount: 0,
          image: TARGET_IMAGE,
          state: { running: { startedAt: "2026-01-02T10:00:00Z" } },
        },
      ],
    },
  });
}

function application(api: FakeApiServer, name: string, annotations: Record<string, string> = {}): void {
  api.put({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name, namespace: "argocd", labels: { "app.kubernetes.io/part-of": "sre-lab" }, annotations },
    spec: {
      project: "default",
      destination: { server: "https://kubernetes.default.svc", namespace: NS },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
    status: {
      sync: { status: "Synced" },
      health: { status: "Healthy" },
      operationState: { phase: "Succeeded", message: "successfully synced (all tasks run)" },
    },
  });
}

export function seedLab(api: FakeApiServer): void {
  node(api, "sre-lab-worker", "apps");
  node(api, "sre-lab-worker2", "ai");
  api.put({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: NS,
      labels: { "kubernetes.io/metadata.name": NS, "pod-security.kubernetes.io/enforce": "baseline" },
    },
  });
  api.put({ ...targetDeploymentManifest(), status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 } });
  putTargetPod(api, POD_A, "sre-lab-worker", IP_A);
  putTargetPod(api, POD_B, "sre-lab-worker2", "10.244.2.7");
  application(api, "sre-lab");
  application(api, "target-app");
}

async function startFakePrometheus(): Promise<FakePrometheus> {
  const queries: string[] = [];
  const state: { value: number | undefined } = { value: undefined };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    queries.push(url.searchParams.get("query") ?? "");
    const result =
      state.value === undefined ? [] : [{ metric: {}, value: [1767350000, String(state.value)] }];
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    queries,
    get value() {
      return state.value;
    },
    set value(v) {
      state.value = v;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function startChaosWorld(options: { seed?: boolean } = {}): Promise<ChaosWorld> {
  const api = await startFakeApiServer();
  if (options.seed !== false) seedLab(api);
  const prometheus = await startFakePrometheus();
  const tools = createFakeTools();
  const home = mkdtempSync(join(tmpdir(), "sre-lab-chaos-"));
  const kubeconfig = api.writeKubeconfig(home);
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    KUBECONFIG: kubeconfig,
    SRE_LAB_PROMETHEUS_URL: prometheus.url,
  };
  const reactions: ((api: FakeApiServer) => undefined | "done")[] = [];
  const errors: unknown[] = [];
  const timer = setInterval(() => {
    for (const reaction of [...reactions]) {
      try {
        if (reaction(api) === "done") reactions.splice(reactions.indexOf(reaction), 1);
      } catch (error) {
        errors.push(error);
      }
    }
  }, 20);
  return {
    api,
    tools,
    prometheus,
    home,
    env,
    react: (reaction) => {
      reactions.push(reaction);
    },
    expectTools: (...rules) => {
      tools.expect(...rules);
    },
    async close() {
      clearInterval(timer);
      tools.cleanup();
      await Promise.all([api.close(), prometheus.close()]);
      rmSync(home, { recursive: true, force: true });
      if (errors.length > 0) throw errors[0];
    },
  };
}

export function pods(api: FakeApiServer, selector: (pod: KubeObject) => boolean = () => true): KubeObject[] {
  return api.list("v1", "Pod", NS).filter(selector);
}

export function labelled(scenario: string): (o: KubeObject) => boolean {
  return (o) => o.metadata?.labels?.["sre-lab.dev/chaos"] === scenario;
}

/** Plays the Deployment controller and scheduler for a drill: one pod per drill Deployment, on the apps worker. */
export function runDrillPods(
  api: FakeApiServer,
  scenario: string,
  status: (pod: KubeObject) => Record<string, unknown>,
): undefined | "done" {
  const deployment = api.get("apps/v1", "Deployment", NS, `sre-lab-drill-${scenario}`) as
    | (KubeObject & {
        spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } };
      })
    | undefined;
  if (!deployment) return undefined;
  const existing = pods(api, labelled(scenario));
  if (existing.length > 0) return "done";
  const name = `sre-lab-drill-${scenario}-5d8f7b9c6-abcde`;
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: NS,
      labels: deployment.spec.template.metadata.labels,
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: deployment.metadata?.name ?? "",
          uid: deployment.metadata?.uid ?? "",
          controller: true,
        },
      ],
    },
    spec: { ...deployment.spec.template.spec, nodeName: "sre-lab-worker" },
  };
  api.put({ ...pod, status: status(pod) });
  return "done";
}

/** A free port nothing listens on (for "Prometheus does not answer"). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
