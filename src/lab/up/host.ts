/**
 * Step 2: raise the Linux inotify limits the lab needs. On Linux through sudo; on Docker Desktop
 * inside its VM through a short-lived privileged container (the limits that matter live there).
 */

import { SreLabError, UsageError } from "../../core/errors.js";
import type { Step } from "../../core/steps.js";
import { formatCommandLine } from "../../exec/command-line.js";
import { CommandFailedError } from "../../exec/runner.js";
import { INOTIFY_LIMITS } from "../config.js";
import { nodeImageSysctlArgv, runNodeImageSysctl } from "../kind.js";
import { providerNamed } from "../provider/index.js";
import { isUnsupported } from "../provider/types.js";
import type { UpState } from "./options.js";

const KEYS = Object.keys(INOTIFY_LIMITS) as (keyof typeof INOTIFY_LIMITS)[];
const PERSIST_FILE = "/etc/sysctl.d/99-sre-lab.conf";

export function sysctlWriteArgs(): string[] {
  return ["sysctl", "-w", ...KEYS.map((key) => `${key}=${INOTIFY_LIMITS[key]}`)];
}

export function persistFileContent(): string {
  return `# Written by sre-lab up: the lab's Prometheus, Argo CD and kubelets need more inotify watches.\n${KEYS.map((k) => `${k} = ${INOTIFY_LIMITS[k]}`).join("\n")}\n`;
}

/** Docker Desktop: the sysctl run in its VM through the kind node image (../kind.ts). */
export function desktopSysctlArgv(mode: "read" | "write"): string[] {
  return nodeImageSysctlArgv(desktopSysctlArgs(mode), mode === "write");
}

function desktopSysctlArgs(mode: "read" | "write"): string[] {
  return mode === "read" ? ["-n", ...KEYS] : sysctlWriteArgs().slice(1);
}

/** The command the user is shown (and asked about) before anything runs. */
export function sudoCommandLine(persist: boolean): string {
  const set = `sudo ${sysctlWriteArgs().join(" ")}`;
  return persist ? `${set} && sudo tee ${PERSIST_FILE}` : set;
}

type Reader = () => Promise<number[]>;

function format(values: number[]): string {
  return KEYS.map((key, i) => `${key.replace("fs.inotify.", "")}=${values[i] ?? "?"}`).join(", ");
}

function lowKeys(values: number[]): string[] {
  return KEYS.filter((key, i) => !((values[i] ?? 0) >= INOTIFY_LIMITS[key]));
}

export function sysctlStep(): Step<UpState> {
  return {
    id: "sysctl",
    title: "Host inotify limits",
    async plan({ options, doctor, provider }) {
      if (!options.sysctl) return ["skipped (--no-sysctl)"];
      if (isUnsupported(provider.localNodes)) return [`skipped: ${provider.localNodes.unsupported}`];
      return doctor?.facts.dockerDesktop === true
        ? [`if too low in Docker Desktop's VM: ${formatCommandLine(desktopSysctlArgv("write"))}`]
        : [
            `if too low: ${sudoCommandLine(options.persist)}${options.yes ? "" : " (asked first on a terminal; without one, --yes runs it)"}`,
          ];
    },
    async run(state) {
      const { ctx, options } = state;
      if (!options.sysctl)
        return { status: "skipped", detail: "left as they are (--no-sysctl, or declined)" };
      const { localNodes } = state.provider;
      if (isUnsupported(localNodes)) return { status: "skipped", detail: localNodes.unsupported };
      const desktop = state.doctor?.facts.dockerDesktop === true;
      if (!desktop && ctx.host.platform !== "linux") {
        return { status: "skipped", detail: `not needed on ${ctx.host.platform}` };
      }
      const read: Reader = async () => {
        const result = desktop
          ? await runNodeImageSysctl(ctx.runner, desktopSysctlArgs("read"), false)
          : await ctx.runner.run("sysctl", ["-n", ...KEYS], {
              timeoutMs: 10_000,
              purpose: "read the inotify limits",
              hint: "pass --no-sysctl to leave the limits as they are",
            });
        return result.stdout.trim().split(/\s+/).map(Number);
      };
      const before = await read();
      if (lowKeys(before).length === 0) return { status: "skipped", detail: `already ${format(before)}` };

      if (desktop) {
        await runNodeImageSysctl(ctx.runner, desktopSysctlArgs("write"), true);
      } else {
        if (!options.yes) {
          // The interactive confirmation happens before the task list starts (see confirmHostChanges).
          throw new UsageError("the inotify limits are too low and changing them needs root", {
            hint: `re-run with --yes to run \`${sudoCommandLine(options.persist)}\`, or run it yourself, or pass --no-sysctl`,
          });
        }
        try {
          await ctx.runner.run("sudo", ["-n", ...sysctlWriteArgs()], {
            timeoutMs: 30_000,
            purpose: "raise the inotify limits",
            hint: `run \`${sudoCommandLine(options.persist)}\` yourself, or pass --no-sysctl`,
          });
          if (options.persist) {
            await ctx.runner.run("sudo", ["-n", "tee", PERSIST_FILE], {
              input: persistFileContent(),
              timeoutMs: 30_000,
              purpose: `write ${PERSIST_FILE}`,
              hint: `run \`${sudoCommandLine(options.persist)}\` yourself, or pass --no-sysctl`,
            });
          }
        } catch (error) {
          if (error instanceof CommandFailedError) {
            throw new SreLabError("sudo refused to raise the inotify limits", {
              details: error.details,
              hint: `run \`${sudoCommandLine(options.persist)}\` yourself (it asks for your password), then sre-lab up again; or pass --no-sysctl`,
              cause: error,
            });
          }
          throw error;
        }
      }
      const after = await read();
      if (lowKeys(after).length > 0) {
        throw new SreLabError(`the inotify limits are still too low after the change: ${format(after)}`, {
          hint: "another sysctl.d file may override them; check with: sysctl fs.inotify",
        });
      }
      const where = desktop
        ? " in Docker Desktop's VM"
        : options.persist
          ? ` (persisted in ${PERSIST_FILE})`
          : "";
      return { status: "done", detail: `${format(before)} → ${format(after)}${where}` };
    },
  };
}

/**
 * After the preflight, before the other steps start: when the limits are low, sudo is needed and --yes was not given,
 * show the exact command and ask. Yes: sudo asks for the password here (not in the middle of the
 * task list) and the step then runs non-interactively. No: carry on without the change.
 */
export async function confirmHostChanges(
  ctx: UpState["ctx"],
  options: UpState["options"],
  dockerDesktop = false,
): Promise<UpState["options"]> {
  if (
    dockerDesktop ||
    !options.sysctl ||
    options.yes ||
    isUnsupported(providerNamed(options.provider).localNodes) ||
    ctx.host.platform !== "linux" ||
    !ctx.confirm
  ) {
    return options;
  }
  const read = await ctx.runner.run("sysctl", ["-n", ...KEYS], {
    timeoutMs: 10_000,
    allowFailure: true,
    purpose: "read the inotify limits",
  });
  const values = read.stdout.trim().split(/\s+/).map(Number);
  if (read.exitCode !== 0 || lowKeys(values).length === 0) return options;
  ctx.out.info(`The lab needs higher inotify limits (now ${format(values)}). This needs root:`);
  ctx.out.info(`  ${sudoCommandLine(options.persist)}`);
  // The context's confirm ends with InterruptedError (exit 130) when Ctrl-C fires at the question.
  if (await ctx.confirm("Run it with sudo now?")) {
    // Cache sudo's credentials while the terminal is ours; the step then uses `sudo -n`.
    await ctx.runner.run("sudo", ["-v"], {
      interactive: true,
      timeoutMs: 120_000,
      purpose: "ask sudo for your password",
      hint: `run \`${sudoCommandLine(options.persist)}\` yourself, or pass --no-sysctl`,
    });
    return { ...options, yes: true };
  }
  ctx.out.warn(
    'continuing without raising them; Prometheus and Argo CD may fail with "too many open files" (docs/troubleshooting.md)',
  );
  return { ...options, sysctl: false };
}
