import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withTag } from "../../src/chaos/scenarios/drills.js";
import type { FakeApiServer, KubeObject } from "../harness/fake-apiserver/index.js";
import { runCli } from "../support/cli.js";
import { createFakeClock } from "../support/fake-clock.js";
import { type ChaosWorld, labelled, NS, pods, runDrillPods, startChaosWorld, TARGET_IMAGE } from "./world.js";

const POD = (scenario: string) => `sre-lab-drill-${scenario}-5d8f7b9c6-abcde`;

interface DrillDeployment extends KubeObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        containers: {
          name: string;
          image: string;
          env: { name: string; value?: string; valueFrom?: unknown }[];
          resources: { requests: Record<string, string>; limits: Record<string, string> };
          livenessProbe: Record<string, unknown>;
          readinessProbe: Record<string, unknown>;
          securityContext: Record<string, unknown>;
        }[];
        securityContext: Record<string, unknown>;
        automountServiceAccountToken: boolean;
        affinity?: unknown;
      };
    };
  };
}

function drill(api: FakeApiServer, scenario: string): DrillDeployment | undefined {
  return api.get("apps/v1", "Deployment", NS, `sre-lab-drill-${scenario}`) as DrillDeployment | undefined;
}

function waitingStatus(reason: string, message: string) {
  return () => ({
    phase: "Pending",
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Ready", status: "False", reason: "ContainersNotReady" },
    ],
    containerStatuses: [
      {
        name: "app",
        ready: false,
        restartCount: 0,
        image: TARGET_IMAGE,
        state: { waiting: { reason, message } },
      },
    ],
  });
}

describe("sre-lab chaos: the drill scenarios", () => {
  let world: ChaosWorld;
  beforeEach(async () => {
    world = await startChaosWorld();
  });
  afterEach(async () => {
    world.tools.assertNoUnexpectedCalls();
    await world.close();
  });

  /** Runs the scenario, checks the shared shape of the drill Deployment, returns the CLI run. */
  async function runDrill(scenario: string) {
    const run = await runCli(["chaos", scenario], { path: world.tools.path, env: world.env });
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    const deployment = drill(world.api, scenario);
    const labels = {
      "app.kubernetes.io/part-of": "sre-lab",
      "app.kubernetes.io/managed-by": "sre-lab-chaos",
      "sre-lab.dev/chaos": scenario,
      "app.kubernetes.io/name": "sre-lab-drill",
    };
    // Not Argo CD's (no tracking annotation), not the app's Service/HPA/PDB (name sre-lab-drill).
    expect(deployment?.metadata?.labels).toEqual(labels);
    expect(Object.keys(deployment?.metadata?.annotations ?? {})).toEqual(["sre-lab.dev/chaos-breaks"]);
    expect(deployment?.spec.selector).toEqual({ matchLabels: { "sre-lab.dev/chaos": scenario } });
    expect(deployment?.spec.template.metadata).toEqual({ labels });
    expect(deployment?.spec.replicas).toBe(1);
    const spec = deployment?.spec.template.spec;
    // The app's pod security settings are kept (the namespace enforces baseline).
    expect(spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(spec?.containers[0]?.securityContext).toMatchObject({ allowPrivilegeEscalation: false });
    expect(spec?.automountServiceAccountToken).toBe(false);
    expect(spec?.affinity).toBeUndefined();
    expect(run.stdout).toContain(`  sre-lab diagnose ${POD(scenario)} -n ${NS}\n`);
    return { run, container: spec?.containers[0] };
  }

  async function revertsCleanly(scenario: string) {
    const revert = await runCli(["chaos", scenario, "--revert"], { path: world.tools.path, env: world.env });
    expect(revert.code).toBe(0);
    expect(revert.stdout).toBe(`undone  ${scenario}: deleted Deployment ${NS}/sre-lab-drill-${scenario}\n`);
    expect(drill(world.api, scenario)).toBeUndefined();
    expect(pods(world.api, labelled(scenario))).toEqual([]);
    // The lab's own app was never touched.
    expect(
      pods(world.api, (p) => p.metadata?.labels?.["app.kubernetes.io/name"] === "target-app"),
    ).toHaveLength(2);
  }

  it("crashloop: a bad setting makes the app exit with an error; the restart and exit code are the evidence", async () => {
    world.react((api) =>
      runDrillPods(api, "crashloop", () => ({
        phase: "Running",
        conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }],
        containerStatuses: [
          {
            name: "app",
            ready: false,
            restartCount: 2,
            state: {
              waiting: {
                reason: "CrashLoopBackOff",
                message: "back-off 20s restarting failed container=app",
              },
            },
            lastState: { terminated: { reason: "Error", exitCode: 3, finishedAt: "2026-01-02T10:01:00Z" } },
          },
        ],
      })),
    );
    world.react((api) => {
      if (!api.get("v1", "Pod", NS, POD("crashloop"))) return undefined;
      api.appendLog(
        NS,
        POD("crashloop"),
        "app",
        "[INFO] Booting worker with pid: 7\nTraceback (most recent call last):\nRuntimeError: WORK_MAX_MS must be an integer, got '5s'\n[INFO] Worker exiting (pid: 7)\n[ERROR] Reason: Worker failed to boot.\n",
        { previous: true },
      );
      return "done";
    });
    const { run, container } = await runDrill("crashloop");
    expect(container?.env).toContainEqual({ name: "WORK_MAX_MS", value: "5s" });
    expect(container?.image).toBe(TARGET_IMAGE);
    expect(run.stdout).toContain(
      `  pod ${NS}/${POD("crashloop")} container app: waiting (CrashLoopBackOff: back-off 20s restarting failed container=app), restartCount 2, last termination reason=Error exitCode=3 finishedAt=2026-01-02T10:01:00Z\n`,
    );
    expect(run.stdout).toContain("  log of the previous container: [ERROR] Reason: Worker failed to boot.\n");
    expect(run.stdout).toContain("a good diagnosis finds AppError:");
    await revertsCleanly("crashloop");
  });

  it("bad-image: the tag does not exist; the kubelet's pull failure is the evidence", async () => {
    world.react((api) =>
      runDrillPods(
        api,
        "bad-image",
        waitingStatus(
          "ImagePullBackOff",
          'Back-off pulling image "localhost:5001/sre-lab/target-app:0.0.0-sre-lab-drill-missing"',
        ),
      ),
    );
    world.react((api) => {
      const pod = api.get("v1", "Pod", NS, POD("bad-image"));
      if (!pod) return undefined;
      api.put({
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${POD("bad-image")}.1`, namespace: NS },
        involvedObject: { kind: "Pod", name: POD("bad-image"), namespace: NS },
        reason: "Failed",
        type: "Warning",
        message:
          'Failed to pull image "localhost:5001/sre-lab/target-app:0.0.0-sre-lab-drill-missing": not found',
      });
      return "done";
    });
    const { run, container } = await runDrill("bad-image");
    expect(container?.image).toBe("localhost:5001/sre-lab/target-app:0.0.0-sre-lab-drill-missing");
    expect(run.stdout).toContain(
      `  pod ${NS}/${POD("bad-image")} container app: waiting reason=ImagePullBackOff: Back-off pulling image "localhost:5001/sre-lab/target-app:0.0.0-sre-lab-drill-missing"\n`,
    );
    await revertsCleanly("bad-image");
  });

  it("missing-config: the env refers to a ConfigMap nobody created; CreateContainerConfigError is the evidence", async () => {
    world.react((api) =>
      runDrillPods(
        api,
        "missing-config",
        waitingStatus("CreateContainerConfigError", 'configmap "sre-lab-drill-settings" not found'),
      ),
    );
    const { run, container } = await runDrill("missing-config");
    expect(container?.env).toContainEqual({
      name: "LOG_LEVEL",
      valueFrom: { configMapKeyRef: { name: "sre-lab-drill-settings", key: "log-level" } },
    });
    expect(run.stdout).toContain(
      `  pod ${NS}/${POD("missing-config")} container app: waiting reason=CreateContainerConfigError: configmap "sre-lab-drill-settings" not found\n`,
    );
    await revertsCleanly("missing-config");
  });

  it("missing-config refuses when the ConfigMap exists (the drill would not break)", async () => {
    world.api.put({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "sre-lab-drill-settings", namespace: NS },
    });
    const run = await runCli(["chaos", "missing-config"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "error: ConfigMap sre-lab-app/sre-lab-drill-settings exists, so the drill would not break",
    );
    expect(drill(world.api, "missing-config")).toBeUndefined();
  });

  it("probe-failure: the kubelet restarts a healthy app; the restart and its Unhealthy event are the evidence", async () => {
    world.react((api) =>
      runDrillPods(api, "probe-failure", () => ({
        phase: "Running",
        conditions: [{ type: "Ready", status: "True" }],
        containerStatuses: [
          {
            name: "app",
            ready: true,
            restartCount: 1,
            state: { running: { startedAt: "2026-01-02T10:01:10Z" } },
            lastState: {
              terminated: { reason: "Completed", exitCode: 0, finishedAt: "2026-01-02T10:01:09Z" },
            },
          },
        ],
      })),
    );
    // The kubelet's events arrive a little after the restart is visible.
    let ticks = 0;
    world.react((api) => {
      if (!api.get("v1", "Pod", NS, POD("probe-failure")) || ++ticks < 15) return undefined;
      const event = (name: string, reason: string, message: string) =>
        api.put({
          apiVersion: "v1",
          kind: "Event",
          metadata: { name, namespace: NS },
          involvedObject: {
            kind: "Pod",
            name: POD("probe-failure"),
            namespace: NS,
            fieldPath: "spec.containers{app}",
          },
          reason,
          type: reason === "Unhealthy" ? "Warning" : "Normal",
          count: 2,
          message,
        });
      event("e1", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 404");
      event("e2", "Killing", "Container app failed liveness probe, will be restarted");
      return "done";
    });
    const { run, container } = await runDrill("probe-failure");
    expect(container?.livenessProbe).toMatchObject({
      httpGet: { path: "/livez", port: "http" },
      periodSeconds: 3,
      failureThreshold: 2,
    });
    // Readiness is left as the app has it: only liveness is wrong.
    expect(container?.readinessProbe).toMatchObject({ httpGet: { path: "/readyz", port: "http" } });
    expect(run.stdout).toContain(
      "  event Warning Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 404 (x2)\n",
    );
    expect(run.stdout).toContain(
      "  event Normal Killing: Container app failed liveness probe, will be restarted (x2)\n",
    );
    await revertsCleanly("probe-failure");
  });

  it("probe-failure without a liveness event is not taken for one: deadline, what was seen, revert", async () => {
    world.react((api) =>
      runDrillPods(api, "probe-failure", () => ({
        phase: "Running",
        containerStatuses: [{ name: "app", restartCount: 1, state: { running: {} } }],
      })),
    );
    // The deadline passes in virtual time, once the drill's pod is there to be reported.
    const clock = createFakeClock();
    clock.holdUntil(() => pods(world.api, labelled("probe-failure")).length > 0);
    const run = await runCli(["chaos", "probe-failure", "--timeout", "1s"], {
      path: world.tools.path,
      env: world.env,
      clock,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: probe-failure: the break did not show within 1s; reverted");
    expect(run.stderr).toContain("    no events for the pod\n");
    expect(run.stderr).toContain(`    deleted Deployment ${NS}/sre-lab-drill-probe-failure\n`);
    expect(drill(world.api, "probe-failure")).toBeUndefined();
  });

  it("unschedulable: 64Gi fits no node; the scheduler's PodScheduled=False is the evidence", async () => {
    world.react((api) =>
      runDrillPods(api, "unschedulable", () => ({
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message:
              "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory.",
          },
        ],
      })),
    );
    const { run, container } = await runDrill("unschedulable");
    expect(container?.resources).toEqual({
      requests: { cpu: "100m", memory: "64Gi" },
      limits: { cpu: "500m", memory: "64Gi" },
    });
    expect(run.stdout).toContain(
      `  pod ${NS}/${POD("unschedulable")}: phase Pending, condition PodScheduled=False reason=Unschedulable: 0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory.\n`,
    );
    await revertsCleanly("unschedulable");
  });

  it("a break that never shows: deadline, a clear report of what was there, revert, exit 1", async () => {
    // The image pulls fine after all: the pod runs.
    world.react((api) =>
      runDrillPods(api, "bad-image", () => ({
        phase: "Running",
        containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: {} } }],
      })),
    );
    // The deadline passes in virtual time, once the drill's pod is there to be reported.
    const clock = createFakeClock();
    clock.holdUntil(() => pods(world.api, labelled("bad-image")).length > 0);
    const run = await runCli(["chaos", "bad-image", "--timeout", "1s"], {
      path: world.tools.path,
      env: world.env,
      clock,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "› inject bad-image",
      `✓ inject bad-image: created Deployment ${NS}/sre-lab-drill-bad-image: a copy of target-app's pod with image tag 0.0.0-sre-lab-drill-missing (never pushed)`,
      "› verify the break (up to 1s)",
      "✗ verify the break (up to 1s)",
      "› revert bad-image (the break did not show)",
      `✓ revert bad-image (the break did not show): deleted Deployment ${NS}/sre-lab-drill-bad-image`,
      "error: bad-image: the break did not show within 1s; reverted",
      "  what was seen:",
      `    pod ${POD("bad-image")} (Running): container app running, restartCount 0`,
      "  reverted:",
      `    deleted Deployment ${NS}/sre-lab-drill-bad-image`,
      "hint: check the lab with sre-lab status; give it longer with --timeout, or look at docs/chaos.md (bad-image)",
    ]);
    expect(drill(world.api, "bad-image")).toBeUndefined();
    expect(pods(world.api, labelled("bad-image"))).toEqual([]);
  });

  it("withTag swaps the tag and drops a digest", () => {
    expect(withTag("localhost:5001/sre-lab/target-app:0.1.0", "x")).toBe(
      "localhost:5001/sre-lab/target-app:x",
    );
    expect(withTag("localhost:5001/app@sha256:abc", "x")).toBe("localhost:5001/app:x");
    expect(withTag("registry:5000/app:1@sha256:abc", "x")).toBe("registry:5000/app:x");
  });
});
