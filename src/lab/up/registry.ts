/**
 * Step 3: the local registry container (kind's documented local-registry pattern), and
 * step 5: the target app's image, built and pushed only when the registry lacks that build. Both ask
 * the provider's registry; a provider whose cluster cannot pull from it skips them with its reason.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import versions from "../../../versions.json" with { type: "json" };
import type { Step } from "../../core/steps.js";
import { type LabPorts, REGISTRY } from "../config.js";
import { labPaths } from "../paths.js";
import { isUnsupported } from "../provider/types.js";
import type { UpState } from "./options.js";

export function registryStep(): Step<UpState> {
  return {
    id: "registry",
    title: "Local registry",
    async plan({ provider, ports }) {
      if (isUnsupported(provider.registry)) return [`skipped: ${provider.registry.unsupported}`];
      return provider.registry.planEnsure(ports);
    },
    async run({ ctx, provider, ports }) {
      if (isUnsupported(provider.registry))
        return { status: "skipped", detail: provider.registry.unsupported };
      const done = await provider.registry.ensure(ctx, ports);
      return done
        ? { status: "done", detail: done }
        : { status: "skipped", detail: `${REGISTRY.container} on 127.0.0.1:${ports.registry} is running` };
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
    async plan({ provider, ports }) {
      if (isUnsupported(provider.registry)) return [`skipped: ${provider.registry.unsupported}`];
      return provider.registry.planPushImage(pushImageName(ports));
    },
    async run({ ctx, provider, ports }) {
      const image = pushImageName(ports);
      if (isUnsupported(provider.registry)) {
        return {
          status: "skipped",
          detail: `push ${image} to a registry your cluster can pull from (docker build -t ${image} app/)`,
        };
      }
      const hash = appSourceHash();
      const done = await provider.registry.pushImage(ctx, image, hash);
      return done
        ? { status: "done", detail: done }
        : { status: "skipped", detail: `${image} is up to date (source ${hash})` };
    },
  };
}
