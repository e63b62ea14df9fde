/**
 * kind/cluster.yaml: the shape the CLI and the manifests rely on, checked against kind's v1alpha4
 * config fields (pkg/apis/config/v1alpha4/types.go at kind v0.32.0).
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { describe, expect, it } from "vitest";
import { KIND_DIR, MANIFESTS, readChartValues, readVersions, readYamlObject } from "./support/lab.js";
import { LAB } from "./support/lab-facts.js";
import { renderLab, workloads } from "./support/rendered.js";

interface KindMount {
  hostPath: string;
  containerPath: string;
}
interface KindPortMapping {
  containerPort: number;
  hostPort: number;
  listenAddress?: string;
  protocol?: string;
}
interface KindNode {
  role: "control-plane" | "worker";
  image: string;
  labels?: Record<string, string>;
  extraMounts?: KindMount[];
  extraPortMappings?: KindPortMapping[];
}
interface KindCluster {
  kind: string;
  apiVersion: string;
  name: string;
  nodes: KindNode[];
  containerdConfigPatches?: string[];
}

// JSON field names of kind's v1alpha4 Cluster, Node, Mount and PortMapping types.
const KIND_FIELDS = {
  cluster: [
    "kind",
    "apiVersion",
    "name",
    "nodes",
    "networking",
    "featureGates",
    "runtimeConfig",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
    "containerdConfigPatches",
    "containerdConfigPatchesJSON6902",
  ],
  node: [
    "role",
    "image",
    "labels",
    "extraMounts",
    "extraPortMappings",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
  ],
  mount: ["containerPath", "hostPath", "readOnly", "selinuxRelabel", "propagation"],
  portMapping: ["containerPort", "hostPort", "listenAddress", "protocol"],
};

const cluster = readYamlObject<KindCluster>(join(KIND_DIR, "cluster.yaml"));
const controlPlanes = cluster.nodes.filter((n) => n.role === "control-plane");
const workers = cluster.nodes.filter((n) => n.role === "worker");
const aiWorkers = workers.filter((n) => n.labels?.[LAB.nodeRoleLabel] === "ai");

describe("kind/cluster.yaml", () => {
  it("uses only fields kind v1alpha4 knows", () => {
    const unknown = (object: object, allowed: string[], where: string) =>
      Object.keys(object)
        .filter((k) => !allowed.includes(k))
        .map((k) => `${where}.${k}`);
    const problems = [
      ...unknown(cluster, KIND_FIELDS.cluster, "cluster"),
      ...cluster.nodes.flatMap((node, i) => [
        ...unknown(node, KIND_FIELDS.node, `nodes[${i}]`),
        ...(node.extraMounts ?? []).flatMap((m, j) =>
          unknown(m, KIND_FIELDS.mount, `nodes[${i}].extraMounts[${j}]`),
        ),
        ...(node.extraPortMappings ?? []).flatMap((p, j) =>
          unknown(p, KIND_FIELDS.portMapping, `nodes[${i}].extraPortMappings[${j}]`),
        ),
      ]),
    ];
    expect(problems).toEqual([]);
    expect(cluster.apiVersion).toBe("kind.x-k8s.io/v1alpha4");
    expect(cluster.kind).toBe("Cluster");
  });

  it("is the sre-lab cluster: one control plane and two workers", () => {
    expect(cluster.name).toBe(LAB.clusterName);
    expect(controlPlanes).toHaveLength(1);
    expect(workers).toHaveLength(2);
  });

  it("pins every node to kind's default node image, by tag and digest, as versions.json says", () => {
    const { kindNodeImage } = readVersions();
    expect(kindNodeImage).toMatch(/^kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(cluster.nodes.map((n) => n.image)).toEqual(cluster.nodes.map(() => kindNodeImage));
  });

  it("points containerd at /etc/containerd/certs.d for the local registry", () => {
    const patch = (cluster.containerdConfigPatches ?? []).join("\n");
    expect(patch).toMatch(
      /\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\]\s*\n\s*config_path = "\/etc\/containerd\/certs\.d"/,
    );
    const hosts = readFileSync(join(KIND_DIR, "registry-hosts.toml"), "utf8");
    const tables = hosts.split("\n").filter((line) => line.startsWith("["));
    expect(tables).toEqual([`[host."http://${LAB.registry.container}:${LAB.registry.port}"]`]);
  });

  it("maps the lab's host ports, on 127.0.0.1 only, to the NodePorts the manifests use", () => {
    const mappings = controlPlanes[0]?.extraPortMappings ?? [];
    expect(workers.every((w) => (w.extraPortMappings ?? []).length === 0)).toBe(true);
    expect(mappings.every((m) => m.listenAddress === "127.0.0.1" && (m.protocol ?? "TCP") === "TCP")).toBe(
      true,
    );
    expect(mappings.map((m) => [m.hostPort, m.containerPort]).sort()).toEqual(
      Object.values(LAB.hostPorts)
        .map((p) => [p.host, p.nodePort])
        .sort(),
    );
  });

  it("every mapped NodePort is a Service's nodePort in the manifests", () => {
    const lab = renderLab();
    const servicePorts = lab.sources
      .flatMap((s) => s.objects)
      .filter((o) => o.kind === "Service")
      .flatMap((o) =>
        ((o.spec as { ports?: Array<{ nodePort?: number }> }).ports ?? []).map((p) => p.nodePort),
      );
    const monitoring = readChartValues(join(MANIFESTS, "monitoring")) as {
      prometheus: { server: { service: { type: string; nodePort: number } } };
      grafana: { service: { type: string; nodePort: number } };
    };
    expect(monitoring.prometheus.server.service.type).toBe("NodePort");
    expect(monitoring.grafana.service.type).toBe("NodePort");
    expect(servicePorts).toContain(LAB.hostPorts.app.nodePort);
    expect(servicePorts).toContain(LAB.hostPorts.argocd.nodePort);
    expect(monitoring.prometheus.server.service.nodePort).toBe(LAB.hostPorts.prometheus.nodePort);
    expect(monitoring.grafana.service.nodePort).toBe(LAB.hostPorts.grafana.nodePort);
  });

  it("labels one worker for AI and the other for apps", () => {
    expect(aiWorkers).toHaveLength(1);
    expect(workers.map((w) => w.labels?.[LAB.nodeRoleLabel]).sort()).toEqual(["ai", "apps"]);
  });

  it("mounts the model cache into the AI worker, where Ollama's hostPath expects it", () => {
    const mount = aiWorkers[0]?.extraMounts?.find((m) => m.containerPath === LAB.modelCacheNodePath);
    expect(mount).toBeDefined();
    expect(isAbsolute(mount?.hostPath ?? "")).toBe(true);
    // The other worker gets the same cache, so a rescheduled Ollama keeps its models.
    for (const worker of workers) {
      expect(worker.extraMounts?.map((m) => m.containerPath)).toEqual([LAB.modelCacheNodePath]);
    }
    const ollama = workloads(renderLab()).find((w) => w.object.metadata.name === "ollama");
    const volume = ollama?.pod.volumes?.find((v) => v.hostPath !== undefined);
    expect(volume?.hostPath?.path).toBe(LAB.modelCacheNodePath);
  });
});
