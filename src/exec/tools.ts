/**
 * The external tools sre-lab drives, declared once: minimum versions, how to read a version,
 * and how to install each. doctor, the runner's "not found" errors and the docs all read this.
 */
import versions from "../../versions.json" with { type: "json" };

export type ToolName = "docker" | "kind" | "kubectl" | "sysctl" | "sudo";

export interface ToolSpec {
  name: ToolName;
  /** Minimum supported version (semver, no leading v); undefined when any version works. */
  minVersion?: string;
  /** argv (after the tool name) that prints the client version without touching a server. */
  versionArgs?: string[];
  /** Where to get it. */
  install: string;
}

export const TOOLS: Record<ToolName, ToolSpec> = {
  docker: {
    name: "docker",
    minVersion: "24.0.0",
    versionArgs: ["version", "--format", "{{.Client.Version}}"],
    install: "install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/",
  },
  kind: {
    name: "kind",
    // The kind release whose default node image versions.json pins: older kinds may not boot it.
    minVersion: versions.kind.version.replace(/^v/, ""),
    versionArgs: ["version"],
    install: "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
  },
  kubectl: {
    name: "kubectl",
    // Kubernetes' version-skew policy: kubectl within one minor version of the API server, which
    // runs the node image's Kubernetes (versions.json kindNodeImage, v1.36.x → 1.35.0).
    minVersion: kubectlMinimum(versions.kindNodeImage),
    versionArgs: ["version", "--client", "-o", "json"],
    install: "install kubectl: https://kubernetes.io/docs/tasks/tools/",
  },
  sysctl: {
    name: "sysctl",
    install: "install procps (Debian/Ubuntu: apt-get install procps)",
  },
  sudo: {
    name: "sudo",
    install: "install sudo, or run the printed command as root yourself",
  },
};

/** One minor version below the node image's Kubernetes (`kindest/node:v1.36.1@…` → `1.35.0`). */
export function kubectlMinimum(nodeImage: string): string {
  const match = /:v(\d+)\.(\d+)\./.exec(nodeImage);
  if (!match) throw new Error(`versions.json: cannot read the Kubernetes version of ${nodeImage}`);
  return `${match[1]}.${Number(match[2]) - 1}.0`;
}

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOLS, name);
}

/** Extracts the first x.y.z version from a tool's version output (`kind v0.27.0 go1.23 …`, `v3.16.2+g…`). */
export function parseVersion(output: string): string | undefined {
  // kubectl -o json: {"clientVersion": {"gitVersion": "v1.32.4", …}}
  const gitVersion = /"gitVersion"\s*:\s*"v?(\d+\.\d+\.\d+)/.exec(output);
  if (gitVersion) return gitVersion[1];
  const match = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  return `${match[1]}.${match[2]}.${match[3] ?? "0"}`;
}

/** Numeric semver comparison of x.y.z strings: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
