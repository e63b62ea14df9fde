import { afterEach, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/core/errors.js";
import { formatCommandLine } from "../../src/exec/command-line.js";
import { CommandFailedError, createExecaRunner, ToolNotFoundError } from "../../src/exec/runner.js";
import { createFakeTools, type FakeTools } from "../harness/fake-tools/index.js";

describe("formatCommandLine", () => {
  it.each([
    [["kind", "get", "clusters"], "kind get clusters"],
    [["docker", "info", "--format", "{{json .}}"], "docker info --format '{{json .}}'"],
    [["sh", "-c", "echo it's"], `sh -c 'echo it'"'"'s'`],
    [["kubectl", ""], "kubectl ''"],
  ])("renders %j as a pasteable shell line", (argv, line) => {
    expect(formatCommandLine(argv)).toBe(line);
  });
});

describe("execa runner", () => {
  let fake: FakeTools;
  afterEach(() => fake?.cleanup());

  it("returns captured output and echoes the command line it runs", async () => {
    fake = createFakeTools().expect({
      tool: "kind",
      args: ["version"],
      stdout: "kind v0.29.0 go1.24.2 linux/amd64\n",
    });
    const echoed: string[] = [];
    const runner = createExecaRunner({ env: { PATH: fake.path }, echo: (l) => echoed.push(l) });
    const result = await runner.run("kind", ["version"]);
    expect(result.stdout).toBe("kind v0.29.0 go1.24.2 linux/amd64\n");
    expect(echoed).toEqual(["kind version"]);
  });

  it("throws CommandFailedError with the pasteable command and the output tail", async () => {
    fake = createFakeTools().expect({
      tool: "kind",
      argsPrefix: ["create", "cluster"],
      stderr:
        'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "sre-lab"\n',
      exitCode: 1,
    });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const error = await runner
      .run("kind", ["create", "cluster", "--name", "sre-lab", "--config", "/tmp/my cluster.yaml"])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    const failed = error as CommandFailedError;
    expect(failed.message).toBe("kind exited with code 1");
    expect(failed.commandLine).toBe("kind create cluster --name sre-lab --config '/tmp/my cluster.yaml'");
    expect(failed.details).toContain('node(s) already exist for a cluster with the name "sre-lab"');
    expect(failed.exitCode).toBe(1);
  });

  it("a failure with a purpose says what could not be done, in the tool's own words, with the hint", async () => {
    fake = createFakeTools().expect({
      tool: "kind",
      argsPrefix: ["create", "cluster"],
      // kind prints its progress before the line that matters.
      stderr:
        'Creating cluster "sre-lab" ...\n ✓ Ensuring node image (kindest/node:v1.33.1)\nERROR: failed to create cluster: \u001b[31mcommand "docker run" failed\u001b[0m\nStack Trace:\n  sigs.k8s.io/kind/pkg/errors.Wrap\n',
      exitCode: 1,
    });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const error = await runner
      .run("kind", ["create", "cluster", "--name", "sre-lab"], {
        purpose: "create the kind cluster",
        hint: "check that Docker has enough memory, then run sre-lab up again",
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    const failed = error as CommandFailedError;
    // The escape sequence is not passed to the terminal.
    expect(failed.message).toBe(
      'could not create the kind cluster: ERROR: failed to create cluster: command "docker run" failed',
    );
    expect(failed.hint).toBe("check that Docker has enough memory, then run sre-lab up again");
    expect(failed.details).toContain("command: kind create cluster --name sre-lab");
    expect(failed.details).toContain("sigs.k8s.io/kind/pkg/errors.Wrap");
    expect(failed.exitCode).toBe(1);
  });

  it("with a purpose and a silent tool, the exit code stands in for the tool's line", async () => {
    fake = createFakeTools().expect({ tool: "docker", argsPrefix: ["network"], exitCode: 3 });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const error = await runner
      .run("docker", ["network", "ls"], { purpose: "list Docker networks" })
      .catch((e: unknown) => e);
    expect((error as CommandFailedError).message).toBe(
      "could not list Docker networks: docker exited with code 3",
    );
    expect((error as CommandFailedError).hint).toBeUndefined();
  });

  it("a timeout with a purpose keeps the purpose and the caller's hint", async () => {
    fake = createFakeTools().expect({ tool: "kubectl", argsPrefix: ["wait"], hang: true });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const error = await runner
      .run("kubectl", ["wait", "--for=condition=Ready", "nodes", "--all"], {
        timeoutMs: 500,
        purpose: "wait for the nodes to be Ready",
        hint: "see why with kubectl describe nodes",
      })
      .catch((e: unknown) => e);
    expect((error as CommandFailedError).message).toBe(
      "could not wait for the nodes to be Ready: kubectl did not finish within 500ms and was stopped",
    );
    expect((error as CommandFailedError).hint).toBe("see why with kubectl describe nodes");
    expect((error as CommandFailedError).timedOut).toBe(true);
  });

  it("returns a non-zero exit as data when allowFailure is set", async () => {
    fake = createFakeTools().expect({
      tool: "docker",
      args: ["info"],
      stderr: "Cannot connect\n",
      exitCode: 1,
    });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const result = await runner.run("docker", ["info"], { allowFailure: true });
    expect(result).toMatchObject({ exitCode: 1, stderr: "Cannot connect\n" });
  });

  it("names the missing tool and how to install it", async () => {
    fake = createFakeTools({ missing: ["kind"] });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const error = await runner.run("kind", ["version"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolNotFoundError);
    expect((error as ToolNotFoundError).message).toBe("kind is not installed or not on PATH");
    expect((error as ToolNotFoundError).hint).toContain("https://kind.sigs.k8s.io/docs/user/quick-start/");
  });

  it("kills a command that outlives its timeout and says so", async () => {
    fake = createFakeTools().expect({ tool: "kubectl", argsPrefix: ["wait"], hang: true });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const error = await runner
      .run("kubectl", ["wait", "--for=condition=Ready", "nodes", "--all"], { timeoutMs: 500 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).message).toBe("kubectl did not finish within 500ms and was stopped");
    expect((error as CommandFailedError).timedOut).toBe(true);
  });

  it("stops the running process on Ctrl-C and throws InterruptedError (exit 130)", async () => {
    fake = createFakeTools().expect({
      tool: "kind",
      argsPrefix: ["create"],
      hang: true,
      stdout: "Creating cluster\n",
    });
    const controller = new AbortController();
    const runner = createExecaRunner({ env: { PATH: fake.path }, signal: controller.signal });
    const lines: string[] = [];
    const running = runner.run("kind", ["create", "cluster"], { onLine: (l) => lines.push(l) });
    await expect.poll(() => lines).toEqual(["Creating cluster"]);
    controller.abort();
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(130);
    await expect
      .poll(() => fake.signals())
      .toEqual([{ tool: "kind", args: ["create", "cluster"], signal: "SIGTERM" }]);
  });

  it("starts a long-running process, waits for its ready line, and stops it", async () => {
    fake = createFakeTools().expect({
      tool: "kubectl",
      argsPrefix: ["port-forward"],
      hang: true,
      stdout: "Forwarding from 127.0.0.1:41234 -> 3000\nForwarding from [::1]:41234 -> 3000\n",
    });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const forward = await runner.start("kubectl", [
      "port-forward",
      "-n",
      "monitoring",
      "svc/grafana",
      "0:80",
    ]);
    const match = await forward.waitForLine(/^Forwarding from 127\.0\.0\.1:(\d+) ->/, 5_000);
    expect(match[1]).toBe("41234");
    await forward.stop();
    expect(fake.signals()).toEqual([
      {
        tool: "kubectl",
        args: ["port-forward", "-n", "monitoring", "svc/grafana", "0:80"],
        signal: "SIGTERM",
      },
    ]);
  });

  it("reports a long-running process that dies before it is ready, with its output", async () => {
    fake = createFakeTools().expect({
      tool: "kubectl",
      argsPrefix: ["port-forward"],
      stderr: 'error: services "grafana" not found\n',
      exitCode: 1,
    });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    const forward = await runner.start("kubectl", ["port-forward", "svc/grafana", "0:80"]);
    const error = await forward.waitForLine(/^Forwarding from/, 5_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).message).toBe("kubectl exited with code 1 before it was ready");
    expect((error as CommandFailedError).details).toContain('services "grafana" not found');
  });

  it("says which tool is missing when a long-running one cannot start", async () => {
    fake = createFakeTools({ missing: ["kubectl"] });
    const runner = createExecaRunner({ env: { PATH: fake.path } });
    await expect(runner.start("kubectl", ["port-forward"])).rejects.toBeInstanceOf(ToolNotFoundError);
  });
});
