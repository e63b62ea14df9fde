/**
 * `sre-lab open <target>`: where a lab UI answers and how to log in.
 * - On the lab's own context, when the lab's host port (kind extraPortMappings → NodePort) answers,
 *   that URL is the answer and nothing keeps running.
 * - Otherwise (another cluster, the mapping missing, or `--port` asked for a port) a
 *   `kubectl port-forward` to the Service runs until Ctrl-C or until it fails; the session says when.
 * Credentials come from the cluster: Grafana's admin Secret (created by `up`) and Argo CD's
 * `argocd-initial-admin-secret` (user `admin`).
 */

import { InterruptedError, SreLabError, throwIfAborted } from "../core/errors.js";
import { ToolNotFoundError } from "../exec/runner.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import type { Context } from "../runtime/context.js";
import { DEFAULT_PORTS, GRAFANA_ADMIN_SECRET, type LabPorts, labPortsOf, NAMESPACES } from "./config.js";
import { kubectlErrorLine, type PortForward, startPortForward } from "./port-forward.js";
import { clusterFacts, isUnsupported, providerOf } from "./provider/index.js";
import type { ExposedService } from "./provider/types.js";

export const OPEN_TARGETS = ["grafana", "argocd", "prometheus", "app"] as const;
export type OpenTarget = (typeof OPEN_TARGETS)[number];

export function isOpenTarget(name: string): name is OpenTarget {
  return (OPEN_TARGETS as readonly string[]).includes(name);
}

interface TargetSpec {
  namespace: string;
  /** The Service a port-forward goes to (the ClusterIP one; the NodePort ones serve the host mapping). */
  service: string;
  /** Its port, used when the Service lists it (otherwise its first port). */
  servicePort: number;
  scheme: "http" | "https";
}

/** Service names as manifests/ deploy them (fullnameOverride in monitoring/values.yaml, Argo CD upstream). */
export const OPEN_SERVICES: Record<OpenTarget, TargetSpec> = {
  grafana: { namespace: NAMESPACES.monitoring, service: "grafana", servicePort: 80, scheme: "http" },
  argocd: { namespace: NAMESPACES.argocd, service: "argocd-server", servicePort: 443, scheme: "https" },
  prometheus: {
    namespace: NAMESPACES.monitoring,
    service: "prometheus-server",
    servicePort: 80,
    scheme: "http",
  },
  app: { namespace: NAMESPACES.app, service: "target-app", servicePort: 8080, scheme: "http" },
};

export const ARGOCD_ADMIN_SECRET = {
  namespace: NAMESPACES.argocd,
  name: "argocd-initial-admin-secret",
} as const;

export interface Credentials {
  user: string;
  /** Absent when it could not be read; `note` says why. */
  password?: string;
  note?: string;
}

export interface OpenResult {
  target: OpenTarget;
  url: string;
  /** "host-port": the lab's own port mapping answered; "port-forward": a kubectl port-forward serves it. */
  via: "host-port" | "port-forward";
  context: string;
  /** namespace/name of the Service behind the URL. */
  service: string;
  credentials?: Credentials;
}

export interface OpenSession {
  result: OpenResult;
  /**
   * Resolves at once for a host port. For a port-forward: throws InterruptedError after Ctrl-C (the
   * port-forward is stopped first), or SreLabError when the port-forward ends on its own.
   */
  hold(): Promise<void>;
  /** Stops the port-forward, if any. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenOptions {
  target: OpenTarget;
  /** Port-forward on this 127.0.0.1 port, even when the lab's host port answers. */
  port?: number;
}

const PORT_FORWARD_READY_MS = 15_000;

export async function openTarget(ctx: Context, options: OpenOptions): Promise<OpenSession> {
  const { target } = options;
  const spec = OPEN_SERVICES[target];
  const kube = await ctx.kube();
  const credentials = await readCredentials(ctx, kube, target);
  const base = {
    target,
    context: kube.context,
    service: `${spec.namespace}/${spec.service}`,
    ...(credentials ? { credentials } : {}),
  };
  throwIfAborted(ctx.signal);

  // The lab's own host ports are on its nodes' labels (up --host-port); another cluster has none.
  // Whether the cluster maps host ports at all is its provider's answer, read from the cluster.
  const { ports, exposed } = await hostPorts(kube);
  const hostPort = ports[target];
  const mapped = exposed.find((service) => service.name === target && service.hostPort);
  if (options.port === undefined && mapped && (await ctx.host.canConnect?.(hostPort))) {
    return {
      result: { ...base, url: mapped.address, via: "host-port" },
      hold: async () => {},
      close: async () => {},
    };
  }

  const servicePort = await resolveServicePort(kube, spec);
  const localPort = options.port ?? ((await ctx.host.isPortFree(hostPort)) ? hostPort : 0);
  const forward = await startPortForward(ctx, {
    namespace: spec.namespace,
    service: spec.service,
    servicePort,
    localPort,
    context: kube.context,
    readyTimeoutMs: PORT_FORWARD_READY_MS,
  });
  return {
    result: { ...base, url: `${spec.scheme}://127.0.0.1:${forward.localPort}`, via: "port-forward" },
    hold: () => holdPortForward(ctx, forward, `${base.service}:${servicePort}`),
    close: () => forward.stop(),
  };
}

/** The host ports the lab was made with and where its provider says each UI answers. */
async function hostPorts(kube: KubeClient): Promise<{ ports: LabPorts; exposed: ExposedService[] }> {
  let nodes: KubeObject[];
  try {
    nodes = await kube.list("v1", "Node");
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    // Nodes unreadable (RBAC on another cluster): nothing says this is the lab; port-forward.
    nodes = [];
  }
  const provider = providerOf(clusterFacts(kube.context, nodes));
  const ports = isUnsupported(provider.localNodes) ? DEFAULT_PORTS : labPortsOf(nodes);
  return { ports, exposed: provider.exposed(ports) };
}

async function holdPortForward(ctx: Context, forward: PortForward, target: string): Promise<void> {
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    const onAbort = () => resolve();
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    void forward.process.exited.then(() => {
      ctx.signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
  if (ctx.signal.aborted) {
    await forward.stop();
    throw new InterruptedError("stopped the port-forward");
  }
  const ended = await forward.process.exited;
  const why =
    kubectlErrorLine(`${ended.stderr}\n${ended.stdout}`) ?? `kubectl exited with code ${ended.exitCode}`;
  throw new SreLabError(`the port-forward to ${target} ended: ${why}`, {
    hint: "the pod behind it may have restarted; check with sre-lab status, then run sre-lab open again",
  });
}

async function resolveServicePort(kube: KubeClient, spec: TargetSpec): Promise<number> {
  const service = await kube.find<KubeObject & { spec?: { ports?: { port?: number }[] } }>({
    apiVersion: "v1",
    kind: "Service",
    namespace: spec.namespace,
    name: spec.service,
  });
  if (!service) {
    throw new SreLabError(
      `there is no Service ${spec.namespace}/${spec.service} in context "${kube.context}"`,
      {
        hint: "the lab may still be deploying it: check with sre-lab status (or create the lab: sre-lab up)",
      },
    );
  }
  const ports = (service.spec?.ports ?? [])
    .map((p) => p.port)
    .filter((p): p is number => typeof p === "number");
  return ports.includes(spec.servicePort) ? spec.servicePort : (ports[0] ?? spec.servicePort);
}

async function readCredentials(
  ctx: Context,
  kube: KubeClient,
  target: OpenTarget,
): Promise<Credentials | undefined> {
  if (target === "grafana") {
    const { namespace, name, userKey, passwordKey } = GRAFANA_ADMIN_SECRET;
    const data = await readSecret(ctx, kube, namespace, name);
    if (typeof data === "string") return { user: "admin", note: data };
    const user = data[userKey] ?? "admin";
    const password = data[passwordKey];
    return password !== undefined
      ? { user, password }
      : { user, note: `Secret ${namespace}/${name} has no ${passwordKey} key` };
  }
  if (target === "argocd") {
    const { namespace, name } = ARGOCD_ADMIN_SECRET;
    const data = await readSecret(ctx, kube, namespace, name);
    if (typeof data === "string") {
      return {
        user: "admin",
        note: data.endsWith("not found")
          ? `${data}: Argo CD's initial password is gone once it was changed and the Secret deleted; use the password you set`
          : data,
      };
    }
    return data.password !== undefined
      ? { user: "admin", password: data.password }
      : { user: "admin", note: `Secret ${namespace}/${name} has no password key` };
  }
  return undefined;
}

/** The Secret's data, decoded; or a one-line reason it could not be read. */
async function readSecret(
  ctx: Context,
  kube: KubeClient,
  namespace: string,
  name: string,
): Promise<Record<string, string> | string> {
  try {
    const secret = await kube.find<KubeObject & { data?: Record<string, string> }>({
      apiVersion: "v1",
      kind: "Secret",
      namespace,
      name,
    });
    if (!secret) return `Secret ${namespace}/${name} not found`;
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value, "base64").toString("utf8"),
      ]),
    );
  } catch (error) {
    if (error instanceof InterruptedError || ctx.signal.aborted) throw new InterruptedError();
    return `could not read Secret ${namespace}/${name}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Opens the URL in the desktop's browser; returns why not when it could not. */
export async function openInBrowser(ctx: Context, url: string): Promise<string | undefined> {
  const opener =
    ctx.host.platform === "darwin" ? "open" : ctx.host.platform === "linux" ? "xdg-open" : undefined;
  if (!opener) return `opening a browser is not supported on ${ctx.host.platform}`;
  try {
    await ctx.runner.run(opener, [url], { timeoutMs: 10_000, purpose: `open ${url} with ${opener}` });
    return undefined;
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    if (error instanceof ToolNotFoundError) return `${opener} is not installed`;
    return error instanceof Error ? error.message : String(error);
  }
}
