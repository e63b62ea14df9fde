import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AgentEvent,
  AgentLogParser,
  decodeEvent,
  encodeEvent,
} from "../../src/diagnose/engine/protocol.js";

const tokenEvents = fc
  .array(fc.string({ unit: "grapheme", maxLength: 12 }), { maxLength: 30 })
  .map((texts) => texts.map((text): AgentEvent => ({ type: "token", text })));

describe("the agent's NDJSON protocol", () => {
  it("encodes every event as one line of pure ASCII that decodes back", () => {
    fc.assert(
      fc.property(tokenEvents, (events) => {
        for (const event of events) {
          const line = encodeEvent(event);
          expect(line.endsWith("\n")).toBe(true);
          expect(line.slice(0, -1)).not.toContain("\n");
          expect(/^[\x20-\x7e]*\n$/.test(line)).toBe(true);
          expect(decodeEvent(line)).toEqual(event);
        }
      }),
    );
  });

  it("reads the same events whatever the chunk boundaries of the log stream", () => {
    fc.assert(
      fc.property(tokenEvents, fc.array(fc.nat(), { maxLength: 20 }), (events, cuts) => {
        const stream = events.map(encodeEvent).join("");
        const points = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)))].sort(
          (a, b) => a - b,
        );
        const parser = new AgentLogParser();
        const seen: AgentEvent[] = [];
        let from = 0;
        for (const point of [...points, stream.length]) {
          seen.push(...parser.push(stream.slice(from, point)));
          from = point;
        }
        seen.push(...parser.end());
        expect(seen).toEqual(events);
      }),
    );
  });

  it("keeps the last lines that are not tokens, for error messages, and reads a last line without newline", () => {
    const parser = new AgentLogParser(3);
    const events = [
      ...parser.push(encodeEvent({ type: "start", version: "1", pod: { namespace: "a", name: "b" } })),
      ...parser.push("(node:1) Warning: something\n"),
      ...parser.push(encodeEvent({ type: "token", text: "hello" })),
      ...parser.push('{"not":"ours"}\nTypeError: boom\n    at x (agent.mjs:1:1)\n'),
      ...parser.push(encodeEvent({ type: "done" }).trimEnd()),
      ...parser.end(),
    ];
    expect(events.map((e) => e.type)).toEqual(["start", "token", "done"]);
    expect(parser.lastLines).toEqual(["TypeError: boom", "    at x (agent.mjs:1:1)", '{"type":"done"}']);
  });

  it("ignores lines that are not its events", () => {
    for (const line of ["", "plain text", "{broken", '{"type":"unknown"}', "[1,2]", '"token"', "null"]) {
      expect(decodeEvent(line)).toBeUndefined();
    }
  });
});
