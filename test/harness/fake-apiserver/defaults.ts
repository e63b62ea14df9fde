/**
 * What the real server does to an object on create before storing it: defaulting, and the
 * PrepareForCreate strategies (status reset for kinds with a status subresource, Job selectors and
 * labels, namespace label and finalizer, Service cluster IP). Only the defaults a diagnosis tool is
 * likely to read are filled in; the rest of the long tail of API defaults is left out.
 */
import type { JsonObject, KubeObject } from "./objects.js";
import { isObject, metaOf } from "./objects.js";
import type { ResourceDef } from "./resources.js";

function section(obj: JsonObject, key: string): JsonObject {
  if (!isObject(obj[key])) obj[key] = {};
  return obj[key] as JsonObject;
}

function setDefault(obj: JsonObject, key: string, value: unknown): void {
  if (obj[key] === undefined) obj[key] = value;
}

function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "schedulerName", "default-scheduler");
  setDefault(spec, "serviceAccountName", "default");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "securityContext", {});
  for (const field of ["containers", "initContainers"]) {
    const containers = spec[field];
    if (!Array.isArray(containers)) continue;
    for (const container of containers.filter(isObject)) {
      setDefault(
        container,
        "imagePullPolicy",
        String(container.image ?? "").endsWith(":latest") || !String(container.image ?? "").includes(":")
          ? "Always"
          : "IfNotPresent",
      );
      setDefault(container, "terminationMessagePath", "/dev/termination-log");
      setDefault(container, "terminationMessagePolicy", "File");
      setDefault(container, "resources", {});
    }
  }
}

let nextServiceIp = 10;

/** Applies create-time defaults in place. `metadata.uid` must already be set. */
export function applyCreateDefaults(def: ResourceDef, obj: KubeObject): void {
  const meta = metaOf(obj);
  const key = `${def.group}/${def.resource}`;
  // PrepareForCreate resets status wherever status is a subresource; nodes alone may be created with one.
  if ("status" in def.subresources && key !== "/nodes") obj.status = {};
  switch (key) {
    case "/namespaces": {
      meta.labels = { ...(meta.labels ?? {}), "kubernetes.io/metadata.name": meta.name ?? "" };
      setDefault(section(obj, "spec"), "finalizers", ["kubernetes"]);
      obj.status = { phase: "Active" };
      break;
    }
    case "/persistentvolumeclaims": {
      obj.status = { phase: "Pending" };
      break;
    }
    case "/pods": {
      defaultPodSpec(section(obj, "spec"));
      obj.status = { phase: "Pending", qosClass: "BestEffort" };
      break;
    }
    case "/services": {
      const spec = section(obj, "spec");
      setDefault(spec, "type", "ClusterIP");
      setDefault(spec, "sessionAffinity", "None");
      if (spec.clusterIP === undefined && spec.type !== "ExternalName") {
        const ip = `10.96.${Math.floor(nextServiceIp / 250)}.${(nextServiceIp % 250) + 1}`;
        nextServiceIp++;
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
      obj.status = { loadBalancer: {} };
      break;
    }
    case "apps/deployments": {
      const spec = section(obj, "spec");
      setDefault(spec, "replicas", 1);
      setDefault(spec, "revisionHistoryLimit", 10);
      setDefault(spec, "progressDeadlineSeconds", 600);
      setDefault(spec, "strategy", {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      });
      defaultPodSpec(section(section(spec, "template"), "spec"));
      break;
    }
    case "apps/statefulsets":
    case "apps/replicasets":
    case "apps/daemonsets": {
      const spec = section(obj, "spec");
      if (key !== "apps/daemonsets") setDefault(spec, "replicas", 1);
      defaultPodSpec(section(section(spec, "template"), "spec"));
      break;
    }
    case "batch/jobs": {
      const uid = meta.uid ?? "";
      const spec = section(obj, "spec");
      setDefault(spec, "completions", 1);
      setDefault(spec, "parallelism", 1);
      setDefault(spec, "backoffLimit", 6);
      setDefault(spec, "completionMode", "NonIndexed");
      setDefault(spec, "suspend", false);
      setDefault(spec, "podReplacementPolicy", "TerminatingOrFailed");
      const template = section(spec, "template");
      const templateMeta = section(template, "metadata");
      const jobLabels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": meta.name ?? "",
        "controller-uid": uid,
        "job-name": meta.name ?? "",
      };
      if (spec.manualSelector !== true) {
        templateMeta.labels = { ...(isObject(templateMeta.labels) ? templateMeta.labels : {}), ...jobLabels };
        spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
      }
      defaultPodSpec(section(template, "spec"));
      break;
    }
    default:
      break;
  }
}

/**
 * What the API server does to every written object, create or update: a Secret's write-only
 * `stringData` is merged into `data` (base64) and dropped, as the real Secret strategy does.
 */
export function normalizeWrite(def: ResourceDef, obj: KubeObject): void {
  if (def.group === "" && def.resource === "secrets") {
    const record = obj as KubeObject & { stringData?: Record<string, string>; data?: Record<string, string> };
    if (record.stringData && typeof record.stringData === "object") {
      const data = { ...(record.data ?? {}) };
      for (const [key, value] of Object.entries(record.stringData))
        data[key] = Buffer.from(String(value)).toString("base64");
      record.data = data;
    }
    delete record.stringData;
  }
}
