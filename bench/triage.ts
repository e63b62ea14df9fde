/**
 * Benchmark of triage (`sre-lab diagnose` without a pod): `npx tsx bench/triage.ts [pods] [runs]`.
 *
 * Seeds the in-process fake API server (test/harness/fake-apiserver, loopback only) with a namespace
 * of `pods` pods (default 500) in Deployments, StatefulSets, Jobs and bare pods, about a third of
 * them failing in different ways, each failing pod with events; then runs the real CLI
 * (`diagnose -n bench -o json`) `runs` times (default 9) and prints the median wall time end to end
 * (kubeconfig, client-node, the two list calls, analysis, JSON), the median time of the analysis
 * alone (triagePods on the same objects), and the requests the API server received.
 * Performance is measured here, not asserted in tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { main } from "../src/cli/main.js";
import { triagePods } from "../src/diagnose/triage.js";
import { startFakeApiServer } from "../test/harness/fake-apiserver/index.js";
import { fakeHost } from "../test/support/cli.js";
import { deploymentPods, pod, podEvent, seed } from "../test/triage/world.js";

const podCount = Number(process.argv[2] ?? 500);
const runs = Number(process.argv[3] ?? 9);

type Obj = Record<string, unknown>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** About 10 pods per workload; a workload's shape cycles through healthy, OOM, image, readiness. */
function namespaceOf(total: number): Obj[] {
  const objects: Obj[] = [];
  const shapes = ["healthy", "oom", "healthy", "image", "healthy", "readiness"] as const;
  let made = 0;
  let i = 0;
  while (made < total) {
    const size = Math.min(10, total - made);
    if (i % 7 === 6) {
      // A bare pod that cannot start, every seventh workload.
      const bare = pod({
        namespace: "bench",
        name: `debug-${i}`,
        phase: "Pending",
        containers: [{ name: "shell", image: "busybox:1.37" }],
        statuses: [
          {
            name: "shell",
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: "CreateContainerConfigError", message: 'secret "db" not found' } },
          },
        ],
      });
      objects.push(bare, podEvent(bare, "Failed", 'Error: secret "db" not found'));
      made += 1;
    } else {
      const set = deploymentPods(
        "bench",
        `svc-${i}`,
        `${(0x5d8f9c7b6 + i).toString(16)}`,
        shapes[i % shapes.length] ?? "healthy",
        size,
      );
      objects.push(...set.pods, ...set.events);
      made += set.pods.length;
    }
    i++;
  }
  // Unrelated events (other kinds), as a real namespace has.
  for (let e = 0; e < total / 5; e++) {
    objects.push({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `svc-${e}.scaled${e}`, namespace: "bench" },
      involvedObject: { kind: "Deployment", namespace: "bench", name: `svc-${e}` },
      reason: "ScalingReplicaSet",
      message: `Scaled up replica set svc-${e} to 10`,
      type: "Normal",
      count: 1,
    });
  }
  return objects;
}

class Sink extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const api = await startFakeApiServer();
const home = mkdtempSync(join(tmpdir(), "sre-lab-bench-triage-"));
try {
  const objects = namespaceOf(podCount);
  seed(api, objects);
  const env = { HOME: home, KUBECONFIG: api.writeKubeconfig(home), NO_COLOR: "1", PATH: "/nonexistent" };
  const wall: number[] = [];
  let report: { pods: { total: number; unhealthy: number }; entries: unknown[] } | undefined;
  let requests = 0;
  for (let r = 0; r < runs; r++) {
    const before = api.requests.length;
    const stdout = new Sink();
    const stderr = new Sink();
    const start = performance.now();
    const code = await main(["diagnose", "-n", "bench", "-o", "json"], {
      stdout,
      stderr,
      env,
      host: fakeHost(),
    });
    wall.push(performance.now() - start);
    if (code !== 0) throw new Error(`diagnose exited ${code}: ${stderr.text}`);
    report = JSON.parse(stdout.text);
    requests = api.requests.slice(before).filter((q) => q.verb !== "").length;
  }
  const pods = objects.filter((o) => o.kind === "Pod");
  const events = objects.filter((o) => o.kind === "Event");
  const analysis: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    triagePods(pods, events, { now: Date.parse("2026-12-06T10:10:00Z") });
    analysis.push(performance.now() - start);
  }
  console.log(
    `triage of ${report?.pods.total} pods (${report?.pods.unhealthy} not healthy, ${report?.entries.length} workloads listed, ${events.length} events), median of ${runs} runs, Node ${process.versions.node}:`,
  );
  console.log(`  end to end (CLI, fake API server on loopback): ${median(wall).toFixed(0)} ms`);
  console.log(`  analysis alone (triagePods):                    ${median(analysis).toFixed(1)} ms`);
  console.log(`  API requests per run: ${requests} (one list of pods, one list of events)`);
} finally {
  await api.close();
  rmSync(home, { recursive: true, force: true });
}
