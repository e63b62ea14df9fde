import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AgentKubelet, buildAgent, startAgentKubelet } from "../agent/support.js";
import { type FakeOllama, startFakeOllama } from "../harness/fake-ollama/index.js";
import { runCli } from "../support/cli.js";
import { modelValues, rootApplication } from "../support/root-application.js";
import { type ChaosWorld, NS, runDrillPods, startChaosWorld } from "./world.js";

// No mock: gameday runs the real `sre-lab diagnose`, whose agent (dist/agent.js) the fake
// kubelet runs as the Job's pod against the fake API server and a fake Ollama.
describe("sre-lab gameday with the real diagnose", () => {
  let world: ChaosWorld;
  let ollama: FakeOllama;
  let kubelet: AgentKubelet;
  let agentPath: string;
  beforeEach(async () => {
    world = await startChaosWorld();
    ollama = await startFakeOllama({ script: { answer: "Root cause: the image tag does not exist." } });
    kubelet = startAgentKubelet(world.api, { ollamaUrl: ollama.url });
    agentPath = (await buildAgent()).path;
  });
  afterEach(async () => {
    world.tools.assertNoUnexpectedCalls();
    await kubelet.stop();
    await ollama.close();
    await world.close();
  });

  it("breaks, diagnoses through the agent Job, scores the root cause, and reverts", async () => {
    world.react((api) =>
      runDrillPods(api, "bad-image", () => ({
        phase: "Pending",
        containerStatuses: [
          {
            name: "app",
            restartCount: 0,
            ready: false,
            image: "localhost:5001/sre-lab/target-app:does-not-exist",
            state: {
              waiting: {
                reason: "ErrImagePull",
                message:
                  'failed to pull and unpack image "localhost:5001/sre-lab/target-app:does-not-exist": not found',
              },
            },
          },
        ],
      })),
    );
    // A lab brought up with `up --model llama3.2:1b`: the root Application records it.
    world.api.put(rootApplication(modelValues("llama3.2:1b")));
    ollama.setModels(["llama3.2:1b"]);
    const run = await runCli(
      ["gameday", "--only", "bad-image", "--report", join(world.home, "r"), "-o", "json"],
      {
        path: world.tools.path,
        env: { ...world.env, SRE_LAB_AGENT_JS: agentPath },
      },
    );
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    const card = JSON.parse(run.stdout);
    expect(card.rows).toEqual([
      expect.objectContaining({
        scenario: "bad-image",
        breakVerified: true,
        pod: `${NS}/sre-lab-drill-bad-image-5d8f7b9c6-abcde`,
        finding: "ImagePullFailed",
        correct: true,
        reverted: true,
      }),
    ]);
    expect(card.rows[0].timeToFindingsMs).toBeGreaterThan(0);
    expect(card.rows[0].timeToFirstTokenMs).toBeGreaterThanOrEqual(card.rows[0].timeToFindingsMs);
    expect(kubelet.runs).toHaveLength(1);
    // The agent asked the lab's own model, not the default.
    const models = ollama.requests
      .filter((r) => r.endpoint === "chat")
      .map((r) => (r.body as { model: string }).model);
    expect(models.length).toBeGreaterThan(0);
    expect(new Set(models)).toEqual(new Set(["llama3.2:1b"]));
  });

  it("on another context with --yes: one question for the whole gameday, and its diagnose cleans up after itself", async () => {
    world.react((api) =>
      runDrillPods(api, "bad-image", () => ({
        phase: "Pending",
        containerStatuses: [
          {
            name: "app",
            restartCount: 0,
            ready: false,
            image: "localhost:5001/sre-lab/target-app:does-not-exist",
            state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } },
          },
        ],
      })),
    );
    const kubeconfig = world.api.writeKubeconfig(world.home, { context: "staging" });
    const args = [
      "--context",
      "staging",
      "gameday",
      "--only",
      "bad-image",
      "--report",
      join(world.home, "s"),
    ];
    const options = {
      path: world.tools.path,
      env: { ...world.env, KUBECONFIG: kubeconfig, SRE_LAB_AGENT_JS: agentPath },
    };
    const refused = await runCli(args, options);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("the diagnose agent's ServiceAccount, Role, RoleBinding");

    const run = await runCli([...args, "--yes", "-o", "json"], options);
    expect(run.stderr).not.toContain("error:");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).rows[0]).toMatchObject({ finding: "ImagePullFailed", correct: true });
    expect(run.stderr.match(/acting on context "staging"/g)).toHaveLength(1);
    expect(kubelet.runs).toHaveLength(1);
    const left = [
      ...world.api.list("v1", "ServiceAccount", NS),
      ...world.api.list("rbac.authorization.k8s.io/v1", "Role", NS),
      ...world.api.list("rbac.authorization.k8s.io/v1", "ClusterRole"),
      ...world.api.list("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ].filter((o) => o.metadata?.name?.startsWith("sre-lab-diagnose"));
    expect(left).toEqual([]);
  });
});
