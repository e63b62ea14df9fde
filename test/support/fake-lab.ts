/**
 * A fake laptop lab for `up` tests: fake tools on PATH, the fake API server behind context
 * kind-sre-lab, the fake registry and a fake Ollama; plus a "world" loop that plays the parts of
 * kind, Argo CD and the kubelets, reacting to the commands the CLI runs and the objects it writes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import versions from "../../versions.json" with { type: "json" };
import { type FakeApiServer, type KubeObject, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { type FakeRegistry, startFakeRegistry } from "../harness/fake-registry/index.js";
import { createFakeTools, type FakeCall, type FakeTools } from "../harness/fake-tools/index.js";

export const NODE_NAMES = ["sre-lab-control-plane", "sre-lab-worker", "sre-lab-worker2"];
const CHILDREN = ["target-app", "metrics-server", "monitoring", "ollama"];

export interface WorldBehaviour {
  /** Nodes never become Ready. */
  nodesStuck?: boolean;
  /** This Application ends Degraded after a failed sync, with a condition. */
  degraded?: string;
  /**
   * Play kind's kubeconfig part: `kind create cluster` merges context kind-sre-lab into the file kind
   * would pick (its --kubeconfig, else the first existing file of KUBECONFIG, else its last, else
   * ~/.kube/config; kind v0.32.0 paths.go) and makes it current; `kind delete cluster` removes it.
   * The lab's env then has no KUBECONFIG of its own: the test sets one, or none.
   */
  kindWritesKubeconfig?: boolean;
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
  const env: NodeJS.ProcessEnv = { PATH: tools.path, HOME: home, SRE_LAB_REGISTRY_URL: registry.url };
  if (!behaviour.kindWritesKubeconfig) {
    env.KUBECONFIG = api.writeKubeconfig(join(home, ".kube"), { context: "kind-sre-lab" });
  }
  const labEntries = () => {
    const file = api.writeKubeconfig(join(home, ".fake-kind"), { context: "kind-sre-lab" });
    return parse(readFileSync(file, "utf8")) as KubeconfigFile;
  };

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
        if (behaviour.kindWritesKubeconfig) mergeKindContext(kindKubeconfigPath(call), labEntries());
      }
      if (behaviour.kindWritesKubeconfig && call.tool === "kind" && call.args[0] === "delete") {
        handled.add(line + call.stdin.length);
        removeKindContext(kindKubeconfigPath(call), "kind-sre-lab");
        for (const name of NODE_NAMES) api.remove("v1", "Node", undefined, name);
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

interface KubeconfigFile {
  clusters?: { name: string }[] | null;
  users?: { name: string }[] | null;
  contexts?: { name: string }[] | null;
  "current-context"?: string;
  [key: string]: unknown;
}

/** The file kind would write (kubernetes-sigs/kind v0.32.0, pkg/cluster/internal/kubeconfig/internal/kubeconfig/paths.go). */
function kindKubeconfigPath(call: FakeCall): string {
  const flag = call.args.indexOf("--kubeconfig");
  if (flag >= 0) return call.args[flag + 1]!;
  const list = [...new Set((call.env?.KUBECONFIG ?? "").split(delimiter).filter(Boolean))];
  if (list.length === 0) return join(call.env?.HOME ?? "", ".kube", "config");
  if (list.length === 1) return list[0]!;
  return list.find((f) => existsSync(f) && statSync(f).isFile()) ?? list.at(-1)!;
}

function readKubeconfig(path: string): KubeconfigFile {
  return existsSync(path) ? ((parse(readFileSync(path, "utf8")) as KubeconfigFile | null) ?? {}) : {};
}

/** kind's merge: replace or append the cluster, user and context by name, then make the context current. */
function mergeKindContext(path: string, lab: KubeconfigFile): void {
  const config = readKubeconfig(path);
  for (const key of ["clusters", "users", "contexts"] as const) {
    const entries = (config[key] ?? []).filter((e) => !lab[key]?.some((l) => l.name === e.name));
    config[key] = [...entries, ...(lab[key] ?? [])];
  }
  config["current-context"] = lab["current-context"] ?? "";
  config.apiVersion ??= "v1";
  config.kind ??= "Config";
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringify(config), { mode: 0o600 });
}

function removeKindContext(path: string, name: string): void {
  if (!existsSync(path)) return;
  const config = readKubeconfig(path);
  for (const key of ["clusters", "users", "contexts"] as const) {
    config[key] = (config[key] ?? []).filter((e) => e.name !== name);
  }
  if (config["current-context"] === name) config["current-context"] = "";
  writeFileSync(path, stringify(config), { mode: 0o600 });
}
