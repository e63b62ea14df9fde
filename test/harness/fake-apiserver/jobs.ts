/**
 * A Job controller shaped like kube-controller-manager's, with the test as the kubelet.
 *
 * When a batch/v1 Job appears it creates Pods as the real controller does: name `<job>-<5 chars>`
 * (generateName), the template's labels plus `batch.kubernetes.io/controller-uid`,
 * `batch.kubernetes.io/job-name`, `controller-uid` and `job-name`, a controller ownerReference to the
 * Job, the template's spec, phase Pending; then it hands each Pod to the registered handler. Pod phase
 * changes drive the Job's status: active/ready/succeeded/failed counts, startTime, completionTime, and
 * the terminal conditions of v1.31+ (SuccessCriteriaMet + Complete with CompletionsReached;
 * FailureTarget + Failed with BackoffLimitExceeded or DeadlineExceeded). A failed Pod is replaced
 * while failures stay within backoffLimit. Without a handler Pods stay Pending.
 *
 * Simplified: no exponential back-off between retries, no Indexed completion mode, no suspend, no
 * podFailurePolicy or successPolicy; Pods are created without the job-tracking finalizer.
 */
import { randomUUID } from "node:crypto";
import { applyCreateDefaults } from "./defaults.js";
import type { JsonObject, KubeObject } from "./objects.js";
import { clone, isObject, metaOf, pathValue, randomSuffix, timestamp } from "./objects.js";
import type { ResourceDef, ResourceTable } from "./resources.js";
import type { ObjectStore, StoreEvent } from "./store.js";

export interface JobContext<Api> {
  job: KubeObject;
  pod: KubeObject;
  api: Api;
  /** 1 for the first Pod of the Job, 2 for the first replacement, and so on. */
  attempt: number;
}

export type JobHandler<Api> = (context: JobContext<Api>) => void | Promise<void>;

interface JobState {
  namespace: string;
  name: string;
  uid: string;
  counted: Map<string, "Succeeded" | "Failed">;
  attempts: number;
  finished: boolean;
  deadline: NodeJS.Timeout | undefined;
}

function num(value: unknown, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

function controllerUid(pod: KubeObject): string | undefined {
  return pod.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === "Job")?.uid;
}

function podReady(pod: KubeObject): boolean {
  const conditions = pathValue(pod, ["status", "conditions"]);
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isObject(c) && c.type === "Ready" && c.status === "True")
  );
}

export class JobController<Api> {
  private readonly jobs = new Map<string, JobState>();
  private handler: JobHandler<Api> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly jobDef: ResourceDef;
  private readonly podDef: ResourceDef;
  readonly errors: unknown[] = [];

  constructor(
    private readonly store: ObjectStore,
    resources: ResourceTable,
    private readonly api: Api,
  ) {
    const jobDef = resources.byKind("batch/v1", "Job");
    const podDef = resources.byKind("v1", "Pod");
    if (jobDef === undefined || podDef === undefined)
      throw new Error("the Job controller needs jobs and pods");
    this.jobDef = jobDef;
    this.podDef = podDef;
  }

  onJobCreated(handler: JobHandler<Api>): void {
    this.handler = handler;
  }

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => {
      // React after the event has reached every watcher, as a controller reading an informer would.
      setImmediate(() => this.handle(event));
    });
  }

  stop(): void {
    this.unsubscribe?.();
    for (const state of this.jobs.values()) clearTimeout(state.deadline);
    this.jobs.clear();
  }

  private handle(event: StoreEvent): void {
    try {
      if (event.def === this.jobDef) this.handleJob(event);
      else if (event.def === this.podDef) this.handlePod(event);
    } catch (error) {
      this.errors.push(error);
    }
  }

  private handleJob(event: StoreEvent): void {
    const meta = event.object.metadata ?? {};
    const key = meta.uid ?? "";
    if (event.type === "DELETED") {
      clearTimeout(this.jobs.get(key)?.deadline);
      this.jobs.delete(key);
      return;
    }
    if (event.type !== "ADDED" || this.jobs.has(key)) return;
    const conditions = pathValue(event.object, ["status", "conditions"]);
    const state: JobState = {
      namespace: meta.namespace ?? "",
      name: meta.name ?? "",
      uid: key,
      counted: new Map(),
      attempts: 0,
      finished: Array.isArray(conditions) && conditions.length > 0,
      deadline: undefined,
    };
    this.jobs.set(key, state);
    if (state.finished) return;
    this.updateStatus(state, (status) => {
      if (status.startTime === undefined) status.startTime = timestamp();
    });
    const deadline = pathValue(event.object, ["spec", "activeDeadlineSeconds"]);
    if (typeof deadline === "number") {
      state.deadline = setTimeout(
        () => this.fail(state, "DeadlineExceeded", "Job was active longer than specified deadline"),
        deadline * 1000,
      );
      state.deadline.unref();
    }
    this.sync(state);
  }

  private handlePod(event: StoreEvent): void {
    const uid = controllerUid(event.object);
    const state = uid === undefined ? undefined : this.jobs.get(uid);
    if (state === undefined) return;
    const podUid = event.object.metadata?.uid ?? "";
    const phase = pathValue(event.object, ["status", "phase"]);
    if (!state.counted.has(podUid)) {
      if (phase === "Succeeded" || phase === "Failed") state.counted.set(podUid, phase);
      else if (event.type === "DELETED" && !state.finished) state.counted.set(podUid, "Failed");
    }
    this.sync(state);
  }

  private job(state: JobState): KubeObject | undefined {
    return this.store.get(this.jobDef, state.namespace, state.name);
  }

  private pods(state: JobState): KubeObject[] {
    return this.store.list(this.podDef, state.namespace).filter((p) => controllerUid(p) === state.uid);
  }

  private activePods(state: JobState): KubeObject[] {
    return this.pods(state).filter((p) => !state.counted.has(p.metadata?.uid ?? ""));
  }

  private updateStatus(state: JobState, mutate: (status: JsonObject) => void): void {
    const job = this.job(state);
    if (job === undefined) return;
    if (!isObject(job.status)) job.status = {};
    mutate(job.status as JsonObject);
    this.store.replace(this.jobDef, job);
  }

  private counts(state: JobState): { succeeded: number; failed: number } {
    let succeeded = 0;
    let failed = 0;
    for (const result of state.counted.values()) {
      if (result === "Succeeded") succeeded++;
      else failed++;
    }
    return { succeeded, failed };
  }

  private writeCounts(state: JobState, status: JsonObject): void {
    const { succeeded, failed } = this.counts(state);
    const active = this.activePods(state);
    const set = (key: string, value: number) => {
      if (value > 0) status[key] = value;
      else delete status[key];
    };
    set("active", active.length);
    set("succeeded", succeeded);
    set("failed", failed);
    status.ready = active.filter(podReady).length;
    status.terminating = 0;
    status.uncountedTerminatedPods = {};
  }

  private sync(state: JobState): void {
    const job = this.job(state);
    if (job === undefined) return;
    if (state.finished) {
      this.updateStatus(state, (status) => this.writeCounts(state, status));
      return;
    }
    const completions = num(pathValue(job, ["spec", "completions"]), 1);
    const parallelism = num(pathValue(job, ["spec", "parallelism"]), 1);
    const backoffLimit = num(pathValue(job, ["spec", "backoffLimit"]), 6);
    const { succeeded, failed } = this.counts(state);
    if (succeeded >= completions) {
      this.finish(
        state,
        "Complete",
        "SuccessCriteriaMet",
        "CompletionsReached",
        "Reached expected number of succeeded pods",
      );
      return;
    }
    if (failed > backoffLimit) {
      this.fail(state, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
      return;
    }
    const wanted = Math.min(parallelism, completions - succeeded) - this.activePods(state).length;
    for (let i = 0; i < wanted; i++) this.createPod(state, job);
    this.updateStatus(state, (status) => this.writeCounts(state, status));
  }

  private fail(state: JobState, reason: string, message: string): void {
    if (state.finished) return;
    for (const pod of this.activePods(state)) {
      state.counted.set(pod.metadata?.uid ?? "", "Failed");
      this.store.delete(this.podDef, state.namespace, pod.metadata?.name ?? "");
    }
    this.finish(state, "Failed", "FailureTarget", reason, message);
  }

  private finish(
    state: JobState,
    type: "Complete" | "Failed",
    interim: string,
    reason: string,
    message: string,
  ): void {
    state.finished = true;
    clearTimeout(state.deadline);
    const now = timestamp();
    this.updateStatus(state, (status) => {
      const condition = (conditionType: string) => ({
        type: conditionType,
        status: "True",
        lastProbeTime: now,
        lastTransitionTime: now,
        reason,
        message,
      });
      status.conditions = [condition(interim), condition(type)];
      if (type === "Complete") status.completionTime = now;
      this.writeCounts(state, status);
    });
  }

  private createPod(state: JobState, job: KubeObject): void {
    const template = pathValue(job, ["spec", "template"]);
    const templateMeta = isObject(template) && isObject(template.metadata) ? template.metadata : {};
    const jobName = state.name;
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${jobName}-${randomSuffix()}`,
        generateName: `${jobName}-`,
        namespace: state.namespace,
        uid: randomUUID(),
        labels: {
          ...(isObject(templateMeta.labels) ? (templateMeta.labels as Record<string, string>) : {}),
          "batch.kubernetes.io/controller-uid": state.uid,
          "batch.kubernetes.io/job-name": jobName,
          "controller-uid": state.uid,
          "job-name": jobName,
        },
        ownerReferences: [
          {
            apiVersion: "batch/v1",
            kind: "Job",
            name: jobName,
            uid: state.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: clone(isObject(template) && isObject(template.spec) ? template.spec : {}),
    };
    if (isObject(templateMeta.annotations))
      metaOf(pod).annotations = clone(templateMeta.annotations as Record<string, string>);
    applyCreateDefaults(this.podDef, pod);
    const created = this.store.create(this.podDef, pod);
    state.attempts++;
    const handler = this.handler;
    if (handler === undefined) return;
    const attempt = state.attempts;
    const current = this.job(state) ?? job;
    Promise.resolve()
      .then(() => handler({ job: current, pod: created, api: this.api, attempt }))
      .catch((error: unknown) => this.errors.push(error));
  }
}
