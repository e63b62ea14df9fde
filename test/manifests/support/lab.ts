/**
 * Loads the lab's content the way the cluster will see it: kind/cluster.yaml, versions.json, and
 * for each Argo CD Application the objects it applies (kustomizations rendered with
 * `kubectl kustomize`, our own Helm templates rendered with helm-subset.ts) plus, for wrapper
 * charts, the values passed to the upstream charts (which cannot be rendered here; see
 * chart-values.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments, stringify } from "yaml";
import { renderTemplate } from "./helm-subset.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const MANIFESTS = join(ROOT, "manifests");
export const KIND_DIR = join(ROOT, "kind");

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface Versions {
  kind: { version: string };
  kindNodeImage: string;
  argocd: { version: string; installManifest: string };
  charts: Record<string, { repository: string; version: string }>;
  images: Record<string, string>;
  models: { ollama: string };
}

export function readVersions(): Versions {
  return JSON.parse(readFileSync(join(ROOT, "versions.json"), "utf8")) as Versions;
}

/** Parses every document of a YAML file, failing on any YAML error or warning. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const values: unknown[] = [];
  for (const document of list) {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) throw new Error(`${source}: ${problems.map((e) => e.message).join("; ")}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

export function readYaml(path: string): unknown[] {
  return parseYamlDocuments(readFileSync(path, "utf8"), relative(ROOT, path));
}

export function readYamlObject<T>(path: string): T {
  const [first] = readYaml(path);
  return first as T;
}

/** All files under `dir` (recursively), as absolute paths, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

export function asObjects(values: unknown[], source: string): K8sObject[] {
  return values.map((value) => {
    const object = value as Partial<K8sObject>;
    if (typeof object.apiVersion !== "string" || typeof object.kind !== "string" || !object.metadata?.name) {
      throw new Error(`${source}: not a Kubernetes object: ${JSON.stringify(value).slice(0, 120)}`);
    }
    return object as K8sObject;
  });
}

/** `kubectl kustomize DIR` (kubectl at /usr/bin/kubectl; works offline for local resources). */
export function kustomize(dir: string): K8sObject[] {
  const output = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 30_000 });
  return asObjects(parseYamlDocuments(output, `kubectl kustomize ${relative(ROOT, dir)}`), dir);
}

/**
 * Renders `base` (a kustomization directory) with extra kustomization fields, the way Argo CD
 * applies an Application's `kustomize.patches`: an overlay in a temporary directory.
 */
export function kustomizeWithOverlay(base: string, overlay: Record<string, unknown>): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), "sre-lab-kustomize-"));
  try {
    const kustomization = {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: [relative(dir, base)],
      ...overlay,
    };
    writeFileSync(join(dir, "kustomization.yaml"), stringify(kustomization));
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Renders a chart's templates/ with helm-subset.ts and the given values. */
export function renderChartTemplates(chartDir: string, values: Record<string, unknown>): K8sObject[] {
  const objects: K8sObject[] = [];
  const templates = join(chartDir, "templates");
  if (!statSync(templates, { throwIfNoEntry: false })?.isDirectory()) return objects;
  for (const file of listFiles(templates)) {
    const text = renderTemplate(readFileSync(file, "utf8"), { values, chartDir });
    objects.push(...asObjects(parseYamlDocuments(text, relative(ROOT, file)), file));
  }
  return objects;
}

export function readChartValues(chartDir: string): Record<string, unknown> {
  return (parse(readFileSync(join(chartDir, "values.yaml"), "utf8")) ?? {}) as Record<string, unknown>;
}

/** Deep merge as Helm merges values: maps merge, everything else is replaced. */
export function mergeValues(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    const bothMaps =
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === "object" &&
      !Array.isArray(current);
    out[key] = bothMaps
      ? mergeValues(current as Record<string, unknown>, value as Record<string, unknown>)
      : value;
  }
  return out;
}

// --- Argo CD Applications -------------------------------------------------------------------

export interface ApplicationSpec {
  project: string;
  source: {
    repoURL: string;
    targetRevision: string;
    path: string;
    helm?: {
      parameters?: Array<{ name: string; value: string; forceString?: boolean }>;
      valuesObject?: Record<string, unknown>;
    };
    kustomize?: { patches?: Array<{ target?: Record<string, string>; patch?: string }> };
  };
  destination: { server: string; namespace: string };
  syncPolicy?: {
    automated?: { prune?: boolean; selfHeal?: boolean };
    syncOptions?: string[];
    retry?: { limit?: number; backoff?: { duration?: string; factor?: number; maxDuration?: string } };
    managedNamespaceMetadata?: { labels?: Record<string, string> };
  };
}

export type Application = K8sObject & { spec: ApplicationSpec };

export const ROOT_APPLICATION = join(MANIFESTS, "root-application.yaml");
export const BOOTSTRAP_CHART = join(MANIFESTS, "bootstrap");

export function readRootApplication(): Application {
  return readYamlObject<Application>(ROOT_APPLICATION);
}

/** Where the root Application reads from: the OCI artifact (default) or a Git checkout. */
export interface ManifestSource {
  repoURL: string;
  targetRevision: string;
  /** Path of manifests/bootstrap inside the source. */
  bootstrapPath: string;
  /** Directory on disk that the source's root corresponds to. */
  root: string;
}

export const OCI_SOURCE: ManifestSource = {
  repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
  targetRevision: "0.1.0",
  bootstrapPath: "bootstrap",
  root: MANIFESTS,
};

export const GIT_SOURCE: ManifestSource = {
  repoURL: "https://github.com/example/sre-lab.git",
  targetRevision: "main",
  bootstrapPath: "manifests/bootstrap",
  root: ROOT,
};

/**
 * The Applications the bootstrap chart renders when the root Application reads `source`, as
 * Argo CD renders it: helm.valuesObject is merged over the chart's values.yaml, then
 * helm.parameters (with the build environment substituted) are set on top, like `--set-string`.
 * `valuesOverride` stands for values the CLI puts into helm.valuesObject.
 */
export function renderBootstrap(
  source: ManifestSource,
  valuesOverride: Record<string, unknown> = {},
): Application[] {
  const root = readRootApplication();
  const buildEnvironment: Record<string, string> = {
    ARGOCD_APP_SOURCE_REPO_URL: source.repoURL,
    ARGOCD_APP_SOURCE_TARGET_REVISION: source.targetRevision,
    ARGOCD_APP_SOURCE_PATH: source.bootstrapPath,
  };
  const parameters: Record<string, unknown> = {};
  for (const parameter of root.spec.source.helm?.parameters ?? []) {
    parameters[parameter.name] = parameter.value.replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
      const value = buildEnvironment[name];
      if (value === undefined) throw new Error(`root Application uses unknown build variable ${name}`);
      return value;
    });
  }
  let values = readChartValues(BOOTSTRAP_CHART);
  values = mergeValues(values, root.spec.source.helm?.valuesObject ?? {});
  values = mergeValues(values, valuesOverride);
  values = mergeValues(values, parameters);
  return renderChartTemplates(BOOTSTRAP_CHART, values) as Application[];
}

/** The directory an Application's path points at, for a given source. */
export function applicationDirectory(application: Application, source: ManifestSource): string {
  return resolve(source.root, application.spec.source.path);
}

/** Objects an Application applies (for Helm wrapper charts: only our own templates). */
export function renderApplication(
  application: Application,
  source: ManifestSource = OCI_SOURCE,
): K8sObject[] {
  const dir = applicationDirectory(application, source);
  const namespace = application.spec.destination.namespace;
  let objects: K8sObject[];
  if (statSync(join(dir, "kustomization.yaml"), { throwIfNoEntry: false })) {
    const patches = application.spec.source.kustomize?.patches;
    objects = patches === undefined ? kustomize(dir) : kustomizeWithOverlay(dir, { patches });
  } else {
    objects = renderChartTemplates(dir, readChartValues(dir));
  }
  // Argo CD puts namespaced objects without a namespace into the destination namespace.
  return objects.map((o) =>
    CLUSTER_SCOPED_KINDS.has(o.kind) || o.metadata.namespace !== undefined
      ? o
      : { ...o, metadata: { ...o.metadata, namespace } },
  );
}

const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "APIService",
  "PriorityClass",
  "StorageClass",
]);
