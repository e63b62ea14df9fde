import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
  version: string;
};

export default defineConfig({
  define: { __SRE_LAB_VERSION__: JSON.stringify(version) },
  test: {
    include: ["test/**/*.test.ts"],
    // The e2e script is run on its own (test/e2e/README.md), never by the unit suite.
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: on a 2-core machine (CI, the lab's
    // laptops) that is ONE worker, so the files ran one after another while most of them wait on
    // subprocesses, fake servers and timers. Two workers at least halve that wall time without
    // oversubscribing small machines; larger ones keep the default.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
