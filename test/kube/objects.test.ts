import { describe, expect, it } from "vitest";
import {
  condition,
  containerStatus,
  describeContainer,
  isPodReady,
  lastTermination,
  nameOf,
  type Pod,
  timeText,
} from "../../src/kube/objects.js";

const pod = (status: NonNullable<Pod["status"]>): Pod => ({
  metadata: { name: "web-1", namespace: "app" },
  status,
});

describe("Kubernetes object readers", () => {
  it("a pod is Ready only when its Ready condition is True", () => {
    expect(isPodReady(pod({ conditions: [{ type: "Ready", status: "True" }] }))).toBe(true);
    expect(isPodReady(pod({ conditions: [{ type: "Ready", status: "False" }] }))).toBe(false);
    expect(isPodReady(pod({ conditions: [{ type: "ContainersReady", status: "True" }] }))).toBe(false);
    expect(isPodReady(pod({}))).toBe(false);
    expect(isPodReady({})).toBe(false);
  });

  it("finds a condition by type, and a container's status by name", () => {
    const p = pod({
      conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }],
      containerStatuses: [{ name: "app", restartCount: 2 }],
    });
    expect(condition(p, "PodScheduled")?.reason).toBe("Unschedulable");
    expect(condition(p, "Ready")).toBeUndefined();
    expect(containerStatus(p, "app")?.restartCount).toBe(2);
    expect(containerStatus(p, "sidecar")).toBeUndefined();
    expect(nameOf(p)).toBe("web-1");
    expect(nameOf(undefined)).toBe("?");
  });

  it("the last termination is the current one while the container is down, else the previous one", () => {
    const oom = { reason: "OOMKilled", exitCode: 137 };
    expect(lastTermination({ state: { terminated: oom } })).toEqual(oom);
    expect(lastTermination({ state: { running: {} }, lastState: { terminated: oom } })).toEqual(oom);
    expect(lastTermination(undefined)).toBeUndefined();
  });

  it("describes a container in one line, with the first line of a waiting message", () => {
    expect(
      describeContainer({
        restartCount: 3,
        state: { waiting: { reason: "CrashLoopBackOff", message: "\nback-off 40s restarting\ndetails" } },
        lastState: {
          terminated: { reason: "Error", exitCode: 1, finishedAt: new Date("2026-01-02T03:04:05Z") },
        },
      }),
    ).toBe(
      "waiting (CrashLoopBackOff: back-off 40s restarting), restartCount 3, last termination reason=Error exitCode=1 finishedAt=2026-01-02T03:04:05Z",
    );
    expect(timeText("2026-01-02T03:04:05Z")).toBe("2026-01-02T03:04:05Z");
  });
});
