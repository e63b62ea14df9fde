import { readFileSync } from "node:fs";
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
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
