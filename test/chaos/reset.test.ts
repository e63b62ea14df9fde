import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FakeApiServer, KubeObject } from "../harness/fake-apiserver/index.js";
import type { FakeRule } from "../harness/fake-tools/index.js";
import { runCli } from "../support/cli.js";
import { type ChaosWorld, NS, startChaosWorld, TARGET_IMAGE } from "./world.js";

const PS_EXITED = [
  "ps",
  "--all",
  "--filter",
  "label=io.x-k8s.kind.cluster=sre-lab",
  "--filter",
  "status=exited",
  "--format",
  "{{.Names}}",
];

const chaosLabels = (scenario: string) => ({
  "app.kubernetes.io/part-of": "sre-lab",
  "app.kubernetes.io/managed-by": "sre-lab-chaos",
  "sre-lab.dev/chaos": scenario,
});

/** What runs interrupted by a crash (not Ctrl-C) could have left: one of each kind. */
async function leaveLeftovers(api: FakeApiServer): Promise<void> {
  api.put({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "sre-lab-drill-crashloop", namespace: NS, labels: chaosLabels("crashloop") },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "app", image: TARGET_IMAGE }] } } },
  });
  api.put({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "sre-lab-drill-crashloop-5d8f7b9c6-abcde",
      namespace: NS,
      labels: chaosLabels("crashloop"),
    },
    spec: { containers: [{ name: "app", image: TARGET_IMAGE }] },
  });
  api.put({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "sre-lab-chaos-oom-k2x9q", namespace: NS, labels: chaosLabels("oom") },
    spec: { containers: [{ name: "driver", image: TARGET_IMAGE }] },
  });
  // The drift drill's edit, as its server-side apply made it (Argo CD has not healed it).
  const applied = await api.request(
    "PATCH",
    `/apis/apps/v1/namespaces/${NS}/deployments/target-app?fieldManager=sre-lab-chaos&force=true`,
    {
      headers: { "Content-Type": "application/apply-patch+yaml" },
      body: JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: "target-app",
          namespace: NS,
          annotations: {
            "sre-lab.dev/chaos-drift": JSON.stringify({
              field: "spec.revisionHistoryLimit",
              original: 3,
              drifted: 8,
            }),
          },
        },
        spec: { revisionHistoryLimit: 8 },
      }),
    },
  );
  if (applied.status !== 200) throw new Error(`apply failed: ${applied.body}`);
  api.update("v1", "Node", undefined, "sre-lab-worker", (n: KubeObject) => {
    n.status = { conditions: [{ type: "Ready", status: "Unknown", reason: "NodeStatusUnknown" }] };
  });
}

describe("sre-lab chaos reset", () => {
  let world: ChaosWorld;
  beforeEach(async () => {
    world = await startChaosWorld();
    await leaveLeftovers(world.api);
  });
  afterEach(async () => {
    world.tools.assertNoUnexpectedCalls();
    await world.close();
  });

  it("undoes every scenario's leftovers, the stopped node first", async () => {
    const start: FakeRule = { tool: "docker", args: ["start", "sre-lab-worker"], stdout: "sre-lab-worker\n" };
    world.expectTools({ tool: "docker", args: PS_EXITED, stdout: "sre-lab-worker\n" }, start);
    world.react((api) => {
      if (!world.tools.commandLines().includes("docker start sre-lab-worker")) return undefined;
      api.update("v1", "Node", undefined, "sre-lab-worker", (n: KubeObject) => {
        n.status = { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] };
      });
      return "done";
    });
    const run = await runCli(["chaos", "reset"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n")).toEqual([
      "undone  node-failure: started the kind node container sre-lab-worker (docker start sre-lab-worker)",
      expect.stringMatching(/^undone {2}node-failure: node sre-lab-worker is Ready again after \d+(ms|s)$/),
      `undone  oom: deleted Pod ${NS}/sre-lab-chaos-oom-k2x9q`,
      `undone  crashloop: deleted Deployment ${NS}/sre-lab-drill-crashloop`,
      "clean   bad-image: nothing to revert",
      "clean   missing-config: nothing to revert",
      "clean   probe-failure: nothing to revert",
      "clean   unschedulable: nothing to revert",
      `undone  drift: set spec.revisionHistoryLimit of Deployment ${NS}/target-app back to 3 (Argo CD had not) and removed the drill's annotation`,
    ]);
    expect(
      world.api
        .list("v1", "Pod", NS)
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(["target-app-6b7f9c8d4-q8r2m", "target-app-6b7f9c8d4-x2k9p"]);
    expect(world.api.get("apps/v1", "Deployment", NS, "sre-lab-drill-crashloop")).toBeUndefined();
    const target = world.api.get("apps/v1", "Deployment", NS, "target-app") as KubeObject & {
      spec: { revisionHistoryLimit: number };
    };
    expect(target.spec.revisionHistoryLimit).toBe(3);
    expect(target.metadata?.annotations?.["sre-lab.dev/chaos-drift"]).toBeUndefined();
    world.tools.assertAllUsed();

    // A second reset finds nothing.
    world.expectTools({ tool: "docker", args: PS_EXITED, stdout: "" });
    const again = await runCli(["chaos", "reset", "-o", "json"], { path: world.tools.path, env: world.env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual([
      { scenario: "node-failure", reverted: [] },
      ...["oom", "crashloop", "bad-image", "missing-config", "probe-failure", "unschedulable", "drift"].map(
        (s) => ({
          scenario: s,
          reverted: [],
        }),
      ),
    ]);
  });

  it("goes on when one revert fails, and exits 1 naming it", async () => {
    world.expectTools({
      tool: "docker",
      args: PS_EXITED,
      exitCode: 1,
      stderr:
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
    });
    const run = await runCli(["chaos", "reset"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stdout.split("\n")[0]).toBe(
      "failed  node-failure: could not list the lab's stopped node containers: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    );
    expect(run.stdout).toContain(`undone  crashloop: deleted Deployment ${NS}/sre-lab-drill-crashloop`);
    expect(run.stderr).toContain("error: could not revert node-failure");
    expect(run.stderr).toContain(
      "hint: fix what the messages above say (is Docker running? does the cluster answer?)",
    );
    expect(world.api.get("apps/v1", "Deployment", NS, "sre-lab-drill-crashloop")).toBeUndefined();
  });
});
