/**
 * The README's "Try it without a cluster" block, run as a new user would: its sre-lab line through
 * the package's own bin (what `npx sre-lab` runs in the clone), with no Docker, cluster or model.
 * Needs dist/ (`npm test` builds it first; alone: `npm run build`).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { analyze, parseBundle } from "../src/diagnose/index.js";

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
    expect(existsSync(join(root, "dist/cli.js")), "dist/ is missing: run npm run build").toBe(true);
    const line = tryItCommands()[1] ?? "";
    const started = performance.now();
    const result = await run(process.execPath, [join(root, "bin/sre-lab.js"), ...binArgs(line)], {
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
