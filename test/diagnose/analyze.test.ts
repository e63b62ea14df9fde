import { describe, expect, it } from "vitest";
import { analyze } from "../../src/diagnose/analyze/index.js";
import { redactBundle } from "../../src/diagnose/redact.js";
import { FINDING_CODES, SEVERITIES } from "../../src/diagnose/types.js";
import {
  bundleOf,
  diagnose,
  fixtureBundle,
  fixtureFiles,
  loadFixture,
  podEvent,
  podWith,
} from "./support.js";

describe("analyze: fixtures (expectations in each file's x-expect)", () => {
  for (const file of fixtureFiles()) {
    const { expect: want } = loadFixture(file);
    it(`${file}${want.code ? ` → ${want.code}` : ""}`, () => {
      const { findings } = diagnose(fixtureBundle(file));
      const root = findings[0];
      expect(root).toBeDefined();
      if (!root) return;
      for (const f of findings) {
        expect(FINDING_CODES).toContain(f.code);
        expect(SEVERITIES).toContain(f.severity);
        expect(f.summary.length).toBeGreaterThan(10);
        expect(f.evidence.length).toBeGreaterThan(0);
        expect(f.remediation.length).toBeGreaterThan(10);
      }
      if (want.code) expect(root.code).toBe(want.code);
      if (want.container) expect(root.container).toBe(want.container);
      const evidence = root.evidence.join("\n");
      for (const s of want.evidence ?? []) expect(evidence).toContain(s);
      for (const s of want.remediation ?? []) expect(root.remediation).toContain(s);
      for (const s of want.summary ?? []) expect(root.summary).toContain(s);
      const commands = root.commands ?? [];
      for (const s of want.commands ?? [])
        expect(
          commands.some((c) => c.includes(s)),
          `no command contains ${s}:\n${commands.join("\n")}`,
        ).toBe(true);
      for (const s of want.notCommands ?? []) expect(commands.join("\n")).not.toContain(s);
      for (const s of want.notFix ?? [])
        expect(`${root.remediation}\n${commands.join("\n")}`).not.toContain(s);
      for (const s of want.notSummary ?? []) expect(root.summary).not.toContain(s);
      if (want.prompt) {
        const { content } = diagnose(redactBundle(fixtureBundle(file)));
        for (const s of want.prompt) expect(content).toContain(s);
      }
      // Every command of every finding is complete and pasteable: no placeholder, no trailing punctuation.
      for (const f of findings) {
        expect(Array.isArray(f.commands)).toBe(true);
        for (const command of f.commands ?? []) {
          expect(command, command).not.toMatch(/[.,;:]$/);
          expect(command, command).not.toMatch(/<[a-z][\w-]*>/);
          expect(command.trim()).toBe(command);
        }
      }
      const codes = findings.map((f) => f.code);
      for (const c of want.alsoCodes ?? []) expect(codes).toContain(c);
      for (const c of want.notCodes ?? []) expect(codes).not.toContain(c);
      if (want.onlyCodes) expect(codes.every((c) => want.onlyCodes?.includes(c))).toBe(true);
    });
  }
});

describe("analyze: root cause before symptom", () => {
  const crashLoop = {
    state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
    restartCount: 5,
  };

  it("CrashLoopBackOff with last state OOMKilled → OOMKilled, and no CrashLoopBackOff finding", () => {
    const pod = podWith(
      { ...crashLoop, lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } } },
      { resources: { limits: { memory: "256Mi" } } },
    );
    const findings = analyze(bundleOf(pod));
    expect(findings.map((f) => f.code)).toEqual(["OOMKilled"]);
    expect(findings[0]?.remediation).toContain("--limits=memory=384Mi");
    expect(findings[0]?.remediation).toContain("deployment/app");
  });

  it("CrashLoopBackOff with a traceback → AppError quoting the exception line", () => {
    const pod = podWith({ ...crashLoop, lastState: { terminated: { reason: "Error", exitCode: 1 } } });
    const text =
      "starting\nTraceback (most recent call last):\n  File \"/app/main.py\", line 4, in <module>\n    main()\nKeyError: 'DATABASE_URL'\n";
    const findings = analyze(bundleOf(pod, { logs: [{ container: "app", previous: true, text }] }));
    expect(findings[0]?.code).toBe("AppError");
    expect(findings[0]?.evidence).toContain("log[app, previous]: KeyError: 'DATABASE_URL'");
    expect(findings.map((f) => f.code)).not.toContain("CrashLoopBackOff");
  });

  it("137 without OOMKilled after liveness failures → LivenessProbeFailed, not OOMKilled", () => {
    const pod = podWith({
      state: { running: {} },
      restartCount: 2,
      lastState: { terminated: { reason: "Error", exitCode: 137 } },
    });
    const events = [
      podEvent("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500", { count: 9 }),
      podEvent("Killing", "Container app failed liveness probe, will be restarted", {
        type: "Normal",
        count: 2,
      }),
    ];
    const findings = analyze(bundleOf(pod, { events }));
    expect(findings[0]?.code).toBe("LivenessProbeFailed");
    expect(findings.map((f) => f.code)).not.toContain("OOMKilled");
    expect(findings.map((f) => f.code)).not.toContain("CrashLoopBackOff");
  });

  it("CrashLoopBackOff code only when nothing more specific is known", () => {
    const findings = analyze(bundleOf(podWith({ ...crashLoop })));
    expect(findings[0]?.code).toBe("CrashLoopBackOff");
  });

  it("a pod NotReady because its node is NotReady → NodeNotReady before the readiness symptom", () => {
    const pod = podWith(
      { state: { running: {} }, ready: false },
      { readinessProbe: { httpGet: { path: "/", port: 80 } } },
    );
    const node = {
      metadata: { name: "kind-worker" },
      status: {
        conditions: [
          {
            type: "Ready",
            status: "Unknown",
            reason: "NodeStatusUnknown",
            message: "Kubelet stopped posting node status.",
          },
        ],
      },
    };
    const events = [podEvent("Unhealthy", "Readiness probe failed: context deadline exceeded", { count: 4 })];
    const findings = analyze(bundleOf(pod, { node, events }));
    expect(findings.map((f) => f.code)).toEqual(["NodeNotReady", "ReadinessProbeFailed"]);
  });

  it("an evicted pod is Evicted even though its container shows exit 137", () => {
    const pod = podWith(
      { state: { terminated: { reason: "Error", exitCode: 137 } } },
      {},
      {
        phase: "Failed",
        reason: "Evicted",
        message:
          "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container app was using 900Mi, request is 100Mi, has larger consumption of memory. ",
      },
    );
    const findings = analyze(bundleOf(pod));
    expect(findings.map((f) => f.code)).toEqual(["Evicted"]);
    expect(findings[0]?.remediation).toContain("--requests=memory=1152Mi --limits=memory=1152Mi");
  });

  it("init container failure blocks the main containers → InitContainerFailed", () => {
    const pod = podWith(
      { state: { waiting: { reason: "PodInitializing" } } },
      {},
      {
        phase: "Pending",
        initContainerStatuses: [
          {
            name: "migrate",
            restartCount: 3,
            state: { waiting: { reason: "CrashLoopBackOff" } },
            lastState: { terminated: { exitCode: 1, reason: "Error" } },
          },
        ],
      },
    );
    (pod.spec as { initContainers: unknown[] }).initContainers = [{ name: "migrate", image: "migrate:1" }];
    const findings = analyze(bundleOf(pod));
    expect(findings[0]?.code).toBe("InitContainerFailed");
    expect(findings[0]?.container).toBe("migrate");
  });

  it("a running container with one old SIGTERM restart is healthy", () => {
    const pod = podWith({
      state: { running: {} },
      ready: true,
      restartCount: 1,
      lastState: { terminated: { reason: "Error", exitCode: 143 } },
    });
    expect(analyze(bundleOf(pod)).map((f) => f.code)).toEqual(["Healthy"]);
  });

  it("exit 0 under restartPolicy Always → CrashLoopBackOff suggesting a Job, with no invented schedule", () => {
    const pod = podWith({ ...crashLoop, lastState: { terminated: { reason: "Completed", exitCode: 0 } } });
    const [root] = analyze(bundleOf(pod));
    expect(root?.code).toBe("CrashLoopBackOff");
    expect(root?.commands).toEqual(["kubectl -n demo create job app-run --image=ghcr.io/acme/app:1.0.0"]);
    expect(root?.remediation).not.toContain("--schedule");
  });

  it("exit 0 with restarts and a liveness probe → LivenessProbeFailed, also once the events have expired", () => {
    const pod = podWith(
      { ...crashLoop, lastState: { terminated: { reason: "Completed", exitCode: 0 } } },
      { livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, timeoutSeconds: 1 } },
    );
    const [root] = analyze(bundleOf(pod));
    expect(root?.code).toBe("LivenessProbeFailed");
    expect(root?.summary).toContain("exits 0");
    expect(root?.evidence.join("\n")).toContain("livenessProbe: httpGet :8080/healthz");
    expect(root?.remediation).not.toContain("Job");
  });

  it.each([
    [126, "StartFailed"],
    [127, "StartFailed"],
    [1, "AppError"],
    [139, "AppError"],
  ])("exit code %i in a crash loop → %s", (exitCode, code) => {
    const pod = podWith({ ...crashLoop, lastState: { terminated: { reason: "Error", exitCode } } });
    expect(analyze(bundleOf(pod))[0]?.code).toBe(code);
  });

  it.each(["ErrImagePull", "ImagePullBackOff", "InvalidImageName"])(
    "waiting reason %s → ImagePullFailed",
    (reason) => {
      expect(analyze(bundleOf(podWith({ state: { waiting: { reason } } })))[0]?.code).toBe("ImagePullFailed");
    },
  );

  it.each(["RunContainerError", "CreateContainerError"])("waiting reason %s → StartFailed", (reason) => {
    expect(
      analyze(
        bundleOf(
          podWith({
            state: { waiting: { reason, message: 'exec: "x": executable file not found in $PATH' } },
          }),
        ),
      )[0]?.code,
    ).toBe("StartFailed");
  });

  it("CreateContainerConfigError with a missing ConfigMap → ConfigMissing naming the env vars", () => {
    const pod = podWith(
      {
        state: {
          waiting: { reason: "CreateContainerConfigError", message: 'configmap "app-settings" not found' },
        },
      },
      { env: [{ name: "MODE", valueFrom: { configMapKeyRef: { name: "app-settings", key: "mode" } } }] },
    );
    const [root] = analyze(bundleOf(pod));
    expect(root?.code).toBe("ConfigMissing");
    expect(root?.evidence.join("\n")).toContain("env MODE ← configmap app-settings key mode");
    expect(root?.remediation).toContain(
      "kubectl -n demo create configmap app-settings --from-literal=mode=<value>",
    );
  });

  it("FailedMount while the container is still being created → VolumeMountFailed; once running it is history", () => {
    const mount = podEvent(
      "FailedMount",
      'MountVolume.SetUp failed for volume "certs" : secret "app-tls" not found',
      { count: 7 },
    );
    const creating = podWith(
      { state: { waiting: { reason: "ContainerCreating" } } },
      {},
      { phase: "Pending" },
    );
    expect(analyze(bundleOf(creating, { events: [mount] }))[0]?.code).toBe("VolumeMountFailed");
    const running = podWith({ state: { running: {} }, ready: true });
    expect(analyze(bundleOf(running, { events: [mount] })).map((f) => `${f.code}:${f.severity}`)).toEqual([
      "Healthy:info",
      "VolumeMountFailed:info",
    ]);
  });

  it("a sandbox that cannot be created keeps the containers from starting → StartFailed", () => {
    const pod = podWith({ state: { waiting: { reason: "ContainerCreating" } } }, {}, { phase: "Pending" });
    const sandbox = podEvent(
      "FailedCreatePodSandBox",
      'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "abc": plugin type="calico" failed (add): connection refused',
      { count: 12 },
    );
    const [root] = analyze(bundleOf(pod, { events: [sandbox] }));
    expect(root?.code).toBe("StartFailed");
    expect(root?.evidence.join("\n")).toContain("failed to setup network for sandbox");
  });

  it("ignores events of another pod with the same name (other uid)", () => {
    const pod = podWith({ state: { running: {} }, ready: true });
    const stale = podEvent("BackOff", "Back-off restarting failed container app", {
      involvedObject: { kind: "Pod", name: "app-7d9f8c6b5-abcde", uid: "old-uid" },
    });
    expect(analyze(bundleOf(pod, { events: [stale] })).map((f) => f.code)).toEqual(["Healthy"]);
  });

  it("never throws, whatever is missing", () => {
    for (const pod of [
      {},
      { status: null },
      { spec: { containers: "x" } },
      { status: { containerStatuses: [{}] } },
    ]) {
      const findings = analyze(bundleOf(pod));
      expect(findings[0]?.code).toBe("Healthy");
    }
  });
});
