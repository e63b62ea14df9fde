/**
 * Docker Desktop: the inotify limits that matter live in its VM, so `up` sets them through a
 * throw-away container of the node image. The fake docker applies the image's real ENTRYPOINT
 * (kind's init wrapper), so a `docker run IMAGE sysctl …` would not match: only `--entrypoint sysctl`.
 */
import { afterEach, expect, it } from "vitest";
import versions from "../../versions.json" with { type: "json" };
import type { FakeRule } from "../harness/fake-tools/index.js";
import * as rec from "../harness/fake-tools/recordings.js";
import { fakeHost, runCli } from "../support/cli.js";
import { type FakeLab, startFakeLab } from "../support/fake-lab.js";
import { freshLabRules } from "../support/lab-rules.js";
import { healthyMachineRules } from "../support/machine.js";

const KEYS = ["fs.inotify.max_user_watches", "fs.inotify.max_user_instances"];
const LIMITS = ["fs.inotify.max_user_watches=524288", "fs.inotify.max_user_instances=512"];

let lab: FakeLab;
afterEach(async () => {
  await lab.close();
});

/** A first `up` on a Mac with Docker Desktop, its VM's limits low. */
function desktopRules(lab: FakeLab): FakeRule[] {
  const linuxOnly = (r: FakeRule) =>
    r.tool === "sysctl" || r.tool === "sudo" || (r.tool === "docker" && r.args?.[0] === "info");
  return [
    {
      tool: "docker",
      args: ["info", "--format", "{{json .}}"],
      stdout: rec.dockerInfoJson({ desktop: true }),
    },
    {
      tool: "docker",
      image: versions.kindNodeImage,
      process: ["sysctl", "-n", ...KEYS],
      privileged: false,
      stdout: "8192\n128\n",
    },
    {
      tool: "docker",
      image: versions.kindNodeImage,
      process: ["sysctl", "-w", ...LIMITS],
      privileged: true,
      stdout: `${LIMITS.join("\n")}\n`,
    },
    {
      tool: "docker",
      image: versions.kindNodeImage,
      process: ["sysctl", "-n", ...KEYS],
      privileged: false,
      stdout: "524288\n512\n",
    },
    ...freshLabRules(lab).filter((r) => !linuxOnly(r)),
  ];
}

it("on Docker Desktop, sets the VM's inotify limits with --entrypoint sysctl (the node image's entrypoint is init)", async () => {
  lab = await startFakeLab();
  lab.tools.expect(...desktopRules(lab));
  const run = await runCli(["up", "--yes"], {
    path: lab.tools.path,
    env: lab.env,
    host: fakeHost({ platform: "darwin" }),
  });
  expect(run.stderr).not.toContain("error:");
  expect(run.code).toBe(0);
  lab.tools.assertNoUnexpectedCalls();
  lab.tools.assertAllUsed();
  expect(run.stderr).toContain(
    "✓ Host inotify limits: max_user_watches=8192, max_user_instances=128 → max_user_watches=524288, max_user_instances=512 in Docker Desktop's VM",
  );
  // What ran in the containers: sysctl itself, never kind's init.
  const processes = lab.tools
    .calls()
    .filter((c) => c.tool === "docker" && c.args.includes(versions.kindNodeImage))
    .map((c) => c.process?.join(" "));
  expect(processes).toEqual([
    `sysctl -n ${KEYS.join(" ")}`,
    `sysctl -w ${LIMITS.join(" ")}`,
    `sysctl -n ${KEYS.join(" ")}`,
  ]);
  // Nothing on the Mac itself was changed through sudo.
  expect(lab.tools.commandLines().filter((l) => l.startsWith("sudo") || l.startsWith("sysctl"))).toEqual([]);
});

it("--dry-run shows the same Docker Desktop command the step runs", async () => {
  lab = await startFakeLab();
  lab.tools.expect(
    ...healthyMachineRules({
      dockerInfo: { stdout: rec.dockerInfoJson({ desktop: true }) },
      sysctl: { times: 0 },
    }),
  );
  const run = await runCli(["up", "--dry-run"], {
    path: lab.tools.path,
    env: lab.env,
    host: fakeHost({ platform: "darwin" }),
  });
  expect(run.code).toBe(0);
  lab.tools.assertNoUnexpectedCalls();
  expect(run.stdout).toContain(
    `docker run --rm --privileged --entrypoint sysctl ${versions.kindNodeImage} -w ${LIMITS.join(" ")}`,
  );
});
