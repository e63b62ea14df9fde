/**
 * The README's "Try it without a cluster" block, run as a new user would: its sre-lab line through
 * the package's own bin (what `npx sre-lab` runs in the clone), with no Docker, cluster or model.
 * The bin and a dist/ built from the current source come from a temp package
 * (test/support/built-package.ts), so the test never runs a stale or half-written work-tree dist/.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { analyze, parseBundle } from "../src/diagnose/index.js";
import { type BuiltPackage, buildPackage } from "./support/built-package.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const run = promisify(execFile);

function tryItCommands(): string[] {
  const section = readme.split("## Try it without a cluster")[1]?.split("\n## ")[0] ?? "";
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .trim()
    .split("\n")
    .map((l) => l.trim());
}

/** `npx sre-lab a b c` → the bin's argv; only plain words (no shell quoting) are expected. */
function binArgs(line: string): string[] {
  expect(line).toMatch(/^npx sre-lab [\w ./-]+$/);
  return line.replace(/^npx sre-lab /, "").split(/\s+/);
}

describe("README: try it without a cluster", () => {
  let built: BuiltPackage | undefined;
  afterAll(() => built?.cleanup());
  it("is two commands: install, then one diagnose of a shipped sample bundle", () => {
    const commands = tryItCommands();
    expect(commands).toEqual([
      "npm ci",
      expect.stringMatching(/^npx sre-lab diagnose --bundle examples\/bundles\/\S+\.json --no-ai$/),
    ]);
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toContain("examples/");
  });

  it("the diagnose line works as printed: the root cause and the fix, no cluster, no model, in seconds", async () => {
    built = buildPackage();
    const line = tryItCommands()[1] ?? "";
    const started = performance.now();
    // From the clone's root, as the README says, so the sample bundle's relative path holds.
    const result = await run(process.execPath, [built.bin, ...binArgs(line)], {
      cwd: root,
      // No Docker, kubectl or kubeconfig anywhere: only node itself.
      env: { PATH: dirname(process.execPath), HOME: "/nonexistent-home", NO_COLOR: "1" },
      timeout: 30_000,
    });
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(result.stdout).toMatch(
      /^Pod shop\/cart-6d5f7c8b9-x7k2p \(Running, node kind-worker, Deployment\/cart\)\n/,
    );
    expect(result.stdout).toContain("1. OOMKilled [critical] · container cart  ← root cause");
    expect(result.stdout).toContain(
      "kubectl -n shop set resources deployment/cart -c cart --limits=memory=192Mi",
    );
    expect(result.stderr).toContain("(no cluster is contacted)");
    expect(result.stderr).not.toMatch(/error|warning/i);
  });

  it("every sample bundle gives the root cause its README lists", () => {
    const table = readFileSync(join(root, "examples/bundles/README.md"), "utf8");
    const listed = [...table.matchAll(/^\| `([\w-]+\.json)` \| [^|]+ \| `(\w+)`/gm)].map((m) => [m[1], m[2]]);
    const files = readdirSync(join(root, "examples/bundles")).filter((f) => f.endsWith(".json"));
    expect(listed.map(([file]) => file).sort()).toEqual(files.sort());
    for (const [file, code] of listed) {
      const bundle = parseBundle(
        readFileSync(join(root, "examples/bundles", file ?? ""), "utf8"),
        file ?? "",
      );
      expect([file, analyze(bundle)[0]?.code]).toEqual([file, code]);
    }
  });
});
