/**
 * The CLI's wiring: global flags, one lazily imported module per command, and the one place
 * that catches errors, prints them and picks the exit code. Importing this module loads only
 * commander; `--help` and `--version` never load the Kubernetes, listr2 or Ollama packages.
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { Context } from "../core/context.js";
import { ExitCode, InterruptedError, UsageError } from "../core/errors.js";
import type { HostProbe } from "../core/host.js";
import type { Runner } from "../exec/runner.js";
import type { KubeClient } from "../kube/client.js";
import { VERSION } from "./version.js";

export interface CliDeps {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Fires on Ctrl-C. The bin wires it to SIGINT/SIGTERM; tests abort it directly. */
  signal?: AbortSignal;
  /** Replace the outside world in tests; by default execa, the real host and the system clock. */
  runner?: Runner;
  host?: HostProbe;
  /** Yes/no questions; by default asked on the terminal when stdin is one. */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export interface GlobalOptions {
  context?: string;
  kubeconfig?: string;
  verbose?: boolean;
  color: boolean;
}

export type OutputFormat = "text" | "json";

export function outputOption(): Option {
  return new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text");
}

async function buildContext(globals: GlobalOptions, deps: CliDeps, signal: AbortSignal): Promise<Context> {
  const { createOutput } = await import("../core/output.js");
  const out = createOutput({
    stdout: deps.stdout as never,
    stderr: deps.stderr as never,
    env: deps.env,
    verbose: globals.verbose === true,
    noColor: !globals.color,
  });
  const [{ createExecaRunner }, { systemHost }, { systemClock }] = await Promise.all([
    import("../exec/runner.js"),
    import("../core/host.js"),
    import("../core/clock.js"),
  ]);
  const runner =
    deps.runner ?? createExecaRunner({ signal, env: deps.env, echo: (line) => out.debug(`$ ${line}`) });
  const kubeTarget = { kubeconfig: globals.kubeconfig, context: globals.context };
  let kube: Promise<KubeClient> | undefined;
  return {
    runner,
    out,
    host: deps.host ?? systemHost,
    clock: systemClock,
    env: deps.env,
    signal,
    kubeTarget,
    confirm:
      "confirm" in deps ? deps.confirm : process.stdin.isTTY && !deps.env.CI ? askOnTerminal : undefined,
    kube: () => {
      kube ??= import("../kube/client.js").then(({ createKubeClient }) =>
        createKubeClient({ ...kubeTarget, env: deps.env, signal }),
      );
      return kube;
    },
    // An injected runner (tests) is kept: it is the world the test controls.
    cleanupContext: (timeoutMs) => buildContext(globals, deps, AbortSignal.timeout(timeoutMs)),
  };
}

/** Kept here (not imported from src/lab/open.ts) so that --help loads no command module. */
const OPEN_TARGET_NAMES = ["grafana", "argocd", "prometheus", "app"] as const;

interface DownFlags {
  keepRegistry?: boolean;
  purge?: boolean;
  modelCache?: string;
  output: OutputFormat;
}

interface OpenFlags {
  browser?: boolean;
  port?: number;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError("expected a port number from 1 to 65535.");
  }
  return port;
}

export function buildProgram(deps: CliDeps, signal: AbortSignal): Command {
  const program = new Command("sre-lab");
  const withContext = async (command: Command) => {
    const globals = command.optsWithGlobals() as GlobalOptions;
    return buildContext(globals, deps, signal);
  };
  program
    .description(
      "A production-shaped Kubernetes lab on one laptop, and an AI colleague that explains failing pods.",
    )
    .version(VERSION, "--version", "print the version")
    .option("--context <name>", "kubeconfig context to use (as kubectl)")
    .option("--kubeconfig <file>", "kubeconfig file to use (as kubectl)")
    .option("-v, --verbose", "show each command run, and stack traces on errors")
    .option("--no-color", "disable colour (NO_COLOR is honoured too)")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
    })
    .exitOverride();

  program
    .command("doctor")
    .description(
      "check that this machine can run the lab (Docker, kind, kubectl, helm, memory, inotify, ports)",
    )
    .addOption(outputOption())
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const { doctorCommand } = await import("./commands/doctor.js");
      await doctorCommand(await withContext(command), options);
    });

  program
    .command("up")
    .description(
      "stand up the lab: kind cluster, local registry, Argo CD, and through GitOps the app, Ollama and monitoring",
    )
    .option("-y, --yes", "run host changes (sudo sysctl) without asking")
    .option("--persist", "also write the sysctl limits to /etc/sysctl.d so they survive a reboot")
    .option("--no-sysctl", "leave the host's inotify limits alone")
    .option("--recreate", "delete and re-create a lab cluster that was made from a different config")
    .option("--dry-run", "print every command and manifest up would apply, and change nothing")
    .option("--model <name>", "Ollama model to make sure of", "phi3:mini")
    .option("--skip-model", "do not wait for or pull the model")
    .option(
      "--model-cache <dir>",
      "host directory that keeps models across down/up (default ~/.cache/sre-lab/ollama)",
    )
    .option("--repo-url <url>", "Git remote Argo CD reads instead of the published OCI artifact")
    .option("--revision <ref>", "Git revision for --repo-url (default HEAD)")
    .option("--provider <name>", "kind (create the lab cluster) or existing (use --context as it is)", "kind")
    .option(
      "--timeout <duration>",
      "deadline for each wait (nodes Ready, Argo CD, Applications synced)",
      "15m",
    )
    .addOption(outputOption())
    .action(async (options: import("./commands/up.js").UpFlags, command: Command) => {
      const { upCommand } = await import("./commands/up.js");
      await upCommand(await withContext(command), options, deps.stderr);
    });

  program
    .command("sync")
    .description("publish manifests/ again after you edit it, and wait until Argo CD runs the change")
    .option("--timeout <duration>", "deadline for the Applications to sync", "10m")
    .addOption(outputOption())
    .action(async (options: { timeout: string; output: OutputFormat }, command: Command) => {
      const { syncCommand } = await import("./commands/sync.js");
      await syncCommand(await withContext(command), options, deps.stderr);
    });

  program
    .command("status")
    .description("show the lab: nodes, Argo CD applications, pods that are not ready, the model, the URLs")
    .addOption(outputOption())
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const { statusCommand } = await import("./commands/status.js");
      await statusCommand(await withContext(command), options);
    });

  program
    .command("open")
    .description(
      "print the URL and login of a lab UI; port-forward to it when the lab's host port does not answer",
    )
    .addArgument(new Argument("<target>", "what to open").choices(OPEN_TARGET_NAMES))
    .option("--browser", "also open it in the default browser")
    .option("--port <n>", "port-forward on this 127.0.0.1 port (even when the lab's port answers)", parsePort)
    .action(async (target: (typeof OPEN_TARGET_NAMES)[number], options: OpenFlags, command: Command) => {
      const { openCommand } = await import("./commands/open.js");
      await openCommand(await withContext(command), target, options);
    });

  program
    .command("down")
    .description(
      "delete the lab: the kind cluster, the registry container and the kind network (the model cache stays)",
    )
    .option("--keep-registry", "keep the registry container and the images in it")
    .option("--purge", "also delete the model cache")
    .option(
      "--model-cache <dir>",
      "the model cache directory, as given to up (default ~/.cache/sre-lab/ollama)",
    )
    .addOption(outputOption())
    .action(async (options: DownFlags, command: Command) => {
      const { downCommand } = await import("./commands/down.js");
      await downCommand(await withContext(command), options);
    });

  program
    .command("diagnose")
    .description(
      "explain why a pod is failing: evidence, findings root cause first, and an explanation by the local model",
    )
    .argument("[pod]", "the pod's name (not with --bundle)")
    .option("-n, --namespace <ns>", "the pod's namespace (default: the context's namespace, else default)")
    .option(
      "--bundle <file>",
      "analyse a saved evidence bundle (JSON or YAML; - reads stdin); no cluster is contacted",
    )
    .option("--max-bundle-size <size>", "the largest --bundle to read (default 256Mi)")
    .option(
      "--save-bundle <file>",
      "also write the collected evidence bundle, secrets redacted (.yaml for YAML)",
    )
    .option("--no-ai", "deterministic findings only; no model is contacted")
    .option("--print-prompt", "print the exact messages that would be sent to the model, then exit")
    .option("--model <name>", "Ollama model", "phi3:mini")
    .option(
      "--ollama-url <url>",
      "Ollama to use (default: the lab's, by cluster DNS for the agent, port-forwarded with --local; 127.0.0.1:11434 with --bundle)",
    )
    .option("--local", "run the agent's code on this machine instead of as a Job in the cluster (debugging)")
    .option("--keep", "keep the agent's Job and pod after it ends, for debugging")
    .option(
      "--timeout <duration>",
      "deadline for the whole diagnosis (the agent Job's activeDeadlineSeconds)",
      "10m",
    )
    .addOption(outputOption())
    .action(
      async (
        pod: string | undefined,
        options: import("./commands/diagnose.js").DiagnoseFlags,
        command: Command,
      ) => {
        const { diagnoseCommand } = await import("./commands/diagnose.js");
        await diagnoseCommand(await withContext(command), pod, options, deps.stdout);
      },
    );

  // sre-lab chaos and gameday (docs/chaos.md). The scenario names are repeated here so that --help
  // loads no chaos module; src/chaos/types.ts (SCENARIO_NAMES) is their source.
  const chaosScenarios: [string, string][] = [
    ["oom", "push one target-app pod past its own memory limit until it is OOMKilled (exit code 137)"],
    ["crashloop", "run a drill copy of the app with a bad setting: it exits at start and crash-loops"],
    ["bad-image", "run a drill copy of the app whose image tag does not exist"],
    ["missing-config", "run a drill copy of the app that needs a ConfigMap nobody created"],
    ["probe-failure", "run a drill copy of the app whose liveness probe asks for the wrong path"],
    ["unschedulable", "run a drill copy of the app that requests more memory than any node has"],
    ["drift", "edit the Argo CD-managed Deployment by hand and time Argo CD's self-heal"],
    ["node-failure", "stop the apps worker's kind container (docker stop): its node goes NotReady"],
  ];
  const chaos = program
    .command("chaos")
    .description(
      "break the lab on purpose, prove it with Kubernetes' own evidence, point at the diagnosis, revert",
    );
  chaos
    .command("list")
    .description("show each scenario, what it breaks and the finding diagnose should report")
    .addOption(outputOption())
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const { chaosListCommand } = await import("./commands/chaos.js");
      await chaosListCommand(await withContext(command), options);
    });
  chaos
    .command("reset")
    .description("undo every scenario: delete drill objects, start stopped lab nodes, restore drift")
    .option("--force", "act on a cluster that is not the lab's, or looks like production")
    .addOption(outputOption())
    .action(async (options: { force?: boolean; output: OutputFormat }, command: Command) => {
      const { chaosResetCommand } = await import("./commands/chaos.js");
      await chaosResetCommand(await withContext(command), options, deps.stderr);
    });
  for (const [name, description] of chaosScenarios) {
    chaos
      .command(name)
      .description(description)
      .option("--revert", "undo this scenario (whatever an earlier run left) instead of running it")
      .option("--timeout <duration>", "deadline for the break to show (default: the scenario's own)")
      .option("--force", "act on a cluster that is not the lab's, or looks like production")
      .addOption(outputOption())
      .action(async (options: import("./commands/chaos.js").ChaosFlags, command: Command) => {
        const { chaosScenarioCommand } = await import("./commands/chaos.js");
        await chaosScenarioCommand(await withContext(command), name, options, deps.stderr);
      });
  }

  program
    .command("gameday")
    .description(
      "the lab as a scored drill: each chaos scenario injected, verified, diagnosed, compared and reverted",
    )
    .option("--only <scenarios>", "comma-separated scenarios to run (default: all, node-failure last)")
    .option(
      "--report <dir>",
      "where to write scorecard.json and scorecard.md (default ./gameday-<timestamp>)",
    )
    .option("--timeout <duration>", "deadline for each break to show (default: each scenario's own)")
    .option("--force", "act on a cluster that is not the lab's, or looks like production")
    .addOption(outputOption())
    .action(async (options: import("./commands/gameday.js").GamedayFlags, command: Command) => {
      const { gamedayCommand } = await import("./commands/gameday.js");
      await gamedayCommand(await withContext(command), options, deps.stderr);
    });

  return program;
}

/** Runs the CLI with `args` (without node and script path) and returns the exit code. */
export async function main(args: string[], partialDeps: Partial<CliDeps> = {}): Promise<number> {
  const deps: CliDeps = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    ...partialDeps,
  };
  let signal = deps.signal;
  let removeHandlers = () => {};
  if (!signal) {
    const controller = new AbortController();
    signal = controller.signal;
    removeHandlers = installSignalHandlers(controller, deps.stderr);
  }
  try {
    await buildProgram(deps, signal).parseAsync(args, { from: "user" });
    if (signal.aborted) throw new InterruptedError();
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (and the help hint) on stderr.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.ok;
      return ExitCode.usage;
    }
    const shown = signal.aborted && !(error instanceof UsageError) ? new InterruptedError() : error;
    // Loaded only on failure: a successful --help never pays for chalk.
    const [{ renderError }, { makeStyler, colorEnabled }] = await Promise.all([
      import("./errors.js"),
      import("../core/output.js"),
    ]);
    const verbose = args.includes("-v") || args.includes("--verbose");
    const style = makeStyler(colorEnabled(deps.stderr, deps.env, args.includes("--no-color")));
    const { text, exitCode } = renderError(shown, style, verbose);
    deps.stderr.write(text);
    return exitCode;
  } finally {
    removeHandlers();
  }
}

/** First Ctrl-C: abort the running flow (it cleans up and exits 130). Second: exit 130 at once. */
function installSignalHandlers(controller: AbortController, stderr: NodeJS.WritableStream): () => void {
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    stderr.write("\ninterrupted: stopping (press Ctrl-C again to quit at once)\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}
