/**
 * The chaos scenarios, declared once: each name with a one-line summary of what running it does, in
 * gameday order (node-failure last, because it takes a worker and what runs on it away). `--help`,
 * shell completion (the commander tree built from this list), `chaos list`, `gameday --only` and
 * argument checks all derive from it; each scenario's module is registered under the same name in
 * scenarios/index.ts. Data only, so `sre-lab --help` loads no scenario code.
 */
export const SCENARIO_CATALOGUE = [
  {
    name: "oom",
    summary: "push one target-app pod past its own memory limit until it is OOMKilled (exit code 137)",
  },
  {
    name: "crashloop",
    summary: "run a drill copy of the app with a bad setting: it exits at start and crash-loops",
  },
  { name: "bad-image", summary: "run a drill copy of the app whose image tag does not exist" },
  { name: "missing-config", summary: "run a drill copy of the app that needs a ConfigMap nobody created" },
  {
    name: "probe-failure",
    summary: "run a drill copy of the app whose liveness probe asks for the wrong path",
  },
  {
    name: "unschedulable",
    summary: "run a drill copy of the app that requests more memory than any node has",
  },
  { name: "drift", summary: "edit the Argo CD-managed Deployment by hand and time Argo CD's self-heal" },
  {
    name: "node-failure",
    summary: "stop the apps worker's kind container (docker stop): its node goes NotReady",
  },
] as const satisfies readonly { name: string; summary: string }[];

export type ScenarioName = (typeof SCENARIO_CATALOGUE)[number]["name"];

/** The names alone, in gameday order. */
export const SCENARIO_NAMES: readonly ScenarioName[] = SCENARIO_CATALOGUE.map((s) => s.name);

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** The one-line summary of a scenario (the help line of `sre-lab chaos <name>`). */
export function scenarioSummary(name: ScenarioName): string {
  return SCENARIO_CATALOGUE.find((s) => s.name === name)?.summary ?? "";
}
