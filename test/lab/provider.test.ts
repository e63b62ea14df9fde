/**
 * Provider detection reads the running cluster (its context and nodes), never a local file or the
 * mere presence of --context; and names resolve through the one registration list.
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import {
  clusterFacts,
  labHostUrl,
  providerNamed,
  providerOf,
  providers,
} from "../../src/lab/provider/index.js";

const kindNode = (name: string, labels: Record<string, string> = {}) => ({
  metadata: { name, labels },
  spec: { providerID: `kind://docker/sre-lab/${name}` },
});

describe("provider detection", () => {
  it.each([
    [
      "the lab's context, nodes with kind's providerID for cluster sre-lab",
      "kind-sre-lab",
      [kindNode("sre-lab-worker")],
      "kind",
    ],
    [
      "the lab's context, nodes stamped with the lab's kind config hash (no providerID)",
      "kind-sre-lab",
      [{ metadata: { name: "sre-lab-worker", labels: { "sre-lab.dev/config-hash": "0123456789abcdef" } } }],
      "kind",
    ],
    [
      "the lab's context name, but the nodes are another cloud's",
      "kind-sre-lab",
      [{ metadata: { name: "ip-10-0-0-1" }, spec: { providerID: "aws:///eu-west-1a/i-0abc" } }],
      "existing",
    ],
    [
      "another kind cluster named kind-sre-lab by hand",
      "kind-sre-lab",
      [{ metadata: { name: "other-worker" }, spec: { providerID: "kind://docker/other/other-worker" } }],
      "existing",
    ],
    [
      "the lab's nodes behind another context name (renamed: the write guard decides)",
      "staging",
      [kindNode("sre-lab-worker")],
      "existing",
    ],
    ["the lab's context with no nodes readable", "kind-sre-lab", [], "existing"],
  ])("%s → %s", (_what, context, nodes, expected) => {
    expect(providerOf(clusterFacts(context, nodes)).name).toBe(expected);
  });

  it("each provider says where the UIs answer: host ports on kind, sre-lab open elsewhere", () => {
    const ports = { app: 8081, grafana: 3001, argocd: 8444, prometheus: 9091, registry: 5002 };
    expect(
      providerNamed("kind")
        .exposed(ports)
        .find((s) => s.name === "grafana"),
    ).toEqual({
      name: "grafana",
      address: "http://127.0.0.1:3001",
      hostPort: true,
    });
    expect(
      providerNamed("existing")
        .exposed(ports)
        .find((s) => s.name === "argocd"),
    ).toEqual({
      name: "argocd",
      address: "sre-lab open argocd",
      hostPort: false,
    });
  });

  it("the existing provider never deletes a cluster and has no node containers, and says why", async () => {
    const existing = providerNamed("existing");
    await expect(existing.deleteCluster({} as never)).resolves.toMatchObject({
      unsupported: "sre-lab never deletes a cluster it did not create",
    });
    expect(existing.nodeContainers).toMatchObject({ unsupported: expect.stringContaining("not containers") });
    expect(existing.contextName({ context: "my-cluster" })).toBe("my-cluster");
    expect(providerNamed("kind").contextName({ context: "my-cluster" })).toBe("kind-sre-lab");
  });

  it("the kind provider's dry-run plan names the commands its cluster and registry would run", async () => {
    const kind = providerNamed("kind");
    const ports = { app: 8080, grafana: 3000, argocd: 8443, prometheus: 9090, registry: 5002 };
    const ctx = { kubeTarget: { kubeconfig: "/tmp/k" }, env: {} } as never;
    const plan = await kind.planCluster({ ctx, modelCache: "/tmp/models", ports });
    expect(plan).toMatchObject({ nodeCount: 3 });
    const actions = (plan as { actions: string[] }).actions;
    expect(actions[0]).toBe("mkdir -p /tmp/models");
    expect(actions[1]).toMatch(
      /^kind create cluster --name sre-lab --config - --kubeconfig \/tmp\/k <<EOF\n/,
    );
    expect(actions[2]).toBe("kind adds context kind-sre-lab to /tmp/k and makes it the current context");
    expect(actions[3]).toContain(", and to certs.d/localhost:5002");
    expect(actions[4]).toBe("docker network connect kind sre-lab-registry");
    const registry = kind.registry as { planEnsure(p: typeof ports): string[] };
    expect(registry.planEnsure(ports)).toEqual([
      expect.stringMatching(
        /^docker run -d --restart=always -p 127\.0\.0\.1:5002:5000 --name sre-lab-registry /,
      ),
    ]);
    await expect(
      providerNamed("existing").planCluster({ ctx, modelCache: "/tmp/models", ports }),
    ).resolves.toEqual({
      unsupported: "using the existing cluster",
    });
  });

  it("names resolve through the one list; an unknown one is a usage error naming them", () => {
    expect(providers().map((p) => p.name)).toEqual(["kind", "existing"]);
    const error = (() => {
      try {
        providerNamed("eks");
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({
      message: 'unknown provider "eks"',
      hint: "use --provider kind (default) or existing",
    });
  });
});

describe("labHostUrl: where the running lab's UI answers on this machine", () => {
  const clientOf = (context: string, nodes: unknown[] | Error) => ({
    context,
    list: async <T>() => {
      if (nodes instanceof Error) throw nodes;
      return nodes as T[];
    },
  });

  it("the kind lab: 127.0.0.1 and the host port its nodes record (up --host-port prometheus=N)", async () => {
    const nodes = [kindNode("sre-lab-control-plane", { "sre-lab.dev/host-port-prometheus": "9191" })];
    await expect(labHostUrl(clientOf("kind-sre-lab", nodes), "prometheus")).resolves.toBe(
      "http://127.0.0.1:9191",
    );
  });

  it("an existing cluster maps no host port, even under the lab's context name", async () => {
    const foreign = [{ metadata: { name: "ip-10-0-0-1" }, spec: { providerID: "aws:///eu-west-1a/i-0abc" } }];
    await expect(labHostUrl(clientOf("kind-sre-lab", foreign), "prometheus")).resolves.toBeUndefined();
    await expect(labHostUrl(clientOf("staging", foreign), "grafana")).resolves.toBeUndefined();
  });

  it("nodes that cannot be read: no URL rather than a guess", async () => {
    await expect(
      labHostUrl(clientOf("kind-sre-lab", new Error("nodes is forbidden")), "prometheus"),
    ).resolves.toBeUndefined();
  });
});
