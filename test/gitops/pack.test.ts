// packDirectory: the same content always gives the same bytes, and what it writes is a tarball the
// machine's GNU tar (a reader nobody here wrote) lists and extracts exactly, long and non-ASCII names
// included. Argo CD's repo-server reads it with Go's archive/tar, which understands the same ustar+pax.
import { chmodSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ManifestsPackError } from "../../src/gitops/errors.js";
import { defaultPackExclude, packDirectory } from "../../src/gitops/pack.js";
import { extractWithGnuTar, gnuTar, readTree, removeTempDirs, tempDir, writeTree } from "./support.js";

afterEach(removeTempDirs);

const MANIFESTS = {
  "bootstrap/Chart.yaml": "apiVersion: v2\nname: bootstrap\nversion: 0.1.0\n",
  "bootstrap/templates/app.yaml": "kind: Application\n",
  "target-app/deployment.yaml": "kind: Deployment\nmetadata:\n  name: target-app\n",
  "target-app/kustomization.yaml": "resources:\n  - deployment.yaml\n",
  "root-application.yaml": "kind: Application\n",
};

function listing(tarGz: Buffer): string[] {
  const file = join(tempDir(), "a.tar.gz");
  writeFileSync(file, tarGz);
  return gnuTar(["-tzf", file]).trim().split("\n");
}

describe("determinism", () => {
  it("gives the same bytes and digest for the same content, whatever the order, mtimes and modes", async () => {
    const first = writeTree(tempDir(), MANIFESTS);
    const reversed = Object.fromEntries(Object.entries(MANIFESTS).reverse());
    const second = writeTree(tempDir(), reversed);
    utimesSync(join(second, "target-app/deployment.yaml"), new Date("2001-02-03"), new Date("2001-02-03"));
    utimesSync(join(second, "bootstrap"), new Date("2030-01-01"), new Date("2030-01-01"));
    chmodSync(join(second, "root-application.yaml"), 0o600);
    chmodSync(join(second, "bootstrap/Chart.yaml"), 0o755);

    const a = await packDirectory(first);
    const b = await packDirectory(second);
    expect(b.digest).toBe(a.digest);
    expect(b.contentDigest).toBe(a.contentDigest);
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Packing twice is stable too.
    expect((await packDirectory(first)).digest).toBe(a.digest);
  });

  it("changes the digest when a file's content, or its name, changes", async () => {
    const base = await packDirectory(writeTree(tempDir(), MANIFESTS));
    const edited = await packDirectory(
      writeTree(tempDir(), { ...MANIFESTS, "target-app/deployment.yaml": "kind: Deployment\n# edited\n" }),
    );
    const { "root-application.yaml": root, ...rest } = MANIFESTS;
    const renamed = await packDirectory(writeTree(tempDir(), { ...rest, "root-app.yaml": root }));
    expect(new Set([base.digest, edited.digest, renamed.digest]).size).toBe(3);
  });

  it("writes no machine detail into the archive: owner 0/0, mtime 0, fixed modes", async () => {
    const dir = writeTree(tempDir(), MANIFESTS);
    chmodSync(join(dir, "root-application.yaml"), 0o700);
    const packed = await packDirectory(dir);
    const file = join(tempDir(), "a.tar.gz");
    writeFileSync(file, packed.bytes);
    const verbose = gnuTar(["--numeric-owner", "--utc", "-tvzf", file]).trim().split("\n");
    for (const line of verbose) {
      expect(line).toMatch(/^(drwxr-xr-x|-rw-r--r--) 0\/0 +\d+ 1970-01-01 00:00 /);
    }
    // gzip header: mtime 0 and OS "unknown", so the platform that packed it does not show.
    expect([...packed.bytes.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(packed.bytes[9]).toBe(255);
  });
});

describe("format, checked with GNU tar", () => {
  it("lists the directory's content at the archive root, sorted, directories before their files", async () => {
    const packed = await packDirectory(writeTree(tempDir(), MANIFESTS));
    expect(listing(packed.bytes)).toEqual([
      "bootstrap/",
      "bootstrap/Chart.yaml",
      "bootstrap/templates/",
      "bootstrap/templates/app.yaml",
      "root-application.yaml",
      "target-app/",
      "target-app/deployment.yaml",
      "target-app/kustomization.yaml",
    ]);
    expect(packed.files).toEqual([
      "bootstrap/Chart.yaml",
      "bootstrap/templates/app.yaml",
      "root-application.yaml",
      "target-app/deployment.yaml",
      "target-app/kustomization.yaml",
    ]);
  });

  it("extracts byte for byte, empty directories and binary files included", async () => {
    const files = {
      ...MANIFESTS,
      "empty/": "",
      "monitoring/dashboards/lab.json": JSON.stringify({ panels: [] }),
      "binary.bin": Buffer.from([0, 1, 2, 255, 254, 0, 10, 13]),
      "exactly-512.txt": "x".repeat(512),
      "zero.txt": "",
    };
    const source = writeTree(tempDir(), files);
    const extracted = extractWithGnuTar((await packDirectory(source)).bytes);
    expect(readTree(extracted)).toEqual(readTree(source));
  });

  it("keeps long paths intact: ustar prefix split beyond 100 bytes, pax beyond that", async () => {
    const deep = `${"nested-directory/".repeat(8)}deployment.yaml`; // 151 bytes: fits prefix + name
    const longName = `${"n".repeat(180)}.yaml`; // one 185-byte component: needs pax
    const veryDeep = `${"d".repeat(120)}/${"e".repeat(120)}/${"f".repeat(120)}.yaml`; // 367 bytes
    const files = { [deep]: "deep\n", [`dir/${longName}`]: "long\n", [veryDeep]: "very deep\n" };
    const source = writeTree(tempDir(), files);
    const packed = await packDirectory(source);
    const listed = listing(packed.bytes);
    expect(listed).toContain(deep);
    expect(listed).toContain(`dir/${longName}`);
    expect(listed).toContain(veryDeep);
    expect(listed.some((line) => line.includes("PaxHeaders"))).toBe(false);
    expect(readTree(extractWithGnuTar(packed.bytes))).toEqual(readTree(source));
    // The pax path record is really there (what Go's archive/tar reads too).
    expect(gunzipSync(packed.bytes).toString("latin1")).toContain(` path=dir/${longName}\n`);
  });

  it("gets the ustar limits exactly right: 100-byte name, 155-byte prefix, one byte more goes pax", async () => {
    const files = {
      ["a".repeat(100)]: "name exactly 100\n",
      [`${"b".repeat(155)}/${"c".repeat(100)}`]: "prefix 155 + name 100\n",
      [`${"d".repeat(156)}/e`]: "prefix 156: pax\n",
      [`${"f".repeat(10)}/${"g".repeat(101)}`]: "last component 101: pax\n",
    };
    const source = writeTree(tempDir(), files);
    const packed = await packDirectory(source);
    const tar = gunzipSync(packed.bytes).toString("latin1");
    expect(tar).not.toContain(` path=${"a".repeat(100)}\n`);
    expect(tar).not.toContain(` path=${"b".repeat(155)}/${"c".repeat(100)}\n`);
    expect(tar).toContain(` path=${"d".repeat(156)}/e\n`);
    expect(tar).toContain(` path=${"f".repeat(10)}/${"g".repeat(101)}\n`);
    expect(listing(packed.bytes)).toEqual(expect.arrayContaining(Object.keys(files)));
    expect(readTree(extractWithGnuTar(packed.bytes))).toEqual(readTree(source));
  });

  it("keeps non-ASCII names", async () => {
    const source = writeTree(tempDir(), {
      "überprüfung.yaml": "a\n",
      "配置/値.yaml": "b\n",
      [`${"é".repeat(60)}.yaml`]: "c\n",
    });
    const packed = await packDirectory(source);
    expect(readTree(extractWithGnuTar(packed.bytes))).toEqual(readTree(source));
  });

  it("round-trips arbitrary trees of awkward names through GNU tar", async () => {
    const segment = fc
      .oneof(
        fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
        fc.stringMatching(/^[a-z]{40,130}$/),
        fc.constantFrom("ü", "配置", "a b", "x'y"),
      )
      .filter((s) => s !== "." && s !== "..");
    const filePath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join("/"));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(filePath, { minLength: 1, maxLength: 6 }), async (paths) => {
        // A path that is also a prefix directory of another would collide on disk; keep the tree valid.
        const valid = paths.filter((p) => !paths.some((q) => q !== p && q.startsWith(`${p}/`)));
        const source = writeTree(tempDir(), Object.fromEntries(valid.map((p, i) => [p, `file ${i}\n`])));
        const packed = await packDirectory(source);
        expect(readTree(extractWithGnuTar(packed.bytes))).toEqual(readTree(source));
      }),
      { numRuns: 25 },
    );
  });

  it("packs the repository's real manifests/ directory so that GNU tar restores it", async () => {
    const manifests = fileURLToPath(new URL("../../manifests", import.meta.url));
    const packed = await packDirectory(manifests);
    expect(packed.files).toContain("bootstrap/Chart.yaml");
    expect(packed.files).toContain("root-application.yaml");
    expect(readTree(extractWithGnuTar(packed.bytes))).toEqual(readTree(manifests));
  });
});

describe("what is left out, and what is refused", () => {
  it("leaves VCS folders and editor/OS litter out, so they do not change the digest", async () => {
    const clean = await packDirectory(writeTree(tempDir(), MANIFESTS));
    const littered = writeTree(tempDir(), {
      ...MANIFESTS,
      ".git/HEAD": "ref: refs/heads/main\n",
      ".DS_Store": "x",
      "target-app/.deployment.yaml.swp": "x",
      "target-app/deployment.yaml~": "x",
      "bootstrap/.#Chart.yaml": "x",
    });
    const packed = await packDirectory(littered);
    expect(packed.digest).toBe(clean.digest);
    expect(listing(packed.bytes).some((p) => p.includes(".git") || p.includes("~"))).toBe(false);
  });

  it("uses a custom exclude instead of the default one when given", async () => {
    const dir = writeTree(tempDir(), { ...MANIFESTS, "notes/README.md": "x", ".DS_Store": "x" });
    const packed = await packDirectory(dir, {
      exclude: (entry) => defaultPackExclude(entry) || entry.path === "notes",
    });
    expect(listing(packed.bytes)).not.toContain("notes/");
    expect(listing(packed.bytes)).not.toContain(".DS_Store");
  });

  it("refuses a symlink, naming it", async () => {
    const dir = writeTree(tempDir(), MANIFESTS);
    symlinkSync("deployment.yaml", join(dir, "target-app/link.yaml"));
    const error = await packDirectory(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestsPackError);
    expect(error).toMatchObject({
      path: "target-app/link.yaml",
      message: "cannot pack target-app/link.yaml: it is a symlink",
      exitCode: 2,
    });
    expect((error as ManifestsPackError).hint).toMatch(/copy/);
  });

  it("refuses a directory that would pack past the size limit, before reading it all", async () => {
    const dir = writeTree(tempDir(), { "small.yaml": "a\n", "big.bin": Buffer.alloc(4096) });
    const error = await packDirectory(dir, { maxBytes: 3000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestsPackError);
    expect((error as Error).message).toBe(
      "the manifests directory (at big.bin) packs to more than 3 kB, more than Argo CD extracts",
    );
  });

  it("says so when the directory is missing or not a directory", async () => {
    const missing = join(tempDir(), "nope");
    await expect(packDirectory(missing)).rejects.toThrow(`cannot read the manifests directory ${missing}`);
    const file = join(tempDir(), "file.yaml");
    writeFileSync(file, "x");
    await expect(packDirectory(file)).rejects.toThrow(`${file} is not a directory`);
  });
});
