/** Flags → options, and every usage mistake: exit 2, one line and a hint, before any cluster is contacted. */
import { describe, expect, it } from "vitest";
import { type DiagnoseFlags, toDiagnoseOptions } from "../../src/cli/commands/diagnose.js";
import { closestNames, editDistance } from "../../src/diagnose/target.js";
import { runCli } from "../support/cli.js";

// A kubeconfig that does not exist: a test that got as far as the cluster would fail differently.
const env = { KUBECONFIG: "/nonexistent/kubeconfig" };
const RULE =
  "a pod name is a lowercase RFC 1123 subdomain: at most 253 characters of a-z, 0-9, '-' and '.', starting and ending with a letter or digit";

describe("usage errors", () => {
  it.each([
    [
      ["diagnose", "--save-bundle", "b.json"],
      "error: --save-bundle needs a pod: triage uses no agent and no model",
      "hint: sre-lab diagnose [-n NAMESPACE | -A] triages; sre-lab diagnose POD explains one pod",
    ],
    [["diagnose", "-A", "-n", "shop"], "error: -A and -n together: -A already covers every namespace", ""],
    [
      ["diagnose", "web", "-A"],
      "error: -A triages every namespace; it does not take a pod or --bundle",
      "hint: drop -A, or drop the target: sre-lab diagnose -A",
    ],
    [
      ["diagnose", "web/api"],
      'error: cannot diagnose "web/api": unknown resource type "web"',
      "hint: name a pod, or TYPE/NAME as kubectl does: pod/NAME, deploy/NAME",
    ],
    [["diagnose", "deploy/Checkout"], 'error: invalid Deployment name "Checkout"', ""],
    [["diagnose", "constructor/x"], 'error: cannot diagnose "constructor/x": unknown resource type', ""],
    [
      ["diagnose", "web", "--timeout", "90"],
      'error: invalid duration "90" for --timeout: missing unit',
      "hint: add a unit as kubectl does: 90s, 90m or 90h",
    ],
    [["diagnose", "web", "--timeout", "48h"], "error: --timeout 48h is too long: at most 24h", ""],
    [
      ["diagnose", "web", "-v=loud"],
      'error: invalid verbosity "-v=loud"',
      "hint: use -v or --verbose, or kubectl's -v=N",
    ],
    [
      ["diagnose", "web", "--bundle", "b.json"],
      'error: give a pod or --bundle, not both (got pod "web" and --bundle b.json)',
      "",
    ],
    [
      ["diagnose", "--bundle", "b.json", "-n", "shop"],
      "error: --namespace does not apply to --bundle, which contacts no cluster",
      "",
    ],
    [
      ["diagnose", "--bundle", "b.json", "--local"],
      "error: --local does not apply to --bundle, which contacts no cluster",
      "",
    ],
    [
      ["diagnose", "web", "--local", "--keep"],
      "error: --keep keeps the agent's Job, and --local runs no Job",
      "",
    ],
    [
      ["diagnose", "web", "--timeout", "soon"],
      'error: invalid duration "soon" for --timeout',
      "hint: use Go/kubectl syntax with units ns, us, ms, s, m, h",
    ],
    [["diagnose", "web", "--timeout", "0s"], "error: --timeout 0s must be longer than 0", ""],
    [["diagnose", "web", "--timeout", "500ms"], "error: --timeout 500ms is too short: at least 1s", ""],
    [
      ["diagnose", "web", "--ollama-url", "ftp://x"],
      "error: not a valid Ollama host: ftp://x (only http and https)",
      "",
    ],
    [
      ["diagnose", "web", "--save-bundle", "/nonexistent/dir/b.json"],
      "error: --save-bundle /nonexistent/dir/b.json: the directory /nonexistent/dir does not exist",
      "",
    ],
    [
      ["diagnose", "web", "-n", "Shop"],
      'error: invalid namespace "Shop": a namespace is a lowercase RFC 1123 label',
      "",
    ],
    [["diagnose", "web", "--model", " "], "error: --model is empty", ""],
  ])("%j", async (args, message, hint) => {
    const run = await runCli(args, { env });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.split("\n")[0]).toContain(message);
    expect(run.stderr).toContain(hint);
    expect(run.stderr).toContain("hint: ");
  });

  it.each(["Checkout-API", "checkout_api", "-web", "web-", "web..api", "x".repeat(254), "wéb"])(
    "invalid pod name %j: exit 2 with the naming rule",
    async (name) => {
      // After "--", a name that starts with "-" is an argument, not an option.
      const run = await runCli(["diagnose", "--", name], { env });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `error: invalid pod name ${JSON.stringify(name)}: ${RULE}\nhint: copy the name from kubectl get pods -n NAMESPACE\n`,
      );
    },
  );

  it("-o takes text, json or yaml (commander)", async () => {
    const run = await runCli(["diagnose", "web", "-o", "wide"], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("argument 'wide' is invalid. Allowed choices are text, json, yaml.");
  });

  it("kubectl's -v=6 is --verbose, not an unknown option", async () => {
    const run = await runCli(["-v=6", "diagnose", "web", "--timeout", "soon"], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain("unknown option");
    // --verbose shows the stack of the usage error.
    expect(run.stderr).toMatch(/UsageError: invalid duration "soon"[^\n]*\n\s+at /);
  });

  it("--help documents the contract's flags", async () => {
    const run = await runCli(["diagnose", "--help"]);
    expect(run.code).toBe(0);
    for (const flag of [
      "--bundle <file>",
      "--save-bundle <file>",
      "--no-ai",
      "--print-prompt",
      "-o, --output <format>",
      "-n, --namespace <ns>",
      "--model <name>",
      '(default: "phi3:mini")',
      "--local",
      "--keep",
      "--ollama-url <url>",
      "--timeout <duration>",
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });
});

describe("flags → options", () => {
  const base: DiagnoseFlags = { ai: true, model: "phi3:mini", timeout: "10m", output: "text" };
  it.each<[string, string | undefined, Partial<DiagnoseFlags>, Record<string, unknown>]>([
    [
      "in the cluster on the lab, read-only elsewhere (decided against the cluster)",
      "web",
      {},
      { target: { kind: "live", pod: "web", namespace: undefined, where: "auto" }, mode: "analyze" },
    ],
    [
      "--in-cluster",
      "web",
      { inCluster: true, yes: true },
      {
        target: { kind: "live", pod: "web", namespace: undefined, where: "cluster" },
        consent: { yes: true, force: false },
      },
    ],
    [
      "--local",
      "web",
      { local: true, namespace: "shop" },
      { target: { kind: "live", pod: "web", namespace: "shop", where: "local" } },
    ],
    ["--bundle", undefined, { bundle: "b.json" }, { target: { kind: "bundle", file: "b.json" } }],
    ["--no-ai", "web", { ai: false }, { mode: "no-ai" }],
    ["--print-prompt wins over --no-ai", "web", { ai: false, printPrompt: true }, { mode: "prompt" }],
    ["--timeout", "web", { timeout: "90s" }, { timeoutMs: 90_000 }],
    ["--timeout as kubectl writes it", "web", { timeout: "1m30s" }, { timeoutMs: 90_000 }],
    ["--timeout with a fraction", "web", { timeout: "1.5m" }, { timeoutMs: 90_000 }],
    ["pod/NAME is the pod", "pod/web", {}, { target: { kind: "live", pod: "web" } }],
    [
      "deploy/NAME is resolved later",
      "deploy/checkout-api",
      { namespace: "shop" },
      { target: { kind: "live", namespace: "shop" }, owner: { kind: "Deployment", name: "checkout-api" } },
    ],
    ["sts/NAME", "sts/pg", {}, { owner: { kind: "StatefulSet", name: "pg" } }],
    ["statefulsets.apps/NAME", "statefulsets.apps/pg", {}, { owner: { kind: "StatefulSet", name: "pg" } }],
    ["job/NAME", "job/migrate", {}, { owner: { kind: "Job", name: "migrate" } }],
    ["cj/NAME", "cj/report", {}, { owner: { kind: "CronJob", name: "report" } }],
    ["--keep", "web", { keep: true }, { keep: true }],
    [
      "--ollama-url without a scheme or port",
      "web",
      { ollamaUrl: "gpu-box" },
      { ollamaUrl: "http://gpu-box:11434" },
    ],
    [
      "--save-bundle .yml is YAML",
      "web",
      { saveBundle: "/tmp/b.yml" },
      { saveBundle: { path: "/tmp/b.yml", format: "yaml" } },
    ],
    [
      "--save-bundle otherwise JSON",
      "web",
      { saveBundle: "/tmp/b.txt" },
      { saveBundle: { path: "/tmp/b.txt", format: "json" } },
    ],
  ])("%s", (_name, pod, flags, expected) => {
    expect(toDiagnoseOptions(pod, { ...base, ...flags })).toMatchObject(expected);
  });
});

describe("closest pod names", () => {
  const pods = [
    "checkout-api-7c9d6b5f48-x2k9p",
    "checkout-api-7c9d6b5f48-q8w7e",
    "payments-5d8f9c7b6-aaaaa",
    "redis-0",
  ];
  it("a Deployment's name gives its pods", () => {
    expect(closestNames("checkout-api", pods)).toEqual([
      "checkout-api-7c9d6b5f48-q8w7e",
      "checkout-api-7c9d6b5f48-x2k9p",
    ]);
  });
  it("a typo gives the nearest name first", () => {
    expect(closestNames("chekout-api-7c9d6b5f48-x2k9p", pods)[0]).toBe("checkout-api-7c9d6b5f48-x2k9p");
    expect(closestNames("redis-1", pods)).toEqual(["redis-0"]);
  });
  it("an unrelated name gives none", () => {
    expect(closestNames("grafana", pods)).toEqual([]);
  });
  it("edit distance", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });
});
