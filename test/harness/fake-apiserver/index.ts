/**
 * An in-process fake kube-apiserver for tests: real HTTP on 127.0.0.1, real Status bodies, watches,
 * logs, RBAC and server-side apply, so the unmodified `kubectl` and `@kubernetes/client-node` can talk
 * to it. See README.md in this folder for what is faithful and what is simplified.
 *
 * ```ts
 * const api = await startFakeApiServer();
 * const kubeconfig = api.writeKubeconfig(dir);
 * api.put({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "demo" }, spec: {...} });
 * await api.close();
 * ```
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { createServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { Authorizer, TokenRegistry } from "./authz.js";
import type { ServerVersion } from "./discovery.js";
import type { JobHandler } from "./jobs.js";
import { JobController } from "./jobs.js";
import { LogBook } from "./logs.js";
import type { KubeObject } from "./objects.js";
import { clone, metaOf, timestamp } from "./objects.js";
import type { PropagationPolicy } from "./registry.js";
import { Registry } from "./registry.js";
import type { ResourceDef } from "./resources.js";
import { defaultResources, ResourceTable } from "./resources.js";
import type { InjectedFailure, RecordedRequest, RequestMatcher } from "./server.js";
import { RequestHandler } from "./server.js";
import { ObjectStore } from "./store.js";
import { WatchHub } from "./watch.js";

export type { JobContext, JobHandler } from "./jobs.js";
export type { KubeObject, ManagedFieldsEntry, ObjectMeta, OwnerReference } from "./objects.js";
export type { ResourceDef } from "./resources.js";
export { defaultResources } from "./resources.js";
export type { RecordedRequest, RequestMatcher } from "./server.js";

export interface FakeApiServerOptions {
  /** kind cluster name; the default context is `kind-<clusterName>` and the node `<clusterName>-control-plane`. */
  clusterName?: string;
  /** What `/version` reports. Default v1.32.2, kind's node image for kubectl 1.32. */
  version?: ServerVersion;
  /** Watch events retained for resuming from a resourceVersion; older ones get 410 Expired. Default 1000. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them. Default 60 s, like the real server's ~1 min. */
  bookmarkIntervalMs?: number;
  /** Create the kind defaults (namespaces default/kube-system/kube-public/kube-node-lease, a Ready node, default ServiceAccounts). Default true. */
  seed?: boolean;
  /** Extra kinds to serve, e.g. another CRD. */
  extraResources?: ResourceDef[];
}

export interface KubeconfigOptions {
  /** Context (and cluster and user) name. Default `kind-<clusterName>`. */
  context?: string;
  namespace?: string;
  /** Bearer token; default the admin token. */
  token?: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeApiServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** PEM of the CA that signed the serving certificate (also written into kubeconfigs). */
  readonly caCertificate: string;
  readonly adminToken: string;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /**
   * The requests that write to the cluster (create, update, patch, delete, deletecollection), in
   * arrival order. Access reviews are POSTs the server answers and stores nothing for (like
   * `kubectl auth can-i`), so they are not writes.
   */
  writeRequests(): RecordedRequest[];
  /** Errors thrown by the Job handler or the fake controllers. */
  readonly controllerErrors: unknown[];
  /** The current global resourceVersion. */
  readonly resourceVersion: string;
  /** A token that authenticates as system:serviceaccount:<namespace>:<name>; creates the ServiceAccount (and namespace) if missing. */
  tokenFor(namespace: string, serviceAccountName: string): string;
  /**
   * A raw HTTPS request to the server, for asserting on exact status codes and bodies. Authenticates
   * with the admin token unless `token` is given (`null` sends no Authorization header).
   */
  request(
    method: string,
    path: string,
    options?: { token?: string | null; body?: string; headers?: Record<string, string> },
  ): Promise<RawResponse>;
  /** Writes a kubeconfig for this server and returns its path. */
  writeKubeconfig(dir: string, options?: KubeconfigOptions): string;
  /**
   * Creates or replaces an object as-is (no validation, defaults or managedFields; a Namespace gets
   * phase Active) and creates a missing namespace. Emits ADDED/MODIFIED and drives the controllers.
   */
  put<T extends KubeObject>(obj: T): T;
  get<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): T | undefined;
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace?: string): T[];
  /**
   * Deletes like the API does (dependents per policy, default Background; a namespace's contents);
   * returns the last state, or undefined when absent.
   */
  remove(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    options?: { propagationPolicy?: PropagationPolicy },
  ): KubeObject | undefined;
  /** Mutates a stored object and emits MODIFIED; throws when it does not exist. */
  update<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    mutate: (obj: T) => void,
  ): T;
  appendLog(
    namespace: string,
    pod: string,
    container: string,
    text: string,
    options?: { previous?: boolean },
  ): void;
  /** Ends the container's current log: `follow` streams finish. */
  endLog(namespace: string, pod: string, container: string): void;
  /** The test's kubelet: called with each Pod the fake Job controller creates. */
  onJobCreated(handler: JobHandler<FakeApiServer>): void;
  /**
   * Makes the next matching request (or the next `times` of them; `Infinity` for all) fail with a
   * realistic Status for `status`. Returns a function that withdraws what is left of the injection.
   */
  failNext(
    matcher: RequestMatcher,
    status: number,
    options?: { message?: string; times?: number },
  ): () => void;
  /** Resolves with the object once `predicate` holds; rejects after `timeoutMs` (default 5 s). */
  waitFor<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    predicate: (obj: T) => boolean,
    timeoutMs?: number,
  ): Promise<T>;
  /** Drops the retained watch history, so watches from any older resourceVersion get 410 Expired. */
  compactHistory(): void;
  close(): Promise<void>;
}

const defaultVersion: ServerVersion = { major: "1", minor: "32", gitVersion: "v1.32.2" };

// A test-only CA and serving certificate for 127.0.0.1 (see README.md). client-go sends bearer tokens
// only over TLS, so the fake must speak HTTPS for kubectl to authenticate at all.
const tlsDir = join(import.meta.dirname, "tls");
const caCertificate = readFileSync(join(tlsDir, "ca.crt"), "utf8");
const serverCertificate = readFileSync(join(tlsDir, "server.crt"), "utf8");
const serverKey = readFileSync(join(tlsDir, "server.key"), "utf8");

export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const clusterName = options.clusterName ?? "sre-lab";
  const resources = new ResourceTable([...defaultResources, ...(options.extraResources ?? [])]);
  const store = new ObjectStore(options.historyLimit ?? 1000);
  const logs = new LogBook();
  const registry = new Registry(store, resources, logs);
  const tokens = new TokenRegistry();
  const watches = new WatchHub(store, options.bookmarkIntervalMs ?? 60_000);
  const requests: RecordedRequest[] = [];
  const failures: InjectedFailure[] = [];
  const handler = new RequestHandler({
    registry,
    resources,
    tokens,
    authorizer: new Authorizer(store, resources),
    logs,
    watches,
    version: options.version ?? defaultVersion,
    requests,
    failures,
  });

  const defOf = (apiVersion: string, kind: string): ResourceDef => {
    const def = resources.byKind(apiVersion, kind);
    if (def === undefined) throw new Error(`fake apiserver does not serve ${apiVersion} ${kind}`);
    return def;
  };
  const namespaceDef = defOf("v1", "Namespace");
  const serviceAccountDef = defOf("v1", "ServiceAccount");

  const ensureNamespace = (name: string): void => {
    if (store.get(namespaceDef, undefined, name) !== undefined) return;
    store.create(namespaceDef, {
      metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  };
  const ensureServiceAccount = (namespace: string, name: string): void => {
    if (store.get(serviceAccountDef, namespace, name) === undefined) {
      store.create(serviceAccountDef, { metadata: { name, namespace } });
    }
  };

  // The ServiceAccount controller: every namespace gets a "default" ServiceAccount.
  const unsubscribeServiceAccounts = store.subscribe((event) => {
    if (event.def !== namespaceDef || event.type !== "ADDED") return;
    const name = event.object.metadata?.name ?? "";
    setImmediate(() => {
      if (store.get(namespaceDef, undefined, name) !== undefined) ensureServiceAccount(name, "default");
    });
  });

  if (options.seed ?? true) {
    for (const ns of ["default", "kube-node-lease", "kube-public", "kube-system"]) {
      ensureNamespace(ns);
      ensureServiceAccount(ns, "default");
    }
    const nodeName = `${clusterName}-control-plane`;
    store.create(defOf("v1", "Node"), {
      metadata: {
        name: nodeName,
        labels: {
          "kubernetes.io/arch": "amd64",
          "kubernetes.io/hostname": nodeName,
          "kubernetes.io/os": "linux",
          "node-role.kubernetes.io/control-plane": "",
        },
      },
      spec: {
        podCIDR: "10.244.0.0/24",
        podCIDRs: ["10.244.0.0/24"],
        providerID: `kind://docker/${clusterName}/${nodeName}`,
      },
      status: {
        addresses: [
          { address: "172.18.0.2", type: "InternalIP" },
          { address: nodeName, type: "Hostname" },
        ],
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            message: "kubelet is posting ready status",
            lastHeartbeatTime: timestamp(),
            lastTransitionTime: timestamp(),
          },
        ],
        nodeInfo: {
          kubeletVersion: (options.version ?? defaultVersion).gitVersion,
          containerRuntimeVersion: "containerd://1.7.24",
          operatingSystem: "linux",
          architecture: "amd64",
        },
      },
    });
  }

  const server = createServer({ cert: serverCertificate, key: serverKey, ca: caCertificate }, handler.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  let kubeconfigCount = 0;

  const api: FakeApiServer = {
    url,
    caCertificate,
    adminToken: tokens.adminToken,
    requests,
    writeRequests: () =>
      requests.filter(
        (r) =>
          ["create", "update", "patch", "delete", "deletecollection"].includes(r.verb) &&
          !/\/(selfsubjectaccessreviews|selfsubjectrulesreviews|selfsubjectreviews)$/.test(r.path),
      ),
    get controllerErrors() {
      return jobs.errors;
    },
    get resourceVersion() {
      return String(store.resourceVersion);
    },
    tokenFor(namespace, serviceAccountName) {
      ensureNamespace(namespace);
      ensureServiceAccount(namespace, serviceAccountName);
      return tokens.tokenFor(namespace, serviceAccountName);
    },
    request(method, path, requestOptions = {}) {
      const token = requestOptions.token === undefined ? tokens.adminToken : requestOptions.token;
      const headers: Record<string, string> = { ...(requestOptions.headers ?? {}) };
      if (token !== null) headers.Authorization = `Bearer ${token}`;
      return new Promise<RawResponse>((resolve, reject) => {
        const req = httpsRequest(`${url}${path}`, { method, headers, ca: caCertificate }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end(requestOptions.body);
      });
    },
    writeKubeconfig(dir, kubeconfigOptions = {}) {
      const name = kubeconfigOptions.context ?? `kind-${clusterName}`;
      const context: Record<string, string> = { cluster: name, user: name };
      if (kubeconfigOptions.namespace !== undefined) context.namespace = kubeconfigOptions.namespace;
      const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name,
            cluster: {
              server: url,
              "certificate-authority-data": Buffer.from(caCertificate).toString("base64"),
            },
          },
        ],
        contexts: [{ name, context }],
        "current-context": name,
        users: [{ name, user: { token: kubeconfigOptions.token ?? tokens.adminToken } }],
        preferences: {},
      };
      mkdirSync(dir, { recursive: true });
      kubeconfigCount++;
      const path = join(dir, `kubeconfig-${kubeconfigCount}-${name}.yaml`);
      writeFileSync(path, stringify(config), { mode: 0o600 });
      return path;
    },
    put(obj) {
      if (obj.apiVersion === undefined || obj.kind === undefined)
        throw new Error("put needs apiVersion and kind");
      const def = defOf(obj.apiVersion, obj.kind);
      const copy = clone(obj);
      const meta = metaOf(copy);
      if (def.namespaced) ensureNamespace(meta.namespace ?? "default");
      if (def === namespaceDef) {
        // A namespace is only usable once Active; fill in what the namespace controller would show.
        meta.labels = { "kubernetes.io/metadata.name": meta.name ?? "", ...(meta.labels ?? {}) };
        (copy as KubeObject).status ??= { phase: "Active" };
      }
      return registry.put(def, copy) as typeof obj;
    },
    get<T extends KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string) {
      return store.get(defOf(apiVersion, kind), namespace, name) as T | undefined;
    },
    list<T extends KubeObject>(apiVersion: string, kind: string, namespace?: string) {
      return store.list(defOf(apiVersion, kind), namespace) as T[];
    },
    remove(apiVersion, kind, namespace, name, removeOptions = {}) {
      const def = defOf(apiVersion, kind);
      if (store.get(def, namespace, name) === undefined) return undefined;
      return registry.delete(def, namespace, name, {
        propagationPolicy: removeOptions.propagationPolicy ?? "Background",
        orphanDependents: undefined,
        preconditions: undefined,
        dryRun: false,
      });
    },
    update<T extends KubeObject>(
      apiVersion: string,
      kind: string,
      namespace: string | undefined,
      name: string,
      mutate: (obj: T) => void,
    ) {
      const def = defOf(apiVersion, kind);
      const current = store.get(def, namespace, name);
      if (current === undefined)
        throw new Error(`${apiVersion} ${kind} ${namespace ?? ""}/${name} does not exist`);
      mutate(current as T);
      return store.replace(def, current) as T;
    },
    appendLog(namespace, pod, container, text, logOptions = {}) {
      logs.append(namespace, pod, container, text, logOptions.previous ?? false);
    },
    endLog(namespace, pod, container) {
      logs.end(namespace, pod, container);
    },
    onJobCreated(jobHandler) {
      jobs.onJobCreated(jobHandler);
    },
    failNext(matcher, status, failOptions = {}) {
      const failure: InjectedFailure = {
        matcher,
        code: status,
        message: failOptions.message,
        remaining: failOptions.times ?? 1,
      };
      failures.push(failure);
      return () => {
        failure.remaining = 0;
      };
    },
    waitFor<T extends KubeObject>(
      apiVersion: string,
      kind: string,
      namespace: string | undefined,
      name: string,
      predicate: (obj: T) => boolean,
      timeoutMs = 5000,
    ) {
      const def = defOf(apiVersion, kind);
      return new Promise<T>((resolve, reject) => {
        const check = (): boolean => {
          const obj = store.get(def, namespace, name) as T | undefined;
          if (obj === undefined || !predicate(obj)) return false;
          cleanup();
          resolve(obj);
          return true;
        };
        const unsubscribe = store.subscribe((event) => {
          if (event.def === def) check();
        });
        const timer = setTimeout(() => {
          cleanup();
          const last = store.get(def, namespace, name);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${kind} ${namespace ?? ""}/${name}; last state: ${JSON.stringify(last)}`,
            ),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          unsubscribe();
        };
        check();
      });
    },
    compactHistory() {
      store.compact();
    },
    async close() {
      jobs.stop();
      unsubscribeServiceAccounts();
      watches.closeAll();
      logs.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const jobs = new JobController<FakeApiServer>(store, resources, api);
  jobs.start();
  return api;
}
