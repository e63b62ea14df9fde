/**
 * `sre-lab completion bash|zsh|fish`: a shell completion script generated from the CLI's own
 * commander tree (commands, subcommands, flags, and the choices of flags and arguments), so it can
 * never list a command or flag that does not exist.
 */
import type { Command, Option } from "commander";
import { UsageError } from "../../core/errors.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface Node {
  /** Command path from the root, e.g. ["chaos", "oom"]; [] for the root. */
  path: string[];
  description: string;
  options: Option[];
  /** Choices of the first argument (open's targets), if any. */
  argumentChoices: string[];
  children: Node[];
}

function walk(command: Command, path: string[]): Node {
  const options = command.options.filter((o) => !o.hidden);
  const args = (command as unknown as { registeredArguments?: { argChoices?: string[] }[] })
    .registeredArguments;
  return {
    path,
    description: command.description(),
    options,
    argumentChoices: args?.[0]?.argChoices ?? [],
    children: command.commands.filter((c) => c.name() !== "help").map((c) => walk(c, [...path, c.name()])),
  };
}

function all(node: Node): Node[] {
  return [node, ...node.children.flatMap(all)];
}

function flagsOf(option: Option): string[] {
  return [option.short, option.long].filter((f): f is string => typeof f === "string");
}

export function completionScript(program: Command, shell: Shell): string {
  const root = walk(program, []);
  const globals = root.options.flatMap(flagsOf);
  if (shell === "fish") return fishScript(root);
  const bash = bashScript(root, globals);
  if (shell === "bash") return bash;
  // zsh: the same function through zsh's bash-completion layer.
  return `#compdef sre-lab\n# sre-lab completion for zsh: source <(sre-lab completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
}

function bashScript(root: Node, globals: string[]): string {
  const nodes = all(root);
  const known = nodes.filter((n) => n.path.length > 0).map((n) => `"${n.path.join("/")}"`);
  const words = nodes.map((n) => {
    const list = [
      ...n.children.map((c) => c.path.at(-1) as string),
      ...n.argumentChoices,
      ...n.options.flatMap(flagsOf),
      ...(n.path.length > 0 ? globals : []),
    ];
    return `    "${n.path.join("/")}") words="${list.join(" ")}" ;;`;
  });
  const choices = nodes.flatMap((n) =>
    n.options
      .filter((o) => (o.argChoices?.length ?? 0) > 0)
      .map(
        (o) =>
          `    "${n.path.join("/")}:${flagsOf(o).join(`"|"${n.path.join("/")}:`)}") words="${o.argChoices?.join(" ")}" ;;`,
      ),
  );
  return `# sre-lab completion for bash: source <(sre-lab completion bash)
_sre_lab() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word words i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "\${path:+$path/}$word" in
      ${known.join("|")}) path="\${path:+$path/}$word" ;;
    esac
  done
  case "$path:$prev" in
${choices.join("\n")}
    *) words="" ;;
  esac
  if [[ -z "$words" ]]; then
    case "$path" in
${words.join("\n")}
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _sre_lab sre-lab
`;
}

function fishScript(root: Node): string {
  const quote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const lines = [
    "# sre-lab completion for fish: sre-lab completion fish > ~/.config/fish/completions/sre-lab.fish",
  ];
  lines.push("complete -c sre-lab -f");
  for (const option of root.options) lines.push(fishOption(option, "", quote));
  for (const node of all(root)) {
    if (node.path.length === 0 && node.children.length === 0) continue;
    const siblings = node.children.map((c) => c.path.at(-1) as string);
    // Offer a node's subcommands once its path is typed and none of its subcommands yet.
    const seen =
      node.path.length === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${node.path.at(-1)}; and not __fish_seen_subcommand_from ${siblings.join(" ")}`;
    for (const child of node.children) {
      lines.push(
        `complete -c sre-lab -n ${quote(seen)} -a ${child.path.at(-1)} -d ${quote(child.description)}`,
      );
    }
    if (node.path.length > 0) {
      const condition = `__fish_seen_subcommand_from ${node.path.at(-1)}`;
      for (const option of node.options) lines.push(fishOption(option, condition, quote));
      if (node.argumentChoices.length > 0)
        lines.push(`complete -c sre-lab -n ${quote(condition)} -a ${quote(node.argumentChoices.join(" "))}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function fishOption(option: Option, condition: string, quote: (t: string) => string): string {
  const parts = ["complete -c sre-lab"];
  if (condition) parts.push(`-n ${quote(condition)}`);
  if (option.short) parts.push(`-s ${option.short.replace(/^-/, "")}`);
  if (option.long) parts.push(`-l ${option.long.replace(/^--/, "")}`);
  if (option.argChoices?.length) parts.push(`-x -a ${quote(option.argChoices.join(" "))}`);
  else if (option.required || option.optional) parts.push("-r -F");
  parts.push(`-d ${quote(option.description)}`);
  return parts.join(" ");
}

export function completionCommand(program: Command, shell: string, write: (text: string) => void): void {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`no completion for shell "${shell}"`, {
      hint: "use sre-lab completion bash, zsh or fish",
    });
  }
  write(completionScript(program, shell as Shell));
}
