/**
 * From a cause in the log to the fix in the spec. The decisive line names something — a path, a
 * variable, a host:port, a heap — and the pod spec says what it is: the volume mounted at that
 * path and the securityContext, the env names (a near-miss is a renamed variable), the heap flags
 * against limits.memory, the Service behind a host (and its EndpointSlices when `related` has
 * them). Each remedy quotes those spec facts as evidence and gives pasteable commands built with
 * the real names; a value is only ever derived from the evidence, never made up.
 */

import { formatMemoryQuantity, parseQuantity } from "../../core/units.js";
import type { ContainerFacts, PodFacts, RelatedFacts } from "./facts.js";
import { containerPath } from "./facts.js";
import { record, records, text } from "./fields.js";
import {
  endpointSlices,
  inspect,
  kubectl,
  listEnv,
  logsOf,
  patchContainerField,
  podSpecPatch,
  rolloutRestart,
  setEnv,
  setResources,
  workloadRef,
} from "./kubectl.js";
import type { LogCause } from "./logs.js";

export interface Remedy {
  /** A clause for the summary: what the log shows, with the object it points at. */
  what: string;
  /** Spec facts the remedy rests on. */
  evidence: string[];
  remediation: string;
  commands: string[];
}

const MI = 2 ** 20;

export function causeRemedy(
  pod: PodFacts,
  container: ContainerFacts,
  cause: LogCause,
  previous: boolean,
): Remedy {
  switch (cause.kind) {
    case "read-only":
    case "permission":
      return pathRemedy(pod, container, cause);
    case "missing-env":
      return missingEnvRemedy(pod, container, cause);
    case "heap":
      return heapRemedy(pod, container, cause, false);
    case "dns":
    case "connection":
      return dependencyRemedy(pod, container, cause);
    case "db-auth":
      return dbAuthRemedy(pod, container, cause);
    case "address-in-use":
      return addressRemedy(pod, container, cause);
    case "migration":
      return migrationRemedy(pod, container, cause, previous);
  }
}

// ---------------------------------------------------------------------------------------------
// Paths: read-only file system, permission denied

interface MountInfo {
  name: string;
  mountPath: string;
  readOnly: boolean;
  /** configMap, secret, emptyDir, persistentVolumeClaim, hostPath, projected, … */
  type: string;
  source?: string;
}

/** The volume mounted at (or above) `path` in this container, longest mountPath first. */
export function mountFor(pod: PodFacts, container: ContainerFacts, path: string): MountInfo | undefined {
  const mounts = container.volumeMounts
    .filter(
      (m) =>
        m.mountPath !== undefined &&
        (path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, "")}/`)),
    )
    .sort((a, b) => (b.mountPath?.length ?? 0) - (a.mountPath?.length ?? 0));
  const mount = mounts[0];
  if (!mount?.mountPath) return undefined;
  const volume = pod.volumes.find((v) => text(v, "name") === mount.name);
  const type =
    (volume && Object.keys(volume).find((k) => k !== "name" && record(volume, k) !== undefined)) ?? "unknown";
  const info: MountInfo = { name: mount.name, mountPath: mount.mountPath, readOnly: mount.readOnly, type };
  const source =
    text(volume, "configMap", "name") ??
    text(volume, "secret", "secretName") ??
    text(volume, "persistentVolumeClaim", "claimName") ??
    text(volume, "hostPath", "path");
  if (source !== undefined) info.source = source;
  return info;
}

const ALWAYS_READ_ONLY = new Set(["configMap", "secret", "downwardAPI", "projected"]);

function pathRemedy(pod: PodFacts, container: ContainerFacts, cause: LogCause): Remedy {
  const path = cause.path;
  const readOnlyFs = cause.kind === "read-only";
  const evidence: string[] = [];
  const commands: string[] = [];
  const user = container.securityContext.runAsUser ?? pod.securityContext.runAsUser;
  const group = container.securityContext.runAsGroup ?? pod.securityContext.runAsGroup;
  const fsGroup = pod.securityContext.fsGroup;
  const rootReadOnly = container.securityContext.readOnlyRootFilesystem === true;
  const security = [
    user !== undefined ? `runAsUser=${user}` : undefined,
    group !== undefined ? `runAsGroup=${group}` : undefined,
    fsGroup !== undefined ? `fsGroup=${fsGroup}` : "fsGroup not set",
    rootReadOnly ? "readOnlyRootFilesystem=true" : undefined,
  ].filter((s): s is string => s !== undefined);
  evidence.push(`securityContext: ${security.join(", ")}`);
  if (path === undefined) {
    return {
      what: readOnlyFs ? "it writes to a read-only file system" : "it is denied access to a file",
      evidence,
      remediation: `Find the path in the log line and give ${container.name} a writable volume there (an emptyDir), or set the pod's securityContext.fsGroup so the process's group owns mounted volumes.`,
      commands: [logsOf(pod, container, true)],
    };
  }
  const mount = mountFor(pod, container, path);
  const dir = writableDir(path, mount);
  const volumeName = `writable-${dnsLabel(dir)}`;
  const emptyDir = podSpecPatch(pod, {
    volumes: [{ name: volumeName, emptyDir: {} }],
    [container.kind === "main" ? "containers" : "initContainers"]: [
      { name: container.name, volumeMounts: [{ name: volumeName, mountPath: dir }] },
    ],
  });

  if (mount) {
    evidence.push(
      `${containerPath(container)}.volumeMounts[${mount.name}]: mountPath=${mount.mountPath}${mount.readOnly ? " readOnly=true" : ""} (volume ${mount.type}${mount.source !== undefined ? ` ${mount.source}` : ""})`,
    );
  } else {
    evidence.push(
      `${containerPath(container)}: no volume is mounted at ${path} or above it, so it is in the image's file system${rootReadOnly ? ", which readOnlyRootFilesystem makes read-only" : ""}`,
    );
  }

  if (readOnlyFs) {
    if (mount && ALWAYS_READ_ONLY.has(mount.type)) {
      // No emptyDir command: one at the same path would hide the configuration.
      return {
        what: `it writes to ${path}, inside the ${mount.type} volume ${mount.name} mounted at ${mount.mountPath}, which Kubernetes always mounts read-only`,
        evidence,
        remediation: `A ${mount.type} volume is read-only whatever readOnly says: let the app write somewhere else — an emptyDir mounted at another path for its writable files — and keep the ${mount.type} ${mount.source ?? mount.name} for configuration (mount single files with subPath if they must sit in a writable directory).`,
        commands,
      };
    }
    if (mount?.readOnly) {
      const index = container.volumeMounts.findIndex((m) => m.name === mount.name);
      const patch = patchContainerField(pod, container, `volumeMounts/${index}/readOnly`, false);
      if (patch) commands.push(patch);
      return {
        what: `it writes to ${path} on volume ${mount.name}, which is mounted readOnly: true at ${mount.mountPath}`,
        evidence,
        remediation: `Mount volume ${mount.name} writable (volumeMounts[${mount.name}].readOnly: false) in ${workloadRef(pod)}, or point the app's writes at a separate emptyDir.`,
        commands,
      };
    }
    if (!mount && rootReadOnly) {
      if (emptyDir) commands.push(emptyDir);
      return {
        what: `it writes to ${path} in the image's file system, which readOnlyRootFilesystem: true makes read-only`,
        evidence,
        remediation: `Keep readOnlyRootFilesystem and give the app a writable emptyDir at ${dir} in ${workloadRef(pod)} (volume ${volumeName}).`,
        commands,
      };
    }
    return {
      what: `it writes to ${path} on a read-only file system`,
      evidence,
      remediation: `Mount a writable volume at ${dir} (an emptyDir for scratch data, a PersistentVolumeClaim for data that must survive) in ${workloadRef(pod)}.`,
      commands: emptyDir ? [emptyDir] : [],
    };
  }

  // permission denied
  if (
    mount &&
    (mount.type === "persistentVolumeClaim" || mount.type === "ephemeral" || mount.type === "csi")
  ) {
    const owner = group ?? user;
    if (fsGroup === undefined && owner !== undefined) {
      const patch = podSpecPatch(pod, { securityContext: { fsGroup: owner } });
      if (patch) commands.push(patch);
      return {
        what: `it may not write ${path} on volume ${mount.name} (${mount.type}${mount.source ? ` ${mount.source}` : ""}): the process runs as ${user !== undefined ? `uid ${user}` : "a non-root user"} and no fsGroup makes the volume its group's`,
        evidence,
        remediation: `Set the pod's securityContext.fsGroup to the process's group (${owner}) in ${workloadRef(pod)}: the kubelet then gives that group write access to the volume when it mounts it.`,
        commands,
      };
    }
    return {
      what: `it may not write ${path} on volume ${mount.name} (${mount.type})`,
      evidence,
      remediation: `Make the volume writable for the process: set the pod's securityContext.fsGroup to the group it runs as${fsGroup !== undefined ? ` (fsGroup is ${fsGroup}; check the files' owner on the volume)` : ""}, or fix the ownership of the existing files once (an init container running chown).`,
      commands: container.status?.state.running
        ? [`${kubectl(pod)} exec ${pod.name} -c ${container.name} -- id`]
        : [],
    };
  }
  if (mount && mount.type === "hostPath") {
    return {
      what: `it may not write ${path} on hostPath volume ${mount.name} (${mount.source ?? ""})`,
      evidence,
      remediation: `fsGroup does not apply to hostPath volumes: give the process's user (${user ?? "the image's user"}) ownership of ${mount.source ?? "the host directory"} on the node, or use a PersistentVolumeClaim or emptyDir instead.`,
      commands,
    };
  }
  if (mount && ALWAYS_READ_ONLY.has(mount.type)) {
    return {
      what: `it may not write ${path} inside the ${mount.type} volume ${mount.name}`,
      evidence,
      remediation: `${mount.type} volumes are read-only: let the app write to an emptyDir mounted at another path, and keep the ${mount.type} for reading.`,
      commands,
    };
  }
  if (emptyDir) commands.push(emptyDir);
  return {
    what: `it may not write ${path}, a path in the image owned by another user${user !== undefined ? ` than uid ${user}` : ""}`,
    evidence,
    remediation: `Give the app a writable emptyDir at ${dir} in ${workloadRef(pod)}, or fix the ownership in the image (chown the directory to the runtime user in the Dockerfile).`,
    commands,
  };
}

/** The directory to make writable: the mount itself, else the file's directory. */
function writableDir(path: string, mount: MountInfo | undefined): string {
  if (mount && !ALWAYS_READ_ONLY.has(mount.type)) return mount.mountPath;
  const looksLikeFile = /\.[A-Za-z0-9]{1,8}$/.test(path.split("/").pop() ?? "");
  if (!looksLikeFile) return path;
  const dir = path.slice(0, path.lastIndexOf("/"));
  return dir === "" ? "/" : dir;
}

function dnsLabel(path: string): string {
  const label = path
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(-40)
    .replace(/^-+/, "");
  return label === "" ? "dir" : label;
}

// ---------------------------------------------------------------------------------------------
// Missing environment variable or config key

function missingEnvRemedy(pod: PodFacts, container: ContainerFacts, cause: LogCause): Remedy {
  const wanted = cause.configKey
    ? (cause.variable ?? "").toUpperCase().replace(/[.-]/g, "_")
    : (cause.variable ?? "");
  const names = container.envNames.filter((n) => n !== "");
  const evidence = [
    `${containerPath(container)}.env names: ${names.length > 0 ? names.join(", ") : "(none)"}`,
  ];
  const fromRefs = container.references.filter((r) => r.env === undefined);
  if (fromRefs.length > 0) {
    evidence.push(
      `${containerPath(container)}.envFrom: ${fromRefs.map((r) => `${r.kind.toLowerCase()} ${r.name}`).join(", ")}`,
    );
  }
  const what = cause.configKey
    ? `config key ${cause.variable} is not set (Spring reads it from env ${wanted})`
    : `it needs environment variable ${wanted}, which ${container.name} does not set`;
  if (names.includes(wanted)) {
    return {
      what: `${wanted} is set in the spec but the app finds no value for it`,
      evidence,
      remediation: `${wanted} is defined in ${workloadRef(pod)} but empty or from an optional/missing source: check its value and where it comes from.`,
      commands: [listEnv(pod, container)],
    };
  }
  const near = names.find((n) => nearMiss(n, wanted));
  if (near !== undefined) {
    const index = container.envNames.indexOf(near);
    const patch = patchContainerField(pod, container, `env/${index}/name`, wanted);
    return {
      what: `${what}; the spec sets ${near} instead — a renamed variable`,
      evidence,
      remediation: `Rename env ${near} to ${wanted} in ${workloadRef(pod)} (or make the app read ${near} again).`,
      commands: [...(patch ? [patch] : []), listEnv(pod, container)],
    };
  }
  const commands = fromRefs.map((r) => inspect(pod, "describe", r.kind.toLowerCase(), r.name));
  commands.push(listEnv(pod, container));
  return {
    what,
    evidence,
    remediation:
      fromRefs.length > 0
        ? `Add ${wanted} to ${workloadRef(pod)}: as a key of ${fromRefs.map((r) => `${r.kind} ${r.name}`).join(" or ")} (which envFrom loads; check its keys), or as an env entry${secretLooking(wanted) ? " from a Secret (secretKeyRef)" : ""}.`
        : `Add env ${wanted} to ${containerPath(container)} in ${workloadRef(pod)}${secretLooking(wanted) ? " from a Secret key (valueFrom.secretKeyRef), not as a literal" : ""}.`,
    commands,
  };
}

function secretLooking(name: string): boolean {
  return /PASS|SECRET|TOKEN|KEY|CRED|DSN|URL/.test(name);
}

/** DB_HOST vs DB_HOSTNAME, DATABSE_URL vs DATABASE_URL, DB_URL vs DATABASE_URL. */
export function nearMiss(have: string, want: string): boolean {
  if (have === want) return false;
  const a = have.toUpperCase();
  const b = want.toUpperCase();
  if (a.replace(/_/g, "") === b.replace(/_/g, "")) return true;
  if (levenshtein(a, b) <= Math.max(2, Math.floor(Math.min(a.length, b.length) / 5))) return true;
  const ta = a.split("_");
  const tb = b.split("_");
  if (ta.length === tb.length && ta.length > 1) {
    let differing = 0;
    for (let i = 0; i < ta.length; i++) {
      const x = ta[i] ?? "";
      const y = tb[i] ?? "";
      if (x === y) continue;
      differing++;
      if (!(isAbbreviation(x, y) || isAbbreviation(y, x))) return false;
    }
    return differing === 1;
  }
  return false;
}

/** DB of DATABASE, PG of POSTGRES: the short word's letters in order, starting alike. */
function isAbbreviation(short: string, long: string): boolean {
  if (short.length === 0 || short.length >= long.length || short[0] !== long[0]) return false;
  let j = 0;
  for (const c of long) if (c === short[j]) j++;
  return j === short.length;
}

function levenshtein(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (current[j - 1] ?? 0) + 1,
        (previous[j] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 99;
}

// ---------------------------------------------------------------------------------------------
// Heap: -Xmx / MaxRAMPercentage / --max-old-space-size / GOMEMLIMIT against limits.memory

export interface HeapSetting {
  runtime: "jvm" | "node" | "go";
  /** The flag as written: -Xmx512m, --max-old-space-size=384, GOMEMLIMIT=200MiB, -XX:MaxRAMPercentage=50. */
  flag: string;
  /** Where it is: env NAME, or args/command. */
  where: { env: string } | { args: number } | { command: number };
  /** Bytes, or a share of the limit for MaxRAMPercentage. */
  bytes?: number;
  percent?: number;
}

const JVM_ENV = [
  "JAVA_TOOL_OPTIONS",
  "JAVA_OPTS",
  "JDK_JAVA_OPTIONS",
  "_JAVA_OPTIONS",
  "CATALINA_OPTS",
  "JVM_OPTS",
];

/** The heap settings of a container, from its env and its command line. */
export function heapSettings(container: ContainerFacts): HeapSetting[] {
  const out: HeapSetting[] = [];
  const scan = (value: string, where: HeapSetting["where"]) => {
    const xmx = /-Xmx(\d+)([kKmMgG]?)\b/.exec(value);
    if (xmx) {
      const unit = (xmx[2] ?? "").toLowerCase();
      const factor = unit === "g" ? 2 ** 30 : unit === "m" ? MI : unit === "k" ? 1024 : 1;
      out.push({ runtime: "jvm", flag: xmx[0], where, bytes: Number(xmx[1]) * factor });
    }
    const percent = /-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)/.exec(value);
    if (percent) out.push({ runtime: "jvm", flag: percent[0], where, percent: Number(percent[1]) });
    const oldSpace = /--max-old-space-size[= ](\d+)/.exec(value);
    if (oldSpace) out.push({ runtime: "node", flag: oldSpace[0], where, bytes: Number(oldSpace[1]) * MI });
  };
  for (const [name, value] of Object.entries(container.env)) {
    if (JVM_ENV.includes(name) || name === "NODE_OPTIONS") scan(value, { env: name });
    if (name === "GOMEMLIMIT") {
      const bytes = goMemLimit(value);
      out.push({
        runtime: "go",
        flag: `GOMEMLIMIT=${value}`,
        where: { env: name },
        ...(bytes === undefined ? {} : { bytes }),
      });
    }
  }
  for (const [i, arg] of container.args.entries()) scan(arg, { args: i });
  for (const [i, arg] of container.command.entries()) scan(arg, { command: i });
  return out;
}

function goMemLimit(value: string): number | undefined {
  const m = /^(\d+)(B|KiB|MiB|GiB|TiB)?$/.exec(value.trim());
  if (!m) return undefined;
  const factor = { B: 1, KiB: 1024, MiB: MI, GiB: 2 ** 30, TiB: 2 ** 40 }[m[2] ?? "B"] ?? 1;
  return Number(m[1]) * factor;
}

function mib(bytes: number): string {
  return formatMemoryQuantity(bytes);
}

/**
 * For a heap exhausted in the log (`oomKilled` false) or an OOM kill (`oomKilled` true): which of
 * heap and limit is too small, by how much, and the change — 75% of the limit for the heap.
 */
export function heapRemedy(
  pod: PodFacts,
  container: ContainerFacts,
  cause: Pick<LogCause, "runtime"> | undefined,
  oomKilled: boolean,
): Remedy {
  const limit = parseQuantity(container.limits.memory);
  const settings = heapSettings(container);
  const runtime = cause?.runtime ?? settings[0]?.runtime;
  const setting =
    settings.find((s) => s.runtime === runtime && s.bytes !== undefined) ??
    settings.find((s) => s.runtime === runtime);
  const evidence: string[] = [];
  for (const s of settings)
    evidence.push(`${containerPath(container)} heap setting: ${s.flag} (${describeWhere(s)})`);
  evidence.push(
    `${containerPath(container)}.resources.limits.memory: ${container.limits.memory ?? "not set"}`,
  );
  const commands: string[] = [];
  const runtimeName =
    runtime === "jvm"
      ? "the JVM"
      : runtime === "node"
        ? "Node (V8)"
        : runtime === "go"
          ? "the Go runtime"
          : "the runtime";

  const heap =
    setting?.bytes ??
    (setting?.percent !== undefined && limit !== undefined ? (limit * setting.percent) / 100 : undefined);
  if (limit === undefined) {
    return {
      what: `${runtimeName} ran out of heap${setting ? ` (${setting.flag})` : ""}`,
      evidence,
      remediation: `Give ${container.name} a memory limit and size the heap to about 75% of it (${runtime === "jvm" ? "-XX:MaxRAMPercentage=75" : runtime === "node" ? "--max-old-space-size" : "GOMEMLIMIT"}).`,
      commands,
    };
  }
  const target = Math.floor((limit * 0.75) / MI) * MI;

  if (oomKilled) {
    if (heap !== undefined && heap > limit * 0.9) {
      const change = heapChange(pod, container, runtime, setting, target);
      if (change) commands.push(change);
      return {
        what: `its heap setting ${setting?.flag ?? ""} allows ${mib(heap)}, ${heap >= limit ? `${mib(heap - limit)} more than` : "nearly all of"} the ${container.limits.memory} limit, so ${runtimeName} grows past the limit and the kernel kills it`,
        evidence,
        remediation: `The heap is too big for the container: set it to 75% of the limit (${mib(target)}) so heap plus runtime overhead fits in ${container.limits.memory}, or raise limits.memory to at least ${mib(Math.ceil(heap / 0.75 / (64 * MI)) * 64 * MI)}.`,
        commands,
      };
    }
    return { what: "", evidence, remediation: "", commands };
  }

  // Heap exhausted inside the process: the heap is the bottleneck when it is well below the limit.
  if (heap !== undefined && heap < limit * 0.6) {
    const change = heapChange(pod, container, runtime, setting, target);
    if (change) commands.push(change);
    return {
      what: `${runtimeName} ran out of heap at ${mib(heap)}${setting ? ` (${setting.flag})` : runtime === "jvm" ? " (the default: 25% of the limit)" : ""} while the container may use ${container.limits.memory}`,
      evidence,
      remediation: `The heap is too small, not the container: raise it to 75% of the ${container.limits.memory} limit (${mib(target)}, +${mib(target - heap)}).`,
      commands,
    };
  }
  if (heap === undefined && runtime === "jvm") {
    const change = heapChange(pod, container, runtime, undefined, target);
    if (change) commands.push(change);
    return {
      what: `the JVM ran out of heap with no heap flag set, so it uses its default of 25% of the ${container.limits.memory} limit (${mib(limit / 4)})`,
      evidence,
      remediation: `Let the JVM use 75% of the limit: -XX:MaxRAMPercentage=75 (${mib(target)} of ${container.limits.memory}).`,
      commands,
    };
  }
  // The heap already takes most of the limit: both must grow.
  const newLimit = Math.ceil((limit * 1.5) / (64 * MI)) * 64 * MI;
  const newHeap = Math.floor((newLimit * 0.75) / MI) * MI;
  commands.push(setResources(pod, container, "limits", "memory", mib(newLimit)));
  const change = heapChange(pod, container, runtime, setting, newHeap);
  if (change) commands.push(change);
  return {
    what: `${runtimeName} ran out of heap${heap !== undefined ? ` at ${mib(heap)}` : ""} of a ${container.limits.memory} limit`,
    evidence,
    remediation: `The heap already uses most of the limit: raise limits.memory from ${container.limits.memory} to ${mib(newLimit)} (1.5×, in 64Mi steps) and the heap with it to ${mib(newHeap)} (75%), or find what holds the memory (a heap dump).`,
    commands,
  };
}

function describeWhere(s: HeapSetting): string {
  return "env" in s.where
    ? `env ${s.where.env}`
    : "args" in s.where
      ? `args[${s.where.args}]`
      : `command[${s.where.command}]`;
}

/** The command that sets the heap to `bytes`, keeping the other flags of the same variable. */
function heapChange(
  pod: PodFacts,
  container: ContainerFacts,
  runtime: string | undefined,
  setting: HeapSetting | undefined,
  bytes: number,
): string | undefined {
  const mb = Math.floor(bytes / MI);
  const replacement =
    runtime === "node"
      ? `--max-old-space-size=${mb}`
      : runtime === "go"
        ? `GOMEMLIMIT=${mb}MiB`
        : setting?.percent !== undefined
          ? "-XX:MaxRAMPercentage=75"
          : setting
            ? `-Xmx${mb}m`
            : "-XX:MaxRAMPercentage=75";
  if (runtime === "go") return setEnv(pod, container, "GOMEMLIMIT", `${mb}MiB`);
  if (setting && "env" in setting.where) {
    const name = setting.where.env;
    const value = (container.env[name] ?? "").replace(setting.flag, replacement);
    return setEnv(pod, container, name, value);
  }
  if (setting && "args" in setting.where) {
    const index = setting.where.args;
    return patchContainerField(
      pod,
      container,
      `args/${index}`,
      (container.args[index] ?? "").replace(setting.flag, replacement),
    );
  }
  if (setting && "command" in setting.where) {
    const index = setting.where.command;
    return patchContainerField(
      pod,
      container,
      `command/${index}`,
      (container.command[index] ?? "").replace(setting.flag, replacement),
    );
  }
  // No flag yet: add one through the variable the runtime reads on its own.
  const variable = runtime === "node" ? "NODE_OPTIONS" : "JAVA_TOOL_OPTIONS";
  const existing = container.env[variable];
  return setEnv(pod, container, variable, existing ? `${existing} ${replacement}` : replacement);
}

// ---------------------------------------------------------------------------------------------
// Dependencies: DNS and connections point at a Service, not at the pod

interface ServiceRef {
  name: string;
  namespace: string;
  /** The host was a short name, resolved only in the pod's own namespace. */
  short: boolean;
}

/** `db` → db in the pod's namespace; `db.data`, `db.data.svc`, `db.data.svc.cluster.local` → data. */
export function serviceOf(host: string, podNamespace: string): ServiceRef | undefined {
  const lower = host.toLowerCase();
  if (/^\d+(?:\.\d+){3}$/.test(lower) || lower.includes(":")) return undefined;
  if (lower === "localhost") return undefined;
  const parts = lower.split(".");
  if (parts.length === 1) return { name: lower, namespace: podNamespace, short: true };
  const svc = parts.indexOf("svc");
  if (
    svc === 2 ||
    (parts.length === 2 && !/^(?:com|net|org|io|dev|cloud|internal|local)$/.test(parts[1] ?? ""))
  ) {
    return { name: parts[0] ?? lower, namespace: parts[1] ?? podNamespace, short: false };
  }
  return undefined;
}

function dependencyRemedy(pod: PodFacts, container: ContainerFacts, cause: LogCause): Remedy {
  const host = cause.host;
  const evidence: string[] = [];
  const commands: string[] = [];
  const envWithHost =
    host !== undefined ? Object.entries(container.env).find(([, v]) => v.includes(host)) : undefined;
  if (envWithHost) evidence.push(`${containerPath(container)}.env ${envWithHost[0]}=${envWithHost[1]}`);
  const dns = cause.kind === "dns";
  const target =
    host !== undefined ? `${host}${cause.port !== undefined ? `:${cause.port}` : ""}` : "a dependency";
  if (host === "localhost" || host === "127.0.0.1" || host === "::1") {
    return {
      what: `it cannot connect to ${target}: in a pod, localhost is the pod itself`,
      evidence,
      remediation: `Nothing in the pod listens on ${target}: point ${envWithHost?.[0] ?? "the address"} at the dependency's Service (name.namespace.svc.cluster.local), or start the sidecar that should serve it.`,
      commands,
    };
  }
  const service = host !== undefined ? serviceOf(host, pod.namespace) : undefined;
  if (!service) {
    return {
      what: dns
        ? `${host ?? "a host name"} does not resolve`
        : `${target} ${cause.timeout ? "does not answer (timeout)" : "refuses connections"}`,
      evidence,
      remediation: dns
        ? `Check the name${envWithHost ? ` in env ${envWithHost[0]}` : ""}; an external name needs working cluster DNS and egress (CoreDNS: kubectl -n kube-system get pods -l k8s-app=kube-dns).`
        : `${host !== undefined ? `The dependency at ${target}` : "The dependency the log names"} is down or unreachable from the pod: check it, and NetworkPolicies in namespace ${pod.namespace}.`,
      commands: dns ? ["kubectl -n kube-system get pods -l k8s-app=kube-dns"] : [],
    };
  }
  const related = relatedService(pod, service);
  if (related.service) {
    evidence.push(describeService(related.service));
    for (const slice of related.slices.slice(0, 2)) evidence.push(describeSlice(slice));
  }
  commands.push(inspect(pod, "get", "service", service.name, service.namespace));
  commands.push(endpointSlices(service.namespace, service.name));
  const ready = related.slices.reduce((n, s) => n + readyEndpoints(s), 0);
  const servicePorts = related.service ? servicePortsOf(related.service) : [];

  if (dns) {
    if (related.service) {
      return {
        what: `${host} does not resolve although Service ${service.namespace}/${service.name} exists`,
        evidence,
        remediation: `The Service exists, so look at cluster DNS (CoreDNS pods, the pod's dnsPolicy/dnsConfig) and at the exact name the app uses.`,
        commands: [...commands, "kubectl -n kube-system get pods -l k8s-app=kube-dns"],
      };
    }
    if (service.short) {
      commands.push(`kubectl get services -A --field-selector metadata.name=${service.name}`);
      return {
        what: `${host} does not resolve: a short name only finds Service ${service.name} in the pod's own namespace ${pod.namespace}`,
        evidence,
        remediation: `Make Service ${service.name} exist in ${pod.namespace}, or — if it lives in another namespace — use its full name ${service.name}.<namespace>.svc.cluster.local${envWithHost ? ` in env ${envWithHost[0]}` : ""} in ${workloadRef(pod)}.`,
        commands,
      };
    }
    return {
      what: `${host} does not resolve: Service ${service.name} in namespace ${service.namespace} is not found`,
      evidence,
      remediation: `Deploy (or fix the name of) Service ${service.name} in namespace ${service.namespace}; the fix is in the dependency or in the address${envWithHost ? ` in env ${envWithHost[0]}` : ""}, not in this pod.`,
      commands,
    };
  }
  if (related.service && related.slices.length > 0 && ready === 0) {
    return {
      what: `${target} ${cause.timeout ? "times out" : "refuses connections"}: Service ${service.namespace}/${service.name} has no ready endpoints`,
      evidence,
      remediation: `The dependency is down, not this pod: Service ${service.name} selects no ready pod. Fix the pods behind it (or its selector), then this pod recovers on its next restart.`,
      commands: [...commands, inspect(pod, "describe", "service", service.name, service.namespace)],
    };
  }
  if (
    related.service &&
    cause.port !== undefined &&
    servicePorts.length > 0 &&
    !servicePorts.includes(cause.port)
  ) {
    return {
      what: `it connects to ${target} but Service ${service.name} exposes port ${servicePorts.join(", ")}`,
      evidence,
      remediation: `Use the Service's port (${servicePorts.join(", ")})${envWithHost ? ` in env ${envWithHost[0]}` : ""}, or add port ${cause.port} to Service ${service.name}.`,
      commands,
    };
  }
  return {
    what: `${target} ${cause.timeout ? "does not answer (timeout)" : "refuses connections"} — the dependency Service ${service.namespace}/${service.name}`,
    evidence,
    remediation: `Check the dependency behind Service ${service.name} in ${service.namespace} (its endpoints, its pods' logs, NetworkPolicies); this pod's fix is to wait for it or to retry instead of exiting.`,
    commands,
  };
}

function relatedService(
  pod: PodFacts,
  service: ServiceRef,
): { service?: RelatedFacts; slices: RelatedFacts[] } {
  const found = pod.related.find(
    (r) =>
      r.kind === "Service" && r.name === service.name && (r.namespace ?? pod.namespace) === service.namespace,
  );
  const slices = pod.related.filter(
    (r) =>
      r.kind === "EndpointSlice" &&
      text(r.object, "metadata", "labels", "kubernetes.io/service-name") === service.name &&
      (r.namespace ?? pod.namespace) === service.namespace,
  );
  return found ? { service: found, slices } : { slices };
}

function servicePortsOf(service: RelatedFacts): number[] {
  return records(service.object, "spec", "ports").flatMap((p) => {
    const port = Number(text(p, "port"));
    return Number.isInteger(port) ? [port] : [];
  });
}

function readyEndpoints(slice: RelatedFacts): number {
  return records(slice.object, "endpoints").filter((e) => text(e, "conditions", "ready") !== "false").length;
}

function describeService(service: RelatedFacts): string {
  const ports = servicePortsOf(service);
  const selector = Object.entries(record(service.object, "spec", "selector") ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(",");
  return `service ${service.namespace ?? ""}/${service.name}: ports ${ports.join(", ") || "none"}${selector ? `, selector ${selector}` : ""}`;
}

function describeSlice(slice: RelatedFacts): string {
  const endpoints = records(slice.object, "endpoints");
  return `endpointslice ${slice.name}: ${readyEndpoints(slice)} of ${endpoints.length} endpoint(s) ready`;
}

// ---------------------------------------------------------------------------------------------
// Database credentials, ports in use, migrations

function dbAuthRemedy(pod: PodFacts, container: ContainerFacts, cause: LogCause): Remedy {
  const secrets = container.references.filter((r) => r.kind === "Secret");
  const credential = secrets.find(
    (r) => r.env !== undefined && /PASS|PWD|SECRET|CRED|DSN|URL|AUTH/.test(r.env),
  );
  const evidence: string[] = [];
  for (const ref of secrets.slice(0, 3)) {
    evidence.push(
      `${containerPath(container)}.${ref.env !== undefined ? `env ${ref.env}` : "envFrom"} ← secret ${ref.name}${ref.key !== undefined ? ` key ${ref.key}` : ""}`,
    );
  }
  const commands = [...new Set(secrets.map((r) => inspect(pod, "describe", "secret", r.name)))];
  const restart = rolloutRestart(pod);
  if (restart) commands.push(restart);
  const user = cause.user !== undefined ? ` for user ${cause.user}` : "";
  return {
    what: `the database rejects the credentials${user}`,
    evidence,
    remediation: credential
      ? `The password comes from Secret ${credential.name}${credential.key !== undefined ? ` key ${credential.key}` : ""} (env ${credential.env}): make it match the database's password${user}, then restart the pods — env from a Secret is only read at start.`
      : `Fix the credentials the app uses${user} (which Secret or env holds them) so they match the database, then restart the pods.`,
    commands,
  };
}

function addressRemedy(pod: PodFacts, container: ContainerFacts, cause: LogCause): Remedy {
  const port = cause.port;
  const evidence: string[] = [];
  const others = pod.containers.filter(
    (c) => c !== container && c.kind !== "init" && c.ports.some((p) => p.containerPort === port),
  );
  for (const other of others)
    evidence.push(`${containerPath(other)}.ports: ${other.ports.map((p) => p.containerPort).join(", ")}`);
  if (pod.hostNetwork) evidence.push("spec.hostNetwork: true (the pod shares the node's ports)");
  const commands = [
    `kubectl -n ${pod.namespace} get pod ${pod.name} -o jsonpath='{range .spec.containers[*]}{.name}{" "}{.ports[*].containerPort}{"\\n"}{end}'`,
  ];
  const what = `port ${port ?? "?"} is already taken when it starts`;
  if (others.length > 0) {
    return {
      what: `${what}: container ${others.map((c) => c.name).join(", ")} in the same pod uses it (containers share the pod's network)`,
      evidence,
      remediation: `Give ${container.name} or ${others[0]?.name} another port in ${workloadRef(pod)}: containers of one pod share one network namespace.`,
      commands,
    };
  }
  if (pod.hostNetwork) {
    return {
      what: `${what} on node ${pod.nodeName ?? ""}, whose network the pod shares (hostNetwork)`,
      evidence,
      remediation: `Another process on node ${pod.nodeName ?? "the node"} listens on ${port ?? "that port"}: drop hostNetwork or choose a free port.`,
      commands,
    };
  }
  return {
    what,
    evidence,
    remediation: `Two listeners in ${container.name} (or in the pod) bind port ${port ?? "?"}: check that the app does not start its server twice (workers, a second framework server) and that no sidecar uses it.`,
    commands,
  };
}

function migrationRemedy(
  pod: PodFacts,
  container: ContainerFacts,
  cause: LogCause,
  previous: boolean,
): Remedy {
  const dirty = /Dirty database version (\d+)/.exec(cause.line)?.[1];
  const flyway = /Detected failed migration to version ([\w.]+)/.exec(cause.line)?.[1];
  const what = dirty
    ? `a migration failed half-way and left the schema dirty at version ${dirty}`
    : flyway
      ? `migration ${flyway} failed and is recorded as failed`
      : "a migration fails against the current schema (half-applied: an object it creates already exists)";
  return {
    what,
    evidence: [],
    remediation: `Restarting will not help: the schema is half-migrated. Inspect the database, finish or undo the partial migration by hand, then mark the state${
      dirty
        ? ` (golang-migrate: migrate force ${dirty} once the schema matches version ${dirty}, or the previous version if it was undone)`
        : flyway
          ? " (flyway repair)"
          : ""
    } and let ${workloadRef(pod)} run again; make the migration idempotent (IF NOT EXISTS) so a retry cannot break it.`,
    commands: [logsOf(pod, container, previous)],
  };
}
