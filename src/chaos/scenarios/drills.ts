/**
 * The drill scenarios: each creates its own Deployment in sre-lab-app, a copy of the target app's
 * pod (same image, security context, probes, resources) with one thing wrong, and watches the
 * drill's pod until Kubernetes shows that exact failure.
 *
 * GitOps: Argo CD never reverts these, because they are not Argo CD's. They carry no tracking
 * annotation or instance label, so the target-app Application neither shows them nor prunes them,
 * and they do not match the app's Service, HPA or PodDisruptionBudget (app.kubernetes.io/name is
 * sre-lab-drill). Revert deletes them by their label.
 */
import { SreLabError } from "../../core/errors.js";
import { firstLine } from "../../core/text.js";
import {
  type ContainerSpec,
  condition,
  containerStatus,
  type Deployment,
  describeContainer,
  type EnvVar,
  lastTermination,
  nameOf,
  type Pod,
  type PodSpec,
} from "../../kube/objects.js";
import type { ScenarioName } from "../catalogue.js";
import {
  appContainer,
  CHAOS_LABEL,
  chaosLabels,
  chaosSelector,
  deleteLabelled,
  describeEvent,
  describePods,
  notSeen,
  podEvents,
  refuseLeftovers,
  TARGET,
  targetDeployment,
  waitForPods,
} from "../lab.js";
import type { ChaosRun, Injection, Scenario, Verification } from "../types.js";

export const DRILL_APP_NAME = "sre-lab-drill";
/** The ConfigMap missing-config's drill refers to and nobody creates. */
export const MISSING_CONFIGMAP = "sre-lab-drill-settings";
/** The path probe-failure's liveness probe asks for (the app serves /healthz, not this). */
export const WRONG_LIVENESS_PATH = "/livez";
export const MISSING_TAG = "0.0.0-sre-lab-drill-missing";

export function drillName(scenario: ScenarioName): string {
  return `sre-lab-drill-${scenario}`;
}

interface DrillDefinition {
  name: ScenarioName;
  breaks: string;
  expectedFinding: Scenario["expectedFinding"];
  goodDiagnosis: string;
  verifyTimeoutMs: number;
  /** What the drill's copy gets wrong, for the action line. */
  change: string;
  /** What we wait for, for progress and the deadline message. */
  what: string;
  mutate(container: ContainerSpec): void;
  /** Evidence when this pod shows the break, else undefined. */
  check(pod: Pod): string[] | undefined;
  /** More evidence once the pod shows it (events, log); may wait until the deadline, may throw NotVerifiedError. */
  confirm?(run: ChaosRun, pod: Pod, deadlineAt: number): Promise<string[]>;
  preflight?(run: ChaosRun): Promise<void>;
}

function drillScenario(def: DrillDefinition): Scenario {
  return {
    name: def.name,
    breaks: def.breaks,
    expectedFinding: def.expectedFinding,
    goodDiagnosis: def.goodDiagnosis,
    verifyTimeoutMs: def.verifyTimeoutMs,
    usesDocker: false,
    plan: () => [
      `create Deployment ${TARGET.namespace}/${drillName(def.name)}: a copy of target-app's pod with ${def.change}`,
    ],
    async inject(run) {
      await refuseLeftovers(run, def.name);
      await def.preflight?.(run);
      const source = await targetDeployment(run);
      const deployment = drillDeployment(def, source);
      await run.kube.create(deployment);
      const injection: Injection = {
        actions: [
          `created Deployment ${TARGET.namespace}/${drillName(def.name)}: a copy of target-app's pod with ${def.change}`,
        ],
        verify: (run, deadlineAt) => verifyDrill(run, def, deadlineAt),
        revert: (run) => deleteLabelled(run, def.name),
      };
      return injection;
    },
    revert: (run) => deleteLabelled(run, def.name),
  };
}

export function drillDeployment(
  def: Pick<DrillDefinition, "name" | "mutate" | "change">,
  source: Deployment,
): Deployment {
  const sourceSpec: PodSpec = source.spec?.template?.spec ?? { containers: [] };
  const container = structuredClone(appContainer(source));
  def.mutate(container);
  const labels = { ...chaosLabels(def.name), "app.kubernetes.io/name": DRILL_APP_NAME };
  const podSpec: PodSpec = {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 5,
    containers: [container],
  };
  if (sourceSpec.securityContext !== undefined)
    podSpec.securityContext = structuredClone(sourceSpec.securityContext);
  if (sourceSpec.volumes !== undefined) podSpec.volumes = structuredClone(sourceSpec.volumes);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: drillName(def.name),
      namespace: TARGET.namespace,
      labels,
      annotations: { "sre-lab.dev/chaos-breaks": def.change },
    },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 1,
      selector: { matchLabels: { [CHAOS_LABEL]: def.name } },
      template: { metadata: { labels }, spec: podSpec },
    },
  };
}

async function verifyDrill(run: ChaosRun, def: DrillDefinition, deadlineAt: number): Promise<Verification> {
  const seen = await waitForPods(
    run,
    { labelSelector: chaosSelector(def.name) },
    (pods) => {
      for (const pod of pods) {
        const evidence = def.check(pod);
        if (evidence) return { pod, evidence };
      }
      return undefined;
    },
    def.what,
    deadlineAt,
    (pods) => describePods(pods, TARGET.container),
  );
  const more = def.confirm ? await def.confirm(run, seen.pod, deadlineAt) : [];
  return {
    evidence: [...seen.evidence, ...more],
    pod: { namespace: TARGET.namespace, name: nameOf(seen.pod) },
  };
}

function setEnv(container: ContainerSpec, name: string, value: EnvVar): void {
  container.env = [...(container.env ?? []).filter((e) => e.name !== name), value];
}

function podLine(pod: Pod): string {
  return `pod ${TARGET.namespace}/${nameOf(pod)} container ${TARGET.container}: ${describeContainer(containerStatus(pod, TARGET.container))}`;
}

/** The last error-looking line of the previous container's log, best effort. */
async function previousLogError(run: ChaosRun, pod: Pod): Promise<string[]> {
  try {
    const log = await run.kube.readLog(TARGET.namespace, nameOf(pod), {
      container: TARGET.container,
      previous: true,
      tailLines: 40,
    });
    const lines = log.split("\n").filter((l) => l.trim() !== "");
    const error =
      [...lines].reverse().find((l) => /error|exception|traceback|failed/i.test(l)) ?? lines.at(-1);
    return error ? [`log of the previous container: ${firstLine(error).slice(0, 200)}`] : [];
  } catch {
    return [];
  }
}

export const crashloopScenario = drillScenario({
  name: "crashloop",
  breaks: "a drill copy of the app with a bad setting (WORK_MAX_MS=5s): it exits at start and crash-loops",
  expectedFinding: "AppError",
  goodDiagnosis:
    "The app exits with an error at start-up (exit code 3, gunicorn's worker boot failure): the log shows WORK_MAX_MS must be an integer, got '5s'. Fix the environment variable in the Deployment.",
  verifyTimeoutMs: 90_000,
  change: "env WORK_MAX_MS=5s (not an integer: the app raises at import and gunicorn exits)",
  what: "the drill's app container to exit with an error and be restarted",
  mutate: (c) => setEnv(c, "WORK_MAX_MS", { name: "WORK_MAX_MS", value: "5s" }),
  check(pod) {
    const status = containerStatus(pod, TARGET.container);
    const t = lastTermination(status);
    if (!status || (status.restartCount ?? 0) < 1 || !t || t.exitCode === 0 || t.reason === "OOMKilled")
      return undefined;
    return [podLine(pod)];
  },
  confirm: (run, pod) => previousLogError(run, pod),
});

export const badImageScenario = drillScenario({
  name: "bad-image",
  breaks: "a drill copy of the app whose image tag does not exist: the kubelet cannot pull it",
  expectedFinding: "ImagePullFailed",
  goodDiagnosis:
    "The image cannot be pulled: the tag does not exist in the registry (manifest unknown / not found), so the container never starts (ErrImagePull, ImagePullBackOff). Point the Deployment at a tag that exists.",
  verifyTimeoutMs: 60_000,
  change: `image tag ${MISSING_TAG} (never pushed)`,
  what: "the drill's image pull to fail (ErrImagePull or ImagePullBackOff)",
  mutate(c) {
    c.image = withTag(c.image ?? "", MISSING_TAG);
  },
  check(pod) {
    const waiting = containerStatus(pod, TARGET.container)?.state?.waiting;
    if (waiting?.reason !== "ErrImagePull" && waiting?.reason !== "ImagePullBackOff") return undefined;
    return [
      `pod ${TARGET.namespace}/${nameOf(pod)} container ${TARGET.container}: waiting reason=${waiting.reason}${waiting.message ? `: ${firstLine(waiting.message)}` : ""}`,
    ];
  },
  confirm: async (run, pod) =>
    (await podEvents(run, pod).catch(() => []))
      .filter((e) => e.reason === "Failed" && /pull/i.test(e.message ?? ""))
      .slice(-1)
      .map(describeEvent),
});

export const missingConfigScenario = drillScenario({
  name: "missing-config",
  breaks: `a drill copy of the app that reads LOG_LEVEL from ConfigMap ${MISSING_CONFIGMAP}, which does not exist`,
  expectedFinding: "ConfigMissing",
  goodDiagnosis: `The container cannot be created (CreateContainerConfigError): ConfigMap ${MISSING_CONFIGMAP} does not exist in sre-lab-app. Create it with key log-level, or fix or drop the reference.`,
  verifyTimeoutMs: 60_000,
  change: `env LOG_LEVEL from ConfigMap ${MISSING_CONFIGMAP} key log-level (the ConfigMap does not exist)`,
  what: "the drill's container to fail with CreateContainerConfigError",
  mutate: (c) =>
    setEnv(c, "LOG_LEVEL", {
      name: "LOG_LEVEL",
      valueFrom: { configMapKeyRef: { name: MISSING_CONFIGMAP, key: "log-level" } },
    }),
  async preflight(run) {
    const existing = await run.kube.find({
      apiVersion: "v1",
      kind: "ConfigMap",
      name: MISSING_CONFIGMAP,
      namespace: TARGET.namespace,
    });
    if (existing) {
      throw new SreLabError(
        `ConfigMap ${TARGET.namespace}/${MISSING_CONFIGMAP} exists, so the drill would not break`,
        {
          hint: `delete it first (kubectl -n ${TARGET.namespace} delete configmap ${MISSING_CONFIGMAP})`,
        },
      );
    }
  },
  check(pod) {
    const waiting = containerStatus(pod, TARGET.container)?.state?.waiting;
    if (waiting?.reason !== "CreateContainerConfigError") return undefined;
    return [
      `pod ${TARGET.namespace}/${nameOf(pod)} container ${TARGET.container}: waiting reason=${waiting.reason}${waiting.message ? `: ${firstLine(waiting.message)}` : ""}`,
    ];
  },
});

export const probeFailureScenario = drillScenario({
  name: "probe-failure",
  breaks: `a drill copy of the app whose liveness probe asks for ${WRONG_LIVENESS_PATH} (404): the kubelet keeps restarting it`,
  expectedFinding: "LivenessProbeFailed",
  goodDiagnosis: `The liveness probe fails (HTTP 404 on ${WRONG_LIVENESS_PATH}; the app serves /healthz), so the kubelet kills and restarts a healthy container. Fix the probe's path.`,
  verifyTimeoutMs: 90_000,
  change: `livenessProbe GET ${WRONG_LIVENESS_PATH} every 3s, failureThreshold 2 (the app answers 404 there)`,
  what: "the drill's container to be restarted by its failing liveness probe",
  mutate(c) {
    c.livenessProbe = {
      ...(c.livenessProbe ?? {}),
      httpGet: { path: WRONG_LIVENESS_PATH, port: c.livenessProbe?.httpGet?.port ?? TARGET.port },
      periodSeconds: 3,
      timeoutSeconds: 2,
      failureThreshold: 2,
    };
  },
  check(pod) {
    const status = containerStatus(pod, TARGET.container);
    if (!status || (status.restartCount ?? 0) < 1) return undefined;
    return [podLine(pod)];
  },
  // The restart alone could be anything: the kubelet's Unhealthy event says it was the liveness probe.
  async confirm(run, pod, deadlineAt) {
    for (;;) {
      const events = await podEvents(run, pod);
      const failed = events.filter(
        (e) => e.reason === "Unhealthy" && /^Liveness probe failed/.test(e.message ?? ""),
      );
      const killed = events.filter(
        (e) => e.reason === "Killing" && /failed liveness probe/.test(e.message ?? ""),
      );
      if (failed.length > 0) return [...failed.slice(-1), ...killed.slice(-1)].map(describeEvent);
      if (run.now() >= deadlineAt) {
        throw notSeen("a liveness probe failure event for the drill's pod", [
          podLine(pod),
          events.length > 0 ? `events: ${events.map((e) => e.reason).join(", ")}` : "no events for the pod",
        ]);
      }
      await run.ctx.clock.sleep(Math.min(1_000, Math.max(1, deadlineAt - run.now())), run.signal);
    }
  },
});

export const unschedulableScenario = drillScenario({
  name: "unschedulable",
  breaks: "a drill copy of the app that requests 64Gi of memory: no node can fit it",
  expectedFinding: "Unschedulable",
  goodDiagnosis:
    "The pod stays Pending: the scheduler finds no node with 64Gi of allocatable memory (Insufficient memory on every node). Lower the request to what the app uses, or add capacity.",
  verifyTimeoutMs: 60_000,
  change: "resources requests.memory=64Gi, limits.memory=64Gi (more than any node has)",
  what: "the drill's pod to be reported Unschedulable",
  mutate(c) {
    c.resources = {
      requests: { ...(c.resources?.requests ?? {}), memory: "64Gi" },
      limits: { ...(c.resources?.limits ?? {}), memory: "64Gi" },
    };
  },
  check(pod) {
    const scheduled = condition(pod, "PodScheduled");
    if (scheduled?.status !== "False" || scheduled.reason !== "Unschedulable") return undefined;
    return [
      `pod ${TARGET.namespace}/${nameOf(pod)}: phase ${pod.status?.phase ?? "Pending"}, condition PodScheduled=False reason=Unschedulable${scheduled.message ? `: ${firstLine(scheduled.message)}` : ""}`,
    ];
  },
});

/** `registry/repo:tag@sha256:…` with another tag (and no digest, which would pin the old image). */
export function withTag(image: string, tag: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const repository = colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
  return `${repository}:${tag}`;
}
