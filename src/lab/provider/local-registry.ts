/**
 * The lab's local registry on this machine's Docker (kind's documented local-registry pattern) and
 * the target app's image pushed to it: the docker calls behind the kind provider's `registry`.
 */
import versions from "../../../versions.json" with { type: "json" };
import { formatCommandLine } from "../../exec/command-line.js";
import type { Context } from "../../runtime/context.js";
import { DEFAULT_PORTS, type LabPorts, REGISTRY } from "../config.js";
import { containerState } from "../docker.js";
import { labPaths } from "../paths.js";
import type { LocalRegistry } from "./types.js";

/** Stamped on the app image: unchanged source, no rebuild. */
export const SOURCE_HASH_LABEL = "sre-lab.dev/source-hash";

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

export const dockerRegistry: LocalRegistry = {
  planEnsure: (ports) => [formatCommandLine(registryRunArgv(ports))],
  planPushImage: (image) => [`docker build -t ${image} ${labPaths.app()}`, `docker push ${image}`],

  async ensure(ctx, ports) {
    const state = await containerState(ctx, REGISTRY.container);
    const where = `${REGISTRY.container} on 127.0.0.1:${ports.registry}`;
    if (state === "running") return undefined;
    if (state !== undefined) {
      await ctx.runner.run("docker", ["start", REGISTRY.container], {
        timeoutMs: 60_000,
        purpose: `start the registry container ${REGISTRY.container}`,
        hint: `docker logs ${REGISTRY.container} says why it stopped; sre-lab down && sre-lab up recreates it`,
      });
      return `started ${where}`;
    }
    const [file, ...args] = registryRunArgv(ports);
    await ctx.runner.run(file!, args, {
      timeoutMs: 300_000,
      purpose: `create the registry container ${REGISTRY.container}`,
      hint: `is host port ${ports.registry} free? (sre-lab doctor; up --host-port registry=PORT moves it)`,
    });
    return `created ${where}`;
  },

  async pushImage(ctx: Context, image: string, hash: string) {
    // The image in the local Docker cache carries the source hash; the registry copy is checked by pushing
    // only when the local build is new (docker push of an existing digest uploads nothing).
    const inspect = await ctx.runner.run(
      "docker",
      ["image", "inspect", "--format", `{{ index .Config.Labels "${SOURCE_HASH_LABEL}" }}`, image],
      { allowFailure: true, timeoutMs: 15_000, purpose: `read the source hash of ${image}` },
    );
    const pushed = await ctx.runner.run("docker", ["manifest", "inspect", "--insecure", image], {
      allowFailure: true,
      timeoutMs: 30_000,
      purpose: `look up ${image} in the local registry`,
    });
    if (inspect.exitCode === 0 && inspect.stdout.trim() === hash && pushed.exitCode === 0) return undefined;
    await ctx.runner.run(
      "docker",
      ["build", "--label", `${SOURCE_HASH_LABEL}=${hash}`, "-t", image, labPaths.app()],
      {
        timeoutMs: 900_000,
        purpose: `build the target app image ${image}`,
        hint: "docker's build output above names the failing step; app/Dockerfile is the recipe",
      },
    );
    await ctx.runner.run("docker", ["push", image], {
      timeoutMs: 600_000,
      purpose: `push ${image} to the local registry`,
      hint: `is the registry running? (docker ps --filter name=${REGISTRY.container})`,
    });
    return `built and pushed ${image} (source ${hash})`;
  },
};
