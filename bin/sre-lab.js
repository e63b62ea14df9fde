#!/usr/bin/env node
// Entry point: refuse old Node with a clear line, enable the compile cache for fast start, run the CLI.
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  process.stderr.write(
    `error: sre-lab needs Node.js 22 or newer; this is ${process.version}\nhint: install Node.js 22 LTS (https://nodejs.org) and run again\n`,
  );
  process.exit(1);
}
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
const { main } = await import("../dist/cli.js");
process.exitCode = await main(process.argv.slice(2));
