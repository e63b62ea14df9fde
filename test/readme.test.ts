import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

function setUpCommands(): string[] {
  const section = readme.split("## Set up")[1]?.split("\n## ")[0] ?? "";
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

describe("README", () => {
  it("has exactly two set-up commands: one to run the lab, one to run the tests", () => {
    const commands = setUpCommands();
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/sre-lab up$/);
    expect(commands[1]).toMatch(/npm test$/);
  });

  it("CI runs the README's test command verbatim", () => {
    const ci = readFileSync(join(root, ".ci/run"), "utf8");
    const testCommand = setUpCommands()[1]!;
    expect(ci.split("\n").map((l) => l.trim())).toContain(testCommand);
  });
});
