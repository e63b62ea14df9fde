/**
 * A typed answer on the terminal, for the write guard's confirmation. Ctrl-C at the question is an
 * InterruptedError (exit 130), never a stuck or paused prompt: readline in raw mode swallows the
 * SIGINT the process handler would see, so it is taken here, as is the flow's own abort signal.
 * End of input (Ctrl-D) is an empty answer.
 */
import { InterruptedError } from "../core/errors.js";

export async function askText(
  question: string,
  signal: AbortSignal,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stderr,
  },
): Promise<string> {
  const { createInterface } = await import("node:readline/promises");
  if (signal.aborted) throw new InterruptedError();
  const rl = createInterface({ input: io.input, output: io.output });
  let settle: (outcome: "interrupted" | "closed") => void = () => {};
  const stopped = new Promise<"interrupted" | "closed">((resolve) => {
    settle = resolve;
  });
  const onAbort = () => settle("interrupted");
  rl.once("SIGINT", onAbort);
  rl.once("close", () => settle("closed"));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const answer = await Promise.race([rl.question(`${question} `).catch(() => undefined), stopped]);
    if (answer === "interrupted") {
      io.output.write("\n");
      throw new InterruptedError();
    }
    return answer === "closed" || answer === undefined ? "" : answer;
  } finally {
    signal.removeEventListener("abort", onAbort);
    rl.close();
  }
}
