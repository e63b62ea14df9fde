/**
 * End to end against the fake lab: `up`, `status`, `open` and `down` with a KUBECONFIG list, with
 * --kubeconfig, and with custom host ports. The fake kind writes its context where real kind would
 * (kind v0.32.0's kubeconfig rules), so these tests see what a user would: which file was edited,
 * which context became current, where each UI answers, and that nothing of the lab is left.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { FakeRule } from "../harness/fake-tools/index.js";
import { cmd, labUpRules } from "../lab/down-world.js";
import { fakeHost, runCli } from "../support/cli.js";
import { type FakeLab, NODE_NAMES, startFakeLab } from "../support/fake-lab.js";
import { freshLabRules, hostsToml, image } from "../support/lab-rules.js";
import { healthyMachineRules } from "../support/machine.js";

interface Kubeconfig {
  "current-context"?: string;
  contexts?: { name: string }[] | null;
  clusters?: { name: string; cluster: { server: string } }[] | null;
}
const read = (file: string) => parse(readFileSync(file, "utf8")) as Kubeconfig;
const contexts = (file: string) => (read(file).contexts ?? []).map((c) => c.name).sort();

let lab: FakeLab;
afterEach(async () => {
  lab.tools.assertNoUnexpectedCalls();
  await lab.close();
});

/** up (fresh laptop), status, and down, with kind's and kubectl's extra arguments (--kubeconfig F). */
function lifecycleRules(lab: FakeLab, options: { kubeconfigArgs?: string[]; registryPort?: number } = {}) {
  const extra = options.kubeconfigArgs ?? [];
  const port = options.registryPort ?? 5001;
  const pushed = image.replace("localhost:5001/", `localhost:${port}/`);
  const up = freshLabRules(lab).map((rule): FakeRule => {
    if (rule.tool === "kind" && rule.args?.[0] === "create")
      return { ...rule, args: [...rule.args, ...extra] };
    if (rule.tool === "docker" && rule.args?.[0] === "manifest")
      return { ...rule, args: ["manifest", "inspect", "--insecure", pushed] };
    if (rule.tool === "docker" && rule.args?.[0] === "push") return { ...rule, args: ["push", pushed] };
    if (rule.tool === "kubectl" && rule.argsPrefix?.[0] === "--context") {
      return { ...rule, argsPrefix: [...extra, ...rule.argsPrefix] };
    }
    if (rule.tool === "kubectl" && rule.args?.[0] === "port-forward")
      return { ...rule, args: [...rule.args, ...extra] };
    return rule;
  });
  const secondRegistryName: FakeRule[] =
    port === 5001
      ? []
      : NODE_NAMES.flatMap((node): FakeRule[] => [
          {
            tool: "docker",
            args: ["exec", node, "cat", `/etc/containerd/certs.d/localhost:${port}/hosts.toml`],
            exitCode: 1,
          },
          {
            tool: "docker",
            args: [
              "exec",
              "-i",
              node,
              "sh",
              "-c",
              `mkdir -p /etc/containerd/certs.d/localhost:${port} && cat > /etc/containerd/certs.d/localhost:${port}/hosts.toml`,
            ],
          },
        ]);
  const down = labUpRules({
    kindDelete: { args: [...cmd.kindDelete, ...extra] },
    kubeconfigView: { args: [...cmd.kubeconfigView, ...extra] },
  });
  return [...up, ...secondRegistryName, ...down];
}

it("KUBECONFIG=a:b: kind writes the first existing file, duplicates merge as kubectl does, down cleans up", async () => {
  lab = await startFakeLab({ kindWritesKubeconfig: true });
  // Two files that both define "work" (kubectl: the first one wins; client-node alone would throw
  // "Duplicate cluster"), and a third that does not exist yet.
  const a = lab.api.writeKubeconfig(join(lab.home, "a"), { context: "work" });
  const b = lab.api.writeKubeconfig(join(lab.home, "b"), { context: "work" });
  const bConfig = read(b);
  bConfig.clusters![0]!.cluster.server = "https://127.0.0.1:1"; // never used: a's "work" wins
  writeFileSync(b, stringify(bConfig));
  const missing = join(lab.home, "c", "config");
  const env = { ...lab.env, KUBECONFIG: [missing, a, b].join(":") };
  lab.tools.expect(...lifecycleRules(lab));

  const up = await runCli(["up", "--yes"], { path: lab.tools.path, env });
  expect(up.stderr).not.toContain("error:");
  expect(up.code).toBe(0);
  expect(up.stdout).toContain(`kube context: kind-sre-lab (in ${a}, now the current context)`);
  expect(contexts(a)).toEqual(["kind-sre-lab", "work"]);
  expect(read(a)["current-context"]).toBe("kind-sre-lab");
  expect(contexts(b)).toEqual(["work"]);
  expect(existsSync(missing)).toBe(false);

  const status = await runCli(["status", "-o", "json"], { path: lab.tools.path, env });
  expect(status.stderr).not.toContain("Duplicate");
  expect(status.code).toBe(0);
  expect((JSON.parse(status.stdout) as { context: string }).context).toBe("kind-sre-lab");

  const open = await runCli(["open", "grafana"], {
    path: lab.tools.path,
    env,
    host: fakeHost({ canConnect: async (port) => port === 3000 }),
  });
  expect(open.code).toBe(0);
  expect(open.stdout).toMatch(/^grafana +http:\/\/127\.0\.0\.1:3000$/m);

  const down = await runCli(["down"], { path: lab.tools.path, env });
  expect(down.code).toBe(0);
  expect(down.stdout).toMatch(/^deleted +kind cluster sre-lab/m);
  expect(contexts(a)).toEqual(["work"]);
  expect(read(a)["current-context"]).toBe("");
  expect(contexts(b)).toEqual(["work"]);
  lab.tools.assertAllUsed();
});

it("--kubeconfig F: kind is given F too, so the context lands where status, open and down look", async () => {
  lab = await startFakeLab({ kindWritesKubeconfig: true });
  const file = join(lab.home, "lab.kubeconfig");
  const flag = ["--kubeconfig", file];
  lab.tools.expect(...lifecycleRules(lab, { kubeconfigArgs: flag }));

  const up = await runCli([...flag, "up", "--yes"], { path: lab.tools.path, env: lab.env });
  expect(up.stderr).not.toContain("error:");
  expect(up.code).toBe(0);
  expect(lab.tools.commandLines()).toContain(
    `kind create cluster --name sre-lab --config - --kubeconfig ${file}`,
  );
  expect(up.stdout).toContain(`kube context: kind-sre-lab (in ${file}, now the current context)`);
  expect(contexts(file)).toEqual(["kind-sre-lab"]);
  expect(existsSync(join(lab.home, ".kube", "config"))).toBe(false);

  const status = await runCli([...flag, "status"], { path: lab.tools.path, env: lab.env });
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^ *grafana +http:\/\/127\.0\.0\.1:3000$/m);

  const open = await runCli([...flag, "open", "argocd"], {
    path: lab.tools.path,
    env: lab.env,
    host: fakeHost({ canConnect: async (port) => port === 8443 }),
  });
  expect(open.code).toBe(0);
  expect(open.stdout).toMatch(/^argocd +https:\/\/127\.0\.0\.1:8443$/m);

  const down = await runCli([...flag, "down"], { path: lab.tools.path, env: lab.env });
  expect(down.code).toBe(0);
  expect(lab.tools.commandLines()).toContain(`kind delete cluster --name sre-lab --kubeconfig ${file}`);
  expect(contexts(file)).toEqual([]);
  expect(existsSync(join(lab.home, ".kube", "config"))).toBe(false);
  lab.tools.assertAllUsed();
});

it("custom host ports: a busy 3000 is no dead end; every command uses the ports the lab was made with", async () => {
  lab = await startFakeLab();
  lab.tools.expect(...lifecycleRules(lab, { registryPort: 5002 }));
  const host = fakeHost({ busyPorts: [3000], canConnect: async (port) => port === 3001 });
  const args = ["up", "--yes", "--host-port", "grafana=3001", "--host-port", "registry=5002"];

  const up = await runCli(args, { path: lab.tools.path, env: lab.env, host });
  expect(up.stderr).not.toContain("error:");
  expect(up.code).toBe(0);
  expect(up.stdout).toMatch(/^Grafana +http:\/\/127\.0\.0\.1:3001 /m);
  const create = lab.tools.calls().find((c) => c.tool === "kind" && c.args[0] === "create");
  const config = parse(create?.stdin ?? "") as {
    nodes: {
      labels?: Record<string, string>;
      extraPortMappings?: { containerPort: number; hostPort: number }[];
    }[];
  };
  expect(config.nodes[0]?.extraPortMappings?.find((m) => m.containerPort === 30300)?.hostPort).toBe(3001);
  expect(config.nodes.every((n) => n.labels?.["sre-lab.dev/host-port-grafana"] === "3001")).toBe(true);
  expect(lab.tools.commandLines()).toContain(
    "docker run -d --restart=always -p 127.0.0.1:5002:5000 --name sre-lab-registry docker.io/library/registry:3.1.1",
  );
  expect(lab.tools.commandLines()).toContain(`docker push ${image.replace("5001", "5002")}`);
  const wired = lab.tools
    .calls()
    .filter((c) => c.args[1] === "-i")
    .map((c) => c.stdin);
  expect(wired).toEqual(Array(6).fill(hostsToml));
  const hosting = lab.api.get<{ data: Record<string, string> }>(
    "v1",
    "ConfigMap",
    "kube-public",
    "local-registry-hosting",
  );
  expect(hosting?.data["localRegistryHosting.v1"]).toContain('host: "localhost:5002"');

  const status = await runCli(["status", "-o", "json"], { path: lab.tools.path, env: lab.env, host });
  expect(status.code).toBe(0);
  expect((JSON.parse(status.stdout) as { urls: { name: string; url: string }[] }).urls).toEqual([
    { name: "app", url: "http://127.0.0.1:8080" },
    { name: "grafana", url: "http://127.0.0.1:3001" },
    { name: "argocd", url: "https://127.0.0.1:8443" },
    { name: "prometheus", url: "http://127.0.0.1:9090" },
  ]);

  const open = await runCli(["open", "grafana"], { path: lab.tools.path, env: lab.env, host });
  expect(open.code).toBe(0);
  expect(open.stdout).toMatch(/^grafana +http:\/\/127\.0\.0\.1:3001$/m);

  const down = await runCli(["down", "-o", "json"], { path: lab.tools.path, env: lab.env, host });
  expect(down.code).toBe(0);
  expect((JSON.parse(down.stdout) as { deleted: { part: string }[] }).deleted.map((d) => d.part)).toEqual([
    "cluster",
    "registry",
    "network",
  ]);
  lab.tools.assertAllUsed();
});

it("a second up without --host-port keeps the ports the lab was made with (no 'different config')", async () => {
  lab = await startFakeLab();
  lab.tools.expect(...freshLabRules(lab));
  const host = fakeHost({ canConnect: async () => true });
  expect(
    (
      await runCli(["up", "--yes", "--host-port", "grafana=3001"], {
        path: lab.tools.path,
        env: lab.env,
        host,
      })
    ).code,
  ).toBe(0);
  // Now the lab is up: the preflight finds the cluster, reads its ports, and the cluster step reuses it.
  lab.tools.expect(...healthyMachineRules({ kindClusters: { stdout: "sre-lab\n", stderr: "" } }));
  const dry = await runCli(["up", "--dry-run"], { path: lab.tools.path, env: lab.env, host });
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain("grafana http://127.0.0.1:3001");
  expect(dry.stdout).toContain("hostPort: 3001");
});

it("the dry run says which kubeconfig kind will edit and that it switches the current context", async () => {
  lab = await startFakeLab({ kindWritesKubeconfig: true });
  const a = lab.api.writeKubeconfig(join(lab.home, "a"), { context: "work" });
  const missing = join(lab.home, "none", "config");
  lab.tools.expect(...healthyMachineRules(), ...healthyMachineRules());
  const listed = await runCli(["up", "--dry-run"], {
    path: lab.tools.path,
    env: { ...lab.env, KUBECONFIG: [missing, a].join(":") },
  });
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(`kind adds context kind-sre-lab to ${a} and makes it the current context`);
  const flagged = await runCli(["--kubeconfig", missing, "up", "--dry-run"], {
    path: lab.tools.path,
    env: lab.env,
  });
  expect(flagged.code).toBe(0);
  expect(flagged.stdout).toContain(
    `kind create cluster --name sre-lab --config - --kubeconfig ${missing} <<EOF`,
  );
  expect(flagged.stdout).toContain(
    `kind adds context kind-sre-lab to ${missing} and makes it the current context`,
  );
  expect(read(a)["current-context"]).toBe("work");
});
