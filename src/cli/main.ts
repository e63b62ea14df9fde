/**
 * The CLI's wiring: global flags, one lazily imported module per command, and the one place
 * that catches errors, prints them and picks the exit code. Importing this module loads only
 * commander; `--help` and `--version` never load the Kubernetes, listr2 or Ollama packages.
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { SCENARIO_CATALOGUE, SCENARIO_NAMES } from "../chaos/catalogue.js";
import type { Clock } from "../core/clock.js";
import { ExitCode, InterruptedError, UsageError } from "../core/errors.js";
import type { HostProbe } from "../core/host.js";
import type { Runner } from "../exec/runner.js";
import type { KubeClient } from "../kube/client.js";
import { DEFAULT_MODEL } from "../lab/config.js";
import type { Context } from "../runtime/context.js";
import { detectPrefix, rewriteHints } from "./invocation.js";
import type { OutputFormat } from "./options.js";
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
  /** Every wait and deadline reads it; tests pass a fake one (test/support/fake-clock.ts). */
  clock?: Clock;
  /** Yes/no questions; by default asked on the terminal when stdin is one. */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /** Typed answers (the write guard's confirmation); by default asked on the terminal when stdin is one. */
  ask?: ((question: string) => Promise<string>) | undefined;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // On a terminal, Ctrl-C at the question reaches readline, not the process: treat it as Ctrl-C (130).
  const interrupted = new Promise<never>((_, reject) =>
    rl.once("SIGINT", () => reject(new InterruptedError("interrupted at the question; nothing was changed"))),
  );
  try {
    return /^y(es)?$/i.test((await Promise.race([rl.question(`${question} [y/N] `), interrupted])).trim());
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

export function outputOption(formats: readonly string[] = ["text", "json"]): Option {
  return new Option("-o, --output <format>", "output format").choices(formats).default("text");
}

async function buildContext(globals: GlobalOptions, deps: CliDeps, signal: AbortSignal): Promise<Context> {
  const { createOutput } = await import("../core/output.js");
  const out = createOutput({
    stdout: deps.stdout as never,
    stderr: deps.stderr as never,
    env: deps.env,
    verbose: globals.verbose === true,
    noColor: !globals.color,
    rewrite: hintRewriter(deps.env),
  });
  const [{ createExecaRunner }, { systemHost }, { systemClock, untilAborted }, { createStepRenderer }] =
    await Promise.all([
      import("../exec/runner.js"),
      import("../core/host.js"),
      import("../core/clock.js"),
      import("./render.js"),
    ]);
  const runner =
    deps.runner ?? createExecaRunner({ signal, env: deps.env, echo: (line) => out.debug(`$ ${line}`) });
  const clock = deps.clock ?? systemClock;
  const kubeTarget = { kubeconfig: globals.kubeconfig, context: globals.context };
  // Someone to ask: a terminal on stdin, outside CI (tests inject their answers instead).
  const canAsk = process.stdin.isTTY === true && !deps.env.CI;
  const confirm = "confirm" in deps ? deps.confirm : canAsk ? askOnTerminal : undefined;
  // Each boundary is created on first use (and its package loaded then); a failed creation is
  // forgotten, so a later call tries again (the lab's context appears once kind has made it).
  const kubeClients = new Map<string, Promise<KubeClient>>();
  const createKube = (context: string | undefined) =>
    import("../kube/client.js").then(({ createKubeClient }) =>
      createKubeClient({ kubeconfig: kubeTarget.kubeconfig, context, env: deps.env, signal, clock }),
    );
  const kubeClient = (context: string | undefined): Promise<KubeClient> => {
    const key = context ?? "";
    let client = kubeClients.get(key);
    if (!client) {
      client = createKube(context);
      client.catch(() => kubeClients.delete(key));
      kubeClients.set(key, client);
    }
    return client;
  };
  return {
    runner,
    out,
    renderer: createStepRenderer({ out, stderr: deps.stderr, env: deps.env }),
    host: deps.host ?? systemHost,
    clock,
    env: deps.env,
    signal,
    kubeTarget,
    confirm: confirm && ((question) => untilAborted(confirm(question), signal)),
    ask:
      "ask" in deps
        ? deps.ask
        : canAsk
          ? async (question) => (await import("./prompt.js")).askText(question, signal)
          : undefined,
    kube: () => kubeClient(kubeTarget.context),
    kubeFor: (context, options = {}) => (options.fresh ? createKube(context) : kubeClient(context)),
    ollama: async (url, options = {}) => {
      const { createOllamaClient } = await import("../ollama/client.js");
      return createOllamaClient({ host: url, signal, ...options });
    },
    prometheus: async (url) => {
      const { createPrometheusClient } = await import("../prometheus/client.js");
      return createPrometheusClient({ url, signal });
    },
    registry: async (url) => {
      const { createRegistryClient } = await import("../gitops/registry.js");
      return createRegistryClient({ registry: url, signal });
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

/** "Examples:" after a command's help: real lines, each one runnable as printed (test/cli/help.test.ts). */
function examples(command: Command, lines: string[]): Command {
  return command.addHelpText("after", `\nExamples:\n${lines.map((l) => `  ${l}`).join("\n")}\n`);
}

/**
 * What `up --provider` says and defaults to, from the one provider list. main() loads it only when
 * `up` is on the command line (commander dispatches a subcommand only by its literal name), so
 * --help and the other commands do not load the providers.
 */
export interface ProviderHelp {
  description: string;
  defaultName: string;
}

async function providerHelp(args: readonly string[]): Promise<ProviderHelp | undefined> {
  if (!args.includes("up")) return undefined;
  const { DEFAULT_PROVIDER, describeProviders } = await import("../lab/provider/index.js");
  return { description: describeProviders(), defaultName: DEFAULT_PROVIDER.name };
}

export function buildProgram(deps: CliDeps, signal: AbortSignal, providers?: ProviderHelp): Command {
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
      writeOut: (text) => deps.stdout.write(hintRewriter(deps.env)(text)),
      writeErr: (text) => deps.stderr.write(hintRewriter(deps.env)(text)),
    })
    .exitOverride();

  program
    .command("doctor")
    .description("check that this machine can run the lab (Docker, kind, kubectl, memory, inotify, ports)")
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
    .option(
      "-y, --yes",
      "run host changes (sudo sysctl) without asking; with --provider existing, write to a context that is not the lab's",
    )
    .option("--force", "with --provider existing: also to a context that looks like production")
    .option("--persist", "also write the sysctl limits to /etc/sysctl.d so they survive a reboot")
    .option("--no-sysctl", "leave the host's inotify limits alone")
    .option("--recreate", "delete and re-create a lab cluster that was made from a different config")
    .option("--dry-run", "print every command and manifest up would apply, and change nothing")
    .option("--model <name>", "Ollama model to make sure of", DEFAULT_MODEL)
    .option("--skip-model", "do not wait for or pull the model")
    .option(
      "--model-cache <dir>",
      "host directory that keeps models across down/up (default ~/.cache/sre-lab/ollama)",
    )
    .option("--repo-url <url>", "Git remote Argo CD reads instead of the published OCI artifact")
    .option("--revision <ref>", "Git revision for --repo-url (default HEAD)")
    .option(
      "--provider <name>",
      providers?.description ?? "the cluster provider (sre-lab up --help lists them)",
      providers?.defaultName,
    )
    .option(
      "--timeout <duration>",
      "deadline for each wait (nodes Ready, Argo CD, Applications synced)",
      "15m",
    )
    .option(
      "--host-port <name=port>",
      "use another 127.0.0.1 port: app=8080 grafana=3000 argocd=8443 prometheus=9090 registry=5001 (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(outputOption())
    .action(async (options: import("./commands/up.js").UpFlags, command: Command) => {
      const { upCommand } = await import("./commands/up.js");
      await upCommand(await withContext(command), options);
    });

  program
    .command("sync")
    .description("publish manifests/ again after you edit it, and wait until Argo CD runs the change")
    .option("--timeout <duration>", "deadline for the Applications to sync", "10m")
    .option("-y, --yes", "with --context: write to a context that is not the lab's")
    .option("--force", "with --context: also to a context that looks like production")
    .addOption(outputOption())
    .action(async (options: import("./commands/sync.js").SyncFlags, command: Command) => {
      const { syncCommand } = await import("./commands/sync.js");
      await syncCommand(await withContext(command), options);
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
    .argument(
      "[target]",
      "a pod, or TYPE/NAME as kubectl takes it (pod/x, deploy/x, sts/x, ds/x, job/x, cronjob/x: the owner's most relevant failing pod); none: triage the namespace",
    )
    .option("-n, --namespace <ns>", "the pod's namespace (default: the context's namespace, else default)")
    .option("-A, --all-namespaces", "triage: every namespace's pods that are not healthy (no target)")
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
    .option(
      "--model <name>",
      "Ollama model; left out on the lab, the one it was brought up with",
      DEFAULT_MODEL,
    )
    .option(
      "--ollama-url <url>",
      "Ollama to use (default: the lab's, by cluster DNS for the agent, port-forwarded with --local; 127.0.0.1:11434 with --bundle)",
    )
    .option("--local", "run the agent's code on this machine, read-only (the default off the lab)")
    .option(
      "--in-cluster",
      "run the agent as a Job in the cluster (the default on the lab; elsewhere asks first, see docs/existing-cluster.md)",
    )
    .option("--keep", "keep the agent's Job, pod and RBAC objects after it ends, for debugging")
    .option("-y, --yes", "with --in-cluster: write to a context that is not the lab's")
    .option(
      "--force",
      "replace an existing --save-bundle file; with --in-cluster, also act on a context that looks like production",
    )
    .option(
      "--timeout <duration>",
      "deadline for the whole diagnosis (the agent Job's activeDeadlineSeconds)",
      "10m",
    )
    .addOption(outputOption(["text", "json", "yaml"]))
    .action(
      async (
        pod: string | undefined,
        options: import("./commands/diagnose.js").DiagnoseFlags,
        command: Command,
      ) => {
        const { diagnoseCommand } = await import("./commands/diagnose.js");
        // A --model the user did not give is the flow's to pick (the lab's recorded model, else this default).
        const flags =
          command.getOptionValueSource("model") === "default" ? { ...options, model: undefined } : options;
        await diagnoseCommand(await withContext(command), pod, flags, deps.stdout);
      },
    );

  // sre-lab chaos and gameday (docs/chaos.md). One subcommand per scenario of the catalogue (a
  // data-only module, so --help loads no scenario code).
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
    .option("-y, --yes", "act on a context that is not the lab's (see docs/existing-cluster.md)")
    .option("--force", "act on a cluster that is not the lab's, or looks like production")
    .addOption(outputOption())
    .action(async (options: { force?: boolean; yes?: boolean; output: OutputFormat }, command: Command) => {
      const { chaosResetCommand } = await import("./commands/chaos.js");
      await chaosResetCommand(await withContext(command), options);
    });
  for (const { name, summary } of SCENARIO_CATALOGUE) {
    chaos
      .command(name)
      .description(summary)
      .option("--revert", "undo this scenario (whatever an earlier run left) instead of running it")
      .option("--timeout <duration>", "deadline for the break to show (default: the scenario's own)")
      .option("-y, --yes", "act on a context that is not the lab's (see docs/existing-cluster.md)")
      .option("--force", "act on a cluster that is not the lab's, or looks like production")
      .addOption(outputOption())
      .action(async (options: import("./commands/chaos.js").ChaosFlags, command: Command) => {
        const { chaosScenarioCommand } = await import("./commands/chaos.js");
        await chaosScenarioCommand(await withContext(command), name, options);
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
    .option("-y, --yes", "act on a context that is not the lab's (see docs/existing-cluster.md)")
    .option("--force", "act on a cluster that is not the lab's, or looks like production")
    .addOption(outputOption())
    .action(async (options: import("./commands/gameday.js").GamedayFlags, command: Command) => {
      const { gamedayCommand } = await import("./commands/gameday.js");
      await gamedayCommand(await withContext(command), options);
    });

  program
    .command("version")
    .description("print this CLI's version and the versions the lab pins (kind, Kubernetes, Argo CD, model)")
    .addOption(outputOption(["text", "json", "yaml"]))
    .action(async (options: { output: "text" | "json" | "yaml" }, command: Command) => {
      const { versionCommand } = await import("./commands/version.js");
      await versionCommand(await withContext(command), options);
    });

  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .action(async (shell: string) => {
      const { completionCommand } = await import("./commands/completion.js");
      completionCommand(program, shell, (text) => deps.stdout.write(text));
    });

  addExamples(program, SCENARIO_NAMES);
  return program;
}

/** The examples of every command, by command path; each line is run through the parser by the tests. */
function addExamples(program: Command, scenarios: readonly string[]): void {
  const table: Record<string, string[]> = {
    "": [
      "sre-lab diagnose --bundle examples/bundles/oom-crashloop.json --no-ai   # no cluster needed",
      "sre-lab doctor",
      "sre-lab up",
      "sre-lab diagnose -n sre-lab-app",
      "sre-lab chaos oom",
    ],
    doctor: ["sre-lab doctor", "sre-lab doctor -o json"],
    up: [
      "sre-lab up",
      "sre-lab up --yes --timeout 20m",
      "sre-lab up --dry-run",
      "sre-lab up --skip-model",
      "sre-lab up --provider existing --context my-cluster --repo-url https://github.com/you/sre-lab.git",
    ],
    sync: ["sre-lab sync", "sre-lab sync --timeout 5m"],
    status: ["sre-lab status", "sre-lab status -o json"],
    open: ["sre-lab open grafana", "sre-lab open argocd --browser", "sre-lab open prometheus --port 19090"],
    down: ["sre-lab down", "sre-lab down --keep-registry", "sre-lab down --purge"],
    diagnose: [
      "sre-lab diagnose -n sre-lab-app                      # triage: every failing workload, one line each",
      "sre-lab diagnose -A -o json                          # triage of all namespaces, as data",
      "sre-lab diagnose deploy/target-app -n sre-lab-app    # the Deployment's most relevant failing pod",
      "sre-lab diagnose deploy/target-app -n sre-lab-app --no-ai -o yaml",
      "sre-lab diagnose --bundle examples/bundles/oom-crashloop.json --no-ai",
      "sre-lab diagnose deploy/target-app -n sre-lab-app --timeout 1m30s",
    ],
    chaos: ["sre-lab chaos list", "sre-lab chaos oom", "sre-lab chaos oom --revert", "sre-lab chaos reset"],
    "chaos list": ["sre-lab chaos list", "sre-lab chaos list -o json"],
    "chaos reset": ["sre-lab chaos reset"],
    gameday: ["sre-lab gameday", "sre-lab gameday --only oom,crashloop --report ./gameday"],
    version: ["sre-lab version", "sre-lab version -o json"],
    completion: [
      "source <(sre-lab completion bash)     # in ~/.bashrc",
      "source <(sre-lab completion zsh)      # in ~/.zshrc",
      "sre-lab completion fish > ~/.config/fish/completions/sre-lab.fish",
    ],
  };
  for (const name of scenarios) {
    table[`chaos ${name}`] = [
      `sre-lab chaos ${name}`,
      `sre-lab chaos ${name} --revert`,
      `sre-lab chaos ${name} --timeout 2m`,
    ];
  }
  for (const [path, lines] of Object.entries(table)) {
    let command: Command | undefined = program;
    for (const part of path.split(" ").filter(Boolean))
      command = command?.commands.find((c) => c.name() === part);
    if (command) examples(command, lines);
  }
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
  let normalized = args;
  try {
    normalized = normalizeVerbosity(args);
    await buildProgram(deps, signal, await providerHelp(normalized)).parseAsync(normalized, { from: "user" });
    if (signal.aborted) throw new InterruptedError();
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (and the help hint) on stderr.
      // --help, --version and `help [command]` end with exit code 0.
      if (error.exitCode === 0) return ExitCode.ok;
      return ExitCode.usage;
    }
    const shown = signal.aborted && !(error instanceof UsageError) ? new InterruptedError() : error;
    // Loaded only on failure: a successful --help never pays for chalk.
    const [{ renderError }, { makeStyler, colorEnabled }] = await Promise.all([
      import("./errors.js"),
      import("../core/output.js"),
    ]);
    const verbose = normalized.includes("-v") || normalized.includes("--verbose");
    const style = makeStyler(colorEnabled(deps.stderr, deps.env, args.includes("--no-color")));
    const { text, exitCode } = renderError(shown, style, verbose);
    deps.stderr.write(hintRewriter(deps.env)(text));
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

/**
 * kubectl's verbosity forms, before commander sees them: `-v=6`, `--v=6`, `--verbose=6` (and `-v6`)
 * mean --verbose for any level from 1 to 10 and nothing for 0. Anything else after `-v=` is a
 * usage error that says what is accepted. Arguments after `--` are left alone.
 */
export function normalizeVerbosity(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const match = /^(?:-v=?|--v=|--verbose=)(.*)$/.exec(arg);
    if (!match || arg === "-v") {
      out.push(arg);
      continue;
    }
    const level = match[1] ?? "";
    if (!/^\d+$/.test(level) || Number(level) > 10) {
      throw new UsageError(`invalid verbosity ${JSON.stringify(arg)}`, {
        hint: "use -v or --verbose, or kubectl's -v=N with N from 0 to 10 (1 and above turn --verbose on)",
      });
    }
    if (Number(level) > 0) out.push("--verbose");
  }
  return out;
}

let rewriter: { env: NodeJS.ProcessEnv; apply: (text: string) => string } | undefined;

/** The one place that decides how hints name the CLI (src/cli/invocation.ts); decided once per env. */
function hintRewriter(env: NodeJS.ProcessEnv): (text: string) => string {
  if (rewriter?.env !== env) {
    const prefix = detectPrefix(env);
    rewriter = { env, apply: (text) => rewriteHints(text, prefix) };
  }
  return rewriter.apply;
}
