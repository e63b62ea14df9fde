// How the model's answer ends on stdout: the figures line with load/prefill/generate, the marks of
// the check against the evidence, and the marker of an answer cut off mid-way (never a half line).
import { describe, expect, it } from "vitest";
import { makeStyler, type Output } from "../../src/core/output.js";
import type { AgentEvent, AnalysisStats } from "../../src/diagnose/engine/protocol.js";
import type { Grounding } from "../../src/diagnose/grounding.js";
import { createStreamRenderer, renderFigures, renderGrounding } from "../../src/diagnose/render.js";

const plain = makeStyler(false);
const STATS: AnalysisStats = {
  model: "phi3:mini",
  promptTokens: 1032,
  completionTokens: 164,
  timeToFirstTokenMs: 6_140,
  tokensPerSecond: 11.8,
  doneReason: "stop",
};

function renderer(format: "text" | "json" = "text") {
  let stdout = "";
  const stderr: string[] = [];
  const out: Output = {
    data: (t) => {
      stdout += t;
    },
    info: (t) => stderr.push(t),
    warn: (t) => stderr.push(`warning: ${t}`),
    debug: () => {},
    verbose: false,
    style: plain,
    dataStyle: plain,
    stderrIsTTY: false,
  };
  const render = createStreamRenderer({
    write: (t) => {
      stdout += t;
    },
    out,
    format,
    printPrompt: false,
  });
  const send = (...events: AgentEvent[]) => {
    for (const event of events) render(event);
  };
  return { render, send, stdout: () => stdout, stderr };
}

const tokens = (...texts: string[]): AgentEvent[] => texts.map((text) => ({ type: "token", text }));
const model: AgentEvent = {
  type: "model",
  model: "phi3:mini",
  host: "http://127.0.0.1:1",
  estimatedTokens: 900,
};

describe("renderFigures", () => {
  it("shows load, prefill and generate, and the preload alongside collection when there was one", () => {
    expect(renderFigures({ ...STATS, loadMs: 320, prefillMs: 5_840, generateMs: 11_560 })).toBe(
      "prompt 1,032 tokens · load 0.3s · prefill 5.8s · generate 11.6s · first token 6.1s · 11.8 tokens/s · 164 answer tokens",
    );
    expect(
      renderFigures({
        ...STATS,
        loadMs: 320,
        prefillMs: 5_840,
        generateMs: 11_560,
        preloadMs: 8_400,
        collectMs: 8_080,
      }),
    ).toContain("load 0.3s (preloaded in 8.4s, alongside 8.1s of evidence collection) · prefill 5.8s");
  });

  it("leaves out what Ollama did not report", () => {
    expect(renderFigures(STATS)).toBe(
      "prompt 1,032 tokens · first token 6.1s · 11.8 tokens/s · 164 answer tokens",
    );
  });
});

describe("renderGrounding", () => {
  const base: Grounding = { ok: true, checked: 5, unmatched: [], contradiction: null };

  it("says when everything was found, and when there was nothing to check", () => {
    expect(renderGrounding(base, undefined, plain)).toBe(
      "Checked against the evidence: all 5 names, values and commands in Evidence and Fix are in it.",
    );
    expect(renderGrounding({ ...base, checked: 0 }, undefined, plain)).toContain("names no resource");
  });

  it("marks each item not from the evidence, at most 12, and a contradiction with findings[0]", () => {
    const unmatched = Array.from({ length: 15 }, (_, i) => ({
      kind: "name" as const,
      text: `pod-${i}`,
      section: "Fix" as const,
    }));
    const text = renderGrounding(
      {
        ok: false,
        checked: 20,
        unmatched,
        contradiction: { answer: "ImagePullFailed", rootCause: "OOMKilled" },
      },
      "Container cart was OOMKilled",
      plain,
    );
    const lines = text.split("\n");
    expect(lines[0]).toBe(
      "Checked against the evidence: 15 of 20 items in the answer are not from the evidence:",
    );
    expect(lines[1]).toBe("  ✗ Fix: name pod-0  (not from the evidence)");
    expect(lines.filter((l) => l.includes("✗"))).toHaveLength(12);
    expect(text).toContain("… and 3 more (-o json lists them all)");
    expect(lines.at(-1)).toBe(
      "The answer points at ImagePullFailed, but the root cause found is OOMKilled (Container cart was OOMKilled): trust the findings.",
    );
  });
});

describe("the end of a streamed answer", () => {
  it("Ctrl-C mid-line: the line is ended, then the marker", () => {
    const r = renderer();
    r.send(model, ...tokens("Root cause: the con"));
    r.render.cutOff("interrupted (Ctrl-C)");
    expect(r.stdout()).toBe(
      "\nAnalysis by phi3:mini\nRoot cause: the con\nanswer cut off: interrupted (Ctrl-C)\n",
    );
  });

  it("at the start of a line, no blank line is added", () => {
    const r = renderer();
    r.send(model, ...tokens("Root cause: x.", "\n"));
    r.render.cutOff("interrupted (Ctrl-C)");
    expect(r.stdout()).toMatch(/Root cause: x\.\nanswer cut off: interrupted \(Ctrl-C\)\n$/);
  });

  it("is a no-op before the answer, after it, and with -o json", () => {
    const before = renderer();
    before.render.cutOff("interrupted (Ctrl-C)");
    expect(before.stdout()).toBe("");

    const after = renderer();
    after.send(model, ...tokens("done."), { type: "done", stats: STATS });
    const finished = after.stdout();
    after.render.cutOff("interrupted (Ctrl-C)");
    expect(after.stdout()).toBe(finished);

    const json = renderer("json");
    json.send(model, ...tokens("half"));
    json.render.cutOff("interrupted (Ctrl-C)");
    expect(json.stdout()).toBe("");
  });

  it("an answer that stops at the length limit is marked too", () => {
    const r = renderer();
    r.send(model, ...tokens("Fix: kubectl -n shop"), {
      type: "done",
      stats: { ...STATS, doneReason: "length" },
    });
    expect(r.stdout()).toContain(
      "Fix: kubectl -n shop\nanswer cut off: it reached the answer limit of 164 tokens\n",
    );
    expect(r.stdout()).toMatch(/stopped at the length limit\n$/);
  });

  it("an error mid-answer from the model: marker on stdout, the reason on stderr", () => {
    const r = renderer();
    r.send(model, ...tokens("Root cause: the"), {
      type: "analysis-failed",
      reason: "cut-off",
      message: "the answer from phi3:mini was cut off after 3 tokens: boom",
    });
    expect(r.stdout()).toMatch(
      /Root cause: the\nanswer cut off: the stream from Ollama broke off \(see the warning\)\n\n$/,
    );
    expect(r.stderr.join("\n")).toContain(
      "warning: no explanation from the model: the answer from phi3:mini was cut off",
    );
  });

  it("a finished answer is followed by the check and the figures", () => {
    const r = renderer();
    r.send(model, ...tokens("Fix: kubectl -n shop x"), {
      type: "done",
      stats: STATS,
      grounding: {
        ok: false,
        checked: 2,
        unmatched: [{ kind: "namespace", text: "prod", section: "Fix" }],
        contradiction: null,
      },
    });
    expect(r.stdout()).toMatch(
      /Fix: kubectl -n shop x\n\nChecked against the evidence: 1 of 2 items in the answer is not from the evidence:\n {2}✗ Fix: namespace prod {2}\(not from the evidence\)\nprompt 1,032 tokens/,
    );
  });
});
