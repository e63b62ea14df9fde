/**
 * `sre-lab diagnose --bundle FILE`: offline, no cluster. Every fixture bundle of the repository,
 * every scenario of test/fixtures/scenarios, and any scenario only ../shared/scenarios holds (cases
 * generated from the listing: without the folder there are none, and nothing is skipped).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { analyze } from "../../src/diagnose/analyze/index.js";
import { parseBundle } from "../../src/diagnose/bundle.js";
import { buildPrompt } from "../../src/diagnose/prompt.js";
import { redactBundle } from "../../src/diagnose/redact.js";
import { tempDir } from "../agent/support.js";
import { fixtureFiles, fixturesDir, loadFixture } from "../diagnose/support.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { casesOf, repoScenarios, type ScenarioCase, sharedOnlyCases } from "../support/scenarios.js";
import { onlyJson, runRecorded } from "./support.js";

let dir: string;
beforeAll(() => {
  dir = tempDir("diagnose-bundle");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// No kubeconfig and no tools: if anything tried to reach a cluster, it would fail loudly.
const offline = { KUBECONFIG: "/nonexistent/kubeconfig" };
const bundleRun = (file: string, ...args: string[]) =>
  runRecorded(["diagnose", "--bundle", file, ...args], { env: offline });
const fixture = (file: string) => join(fixturesDir, file);

describe("every fixture bundle", () => {
  for (const file of fixtureFiles()) {
    const expected = loadFixture(file).expect;
    it(`${file}: ${expected.code ?? "no crash"}`, async () => {
      const run = await bundleRun(fixture(file), "--no-ai", "-o", "json");
      expect(run.stderr).not.toContain("error:");
      expect(run.code).toBe(0);
      const doc = onlyJson(run.stdout);
      expect(Object.keys(doc)).toEqual(["pod", "findings", "analysis"]);
      expect(doc.analysis).toBeNull();
      const findings = doc.findings as { code: string }[];
      if (expected.code) expect(findings[0]?.code).toBe(expected.code);
      else expect(findings.length).toBeGreaterThan(0);
      for (const secret of expected.secrets ?? []) expect(run.stdout).not.toContain(secret);
    });
  }
});

function scenarioRuns(cases: ScenarioCase[]) {
  for (const scenario of cases) {
    const file = scenario.path;
    it(`${scenario.file}: ${scenario.code}; the prompt has its facts; nothing printed or saved holds a secret`, async () => {
      const json = await bundleRun(file, "--no-ai", "-o", "json");
      expect(json.code).toBe(0);
      expect((onlyJson(json.stdout).findings as { code: string }[])[0]?.code).toBe(scenario.code);

      const prompt = await bundleRun(file, "--print-prompt");
      expect(prompt.code).toBe(0);
      for (const fact of scenario.prompt_must_contain) expect(prompt.stdout).toContain(fact);

      const saved = join(dir, `saved-${scenario.file}`);
      const save = await bundleRun(file, "--no-ai", "--save-bundle", saved);
      expect(save.code).toBe(0);
      const savedText = readFileSync(saved, "utf8");
      for (const secret of scenario.secrets) {
        expect(prompt.stdout).not.toContain(secret);
        expect(json.stdout).not.toContain(secret);
        expect(save.stdout).not.toContain(secret);
        expect(savedText).not.toContain(secret);
      }
    });
  }
}

describe("the scenarios (test/fixtures/scenarios)", () => {
  it("has one case per bundle in the folder", () => {
    expect(repoScenarios.bundleFiles.length).toBeGreaterThan(0);
    expect(repoScenarios.expected.map((s) => s.file).sort()).toEqual(repoScenarios.bundleFiles);
  });

  scenarioRuns(casesOf(repoScenarios));
});

// The extra: only the shared bundles the copy lacks (the agreement itself is checked once, in
// test/diagnose/scenarios.test.ts).
const sharedOnly = sharedOnlyCases();
if (sharedOnly.length > 0) {
  describe("the shared scenarios the copy lacks (../shared/scenarios)", () => scenarioRuns(sharedOnly));
}

describe("output", () => {
  it("human: the pod, then the findings root cause first, with evidence and the fix; progress on stderr", async () => {
    const run = await bundleRun(fixture("oom-crashloop-with-liveness.json"), "--no-ai");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^Pod \S+\/\S+ \(/);
    expect(lines[2]).toMatch(/^1\. OOMKilled \[critical\] · container \S+ {2}← root cause$/);
    expect(run.stdout).toContain("   Evidence:\n     - ");
    expect(run.stdout).toContain("   Fix: ");
    expect(run.stderr).toContain("(no cluster is contacted)");
    expect(run.stdout + run.stderr).not.toContain("\u001b["); // not a terminal: no colour
  });

  it("a healthy pod is not called a root cause", async () => {
    const run = await bundleRun(fixture("healthy-scary-logs.json"), "--no-ai");
    expect(run.stdout).toMatch(/\n1\. Healthy \[info\]\n/);
  });

  it("--print-prompt prints exactly the messages the model would get, and contacts no model", async () => {
    const ollama = await startFakeOllama();
    try {
      const file = fixture("secrets-everywhere.json");
      const run = await bundleRun(file, "--print-prompt", "--ollama-url", ollama.url);
      expect(run.code).toBe(0);
      const bundle = redactBundle(parseBundle(readFileSync(file, "utf8"), file));
      const prompt = buildPrompt(bundle, analyze(bundle));
      expect(run.stdout).toBe(
        `--- system (message 1 of 2) ---\n${prompt.messages[0]?.content}\n--- user (message 2 of 2) ---\n${prompt.messages[1]?.content}\n` +
          `--- ${prompt.estimatedTokens} estimated tokens; sent with num_ctx 4096, room for 512 answer tokens ---\n`,
      );
      for (const secret of loadFixture("secrets-everywhere.json").expect.secrets ?? [])
        expect(run.stdout).not.toContain(secret);
      expect(ollama.requests).toEqual([]);
    } finally {
      await ollama.close();
    }
  });

  it("--print-prompt -o json gives the pod and the messages as data", async () => {
    const run = await bundleRun(fixture("imagepull-unauthorized.json"), "--print-prompt", "-o", "json");
    expect(run.code).toBe(0);
    const doc = onlyJson(run.stdout);
    expect(Object.keys(doc)).toEqual(["pod", "messages", "estimatedTokens", "numCtx", "maxAnswerTokens"]);
    expect((doc.messages as { role: string }[]).map((m) => m.role)).toEqual(["system", "user"]);
  });

  it("--save-bundle writes a redacted bundle that reads back to the same findings (JSON and YAML)", async () => {
    const file = fixture("secrets-everywhere.json");
    const secrets = loadFixture("secrets-everywhere.json").expect.secrets ?? [];
    expect(secrets.length).toBeGreaterThan(5);
    const original = onlyJson((await bundleRun(file, "--no-ai", "-o", "json")).stdout).findings;
    for (const name of ["copy.json", "copy.yaml"]) {
      const saved = join(dir, name);
      const run = await bundleRun(file, "--no-ai", "--save-bundle", saved);
      expect(run.code).toBe(0);
      const text = readFileSync(saved, "utf8");
      for (const secret of secrets) expect(text).not.toContain(secret);
      if (name.endsWith(".yaml")) expect(text.startsWith("apiVersion: sre-lab/v1\n")).toBe(true);
      const again = await bundleRun(saved, "--no-ai", "-o", "json");
      expect(onlyJson(again.stdout).findings).toEqual(original);
    }
  });
});

describe("bad bundles are exit 2 with what is wrong", () => {
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  it.each([
    ["missing.json", undefined, "cannot read the bundle", "no such file"],
    ["empty.json", "", "the file is empty", ""],
    ["broken.json", '{"kind": "EvidenceBundle", "pod": {', "not valid JSON", ""],
    [
      "pod.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
      'expected kind EvidenceBundle, found kind "Pod"',
      "bare Pod",
    ],
    [
      "nopod.json",
      '{"apiVersion": "sre-lab/v1", "kind": "EvidenceBundle"}',
      'the "pod" field is missing',
      "",
    ],
  ])("%s", async (name, text, message, detail) => {
    const path = text === undefined ? join(dir, name) : write(name, text);
    const run = await bundleRun(path, "--no-ai");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`error: `);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(detail);
    expect(run.stderr).toContain("hint: ");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("a directory", async () => {
    const path = join(dir, "a-directory");
    mkdirSync(path, { recursive: true });
    const run = await bundleRun(path);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: cannot read the bundle ${path}: it is a directory`);
  });
});

describe("the model's part, against an Ollama on this machine", () => {
  const ANSWER = "Root cause: the container was OOMKilled (exit 137).\nFix: raise limits.memory to 256Mi.";
  let ollama: FakeOllama;
  afterEach(async () => ollama?.close());
  const ask = (...args: string[]) =>
    bundleRun(fixture("oom-crashloop-with-liveness.json"), "--ollama-url", ollama.url, ...args);

  it("streams the answer token by token after the findings, then the figures; the prompt is buildPrompt's", async () => {
    ollama = await startFakeOllama({ script: { answer: ANSWER, chunkDelayMs: 10 } });
    const run = await ask();
    expect(run.code).toBe(0);
    const out = run.writes.filter((w) => w.stream === "stdout");
    const header = out.findIndex((w) => w.text.includes("Analysis by phi3:mini"));
    const figures = out.findIndex((w) => /tokens\/s/.test(w.text));
    expect(out.findIndex((w) => w.text.includes("1. OOMKilled"))).toBeLessThan(header);
    const tokens = out.slice(header + 1, figures);
    expect(tokens.map((w) => w.text).join("")).toBe(ANSWER);
    expect(tokens.length).toBeGreaterThan(15);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!.at).toBeGreaterThanOrEqual(tokens[i - 1]!.at);
    expect(tokens.at(-1)!.at - tokens[0]!.at).toBeGreaterThan(100);
    // After the answer: the check against the evidence (256Mi is a raised 128Mi, above the 192Mi the finding proposes), then the figures.
    expect(out[figures]?.text).toMatch(
      /^\n\nChecked against the evidence: the one name, value or command in Evidence and Fix is in it\.\nprompt \d+ tokens · load \d+\.\ds · prefill \d+\.\ds · generate \d+\.\ds · first token \d+\.\ds · [\d.]+ tokens\/s · \d+ answer tokens\n$/,
    );

    const file = fixture("oom-crashloop-with-liveness.json");
    const bundle = redactBundle(parseBundle(readFileSync(file, "utf8"), file));
    const chat = ollama.requests.find((r) => r.endpoint === "chat");
    expect(chat?.body?.messages).toEqual(buildPrompt(bundle, analyze(bundle)).messages);
    expect(chat?.body?.model).toBe("phi3:mini");
    expect(chat?.prompt?.truncation).toBeUndefined();
  });

  it("the figures line shows Ollama's load, prefill and generation times", async () => {
    ollama = await startFakeOllama({
      script: {
        answer: ANSWER,
        stats: {
          load_duration: 1_250_000_000,
          prompt_eval_duration: 3_400_000_000,
          eval_duration: 5_600_000_000,
        },
      },
    });
    const run = await ask();
    expect(run.stdout).toMatch(
      /\nprompt \d+ tokens · load 1\.3s · prefill 3\.4s · generate 5\.6s · first token /,
    );
    const doc = onlyJson((await ask("-o", "json")).stdout);
    expect(doc.analysis).toMatchObject({ loadMs: 1_250, prefillMs: 3_400, generateMs: 5_600 });
  });

  it("marks what the answer did not get from the evidence, and a contradiction; -o json has analysis.grounded", async () => {
    const invented =
      "Root cause: the image cannot be pulled (ImagePullBackOff).\nEvidence:\n- pod cart-5f9c8d7b6-q1w2e restarted\nFix: kubectl -n shop set resources deployment/cart -c cart --limits=memory=6Gi\nConfidence: low";
    ollama = await startFakeOllama({ script: { answer: invented } });
    const run = await ask();
    expect(run.code).toBe(0);
    const after = run.stdout.slice(run.stdout.indexOf("Confidence: low"));
    expect(after).toContain("Checked against the evidence: 2 of ");
    expect(after).toContain("✗ Evidence: name cart-5f9c8d7b6-q1w2e  (not from the evidence)");
    expect(after).toContain("✗ Fix: quantity 6Gi  (not from the evidence)");
    expect(after).toMatch(
      /The answer points at ImagePullFailed, but the root cause found is OOMKilled \(Container cart was OOMKilled[^\n]*\): trust the findings\./,
    );
    // The real names in the same answer are not marked.
    expect(after).not.toMatch(/name cart(?![\w-])/);

    const doc = onlyJson((await ask("-o", "json")).stdout);
    expect((doc.analysis as { grounded: unknown }).grounded).toEqual({
      ok: false,
      checked: expect.any(Number),
      unmatched: [
        { kind: "name", text: "cart-5f9c8d7b6-q1w2e", section: "Evidence" },
        { kind: "quantity", text: "6Gi", section: "Fix" },
      ],
      contradiction: { answer: "ImagePullFailed", rootCause: "OOMKilled" },
    });
  });

  it("Ctrl-C mid-answer ends the partial line and marks it, then exits 130", async () => {
    ollama = await startFakeOllama({
      script: { answer: `${ANSWER} ${"more words ".repeat(40)}`, chunkDelayMs: 20 },
    });
    const controller = new AbortController();
    const running = runRecorded(
      ["diagnose", "--bundle", fixture("oom-crashloop-with-liveness.json"), "--ollama-url", ollama.url],
      { env: offline, signal: controller.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    controller.abort();
    const run = await running;
    expect(run.code).toBe(130);
    expect(run.stdout).toContain("Analysis by phi3:mini\nRoot cause:");
    // The partial answer ends with a newline and the marker, the last thing on stdout.
    expect(run.stdout).toMatch(/\S\nanswer cut off: interrupted \(Ctrl-C\)\n$/);
    expect(run.stdout).not.toMatch(/tokens\/s/);
    expect(run.stderr).toContain("interrupted");
  });

  it("-o json carries the answer and its figures", async () => {
    ollama = await startFakeOllama({ script: { answer: ANSWER } });
    const doc = onlyJson((await ask("-o", "json")).stdout);
    expect(doc.analysis).toMatchObject({ model: "phi3:mini", text: ANSWER, doneReason: "stop" });
  });

  it("--model picks the model", async () => {
    ollama = await startFakeOllama({ models: ["phi3:mini", "llama3.2:1b"] });
    expect((await ask("--model", "llama3.2:1b", "-o", "json")).code).toBe(0);
    expect(ollama.requests.find((r) => r.endpoint === "chat")?.body?.model).toBe("llama3.2:1b");
  });

  it("Ollama down: findings printed, a warning with the fix on stderr, analysis null, exit 0", async () => {
    ollama = await startFakeOllama();
    const url = ollama.url;
    await ollama.close();
    const text = await bundleRun(fixture("oom-crashloop-with-liveness.json"), "--ollama-url", url);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("1. OOMKilled");
    expect(text.stderr).toContain(
      `warning: no explanation from the model: Ollama at ${url} is not answering (connection refused)`,
    );
    expect(text.stderr).toContain(
      "fix: start Ollama or point --ollama-url at it; or skip the model with --no-ai",
    );
    const json = await bundleRun(
      fixture("oom-crashloop-with-liveness.json"),
      "--ollama-url",
      url,
      "-o",
      "json",
    );
    expect(json.code).toBe(0);
    expect(onlyJson(json.stdout).analysis).toBeNull();
  });

  it("model missing: the warning says to pull it, analysis null, exit 0", async () => {
    ollama = await startFakeOllama({ models: [] });
    const run = await ask("-o", "json");
    expect(run.code).toBe(0);
    expect(onlyJson(run.stdout).analysis).toBeNull();
    expect(run.stderr).toContain(
      `warning: no explanation from the model: model phi3:mini is not present in Ollama at ${ollama.url}`,
    );
    expect(run.stderr).toContain("fix: pull it: ollama pull phi3:mini; or use --no-ai");
  });

  it("an error mid-answer: what arrived is shown and marked, analysis null, exit 0", async () => {
    ollama = await startFakeOllama({
      script: {
        answer: ANSWER,
        failure: {
          kind: "stream-error",
          afterChunks: 5,
          message: "llama runner process has terminated: signal: killed",
        },
      },
    });
    const text = await ask();
    expect(text.code).toBe(0);
    // The partial answer's line is ended, then marked; never a half line.
    expect(text.stdout).toMatch(
      /Analysis by phi3:mini\nRoot cause: the container\nanswer cut off: the stream from Ollama broke off \(see the warning\)\n/,
    );
    expect(text.stderr).toContain(
      "warning: no explanation from the model: the answer from phi3:mini was cut off after 5 tokens: Ollama reported: llama runner process has terminated: signal: killed",
    );
    const json = await ask("-o", "json");
    expect(json.code).toBe(0);
    expect(onlyJson(json.stdout).analysis).toBeNull();
  });

  it("prints no terminal escape sequences the model (or a log it quotes) produced", async () => {
    ollama = await startFakeOllama({
      script: { answer: "Root cause: \u001b[2J\u001b[31mwiped\u0007 screen" },
    });
    const run = await ask();
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("\u001b");
    expect(run.stdout).not.toContain("\u0007");
  });
});
