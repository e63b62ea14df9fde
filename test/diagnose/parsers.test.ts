/** The small parsers the analyzers are built on: scheduler and kubelet messages, logs, events. */
import { describe, expect, it } from "vitest";
import { formatMemoryQuantity as formatMemory, parseQuantity } from "../../src/core/units.js";
import { parseMissingConfig } from "../../src/diagnose/analyze/config.js";
import { podEvents } from "../../src/diagnose/analyze/events.js";
import { parseEvictionMessage } from "../../src/diagnose/analyze/eviction.js";
import { exitCodeMeaning } from "../../src/diagnose/analyze/exit-codes.js";
import { classifyPullError, registryOf, repository } from "../../src/diagnose/analyze/images.js";
import { classifyLog, lastLines, TAIL_WINDOW } from "../../src/diagnose/analyze/logs.js";
import { suggestMemory } from "../../src/diagnose/analyze/quantity.js";
import { parseSchedulingMessage } from "../../src/diagnose/analyze/scheduling.js";
import { parseMountFailure } from "../../src/diagnose/analyze/volumes.js";

describe("parseSchedulingMessage", () => {
  it("splits the issue's example into per-reason counts and drops the preemption tail", () => {
    const parsed = parseSchedulingMessage(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    );
    expect(parsed.available).toBe(0);
    expect(parsed.total).toBe(3);
    expect(parsed.reasons).toEqual([
      {
        count: 1,
        category: "taint",
        text: "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
        taint: "node-role.kubernetes.io/control-plane: ",
      },
      { count: 2, category: "insufficient", text: "Insufficient cpu", resource: "cpu" },
    ]);
    expect(parsed.preemption).toMatch(/^0\/3 nodes are available: 1 Preemption/);
  });

  it.each([
    ["0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector.", "node-affinity", 4],
    ["0/2 nodes are available: 2 Insufficient memory.", "insufficient", 2],
    ["0/3 nodes are available: 3 Insufficient nvidia.com/gpu.", "insufficient", 3],
    ["0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.", "pod-affinity", 3],
    ["0/3 nodes are available: 3 node(s) had volume node affinity conflict.", "volume", 3],
    ["0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind.", "volume", 1],
    ["0/2 nodes are available: 2 node(s) were unschedulable.", "node-unschedulable", 2],
    ["0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports.", "ports", 3],
    [
      "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints.",
      "topology-spread",
      3,
    ],
    ["0/5 nodes are available: 5 Too many pods.", "insufficient", 5],
    [
      "0/1 nodes are available: 1 node(s) had taint {node-role.kubernetes.io/master: }, that the pod didn't tolerate.",
      "taint",
      1,
    ],
  ])("%s", (message, category, count) => {
    const [reason] = parseSchedulingMessage(message).reasons;
    expect(reason?.category).toBe(category);
    expect(reason?.count).toBe(count);
  });

  it("handles a reason without a count (unbound PVC) and a message without the header", () => {
    expect(
      parseSchedulingMessage(
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
      ).reasons,
    ).toEqual([{ category: "volume", text: "pod has unbound immediate PersistentVolumeClaims" }]);
    expect(parseSchedulingMessage("no nodes available to schedule pods").reasons[0]?.category).toBe("other");
  });
});

describe("kubelet messages", () => {
  it("parses eviction messages", () => {
    expect(
      parseEvictionMessage(
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91236Ki. Container pdf-renderer was using 1262340Ki, request is 256Mi, has larger consumption of memory. ",
      ),
    ).toEqual({
      resource: "memory",
      usage: [{ container: "pdf-renderer", using: "1262340Ki", request: "256Mi" }],
    });
    expect(
      parseEvictionMessage("Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ")
        .limitExceeded,
    ).toBe("Pod ephemeral local storage usage exceeds the total limit of containers 1Gi");
    expect(
      parseEvictionMessage('Usage of EmptyDir volume "cache" exceeds the limit "2Gi". ').limitExceeded,
    ).toBe('Usage of EmptyDir volume "cache" exceeds the limit "2Gi"');
  });

  it("parses missing Secret/ConfigMap messages", () => {
    expect(parseMissingConfig('secret "db-creds" not found')).toEqual({ kind: "Secret", name: "db-creds" });
    expect(parseMissingConfig('Error: configmap "app" not found')).toEqual({
      kind: "ConfigMap",
      name: "app",
    });
    expect(parseMissingConfig("couldn't find key password in Secret payments/billing-db")).toEqual({
      kind: "Secret",
      name: "billing-db",
      key: "password",
    });
    expect(parseMissingConfig("container has runAsNonRoot and image will run as root")).toBeUndefined();
  });

  it("parses mount failures", () => {
    expect(
      parseMountFailure('MountVolume.SetUp failed for volume "config" : configmap "grafana-ini" not found'),
    ).toMatchObject({
      volume: "config",
      missing: { kind: "ConfigMap", name: "grafana-ini" },
    });
    expect(
      parseMountFailure('Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) x')
        .multiAttach,
    ).toBe(true);
    expect(
      parseMountFailure(
        "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[]: timed out",
      ).generic,
    ).toBe(true);
  });

  it("classifies image pull errors", () => {
    expect(classifyPullError('failed to resolve reference "ghcr.io/a/b:1": ghcr.io/a/b:1: not found')).toBe(
      "not-found",
    );
    // containerd's and Docker's wording means "missing or private": both are named, neither assumed.
    expect(
      classifyPullError("pull access denied, repository does not exist or may require authorization"),
    ).toBe("denied-or-missing");
    expect(
      classifyPullError(
        "pull access denied for acme/app, repository does not exist or may require 'docker login'",
      ),
    ).toBe("denied-or-missing");
    expect(classifyPullError("unexpected status from HEAD request: 401 Unauthorized")).toBe("unauthorized");
    expect(classifyPullError("dial tcp: lookup registry.local: no such host")).toBe("network");
    expect(classifyPullError("invalid reference format: repository name must be lowercase")).toBe("invalid");
    expect(classifyPullError("toomanyrequests: You have reached your pull rate limit")).toBe("rate-limit");
    expect(repository("ghcr.io/acme/app:v1@sha256:abc")).toBe("ghcr.io/acme/app");
    expect(repository("localhost:5001/app")).toBe("localhost:5001/app");
    expect(registryOf("nginx:1.27")).toBe("docker.io");
    expect(registryOf("localhost:5001/app:1")).toBe("localhost:5001");
  });

  it("explains exit codes", () => {
    expect(exitCodeMeaning(137)).toMatch(/SIGKILL/);
    expect(exitCodeMeaning(143)).toMatch(/SIGTERM/);
    expect(exitCodeMeaning(127)).toMatch(/not found/);
    expect(exitCodeMeaning(126)).toMatch(/not executable/);
    expect(exitCodeMeaning(134)).toMatch(/SIGABRT/);
  });

  it("reads and suggests memory quantities", () => {
    expect(parseQuantity("256Mi")).toBe(256 * 2 ** 20);
    expect(parseQuantity("1.5Gi")).toBe(1.5 * 2 ** 30);
    expect(parseQuantity("500M")).toBe(5e8);
    expect(parseQuantity("129e6")).toBe(129e6);
    expect(parseQuantity("250m")).toBe(0.25);
    expect(parseQuantity("lots")).toBeUndefined();
    expect(suggestMemory(256 * 2 ** 20)).toBe("512Mi");
    expect(suggestMemory(768 * 2 ** 20)).toBe("1536Mi");
    expect(formatMemory(2 ** 30)).toBe("1Gi");
  });
});

describe("classifyLog", () => {
  it("takes the exception that ends the last Python traceback, with its frame and what came before", () => {
    const log = [
      "INFO Running upgrade 3f2a -> 8d1c, add sku to items",
      "Traceback (most recent call last):",
      '  File "/app/db.py", line 9, in execute',
      'psycopg2.errors.DuplicateColumn: column "sku" already exists',
      "",
      "The above exception was the direct cause of the following exception:",
      "",
      "Traceback (most recent call last):",
      '  File "/app/migrate.py", line 21, in upgrade',
      '    op.add_column("items", sku)',
      "             ^^^^^^^^^^^^^^^^^",
      'sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateColumn) column "sku" already exists',
      "[SQL: ALTER TABLE items ADD COLUMN sku]",
    ].join("\n");
    const { decisive } = classifyLog(log);
    expect(decisive?.kind).toBe("python");
    expect(decisive?.line).toBe(
      'sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateColumn) column "sku" already exists',
    );
    expect(decisive?.context).toEqual([
      '  File "/app/migrate.py", line 21, in upgrade',
      '    op.add_column("items", sku)',
    ]);
    expect(decisive?.before).toEqual(["INFO Running upgrade 3f2a -> 8d1c, add sku to items"]);
    expect(decisive?.after).toEqual(["[SQL: ALTER TABLE items ADD COLUMN sku]"]);
  });

  it("recognises Go panics, Rust panics, Java root causes and Node errors", () => {
    expect(
      classifyLog("ok\npanic: assignment to entry in nil map\n\ngoroutine 1 [running]:\nmain.main()\n")
        .decisive,
    ).toMatchObject({
      kind: "go-panic",
      line: "panic: assignment to entry in nil map",
    });
    expect(classifyLog("fatal error: all goroutines are asleep - deadlock!\n").decisive?.kind).toBe(
      "go-panic",
    );
    expect(classifyLog("thread 'main' panicked at src/main.rs:4:5:\nboom\n").decisive?.kind).toBe(
      "rust-panic",
    );
    const java = classifyLog(
      'Exception in thread "main" java.lang.IllegalStateException: boot failed\n\tat a.B.c(B.java:1)\nCaused by: java.net.ConnectException: Connection refused\n\tat d.E.f(E.java:2)\n',
    ).decisive;
    expect(java?.line).toBe("Caused by: java.net.ConnectException: Connection refused");
    expect(java?.context[0]).toBe('Exception in thread "main" java.lang.IllegalStateException: boot failed');
    expect(
      classifyLog(
        "/app/s.js:3\n  throw e;\n  ^\n\nTypeError: Cannot read properties of undefined (reading 'port')\n    at Object.<anonymous> (/app/s.js:3:9)\n",
      ).decisive?.line,
    ).toBe("TypeError: Cannot read properties of undefined (reading 'port')");
  });

  it("reports exec failures apart from crashes", () => {
    for (const line of [
      "exec /usr/local/bin/app: exec format error",
      "/bin/sh: 1: exec: /opt/app/run: not found",
      "standard_init_linux.go:228: exec user process caused: exec format error",
      "sh: /entrypoint.sh: Permission denied",
    ]) {
      expect(classifyLog(`${line}\n`).startFailure?.line).toBe(line);
    }
  });

  it("folds weak error lines by shape, counts them, and ignores info lines that mention errors", () => {
    const log = [
      "2025-06-10 ERROR upstream timeout after 1500ms (attempt 1)",
      "2025-06-10 INFO retried after error, all good",
      "2025-06-10 ERROR upstream timeout after 2250ms (attempt 2)",
      '{"level":50,"msg":"request failed"}',
      '{"level":30,"msg":"error budget ok"}',
      'level=error msg="disk almost full"',
    ].join("\n");
    const { errors } = classifyLog(log);
    expect(errors.map((e) => [e.line, e.count])).toEqual([
      ["2025-06-10 ERROR upstream timeout after 2250ms (attempt 2)", 2],
      ['{"level":50,"msg":"request failed"}', 1],
      ['level=error msg="disk almost full"', 1],
    ]);
  });

  it("scans only the tail window of a huge log, and strips colours and control characters", () => {
    const head = "Traceback (most recent call last):\n  x\nOldError: long ago\n";
    const filler = "INFO ok\n".repeat(Math.ceil((TAIL_WINDOW + 1000) / 8));
    const result = classifyLog(`${head}${filler}\x1b[31mpanic: now\x1b[0m\n`);
    expect(result.decisive?.line).toBe("panic: now");
    expect(lastLines("a\n\nb\r\nc\n", 2)).toEqual(["b", "c"]);
  });
});

describe("podEvents", () => {
  const pod = { uid: "u1", name: "p", namespace: "ns" };
  const base = { involvedObject: { kind: "Pod", name: "p", namespace: "ns", uid: "u1" } };

  it("folds duplicates with their counts, puts Warnings first and newest first", () => {
    const events = podEvents(
      [
        {
          ...base,
          type: "Normal",
          reason: "Pulled",
          message: "pulled",
          count: 3,
          lastTimestamp: "2025-01-01T00:00:09Z",
        },
        {
          ...base,
          type: "Warning",
          reason: "BackOff",
          message: "back-off",
          count: 4,
          lastTimestamp: "2025-01-01T00:00:05Z",
        },
        {
          ...base,
          type: "Warning",
          reason: "BackOff",
          message: "back-off",
          series: { count: 6, lastObservedTime: "2025-01-01T00:00:08Z" },
        },
        {
          ...base,
          type: "Warning",
          reason: "Unhealthy",
          message: "probe",
          lastTimestamp: "2025-01-01T00:00:07Z",
        },
        {
          involvedObject: { kind: "Pod", name: "p", uid: "other" },
          type: "Warning",
          reason: "OOM",
          message: "old pod",
        },
        {
          involvedObject: { kind: "Node", name: "n" },
          type: "Warning",
          reason: "NodeNotReady",
          message: "node",
        },
      ],
      pod,
    );
    expect(events.map((e) => [e.type, e.reason, e.count])).toEqual([
      ["Warning", "BackOff", 10],
      ["Warning", "Unhealthy", 1],
      ["Normal", "Pulled", 3],
    ]);
    expect(events[0]?.lastSeen).toBe("2025-01-01T00:00:08Z");
  });

  it("matches by name when uids are missing and reads the container from fieldPath", () => {
    const events = podEvents(
      [
        {
          involvedObject: { kind: "Pod", name: "p", fieldPath: "spec.initContainers{migrate}" },
          reason: "Started",
          message: "x",
        },
      ],
      pod,
    );
    expect(events[0]?.container).toBe("migrate");
  });
});
