import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { UsageError } from "../../src/core/errors.js";
import { parseBundle, serializeBundle } from "../../src/diagnose/bundle.js";
import { REDACTED } from "../../src/diagnose/redact.js";
import { bundleOf, fixtureBundle, podWith } from "./support.js";

function usageError(text: string): UsageError {
  try {
    parseBundle(text, "bundle.json");
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected parseBundle to throw");
}

describe("parseBundle", () => {
  it("reads a JSON bundle and keeps pod, events, logs, owners and node", () => {
    const bundle = fixtureBundle("evicted-ephemeral-storage.json");
    expect(bundle.kind).toBe("EvidenceBundle");
    expect(bundle.metadata.collectedAt).toBe("2025-06-10T08:31:00Z");
    expect((bundle.pod.metadata as { name: string }).name).toBe("log-exporter-5e6f7a8b9-e3e3e");
    expect(bundle.events).toHaveLength(2);
    expect(bundle.node).toBeDefined();
  });

  it("reads the same bundle written as YAML", () => {
    const json = fixtureBundle("apperror-go-panic.json");
    const yaml = serializeBundle(json, { format: "yaml", redact: false });
    const fromYaml = parseBundle(yaml, "bundle.yaml");
    expect(fromYaml).toEqual(json);
    expect(fromYaml.logs[0]?.text).toContain("panic: runtime error");
  });

  it("drops unknown top-level fields and tolerates odd shapes inside", () => {
    const bundle = parseBundle(
      JSON.stringify({
        apiVersion: "sre-lab/v1",
        kind: "EvidenceBundle",
        extra: { anything: true },
        pod: { metadata: { name: "p" } },
        events: { kind: "EventList", items: [{ reason: "BackOff" }, null, 3] },
        logs: [{ container: "app", previous: "true", text: "x" }, "junk", { text: 42 }],
        owners: null,
      }),
      "b.json",
    );
    expect(Object.keys(bundle)).not.toContain("extra");
    expect(bundle.events).toEqual([{ reason: "BackOff" }]);
    expect(bundle.logs).toEqual([
      { container: "app", previous: true, text: "x" },
      { container: "", previous: false, text: "42" },
    ]);
    expect(bundle.metadata).toEqual({});
    expect(bundle.owners).toBeUndefined();
  });

  it("accepts a missing apiVersion and a UTF-8 byte order mark", () => {
    const bundle = parseBundle(`\ufeff${JSON.stringify({ kind: "EvidenceBundle", pod: {} })}`, "b.json");
    expect(bundle.apiVersion).toBe("sre-lab/v1");
  });

  it.each([
    ["an empty file", "", /b(undle)?\.json: the file is empty/],
    [
      "broken JSON, with line and column",
      '{\n  "kind": "EvidenceBundle",\n  pod: {}\n}',
      /bundle\.json: not valid JSON: .*line 3 column 3/,
    ],
    [
      "broken YAML",
      "kind: EvidenceBundle\npod: [unclosed\n",
      /bundle\.json: neither valid JSON nor valid YAML/,
    ],
    [
      "a list at the top level",
      "[1, 2]",
      /expected a mapping with "kind: EvidenceBundle" at the top level, found a list/,
    ],
    ["a scalar", "just text", /expected a mapping .* found a string/],
    [
      "a wrong kind",
      JSON.stringify({ kind: "PodList", pod: {} }),
      /expected kind EvidenceBundle, found kind "PodList"/,
    ],
    ["no kind", JSON.stringify({ pod: {} }), /expected kind EvidenceBundle, found no kind field/],
    ["a bare Pod", JSON.stringify({ kind: "Pod", metadata: {} }), /this looks like a bare Pod, not a bundle/],
    [
      "an unknown apiVersion",
      JSON.stringify({ apiVersion: "sre-lab/v9", kind: "EvidenceBundle", pod: {} }),
      /unsupported apiVersion "sre-lab\/v9"/,
    ],
    [
      "a missing pod",
      JSON.stringify({ apiVersion: "sre-lab/v1", kind: "EvidenceBundle" }),
      /the "pod" field is missing/,
    ],
    [
      "a pod that is not an object",
      JSON.stringify({ kind: "EvidenceBundle", pod: ["x"] }),
      /"pod" must be a Pod object, found a list/,
    ],
  ])("rejects %s with a UsageError (exit 2) that says what and where", (_name, text, message) => {
    const error = usageError(text);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
    expect(error.hint).toContain("--save-bundle");
  });
});

describe("serializeBundle", () => {
  const secretBundle = bundleOf(podWith({}, { env: [{ name: "DB_PASSWORD", value: "hunter2-secret" }] }), {
    logs: [{ container: "app", previous: false, text: "login password=hunter2-secret ok" }],
  });

  it("redacts by default: a written bundle never holds a secret", () => {
    const text = serializeBundle(secretBundle);
    expect(text).not.toContain("hunter2-secret");
    expect(text).toContain(REDACTED);
    expect(JSON.parse(text).kind).toBe("EvidenceBundle");
  });

  it("round-trips through parseBundle, in JSON and YAML", () => {
    for (const format of ["json", "yaml"] as const) {
      const text = serializeBundle(secretBundle, { format, redact: false });
      expect(parseBundle(text, `b.${format}`)).toEqual(secretBundle);
    }
    expect(parseYaml(serializeBundle(secretBundle, { format: "yaml" })).logs[0].text).toBe(
      `login password=${REDACTED} ok`,
    );
  });

  it("writes the contract's top-level keys in order and omits absent optional ones", () => {
    const keys = Object.keys(JSON.parse(serializeBundle(secretBundle)));
    expect(keys).toEqual(["apiVersion", "kind", "metadata", "pod", "events", "logs"]);
  });
});
