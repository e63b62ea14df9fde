/**
 * Step 3: the local registry container (kind's documented local-registry pattern), and
 * step 5: the target app's image, built and pushed only when the registry lacks that build.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import versions from "../../../versions.json" with { type: "json" };
import type { Step } from "../../core/steps.js";
import { formatCommandLine } from "../../exec/command-line.js";
import { DEFAULT_PORTS, type LabPorts, REGISTRY } from "../config.js";
import { containerState } from "../docker.js";
import { labPaths } from "../paths.js";
import type { UpState } from "./options.js";

/** The command that creates the registry container (the step runs it; --dry-run prints it). */
export function registryRunArgv(ports: LabPorts = DEFAULT_PORTS): string[] {
  return [
    "docker",
    "run",
    "-d",
    "--restart=always",
    "-p",
    `127.0.0.1:${ports.registry}:${REGISTRY.port}`,
    "--name",
    REGISTRY.container,
    versions.images.registry,
  ];
}

export function registryStep(): Step<UpState> {
  return {
    id: "registry",
    title: "Local registry",
    async plan({ options, ports }) {
      return options.provider === "kind" ? [formatCommandLine(registryRunArgv(ports))] : ["skipped"];
    },
    async run({ ctx, options, ports }) {
      if (options.provider === "existing") return { status: "skipped", detail: "not a local kind cluster" };
      const state = await containerState(ctx, REGISTRY.container);
      const where = `${REGISTRY.container} on 127.0.0.1:${ports.registry}`;
      if (state === "running") return { status: "skipped", detail: `${where} is running` };
      if (state !== undefined) {
        await ctx.runner.run("docker", ["start", REGISTRY.container], { timeoutMs: 60_000 });
        return { status: "done", detail: `started ${where}` };
      }
      const [file, ...args] = registryRunArgv(ports);
      await ctx.runner.run(file!, args, { timeoutMs: 300_000 });
      return { status: "done", detail: `created ${where}` };
    },
  };
}

/** A hash of app/'s files, stamped on the image as a label: unchanged source, no rebuild. */
export function appSourceHash(dir = labPaths.app()): string {
  const hash = createHash("sha256");
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name === "tests" || entry.name === "__pycache__" || entry.name.startsWith(".pytest"))
        continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        hash.update(relative(dir, path)).update("\0").update(readFileSync(path)).update("\0");
    }
  };
  walk(dir);
  return hash.digest("hex").slice(0, 16);
}

export const SOURCE_HASH_LABEL = "sre-lab.dev/source-hash";

/**
 * The app image as the host pushes it: through the registry's host port. The cluster pulls it as
 * versions.json names it (`localhost:5001/…`), which containerd maps to the registry container.
 */
export function pushImageName(ports: LabPorts): string {
  return versions.images.targetApp.replace(`localhost:${REGISTRY.hostPort}/`, `localhost:${ports.registry}/`);
}

export function imageStep(): Step<UpState> {
  return {
    id: "image",
    title: "Target app image",
    async plan({ options, ports }) {
      if (options.provider !== "kind") return ["skipped"];
      const image = pushImageName(ports);
      return [`docker build -t ${image} ${labPaths.app()}`, `docker push ${image}`];
    },
    async run({ ctx, options, ports }) {
      const image = pushImageName(ports);
      if (options.provider === "existing") {
        return {
          status: "skipped",
          detail: `push ${image} to a registry your cluster can pull from (docker build -t ${image} app/)`,
        };
      }
      const hash = appSourceHash();
      // The image in the local Docker cache carries the source hash; the registry copy is checked by pushing
      // only when the local build is new (docker push of an existing digest uploads nothing).
      const inspect = await ctx.runner.run(
        "docker",
        ["image", "inspect", "--format", `{{ index .Config.Labels "${SOURCE_HASH_LABEL}" }}`, image],
        { allowFailure: true, timeoutMs: 15_000 },
      );
      const pushed = await ctx.runner.run("docker", ["manifest", "inspect", "--insecure", image], {
        allowFailure: true,
        timeoutMs: 30_000,
      });
      if (inspect.exitCode === 0 && inspect.stdout.trim() === hash && pushed.exitCode === 0) {
        return { status: "skipped", detail: `${image} is up to date (source ${hash})` };
      }
      await ctx.runner.run(
        "docker",
        ["build", "--label", `${SOURCE_HASH_LABEL}=${hash}`, "-t", image, labPaths.app()],
        { timeoutMs: 900_000 },
      );
      await ctx.runner.run("docker", ["push", image], { timeoutMs: 600_000 });
      return { status: "done", detail: `built and pushed ${image} (source ${hash})` };
    },
  };
}
