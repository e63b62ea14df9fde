/** Every scenario's module, registered under its catalogue name (../catalogue.ts), in gameday order. */
import { SCENARIO_NAMES, type ScenarioName } from "../catalogue.js";
import type { Scenario } from "../types.js";
import { driftScenario } from "./drift.js";
import {
  badImageScenario,
  crashloopScenario,
  missingConfigScenario,
  probeFailureScenario,
  unschedulableScenario,
} from "./drills.js";
import { nodeFailureScenario } from "./node-failure.js";
import { oomScenario } from "./oom.js";

const BY_NAME: Record<ScenarioName, Scenario> = {
  oom: oomScenario,
  crashloop: crashloopScenario,
  "bad-image": badImageScenario,
  "missing-config": missingConfigScenario,
  "probe-failure": probeFailureScenario,
  unschedulable: unschedulableScenario,
  drift: driftScenario,
  "node-failure": nodeFailureScenario,
};

export const SCENARIOS: readonly Scenario[] = SCENARIO_NAMES.map((name) => BY_NAME[name]);

export function scenario(name: ScenarioName): Scenario {
  return BY_NAME[name];
}
