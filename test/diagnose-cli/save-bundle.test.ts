/**
 * `--save-bundle`: a bundle holds evidence, so it is written for the user only (0600), atomically
 * (temp file + rename/link, nothing partial, no temp left), and never over an existing file or the
 * input bundle without --force.
 */
import {
  copyFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SreLabError } from "../../src/core/errors.js";
import { writeBundleFile } from "../../src/diagnose/save-bundle.js";
import { tempDir } from "../agent/support.js";
import { fixturesDir } from "../diagnose/support.js";
import { runRecorded } from "./support.js";

let dir: string;
beforeEach(() => {
  dir = tempDir("save-bundle");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const input = join(fixturesDir, "oom-crashloop-with-liveness.json");
const offline = { KUBECONFIG: "/nonexistent/kubeconfig" };
const save = (from: string, to: string, ...args: string[]) =>
  runRecorded(["diagnose", "--bundle", from, "--no-ai", "--save-bundle", to, ...args], { env: offline });
const mode = (path: string) => statSync(path).mode & 0o777;

describe("--save-bundle", () => {
  it("writes the bundle readable by its owner only (0600), and leaves no temp file", async () => {
    const out = join(dir, "evidence.json");
    const run = await save(input, out);
    expect(run.code).toBe(0);
    expect(mode(out)).toBe(0o600);
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ kind: "EvidenceBundle" });
    expect(readdirSync(dir)).toEqual(["evidence.json"]);
  });

  it("never replaces an existing file without --force: exit 2 before any work, the file untouched", async () => {
    const out = join(dir, "notes.json");
    writeFileSync(out, "my notes\n", { mode: 0o644 });
    const run = await save(input, out);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: --save-bundle ${out} already exists\nhint: choose another file name, or pass --force to replace it\n`,
    );
    expect(run.stdout).toBe(""); // refused before the analysis
    expect(readFileSync(out, "utf8")).toBe("my notes\n");

    const forced = await save(input, out, "--force");
    expect(forced.code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain('"kind": "EvidenceBundle"');
    expect(mode(out)).toBe(0o600); // a new file, not the old one's 0644
    expect(readdirSync(dir)).toEqual(["notes.json"]);
  });

  it("never replaces the input bundle without --force", async () => {
    const copy = join(dir, "bundle.json");
    copyFileSync(input, copy);
    const before = readFileSync(copy, "utf8");
    const run = await save(copy, join(dir, ".", "bundle.json"));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `error: --save-bundle ${join(dir, "bundle.json")} is the input bundle (--bundle ${copy})`,
    );
    expect(run.stderr).toContain("hint: save to another file, or pass --force to replace the input");
    expect(readFileSync(copy, "utf8")).toBe(before);

    const forced = await save(copy, copy, "--force");
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(copy, "utf8"))).toMatchObject({ kind: "EvidenceBundle" });
  });

  it("--force replaces a symlink itself, never the file it points to", async () => {
    const elsewhere = join(dir, "precious.txt");
    writeFileSync(elsewhere, "do not touch\n");
    const link = join(dir, "out.json");
    symlinkSync(elsewhere, link);
    expect((await save(input, link)).code).toBe(2);
    expect((await save(input, link, "--force")).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readFileSync(elsewhere, "utf8")).toBe("do not touch\n");
  });

  it("a file that appears while the bundle is collected is left alone (no clobber at the last step)", () => {
    const out = join(dir, "late.json");
    writeFileSync(out, "arrived meanwhile\n");
    expect(() => writeBundleFile(out, "{}\n", false)).toThrow(SreLabError);
    expect(() => writeBundleFile(out, "{}\n", false)).toThrow(
      `${out} appeared while the bundle was being collected; it was left alone`,
    );
    expect(readFileSync(out, "utf8")).toBe("arrived meanwhile\n");
    expect(readdirSync(dir)).toEqual(["late.json"]);
    writeBundleFile(out, "{}\n", true);
    expect(readFileSync(out, "utf8")).toBe("{}\n");
    expect(existsSync(out) && mode(out)).toBe(0o600);
  });
});
