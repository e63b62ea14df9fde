import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createFakeTools } from "../harness/fake-tools/index.js";
import { labUpRules } from "../lab/down-world.js";
import { runCli } from "../support/cli.js";
import { type FakeLab, startFakeLab } from "../support/fake-lab.js";
import { freshLabRules } from "../support/lab-rules.js";

let lab: FakeLab;
afterEach(async () => {
  await lab.close();
});

it("up → status → down on one lab: what up made, status shows, and down removes", async () => {
  lab = await startFakeLab();
  lab.tools.expect(...freshLabRules(lab));
  const up = await runCli(["up", "--yes"], { path: lab.tools.path, env: lab.env });
  expect(up.code).toBe(0);
  lab.tools.assertNoUnexpectedCalls();

  const status = await runCli(["status", "-o", "json"], { path: lab.tools.path, env: lab.env });
  expect(status.code).toBe(0);
  const report = JSON.parse(status.stdout) as {
    context: string;
    nodes: { name: string; ready: boolean }[];
    applications: { name: string; sync: string; health: string }[];
  };
  expect(report.context).toBe("kind-sre-lab");
  expect(report.nodes.map((n) => [n.name, n.ready])).toEqual([
    ["sre-lab-control-plane", true],
    ["sre-lab-worker", true],
    ["sre-lab-worker2", true],
  ]);
  expect(report.applications.map((a) => `${a.name} ${a.sync}/${a.health}`).sort()).toEqual([
    "metrics-server Synced/Healthy",
    "monitoring Synced/Healthy",
    "ollama Synced/Healthy",
    "sre-lab Synced/Healthy",
    "target-app Synced/Healthy",
  ]);

  const downTools = createFakeTools().expect(...labUpRules());
  try {
    const down = await runCli(["down", "-o", "json"], {
      path: downTools.path,
      env: { ...lab.env, PATH: downTools.path },
    });
    expect(down.code).toBe(0);
    downTools.assertNoUnexpectedCalls();
    downTools.assertAllUsed();
    const result = JSON.parse(down.stdout) as {
      deleted: { part: string }[];
      kept: { part: string; name: string }[];
    };
    expect(result.deleted.map((d) => d.part)).toEqual(["cluster", "registry", "network"]);
    expect(result.kept).toEqual([
      expect.objectContaining({ part: "model-cache", name: join(lab.home, ".cache/sre-lab/ollama") }),
    ]);
  } finally {
    downTools.cleanup();
  }
});
