// The check of the model's answer against the evidence it was given, with canned answers: one that
// only uses the evidence, ones that invent a pod name or a memory value, one that contradicts
// findings[0], and the shapes a small model really writes (Markdown, code fences, no headers).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { answerSections, checkGrounding } from "../../src/diagnose/grounding.js";
import type { Finding } from "../../src/diagnose/types.js";

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/grounding/oom-cart.json", import.meta.url), "utf8"),
) as { evidence: string[]; findings: Finding[] };

const check = (answer: string) => checkGrounding({ answer, ...fixture });

const GROUNDED = `Root cause: Container cart in pod cart-6d5f7c8b9-x7k2p was OOMKilled: it needs more memory than its 128Mi limit.
Evidence:
- lastState.terminated: reason=OOMKilled exitCode=137, 6 restarts
- spec.containers[cart].resources.limits.memory: 128Mi (requests 64Mi)
- the log shows "cache size 118Mi" just before the kill
Fix: kubectl -n shop set resources deployment/cart -c cart --limits=memory=256Mi
Confidence: high - the termination reason is OOMKilled.`;

describe("checkGrounding", () => {
  it("an answer that only uses the evidence is grounded, and every item was checked", () => {
    const result = check(GROUNDED);
    expect(result).toMatchObject({ ok: true, unmatched: [], contradiction: null });
    // cart-6d5f7c8b9-x7k2p is in Root cause (not checked); Evidence and Fix hold the rest.
    expect(result.checked).toBeGreaterThanOrEqual(7);
  });

  it("a raised limit derived from the evidence counts (above the largest value of its kind, up to twice it)", () => {
    const raised = GROUNDED.replace("--limits=memory=256Mi", "--limits=memory=384Mi");
    expect(check(raised)).toMatchObject({ ok: true, unmatched: [] });
  });

  it("an invented pod name is marked as not from the evidence", () => {
    const answer = GROUNDED.replace(
      "Fix: kubectl",
      "Fix: kubectl -n shop delete pod cart-7f8d9c6b5-abcde, then kubectl",
    );
    const result = check(answer);
    expect(result.ok).toBe(false);
    expect(result.unmatched).toContainEqual({ kind: "name", text: "cart-7f8d9c6b5-abcde", section: "Fix" });
    // "kubectl delete" is a command no finding suggested.
    expect(result.unmatched).toContainEqual(
      expect.objectContaining({
        kind: "command",
        text: expect.stringMatching(/^kubectl -n shop delete pod/),
      }),
    );
    // The real names in the same answer are not marked.
    expect(result.unmatched.map((u) => u.text)).not.toContain("cart");
    expect(result.unmatched.map((u) => u.text)).not.toContain("shop");
  });

  it("a pod name is recognised without a kind word: by its shape, and as a kubectl argument", () => {
    const shaped = check(GROUNDED.replace("- the log shows", "- `cart-5b6c7d8f9-zz9yy` shows"));
    expect(shaped.unmatched).toEqual([{ kind: "name", text: "cart-5b6c7d8f9-zz9yy", section: "Evidence" }]);

    const argument = check(
      GROUNDED.replace(
        "Fix: kubectl",
        "Fix: kubectl -n shop top pod cart-6d5f7c8b9-x7k2p --containers; kubectl -n shop top pod web-1 ; kubectl",
      ),
    );
    expect(argument.unmatched).toEqual([{ kind: "name", text: "web-1", section: "Fix" }]);
    // The real pod, as an argument of a command the findings suggest, is not marked.
    expect(
      check(
        GROUNDED.replace(
          "Fix: kubectl",
          "Fix: kubectl -n shop top pod cart-6d5f7c8b9-x7k2p --containers; kubectl",
        ),
      ).ok,
    ).toBe(true);
  });

  it("a prefix of the real pod name is not the pod", () => {
    const answer = GROUNDED.replace(
      "Fix: kubectl",
      "Fix: kubectl -n shop logs pod/cart-6d5f7c8b9 --previous; kubectl",
    );
    expect(check(answer).unmatched).toContainEqual({ kind: "name", text: "cart-6d5f7c8b9", section: "Fix" });
  });

  it("an invented memory value is marked; so is one in the Evidence part", () => {
    const fix = check(GROUNDED.replace("--limits=memory=256Mi", "--limits=memory=4Gi"));
    expect(fix.ok).toBe(false);
    expect(fix.unmatched).toEqual([{ kind: "quantity", text: "4Gi", section: "Fix" }]);

    const evidence = check(GROUNDED.replace("limits.memory: 128Mi", "limits.memory: 96Mi"));
    expect(evidence.unmatched).toEqual([{ kind: "quantity", text: "96Mi", section: "Evidence" }]);
  });

  it("a lower limit is not derived (it would make the OOM worse)", () => {
    expect(check(GROUNDED.replace("--limits=memory=256Mi", "--limits=memory=100Mi")).unmatched).toEqual([
      { kind: "quantity", text: "100Mi", section: "Fix" },
    ]);
  });

  it("an invented namespace, image and CPU value are marked", () => {
    const answer = `${GROUNDED.split("\nFix:")[0]}
Fix: kubectl -n production set image deployment/cart cart=ghcr.io/acme/cart:2.4.0 and set cpu=4`;
    const result = check(answer);
    expect(result.unmatched).toEqual(
      expect.arrayContaining([
        { kind: "namespace", text: "production", section: "Fix" },
        { kind: "image", text: "ghcr.io/acme/cart:2.4.0", section: "Fix" },
        { kind: "quantity", text: "4", section: "Fix" },
      ]),
    );
    expect(check(answer.replace("2.4.0", "2.3.1")).unmatched).not.toContainEqual(
      expect.objectContaining({ kind: "image" }),
    );
  });

  it("a fix for another root cause than findings[0] is a contradiction", () => {
    const answer = `Root cause: The image cannot be pulled (ImagePullBackOff).
Evidence:
- restarts: 6
Fix: kubectl -n shop set image deployment/cart cart=ghcr.io/acme/cart:2.3.1
Confidence: medium`;
    const result = check(answer);
    expect(result.ok).toBe(false);
    expect(result.contradiction).toEqual({ answer: "ImagePullFailed", rootCause: "OOMKilled" });
    // The names and the image are real; the command is one no finding suggested.
    expect(result.unmatched).toEqual([
      {
        kind: "command",
        text: "kubectl -n shop set image deployment/cart cart=ghcr.io/acme/cart:2.3.1",
        section: "Fix",
      },
    ]);
  });

  it("mentioning the other findings' causes alongside findings[0]'s is no contradiction", () => {
    const answer = GROUNDED.replace(
      "Root cause: Container cart",
      "Root cause: The liveness probe fails too, but container cart",
    );
    expect(check(answer).contradiction).toBeNull();
  });

  it("reads Markdown headers, bullets and code fences as small models write them", () => {
    const answer = [
      "**Root cause:** the container `cart` ran out of memory.",
      "",
      "**Evidence:**",
      "* `reason=OOMKilled exitCode=137`",
      "* limit `128Mi`",
      "",
      "**Fix:**",
      "```sh",
      "kubectl -n shop set resources deployment/cart -c cart --limits=memory=8Gi",
      "```",
      "**Confidence:** high",
    ].join("\n");
    const sections = answerSections(answer);
    expect(sections.fix).toContain("kubectl -n shop set resources");
    expect(sections.evidence).toContain("limit `128Mi`");
    expect(check(answer).unmatched).toEqual([{ kind: "quantity", text: "8Gi", section: "Fix" }]);
  });

  it("an answer without Evidence or Fix parts checks nothing and is not called grounded by accident", () => {
    const result = check("The pod crashed. Try restarting it.");
    expect(result).toMatchObject({ checked: 0, unmatched: [], contradiction: null, ok: true });
  });

  it("returns printable, clipped items from hostile answer text", () => {
    const answer = `Evidence:\n- pod/x1-\u001b[31mevil\u001b[0m\nFix: kubectl -n shop delete deployment/${"a1".repeat(200)}`;
    const { unmatched } = check(answer);
    expect(unmatched.length).toBeGreaterThan(0);
    for (const item of unmatched) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
      expect(item.text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(item.text.length).toBeLessThanOrEqual(160);
    }
  });
});
