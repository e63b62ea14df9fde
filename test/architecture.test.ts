/**
 * The layers of src/ (scripts/check-imports.mjs): no folder imports a higher or sibling layer, no two
 * folders reach each other, and docs/architecture.md's code map lists the same folders and layers.
 * The checker itself is proved on small synthetic trees, so a green run means "checked", not "blind".
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { checkImports, importsOf, LAYERS } from "../scripts/check-imports.mjs";

const root = join(import.meta.dirname, "..");
const script = join(root, "scripts/check-imports.mjs");

describe("the import graph of src/", () => {
  it("has no upward, sibling or cyclic import between top-level folders, and no cycle between files", () => {
    const { problems } = checkImports(root);
    // One line per violation, so a failure reads as the list of imports to move.
    expect(problems.join("\n")).toBe("");
  });

  it("matches the code map in docs/architecture.md, folder for folder and layer for layer", () => {
    const doc = readFileSync(join(root, "docs/architecture.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Code map"));
    expect(section.startsWith("## Code map")).toBe(true);
    const rows = [...section.matchAll(/^\| `src\/([a-z-]+)\/` \| (\d+) \|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    const table = LAYERS.flatMap((layer, index) => layer.map((folder) => [folder, index]));
    expect(rows).toEqual(table);
  });
});

describe("subprocess adapters", () => {
  // kind runs only in its adapter (src/lab/kind.ts, the kind provider); docker in src/lab/docker.ts and
  // the provider files. Everyone else asks them, so each failure reads "could not <purpose>: …".
  const ADAPTERS = [/^src\/lab\/kind\.ts$/, /^src\/lab\/docker\.ts$/, /^src\/lab\/provider\//];
  const RAW_CALL = /\.(?:run|start)\(\s*["'](kind|docker)["']/g;

  function sources(dir: string): string[] {
    return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? sources(`${dir}/${entry.name}`)
        : entry.name.endsWith(".ts")
          ? [`${dir}/${entry.name}`]
          : [],
    );
  }

  it("no raw kind or docker call outside their adapters", () => {
    const raw = sources("src")
      .filter((file) => !ADAPTERS.some((adapter) => adapter.test(file)))
      .flatMap((file) =>
        [...readFileSync(join(root, file), "utf8").matchAll(RAW_CALL)].map((m) => `${file}: ${m[1]}`),
      );
    expect(raw).toEqual([]);
  });

  it("the pattern finds a raw call (so an empty list means none, not a blind check)", () => {
    expect([...'await ctx.runner.run("docker", ["ps"]);'.matchAll(RAW_CALL)].map((m) => m[1])).toEqual([
      "docker",
    ]);
    expect([...`runner.start('kind', args)`.matchAll(RAW_CALL)].map((m) => m[1])).toEqual(["kind"]);
  });
});

describe("the checker (scripts/check-imports.mjs) on a synthetic tree", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tree = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "sre-lab-imports-"));
    dirs.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };
  const clean = {
    "src/core/errors.ts": "export class E extends Error {}\n",
    "src/exec/runner.ts": 'import { E } from "../core/errors.js";\nexport const run = () => new E();\n',
    "src/lab/up/flow.ts": [
      'import type { E } from "../../core/errors.js";',
      '// import { main } from "../../cli/main.js";  (a comment, not an import)',
      'const url = "http://example.invalid/../cli/main.js";',
      'export const glob = "src/**/*.ts";',
      'export const load = () => import("../../exec/runner.js");',
      "export type T = E | typeof url;",
      "",
    ].join("\n"),
    "src/lab/config.ts": 'export * from "./up/flow.js";\nexport { name } from "node:path";\n',
    "src/cli/main.ts":
      'import { load } from "../lab/up/flow.js";\nimport "../core/errors.js";\nexport { load };\n',
  };

  it("passes a clean tree, with comments, URLs and globs in strings not taken for imports", () => {
    expect(checkImports(tree(clean)).problems).toEqual([]);
  });

  it("reports an upward import with file:line, the two layers and the rule", () => {
    const dir = tree({
      ...clean,
      "src/exec/tools.ts": 'export const a = 1;\n\nexport type { Artifact } from "../gitops/oci.js";\n',
    });
    expect(checkImports(dir).problems).toEqual([
      'src/exec/tools.ts:3: exec → gitops imports "../gitops/oci.js": upward (exec is layer 1, gitops is layer 2); a folder may import only from lower layers',
    ]);
  });

  it("reports type-only, dynamic and type-position imports like any other", () => {
    const dir = tree({
      ...clean,
      "src/core/a.ts": 'import type { X } from "../exec/runner.js";\nexport type X2 = X;\n',
      "src/core/b.ts": 'export const b = () => import("../kube/client.js");\n',
      "src/core/c.ts": 'export type C = import("../cli/main.js").T;\n',
    });
    const lines = checkImports(dir).problems.filter((line) => !line.startsWith("cycle"));
    expect(lines.map((line) => line.split(":").slice(0, 2).join(":"))).toEqual([
      "src/core/a.ts:1",
      "src/core/b.ts:1",
      "src/core/c.ts:1",
    ]);
  });

  it("reports a sibling import and the cycle each upward import closes", () => {
    const dir = tree({
      ...clean,
      "src/kube/client.ts": 'import { x } from "../ollama/client.js";\nexport const y = x;\n',
      "src/ollama/client.ts": 'export const x = 1;\nimport { y } from "../kube/client.js";\n',
      "src/core/clock.ts": 'import { run } from "../exec/runner.js";\nexport const c = run;\n',
    });
    const { problems } = checkImports(dir);
    expect(problems).toContain(
      'src/kube/client.ts:1: kube → ollama imports "../ollama/client.js": siblings on layer 2; neither may import the other',
    );
    expect(problems).toContain(
      "cycle between top-level folders: core → exec (src/core/clock.ts:1), exec → core (src/exec/runner.ts:1); break it by moving code down a layer",
    );
    expect(problems).toContain(
      "cycle between top-level folders: kube → ollama (src/kube/client.ts:1), ollama → kube (src/ollama/client.ts:2); break it by moving code down a layer",
    );
  });

  it("reports a cycle between two files of one folder, a lazy import() included (cli/main ↔ commands)", () => {
    const dir = tree({
      ...clean,
      "src/cli/commands/up.ts":
        'import type { OutputFormat } from "../main.js";\nexport type F = OutputFormat;\n',
      "src/cli/main.ts": `${clean["src/cli/main.ts"]}export type OutputFormat = "text";\nexport const up = () => import("./commands/up.js");\n`,
    });
    expect(checkImports(dir).problems).toEqual([
      "cycle between files: src/cli/commands/up.ts:1 → src/cli/main.ts:5 → src/cli/commands/up.ts; move what both need into a file both import",
    ]);
  });

  it("reports a folder of sources missing from the layer table, not a folder without sources", () => {
    const dir = tree({
      ...clean,
      "src/doctor/checks.ts": 'import "../lab/config.js";\n',
      "src/empty/README": "",
    });
    expect(checkImports(dir).problems).toEqual([
      "src/doctor/: not in the layer table (scripts/check-imports.mjs LAYERS)",
    ]);
  });

  it("as a command: one line per violation and exit code 1, or exit code 0 on a clean tree", async () => {
    const run = (dir: string) =>
      promisify(execFile)(process.execPath, [script, dir]).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const bad = await run(tree({ ...clean, "src/core/up.ts": 'import "../cli/main.js";\n' }));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("src/core/up.ts:1: core → cli");
    expect(bad.stdout).toContain("cycle between top-level folders: cli → core");
    const good = await run(tree(clean));
    expect(good).toEqual({ code: 0, stdout: expect.stringContaining("no upward") });
  });

  it("finds every specifier form with its line", () => {
    const source = [
      'import a from "./a.js";',
      "import {",
      "  b,",
      '} from "./b.js";',
      'export * as c from "./c.js";',
      'const d = await import("./d.js");',
      'import "./e.js";',
      'import x from "node:fs";',
    ].join("\n");
    expect(importsOf(source)).toEqual([
      { specifier: "./a.js", line: 1 },
      { specifier: "./b.js", line: 4 },
      { specifier: "./c.js", line: 5 },
      { specifier: "./d.js", line: 6 },
      { specifier: "./e.js", line: 7 },
    ]);
  });
});
