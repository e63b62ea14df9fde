import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DRIVER_SCRIPT, HOLD_SECONDS } from "../../src/chaos/scenarios/oom.js";
import type { FakeApiServer, KubeObject } from "../harness/fake-apiserver/index.js";
import { startCli } from "../lab/support.js";
import { runCli } from "../support/cli.js";
import { createFakeClock } from "../support/fake-clock.js";
import {
  type ChaosWorld,
  closedPortUrl,
  IP_A,
  labelled,
  NS,
  POD_A,
  pods,
  startChaosWorld,
  TARGET_IMAGE,
} from "./world.js";

const LIMIT_BYTES = 256 * 1024 * 1024;

interface PodShape extends KubeObject {
  spec: {
    containers: {
      name: string;
      image: string;
      command: string[];
      securityContext: Record<string, unknown>;
    }[];
    securityContext: Record<string, unknown>;
    restartPolicy: string;
  };
  status: { containerStatuses: { restartCount: number; lastState?: Record<string, unknown> }[] };
}

/** The driver's log as the real one writes it: one JSON line per call. */
const DRIVER_LOG = [
  { event: "leaked", call: 1, mb: 64, retained_mb: 64, rss_bytes: 104_857_600 },
  { event: "leaked", call: 2, mb: 64, retained_mb: 128, rss_bytes: 171_966_464 },
  { event: "leaked", call: 3, mb: 20, retained_mb: 148, rss_bytes: 192_937_984 },
  { event: "hold", seconds: HOLD_SECONDS, rss_bytes: 192_937_984 },
  {
    event: "stopped",
    call: 4,
    error: "RemoteDisconnected",
    detail: "Remote end closed connection without response",
  },
]
  .map((l) => JSON.stringify(l))
  .join("\n");

/** The kubelet: runs the driver, and the kernel OOM-kills the target container, which restarts. */
function oomKill(api: FakeApiServer): undefined | "done" {
  const driver = pods(api, labelled("oom"))[0];
  if (!driver) return undefined;
  const name = driver.metadata?.name ?? "";
  api.update("v1", "Pod", NS, name, (p: KubeObject) => {
    p.status = {
      phase: "Succeeded",
      containerStatuses: [
        { name: "driver", restartCount: 0, state: { terminated: { reason: "Completed", exitCode: 0 } } },
      ],
    };
  });
  api.appendLog(NS, name, "driver", `${DRIVER_LOG}\n`);
  api.update("v1", "Pod", NS, POD_A, (p: KubeObject) => {
    (p as PodShape).status.containerStatuses = [
      {
        name: "app",
        ready: true,
        restartCount: 1,
        state: { running: { startedAt: "2026-01-02T10:05:03Z" } },
        lastState: {
          terminated: {
            reason: "OOMKilled",
            exitCode: 137,
            startedAt: "2026-01-02T10:00:00Z",
            finishedAt: "2026-01-02T10:05:02Z",
          },
        },
      } as never,
    ];
  });
  return "done";
}

/** The kubelet starts the driver, but the target's container never dies (cgroup v1: only the worker). */
function workerOnlyKilled(api: FakeApiServer): undefined | "done" {
  const driver = pods(api, labelled("oom"))[0];
  if (!driver) return undefined;
  const name = driver.metadata?.name ?? "";
  api.update("v1", "Pod", NS, name, (p: KubeObject) => {
    p.status = {
      phase: "Running",
      containerStatuses: [{ name: "driver", restartCount: 0, state: { running: {} } }],
    };
  });
  api.appendLog(NS, name, "driver", `${DRIVER_LOG}\n`);
  return "done";
}

describe("sre-lab chaos oom", () => {
  let world: ChaosWorld;
  beforeEach(async () => {
    world = await startChaosWorld();
    world.prometheus.value = 230_000_000;
  });
  afterEach(async () => {
    world.tools.assertNoUnexpectedCalls();
    await world.close();
  });

  it("drives one pod past its limit from inside the cluster, proves OOMKilled/137 and prints the diagnose command", async () => {
    world.react(oomKill);
    const run = await runCli(["chaos", "oom"], { path: world.tools.path, env: world.env });
    expect(run.stderr).not.toContain("error");
    expect(run.code).toBe(0);

    // The driver: a labelled pod in sre-lab-app, the app's own image, aimed at the pod's IP, baseline-safe.
    const [driver] = pods(world.api, labelled("oom")) as PodShape[];
    expect(driver?.metadata?.name).toMatch(/^sre-lab-chaos-oom-[a-z0-9]{5}$/);
    expect(driver?.metadata?.labels).toEqual({
      "app.kubernetes.io/part-of": "sre-lab",
      "app.kubernetes.io/managed-by": "sre-lab-chaos",
      "sre-lab.dev/chaos": "oom",
    });
    expect(driver?.metadata?.annotations).toEqual({ "sre-lab.dev/chaos-target": POD_A });
    const container = driver?.spec.containers[0];
    expect(container?.image).toBe(TARGET_IMAGE);
    expect(container?.command).toEqual([
      "python3",
      "-c",
      DRIVER_SCRIPT,
      `http://${IP_A}:8080`,
      String(LIMIT_BYTES),
      String(HOLD_SECONDS),
    ]);
    expect(driver?.spec.restartPolicy).toBe("Never");
    expect(driver?.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });

    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^oom: break verified after \d+(ms|s) on context kind-sre-lab$/);
    expect(lines).toContain(`  pod ${NS}/${POD_A} container app: restartCount 0 → 1`);
    expect(lines).toContain(
      "  last state: terminated reason=OOMKilled exitCode=137 finishedAt=2026-01-02T10:05:02Z",
    );
    expect(lines).toContain("  memory limit: 256Mi");
    expect(lines).toContain(
      "  Prometheus: working set reached 219 MiB of the 256 MiB limit (86%) in the last 5m, scraped every 15 s; the kernel kills at the limit itself",
    );
    expect(lines).toContain(
      `  driver ${driver?.metadata?.name}: 3 leak calls answered; last: 148 MiB retained, worker RSS 184 MiB; held ${HOLD_SECONDS}s under the limit; then call 4 failed (RemoteDisconnected)`,
    );
    expect(lines).toContain(`  sre-lab diagnose ${POD_A} -n ${NS}`);
    expect(lines).toContain("  undo: sre-lab chaos oom --revert (or sre-lab chaos reset)");
    expect(world.prometheus.queries).toEqual([
      `max(max_over_time(container_memory_working_set_bytes{namespace="${NS}",pod="${POD_A}",container="app"}[5m]))`,
    ]);
    // The break stays for you to diagnose: the driver is still there, the target pod too.
    expect(pods(world.api, labelled("oom"))).toHaveLength(1);
    expect(world.api.get("v1", "Pod", NS, POD_A)).toBeDefined();

    // --revert deletes the driver (found by its label) and nothing else.
    const revert = await runCli(["chaos", "oom", "--revert"], { path: world.tools.path, env: world.env });
    expect(revert.code).toBe(0);
    expect(revert.stdout).toBe(`undone  oom: deleted Pod ${NS}/${driver?.metadata?.name}\n`);
    expect(pods(world.api, labelled("oom"))).toEqual([]);
    expect(world.api.get("v1", "Pod", NS, POD_A)).toBeDefined();
    const again = await runCli(["chaos", "oom", "--revert"], { path: world.tools.path, env: world.env });
    expect(again.stdout).toBe("clean   oom: nothing to revert\n");
  });

  it("-o json reports the same as data", async () => {
    world.react(oomKill);
    const run = await runCli(["chaos", "oom", "-o", "json"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      scenario: "oom",
      context: "kind-sre-lab",
      expectedFinding: "OOMKilled",
      verified: true,
      pod: { namespace: NS, name: POD_A },
      diagnose: `sre-lab diagnose ${POD_A} -n ${NS}`,
      saw: [],
      reverted: null,
    });
    expect(report.evidence[1]).toBe(
      "last state: terminated reason=OOMKilled exitCode=137 finishedAt=2026-01-02T10:05:02Z",
    );
  });

  it("says Prometheus did not answer, and still proves the kill", async () => {
    world.react(oomKill);
    const url = await closedPortUrl();
    const run = await runCli(["chaos", "oom"], {
      path: world.tools.path,
      env: { ...world.env, SRE_LAB_PROMETHEUS_URL: url },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`  Prometheus at ${url} is not answering \\(ECONNREFUSED\\); memory not checked\\n`),
    );
    expect(run.stdout).toContain("reason=OOMKilled exitCode=137");
  });

  it("when the container never dies: says what it saw, removes the driver and the pod holding the memory, exits 1", async () => {
    let reacted = false;
    world.react((api) => {
      const outcome = workerOnlyKilled(api);
      reacted ||= outcome === "done";
      return outcome;
    });
    // The deadline passes in virtual time, once the driver has run and logged its failed call.
    const clock = createFakeClock();
    clock.holdUntil(() => reacted);
    const run = await runCli(["chaos", "oom", "--timeout", "1s"], {
      path: world.tools.path,
      env: world.env,
      clock,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    const driver = run.stderr.match(/sre-lab-chaos-oom-[a-z0-9]{5}/)?.[0];
    expect(run.stderr).toContain("error: oom: the break did not show within 1s; reverted");
    expect(run.stderr).toContain(`    pod ${POD_A} (Running): container app running, restartCount 0\n`);
    expect(run.stderr).toContain("then call 4 failed (RemoteDisconnected)");
    expect(run.stderr).toContain(
      "a leak call failed but the container did not restart: this node may kill single processes on OOM",
    );
    expect(run.stderr).toContain(`    deleted pod ${NS}/${driver} (the driver)\n`);
    expect(run.stderr).toContain(
      `    deleted pod ${NS}/${POD_A} so its ReplicaSet replaces it without the leaked memory\n`,
    );
    expect(run.stderr).toContain("hint: check the lab with sre-lab status; give it longer with --timeout");
    expect(pods(world.api, labelled("oom"))).toEqual([]);
    expect(world.api.get("v1", "Pod", NS, POD_A)).toBeUndefined();
  });

  it("Ctrl-C while waiting reverts what it injected, then exits 130", async () => {
    const cli = startCli(["chaos", "oom"], { path: world.tools.path, env: world.env });
    await world.api.waitFor("v1", "Pod", NS, POD_A, () => pods(world.api, labelled("oom")).length === 1);
    await new Promise((r) => setTimeout(r, 100));
    cli.interrupt();
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("interrupted: reverting oom …");
    expect(run.stderr).toMatch(/ {2}deleted pod sre-lab-app\/sre-lab-chaos-oom-[a-z0-9]{5} \(the driver\)\n/);
    expect(pods(world.api, labelled("oom"))).toEqual([]);
    expect(world.api.get("v1", "Pod", NS, POD_A)).toBeUndefined();
  });

  it("refuses a pod without a memory limit (the leak would fill the node), creating nothing", async () => {
    world.api.update("v1", "Pod", NS, POD_A, (p: KubeObject) => {
      const spec = (p as PodShape).spec as unknown as { containers: { resources?: unknown }[] };
      for (const c of spec.containers) c.resources = { requests: { memory: "128Mi" } };
    });
    world.api.update("apps/v1", "Deployment", NS, "target-app", (d: KubeObject) => {
      const spec = d.spec as { template: { spec: { containers: { resources?: unknown }[] } } };
      for (const c of spec.template.spec.containers) c.resources = {};
    });
    const run = await runCli(["chaos", "oom"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: pod ${POD_A} has no memory limit on container app`);
    expect(pods(world.api, labelled("oom"))).toEqual([]);
  });

  it("refuses to start while an earlier driver is still there", async () => {
    world.api.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "sre-lab-chaos-oom-old00", namespace: NS, labels: { "sre-lab.dev/chaos": "oom" } },
      spec: { containers: [{ name: "driver", image: TARGET_IMAGE }] },
    });
    const run = await runCli(["chaos", "oom"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "error: an earlier oom drill is still in the lab: pod sre-lab-chaos-oom-old00",
    );
    expect(run.stderr).toContain("hint: revert it first: sre-lab chaos oom --revert");
    expect(pods(world.api, labelled("oom"))).toHaveLength(1);
  });
});
