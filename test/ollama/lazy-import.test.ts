// CLI start-up must not load the `ollama` package: src/ollama/client.ts imports it on the first call.
// Checked in a fresh Node process (vitest's own module graph would hide a static import behind its
// transform cache), with a resolve hook recording every file resolved from node_modules/ollama.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const probe = fileURLToPath(new URL("fixtures/module-load-probe.mjs", import.meta.url));

interface ProbeReport {
  afterImport: string[];
  afterCreate?: string[];
  version?: string;
  afterCall?: string[];
}

async function probeModule(modulePath: string, host: string): Promise<ProbeReport> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", probe, modulePath, host], {
    cwd: repoRoot,
    timeout: 15_000,
  });
  return JSON.parse(stdout) as ProbeReport;
}

let fake: FakeOllama;
beforeEach(async () => {
  fake = await startFakeOllama();
});
afterEach(async () => {
  await fake.close();
});

describe("loading src/ollama/client.ts", () => {
  it("does not load the ollama package until a method is called", async () => {
    const report = await probeModule(
      fileURLToPath(new URL("../../src/ollama/client.ts", import.meta.url)),
      fake.url,
    );
    expect(report.afterImport).toEqual([]);
    expect(report.afterCreate).toEqual([]);
    expect(report.version).toBe("0.6.5");
    expect(report.afterCall).toContainEqual(
      expect.stringMatching(/\/node_modules\/ollama\/dist\/index\.mjs$/),
    );
  });

  it("the probe does see a static import of the package (control)", async () => {
    const report = await probeModule(
      fileURLToPath(new URL("fixtures/eager-import.ts", import.meta.url)),
      fake.url,
    );
    expect(report.afterImport).toContainEqual(expect.stringMatching(/\/node_modules\/ollama\//));
  });
});
