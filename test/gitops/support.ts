// Temp directory trees and the machine's GNU tar, for the gitops tests.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const made: string[] = [];

export function tempDir(prefix = "sre-lab-gitops-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes files (path → content; a path ending in "/" is an empty directory), in the order given. */
export function writeTree(root: string, files: Record<string, string | Buffer>): string {
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, ...path.split("/"));
    if (path.endsWith("/")) {
      mkdirSync(target, { recursive: true });
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
  return root;
}

/** Every file and directory under root: files → content, directories → "/" suffixed keys with "". */
export function readTree(root: string, relative = ""): Record<string, string> {
  const tree: Record<string, string> = {};
  for (const name of readdirSync(join(root, relative)).sort()) {
    const path = relative === "" ? name : `${relative}/${name}`;
    if (statSync(join(root, path)).isDirectory()) {
      tree[`${path}/`] = "";
      Object.assign(tree, readTree(root, path));
    } else {
      tree[path] = readFileSync(join(root, path)).toString("base64");
    }
  }
  return tree;
}

/** Runs the machine's tar (GNU tar 1.34 here) with an argv; throws with its stderr on failure. */
export function gnuTar(args: string[], input?: Buffer): string {
  return execFileSync("tar", args, { encoding: "utf8", ...(input === undefined ? {} : { input }) });
}

/** Extracts a .tar.gz with the system tar into a new directory and returns it. */
export function extractWithGnuTar(tarGz: Buffer): string {
  const dir = tempDir("sre-lab-extract-");
  const file = join(tempDir("sre-lab-archive-"), "layer.tar.gz");
  writeFileSync(file, tarGz);
  gnuTar(["-xzf", file, "-C", dir]);
  return dir;
}
