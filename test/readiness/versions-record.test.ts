/** docs/versions.md records a confirming source (or says "unconfirmed") for every pin in versions.json. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import versions from "../../versions.json" with { type: "json" };

const doc = readFileSync(join(import.meta.dirname, "../../docs/versions.md"), "utf8");

function pins(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null) return [prefix];
  const record = value as Record<string, unknown>;
  // A chart is one fact: its repository and version together.
  if ("repository" in record && "version" in record) return [prefix];
  return Object.entries(record)
    .filter(([key]) => key !== "$comment")
    .flatMap(([key, v]) => pins(v, prefix ? `${prefix}.${key}` : key));
}

it("every pinned entry has a row with its value and where it is confirmed", () => {
  const entries = pins(versions);
  expect(entries.length).toBeGreaterThan(15);
  for (const entry of entries) {
    const row = doc.split("\n").find((line) => line.startsWith(`| \`${entry}\` |`));
    expect(row, `docs/versions.md has no row for ${entry}`).toBeDefined();
    const cells = row!.split(" | ");
    expect(cells[2]?.trim().length, `no source for ${entry}`).toBeGreaterThan(10);
  }
});

it("records the registry tag that is really published, and says the old one was wrong", () => {
  expect(versions.images.registry).toBe("docker.io/library/registry:3.1.1");
  expect(doc).toMatch(/`3\.1\.2` was pinned before and is wrong/);
});
