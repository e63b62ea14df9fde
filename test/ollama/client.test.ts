// The product's Ollama client against the fake Ollama (itself proven against the real `ollama` package in
// test/harness/fake-ollama.test.ts): each method, each error mapping, deadlines and interrupts.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeadlineError, InterruptedError, SreLabError, UsageError } from "../../src/core/errors.js";
import {
  type ChatMessage,
  type ChatStreamRequest,
  canonicalModelName,
  createOllamaClient,
  normalizeHost,
  type OllamaClient,
  type PullProgress,
} from "../../src/ollama/client.js";
import {
  OllamaAnswerCutOffError,
  OllamaDeadlineError,
  OllamaModelMissingError,
  OllamaUnreachableError,
} from "../../src/ollama/errors.js";
import {
  countTokens,
  type FakeOllama,
  renderChatPrompt,
  startFakeOllama,
} from "../harness/fake-ollama/index.js";

let fake: FakeOllama;
let client: OllamaClient;

beforeEach(async () => {
  fake = await startFakeOllama({ models: ["phi3:mini"], registry: ["llama3.2"] });
  client = createOllamaClient({ host: fake.url });
});

afterEach(async () => {
  await fake.close();
  // Invariants over every test: each chat states num_ctx, and Ollama never had to cut a prompt.
  for (const request of fake.requests.filter((r) => r.path === "/api/chat")) {
    expect(request.body?.options?.num_ctx).toEqual(expect.any(Number));
    expect(request.prompt?.truncation).toBeUndefined();
  }
  expect(fake.log).toEqual([]);
});

const messages: ChatMessage[] = [
  { role: "system", content: "You explain why Kubernetes pods fail." },
  { role: "user", content: "Pod api-7f9 is in CrashLoopBackOff, exit code 137." },
];

function chat(overrides: Partial<ChatStreamRequest> = {}): ChatStreamRequest {
  return { model: "phi3:mini", messages, numCtx: 2048, onToken: () => {}, ...overrides };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error(`expected a rejection with an Error, got ${String(error)}`);
  return error;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("host", () => {
  it.each([
    ["127.0.0.1:11434", "http://127.0.0.1:11434"],
    ["ollama.sre-lab.svc", "http://ollama.sre-lab.svc:11434"],
    ["http://ollama.sre-lab.svc", "http://ollama.sre-lab.svc"],
    ["https://ollama.example.com/", "https://ollama.example.com"],
    ["  http://127.0.0.1:8080/ollama/ ", "http://127.0.0.1:8080/ollama"],
  ])("normalizes %j to %j", (given, expected) => {
    expect(normalizeHost(given)).toBe(expected);
    expect(createOllamaClient({ host: given }).host).toBe(expected);
  });

  it.each(["", "   ", "ftp://ollama", "http://exa mple"])("rejects %j as a usage error", (given) => {
    expect(() => createOllamaClient({ host: given })).toThrow(UsageError);
  });

  describe("with OLLAMA_HOST pointing somewhere else", () => {
    let decoy: FakeOllama;
    const saved = process.env.OLLAMA_HOST;

    beforeAll(async () => {
      decoy = await startFakeOllama({ models: ["phi3:mini"] });
      process.env.OLLAMA_HOST = decoy.url;
    });

    afterAll(async () => {
      if (saved === undefined) delete process.env.OLLAMA_HOST;
      else process.env.OLLAMA_HOST = saved;
      await decoy.close();
    });

    it("ignores it: every call goes to the explicit host", async () => {
      const explicit = createOllamaClient({ host: fake.url });
      expect(await explicit.version()).toBe("0.6.5");
      expect(await explicit.hasModel("phi3:mini")).toBe(true);
      await explicit.chatStream(chat());
      await explicit.pull("phi3:mini", () => {});

      expect(fake.requests.map((r) => r.path)).toEqual([
        "/api/version",
        "/api/tags",
        "/api/chat",
        "/api/pull",
      ]);
      expect(decoy.requests).toEqual([]);
    });
  });
});

describe("version", () => {
  it("returns the server's version", async () => {
    expect(await client.version()).toBe("0.6.5");
    expect(fake.requests).toMatchObject([{ method: "GET", path: "/api/version" }]);
  });

  it("says when the server at the host is not Ollama", async () => {
    const other = createServer((_req, res) =>
      res.writeHead(200, { "Content-Type": "text/html" }).end("<html>hi</html>"),
    );
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const host = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const error = await rejection(createOllamaClient({ host }).version());
      expect(error).toBeInstanceOf(SreLabError);
      expect(error.message).toBe(
        `the server at ${host} does not answer like Ollama (asking for its version)`,
      );
      expect((error as SreLabError).hint).toMatch(/points at the lab's Ollama/);
    } finally {
      other.closeAllConnections();
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

describe("hasModel", () => {
  it("matches names as Ollama does: implicit :latest, any case, default registry prefix", async () => {
    fake.setModels(["phi3:mini", "llama3.2"]);
    const cases: Array<[string, boolean]> = [
      ["phi3:mini", true],
      ["PHI3:Mini", true],
      ["registry.ollama.ai/library/phi3:mini", true],
      ["phi3", false],
      ["phi3:latest", false],
      ["llama3.2", true],
      ["llama3.2:latest", true],
      ["llama3.2:1b", false],
      ["mistral", false],
    ];
    for (const [name, expected] of cases) {
      expect([name, await client.hasModel(name)]).toEqual([name, expected]);
    }
    expect(fake.requests.every((r) => r.path === "/api/tags")).toBe(true);
  });

  it.each([
    ["phi3", "phi3:latest"],
    ["phi3:mini", "phi3:mini"],
    ["library/phi3", "phi3:latest"],
    ["myuser/model", "myuser/model:latest"],
    ["registry.example.com:5000/team/model", "registry.example.com:5000/team/model:latest"],
  ])("canonical name of %j is %j", (name, expected) => {
    expect(canonicalModelName(name)).toBe(expected);
  });

  it("refuses an empty name", async () => {
    await expect(client.hasModel(" ")).rejects.toThrow(UsageError);
  });
});

describe("pull", () => {
  it("aggregates layer progress into one growing total and ends complete", async () => {
    const events: PullProgress[] = [];
    await client.pull("llama3.2", (progress) => events.push(progress));

    const tags = (await (await fetch(`${fake.url}/api/tags`)).json()) as {
      models: { name: string; size: number }[];
    };
    const modelBytes = tags.models.find((m) => m.name === "llama3.2:latest")?.size;
    expect(modelBytes).toBeGreaterThan(2_000_000_000);

    expect(events[0]).toEqual({ status: "pulling manifest", completedBytes: 0, totalBytes: 0 });
    expect(events.at(-1)).toEqual({ status: "success", completedBytes: modelBytes, totalBytes: modelBytes });
    const downloading = events.filter((e) => e.status === "downloading");
    expect(downloading.length).toBeGreaterThan(8);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.completedBytes).toBeGreaterThanOrEqual(events[i - 1]!.completedBytes);
      expect(events[i]!.totalBytes).toBeGreaterThanOrEqual(events[i - 1]!.totalBytes);
      expect(events[i]!.completedBytes).toBeLessThanOrEqual(events[i]!.totalBytes);
    }
    expect(new Set(downloading.map((e) => e.totalBytes)).size).toBeGreaterThan(1);
    expect(await client.hasModel("llama3.2")).toBe(true);
    expect(fake.requests.find((r) => r.path === "/api/pull")?.body).toMatchObject({
      name: "llama3.2",
      stream: true,
    });
  });

  it("maps a name the registry lacks to a one-line error with a hint", async () => {
    const error = await rejection(client.pull("lama3.2", () => {}));
    expect(error).toBeInstanceOf(SreLabError);
    expect(error.message).toBe("Ollama could not find lama3.2 in the model registry");
    expect((error as SreLabError).hint).toBe("check the model name (for example phi3:mini)");
    expect((error as SreLabError).details).toBe("Ollama said: pull model manifest: file does not exist");
  });

  it("says a pull cut off mid-way, with the last progress seen", async () => {
    fake.script({ failure: { kind: "disconnect", afterChunks: 3, endpoints: ["pull"] } });
    const error = await rejection(client.pull("llama3.2", () => {}));
    expect(error).toBeInstanceOf(SreLabError);
    expect(error.message).toMatch(
      /^pulling llama3\.2 was cut off \(last: downloading [\d.]+ [kMG]?B of [\d.]+ [kMG]?B\): /,
    );
    expect((error as SreLabError).hint).toMatch(/resumes/);
  });

  it("passes Ollama's in-band error through", async () => {
    fake.script({
      failure: { kind: "stream-error", afterChunks: 2, message: "disk full", endpoints: ["pull"] },
    });
    const error = await rejection(client.pull("llama3.2", () => {}));
    expect(error.message).toBe(`Ollama at ${fake.url} could not pull llama3.2: disk full`);
  });

  it("fails a pull that stops making progress", async () => {
    fake.script({ pullChunkDelayMs: 2_000 });
    const started = performance.now();
    const error = await rejection(client.pull("llama3.2", () => {}, { stallTimeoutMs: 150 }));
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error.message).toBe(
      `pulling llama3.2 stalled: no progress from Ollama at ${fake.url} for 150ms (last: pulling manifest)`,
    );
  });

  it("fails a pull that outlives its overall deadline", async () => {
    fake.script({ pullChunkDelayMs: 40 });
    const error = await rejection(client.pull("llama3.2", () => {}, { timeoutMs: 200 }));
    expect(error).toBeInstanceOf(OllamaDeadlineError);
    expect(error.message).toMatch(/^pulling llama3\.2 did not finish within 200ms \(last: downloading /);
  });

  it("treats a pull with no response at all as Ollama not answering", async () => {
    fake.script({ failure: { kind: "hang", endpoints: ["pull"] } });
    const error = await rejection(client.pull("llama3.2", () => {}, { stallTimeoutMs: 150 }));
    expect(error).toBeInstanceOf(OllamaUnreachableError);
    expect(error.message).toBe(`Ollama at ${fake.url} is not answering (no response within 150ms)`);
  });

  it("rethrows an exception from the progress callback unchanged", async () => {
    const mine = new Error("renderer broke");
    expect(
      await rejection(
        client.pull("llama3.2", () => {
          throw mine;
        }),
      ),
    ).toBe(mine);
  });
});

describe("chatStream", () => {
  it("streams tokens, assembles the text and reports Ollama's statistics", async () => {
    const answer = "The container was OOM-killed: raise its memory limit or fix the leak.";
    fake.script({ answer, firstTokenDelayMs: 120, stats: { eval_duration: 2_000_000_000 } });
    const tokens: string[] = [];
    const result = await client.chatStream(chat({ onToken: (token) => tokens.push(token) }));

    const completion = countTokens(answer);
    expect(result.text).toBe(answer);
    expect(tokens.join("")).toBe(answer);
    expect(tokens.length).toBe(completion);
    expect(result.completionTokens).toBe(completion);
    expect(result.promptTokens).toBe(countTokens(renderChatPrompt(messages)));
    expect(result.promptTokens).toBe(fake.requests.at(-1)?.prompt?.tokens);
    expect(result.tokensPerSecond).toBeCloseTo(completion / 2, 5);
    expect(result.timeToFirstTokenMs).toBeGreaterThanOrEqual(110);
    expect(result.timeToFirstTokenMs).toBeLessThan(2_000);
    expect(result.doneReason).toBe("stop");
  });

  it("sends the model, the messages and options.num_ctx, and temperature only when given", async () => {
    await client.chatStream(chat({ numCtx: 3072 }));
    await client.chatStream(chat({ numCtx: 1024, temperature: 0.2 }));

    const sent = fake.requests.filter((r) => r.path === "/api/chat").map((r) => r.body);
    expect(sent).toEqual([
      { model: "phi3:mini", messages, stream: true, options: { num_ctx: 3072 } },
      { model: "phi3:mini", messages, stream: true, options: { num_ctx: 1024, temperature: 0.2 } },
    ]);
    // The prompt fitted, so Ollama would not have cut anything.
    expect(fake.requests.map((r) => r.prompt?.truncation)).toEqual([undefined, undefined]);
    expect(fake.log).toEqual([]);
  });

  it("reports done_reason as given", async () => {
    fake.script({ doneReason: "length" });
    expect((await client.chatStream(chat())).doneReason).toBe("length");
  });

  it.each([
    [{ numCtx: 0 }, /num_ctx must be a positive whole number/],
    [{ numCtx: 1.5 }, /num_ctx must be a positive whole number/],
    [{ messages: [] }, /at least one message/],
    [{ model: "" }, /no model name/],
    [{ temperature: Number.NaN }, /temperature must be a number/],
    [{ firstTokenTimeoutMs: -1 }, /firstTokenTimeoutMs must be a positive/],
  ])("refuses %j as a usage error without calling Ollama", async (overrides, message) => {
    const error = await rejection(client.chatStream(chat(overrides)));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(message);
    expect(fake.requests).toEqual([]);
  });

  it("rethrows an exception from onToken unchanged", async () => {
    const mine = new Error("terminal closed");
    const error = await rejection(
      client.chatStream(
        chat({
          onToken: () => {
            throw mine;
          },
        }),
      ),
    );
    expect(error).toBe(mine);
  });
});

describe("load and the answer's durations", () => {
  it("reports Ollama's load, prefill and generation durations in milliseconds", async () => {
    fake.script({
      answer: "a b c",
      stats: {
        load_duration: 4_200_000_000,
        prompt_eval_duration: 6_100_000_000,
        eval_duration: 11_800_000_000,
      },
    });
    const result = await client.chatStream(chat());
    expect(result).toMatchObject({ loadMs: 4_200, prefillMs: 6_100, generateMs: 11_800 });
  });

  it("loads the model with no messages, the chat's num_ctx and a keep_alive, and leaves it resident", async () => {
    fake.script({ loadDelayMs: 150 });
    const loaded = await client.load({ model: "phi3:mini", numCtx: 4096, keepAlive: "1h" });
    expect(loaded.ms).toBeGreaterThanOrEqual(140);
    expect(fake.requests.at(-1)?.body).toEqual({
      model: "phi3:mini",
      messages: [],
      stream: false,
      keep_alive: "1h",
      options: { num_ctx: 4096 },
    });
    expect(fake.resident()).toMatchObject([{ name: "phi3:mini", numCtx: 4096, keepAliveMs: 3_600_000 }]);

    // The chat that follows finds the model in memory: no second load, a load_duration near zero.
    const answer = await client.chatStream(chat({ numCtx: 4096 }));
    expect(fake.loads).toHaveLength(1);
    expect(answer.loadMs).toBeLessThan(100);
  });

  it("maps a missing model, Ollama down, a deadline and an abort", async () => {
    expect(await rejection(client.load({ model: "mistral", numCtx: 4096, keepAlive: "1h" }))).toBeInstanceOf(
      OllamaModelMissingError,
    );
    fake.script({ loadDelayMs: 2_000 });
    const slow = await rejection(
      client.load({ model: "phi3:mini", numCtx: 4096, keepAlive: "1h", timeoutMs: 100 }),
    );
    expect(slow).toBeInstanceOf(OllamaDeadlineError);
    expect(slow.message).toContain("loading phi3:mini");

    const stop = new AbortController();
    const aborted = rejection(
      client.load({ model: "phi3:mini", numCtx: 2048, keepAlive: "1h", signal: stop.signal }),
    );
    setTimeout(() => stop.abort(), 50);
    expect(await aborted).toBeInstanceOf(InterruptedError);

    const down = createOllamaClient({ host: `http://127.0.0.1:${await closedPort()}` });
    expect(await rejection(down.load({ model: "phi3:mini", numCtx: 4096, keepAlive: "1h" }))).toBeInstanceOf(
      OllamaUnreachableError,
    );
  });
});

describe("error mapping", () => {
  it.each([
    ["version", (c: OllamaClient) => c.version()],
    ["hasModel", (c: OllamaClient) => c.hasModel("phi3:mini")],
    ["pull", (c: OllamaClient) => c.pull("phi3:mini", () => {})],
    ["chatStream", (c: OllamaClient) => c.chatStream(chat())],
  ])("%s: connection refused → Ollama is not answering, with a hint", async (_name, call) => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const error = await rejection(call(createOllamaClient({ host })));
    expect(error).toBeInstanceOf(OllamaUnreachableError);
    expect(error.message).toBe(`Ollama at ${host} is not answering (connection refused)`);
    expect((error as SreLabError).hint).toBe(
      `check that the lab is up and its Ollama port-forward is running; \`curl ${host}/api/version\` should print a version`,
    );
    expect((error as SreLabError).exitCode).toBe(1);
  });

  it("a host whose name does not resolve is not answering either", async () => {
    const error = await rejection(createOllamaClient({ host: "http://ollama.invalid:11434" }).version());
    expect(error).toBeInstanceOf(OllamaUnreachableError);
    expect(error.message).toMatch(
      /^Ollama at http:\/\/ollama\.invalid:11434 is not answering \((host not found|DNS lookup failed)\)$/,
    );
  });

  it("a server that never responds hits the request deadline", async () => {
    fake.script({ failure: { kind: "hang", endpoints: ["version", "tags"] } });
    const quick = createOllamaClient({ host: fake.url, timeoutMs: 150 });
    const started = performance.now();
    const error = await rejection(quick.version());
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(OllamaUnreachableError);
    expect(error.message).toBe(`Ollama at ${fake.url} is not answering (no response within 150ms)`);
    await expect(quick.hasModel("phi3:mini")).rejects.toThrow(OllamaUnreachableError);
  });

  it("a missing model → 'not present' with a hint to pull it", async () => {
    fake.setModels([]);
    const error = await rejection(client.chatStream(chat()));
    expect(error).toBeInstanceOf(OllamaModelMissingError);
    expect(error.message).toBe(`model phi3:mini is not present in Ollama at ${fake.url}`);
    expect((error as OllamaModelMissingError).hint).toBe(
      `pull it first: curl -s ${fake.url}/api/pull -d '{"model":"phi3:mini"}'`,
    );
  });

  it("an HTTP 500 before the answer → Ollama's message, the status in details", async () => {
    fake.script({
      failure: { kind: "http-error", message: "llama runner process has terminated: signal: killed" },
    });
    const error = await rejection(client.chatStream(chat()));
    expect(error.constructor).toBe(SreLabError);
    expect(error.message).toBe(
      `Ollama at ${fake.url} failed to answer with phi3:mini: llama runner process has terminated: signal: killed`,
    );
    expect((error as SreLabError).details).toBe("HTTP 500");
    expect((error as SreLabError).hint).toMatch(/out of memory/);
  });

  it("a connection dropped mid-answer → cut off after N tokens, keeping the partial text", async () => {
    fake.script({
      answer: "Raise the memory limit of the api container.",
      failure: { kind: "disconnect", afterChunks: 4 },
    });
    const tokens: string[] = [];
    const error = await rejection(client.chatStream(chat({ onToken: (t) => tokens.push(t) })));
    expect(error).toBeInstanceOf(OllamaAnswerCutOffError);
    const cut = error as OllamaAnswerCutOffError;
    expect(cut.message).toBe(
      `the answer from phi3:mini was cut off after 4 tokens: the connection to Ollama at ${fake.url} broke (connection closed)`,
    );
    expect(cut.partialText).toBe("Raise the memory limit");
    expect(cut.tokens).toBe(4);
    expect(tokens.join("")).toBe(cut.partialText);
    expect(cut.hint).toMatch(/run it again/);
  });

  it("an error Ollama reports mid-answer → cut off, with Ollama's words", async () => {
    fake.script({
      answer: "one two three",
      failure: { kind: "stream-error", afterChunks: 2, message: "runner died" },
    });
    const error = await rejection(client.chatStream(chat()));
    expect(error).toBeInstanceOf(OllamaAnswerCutOffError);
    expect(error.message).toBe(
      "the answer from phi3:mini was cut off after 2 tokens: Ollama reported: runner died",
    );
    expect((error as OllamaAnswerCutOffError).partialText).toBe("one two");
  });

  it("no first token in time → a DeadlineError, quickly", async () => {
    fake.script({ firstTokenDelayMs: 5_000 });
    const started = performance.now();
    const error = await rejection(client.chatStream(chat({ firstTokenTimeoutMs: 150 })));
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error.message).toBe(`phi3:mini at ${fake.url} produced no first token within 150ms`);
    expect((error as OllamaDeadlineError).partialText).toBe("");
    expect((error as SreLabError).hint).toMatch(/still be loading/);
  });

  it("an answer that outlives the overall deadline → a DeadlineError keeping the partial text", async () => {
    fake.script({ answer: "a b c d e f g h i j k l m n o p", chunkDelayMs: 80 });
    const error = await rejection(client.chatStream(chat({ timeoutMs: 400 })));
    expect(error).toBeInstanceOf(OllamaDeadlineError);
    const late = error as OllamaDeadlineError;
    expect(late.tokens).toBeGreaterThan(1);
    expect(late.tokens).toBeLessThan(16);
    expect(late.message).toBe(
      `the answer from phi3:mini did not finish within 400ms; cut off after ${late.tokens} tokens`,
    );
    expect("a b c d e f g h i j k l m n o p".startsWith(late.partialText)).toBe(true);
  });

  it("the first-token deadline stops applying once tokens flow", async () => {
    fake.script({ answer: "a b c d e f", firstTokenDelayMs: 20, chunkDelayMs: 120 });
    const result = await client.chatStream(chat({ firstTokenTimeoutMs: 300 }));
    expect(result.text).toBe("a b c d e f");
  });
});

describe("interrupts", () => {
  it("aborting mid-answer → InterruptedError (exit 130), and the connection is dropped", async () => {
    fake.script({ answer: "a b c d e f g h i j", chunkDelayMs: 100 });
    const controller = new AbortController();
    const interruptible = createOllamaClient({ host: fake.url, signal: controller.signal });
    const tokens: string[] = [];
    const started = performance.now();
    const error = await rejection(
      interruptible.chatStream(
        chat({
          onToken: (token) => {
            tokens.push(token);
            if (tokens.length === 2) controller.abort();
          },
        }),
      ),
    );
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(130);
    expect(tokens).toEqual(["a", " b"]);
    expect(performance.now() - started).toBeLessThan(900);
  });

  it("aborting while waiting for a response → InterruptedError", async () => {
    fake.script({ failure: { kind: "hang", endpoints: ["version", "pull"] } });
    const controller = new AbortController();
    const interruptible = createOllamaClient({ host: fake.url, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(interruptible.version()).rejects.toThrow(InterruptedError);

    const again = new AbortController();
    const pulling = createOllamaClient({ host: fake.url, signal: again.signal }).pull("llama3.2", () => {});
    setTimeout(() => again.abort(), 50);
    await expect(pulling).rejects.toThrow(InterruptedError);
  });

  it("an already-aborted signal → InterruptedError without any request", async () => {
    const interruptible = createOllamaClient({ host: fake.url, signal: AbortSignal.abort() });
    await expect(interruptible.version()).rejects.toThrow(InterruptedError);
    await expect(interruptible.chatStream(chat())).rejects.toThrow(InterruptedError);
    await expect(interruptible.pull("phi3:mini", () => {})).rejects.toThrow(InterruptedError);
    expect(fake.requests).toEqual([]);
  });
});

describe("injected fetch", () => {
  it("is used for every request, with a signal attached", async () => {
    const seen: Array<{ url: string; hasSignal: boolean }> = [];
    const recording: typeof fetch = (input, init) => {
      seen.push({ url: String(input), hasSignal: init?.signal instanceof AbortSignal });
      return fetch(input, init);
    };
    const injected = createOllamaClient({ host: fake.url, fetch: recording });
    await injected.version();
    await injected.chatStream(chat());
    expect(seen).toEqual([
      { url: `${fake.url}/api/version`, hasSignal: true },
      { url: `${fake.url}/api/chat`, hasSignal: true },
    ]);
  });
});
