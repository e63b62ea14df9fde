/**
 * The host directory that holds Ollama's model store (mounted into the workers at
 * MODEL_CACHE_NODE_PATH), so phi3:mini survives `down`/`up`. `down --model-cache` takes the same
 * flag and default as `up --model-cache` (defaultModelCache in ./paths.ts).
 */
import { lstat, readdir, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { SreLabError, UsageError } from "../core/errors.js";
import { defaultModelCache } from "./paths.js";

/** The absolute cache directory for a `--model-cache` value (relative to the working directory). */
export function resolveModelCacheDir(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option ? resolve(option) : defaultModelCache(env);
}

export interface ModelCacheInfo {
  dir: string;
  exists: boolean;
  /** Total size of the files in it. */
  bytes: number;
}

export async function inspectModelCache(dir: string): Promise<ModelCacheInfo> {
  try {
    const stat = await lstat(dir);
    if (!stat.isDirectory()) return { dir, exists: false, bytes: 0 };
  } catch {
    return { dir, exists: false, bytes: 0 };
  }
  let bytes = 0;
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      bytes += (await lstat(join(entry.parentPath, entry.name))).size;
    }
  } catch {
    // An unreadable corner does not make the cache less real; report what could be summed.
  }
  return { dir, exists: true, bytes };
}

/** What Ollama keeps in OLLAMA_MODELS; anything else there means the path is not (only) a model cache. */
const MODEL_STORE_ENTRIES = new Set(["blobs", "manifests"]);

/**
 * Throws UsageError unless `dir` is safe to delete as a model cache: never `/`, the home directory or
 * one of its parents, and only Ollama's own entries inside (a mistyped `--model-cache ~/Documents
 * --purge` must not delete documents). A missing directory passes.
 */
export async function checkPurgeable(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const home = resolve(env.HOME || homedir());
  const target = resolve(dir);
  const fromTarget = relative(target, home);
  const isAncestorOfHome = fromTarget === "" || (!fromTarget.startsWith("..") && !fromTarget.startsWith(sep));
  if (target === resolve("/") || isAncestorOfHome) {
    throw new UsageError(`refusing to delete ${target}: it is not a model cache directory`, {
      hint: "pass the cache directory itself with --model-cache (default ~/.cache/sre-lab/ollama)",
    });
  }
  let names: string[];
  try {
    names = await readdir(target);
  } catch {
    return;
  }
  const foreign = names.filter((name) => !MODEL_STORE_ENTRIES.has(name) && !name.startsWith("."));
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? ", …" : "");
    throw new UsageError(`refusing to delete ${target}: it holds more than Ollama's models (${shown})`, {
      hint: `check --model-cache; if you really mean it, delete it yourself: rm -rf '${target}'`,
    });
  }
}

/** Deletes the cache directory after checkPurgeable. */
export async function purgeModelCache(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  await checkPurgeable(dir, env);
  const target = resolve(dir);
  try {
    await rm(target, { recursive: true, force: true, maxRetries: 2 });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new SreLabError(
      `could not delete the model cache ${target} (${code ?? (error as Error).message})`,
      {
        hint:
          code === "EACCES" || code === "EPERM"
            ? `some files belong to another user (Ollama ran with another UID); delete them with: sudo rm -rf '${target}'`
            : "check the path and its permissions, then run sre-lab down --purge again",
        cause: error,
      },
    );
  }
}
