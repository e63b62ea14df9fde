/**
 * Where text goes. Data → stdout; progress, warnings and errors → stderr.
 * Colour only when the stream is a TTY and neither NO_COLOR nor --no-color says otherwise,
 * so CI logs and pipes read as plain text.
 */
import type { Writable } from "node:stream";
import { Chalk } from "chalk";

export interface Styler {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export interface Output {
  /** Data for scripts and humans: tables, JSON, summaries. */
  data(text: string): void;
  /** Progress and notes for humans. */
  info(text: string): void;
  warn(text: string): void;
  /** Debug lines shown only with --verbose. */
  debug(text: string): void;
  readonly verbose: boolean;
  /** Styling for stderr text (progress, errors). */
  readonly style: Styler;
  /** Styling for stdout text (plain when stdout is piped). */
  readonly dataStyle: Styler;
  readonly stderrIsTTY: boolean;
}

export function makeStyler(enabled: boolean): Styler {
  // chalk's own detection is bypassed on purpose: the rules are ours (colorEnabled) and explicit.
  const chalk = new Chalk({ level: enabled ? 1 : 0 });
  return {
    bold: (t) => chalk.bold(t),
    dim: (t) => chalk.dim(t),
    red: (t) => chalk.red(t),
    green: (t) => chalk.green(t),
    yellow: (t) => chalk.yellow(t),
    cyan: (t) => chalk.cyan(t),
  };
}

/** NO_COLOR (any non-empty value) and --no-color turn colour off; FORCE_COLOR=1+ turns it on. */
export function colorEnabled(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  noColorFlag: boolean,
): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export interface OutputOptions {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  verbose: boolean;
  noColor: boolean;
  /** Applied to every line written (the CLI turns `sre-lab doctor` hints into `npx sre-lab doctor`). */
  rewrite?: ((text: string) => string) | undefined;
}

export function createOutput(options: OutputOptions): Output {
  const { stdout, stderr, verbose } = options;
  const style = makeStyler(colorEnabled(stderr, options.env, options.noColor));
  const dataStyle = makeStyler(colorEnabled(stdout, options.env, options.noColor));
  const rewrite = options.rewrite ?? ((text: string) => text);
  const line = (text: string) => rewrite(text.endsWith("\n") ? text : `${text}\n`);
  return {
    data: (text) => stdout.write(line(text)),
    info: (text) => stderr.write(line(text)),
    warn: (text) => stderr.write(line(`${style.yellow("warning:")} ${text}`)),
    debug: (text) => {
      if (verbose) stderr.write(line(style.dim(text)));
    },
    verbose,
    style,
    dataStyle,
    stderrIsTTY: stderr.isTTY === true,
  };
}
