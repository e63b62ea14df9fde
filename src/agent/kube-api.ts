/**
 * The agent's own Kubernetes client: the few read-only calls the collector makes (get, list, pod
 * logs), over HTTPS with the pod's ServiceAccount token and the cluster CA, as a pod's in-cluster
 * config does (KUBERNETES_SERVICE_HOST/PORT, /var/run/secrets/kubernetes.io/serviceaccount). No npm
 * dependency: @kubernetes/client-node is far too large for a ConfigMap.
 *
 * node:https rather than the global fetch: fetch takes no per-request CA without undici's Agent,
 * which Node does not expose. Failures become the CLI's typed Kubernetes errors (toKubeError), so the
 * collector sees the same `statusCode` whichever client it runs on.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { InterruptedError, SreLabError } from "../core/errors.js";
import type { EvidenceApi, LogRequest, ObjectRef } from "../diagnose/collect.js";
import { toKubeError } from "../kube/errors.js";

export interface InClusterConfig {
  /** https://10.96.0.1:443 */
  server: string;
  token: string;
  /** PEM of the cluster CA. */
  ca: string;
}

const HINT = "the agent runs as a Job started by sre-lab diagnose, with its ServiceAccount token mounted";

export function loadInClusterConfig(env: NodeJS.ProcessEnv, serviceAccountDir: string): InClusterConfig {
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  const port = env.KUBERNETES_SERVICE_PORT?.trim() || "443";
  if (!host)
    throw new SreLabError("not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set", {
      hint: HINT,
    });
  const read = (file: string): string => {
    const path = join(serviceAccountDir, file);
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new SreLabError(
        `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        {
          hint: HINT,
          cause: error,
        },
      );
    }
  };
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    token: read("token").trim(),
    ca: read("ca.crt"),
  };
}

/** Kubernetes resource (plural) names of the kinds the collector reads. */
const RESOURCES: Readonly<Record<string, string>> = {
  Pod: "pods",
  Event: "events",
  Node: "nodes",
  ReplicaSet: "replicasets",
  Deployment: "deployments",
  StatefulSet: "statefulsets",
  DaemonSet: "daemonsets",
  Job: "jobs",
  CronJob: "cronjobs",
  PersistentVolumeClaim: "persistentvolumeclaims",
  StorageClass: "storageclasses",
  Service: "services",
  EndpointSlice: "endpointslices",
};

export interface InClusterApiOptions {
  signal?: AbortSignal;
  /** Per request. Default 20 s. */
  timeoutMs?: number;
  userAgent?: string;
}

export function createInClusterApi(config: InClusterConfig, options: InClusterApiOptions = {}): EvidenceApi {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const scope = (action: string) => ({ context: "in-cluster", server: config.server, action });

  const call = (path: string, action: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new InterruptedError());
        return;
      }
      const req = request(
        new URL(path, config.server),
        {
          method: "GET",
          ca: config.ca,
          headers: {
            Authorization: `Bearer ${config.token}`,
            Accept: "application/json, */*",
            "User-Agent": options.userAgent ?? "sre-lab-agent",
          },
          timeout: timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error) => reject(toKubeError(error, scope(action))));
          res.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            // The shape toKubeError reads from client-node's errors: the status code and the body.
            if (status >= 400) reject(toKubeError({ code: status, body }, scope(action)));
            else resolve(body);
          });
        },
      );
      req.on("timeout", () =>
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), { code: "ETIMEDOUT" })),
      );
      req.on("error", (error) =>
        reject(options.signal?.aborted ? new InterruptedError() : toKubeError(error, scope(action))),
      );
      req.end();
    });

  const json = async (path: string, action: string): Promise<unknown> => JSON.parse(await call(path, action));

  return {
    async get(ref: ObjectRef) {
      return json(
        `${collectionPath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`,
        `get ${ref.kind} "${ref.name}"`,
      );
    },
    async list(apiVersion, kind, listOptions) {
      const query = new URLSearchParams();
      if (listOptions.fieldSelector) query.set("fieldSelector", listOptions.fieldSelector);
      if (listOptions.labelSelector) query.set("labelSelector", listOptions.labelSelector);
      const suffix = query.size > 0 ? `?${query}` : "";
      const body = await json(
        `${collectionPath(apiVersion, kind, listOptions.namespace)}${suffix}`,
        `list ${kind}`,
      );
      const items = (body as { items?: unknown }).items;
      return Array.isArray(items) ? items : [];
    },
    async readLog(namespace: string, pod: string, log: LogRequest) {
      const query = new URLSearchParams({ container: log.container });
      if (log.previous) query.set("previous", "true");
      if (log.tailLines !== undefined) query.set("tailLines", String(log.tailLines));
      if (log.limitBytes !== undefined) query.set("limitBytes", String(log.limitBytes));
      return call(
        `${collectionPath("v1", "Pod", namespace)}/${encodeURIComponent(pod)}/log?${query}`,
        `read the log of container "${log.container}" in pod "${pod}"`,
      );
    },
  };
}

function collectionPath(apiVersion: string, kind: string, namespace: string | undefined): string {
  const resource = RESOURCES[kind];
  if (!resource) throw new SreLabError(`the agent does not read ${kind} objects`);
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}`
    : `${base}/${resource}`;
}
