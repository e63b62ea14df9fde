// Builds dist/ with esbuild. Two entry points, bundled separately:
//  - dist/cli.js: the CLI. The small packages every start needs (commander, chalk) are bundled in,
//    so `--help` reads one file instead of resolving a dozen in node_modules; the heavy ones stay
//    external and are imported lazily. Command modules are split into chunks (lazy imports).
//  - dist/agent.js (when src/agent/main.ts exists): the in-cluster agent, one self-contained file
//    with no npm dependencies left to install, small enough for a ConfigMap.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
rmSync(dist, { recursive: true, force: true });

const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const common = {
  define: { __SRE_LAB_VERSION__: JSON.stringify(version) },
  bundle: true,
  platform: "node",
  target: "node22",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
};

await build({
  ...common,
  absWorkingDir: root,
  entryPoints: { cli: "src/cli/main.ts" },
  outdir: dist,
  splitting: true,
  external: ["@kubernetes/client-node", "listr2", "ollama", "execa", "yaml"],
  chunkNames: "chunks/[name]-[hash]",
});

if (existsSync(join(root, "src/agent/main.ts"))) {
  await build({
    ...common,
    absWorkingDir: root,
    entryPoints: { agent: "src/agent/main.ts" },
    outdir: dist,
    sourcemap: false,
    minify: true,
    legalComments: "none",
  });
}
