/** Renders argv as one line a user can paste into a POSIX shell. */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteArg(arg: string): string {
  if (arg === "") return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}

export function formatCommandLine(argv: readonly string[]): string {
  return argv.map(quoteArg).join(" ");
}

/** The last `maxLines` non-empty lines of a command's output, for error messages. */
export function tail(text: string, maxLines = 15): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  const kept = lines.slice(-maxLines);
  return (lines.length > maxLines ? ["…", ...kept] : kept).join("\n");
}
