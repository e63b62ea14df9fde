import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkChaosTarget, productionWord } from "../../src/chaos/safety.js";
import type { KubeClient, KubeObject } from "../../src/kube/client.js";
import { runCli } from "../support/cli.js";
import { type ChaosWorld, NS, startChaosWorld } from "./world.js";

const warned: string[] = [];
const quiet = {
  out: { warn: (t: string) => warned.push(t), info: () => {}, debug: () => {} },
  ask: undefined,
} as never;

function stubKube(context: string, server: string, namespace?: KubeObject): KubeClient {
  return {
    context,
    server,
    namespace: "default",
    find: async () => namespace as never,
  } as unknown as KubeClient;
}

describe("where chaos may act", () => {
  it("spots production-looking names", () => {
    expect(productionWord("prod-eu-1")).toBe("prod");
    expect(productionWord("gke_acme_europe-west1_production")).toBe("prod");
    expect(productionWord("myprodcluster")).toBe("prod");
    expect(productionWord("eks-prd-2")).toBe("prd");
    expect(productionWord("arn:aws:eks:eu-west-1:1234:cluster/live")).toBe("live");
    expect(productionWord("kind-sre-lab")).toBeUndefined();
    expect(productionWord("staging")).toBeUndefined();
    // "live" only as a word: a delivery team's cluster is not production.
    expect(productionWord("delivery-dev")).toBeUndefined();
  });

  it("accepts the lab's context, and refuses a production-looking API server even there", async () => {
    await expect(
      checkChaosTarget(quiet, stubKube("kind-sre-lab", "https://127.0.0.1:6443"), { force: false }),
    ).resolves.toEqual({
      lab: true,
      because: "context kind-sre-lab is the lab's",
      warnings: [],
    });
    await expect(
      checkChaosTarget(quiet, stubKube("kind-sre-lab", "https://api.prod.example.com:6443"), {
        force: false,
      }),
    ).rejects.toThrow(
      'refusing to break API server https://api.prod.example.com:6443: it looks like production ("prod")',
    );
  });

  it("accepts another context only when the app namespace is labelled as the lab's", async () => {
    const labelled = { metadata: { name: NS, labels: { "app.kubernetes.io/part-of": "sre-lab" } } };
    await expect(
      checkChaosTarget(quiet, stubKube("staging", "https://10.0.0.1", labelled), { force: false }),
    ).resolves.toEqual({
      lab: true,
      because: "namespace sre-lab-app is labelled app.kubernetes.io/part-of=sre-lab",
      warnings: [],
    });
    await expect(
      checkChaosTarget(quiet, stubKube("staging", "https://10.0.0.1", { metadata: { name: NS } }), {
        force: false,
      }),
    ).rejects.toThrow(
      "refusing to break context \"staging\": it is not the lab's (kind-sre-lab): namespace sre-lab-app there is not labelled as the lab's",
    );
    await expect(
      checkChaosTarget(quiet, stubKube("staging", "https://10.0.0.1"), { force: false }),
    ).rejects.toThrow(
      'refusing to break context "staging": it is not the lab\'s (kind-sre-lab): namespace sre-lab-app does not exist there',
    );
    await expect(
      checkChaosTarget(quiet, stubKube("staging", "https://10.0.0.1"), { force: true }),
    ).resolves.toEqual({
      lab: false,
      because: "--force",
      warnings: ['--force: acting on context "staging", which is not the lab\'s'],
    });
  });
});

describe("chaos on the wrong cluster (CLI)", () => {
  let world: ChaosWorld;
  let kubeconfig: string;
  beforeEach(async () => {
    world = await startChaosWorld();
    // The same fake cluster behind a context named like production.
    kubeconfig = world.api.writeKubeconfig(world.home, { context: "prod-eu" });
  });
  afterEach(async () => {
    await world.close();
  });

  const env = () => ({ ...world.env, KUBECONFIG: kubeconfig });
  const drills = () =>
    world.api.list("apps/v1", "Deployment", NS).filter((d) => d.metadata?.name?.startsWith("sre-lab-drill"));

  it("refuses a production-looking context with exit 2, even when its namespace is labelled", async () => {
    world.api.update("v1", "Namespace", undefined, NS, (ns: KubeObject) => {
      ns.metadata = {
        ...ns.metadata,
        labels: { ...ns.metadata?.labels, "app.kubernetes.io/part-of": "sre-lab" },
      };
    });
    const run = await runCli(["--context", "prod-eu", "chaos", "crashloop"], {
      path: world.tools.path,
      env: env(),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      [
        'error: refusing to break context "prod-eu": it looks like production ("prod")',
        `  sre-lab chaos would write to context "prod-eu" (${world.api.url}):`,
        "    - drill Deployments, ConfigMaps and Pods in namespace sre-lab-app; edits to the lab's own Deployment there",
        "    - node-failure: stops a kind node container (docker stop) of the lab",
        "hint: sre-lab chaos is for the lab (--context kind-sre-lab); pass --force only for a throwaway cluster",
        "",
      ].join("\n"),
    );
    expect(drills()).toEqual([]);

    const forced = await runCli(["--context", "prod-eu", "chaos", "crashloop", "--revert", "--force"], {
      path: world.tools.path,
      env: env(),
    });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain(
      'warning: --force: acting on context "prod-eu", which looks like production ("prod")',
    );
    expect(forced.stdout).toBe("clean   crashloop: nothing to revert\n");
  });

  it("refuses a context that is not the lab's unless its namespace is labelled", async () => {
    const staging = world.api.writeKubeconfig(world.home, { context: "staging" });
    const run = await runCli(["--context", "staging", "chaos", "reset"], {
      path: world.tools.path,
      env: { ...world.env, KUBECONFIG: staging },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: refusing to break context "staging"');
    expect(run.stderr).toContain(
      "hint: pass --yes to break it anyway, or use --context kind-sre-lab, or label the lab's namespace (kubectl label namespace sre-lab-app app.kubernetes.io/part-of=sre-lab)",
    );
  });

  it("does not act on the current context when it is not the lab's", async () => {
    const run = await runCli(["chaos", "oom"], { path: world.tools.path, env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: the current context is "prod-eu", not the lab\'s "kind-sre-lab"');
    expect(
      world.api.list("v1", "Pod", NS).filter((p) => p.metadata?.name?.startsWith("sre-lab-chaos")),
    ).toEqual([]);
  });

  it("rejects an unknown scenario as a usage error", async () => {
    const run = await runCli(["chaos", "meteor"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'meteor'");
  });
});
