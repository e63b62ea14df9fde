// Builds dist/ with esbuild. Two entry points, bundled separately:
//  - dist/cli.js: the CLI. The small packages every start needs (commander, chalk) are bundled in,
//    so `--help` reads one file instead of resolving a dozen in node_modules; the heavy ones stay
//    external and are imported lazily. Command modules are split into chunks (lazy imports).
//  - dist/agent.js (when src/agent/main.ts exists): the in-cluster agent, one self-contained file
//    with no npm dependencies left to install, small enough for a ConfigMap.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// `--outdir=DIR` builds elsewhere (test/cli/cli.test.ts builds into a temp package, so the suite
// never rewrites the work tree's dist/ while another test reads it); the default is ./dist.
const outdirFlag = process.argv.slice(2).find((arg) => arg.startsWith("--outdir="));
const dist = outdirFlag ? resolve(outdirFlag.slice("--outdir=".length)) : join(root, "dist");
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

// commander loads node:child_process (~6 ms at every start) only to spawn "executable subcommands",
// which sre-lab never declares. Give commander a stub that fails loudly if that ever changes.
// Our own subprocesses go through execa, which loads the real module when a command needs it.
const commanderWithoutChildProcess = {
  name: "commander-without-child-process",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: "child_process", namespace: "commander-stub" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "commander-stub" }, () => ({
      contents:
        'export function spawn() { throw new Error("sre-lab: executable subcommands are not supported"); }\nexport default { spawn };',
      loader: "js",
    }));
  },
};

await build({
  ...common,
  absWorkingDir: root,
  plugins: [commanderWithoutChildProcess],
  entryPoints: { cli: "src/cli/main.ts" },
  outdir: dist,
  splitting: true,
  external: ["@kubernetes/client-node", "listr2", "ollama", "execa", "yaml"],
  // Less to parse at every start; identifiers are kept so --verbose stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
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
