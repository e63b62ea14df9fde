import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type FakeLab, startFakeLab } from "../support/fake-lab.js";
import { modelValues, rootApplication } from "../support/root-application.js";

const OLD = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

function seedRoot(lab: FakeLab, source: Record<string, unknown>) {
  lab.api.put(rootApplication({ ...source, ...modelValues("phi3:mini") }));
}

describe("sre-lab sync", () => {
  let lab: FakeLab;
  afterEach(async () => {
    lab.tools.assertNoUnexpectedCalls();
    await lab.close();
  });

  it("publishes edited manifests, moves Argo CD to the new digest and waits for it; a second sync changes nothing", async () => {
    lab = await startFakeLab();
    seedRoot(lab, {
      repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
      targetRevision: OLD,
      path: "bootstrap",
    });
    const first = await runCli(["sync", "--timeout", "20s"], { path: lab.tools.path, env: lab.env });
    expect(first.stderr).not.toContain("error:");
    expect(first.code).toBe(0);
    const digest = lab.registry.manifest("sre-lab/manifests", "lab")?.digest;
    expect(digest).toMatch(/^sha256:/);
    const root = lab.api.get<{ spec: { source: { targetRevision: string } } }>(
      "argoproj.io/v1alpha1",
      "Application",
      "argocd",
      "sre-lab",
    );
    expect(root?.spec.source.targetRevision).toBe(digest);
    expect(first.stderr).toMatch(/✓ Applications synced and healthy: 5 Applications on sha256:/);
    expect(first.stdout).toBe("The lab runs the edited manifests.\n");

    const writes = lab.registry.mutatingRequests().length;
    const second = await runCli(["sync", "--timeout", "20s"], { path: lab.tools.path, env: lab.env });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe("Nothing changed: the lab already runs these manifests.\n");
    expect(lab.registry.mutatingRequests().length).toBe(writes);
    expect(lab.tools.calls()).toEqual([]);
  });

  it("--context kind-sre-lab is the lab: its nodes say kind, so sync publishes to the local registry", async () => {
    lab = await startFakeLab();
    seedRoot(lab, {
      repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
      targetRevision: OLD,
      path: "bootstrap",
    });
    const run = await runCli(["--context", "kind-sre-lab", "sync", "--timeout", "20s"], {
      path: lab.tools.path,
      env: lab.env,
    });
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("The lab runs the edited manifests.\n");
    const digest = lab.registry.manifest("sre-lab/manifests", "lab")?.digest;
    expect(digest).toMatch(/^sha256:/);
    expect(
      lab.api.get<{ spec: { source: { targetRevision: string } } }>(
        "argoproj.io/v1alpha1",
        "Application",
        "argocd",
        "sre-lab",
      )?.spec.source.targetRevision,
    ).toBe(digest);
    expect(lab.tools.calls()).toEqual([]);
  });

  it("--context another: the write guard first; past it, an existing cluster still cannot read the lab's registry", async () => {
    lab = await startFakeLab();
    seedRoot(lab, {
      repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
      targetRevision: OLD,
      path: "bootstrap",
    });
    const env = {
      ...lab.env,
      KUBECONFIG: lab.api.writeKubeconfig(join(lab.home, "staging"), { context: "staging" }),
    };
    const refused = await runCli(["--context", "staging", "sync"], { path: lab.tools.path, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('sre-lab sync would write to context "staging"');
    const run = await runCli(["--context", "staging", "sync", "--yes"], { path: lab.tools.path, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: an existing cluster cannot read the lab's local registry");
    expect(run.stderr).toContain("hint: point Argo CD at a Git remote");
    expect(lab.registry.mutatingRequests()).toEqual([]);
    expect(lab.api.writeRequests()).toEqual([]);
  });

  it("with a Git source, says to push instead of publishing anything", async () => {
    lab = await startFakeLab();
    seedRoot(lab, {
      repoURL: "https://github.com/acme/lab.git",
      targetRevision: "main",
      path: "manifests/bootstrap",
    });
    const run = await runCli(["sync"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "Argo CD reads https://github.com/acme/lab.git: push your manifest changes there; it syncs them on its own.\n",
    );
    expect(lab.registry.requests).toEqual([]);
  });

  it("says the registry is down, with a next step", async () => {
    lab = await startFakeLab();
    seedRoot(lab, {
      repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
      targetRevision: OLD,
      path: "bootstrap",
    });
    await lab.registry.close();
    const run = await runCli(["sync"], { path: lab.tools.path, env: lab.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: .*registry.*not answering/i);
    expect(run.stderr).toContain("hint:");
  });

  it("on a terminal, draws the task list with listr2 on stderr and keeps stdout for the result", async () => {
    lab = await startFakeLab();
    seedRoot(lab, {
      repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
      targetRevision: OLD,
      path: "bootstrap",
    });
    const run = await runCli(["sync", "--timeout", "20s"], { path: lab.tools.path, env: lab.env, tty: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/✔ GitOps source: published manifests as .*sre-lab\/manifests:lab@sha256:/);
    expect(run.stderr).toMatch(/✔ Applications synced and healthy: 5 Applications on sha256:/);
    expect(run.stdout).toBe("The lab runs the edited manifests.\n");
  });
});
