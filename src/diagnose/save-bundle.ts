/**
 * Writing `--save-bundle`: a bundle holds evidence (logs, env names, object specs), so it is written
 * for the user only (mode 0600), atomically (a temp file in the same directory, then a rename or
 * link), and never over an existing file without --force. Without --force the final step is a hard
 * link, which fails with EEXIST instead of replacing a file that appeared meanwhile.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { SreLabError, UsageError } from "../core/errors.js";

export const BUNDLE_FILE_MODE = 0o600;

/**
 * Checked before anything runs: an existing file (or the input bundle itself) needs --force.
 * `input` is the --bundle file, when there is one.
 */
export function checkSaveTarget(file: string, overwrite: boolean, input?: string): void {
  const path = resolve(file);
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    throw new UsageError(`--save-bundle ${file} is a directory`, {
      hint: "give a file name, e.g. bundle.json",
    });
  }
  if (overwrite) return;
  if (input !== undefined && existsSync(input) && sameFile(path, input)) {
    throw new UsageError(`--save-bundle ${file} is the input bundle (--bundle ${input})`, {
      hint: "save to another file, or pass --force to replace the input",
    });
  }
  throw new UsageError(`--save-bundle ${file} already exists`, {
    hint: "choose another file name, or pass --force to replace it",
  });
}

function sameFile(a: string, b: string): boolean {
  try {
    if (realpathSync(a) === realpathSync(b)) return true;
    const [sa, sb] = [statSync(a), statSync(b)];
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Writes `text` to `path` with mode 0600 through a temp file; replaces an existing file only when `overwrite`. */
export function writeBundleFile(path: string, text: string, overwrite: boolean): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", BUNDLE_FILE_MODE);
  try {
    try {
      writeSync(fd, text);
      // The umask cannot widen it, but a directory default ACL could: say it once more.
      fchmodSync(fd, BUNDLE_FILE_MODE);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (overwrite) renameSync(temp, path);
    else linkNoClobber(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

function linkNoClobber(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      throw new SreLabError(`${path} appeared while the bundle was being collected; it was left alone`, {
        hint: "choose another --save-bundle file name, or pass --force to replace it",
        cause: error,
      });
    }
    // File systems without hard links: check, then rename (a narrow race, but never a partial file).
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "EXDEV") {
      if (existsSync(path)) {
        throw new SreLabError(`${path} appeared while the bundle was being collected; it was left alone`, {
          hint: "choose another --save-bundle file name, or pass --force to replace it",
        });
      }
      renameSync(temp, path);
      return;
    }
    throw error;
  }
}
