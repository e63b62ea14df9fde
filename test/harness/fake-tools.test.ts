import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import versions from "../../versions.json" with { type: "json" };
import { createFakeTools, type FakeTools } from "./fake-tools/index.js";

const run = promisify(execFile);

describe("fake tools on PATH", () => {
  let fake: FakeTools;
  afterEach(() => fake.cleanup());

  async function invoke(tool: string, args: string[], input?: string) {
    const child = run(tool, args, { env: { PATH: fake.path } });
    child.child.stdin?.end(input ?? "");
    try {
      const { stdout, stderr } = await child;
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const e = error as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }

  it("replays the matching rule's output and exit code, and records argv and stdin", async () => {
    fake = createFakeTools().expect(
      { tool: "kind", args: ["get", "clusters"], stderr: "No kind clusters found.\n" },
      { tool: "docker", argsPrefix: ["info"], stderr: "Cannot connect\n", exitCode: 1 },
    );
    expect(await invoke("kind", ["get", "clusters"])).toEqual({
      stdout: "",
      stderr: "No kind clusters found.\n",
      code: 0,
    });
    expect((await invoke("docker", ["info", "--format", "{{json .}}"])).code).toBe(1);
    expect(fake.commandLines()).toEqual(["kind get clusters", "docker info --format {{json .}}"]);
    fake.assertNoUnexpectedCalls();
    fake.assertAllUsed();
  });

  it("docker run honours the image's ENTRYPOINT: arguments after the image go to it, not in its place", async () => {
    const nodeImage = versions.kindNodeImage;
    fake = createFakeTools().expect({
      tool: "docker",
      image: nodeImage,
      process: ["sysctl", "-n", "fs.inotify.max_user_watches"],
      stdout: "8192\n",
    });
    // The node image's ENTRYPOINT is kind's init wrapper: this would start init with "sysctl …" as arguments.
    const wrong = await invoke("docker", [
      "run",
      "--rm",
      nodeImage,
      "sysctl",
      "-n",
      "fs.inotify.max_user_watches",
    ]);
    expect(wrong.code).toBe(97);
    expect(wrong.stderr).toContain(
      "the container runs: /usr/local/bin/entrypoint /sbin/init sysctl -n fs.inotify.max_user_watches",
    );
    const right = await invoke("docker", [
      "run",
      "--rm",
      "--entrypoint",
      "sysctl",
      nodeImage,
      "-n",
      "fs.inotify.max_user_watches",
    ]);
    expect(right).toMatchObject({ code: 0, stdout: "8192\n" });
    expect(fake.calls().map((c) => c.process)).toEqual([
      ["/usr/local/bin/entrypoint", "/sbin/init", "sysctl", "-n", "fs.inotify.max_user_watches"],
      ["sysctl", "-n", "fs.inotify.max_user_watches"],
    ]);
  });

  it("docker run without arguments runs ENTRYPOINT + CMD; --privileged is matched when a rule asks", async () => {
    fake = createFakeTools()
      .images({ "example/app:1": { entrypoint: ["/entrypoint.sh"], cmd: ["serve"] } })
      .expect(
        { tool: "docker", image: "example/app:1", process: ["/entrypoint.sh", "serve"], privileged: false },
        { tool: "docker", image: "example/app:1", process: ["id"], privileged: true, stdout: "root\n" },
      );
    expect(
      (await invoke("docker", ["run", "-d", "--name", "x", "-p", "127.0.0.1:1:2", "example/app:1"])).code,
    ).toBe(0);
    expect((await invoke("docker", ["run", "--rm", "--entrypoint", "id", "example/app:1"])).code).toBe(97);
    expect(
      await invoke("docker", ["run", "--rm", "--privileged", "--entrypoint=id", "example/app:1"]),
    ).toMatchObject({
      code: 0,
      stdout: "root\n",
    });
  });

  it("fails a call no rule expects, and the harness reports it even if the caller ignored it", async () => {
    fake = createFakeTools().expect({ tool: "kind", args: ["get", "clusters"] });
    const result = await invoke("kind", ["delete", "cluster", "--name", "sre-lab"]);
    expect(result.code).toBe(97);
    expect(result.stderr).toContain("unexpected invocation: kind delete cluster --name sre-lab");
    expect(() => fake.assertNoUnexpectedCalls()).toThrow(/kind delete cluster --name sre-lab/);
    expect(() => fake.assertAllUsed()).toThrow(/kind get clusters/);
  });

  it("uses a rule only as many times as it says, then falls to the next match", async () => {
    fake = createFakeTools().expect(
      { tool: "kind", args: ["get", "clusters"], stderr: "No kind clusters found.\n" },
      { tool: "kind", args: ["get", "clusters"], stdout: "sre-lab\n", times: "any" },
    );
    expect((await invoke("kind", ["get", "clusters"])).stdout).toBe("");
    expect((await invoke("kind", ["get", "clusters"])).stdout).toBe("sre-lab\n");
    expect((await invoke("kind", ["get", "clusters"])).stdout).toBe("sre-lab\n");
  });

  it("records what was written to stdin", async () => {
    fake = createFakeTools().expect({ tool: "kubectl", args: ["apply", "-f", "-"] });
    await invoke("kubectl", ["apply", "-f", "-"], "kind: ConfigMap\n");
    expect(fake.calls()[0]?.stdin).toBe("kind: ConfigMap\n");
  });

  it("leaves a tool marked missing off PATH entirely, so nothing real can answer", async () => {
    fake = createFakeTools({ missing: ["helm"] });
    const error = await run("helm", ["version"], { env: { PATH: fake.path } }).catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe("ENOENT");
  });
});
