// A stand-in for kind, docker, helm, kubectl, sysctl and sudo during tests.
// Invoked by a generated /bin/sh wrapper as: node fake-tool.mjs <dir> <tool> [args…].
// It answers from <dir>/rules.json (first rule whose tool and args match and that has uses left),
// records every call in <dir>/calls.jsonl, and fails loudly on a call no rule expects.
import { appendFileSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [dir, tool, ...args] = process.argv.slice(2);

/**
 * Reads stdin until EOF, or until it has been quiet for a moment: an inherited terminal or pipe
 * (interactive runs, such as `sudo -v`) may never close, and a real tool would not wait for it.
 */
function readStdin() {
  return new Promise((resolve) => {
    let text = "";
    let timer;
    const finish = () => {
      clearTimeout(timer);
      process.stdin.removeAllListeners();
      // An inherited stdin would otherwise keep this process alive after it answered.
      process.stdin.destroy();
      resolve(text);
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, 300);
    };
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => {
      text += chunk;
      quiet();
    });
    process.stdin.on("end", finish);
    process.stdin.on("error", finish);
    quiet();
  });
}

function withLock(fn) {
  const lock = join(dir, "lock");
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error("fake tool: lock timeout");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(lock);
  }
}

/** `docker run` options that take a value as the next argument (the ones sre-lab and its tests use). */
const DOCKER_RUN_VALUE_FLAGS = new Set([
  "-p",
  "--publish",
  "--name",
  "-e",
  "--env",
  "-v",
  "--volume",
  "--network",
  "--entrypoint",
  "--restart",
  "-u",
  "--user",
  "-w",
  "--workdir",
  "--label",
  "-l",
]);

/**
 * What a real `docker run` would execute in the container: the image's ENTRYPOINT followed by the
 * arguments after the image (or the image's CMD when there are none); `--entrypoint X` replaces the
 * ENTRYPOINT and clears the CMD. Images come from <dir>/images.json (the harness's images()).
 */
function dockerRunProcess(args) {
  if (args[0] !== "run") return undefined;
  let entrypoint;
  let privileged = false;
  let i = 1;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-")) break;
    if (arg === "--privileged") privileged = true;
    const [flag, inline] = arg.split("=", 2);
    const value = inline ?? (DOCKER_RUN_VALUE_FLAGS.has(flag) ? args[++i] : undefined);
    if (flag === "--entrypoint") entrypoint = value;
  }
  const image = args[i];
  if (image === undefined) return undefined;
  const rest = args.slice(i + 1);
  let images = {};
  try {
    images = JSON.parse(readFileSync(join(dir, "images.json"), "utf8"));
  } catch {}
  const config = images[image] ?? {};
  const process =
    entrypoint !== undefined
      ? [...(entrypoint === "" ? [] : [entrypoint]), ...rest]
      : [...(config.entrypoint ?? []), ...(rest.length > 0 ? rest : (config.cmd ?? []))];
  return { image, process, privileged, known: images[image] !== undefined };
}

function matches(rule, tool, args) {
  if (rule.tool !== tool) return false;
  if (rule.process) {
    const run = dockerRunProcess(args);
    if (!run || run.image !== rule.image) return false;
    if (rule.privileged !== undefined && rule.privileged !== run.privileged) return false;
    return run.process.length === rule.process.length && run.process.every((a, i) => a === rule.process[i]);
  }
  if (rule.args) return rule.args.length === args.length && rule.args.every((a, i) => a === args[i]);
  if (rule.argsPrefix) return rule.argsPrefix.every((a, i) => a === args[i]);
  return true;
}

const stdin = await readStdin();
const ruleIndex = withLock(() => {
  const rules = JSON.parse(readFileSync(join(dir, "rules.json"), "utf8"));
  let used = {};
  try {
    used = JSON.parse(readFileSync(join(dir, "used.json"), "utf8"));
  } catch {}
  const index = rules.findIndex(
    (rule, i) => matches(rule, tool, args) && (rule.times === "any" || (used[i] ?? 0) < (rule.times ?? 1)),
  );
  if (index >= 0) {
    used[index] = (used[index] ?? 0) + 1;
    writeFileSync(join(dir, "used.json"), JSON.stringify(used));
  }
  const run = tool === "docker" ? dockerRunProcess(args) : undefined;
  appendFileSync(
    join(dir, "calls.jsonl"),
    `${JSON.stringify({ tool, args, stdin, rule: index >= 0 ? index : null, pid: process.pid, env: { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME }, ...(run ? { process: run.process } : {}) })}\n`,
  );
  return index;
});

if (ruleIndex < 0) {
  const run = tool === "docker" ? dockerRunProcess(args) : undefined;
  const inside = run?.known ? ` (the container runs: ${run.process.join(" ")})` : "";
  process.stderr.write(`fake ${tool}: unexpected invocation: ${[tool, ...args].join(" ")}${inside}\n`);
  process.exit(97);
}

const rules = JSON.parse(readFileSync(join(dir, "rules.json"), "utf8"));
const rule = rules[ruleIndex];
const respond = () => {
  if (rule.stdout) process.stdout.write(rule.stdout);
  if (rule.stderr) process.stderr.write(rule.stderr);
  process.exitCode = rule.exitCode ?? 0;
};
if (rule.hang) {
  // Behave like a long-running command: wait to be killed (Ctrl-C and timeout tests).
  process.on("SIGTERM", () => {
    appendFileSync(join(dir, "signals.jsonl"), `${JSON.stringify({ tool, args, signal: "SIGTERM" })}\n`);
    process.exit(143);
  });
  if (rule.stdout) process.stdout.write(rule.stdout);
  setInterval(() => {}, 1_000);
} else if (rule.delayMs) {
  setTimeout(respond, rule.delayMs);
} else {
  respond();
}
