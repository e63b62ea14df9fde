// Proves the fake Ollama against the real `ollama` npm package: if these pass, code written against the
// package behaves the same with the fake as with Ollama's wire format (docs/api.md).
import { Ollama } from "ollama";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countTokens, type FakeOllama, renderChatPrompt, startFakeOllama } from "./fake-ollama/index.js";

let fake: FakeOllama;
let client: Ollama;

beforeEach(async () => {
  fake = await startFakeOllama({ models: ["phi3:mini"], registry: ["llama3.2"] });
  client = new Ollama({ host: fake.url });
});

afterEach(async () => {
  await fake.close();
});

const question = [{ role: "user", content: "Why is my pod crash-looping?" }];

describe("metadata endpoints", () => {
  it("reports a version", async () => {
    expect(await client.version()).toEqual({ version: "0.6.5" });
  });

  it("lists the models present, with their details", async () => {
    const { models } = await client.list();
    expect(models.map((m) => m.name)).toEqual(["phi3:mini"]);
    expect(models[0]).toMatchObject({
      model: "phi3:mini",
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { format: "gguf", family: "phi3", parameter_size: "3.8B", quantization_level: "Q4_0" },
    });
    expect(models[0]?.size).toBeGreaterThan(2_000_000_000);

    fake.setModels(["llama3.2", "phi3:mini"]);
    expect((await client.list()).models.map((m) => m.name)).toEqual(["llama3.2:latest", "phi3:mini"]);
  });

  it("shows a model, and answers 404 for one it lacks", async () => {
    const shown = await client.show({ model: "phi3:mini" });
    expect(shown.details.family).toBe("phi3");
    expect(shown.capabilities).toEqual(["completion"]);
    expect((shown.model_info as unknown as Record<string, unknown>)["phi3.context_length"]).toBe(131_072);

    const error = await client.show({ model: "mistral" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "ResponseError",
      status_code: 404,
      message: "model 'mistral' not found",
    });
  });

  it("answers unknown routes like Ollama's router", async () => {
    const response = await fetch(`${fake.url}/api/nothing`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("404 page not found");
  });
});

describe("pull", () => {
  it("streams manifest, per-layer byte progress in several chunks, then success, and installs the model", async () => {
    const stream = await client.pull({ model: "llama3.2", stream: true });
    const events = [];
    for await (const event of stream) events.push(event);

    expect(events[0]).toEqual({ status: "pulling manifest" });
    expect(events.slice(-3).map((e) => e.status)).toEqual([
      "verifying sha256 digest",
      "writing manifest",
      "success",
    ]);
    const layerEvents = events.filter((e) => e.digest !== undefined);
    const digests = [...new Set(layerEvents.map((e) => e.digest))];
    expect(digests.length).toBeGreaterThan(1);
    for (const digest of digests) {
      const ticks = layerEvents.filter((e) => e.digest === digest);
      expect(ticks.length).toBeGreaterThan(2);
      expect(ticks[0]?.status).toBe(`pulling ${digest.slice(7, 19)}`);
      expect(ticks[0]?.completed).toBeUndefined(); // omitted until bytes arrived, as in Ollama
      expect(ticks.at(-1)?.completed).toBe(ticks.at(-1)?.total);
      expect(ticks.every((t) => t.total === ticks[0]?.total && t.total > 0)).toBe(true);
    }
    expect(fake.models()).toContain("llama3.2:latest");
    expect(fake.requests.at(-1)).toMatchObject({
      path: "/api/pull",
      body: { name: "llama3.2", stream: true },
    });
  });

  it("reports a present model's layers as complete at once", async () => {
    const events = [];
    for await (const event of await client.pull({ model: "phi3:mini", stream: true })) events.push(event);
    const ticks = events.filter((e) => e.digest !== undefined);
    expect(ticks.every((t) => t.completed === t.total)).toBe(true);
  });

  it("answers one JSON object when stream is false", async () => {
    expect(await client.pull({ model: "llama3.2", stream: false })).toEqual({ status: "success" });
    expect(fake.models()).toContain("llama3.2:latest");
  });

  it("fails an unknown model in-band when streaming and with 500 when not", async () => {
    const seen: string[] = [];
    const streamed = async () => {
      for await (const event of await client.pull({ model: "no-such-model", stream: true }))
        seen.push(event.status);
    };
    await expect(streamed()).rejects.toThrow("pull model manifest: file does not exist");
    expect(seen).toEqual(["pulling manifest"]);

    const error = await client.pull({ model: "no-such-model", stream: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ResponseError", status_code: 500 });
    expect(fake.models()).toEqual(["phi3:mini"]);
  });
});

describe("chat and generate", () => {
  it("streams the answer token by token and ends with Ollama's statistics", async () => {
    fake.script({ answer: "Exit code 137 means the container was OOM-killed." });
    const stream = await client.chat({
      model: "phi3:mini",
      messages: question,
      stream: true,
      options: { num_ctx: 2048 },
    });
    let text = "";
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.message.content;
    }

    expect(text).toBe("Exit code 137 means the container was OOM-killed.");
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.slice(0, -1).every((c) => c.done === false && c.message.role === "assistant")).toBe(true);
    const final = chunks.at(-1)!;
    expect(final).toMatchObject({
      done: true,
      done_reason: "stop",
      message: { role: "assistant", content: "" },
    });
    expect(final.eval_count).toBe(chunks.length - 1);
    expect(final.prompt_eval_count).toBe(countTokens(renderChatPrompt(question)));
    for (const key of ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"] as const) {
      expect(final[key]).toBeGreaterThan(0);
    }
    expect(final.total_duration).toBeGreaterThanOrEqual(final.eval_duration);

    const recorded = fake.requests.at(-1)!;
    expect(recorded).toMatchObject({ method: "POST", path: "/api/chat", endpoint: "chat" });
    expect(recorded.body?.options?.num_ctx).toBe(2048);
    expect(recorded.body?.messages).toEqual(question);
    expect(recorded.prompt).toEqual({ tokens: final.prompt_eval_count, numCtx: 2048, truncation: undefined });
  });

  it("answers a non-streamed chat in one object", async () => {
    fake.script({ answer: "Check the liveness probe." });
    const response = await client.chat({ model: "phi3:mini", messages: question });
    expect(response).toMatchObject({
      done: true,
      done_reason: "stop",
      message: { content: "Check the liveness probe." },
    });
    expect(response.eval_count).toBe(countTokens("Check the liveness probe."));
  });

  it("treats a name without a tag as :latest", async () => {
    const error = await client
      .generate({ model: "phi3", prompt: "why?", stream: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      status_code: 404,
      message: 'model "phi3" not found, try pulling it first',
    });
    fake.setModels(["phi3"]);
    expect(await client.generate({ model: "PHI3:latest", prompt: "why?" })).toMatchObject({ done: true });
  });

  it("generates from a present model", async () => {
    fake.script({ answer: "ImagePullBackOff: the tag does not exist." });
    let text = "";
    const chunks = [];
    for await (const chunk of await client.generate({ model: "phi3:mini", prompt: "why?", stream: true })) {
      text += chunk.response;
      chunks.push(chunk);
    }
    expect(text).toBe("ImagePullBackOff: the tag does not exist.");
    expect(chunks.at(-1)).toMatchObject({ done: true, done_reason: "stop", response: "" });
    expect(chunks.at(-1)?.context.length).toBeGreaterThan(0);

    const single = await client.generate({ model: "phi3:mini", prompt: "why?", system: "Be brief." });
    expect(single).toMatchObject({ done: true, response: "ImagePullBackOff: the tag does not exist." });
    expect(fake.requests.at(-1)?.prompt?.tokens).toBe(
      countTokens(
        renderChatPrompt([
          { role: "system", content: "Be brief." },
          { role: "user", content: "why?" },
        ]),
      ),
    );
  });

  it("only loads the model for an empty chat", async () => {
    expect(await client.chat({ model: "phi3:mini", messages: [] })).toMatchObject({
      done: true,
      done_reason: "load",
    });
  });

  it("stops at options.num_predict with done_reason length", async () => {
    fake.script({ answer: "one two three four five six" });
    const response = await client.chat({
      model: "phi3:mini",
      messages: question,
      options: { num_predict: 3 },
    });
    expect(response).toMatchObject({
      done_reason: "length",
      eval_count: 3,
      message: { content: "one two three" },
    });
  });

  it("waits firstTokenDelayMs before the first chunk and chunkDelayMs between chunks", async () => {
    fake.script({ answer: "a b c d", firstTokenDelayMs: 150, chunkDelayMs: 40 });
    const started = performance.now();
    const arrivals: number[] = [];
    for await (const _chunk of await client.chat({ model: "phi3:mini", messages: question, stream: true })) {
      arrivals.push(performance.now() - started);
    }
    expect(arrivals[0]).toBeGreaterThanOrEqual(140);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(3 * 35);
  });

  it("reports scripted statistics verbatim", async () => {
    fake.script({ stats: { eval_duration: 2_000_000_000, load_duration: 5 } });
    const response = await client.chat({ model: "phi3:mini", messages: question });
    expect(response).toMatchObject({ eval_duration: 2_000_000_000, load_duration: 5 });
  });
});

describe("num_ctx and Ollama's silent truncation", () => {
  const long = (words: number) => Array.from({ length: words }, (_, i) => `word${i}`).join(" ");

  it("cuts a prompt longer than num_ctx to num_ctx tokens, answers 200, and only logs a warning", async () => {
    const messages = [{ role: "user", content: long(600) }];
    const response = await client.chat({ model: "phi3:mini", messages, options: { num_ctx: 512 } });

    expect(response.done).toBe(true);
    expect(response.prompt_eval_count).toBe(512);
    const { prompt } = fake.requests.at(-1)!;
    expect(prompt?.numCtx).toBe(512);
    expect(prompt?.truncation).toMatchObject({ numCtx: 512, messagesDropped: 0, keptTokens: 512 });
    expect(prompt?.truncation?.promptTokens).toBe(countTokens(renderChatPrompt(messages)));
    expect(prompt?.truncation?.warning).toBe(
      `truncating input prompt limit=512 prompt=${prompt?.truncation?.promptTokens} keep=4 new=512`,
    );
    expect(fake.log).toEqual([`level=WARN msg="${prompt?.truncation?.warning}"`]);
  });

  it("drops whole early chat messages first, keeping the system message, without a warning", async () => {
    const messages = [
      { role: "system", content: "You explain Kubernetes failures." },
      { role: "user", content: long(300) },
      { role: "assistant", content: long(300) },
      { role: "user", content: "And now?" },
    ];
    const response = await client.chat({ model: "phi3:mini", messages, options: { num_ctx: 200 } });

    const { truncation } = fake.requests.at(-1)!.prompt!;
    expect(truncation).toMatchObject({ messagesDropped: 2, warning: undefined });
    expect(response.prompt_eval_count).toBe(countTokens(renderChatPrompt([messages[0]!, messages[3]!])));
    expect(fake.log).toEqual([]);
  });

  it("uses the server default num_ctx when the request sends none", async () => {
    await client.chat({ model: "phi3:mini", messages: [{ role: "user", content: long(5000) }] });
    expect(fake.requests.at(-1)?.body?.options).toBeUndefined();
    expect(fake.requests.at(-1)?.prompt).toMatchObject({ numCtx: 4096, tokens: 4096 });
  });

  it("does not flag a prompt that fits", async () => {
    await client.chat({ model: "phi3:mini", messages: question, options: { num_ctx: 4096 } });
    expect(fake.requests.at(-1)?.prompt?.truncation).toBeUndefined();
    expect(fake.log).toEqual([]);
  });
});

describe("failures", () => {
  it("raises the package's ResponseError with Ollama's message for a missing model", async () => {
    const error = await client
      .chat({ model: "mistral:7b", messages: question, stream: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "ResponseError",
      status_code: 404,
      message: 'model "mistral:7b" not found, try pulling it first',
    });
  });

  it("can pretend a present model is missing", async () => {
    fake.script({ failure: { kind: "model-not-found" } });
    const error = await client.generate({ model: "phi3:mini", prompt: "x" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      status_code: 404,
      message: 'model "phi3:mini" not found, try pulling it first',
    });
  });

  it("injects an HTTP 500 with an error body, on chosen endpoints only", async () => {
    fake.script({
      failure: { kind: "http-error", message: "llama runner process has terminated: signal: killed" },
    });
    const error = await client
      .chat({ model: "phi3:mini", messages: question, stream: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "ResponseError",
      status_code: 500,
      message: "llama runner process has terminated: signal: killed",
    });
    expect(await client.version()).toEqual({ version: "0.6.5" });

    fake.script({ failure: { kind: "http-error", status: 503, message: "busy", endpoints: ["tags"] } });
    await expect(client.list()).rejects.toMatchObject({ status_code: 503, message: "busy" });
  });

  it("closes the connection mid-stream, surfacing as an error after the chunks sent", async () => {
    fake.script({ answer: "one two three four five six", failure: { kind: "disconnect", afterChunks: 3 } });
    const received: string[] = [];
    const consume = async () => {
      for await (const chunk of await client.chat({ model: "phi3:mini", messages: question, stream: true })) {
        received.push(chunk.message.content);
      }
    };
    const error = await consume().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("terminated");
    expect(received).toEqual(["one", " two", " three"]);
  });

  it("disconnecting before any chunk fails the request itself", async () => {
    fake.script({ failure: { kind: "disconnect", afterChunks: 0 } });
    const error = await client
      .chat({ model: "phi3:mini", messages: question, stream: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ message: "fetch failed", cause: { code: "UND_ERR_SOCKET" } });
  });

  it("sends an in-band error line mid-stream, as Ollama does once a 200 has started", async () => {
    fake.script({
      answer: "one two three",
      failure: { kind: "stream-error", afterChunks: 2, message: "runner died" },
    });
    const received: string[] = [];
    const consume = async () => {
      for await (const chunk of await client.chat({ model: "phi3:mini", messages: question, stream: true })) {
        received.push(chunk.message.content);
      }
    };
    await expect(consume()).rejects.toThrow("runner died");
    expect(received).toEqual(["one", " two"]);
  });

  it("aborts a stream through client.abort(), and the fake sees the connection go", async () => {
    fake.script({ answer: "one two three four five six seven eight", chunkDelayMs: 50 });
    const received: string[] = [];
    const consume = async () => {
      for await (const chunk of await client.chat({ model: "phi3:mini", messages: question, stream: true })) {
        received.push(chunk.message.content);
        if (received.length === 2) client.abort();
      }
    };
    const error = await consume().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AbortError" });
    expect(received).toEqual(["one", " two"]);
  });

  it("can hang without answering, and close() still returns", async () => {
    fake.script({ failure: { kind: "hang", endpoints: ["version"] } });
    const pending = client.version().catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.requests.at(-1)?.path).toBe("/api/version");
    await fake.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it("rejects a body that is not JSON with 400", async () => {
    const response = await fetch(`${fake.url}/api/chat`, { method: "POST", body: "{nope" });
    expect(response.status).toBe(400);
    expect(await response.json()).toHaveProperty("error");
  });
});

describe("loading, residency and keep_alive (as server/sched.go)", () => {
  const timed = async (call: () => Promise<unknown>) => {
    const started = performance.now();
    const value = await call();
    return { value, ms: performance.now() - started };
  };

  it("loads a model that is not resident, then answers without loading it again", async () => {
    fake.script({ loadDelayMs: 200, prefillDelayMs: 50, answer: "one two" });
    const first = await timed(() => client.chat({ model: "phi3:mini", messages: question }));
    expect(first.ms).toBeGreaterThanOrEqual(240);
    expect((first.value as { load_duration: number }).load_duration).toBeGreaterThanOrEqual(190e6);
    expect((first.value as { prompt_eval_duration: number }).prompt_eval_duration).toBeGreaterThanOrEqual(
      45e6,
    );

    const second = await timed(() => client.chat({ model: "phi3:mini", messages: question }));
    expect(second.ms).toBeLessThan(190);
    expect((second.value as { load_duration: number }).load_duration).toBeLessThan(50e6);
    expect(fake.loads).toHaveLength(1);
    expect(fake.resident().map((m) => m.name)).toEqual(["phi3:mini"]);
  });

  it("an empty chat with a keep_alive loads the model and keeps it that long; a negative one forever", async () => {
    fake.script({ loadDelayMs: 100 });
    const loaded = await timed(() =>
      client.chat({ model: "phi3:mini", messages: [], keep_alive: "2h", options: { num_ctx: 4096 } }),
    );
    expect(loaded.value).toMatchObject({ done: true, done_reason: "load" });
    expect(loaded.value).not.toHaveProperty("load_duration"); // Ollama's load answer has no durations
    expect(loaded.ms).toBeGreaterThanOrEqual(95);
    const [resident] = fake.resident();
    expect(resident).toMatchObject({ name: "phi3:mini", numCtx: 4096, keepAliveMs: 2 * 3_600_000 });
    expect(resident!.expiresAt - Date.now()).toBeGreaterThan(3_600_000);

    // A request without keep_alive keeps the duration the model was loaded with.
    await client.chat({ model: "phi3:mini", messages: question, options: { num_ctx: 4096 } });
    expect(fake.resident()[0]?.keepAliveMs).toBe(2 * 3_600_000);

    await client.generate({ model: "phi3:mini", prompt: "", keep_alive: -1, options: { num_ctx: 4096 } });
    expect(fake.resident()[0]?.expiresAt).toBe(Number.POSITIVE_INFINITY);
    expect(fake.loads).toHaveLength(1);
  });

  it("expires a model after its keep_alive, and unloads it with keep_alive 0", async () => {
    fake.script({ loadDelayMs: 10 });
    await client.chat({ model: "phi3:mini", messages: [], keep_alive: "50ms" });
    expect(fake.resident()).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fake.resident()).toEqual([]);

    await client.chat({ model: "phi3:mini", messages: [] });
    expect(fake.resident()[0]?.keepAliveMs).toBe(5 * 60_000); // Ollama's default
    expect(await client.chat({ model: "phi3:mini", messages: [], keep_alive: 0 })).toMatchObject({
      done_reason: "unload",
    });
    expect(fake.resident()).toEqual([]);
    expect(fake.loads).toHaveLength(2);
  });

  it("a request with another num_ctx reloads the model", async () => {
    await client.chat({ model: "phi3:mini", messages: [], options: { num_ctx: 2048 } });
    await client.chat({ model: "phi3:mini", messages: question, options: { num_ctx: 4096 } });
    expect(fake.loads.map((l) => l.numCtx)).toEqual([2048, 4096]);
  });

  it("a chat that arrives during a load waits for that load instead of loading again", async () => {
    fake.script({ loadDelayMs: 300, prefillDelayMs: 50 });
    const started = performance.now();
    const preload = client.chat({ model: "phi3:mini", messages: [], keep_alive: "1h" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = (await client.chat({ model: "phi3:mini", messages: question })) as {
      load_duration: number;
    };
    const ms = performance.now() - started;
    await preload;
    expect(fake.loads).toHaveLength(1);
    // The chat waited for the rest of the load (~200 ms), then prefilled: 300 + 50, not 100 + 300 + 50.
    expect(ms).toBeGreaterThanOrEqual(340);
    expect(ms).toBeLessThan(440);
    expect(answer.load_duration).toBeGreaterThanOrEqual(180e6);
    expect(answer.load_duration).toBeLessThan(290e6);
  });

  it("rejects a keep_alive Ollama cannot parse with 400", async () => {
    const error = await client
      .chat({ model: "phi3:mini", messages: [], keep_alive: "3600" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status_code: 400 });
  });

  it("models given as resident at start answer without a load", async () => {
    const warm = await startFakeOllama({ resident: ["phi3:mini"], script: { loadDelayMs: 5_000 } });
    try {
      const started = performance.now();
      await new Ollama({ host: warm.url }).chat({ model: "phi3:mini", messages: question });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(warm.loads).toEqual([]);
    } finally {
      await warm.close();
    }
  });
});
