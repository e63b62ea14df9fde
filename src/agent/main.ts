/**
 * Entry point of the in-cluster diagnose agent (bundled alone into dist/agent.js, shipped in a
 * ConfigMap and run by a stock Node image: `node /opt/sre-lab/agent.mjs`). Everything it says is an
 * NDJSON line on stdout; see protocol.ts. SIGTERM (the Job being deleted) stops it at once.
 */
import { runAgentProcess } from "./process.js";

const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => controller.abort());

process.exitCode = await runAgentProcess(
  process.env,
  (line) => process.stdout.write(line),
  controller.signal,
);
