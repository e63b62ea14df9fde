/**
 * How the user can run sre-lab again, decided in one place: `sre-lab` when an `sre-lab` executable
 * is on the user's own PATH (`npm i -g .`, `npm link`), else `npx sre-lab` (a fresh clone, where only
 * npx finds it in node_modules/.bin). npx puts node_modules/.bin on PATH for its child, so those
 * directories do not count: after npx exits, the user's shell cannot run `sre-lab` from there.
 *
 * Hints and next steps are written as `sre-lab <command> …` everywhere in the code; the CLI's output
 * layer (createOutput, renderError, help) passes its text through `rewriteHints`.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join, sep } from "node:path";

export type CliPrefix = "sre-lab" | "npx sre-lab";

/** Every command that can follow `sre-lab ` in a hint. */
const COMMANDS = [
  "doctor",
  "up",
  "sync",
  "status",
  "open",
  "down",
  "diagnose",
  "chaos",
  "gameday",
  "version",
  "completion",
  "help",
];

export function detectPrefix(env: NodeJS.ProcessEnv): CliPrefix {
  const override = env.SRE_LAB_CLI?.trim();
  if (override === "sre-lab" || override === "npx sre-lab") return override;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "" || dir.split(sep).includes("node_modules")) continue;
    const file = join(dir, process.platform === "win32" ? "sre-lab.cmd" : "sre-lab");
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return "sre-lab";
    } catch {}
  }
  return "npx sre-lab";
}

// A command after it, or commander's "Usage: sre-lab [options] [command]".
const HINT = new RegExp(`(?<![\\w./-]|npx )sre-lab(?= (?:${COMMANDS.join("|")})\\b| \\[options\\])`, "g");

/** `sre-lab doctor` → `npx sre-lab doctor` when that is how this user runs it; names like `sre-lab-registry` stay. */
export function rewriteHints(text: string, prefix: CliPrefix): string {
  if (prefix === "sre-lab" || !text.includes("sre-lab ")) return text;
  return text.replace(HINT, prefix);
}
