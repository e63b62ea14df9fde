/** How diagnose picks its mode before touching the cluster (src/diagnose/cluster-mode.ts). */
import { describe, expect, it } from "vitest";
import { chooseMode, inClusterNeeds, readOnlyNeeds } from "../../src/diagnose/cluster-mode.js";
import type { KubeClient } from "../../src/kube/client.js";
import type { Context } from "../../src/runtime/context.js";

function stub(context: string, server: string, labels?: Record<string, string>) {
  const info: string[] = [];
  const ctx = { out: { info: (t: string) => info.push(t), warn: () => {}, debug: () => {} }, ask: undefined };
  const kube = {
    context,
    server,
    find: async () => (labels ? { metadata: { name: "sre-lab-app", labels } } : undefined),
  };
  return { ctx: ctx as unknown as Context, kube: kube as unknown as KubeClient, info };
}
const auto = {
  where: "auto" as const,
  namespace: "shop",
  keep: false,
  consent: { yes: false, force: false },
};

describe("chooseMode", () => {
  it("the lab gets the agent; a labelled cluster too", async () => {
    const lab = stub("kind-sre-lab", "https://127.0.0.1:6443");
    await expect(chooseMode(lab.ctx, lab.kube, auto)).resolves.toBe("cluster");
    const labelled = stub("team-lab", "https://10.1.2.3", { "app.kubernetes.io/part-of": "sre-lab" });
    await expect(chooseMode(labelled.ctx, labelled.kube, auto)).resolves.toBe("cluster");
    expect(lab.info).toEqual([]);
  });

  it("anything else, and the lab's context name on a production-looking server, is read-only", async () => {
    for (const [context, server] of [
      ["staging", "https://10.1.2.3"],
      ["kind-sre-lab", "https://api.prod.example.com"],
    ] as const) {
      const s = stub(context, server);
      await expect(chooseMode(s.ctx, s.kube, auto)).resolves.toBe("local");
      expect(s.info[0]).toContain(`context "${context}" is not the lab's: diagnosing read-only`);
    }
  });

  it("--in-cluster off the lab asks the guard; --local never does", async () => {
    const s = stub("staging", "https://10.1.2.3");
    await expect(chooseMode(s.ctx, s.kube, { ...auto, where: "cluster" })).rejects.toThrow(
      'refusing to write to context "staging"',
    );
    await expect(chooseMode(s.ctx, s.kube, { ...auto, where: "local" })).resolves.toBe("local");
  });
});

describe("the permissions each mode checks", () => {
  it("read-only needs only get pods; the rest are reads that degrade", () => {
    const needs = readOnlyNeeds("shop");
    expect(needs.filter((n) => n.required).map((n) => n.for)).toEqual(["get pods in namespace shop"]);
    expect(needs.every((n) => ["get", "list"].includes(n.check.verb))).toBe(true);
  });

  it("in-cluster: create and patch for server-side apply, and delete only without --keep", () => {
    const kept = inClusterNeeds("shop", true).map((n) => n.for);
    const cleaned = inClusterNeeds("shop", false).map((n) => n.for);
    expect(kept).toEqual(
      expect.arrayContaining([
        "create roles.rbac.authorization.k8s.io in namespace shop",
        "patch roles.rbac.authorization.k8s.io in namespace shop",
      ]),
    );
    expect(kept.some((f) => f.startsWith("delete"))).toBe(false);
    expect(cleaned).toEqual(
      expect.arrayContaining([
        "delete jobs.batch in namespace shop",
        "delete clusterrolebindings.rbac.authorization.k8s.io (cluster-wide)",
      ]),
    );
  });
});
