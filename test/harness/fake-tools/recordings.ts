/**
 * Outputs of the real tools, as they print them, for the fakes to replay.
 * kubectlVersionClientJsonOld was recorded on this machine; the others follow the tools' documented formats.
 */
import versions from "../../../versions.json" with { type: "json" };

/** `kubectl version --client -o json` of a kubectl inside the skew policy for the lab's 1.36 API server. */
export const kubectlVersionClientJson = `${JSON.stringify(
  {
    clientVersion: {
      major: "1",
      minor: "36",
      gitVersion: "v1.36.1",
      gitCommit: "8d3f1c6a2b9e4f7d0c5a1e3b6f9d2c4a7e0b5f18",
      gitTreeState: "clean",
      buildDate: "2026-05-14T10:21:07Z",
      goVersion: "go1.26.3",
      compiler: "gc",
      platform: "linux/amd64",
    },
    kustomizeVersion: "v5.7.1",
  },
  null,
  2,
)}\n`;

/** The kubectl recorded on this machine: 1.32, outside the skew policy for a 1.36 API server. */
export const kubectlVersionClientJsonOld = `${JSON.stringify(
  {
    clientVersion: {
      major: "1",
      minor: "32+",
      gitVersion: "v1.32.4-dispatcher",
      gitCommit: "4cb5f0764b8d5f425645c6f433394fede34a8a26",
      gitTreeState: "clean",
      buildDate: "2025-05-15T20:09:34Z",
      goVersion: "go1.23.8",
      compiler: "gc",
      platform: "linux/amd64",
    },
    kustomizeVersion: "v5.5.0",
  },
  null,
  2,
)}\n`;

/** The kind release versions.json pins (its default node image is the lab's). */
export const kindVersion = `kind ${versions.kind.version} go1.24.6 linux/amd64\n`;
export const kindVersionOld = "kind v0.20.0 go1.20.4 linux/amd64\n";
export const helmVersionShort = "v3.18.4+gd80839c\n";
export const dockerClientVersion = "28.2.2\n";

/** `kind get clusters` with none: the message goes to stderr and the exit code is 0. */
export const kindNoClusters = { stdout: "", stderr: "No kind clusters found.\n", exitCode: 0 };

export const dockerDaemonDown = {
  stdout: "",
  stderr:
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
  exitCode: 1,
};

export const dockerPermissionDenied = {
  stdout: "",
  stderr:
    'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info": dial unix /var/run/docker.sock: connect: permission denied\n',
  exitCode: 1,
};

const GiB = 1024 ** 3;

/** `docker info --format '{{json .}}'` (trimmed to the fields sre-lab reads, plus a few neighbours). */
export function dockerInfoJson(
  overrides: { desktop?: boolean; memGiB?: number; cpus?: number } = {},
): string {
  const desktop = overrides.desktop ?? false;
  return `${JSON.stringify({
    ID: "4d1c7f0e-2b8a-4a55-9a0e-6c1f5e2d8b31",
    Containers: 3,
    ContainersRunning: 3,
    Driver: "overlay2",
    CgroupDriver: "systemd",
    CgroupVersion: "2",
    KernelVersion: desktop ? "6.10.14-linuxkit" : "6.8.0-51-generic",
    OperatingSystem: desktop ? "Docker Desktop" : "Ubuntu 24.04.1 LTS",
    OSType: "linux",
    Architecture: "x86_64",
    NCPU: overrides.cpus ?? 8,
    MemTotal: Math.round((overrides.memGiB ?? 15.5) * GiB),
    Name: desktop ? "docker-desktop" : "laptop",
    ServerVersion: "28.2.2",
  })}\n`;
}

/**
 * The image configs `docker run` applies (ENTRYPOINT, CMD), for the fake docker. The kind node image:
 * kubernetes-sigs/kind v0.32.0 images/base/Dockerfile (`ENTRYPOINT [ "/usr/local/bin/entrypoint",
 * "/sbin/init" ]`, no CMD), kept by `kind build node-image` (pkg/build/nodeimage/buildcontext.go).
 * The registry: distribution/distribution-library-image Dockerfile (`ENTRYPOINT ["/entrypoint.sh"]`,
 * `CMD ["/etc/distribution/config.yml"]`).
 */
export const imageConfigs = {
  [versions.kindNodeImage]: { entrypoint: ["/usr/local/bin/entrypoint", "/sbin/init"] },
  [versions.images.registry]: { entrypoint: ["/entrypoint.sh"], cmd: ["/etc/distribution/config.yml"] },
};
