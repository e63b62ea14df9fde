import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FakeApiServer, KubeObject } from "../harness/fake-apiserver/index.js";
import { runCli } from "../support/cli.js";
import { createFakeClock } from "../support/fake-clock.js";
import { type ChaosWorld, NS, startChaosWorld } from "./world.js";

interface DeploymentShape extends KubeObject {
  spec: { revisionHistoryLimit?: number };
}

function deployment(api: FakeApiServer): DeploymentShape {
  return api.get("apps/v1", "Deployment", NS, "target-app") as DeploymentShape;
}

/**
 * Argo CD's self-heal: when the live Deployment differs from Git (revisionHistoryLimit 3), it
 * applies Git again after `delayMs`, as a PATCH from its own field manager, and records the sync.
 */
function argoCdSelfHeal(world: ChaosWorld, delayMs: number): void {
  let seenAt: number | undefined;
  world.react((api) => {
    if (deployment(api).spec.revisionHistoryLimit === 3) return undefined;
    seenAt ??= Date.now();
    if (Date.now() - seenAt < delayMs) return undefined;
    void api.request(
      "PATCH",
      `/apis/apps/v1/namespaces/${NS}/deployments/target-app?fieldManager=argocd-controller`,
      {
        headers: { "Content-Type": "application/merge-patch+json" },
        body: JSON.stringify({ spec: { revisionHistoryLimit: 3 } }),
      },
    );
    api.update("argoproj.io/v1alpha1", "Application", "argocd", "target-app", (app: KubeObject) => {
      app.status = {
        sync: { status: "Synced" },
        health: { status: "Healthy" },
        operationState: { phase: "Succeeded", message: "successfully synced (all tasks run)" },
      };
    });
    return "done";
  });
}

describe("sre-lab chaos drift", () => {
  let world: ChaosWorld;
  beforeEach(async () => {
    world = await startChaosWorld();
  });
  afterEach(async () => {
    world.tools.assertNoUnexpectedCalls();
    await world.close();
  });

  it("edits the managed Deployment by hand, times Argo CD's self-heal, and --revert removes its record", async () => {
    argoCdSelfHeal(world, 300);
    const run = await runCli(["chaos", "drift"], { path: world.tools.path, env: world.env });
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toContain(
      `  changed spec.revisionHistoryLimit of Deployment ${NS}/target-app from 3 to 8 by hand (field manager sre-lab-chaos), as kubectl edit would`,
    );
    const healed = lines.find((l) => l.includes("self-healed"));
    expect(healed).toMatch(
      /^ {2}Argo CD self-healed spec\.revisionHistoryLimit from 8 back to 3 (\d+\.\d)s after the edit$/,
    );
    expect(Number(healed?.match(/(\d+\.\d)s/)?.[1])).toBeGreaterThanOrEqual(0.3);
    expect(lines).toContain(
      "  Application target-app: sync Synced, health Healthy, last operation Succeeded (successfully synced (all tasks run))",
    );
    expect(run.stdout).not.toContain("sre-lab diagnose");

    // The drill's record rides along in an annotation Argo CD's diff ignores (it is not in Git).
    const drifted = deployment(world.api);
    expect(drifted.spec.revisionHistoryLimit).toBe(3);
    expect(JSON.parse(drifted.metadata?.annotations?.["sre-lab.dev/chaos-drift"] ?? "{}")).toEqual({
      field: "spec.revisionHistoryLimit",
      original: 3,
      drifted: 8,
    });
    expect(drifted.metadata?.annotations?.["argocd.argoproj.io/tracking-id"]).toBeDefined();

    const revert = await runCli(["chaos", "drift", "--revert"], { path: world.tools.path, env: world.env });
    expect(revert.code).toBe(0);
    expect(revert.stdout).toBe(
      `undone  drift: removed the drill's annotation sre-lab.dev/chaos-drift from Deployment ${NS}/target-app\n`,
    );
    const after = deployment(world.api);
    expect(after.spec.revisionHistoryLimit).toBe(3);
    expect(Object.keys(after.metadata?.annotations ?? {})).toEqual(["argocd.argoproj.io/tracking-id"]);
    // Nothing of the drill's field manager is left on the GitOps-managed object.
    const managers = ((after.metadata?.managedFields ?? []) as { manager: string }[]).map((m) => m.manager);
    expect(managers).not.toContain("sre-lab-chaos");
  });

  it("when Argo CD does not heal in time: what was seen, and the Git value is put back by hand", async () => {
    const run = await runCli(["chaos", "drift", "--timeout", "1s"], {
      path: world.tools.path,
      env: world.env,
      clock: createFakeClock(),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: drift: the break did not show within 1s; reverted");
    expect(run.stderr).toMatch(/ {4}spec\.revisionHistoryLimit is still 8 after \d+(ms|s)\n/);
    expect(run.stderr).toContain("    Application target-app: sync Synced, health Healthy");
    expect(run.stderr).toContain(
      `    set spec.revisionHistoryLimit of Deployment ${NS}/target-app back to 3 (Argo CD had not) and removed the drill's annotation\n`,
    );
    const after = deployment(world.api);
    expect(after.spec.revisionHistoryLimit).toBe(3);
    expect(after.metadata?.annotations?.["sre-lab.dev/chaos-drift"]).toBeUndefined();
  });

  it("refuses when self-heal is off: nothing would undo the edit", async () => {
    world.api.update("argoproj.io/v1alpha1", "Application", "argocd", "target-app", (app: KubeObject) => {
      app.spec = { syncPolicy: { automated: { prune: true } } };
    });
    const run = await runCli(["chaos", "drift"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "error: self-heal is off for Application target-app, so nothing would undo the drift",
    );
    expect(deployment(world.api).spec.revisionHistoryLimit).toBe(3);
  });

  it("refuses when Argo CD is told to skip the Application", async () => {
    world.api.update("argoproj.io/v1alpha1", "Application", "argocd", "target-app", (app: KubeObject) => {
      app.metadata = { ...app.metadata, annotations: { "argocd.argoproj.io/skip-reconcile": "true" } };
    });
    const run = await runCli(["chaos", "drift"], { path: world.tools.path, env: world.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error: Argo CD is told to skip Application target-app (argocd.argoproj.io/skip-reconcile: "true")',
    );
    expect(deployment(world.api).metadata?.annotations?.["sre-lab.dev/chaos-drift"]).toBeUndefined();
  });
});
