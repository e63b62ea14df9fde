/**
 * A fake cluster with mixed failures across owners, for triage and TYPE/NAME targets; also used by
 * bench/triage.ts to build 500 pods. Every object is what the API server would return: pods with
 * ownerReferences and the pod-template-hash label, Events matched by the pod's uid.
 */
import type { FakeApiServer } from "../harness/fake-apiserver/index.js";

type Obj = Record<string, unknown>;

export interface PodSpec {
  namespace: string;
  name: string;
  owner?: { kind: "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job"; name: string; uid: string };
  hash?: string;
  labels?: Record<string, string>;
  phase: string;
  reason?: string;
  containers: Obj[];
  initContainers?: Obj[];
  statuses?: Obj[];
  initStatuses?: Obj[];
  conditions?: Obj[];
  created?: string;
  nodeName?: string;
}

let uidCounter = 0;
export function uid(prefix: string): string {
  uidCounter++;
  return `${prefix}-${uidCounter.toString(16).padStart(8, "0")}`;
}

export function pod(spec: PodSpec): Obj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      uid: uid("pod"),
      creationTimestamp: spec.created ?? "2026-12-06T10:00:00Z",
      labels: { ...(spec.hash ? { "pod-template-hash": spec.hash } : {}), ...spec.labels },
      ...(spec.owner
        ? {
            ownerReferences: [
              {
                apiVersion: spec.owner.kind === "Job" ? "batch/v1" : "apps/v1",
                kind: spec.owner.kind,
                name: spec.owner.name,
                uid: spec.owner.uid,
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
      containers: spec.containers,
      ...(spec.initContainers ? { initContainers: spec.initContainers } : {}),
    },
    status: {
      phase: spec.phase,
      ...(spec.reason ? { reason: spec.reason } : {}),
      ...(spec.conditions ? { conditions: spec.conditions } : {}),
      ...(spec.statuses ? { containerStatuses: spec.statuses } : {}),
      ...(spec.initStatuses ? { initContainerStatuses: spec.initStatuses } : {}),
    },
  };
}

export function podEvent(p: Obj, reason: string, message: string, type = "Warning", count = 1): Obj {
  const meta = p.metadata as { name: string; namespace: string; uid: string };
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${meta.name}.${reason.toLowerCase()}${uid("")}`, namespace: meta.namespace },
    involvedObject: { kind: "Pod", namespace: meta.namespace, name: meta.name, uid: meta.uid },
    reason,
    message,
    type,
    count,
    firstTimestamp: "2026-12-06T10:00:00Z",
    lastTimestamp: "2026-12-06T10:05:00Z",
  };
}

const ready = (value: boolean) => [{ type: "Ready", status: value ? "True" : "False" }];

/** Pods (and events) of one Deployment's ReplicaSet. */
export function deploymentPods(
  namespace: string,
  deployment: string,
  hash: string,
  shape: "oom" | "image" | "healthy" | "readiness",
  count: number,
  rsUid = uid("rs"),
): { pods: Obj[]; events: Obj[] } {
  const pods: Obj[] = [];
  const events: Obj[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${deployment}-${hash}-${String.fromCharCode(97 + (i % 26))}${i}x${i}`;
    const base = {
      namespace,
      name,
      owner: { kind: "ReplicaSet" as const, name: `${deployment}-${hash}`, uid: rsUid },
      hash,
      labels: { app: deployment },
      containers: [
        { name: "app", image: `ghcr.io/acme/${deployment}:1.0`, resources: { limits: { memory: "256Mi" } } },
      ],
      created: `2026-12-06T10:0${i % 10}:00Z`,
      nodeName: "sre-lab-worker",
    };
    if (shape === "oom") {
      const p = pod({
        ...base,
        phase: "Running",
        conditions: ready(false),
        statuses: [
          {
            name: "app",
            ready: false,
            restartCount: 3 + i,
            state: {
              waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" },
            },
            lastState: {
              terminated: { reason: "OOMKilled", exitCode: 137, finishedAt: "2026-12-06T10:09:00Z" },
            },
          },
        ],
      });
      pods.push(p);
      events.push(podEvent(p, "BackOff", "Back-off restarting failed container app", "Warning", 5));
    } else if (shape === "image") {
      const p = pod({
        ...base,
        phase: "Pending",
        conditions: ready(false),
        statuses: [
          {
            name: "app",
            ready: false,
            restartCount: 0,
            image: `ghcr.io/acme/${deployment}:1.0`,
            state: {
              waiting: {
                reason: "ImagePullBackOff",
                message: `Back-off pulling image "ghcr.io/acme/${deployment}:1.0"`,
              },
            },
          },
        ],
      });
      pods.push(p);
      events.push(
        podEvent(
          p,
          "Failed",
          `Failed to pull image "ghcr.io/acme/${deployment}:1.0": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/${deployment}:1.0": not found`,
        ),
      );
    } else if (shape === "readiness") {
      const p = pod({
        ...base,
        phase: "Running",
        conditions: ready(false),
        statuses: [
          {
            name: "app",
            ready: false,
            restartCount: 0,
            state: { running: { startedAt: "2026-12-06T10:00:00Z" } },
          },
        ],
      });
      pods.push(p);
      events.push(
        podEvent(
          p,
          "Unhealthy",
          "Readiness probe failed: HTTP probe failed with statuscode: 503",
          "Warning",
          20,
        ),
      );
    } else {
      pods.push(
        pod({
          ...base,
          phase: "Running",
          conditions: ready(true),
          statuses: [
            {
              name: "app",
              ready: true,
              restartCount: 0,
              state: { running: { startedAt: "2026-12-06T10:00:00Z" } },
            },
          ],
        }),
      );
    }
  }
  return { pods, events };
}

/**
 * Namespace `shop`: checkout-api (2 of 3 pods crash-looping, OOMKilled), web (2 pods ImagePullBackOff),
 * StatefulSet pg (pg-0 unschedulable), Job migrate (its pod failed), a bare pod debug
 * (CreateContainerConfigError), catalog (2 healthy pods), a completed Job pod.
 * Namespace `ops`: DaemonSet log-agent, one pod not Ready (readiness probe).
 */
export function mixedCluster(): { objects: Obj[]; counts: { shop: number; ops: number } } {
  const objects: Obj[] = [];
  const add = (set: { pods: Obj[]; events: Obj[] }) => objects.push(...set.pods, ...set.events);
  const checkout = deploymentPods("shop", "checkout-api", "7c9d6b5f48", "oom", 2, "rs-checkout");
  const checkoutHealthy = deploymentPods("shop", "checkout-api", "7c9d6b5f48", "healthy", 1, "rs-checkout");
  (checkoutHealthy.pods[0]?.metadata as { name: string }).name = "checkout-api-7c9d6b5f48-zzzzz";
  add(checkout);
  add(checkoutHealthy);
  add(deploymentPods("shop", "web", "5d8f9c7b6", "image", 2));
  add(deploymentPods("shop", "catalog", "6b7c8d9e0", "healthy", 2));

  const pg = pod({
    namespace: "shop",
    name: "pg-0",
    owner: { kind: "StatefulSet", name: "pg", uid: "sts-pg" },
    labels: { app: "pg" },
    phase: "Pending",
    containers: [{ name: "postgres", image: "postgres:17", resources: { requests: { cpu: "64" } } }],
    conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }],
  });
  objects.push(
    pg,
    podEvent(
      pg,
      "FailedScheduling",
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    ),
  );

  const migrate = pod({
    namespace: "shop",
    name: "migrate-8xk2p",
    owner: { kind: "Job", name: "migrate", uid: "job-migrate" },
    labels: { "batch.kubernetes.io/job-name": "migrate" },
    phase: "Failed",
    containers: [{ name: "migrate", image: "ghcr.io/acme/migrate:3" }],
    statuses: [
      {
        name: "migrate",
        ready: false,
        restartCount: 0,
        state: { terminated: { reason: "Error", exitCode: 1, finishedAt: "2026-12-06T10:02:00Z" } },
      },
    ],
    nodeName: "sre-lab-worker",
  });
  objects.push(migrate);

  const debug = pod({
    namespace: "shop",
    name: "debug",
    phase: "Pending",
    containers: [
      {
        name: "shell",
        image: "busybox:1.37",
        env: [{ name: "DB_URL", valueFrom: { secretKeyRef: { name: "db", key: "url" } } }],
      },
    ],
    statuses: [
      {
        name: "shell",
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: "CreateContainerConfigError", message: 'secret "db" not found' } },
      },
    ],
    nodeName: "sre-lab-worker",
  });
  objects.push(debug, podEvent(debug, "Failed", 'Error: secret "db" not found'));

  objects.push(
    pod({
      namespace: "shop",
      name: "report-29170560-abcde",
      owner: { kind: "Job", name: "report-29170560", uid: "job-report" },
      phase: "Succeeded",
      containers: [{ name: "report", image: "ghcr.io/acme/report:1" }],
      statuses: [
        {
          name: "report",
          ready: false,
          restartCount: 0,
          state: { terminated: { reason: "Completed", exitCode: 0 } },
        },
      ],
    }),
  );

  const agents = [0, 1].map((i) =>
    pod({
      namespace: "ops",
      name: `log-agent-${i ? "q7r8s" : "k2l3m"}`,
      owner: { kind: "DaemonSet", name: "log-agent", uid: "ds-log-agent" },
      labels: { app: "log-agent" },
      phase: "Running",
      containers: [
        {
          name: "agent",
          image: "fluent/fluent-bit:4.0",
          readinessProbe: { httpGet: { path: "/ready", port: 2020 } },
        },
      ],
      conditions: ready(i === 1),
      statuses: [
        {
          name: "agent",
          ready: i === 1,
          restartCount: 0,
          state: { running: { startedAt: "2026-12-06T10:00:00Z" } },
        },
      ],
      nodeName: i ? "sre-lab-worker2" : "sre-lab-worker",
    }),
  );
  objects.push(...agents);
  const first = agents[0] as Obj;
  objects.push(
    podEvent(
      first,
      "Unhealthy",
      "Readiness probe failed: HTTP probe failed with statuscode: 503",
      "Warning",
      30,
    ),
  );

  const countPods = (ns: string) =>
    objects.filter((o) => o.kind === "Pod" && (o.metadata as { namespace: string }).namespace === ns).length;
  return { objects, counts: { shop: countPods("shop"), ops: countPods("ops") } };
}

/** The owners the TYPE/NAME tests resolve: a Deployment, its ReplicaSet, a StatefulSet, a DaemonSet, a Job. */
export function ownerObjects(): Obj[] {
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "checkout-api", namespace: "shop", uid: "dep-checkout" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "checkout-api" } },
        template: {
          metadata: { labels: { app: "checkout-api" } },
          spec: { containers: [{ name: "app", image: "x" }] },
        },
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: "checkout-api-7c9d6b5f48",
        namespace: "shop",
        uid: "rs-checkout",
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "checkout-api",
            uid: "dep-checkout",
            controller: true,
          },
        ],
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "checkout-api", "pod-template-hash": "7c9d6b5f48" } },
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "catalog", namespace: "shop", uid: "dep-catalog" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "catalog" } },
        template: {
          metadata: { labels: { app: "catalog" } },
          spec: { containers: [{ name: "app", image: "x" }] },
        },
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "pg", namespace: "shop", uid: "sts-pg" },
      spec: {
        selector: { matchLabels: { app: "pg" } },
        serviceName: "pg",
        template: {
          metadata: { labels: { app: "pg" } },
          spec: { containers: [{ name: "postgres", image: "x" }] },
        },
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "log-agent", namespace: "ops", uid: "ds-log-agent" },
      spec: {
        selector: { matchLabels: { app: "log-agent" } },
        template: {
          metadata: { labels: { app: "log-agent" } },
          spec: { containers: [{ name: "agent", image: "x" }] },
        },
      },
    },
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "report", namespace: "shop", uid: "cj-report" },
      spec: {
        schedule: "0 * * * *",
        jobTemplate: {
          spec: {
            template: { spec: { restartPolicy: "Never", containers: [{ name: "report", image: "x" }] } },
          },
        },
      },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "report-29170560",
        namespace: "shop",
        uid: "job-report",
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "CronJob", name: "report", uid: "cj-report", controller: true },
        ],
      },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "report", image: "x" }] } } },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "migrate", namespace: "shop", uid: "job-migrate" },
      spec: {
        selector: { matchLabels: { "batch.kubernetes.io/job-name": "migrate" } },
        template: { spec: { restartPolicy: "Never", containers: [{ name: "migrate", image: "x" }] } },
      },
    },
  ];
}

export function seed(api: FakeApiServer, objects: Obj[]): void {
  for (const namespace of new Set(objects.map((o) => (o.metadata as { namespace?: string }).namespace))) {
    if (namespace && !api.list("v1", "Namespace").some((n) => n.metadata?.name === namespace))
      api.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  }
  for (const object of objects) api.put(object as never);
}
