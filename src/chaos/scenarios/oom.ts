/**
 * oom: one Ready target-app pod is pushed past its own memory limit through the app's leak endpoint,
 * until the kernel kills the container (OOMKilled, exit code 137) and the kubelet restarts it.
 *
 * Why this way: memory stressors run as a separate process get OOM-killed themselves and leave the
 * app alone. Here the app's own worker holds the memory (GET /leak?mb=N keeps it), and since
 * Kubernetes 1.28 on cgroup v2 the container's cgroup has memory.oom.group set, so the kernel kills
 * every process of the container together: a real OOMKilled of the app container.
 *
 * The calls come from a small driver pod in sre-lab-app (the app's own image, python3 + urllib) that
 * talks to the chosen pod's IP, not the Service, so exactly one pod is hit. It climbs to ~40 MiB
 * under the limit, holds there for one Prometheus scrape (so the climb is on record), then pushes
 * over. It stops at the first failed call (the container died), so the restarted container is left
 * alone. Nothing Argo CD manages is changed: the driver is a new, labelled pod.
 */
import { SreLabError } from "../../core/errors.js";
import { formatBinaryBytes, parseMemoryBytes } from "../../core/units.js";
import {
  containerStatus,
  describeTermination,
  lastTermination,
  nameOf,
  type Pod,
} from "../../kube/objects.js";
import { labHostUrl } from "../../lab/provider/index.js";
import { podProblem } from "../../lab/status.js";
import {
  appContainer,
  chaosLabels,
  deleteLabelled,
  describePods,
  readyTargetPod,
  refuseLeftovers,
  TARGET,
  targetDeployment,
  waitForPods,
} from "../lab.js";
import { memoryPeakEvidence } from "../prometheus.js";
import {
  type ChaosRun,
  type Injection,
  NotVerifiedError,
  type Scenario,
  type Verification,
} from "../types.js";

/** The app's LEAK_MAX_MB. */
const LEAK_STEP_MB = 64;
/** Seconds the driver holds just under the limit: one 15 s Prometheus scrape and some. */
export const HOLD_SECONDS = 20;
const DRIVER_CONTAINER = "driver";
const TARGET_ANNOTATION = "sre-lab.dev/chaos-target";

/**
 * The driver: leaks in steps up to about 40 MiB under the limit (the gunicorn master and the
 * runtime live outside the worker's RSS), holds, then leaks 64 MiB at a time until a call fails.
 * One JSON line per call on stdout.
 */
export const DRIVER_SCRIPT = `
import json, sys, time, urllib.request
base, limit, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
MIB = 1048576
OUTSIDE_WORKER = 40 * MIB
def say(**fields):
    print(json.dumps(fields), flush=True)
rss, held = 0, False
for call in range(1, 41):
    room = (limit - OUTSIDE_WORKER - rss) // MIB
    if not held and rss and room <= 48:
        say(event="hold", seconds=hold, rss_bytes=rss)
        time.sleep(hold)
        held = True
    mb = ${LEAK_STEP_MB} if held else max(1, min(${LEAK_STEP_MB}, room - 32))
    try:
        with urllib.request.urlopen(f"{base}/leak?mb={mb}", timeout=15) as answer:
            body = json.load(answer)
    except Exception as error:
        say(event="stopped", call=call, error=type(error).__name__, detail=str(error)[:200])
        sys.exit(0)
    rss = int(body.get("rss_bytes") or 0)
    say(event="leaked", call=call, mb=mb, retained_mb=body.get("retained_mb"), rss_bytes=rss)
say(event="gave-up", detail="the app still answered after 40 calls")
sys.exit(1)
`.trim();

export const oomScenario: Scenario = {
  name: "oom",
  breaks: "one target-app pod: the app leaks memory past its own limit until the kernel kills the container",
  expectedFinding: "OOMKilled",
  goodDiagnosis:
    "The app container was OOMKilled (exit code 137) at its 256Mi memory limit; the app's memory grew (the /leak calls) until the kernel killed it. Raise the limit or fix the leak; the restart alone frees the memory.",
  verifyTimeoutMs: 60_000,
  usesDocker: false,
  plan: () => [
    `create a driver pod in ${TARGET.namespace} that calls GET /leak?mb=N on one Ready target-app pod up to ~40 MiB under its memory limit, holds ${HOLD_SECONDS}s, then pushes over`,
  ],

  async inject(run) {
    await refuseLeftovers(run, "oom");
    const deployment = await targetDeployment(run);
    const container = appContainer(deployment);
    const pod = await readyTargetPod(run);
    const podContainer = pod.spec?.containers.find((c) => c.name === TARGET.container);
    const limitText = podContainer?.resources?.limits?.memory ?? container.resources?.limits?.memory;
    const limitBytes = parseMemoryBytes(limitText);
    if (!limitBytes) {
      // Without a limit the leak would fill the node, not the container.
      throw new SreLabError(`pod ${nameOf(pod)} has no memory limit on container ${TARGET.container}`, {
        hint: "the lab's target-app sets limits.memory 256Mi; restore manifests/target-app and run sre-lab sync",
      });
    }
    const restartsBefore = containerStatus(pod, TARGET.container)?.restartCount ?? 0;
    const url = `http://${pod.status?.podIP}:${TARGET.port}`;
    const driver = await run.kube.create<Pod>(driverPod(container.image ?? "", pod, url, limitBytes));
    const driverName = nameOf(driver);
    run.progress(`driver pod ${driverName} leaks memory in pod ${nameOf(pod)}`);
    let verified = false;
    const injection: Injection = {
      actions: [
        `created pod ${TARGET.namespace}/${driverName}: it calls GET ${url}/leak?mb=N on pod ${nameOf(pod)} up to ~40 MiB under its ${limitText} limit, holds ${HOLD_SECONDS}s, then pushes over; it stops at the first failed call`,
      ],
      async verify(run, deadlineAt) {
        const result = await verifyOom(
          run,
          nameOf(pod),
          driverName,
          restartsBefore,
          limitText,
          limitBytes,
          deadlineAt,
        );
        verified = true;
        return result;
      },
      async revert(run) {
        const done: string[] = [];
        if (
          await run.kube.delete({
            apiVersion: "v1",
            kind: "Pod",
            name: driverName,
            namespace: TARGET.namespace,
          })
        ) {
          done.push(`deleted pod ${TARGET.namespace}/${driverName} (the driver)`);
        }
        if (!verified) {
          // The leaked memory is still held: a fresh pod from the ReplicaSet starts without it.
          const current = await run.kube.find<Pod>({
            apiVersion: "v1",
            kind: "Pod",
            name: nameOf(pod),
            namespace: TARGET.namespace,
          });
          const restarted =
            (containerStatus(current ?? {}, TARGET.container)?.restartCount ?? 0) > restartsBefore;
          if (current && !restarted) {
            await run.kube.delete({
              apiVersion: "v1",
              kind: "Pod",
              name: nameOf(pod),
              namespace: TARGET.namespace,
            });
            done.push(
              `deleted pod ${TARGET.namespace}/${nameOf(pod)} so its ReplicaSet replaces it without the leaked memory`,
            );
          }
        }
        return done;
      },
    };
    return injection;
  },

  revert: (run) => deleteLabelled(run, "oom"),
};

function driverPod(image: string, target: Pod, url: string, limitBytes: number): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: "sre-lab-chaos-oom-",
      namespace: TARGET.namespace,
      labels: chaosLabels("oom"),
      annotations: { [TARGET_ANNOTATION]: nameOf(target) },
    },
    spec: {
      restartPolicy: "Never",
      activeDeadlineSeconds: 180,
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // Meets the namespace's enforced baseline and the restricted profile it warns about.
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: DRIVER_CONTAINER,
          image,
          imagePullPolicy: "IfNotPresent",
          command: ["python3", "-c", DRIVER_SCRIPT, url, String(limitBytes), String(HOLD_SECONDS)],
          resources: {
            requests: { cpu: "10m", memory: "32Mi" },
            limits: { cpu: "200m", memory: "64Mi" },
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
        },
      ],
    },
  } as Pod;
}

async function verifyOom(
  run: ChaosRun,
  podName: string,
  driverName: string,
  restartsBefore: number,
  limitText: string | undefined,
  limitBytes: number,
  deadlineAt: number,
): Promise<Verification> {
  const what = `container ${TARGET.container} of pod ${podName} to be OOMKilled (exit code 137)`;
  const seenPod = await waitForPods(
    run,
    { name: podName },
    (pods) => {
      const pod = pods[0];
      const status = pod && containerStatus(pod, TARGET.container);
      const t = lastTermination(status);
      return status &&
        (status.restartCount ?? 0) > restartsBefore &&
        t?.reason === "OOMKilled" &&
        t.exitCode === 137
        ? pod
        : undefined;
    },
    what,
    deadlineAt,
    (pods) => describePods(pods, TARGET.container),
  ).catch(async (error: unknown) => {
    if (error instanceof NotVerifiedError) {
      const story = await driverStory(run, driverName);
      error.saw.push(...story.lines);
      if (story.stopped) {
        error.saw.push(
          "a leak call failed but the container did not restart: this node may kill single processes on OOM (cgroup v1, or the kubelet's singleProcessOOMKill), which gunicorn survives by starting a new worker",
        );
      }
    }
    throw error;
  });
  const status = containerStatus(seenPod, TARGET.container);
  const t = lastTermination(status);
  const ref = { namespace: TARGET.namespace, name: podName };
  const evidence = [
    `pod ${TARGET.namespace}/${podName} container ${TARGET.container}: restartCount ${restartsBefore} → ${status?.restartCount ?? "?"}`,
    `last state: terminated ${t ? describeTermination(t) : "?"}`,
    `memory limit: ${limitText ?? formatBinaryBytes(limitBytes)}`,
    await memoryPeakEvidence(
      { ctx: run.ctx, context: run.kube.context, labUrl: await labHostUrl(run.kube, "prometheus") },
      ref,
      TARGET.container,
      limitBytes,
    ),
    ...(await driverStory(run, driverName)).lines,
  ];
  return { evidence, pod: ref };
}

interface DriverLine {
  event?: string;
  call?: number;
  mb?: number;
  retained_mb?: number;
  rss_bytes?: number;
  error?: string;
  seconds?: number;
}

/** What the driver did, from its log: calls answered, the hold, how it stopped. Best effort. */
async function driverStory(
  run: ChaosRun,
  driverName: string,
): Promise<{ lines: string[]; stopped: boolean }> {
  const driver = await run.kube
    .find<Pod>({ apiVersion: "v1", kind: "Pod", name: driverName, namespace: TARGET.namespace })
    .catch(() => undefined);
  if (!driver) return { lines: [`driver pod ${driverName}: gone`], stopped: false };
  const started = driver.status?.containerStatuses?.some((c) => c.state?.running || c.state?.terminated);
  if (!started) {
    const problem = podProblem(driver);
    const why = problem
      ? `${problem.reason}${problem.message ? ` (${problem.message})` : ""}`
      : "not started";
    return { lines: [`driver pod ${driverName}: ${why}`], stopped: false };
  }
  let log: string;
  try {
    log = await run.kube.readLog(TARGET.namespace, driverName, {
      container: DRIVER_CONTAINER,
      tailLines: 60,
    });
  } catch {
    return {
      lines: [`driver pod ${driverName}: ${driver.status?.phase ?? "Pending"}, no log yet`],
      stopped: false,
    };
  }
  const lines: DriverLine[] = [];
  for (const text of log.split("\n")) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === "object") lines.push(parsed as DriverLine);
    } catch {
      // not one of the driver's lines
    }
  }
  const leaked = lines.filter((l) => l.event === "leaked");
  const lastLeak = leaked.at(-1);
  const stopped = lines.find((l) => l.event === "stopped");
  const gaveUp = lines.some((l) => l.event === "gave-up");
  const parts = [
    `${leaked.length} leak call${leaked.length === 1 ? "" : "s"} answered`,
    ...(lastLeak
      ? [
          `last: ${lastLeak.retained_mb ?? "?"} MiB retained, worker RSS ${formatBinaryBytes(lastLeak.rss_bytes ?? 0)}`,
        ]
      : []),
    ...(lines.some((l) => l.event === "hold") ? [`held ${HOLD_SECONDS}s under the limit`] : []),
    ...(stopped ? [`then call ${stopped.call ?? "?"} failed (${stopped.error ?? "error"})`] : []),
    ...(gaveUp ? ["the app still answered after 40 calls"] : []),
  ];
  return { lines: [`driver ${driverName}: ${parts.join("; ")}`], stopped: stopped !== undefined };
}
