/**
 * The package as npm would install it, built from the current source into a temp dir: package.json,
 * bin/ and a fresh dist/ (scripts/build.mjs --outdir), with node_modules and the package's data
 * folders (kind/, manifests/, app/, examples/) linked from the work tree. Tests that run the real bin
 * use it instead of rebuilding the work tree's dist/, which other suites may be reading meanwhile
 * (test/readme-try.test.ts runs the dist/ that `npm test` built), and it works in a fresh clone where
 * no dist/ exists yet.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

export interface BuiltPackage {
  dir: string;
  /** `<dir>/bin/sre-lab.js`, which runs `<dir>/dist/cli.js`. */
  bin: string;
  cleanup(): void;
}

export function buildPackage(): BuiltPackage {
  const dir = mkdtempSync(join(tmpdir(), "sre-lab-package-"));
  mkdirSync(join(dir, "bin"));
  copyFileSync(join(root, "package.json"), join(dir, "package.json"));
  copyFileSync(join(root, "bin/sre-lab.js"), join(dir, "bin/sre-lab.js"));
  for (const linked of ["node_modules", "kind", "manifests", "app", "examples"]) {
    symlinkSync(join(root, linked), join(dir, linked));
  }
  const build = spawnSync(
    process.execPath,
    [join(root, "scripts/build.mjs"), `--outdir=${join(dir, "dist")}`],
    {
      encoding: "utf8",
    },
  );
  if (build.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`scripts/build.mjs failed (exit ${build.status}):\n${build.stderr}`);
  }
  return {
    dir,
    bin: join(dir, "bin/sre-lab.js"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
