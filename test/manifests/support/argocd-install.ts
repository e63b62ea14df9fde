/**
 * manifests/argocd pulls Argo CD's upstream install.yaml by URL, which the offline test run cannot
 * fetch. To still render the kustomization (and prove every patch lands on a real container), the
 * URL is swapped for a stub holding the workloads of that release's install.yaml: their kinds,
 * names, labels and container names, which is all the patches match on.
 *
 * The stub describes Argo CD v3.5.1 (manifests/install.yaml at that tag). When bumping Argo CD,
 * update it from the new install.yaml (docs/versions.md) and check on a networked machine that
 * `kubectl kustomize manifests/argocd` still renders.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { type K8sObject, kustomize, MANIFESTS } from "./lab.js";

export const STUB_ARGOCD_VERSION = "v3.5.1";

interface StubWorkload {
  kind: "Deployment" | "StatefulSet";
  name: string;
  initContainers: string[];
  containers: string[];
}

export const UPSTREAM_WORKLOADS: StubWorkload[] = [
  {
    kind: "StatefulSet",
    name: "argocd-application-controller",
    initContainers: [],
    containers: ["argocd-application-controller"],
  },
  {
    kind: "Deployment",
    name: "argocd-applicationset-controller",
    initContainers: [],
    containers: ["argocd-applicationset-controller"],
  },
  { kind: "Deployment", name: "argocd-dex-server", initContainers: ["copyutil"], containers: ["dex"] },
  {
    kind: "Deployment",
    name: "argocd-notifications-controller",
    initContainers: [],
    containers: ["argocd-notifications-controller"],
  },
  { kind: "Deployment", name: "argocd-redis", initContainers: ["secret-init"], containers: ["redis"] },
  {
    kind: "Deployment",
    name: "argocd-repo-server",
    initContainers: ["copyutil"],
    containers: ["argocd-repo-server"],
  },
  { kind: "Deployment", name: "argocd-server", initContainers: [], containers: ["argocd-server"] },
];

function stubObjects(): unknown[] {
  const image = `quay.io/argoproj/argocd:${STUB_ARGOCD_VERSION}`;
  const container = (name: string) => ({ name, image });
  const workloads = UPSTREAM_WORKLOADS.map((w) => ({
    apiVersion: "apps/v1",
    kind: w.kind,
    metadata: { name: w.name, labels: { "app.kubernetes.io/name": w.name } },
    spec: {
      ...(w.kind === "StatefulSet" ? { serviceName: w.name, replicas: 1 } : {}),
      selector: { matchLabels: { "app.kubernetes.io/name": w.name } },
      template: {
        metadata: { labels: { "app.kubernetes.io/name": w.name } },
        spec: {
          ...(w.initContainers.length > 0 ? { initContainers: w.initContainers.map(container) } : {}),
          containers: w.containers.map(container),
        },
      },
    },
  }));
  return [
    ...workloads,
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "argocd-cmd-params-cm" } },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "argocd-server" },
      spec: {
        selector: { "app.kubernetes.io/name": "argocd-server" },
        ports: [{ name: "https", port: 443, targetPort: 8080 }],
      },
    },
  ];
}

/**
 * Renders manifests/argocd with `installManifestURL` replaced by the stub. Throws if the
 * kustomization does not reference exactly that URL.
 */
export function renderArgoCdInstall(installManifestURL: string): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), "sre-lab-argocd-"));
  try {
    cpSync(join(MANIFESTS, "argocd"), dir, { recursive: true });
    const kustomizationPath = join(dir, "kustomization.yaml");
    const kustomization = readFileSync(kustomizationPath, "utf8");
    const line = `  - ${installManifestURL}\n`;
    if (!kustomization.includes(line)) {
      throw new Error(
        `manifests/argocd/kustomization.yaml does not list ${installManifestURL} as a resource`,
      );
    }
    writeFileSync(kustomizationPath, kustomization.replace(line, "  - upstream-install-stub.yaml\n"));
    writeFileSync(
      join(dir, "upstream-install-stub.yaml"),
      stubObjects()
        .map((o) => stringify(o))
        .join("---\n"),
    );
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
