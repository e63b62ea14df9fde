/**
 * What a container exit code means. Codes above 128 are 128 + the number of the signal that
 * ended the process (137 = SIGKILL, 143 = SIGTERM); 126/127 come from the shell or runtime when
 * the command cannot be executed or found; containerd reports 128 with reason StartError when the
 * process could not be started at all.
 */

const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

export function exitCodeMeaning(code: number): string {
  switch (code) {
    case 0:
      return "success";
    case 1:
      return "general application error";
    case 2:
      return "error exit 2 (a Go panic, or invalid arguments/shell misuse)";
    case 126:
      return "command found but not executable (permission denied or not a binary)";
    case 127:
      return "command not found (wrong path in command/args, or missing from the image)";
    case 128:
      return "the container process could not be started";
    case 137:
      return "killed by SIGKILL (out of memory, or a kill after the grace period)";
    case 139:
      return "segmentation fault (SIGSEGV)";
    case 143:
      return "terminated by SIGTERM (asked to stop)";
    case 255:
      return "exit status -1 / out of range";
    default: {
      const signal = SIGNALS[code - 128];
      if (code > 128 && signal) return `killed by signal ${signal}`;
      return "application-defined error";
    }
  }
}

/** "137 (killed by SIGKILL …)". */
export function describeExitCode(code: number): string {
  return `${code} (${exitCodeMeaning(code)})`;
}

/** Exit codes set by the shell/runtime when the command itself could not run. */
export function isStartFailureExit(code: number | undefined, reason: string | undefined): boolean {
  if (reason === "StartError" || reason === "ContainerCannotRun") return true;
  return code === 126 || code === 127;
}

/** 137 or 143: the process was killed or asked to stop from outside. */
export function isKillSignalExit(code: number | undefined): boolean {
  return code === 137 || code === 143;
}
