import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OPEN_TARGETS } from "../../src/lab/open.js";
import { type FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver/index.js";
import { createFakeTools, type FakeRule, type FakeTools } from "../harness/fake-tools/index.js";
import { fakeHost, runCli } from "../support/cli.js";
import { ARGOCD_PASSWORD, GRAFANA_PASSWORD, seedLab } from "./seed.js";
import { hostAnswering, startCli, tempDir } from "./support.js";

const portForward = (service: string, ports: string, context = "kind-sre-lab", namespace = "monitoring") => [
  "port-forward",
  "--namespace",
  namespace,
  "--address",
  "127.0.0.1",
  `service/${service}`,
  ports,
  "--context",
  context,
];

/** kubectl port-forward as the real one behaves: one ready line, then it runs until stopped. */
const forwarding = (args: string[], local: number, target: number): FakeRule => ({
  tool: "kubectl",
  args,
  stdout: `Forwarding from 127.0.0.1:${local} -> ${target}\n`,
  hang: true,
});

describe("sre-lab open", () => {
  let api: FakeApiServer;
  let fake: FakeTools;
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    api = await startFakeApiServer();
    home = tempDir("home");
    env = { HOME: home, KUBECONFIG: api.writeKubeconfig(home) };
    seedLab(api);
    fake = createFakeTools();
  });
  afterEach(async () => {
    fake.assertNoUnexpectedCalls();
    fake.cleanup();
    await api.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("prints the lab's Grafana URL and the login from its Secret when the host port answers", async () => {
    const run = await runCli(["open", "grafana"], { path: fake.path, env, host: hostAnswering([3000]) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `grafana   http://127.0.0.1:3000\nuser      admin\npassword  ${GRAFANA_PASSWORD}\n`,
    );
    expect(run.stderr).toBe("served by the lab's host port (context kind-sre-lab)\n");
    expect(fake.calls()).toEqual([]);
  });

  it("prints Argo CD's HTTPS URL with admin and the initial password", async () => {
    const run = await runCli(["open", "argocd"], { path: fake.path, env, host: hostAnswering([8443]) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `argocd    https://127.0.0.1:8443\nuser      admin\npassword  ${ARGOCD_PASSWORD}\n`,
    );
  });

  it.each([
    ["prometheus", 9090, "http://127.0.0.1:9090"],
    ["app", 8080, "http://127.0.0.1:8080"],
  ])("prints %s's URL without credentials", async (target, port, url) => {
    const run = await runCli(["open", target], { path: fake.path, env, host: hostAnswering([port]) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${target}  ${url}\n`);
  });

  it("says why the Argo CD password is unknown once its initial Secret is gone", async () => {
    api.remove("v1", "Secret", "argocd", "argocd-initial-admin-secret");
    const run = await runCli(["open", "argocd"], { path: fake.path, env, host: hostAnswering([8443]) });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "password  unknown (Secret argocd/argocd-initial-admin-secret not found: Argo CD's initial password is gone",
    );
  });

  it("port-forwards when the host port does not answer, and Ctrl-C stops it with exit 130", async () => {
    const args = portForward("grafana", "3000:80");
    fake.expect(forwarding(args, 3000, 3000));
    const cli = startCli(["open", "grafana"], { path: fake.path, env, host: hostAnswering([]) });
    await expect.poll(cli.stdout, { timeout: 5_000 }).toContain("grafana   http://127.0.0.1:3000\n");
    expect(cli.stdout()).toContain(`password  ${GRAFANA_PASSWORD}\n`);
    expect(cli.stderr()).toContain(
      "port-forward to monitoring/grafana (context kind-sre-lab) is running; press Ctrl-C to stop it",
    );
    expect(fake.signals()).toEqual([]);
    cli.interrupt();
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("error: interrupted");
    expect(fake.signals()).toEqual([{ tool: "kubectl", args, signal: "SIGTERM" }]);
    fake.assertAllUsed();
  });

  it("port-forwards to another cluster even when the lab's port answers, with its context", async () => {
    const other = api.writeKubeconfig(join(home, "other"), { context: "staging" });
    const args = portForward("argocd-server", "8443:443", "staging", "argocd");
    fake.expect(forwarding(args, 8443, 8080));
    const cli = startCli(["open", "argocd"], {
      path: fake.path,
      env: { ...env, KUBECONFIG: other },
      host: hostAnswering([8443]),
    });
    await expect.poll(cli.stdout, { timeout: 5_000 }).toContain("argocd    https://127.0.0.1:8443\n");
    cli.interrupt();
    expect((await cli.done).code).toBe(130);
    expect(fake.signals()).toEqual([{ tool: "kubectl", args, signal: "SIGTERM" }]);
  });

  it("--port forwards on that port; a busy lab port lets kubectl choose one", async () => {
    const chosen = portForward("prometheus-server", "19090:80");
    fake.expect(forwarding(chosen, 19090, 9090));
    const withPort = startCli(["open", "prometheus", "--port", "19090"], {
      path: fake.path,
      env,
      host: hostAnswering([9090]),
    });
    await expect.poll(withPort.stdout, { timeout: 5_000 }).toBe("prometheus  http://127.0.0.1:19090\n");
    withPort.interrupt();
    expect((await withPort.done).code).toBe(130);

    const any = portForward("target-app", ":8080", "kind-sre-lab", "sre-lab-app");
    fake.expect(forwarding(any, 41873, 8080));
    const busy = startCli(["open", "app"], {
      path: fake.path,
      env,
      host: fakeHost({ busyPorts: [8080], canConnect: async () => false }),
    });
    await expect.poll(busy.stdout, { timeout: 5_000 }).toBe("app  http://127.0.0.1:41873\n");
    busy.interrupt();
    expect((await busy.done).code).toBe(130);
    expect(fake.signals().map((s) => s.args)).toEqual([chosen, any]);
  });

  it("fails with kubectl's reason when the port-forward ends on its own", async () => {
    fake.expect({
      tool: "kubectl",
      args: portForward("grafana", "3000:80"),
      stdout: "Forwarding from 127.0.0.1:3000 -> 3000\n",
      stderr:
        'E0512 10:01:02.123456   4242 portforward.go:413] "Unhandled Error" err="an error occurred forwarding 3000 -> 3000"\nerror: lost connection to pod\n',
      exitCode: 1,
      delayMs: 300,
    });
    const run = await runCli(["open", "grafana"], { path: fake.path, env, host: hostAnswering([]) });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("grafana   http://127.0.0.1:3000\n");
    expect(run.stderr).toContain(
      "error: the port-forward to monitoring/grafana:80 ended: error: lost connection to pod\n",
    );
  });

  it("says the Service is missing instead of starting a port-forward that cannot work", async () => {
    api.remove("v1", "Service", "monitoring", "grafana");
    const run = await runCli(["open", "grafana"], { path: fake.path, env, host: hostAnswering([]) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: there is no Service monitoring/grafana in context "kind-sre-lab"\n');
    expect(fake.calls()).toEqual([]);
  });

  it("--browser opens the URL with xdg-open, and warns when it cannot", async () => {
    const bin = join(home, "bin");
    mkdirSync(bin);
    const opened = join(home, "opened.txt");
    writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\necho "$@" >> '${opened}'\n`);
    chmodSync(join(bin, "xdg-open"), 0o755);
    const run = await runCli(["open", "grafana", "--browser"], {
      path: `${fake.path}:${bin}`,
      env,
      host: hostAnswering([3000]),
    });
    expect(run.code).toBe(0);
    expect(readFileSync(opened, "utf8")).toBe("http://127.0.0.1:3000\n");

    const without = await runCli(["open", "grafana", "--browser"], {
      path: fake.path,
      env,
      host: hostAnswering([3000]),
    });
    expect(without.code).toBe(0);
    expect(without.stderr).toContain(
      "warning: could not open a browser (xdg-open is not installed); open http://127.0.0.1:3000 yourself",
    );
    expect(existsSync(opened)).toBe(true);
  });

  it.each([
    [["open", "kibana"], "Allowed choices are grafana, argocd, prometheus, app."],
    [["open", "grafana", "--port", "70000"], "expected a port number from 1 to 65535."],
    [["open"], "error: missing required argument 'target'"],
  ])("exits 2 on a usage mistake: %j", async (args, message) => {
    const run = await runCli(args, { path: fake.path, env });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(message);
  });

  it("the CLI offers exactly the targets the flow knows", async () => {
    const run = await runCli(["open", "--help"]);
    expect(run.stdout).toContain(`(choices: ${OPEN_TARGETS.map((t) => `"${t}"`).join(", ")})`);
  });
});
