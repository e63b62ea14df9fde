/** The write guard's typed question on a terminal: the answer, end of input, Ctrl-C, the abort signal. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { askText } from "../../src/cli/prompt.js";
import { InterruptedError } from "../../src/core/errors.js";

/** Streams readline takes for a terminal (isTTY on the output puts it in terminal mode, as on a real TTY). */
function terminal() {
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  let shown = "";
  output.on("data", (chunk: Buffer) => {
    shown += chunk.toString();
  });
  return { input, output, shown: () => shown };
}

describe("askText", () => {
  it("shows the question on the output and returns the typed line", async () => {
    const io = terminal();
    const answer = askText("Type the context's name (staging) to go on:", new AbortController().signal, io);
    io.input.write("staging\n");
    await expect(answer).resolves.toBe("staging");
    expect(io.shown()).toContain("Type the context's name (staging) to go on: ");
  });

  it("end of input (Ctrl-D) is an empty answer, not a hang", async () => {
    const io = terminal();
    const answer = askText("Type it:", new AbortController().signal, io);
    io.input.end();
    await expect(answer).resolves.toBe("");
  });

  it("Ctrl-C at the question (readline's SIGINT) and the flow's abort signal are InterruptedError", async () => {
    const io = terminal();
    const answer = askText("Type it:", new AbortController().signal, io);
    io.input.write("\u0003"); // what a terminal in raw mode sends for Ctrl-C
    await expect(answer).rejects.toBeInstanceOf(InterruptedError);

    const controller = new AbortController();
    const aborted = askText("Type it:", controller.signal, terminal());
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(InterruptedError);
  });
});
