/** One diagnosis as events (src/diagnose/engine/run.ts), with evidence from a fixture and the fake Ollama. */
import { afterEach, describe, expect, it } from "vitest";
import { InterruptedError, SreLabError } from "../../src/core/errors.js";
import { BundleAssembler } from "../../src/diagnose/bundle-transfer.js";
import type { AgentEvent } from "../../src/diagnose/engine/protocol.js";
import { type DiagnosisRequest, runDiagnosis } from "../../src/diagnose/engine/run.js";
import type { Evidence } from "../../src/diagnose/evidence.js";
import { redactBundle } from "../../src/diagnose/redact.js";
import { createOllamaClient } from "../../src/ollama/client.js";
import { fixtureBundle, loadFixture } from "../diagnose/support.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";

const request = (extra: Partial<DiagnosisRequest> = {}): DiagnosisRequest => ({
  mode: "analyze",
  model: "phi3:mini",
  emitBundle: false,
  modelLocation: "cluster",
  ...extra,
});
const evidenceOf = (file: string, metrics: Evidence["metrics"] = []): Evidence => ({
  bundle: fixtureBundle(file),
  sources: [{ name: "pod", ok: true }],
  metrics,
});

let ollama: FakeOllama | undefined;
afterEach(async () => {
  await ollama?.close();
  ollama = undefined;
});

async function run(req: DiagnosisRequest, evidence: Evidence, connect?: () => Promise<never>) {
  const events: AgentEvent[] = [];
  let connected = 0;
  await runDiagnosis(req, {
    evidence: async () => evidence,
    connectModel:
      connect ??
      (async () => {
        connected++;
        if (!ollama) throw new Error("no model in this test");
        return { client: createOllamaClient({ host: ollama.url }), close: async () => {} };
      }),
    emit: (event) => events.push(event),
  });
  return { events, types: events.map((e) => e.type), connected };
}

describe("runDiagnosis", () => {
  it("sends the findings first, then the model's tokens, then done with the figures", async () => {
    ollama = await startFakeOllama({ script: { answer: "Root cause: out of memory." } });
    const { events, types } = await run(request(), evidenceOf("oom-crashloop-with-liveness.json"));
    expect(types[0]).toBe("findings");
    expect(types[1]).toBe("model");
    expect(types.filter((t) => t === "token").length).toBeGreaterThan(3);
    expect(types.at(-1)).toBe("done");
    expect(
      events
        .filter((e) => e.type === "token")
        .map((e) => (e as { text: string }).text)
        .join(""),
    ).toBe("Root cause: out of memory.");
    expect(events.at(-1)).toMatchObject({ type: "done", stats: { model: "phi3:mini", doneReason: "stop" } });
    expect(ollama.requests.find((r) => r.endpoint === "chat")?.body?.options).toMatchObject({
      num_ctx: 4096,
      // The answer is capped so that prompt + answer fit the context (never Ollama's silent shift).
      num_predict: 512,
      temperature: 0.2,
    });
  });

  it("never emits a secret: everything is redacted before the first event (the bundle too)", async () => {
    ollama = await startFakeOllama();
    const secrets = loadFixture("secrets-everywhere.json").expect.secrets ?? [];
    expect(secrets.length).toBeGreaterThan(5);
    const { events } = await run(request({ emitBundle: true }), evidenceOf("secrets-everywhere.json"));
    const assembler = new BundleAssembler();
    for (const event of events) if (event.type === "bundle") assembler.add(event);
    const everything = JSON.stringify(events) + JSON.stringify(assembler.result());
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it("sends the bundle in small pieces that add up to the redacted bundle", async () => {
    const evidence = evidenceOf("apperror-go-panic.json", [{ container: "api", restarts15m: 2 }]);
    evidence.bundle.logs.push({
      container: "api",
      previous: false,
      text: "x".repeat(300_000) + "y".repeat(300_000),
    });
    const { events } = await run(request({ mode: "no-ai", emitBundle: true }), evidence);
    const pieces = events.filter((e) => e.type === "bundle");
    expect(pieces.length).toBeGreaterThan(0);
    for (const piece of pieces) expect((piece as { data: string }).data.length).toBeLessThanOrEqual(8_000);
    const assembler = new BundleAssembler();
    for (const piece of pieces) assembler.add(piece as never);
    expect(assembler.result()).toEqual({ bundle: redactBundle(evidence.bundle), metrics: evidence.metrics });
  });

  it("--no-ai and --print-prompt never connect to a model", async () => {
    const noAi = await run(request({ mode: "no-ai" }), evidenceOf("readiness-only-503.json"));
    expect(noAi.types).toEqual(["findings", "done"]);
    expect(noAi.connected).toBe(0);
    const prompt = await run(request({ mode: "prompt" }), evidenceOf("readiness-only-503.json"));
    expect(prompt.types).toEqual(["findings", "prompt", "done"]);
    expect(prompt.connected).toBe(0);
  });

  it("notes each evidence source that failed, before the findings", async () => {
    const evidence = evidenceOf("readiness-only-503.json");
    evidence.sources.push({ name: "node", ok: false, error: "forbidden" }, { name: "events", ok: true });
    const { events } = await run(request({ mode: "no-ai" }), evidence);
    expect(events[0]).toEqual({ type: "source-failed", name: "node", error: "forbidden" });
  });

  it.each([
    ["cluster", "check the lab's Ollama: kubectl -n ollama get pods"],
    ["host", "start Ollama or point --ollama-url at it"],
  ] as const)(
    "Ollama unreachable (%s): analysis-failed with a hint for where it runs, then done",
    async (where, hint) => {
      ollama = await startFakeOllama();
      await ollama.close();
      const { events } = await run(
        request({ modelLocation: where }),
        evidenceOf("oom-crashloop-with-liveness.json"),
      );
      expect(events.at(-2)).toMatchObject({
        type: "analysis-failed",
        reason: "unreachable",
        hint: expect.stringContaining(hint),
      });
      expect(events.at(-1)).toEqual({ type: "done" });
      ollama = undefined;
    },
  );

  it("a missing model and an answer cut off are told apart; the partial answer is kept", async () => {
    ollama = await startFakeOllama({ models: [] });
    const missing = await run(request(), evidenceOf("oom-crashloop-with-liveness.json"));
    expect(missing.events.at(-2)).toMatchObject({ type: "analysis-failed", reason: "model-missing" });
    ollama.setModels(["phi3:mini"]);
    ollama.script({ answer: "one two three four five six", failure: { kind: "disconnect", afterChunks: 3 } });
    const cut = await run(request(), evidenceOf("oom-crashloop-with-liveness.json"));
    const failure = cut.events.at(-2) as { type: string; reason: string; partialText: string };
    expect(failure).toMatchObject({ type: "analysis-failed", reason: "cut-off" });
    expect(failure.partialText.length).toBeGreaterThan(2);
    expect("one two three four five six".startsWith(failure.partialText)).toBe(true);
    expect(failure.partialText).not.toBe("one two three four five six");
  });

  it("a way to the model that cannot be opened (a port-forward) is an analysis failure too", async () => {
    const { events } = await run(request(), evidenceOf("oom-crashloop-with-liveness.json"), async () => {
      throw new SreLabError("kubectl port-forward to ollama/ollama:11434 failed: boom", {
        hint: "check the Service",
      });
    });
    expect(events.at(-2)).toEqual({
      type: "analysis-failed",
      reason: "failed",
      message: "kubectl port-forward to ollama/ollama:11434 failed: boom",
      hint: "check the Service",
    });
  });

  it("Ctrl-C is not an analysis failure: it stops the run", async () => {
    await expect(
      run(request(), evidenceOf("oom-crashloop-with-liveness.json"), async () => {
        throw new InterruptedError();
      }),
    ).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe("the model's load, alongside evidence collection", () => {
  const slowEvidence = (ms: number, evidence: Evidence) => async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return evidence;
  };

  async function timedRun(req: DiagnosisRequest, collectMs: number) {
    const events: { event: AgentEvent; at: number }[] = [];
    const started = performance.now();
    await runDiagnosis(req, {
      evidence: slowEvidence(collectMs, evidenceOf("oom-crashloop-with-liveness.json")),
      connectModel: async () => ({
        client: createOllamaClient({ host: ollama!.url }),
        close: async () => {},
      }),
      emit: (event) => events.push({ event, at: performance.now() - started }),
    });
    const firstToken = events.find((e) => e.event.type === "token")?.at ?? Number.NaN;
    const done = events.at(-1)?.event as Extract<AgentEvent, { type: "done" }>;
    return { firstToken, done };
  }

  it("the first token comes after max(collect, load) + prefill, not their sum; the figures say so", async () => {
    ollama = await startFakeOllama({
      script: { answer: "Root cause: OOMKilled.", loadDelayMs: 400, prefillDelayMs: 100, chunkDelayMs: 5 },
    });
    const { firstToken, done } = await timedRun(request({ preload: true }), 300);
    // 400 (load, which started with the 300 of collection) + 100 prefill; in sequence it would be 800.
    expect(firstToken).toBeGreaterThanOrEqual(490);
    expect(firstToken).toBeLessThan(700);
    expect(ollama.loads).toHaveLength(1);
    expect(ollama.requests.filter((r) => r.endpoint === "chat").map((r) => r.body?.messages?.length)).toEqual(
      [0, 1 + 1],
    );
    const stats = done.stats!;
    expect(stats.preloadMs).toBeGreaterThanOrEqual(390);
    expect(stats.collectMs).toBeGreaterThanOrEqual(290);
    // The answer still waited for the last ~100 ms of the load, then prefilled for ~100 ms.
    expect(stats.loadMs).toBeGreaterThanOrEqual(60);
    expect(stats.loadMs).toBeLessThan(250);
    expect(stats.prefillMs).toBeGreaterThanOrEqual(95);
    expect(stats.generateMs).toBeGreaterThan(0);
  });

  it("without the preload the load waits for the evidence: collect + load + prefill", async () => {
    ollama = await startFakeOllama({
      script: { answer: "Root cause: OOMKilled.", loadDelayMs: 400, prefillDelayMs: 100 },
    });
    const { firstToken, done } = await timedRun(request(), 300);
    expect(firstToken).toBeGreaterThanOrEqual(790);
    expect(done.stats?.loadMs).toBeGreaterThanOrEqual(390);
    expect(done.stats?.preloadMs).toBeUndefined();
  });

  it("a preload that fails never fails the diagnosis", async () => {
    ollama = await startFakeOllama({ script: { answer: "Root cause: OOMKilled." } });
    const real = createOllamaClient({ host: ollama.url });
    const events: AgentEvent[] = [];
    await runDiagnosis(request({ preload: true }), {
      evidence: async () => evidenceOf("oom-crashloop-with-liveness.json"),
      connectModel: async () => ({
        client: { ...real, load: async () => Promise.reject(new SreLabError("load refused")) },
        close: async () => {},
      }),
      emit: (event) => events.push(event),
    });
    expect(events.at(-1)).toMatchObject({ type: "done", stats: { model: "phi3:mini" } });
    expect((events.at(-1) as { stats: object }).stats).not.toHaveProperty("preloadMs");
    expect(events.some((e) => e.type === "analysis-failed")).toBe(false);
  });

  it("evidence that cannot be read closes the way to the model that was opened for the preload", async () => {
    ollama = await startFakeOllama();
    let closed = 0;
    await expect(
      runDiagnosis(request({ preload: true }), {
        evidence: async () => {
          throw new SreLabError('pod "x" not found');
        },
        connectModel: async () => ({
          client: createOllamaClient({ host: ollama!.url }),
          close: async () => {
            closed++;
          },
        }),
        emit: () => {},
      }),
    ).rejects.toThrow('pod "x" not found');
    expect(closed).toBe(1);
  });

  it("--no-ai and --print-prompt never preload", async () => {
    ollama = await startFakeOllama();
    for (const mode of ["no-ai", "prompt"] as const) {
      const { connected } = await run(
        request({ mode, preload: true }),
        evidenceOf("oom-crashloop-with-liveness.json"),
      );
      expect(connected).toBe(0);
    }
    expect(ollama.requests).toEqual([]);
  });

  it("done carries the answer checked against the evidence", async () => {
    ollama = await startFakeOllama({
      script: {
        answer:
          "Root cause: cart was OOMKilled.\nEvidence:\n- limit 128Mi\nFix: kubectl -n shop set resources deployment/cart -c cart --limits=memory=3Gi\nConfidence: high",
      },
    });
    const { events } = await run(request(), evidenceOf("oom-crashloop-with-liveness.json"));
    expect(events.at(-1)).toMatchObject({
      type: "done",
      grounding: {
        ok: false,
        unmatched: [{ kind: "quantity", text: "3Gi", section: "Fix" }],
        contradiction: null,
      },
    });
  });
});
