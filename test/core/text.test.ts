import { describe, expect, it } from "vitest";
import { firstLine, indent, lines, truncate } from "../../src/core/text.js";

describe("text", () => {
  it("firstLine is the first line that says something, trimmed", () => {
    expect(firstLine("ERROR: failed to create cluster\nStack trace…")).toBe(
      "ERROR: failed to create cluster",
    );
    expect(firstLine("\n  \n  Back-off pulling image  \nmore")).toBe("Back-off pulling image");
    expect(firstLine("one\r\ntwo")).toBe("one");
    expect(firstLine("")).toBe("");
    expect(firstLine(" \n\t\n")).toBe("");
  });

  it("lines drops blank lines and trims the rest", () => {
    expect(lines("a\n\n  b \n")).toEqual(["a", "b"]);
  });

  it("truncate keeps short text and marks a cut with …", () => {
    expect(truncate("short", 10)).toBe("short");
    expect(truncate("0123456789abc", 10)).toBe("012345678…");
    expect(truncate("0123456789abc", 10)).toHaveLength(10);
  });

  it("indent prefixes every line", () => {
    expect(indent("a\nb")).toBe("  a\n  b");
    expect(indent("a", "> ")).toBe("> a");
  });
});
