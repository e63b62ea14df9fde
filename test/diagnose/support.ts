/**
 * Shared test helpers for the diagnose suites: fixture loading and a tiny bundle builder for
 * cases that are clearer inline than as a fixture file.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  analyze,
  buildPrompt,
  type EvidenceBundle,
  type Finding,
  type Prompt,
  parseBundle,
} from "../../src/diagnose/index.js";
import type { KubeObject } from "../../src/diagnose/types.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const fixturesDir = path.join(repoRoot, "test/fixtures/bundles");

/** Test-only expectations stored in a fixture under the (ignored) top-level key `x-expect`. */
export interface FixtureExpectation {
  code?: string;
  container?: string;
  evidence?: string[];
  remediation?: string[];
  summary?: string[];
  /** Each must be a substring of one of findings[0].commands. */
  commands?: string[];
  /** The wrong fix: none may appear in findings[0]'s remediation or commands. */
  notFix?: string[];
  notSummary?: string[];
  notCommands?: string[];
  /** Each must survive into the prompt. */
  prompt?: string[];
  alsoCodes?: string[];
  notCodes?: string[];
  onlyCodes?: string[];
  secrets?: string[];
  kept?: string[];
  noCrash?: boolean;
}

export interface Fixture {
  file: string;
  text: string;
  expect: FixtureExpectation;
}

export function fixtureFiles(): string[] {
  return readdirSync(fixturesDir)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

export function loadFixture(file: string): Fixture {
  const text = readFileSync(path.join(fixturesDir, file), "utf8");
  const raw = JSON.parse(text) as { "x-expect"?: FixtureExpectation };
  return { file, text, expect: raw["x-expect"] ?? {} };
}

export function fixtureBundle(file: string): EvidenceBundle {
  return parseBundle(loadFixture(file).text, file);
}

export function diagnose(bundle: EvidenceBundle): { findings: Finding[]; prompt: Prompt; content: string } {
  const findings = analyze(bundle);
  const prompt = buildPrompt(bundle, findings);
  return { findings, prompt, content: prompt.messages.map((m) => m.content).join("\n") };
}

/** A minimal but well-formed bundle around one pod. */
export function bundleOf(pod: KubeObject, extra: Partial<EvidenceBundle> = {}): EvidenceBundle {
  return {
    apiVersion: "sre-lab/v1",
    kind: "EvidenceBundle",
    metadata: { collectedAt: "2025-06-10T08:31:00Z" },
    pod,
    events: [],
    logs: [],
    ...extra,
  };
}

/** A Running single-container pod whose container status can be overridden. */
export function podWith(
  status: KubeObject,
  container: KubeObject = {},
  podStatus: KubeObject = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "app-7d9f8c6b5-abcde",
      namespace: "demo",
      uid: "uid-1",
      labels: { "pod-template-hash": "7d9f8c6b5" },
      ownerReferences: [{ kind: "ReplicaSet", name: "app-7d9f8c6b5", controller: true }],
    },
    spec: {
      nodeName: "kind-worker",
      restartPolicy: "Always",
      containers: [{ name: "app", image: "ghcr.io/acme/app:1.0.0", ...container }],
    },
    status: {
      phase: "Running",
      ...podStatus,
      containerStatuses: [
        { name: "app", ready: false, restartCount: 0, state: {}, lastState: {}, ...status },
      ],
    },
  };
}

export function podEvent(reason: string, message: string, extra: KubeObject = {}): KubeObject {
  return {
    kind: "Event",
    involvedObject: {
      kind: "Pod",
      name: "app-7d9f8c6b5-abcde",
      namespace: "demo",
      uid: "uid-1",
      fieldPath: "spec.containers{app}",
    },
    reason,
    message,
    type: "Warning",
    count: 1,
    lastTimestamp: "2025-06-10T08:30:00Z",
    ...extra,
  };
}
