/**
 * Packs a directory (the repo's manifests/) into the gzipped tarball that becomes the artifact's single
 * layer. The tarball's root is the directory's *content* (`bootstrap/Chart.yaml`, not
 * `manifests/bootstrap/Chart.yaml`), which is what Argo CD's `path` is resolved against: the docs'
 * equivalent is `tar -czf archive.tar.gz -C manifests .` (docs/user-guide/oci.md).
 *
 * Deterministic on purpose: entries sorted by name, every directory 0755 and file 0644, uid/gid 0, mtime
 * 0, and a fixed gzip header. The same content gives the same bytes, so an unchanged directory gives the
 * same digest and `publishArtifact` can skip the push. Only directories and regular files are packed; a
 * symlink or special file is an error rather than a silent difference between the lab and the directory.
 */
import type { Dirent } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { formatDecimalBytes } from "../core/units.js";
import { sha256Digest } from "./digest.js";
import { ManifestsPackError } from "./errors.js";
import { type TarEntry, TarFormatError, writeTar } from "./tar.js";

const gzipAsync = promisify(gzip);

/**
 * The repo-server's default limit on an artifact's extracted size: `--oci-manifest-max-extracted-size`
 * (ARGOCD_REPO_SERVER_OCI_MANIFEST_MAX_EXTRACTED_SIZE) defaults to "1G", a Kubernetes quantity, so 10^9
 * bytes (cmd/argocd-repo-server/commands/argocd_repo_server.go, v3.5.1). It applies to the tar stream.
 */
export const ARGOCD_MAX_EXTRACTED_BYTES = 1_000_000_000;

/** Byte 9 of a gzip header: the OS that wrote it. zlib writes its build platform; 255 is "unknown". */
const GZIP_OS_UNKNOWN = 255;

export interface PackEntryInfo {
  /** Relative to the packed directory, "/"-separated. */
  path: string;
  isDirectory: boolean;
}

export interface PackOptions {
  /**
   * Return true to leave an entry (and, for a directory, everything under it) out.
   * Default `defaultPackExclude`: VCS folders and editor/OS litter, so opening a file in an editor
   * does not change the digest.
   */
  exclude?: (entry: PackEntryInfo) => boolean;
  /** Refuse a tarball larger than this, uncompressed. Default ARGOCD_MAX_EXTRACTED_BYTES. */
  maxBytes?: number;
}

export interface PackedDirectory {
  /** The gzipped tarball: the artifact's layer. */
  bytes: Buffer;
  /** "sha256:<hex>" of `bytes`: the layer's digest. */
  digest: string;
  /** "sha256:<hex>" of the uncompressed tar: identifies the content whatever zlib's output. */
  contentDigest: string;
  /** Size of the uncompressed tar in bytes. */
  tarSize: number;
  /** The regular files packed, in archive order. */
  files: string[];
}

const LITTER = /^(?:\.DS_Store|Thumbs\.db|desktop\.ini|\.#.*|#.*#|.*~|.*\.sw[op])$/;
const VCS_DIRECTORIES = new Set([".git", ".hg", ".svn"]);

/** Skips VCS directories, macOS/Windows folder metadata, and editor swap, lock and backup files. */
export function defaultPackExclude(entry: PackEntryInfo): boolean {
  const name = entry.path.split("/").at(-1) ?? "";
  return entry.isDirectory ? VCS_DIRECTORIES.has(name) : LITTER.test(name);
}

/** Packs `dir` as described at the top of this module. Throws ManifestsPackError for content it will not pack. */
export async function packDirectory(dir: string, options: PackOptions = {}): Promise<PackedDirectory> {
  const exclude = options.exclude ?? defaultPackExclude;
  const maxBytes = options.maxBytes ?? ARGOCD_MAX_EXTRACTED_BYTES;
  const rootStat = await lstat(dir).catch((error: unknown) => {
    throw new ManifestsPackError(`cannot read the manifests directory ${dir}`, "", {
      hint: "run sre-lab from the repository root, or pass the directory that holds the manifests",
      cause: error,
    });
  });
  if (!rootStat.isDirectory()) {
    throw new ManifestsPackError(`${dir} is not a directory`, "", {
      hint: "pass the directory that holds the manifests",
    });
  }

  const entries: TarEntry[] = [];
  const files: string[] = [];
  let estimate = 2 * 512;

  async function walk(relative: string): Promise<void> {
    const absolute = relative === "" ? dir : join(dir, ...relative.split("/"));
    const children = await readdir(absolute, { withFileTypes: true });
    children.sort((a, b) => Buffer.compare(Buffer.from(a.name, "utf8"), Buffer.from(b.name, "utf8")));
    for (const child of children) {
      const path = relative === "" ? child.name : `${relative}/${child.name}`;
      const isDirectory = child.isDirectory();
      if (exclude({ path, isDirectory })) continue;
      if (isDirectory) {
        entries.push({ type: "directory", path });
        estimate += 512;
        await walk(path);
      } else if (child.isFile()) {
        const childPath = join(absolute, child.name);
        // Check the size before reading, so a stray multi-GB file fails fast instead of filling memory.
        const { size } = await lstat(childPath);
        estimate += 512 + Math.ceil(size / 512) * 512; // a lower bound; the tar's length is checked below
        if (estimate > maxBytes) throw tooLarge(path, maxBytes);
        entries.push({ type: "file", path, data: await readFile(childPath) });
        files.push(path);
      } else {
        throw unsupported(path, child);
      }
    }
  }
  await walk("");

  let tar: Buffer;
  try {
    tar = writeTar(entries);
  } catch (error) {
    if (error instanceof TarFormatError) {
      throw new ManifestsPackError(`cannot pack ${error.path}: ${error.message}`, error.path, {
        cause: error,
      });
    }
    throw error;
  }
  if (tar.length > maxBytes) throw tooLarge("", maxBytes);

  const bytes = await gzipAsync(tar, { level: 9 });
  bytes[9] = GZIP_OS_UNKNOWN;
  return { bytes, digest: sha256Digest(bytes), contentDigest: sha256Digest(tar), tarSize: tar.length, files };
}

function unsupported(path: string, entry: Dirent): ManifestsPackError {
  const kind = entry.isSymbolicLink() ? "a symlink" : "not a regular file or directory";
  return new ManifestsPackError(`cannot pack ${path}: it is ${kind}`, path, {
    hint: entry.isSymbolicLink()
      ? "replace the symlink with a copy of its target; the artifact carries only files and directories"
      : "remove it from the manifests directory",
  });
}

function tooLarge(path: string, maxBytes: number): ManifestsPackError {
  const where = path === "" ? "the manifests directory" : `the manifests directory (at ${path})`;
  return new ManifestsPackError(
    `${where} packs to more than ${formatDecimalBytes(maxBytes)}, more than Argo CD extracts`,
    path,
    {
      hint: "keep large files (images, data, binaries) out of the manifests directory; Argo CD's limit is the repo-server's --oci-manifest-max-extracted-size",
    },
  );
}
