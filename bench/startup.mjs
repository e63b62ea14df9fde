// Start-up benchmark: median wall time of `sre-lab --help` against `node -e 0` (the floor any Node
// CLI pays), interleaved over repeated runs. Target: at most 1.5x. Run after `npm run build`:
//   node bench/startup.mjs [runs]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const TARGET_RATIO = 1.5;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin/sre-lab.js");
const runs = Number(process.argv[2] ?? 40);

if (!existsSync(join(root, "dist/cli.js"))) {
  console.error("bench/startup: dist/ is missing; run `npm run build` first");
  process.exit(2);
}

function time(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: "ignore" });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// Warm the OS file cache and Node's compile cache once before measuring.
time(["-e", "0"]);
time([bin, "--help"]);

const baseline = [];
const help = [];
for (let i = 0; i < runs; i++) {
  baseline.push(time(["-e", "0"]));
  help.push(time([bin, "--help"]));
}
const base = median(baseline);
const cli = median(help);
const ratio = cli / base;
const rows = [
  ["command", "median ms"],
  ["node -e 0", base.toFixed(1)],
  ["sre-lab --help", cli.toFixed(1)],
];
for (const [a, b] of rows) console.log(`${a.padEnd(16)} ${b.padStart(10)}`);
console.log(
  `ratio ${ratio.toFixed(2)}x over ${runs} runs (target <= ${TARGET_RATIO}x): ${ratio <= TARGET_RATIO ? "ok" : "OVER TARGET"}`,
);
process.exitCode = ratio <= TARGET_RATIO ? 0 : 1;
