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
  /**
   * The exact command that installs the pinned version on this OS and CPU (a release binary where
   * the project publishes one); undefined where there is no single command (then `install` says how).
   */
  installCommand?: (os: InstallTarget) => string | undefined;
}

/** The OS and CPU an install command is for: Node's process.platform and process.arch. */
export interface InstallTarget {
  platform: NodeJS.Platform;
  arch: string;
}

/** Versions the install commands fetch, pinned next to the minimums they satisfy. */
export const INSTALL_VERSIONS = {
  /** Docker Engine through Docker's convenience script (Linux). */
  docker: "28.5.2",
  kind: versions.kind.version,
  /** kubectl of the Kubernetes the lab's node image runs (kindest/node:vX.Y.Z). */
  kubectl: /:(v\d+\.\d+\.\d+)/.exec(versions.kindNodeImage)?.[1] ?? "v1.30.0",
  helm: "v3.14.4",
} as const;

/** Release binaries exist for linux and darwin on amd64 and arm64. */
function releaseTarget(os: InstallTarget): { os: "linux" | "darwin"; cpu: "amd64" | "arm64" } | undefined {
  const cpu = os.arch === "x64" ? "amd64" : os.arch === "arm64" ? "arm64" : undefined;
  if (cpu === undefined || (os.platform !== "linux" && os.platform !== "darwin")) return undefined;
  return { os: os.platform, cpu };
}

export const TOOLS: Record<ToolName, ToolSpec> = {
  docker: {
    name: "docker",
    minVersion: "24.0.0",
    versionArgs: ["version", "--format", "{{.Client.Version}}"],
    install: "install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/",
    installCommand: (os) =>
      os.platform === "linux"
        ? `curl -fsSL https://get.docker.com -o get-docker.sh && sudo sh get-docker.sh --version ${INSTALL_VERSIONS.docker}`
        : os.platform === "darwin"
          ? "brew install --cask docker"
          : undefined,
  },
  kind: {
    name: "kind",
    // The kind release whose default node image versions.json pins: older kinds may not boot it.
    minVersion: versions.kind.version.replace(/^v/, ""),
    versionArgs: ["version"],
    install: "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    installCommand: (os) => {
      const target = releaseTarget(os);
      return target
        ? `curl -fsSLo ./kind https://kind.sigs.k8s.io/dl/${INSTALL_VERSIONS.kind}/kind-${target.os}-${target.cpu} && chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind`
        : undefined;
    },
  },
  kubectl: {
    name: "kubectl",
    // Kubernetes' version-skew policy: kubectl within one minor version of the API server, which
    // runs the node image's Kubernetes (versions.json kindNodeImage, v1.36.x → 1.35.0).
    minVersion: kubectlMinimum(versions.kindNodeImage),
    versionArgs: ["version", "--client", "-o", "json"],
    install: "install kubectl: https://kubernetes.io/docs/tasks/tools/",
    installCommand: (os) => {
      const target = releaseTarget(os);
      return target
        ? `curl -fsSLO https://dl.k8s.io/release/${INSTALL_VERSIONS.kubectl}/bin/${target.os}/${target.cpu}/kubectl && sudo install -m 0755 kubectl /usr/local/bin/kubectl && rm kubectl`
        : undefined;
    },
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
