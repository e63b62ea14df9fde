/**
 * A fake laptop lab for `up` tests: fake tools on PATH, the fake API server behind context
 * kind-sre-lab, the fake registry and a fake Ollama; plus a "world" loop that plays the parts of
 * kind, Argo CD and the kubelets, reacting to the commands the CLI runs and the objects it writes.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import versions from "../../versions.json" with { type: "json" };
import { type FakeApiServer, type KubeObject, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { type FakeRegistry, startFakeRegistry } from "../harness/fake-registry/index.js";
import { createFakeTools, type FakeTools } from "../harness/fake-tools/index.js";

export const NODE_NAMES = ["sre-lab-control-plane", "sre-lab-worker", "sre-lab-worker2"];
const CHILDREN = ["target-app", "metrics-server", "monitoring", "ollama"];

export interface WorldBehaviour {
  /** Nodes never become Ready. */
  nodesStuck?: boolean;
  /** This Application ends Degraded after a failed sync, with a condition. */
  degraded?: string;
}

export interface FakeLab {
  api: FakeApiServer;
  tools: FakeTools;
  registry: FakeRegistry;
  ollama: FakeOllama;
  home: string;
  env: NodeJS.ProcessEnv;
  behaviour: WorldBehaviour;
  /** Puts the cluster in the state a finished `up` leaves (nodes with `configHash`, Argo CD, Applications). */
  seedFinishedLab(configHash: string): void;
  close(): Promise<void>;
}

interface ApplicationObject extends KubeObject {
  spec?: { source?: { targetRevision?: string } };
  status?: { sync?: { revision?: string } };
}

export async function startFakeLab(behaviour: WorldBehaviour = {}): Promise<FakeLab> {
  const api = await startFakeApiServer();
  const registry = await startFakeRegistry();
  const ollama = await startFakeOllama({ models: [] });
  const tools = createFakeTools();
  const home = mkdtempSync(join(tmpdir(), "sre-lab-home-"));
  mkdirSync(join(home, ".kube"));
  const kubeconfig = api.writeKubeconfig(join(home, ".kube"), { context: "kind-sre-lab" });
  const env = { PATH: tools.path, HOME: home, KUBECONFIG: kubeconfig, SRE_LAB_REGISTRY_URL: registry.url };

  const putNodes = (labels: Record<string, string>, ready: boolean) => {
    NODE_NAMES.forEach((name, i) => {
      const role = i === 0 ? "control-plane" : i === 1 ? "apps" : "ai";
      api.put({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name, labels: { ...labels, ...(i > 0 ? { "sre-lab.dev/role": role } : {}) } },
        status: {
          conditions: [
            {
              type: "Ready",
              status: ready ? "True" : "False",
              reason: ready ? "KubeletReady" : "KubeletNotReady",
            },
          ],
        },
      });
    });
  };
  const putArgoCd = () => {
    const ready = (kind: string, name: string) =>
      api.put({
        apiVersion: "apps/v1",
        kind,
        metadata: { name, namespace: "argocd" },
        spec: {
          replicas: 1,
          template: {
            spec: { containers: [{ name, image: `quay.io/argoproj/argocd:${versions.argocd.version}` }] },
          },
        },
        status:
          kind === "Deployment" ? { availableReplicas: 1, replicas: 1 } : { readyReplicas: 1, replicas: 1 },
      });
    for (const name of [
      "argocd-server",
      "argocd-repo-server",
      "argocd-redis",
      "argocd-applicationset-controller",
    ]) {
      ready("Deployment", name);
    }
    ready("StatefulSet", "argocd-application-controller");
    api.put({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "argocd-initial-admin-secret", namespace: "argocd" },
      data: { password: Buffer.from("argo-initial-pw").toString("base64") },
    });
  };
  const syncApplications = (revision: string) => {
    for (const name of ["sre-lab", ...CHILDREN]) {
      const existing = api.get<ApplicationObject>("argoproj.io/v1alpha1", "Application", "argocd", name);
      const failed = behaviour.degraded === name;
      const status = failed
        ? {
            sync: { status: "OutOfSync", revision },
            health: { status: "Degraded", message: "Deployment has timed out progressing" },
            conditions: [
              {
                type: "SyncError",
                message: 'one or more objects failed to apply: Deployment "ollama" is invalid',
              },
            ],
            operationState: {
              phase: "Failed",
              message: "one or more objects failed to apply (retried 10 times)",
            },
          }
        : {
            sync: { status: "Synced", revision },
            health: { status: "Healthy" },
            operationState: { phase: "Succeeded" },
          };
      api.put({
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name, namespace: "argocd" },
        spec: existing?.spec ?? { source: { targetRevision: revision } },
        status,
      });
    }
  };

  const handled = new Set<string>();
  const world = setInterval(() => {
    for (const call of tools.calls()) {
      const line = [call.tool, ...call.args].join(" ");
      if (handled.has(line + call.stdin.length)) continue;
      if (call.tool === "kind" && call.args[0] === "create") {
        handled.add(line + call.stdin.length);
        const config = parse(call.stdin) as { nodes: { labels?: Record<string, string> }[] };
        const labels = config.nodes[0]?.labels ?? {};
        putNodes(labels, false);
        if (!behaviour.nodesStuck) setTimeout(() => putNodes(labels, true), 150);
      }
      if (call.tool === "kubectl" && call.args.includes("apply") && call.args.includes("-k")) {
        handled.add(line + call.stdin.length);
        setTimeout(putArgoCd, 50);
      }
    }
    const root = api.get<ApplicationObject>("argoproj.io/v1alpha1", "Application", "argocd", "sre-lab");
    const revision = root?.spec?.source?.targetRevision;
    if (revision && root?.status?.sync?.revision !== revision) syncApplications(revision);
  }, 25);

  return {
    api,
    tools,
    registry,
    ollama,
    home,
    env,
    behaviour,
    seedFinishedLab(configHash) {
      putNodes({ "sre-lab.dev/config-hash": configHash }, true);
      putArgoCd();
    },
    async close() {
      clearInterval(world);
      tools.cleanup();
      await Promise.all([api.close(), registry.close(), ollama.close()]);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
