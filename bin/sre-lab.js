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
const code = await main(process.argv.slice(2));
process.exitCode = code;
// A failed or interrupted command has said why; a request its deadline gave up on (a socket to an
// API server that never answers) must not keep the process alive. Let output drain, then exit.
if (code !== 0) setTimeout(() => process.exit(code), 1_000).unref();
