import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FakeApiServer, KubeObject } from "../harness/fake-apiserver/index.js";
import type { FakeRule } from "../harness/fake-tools/index.js";
import { runCli } from "../support/cli.js";
import { createFakeClock } from "../support/fake-clock.js";
import { type ChaosWorld, NS, POD_A, startChaosWorld } from "./world.js";

const WORKER = "sre-lab-worker";
const INSPECT_FORMAT = '{{.State.Status}} {{index .Config.Labels "io.x-k8s.kind.cluster"}}';
const inspect = (stdout: string, exitCode = 0, stderr = ""): FakeRule => ({
  tool: "docker",
  args: ["container", "inspect", "--format", INSPECT_FORMAT, WORKER],
  stdout,
  stderr,
  exitCode,
});
// `docker stop` and `docker start` print the container's name on success.
const stop: FakeRule = { tool: "docker", args: ["stop", WORKER], stdout: `${WORKER}\n` };
const start: FakeRule = { tool: "docker", args: ["start", WORKER], stdout: `${WORKER}\n` };

function setReady(api: FakeApiServer, status: "True" | "Unknown"): void {
  api.update("v1", "Node", undefined, WORKER, (n: KubeObject) => {
    n.status = {
      conditions: [
        status === "True"
          ? { type: "Ready", status, reason: "KubeletReady", message: "kubelet is posting ready status" }
          : {
              type: "Ready",
              status,
              reason: "NodeStatusUnknown",
              message: "Kubelet stopped posting node status.",
              lastTransitionTime: "2026-01-02T10:10:40Z",
            },
      ],
    };
    n.spec = {
      ...(n.spec as object),
      taints:
        status === "True"
          ? []
          : [
              { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
              { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
            ],
    };
  });
}

/** The node lifecycle controller (and the kubelet coming back), driven by the docker calls. */
function nodeController(world: ChaosWorld, options: { neverDown?: boolean } = {}) {
  let down = false;
  world.react((api) => {
    const lines = world.tools.commandLines();
    if (!down && !options.neverDown && lines.includes(`docker stop ${WORKER}`)) {
      down = true;
      setReady(api, "Unknown");
      api.update("v1", "Pod", NS, POD_A, (p: KubeObject) => {
        const status = p.status as { conditions: { type: string; status: string }[] };
        status.conditions = status.conditions.map((c) =>
          c.type === "Ready" ? { ...c, status: "False" } : c,
        );
      });
    }
    if (lines.includes(`docker start ${WORKER}`)) {
      setReady(api, "True");
      return "done";
    }
    return undefined;
  });
}

function ready(api: FakeApiServer): string | undefined {
  const node = api.get("v1", "Node", undefined, WORKER) as
    | { status: { conditions: { status: string }[] } }
    | undefined;
  return node?.status.conditions[0]?.status;
}

describe("sre-lab chaos node-failure", () => {
  let world: ChaosWorld;
  beforeEach(async () => {
    world = await startChaosWorld();
  });
  afterEach(async () => {
    world.tools.assertNoUnexpectedCalls();
    await world.close();
  });

  it("stops the apps worker's kind container, proves NodeNotReady and the pod on it, and --revert starts it again", async () => {
    world.expectTools(inspect("running sre-lab\n"), stop, start);
    nodeController(world);
    const run = await runCli(["chaos", "node-failure"], { path: world.tools.path, env: world.env });
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    expect(world.tools.commandLines()).toEqual([
      `docker container inspect --format ${INSPECT_FORMAT} ${WORKER}`,
      `docker stop ${WORKER}`,
    ]);
    expect(run.stdout.trimEnd().split("\n").slice(1)).toEqual([
      "",
      "injected",
      `  stopped the kind node container ${WORKER} (docker stop ${WORKER})`,
      `  1 pod was running on it, among them ${NS}/${POD_A}`,
      "",
      "evidence (recorded by Kubernetes)",
      `  node ${WORKER}: Ready=Unknown reason=NodeStatusUnknown: Kubelet stopped posting node status. (since 2026-01-02T10:10:40Z)`,
      "  node taints: node.kubernetes.io/unreachable:NoSchedule, node.kubernetes.io/unreachable:NoExecute",
      `  pod ${NS}/${POD_A} on it: Ready=False`,
      "  1 pod ran on it; Kubernetes evicts them after their 300 s unreachable toleration and their controllers re-create them on the other nodes",
      "",
      "next",
      `  sre-lab diagnose ${POD_A} -n ${NS}`,
      expect.stringContaining("  a good diagnosis finds NodeNotReady:"),
      "  undo: sre-lab chaos node-failure --revert (or sre-lab chaos reset)",
    ]);
    expect(ready(world.api)).toBe("Unknown");

    // --revert from another process: finds the stopped kind container by its label, starts it, waits for Ready.
    world.expectTools({
      tool: "docker",
      args: [
        "ps",
        "--all",
        "--filter",
        "label=io.x-k8s.kind.cluster=sre-lab",
        "--filter",
        "status=exited",
        "--format",
        "{{.Names}}",
      ],
      stdout: `${WORKER}\n`,
    });
    const revert = await runCli(["chaos", "node-failure", "--revert"], {
      path: world.tools.path,
      env: world.env,
    });
    expect(revert.code).toBe(0);
    expect(revert.stdout.trimEnd().split("\n")).toEqual([
      `undone  node-failure: started the kind node container ${WORKER} (docker start ${WORKER})`,
      expect.stringMatching(
        new RegExp(`^undone {2}node-failure: node ${WORKER} is Ready again after \\d+(ms|s)$`),
      ),
    ]);
    expect(ready(world.api)).toBe("True");
    world.tools.assertAllUsed();
  });

  it("a node that does not go down before the deadline: what was seen, docker start, exit 1", async () => {
    world.expectTools(inspect("running sre-lab\n"), stop, start);
    nodeController(world, { neverDown: true });
    const run = await runCli(["chaos", "node-failure", "--timeout", "1s"], {
      path: world.tools.path,
      env: world.env,
      clock: createFakeClock(),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: node-failure: the break did not show within 1s; reverted");
    expect(run.stderr).toContain(
      `    node ${WORKER}: Ready=True reason=KubeletReady: kubelet is posting ready status\n`,
    );
    expect(run.stderr).toContain(`    started the kind node container ${WORKER} (docker start ${WORKER})\n`);
    expect(world.tools.commandLines().at(-1)).toBe(`docker start ${WORKER}`);
    world.tools.assertAllUsed();
  });

  it("never stops a container that is not the lab's kind node", async () => {
    world.expectTools(inspect("running other-cluster\n"));
    const run = await runCli(["chaos", "node-failure"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `error: no container ${WORKER} of the kind cluster sre-lab on this machine's Docker`,
    );
    expect(world.tools.commandLines()).not.toContain(`docker stop ${WORKER}`);
  });

  it("never stops a node whose providerID is not the kind cluster's (another cluster behind the context)", async () => {
    world.api.update("v1", "Node", undefined, WORKER, (n: KubeObject) => {
      n.spec = { providerID: "aws:///eu-west-1a/i-0abc" };
    });
    const run = await runCli(["chaos", "node-failure"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: node ${WORKER} is not a node of the kind cluster sre-lab`);
    expect(run.stderr).toContain(
      "providerID: aws:///eu-west-1a/i-0abc, expected kind://docker/sre-lab/sre-lab-worker",
    );
    expect(world.tools.commandLines()).toEqual([]);
  });

  it("refuses with the provider's reason when no node is the kind cluster's (an existing cluster)", async () => {
    for (const node of world.api.list("v1", "Node")) {
      world.api.update("v1", "Node", undefined, node.metadata?.name ?? "", (n: KubeObject) => {
        n.spec = { providerID: `aws:///eu-west-1a/${n.metadata?.name}` };
      });
    }
    const run = await runCli(["chaos", "node-failure"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "error: node-failure cannot stop a node here: the nodes of an existing cluster are not containers on this machine's Docker",
    );
    expect(run.stderr).toContain("hint: node-failure runs only against the lab's kind cluster");
    expect(world.tools.commandLines()).toEqual([]);
  });

  it("says so when docker stop fails, and points at reset", async () => {
    world.expectTools(inspect("running sre-lab\n"), {
      tool: "docker",
      args: ["stop", WORKER],
      exitCode: 1,
      stderr: "Error response from daemon: cannot stop container: sre-lab-worker: permission denied\n",
    });
    const run = await runCli(["chaos", "node-failure"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `error: could not stop the node container ${WORKER}: Error response from daemon`,
    );
    expect(run.stderr).toContain("permission denied");
    expect(run.stderr).toContain(
      "hint: the node may be stopped or not; sre-lab chaos reset starts stopped lab nodes",
    );
  });
});
