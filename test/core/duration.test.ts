/** The one duration parser: Go/kubectl syntax, a range check, and messages that say what to type. */
import { describe, expect, it } from "vitest";
import {
  formatDuration,
  formatMs,
  MAX_DURATION_MS,
  parseDuration,
  parseGoDuration,
} from "../../src/core/duration.js";
import { UsageError } from "../../src/core/errors.js";

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["1m30s", 90_000],
    ["1.5m", 90_000],
    ["2h", 7_200_000],
    ["500ms", 500],
    [".5s", 500],
    ["1h30m15s", 5_415_000],
    ["15m", 900_000],
    ["24h", MAX_DURATION_MS],
    ["1500000us", 1_500],
    ["1500µs", 2],
    [" 10m ", 600_000],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["soon", 'invalid duration "soon" for --timeout'],
    ["5d", 'invalid duration "5d" for --timeout'],
    ["1..5s", 'invalid duration "1..5s" for --timeout'],
    ["", 'invalid duration "" for --timeout'],
    ["90", 'invalid duration "90" for --timeout: missing unit'],
    ["0", "--timeout 0 must be longer than 0"],
    ["0s", "--timeout 0s must be longer than 0"],
    ["-5m", "--timeout -5m must be longer than 0"],
    ["25h", "--timeout 25h is too long: at most 24h"],
    ["1000000h", "--timeout 1000000h is too long: at most 24h"],
  ])("%j is refused: %s", (text, message) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
    expect(() => parseDuration(text)).toThrow(message);
  });

  it("a bare number's hint offers the units kubectl would want", () => {
    try {
      parseDuration("90");
      expect.unreachable();
    } catch (error) {
      expect((error as UsageError).hint).toBe("add a unit as kubectl does: 90s, 90m or 90h");
    }
  });

  it("honours a flag's own minimum and name", () => {
    expect(() => parseDuration("500ms", "--timeout", { minMs: 1_000 })).toThrow(
      "--timeout 500ms is too short: at least 1s",
    );
    expect(() => parseDuration("2h", "--wait", { maxMs: 3_600_000 })).toThrow(
      "--wait 2h is too long: at most 1h",
    );
  });
});

describe("parseGoDuration (the grammar alone)", () => {
  it("accepts what Go accepts, including signs, repeats and a lone 0", () => {
    expect(parseGoDuration("0")).toBe(0);
    expect(parseGoDuration("+5s")).toBe(5_000);
    expect(parseGoDuration("-2s")).toBe(-2_000);
    expect(parseGoDuration("3h5h")).toBe(8 * 3_600_000);
    expect(parseGoDuration("7ns")).toBeCloseTo(7e-6);
  });
  it("rejects what Go rejects", () => {
    for (const text of ["10", ".s", "5x", "s", "1h 30m", "1H"]) expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe("formatMs", () => {
  it("prints like Go without zero parts", () => {
    expect(formatMs(90_000)).toBe("1m30s");
    expect(formatMs(MAX_DURATION_MS)).toBe("24h");
    expect(formatMs(250)).toBe("250ms");
  });
});

describe("formatDuration", () => {
  it.each([
    [500, "500ms"],
    [1_000, "1s"],
    [90_000, "90s"],
    [120_000, "2m"],
    [600_000, "10m"],
  ])("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
