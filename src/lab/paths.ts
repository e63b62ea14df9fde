/** Where the package's own files (kind/, manifests/, app/) are, whether run from dist/ or from src/. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "sre-lab"
    ) {
      cached = dir;
      return dir;
    }
    dir = dirname(dir);
  }
  throw new Error("sre-lab: cannot find the package root (package.json named sre-lab)");
}

export const labPaths = {
  kindConfig: () => join(packageRoot(), "kind", "cluster.yaml"),
  registryHosts: () => join(packageRoot(), "kind", "registry-hosts.toml"),
  manifests: () => join(packageRoot(), "manifests"),
  argocdKustomization: () => join(packageRoot(), "manifests", "argocd"),
  rootApplication: () => join(packageRoot(), "manifests", "root-application.yaml"),
  app: () => join(packageRoot(), "app"),
};

/** The host directory that holds Ollama's models across `down`/`up` (--model-cache overrides it). */
export function defaultModelCache(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME ?? "/tmp", ".cache");
  return join(base, "sre-lab", "ollama");
}
