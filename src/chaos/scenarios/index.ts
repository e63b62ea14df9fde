/** Every scenario, by name, in gameday order (types.ts SCENARIO_NAMES). */
import { SCENARIO_NAMES, type Scenario, type ScenarioName } from "../types.js";
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
