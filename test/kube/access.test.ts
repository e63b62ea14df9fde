/**
 * The up-front permission checks (src/kube/access.ts) against the fake API server, and the fake
 * proven against the real kubectl (/usr/bin/kubectl, v1.32): for every check `diagnose` makes, our
 * SelfSubjectAccessReview and `kubectl auth can-i` give the same answer for the same user; and
 * the fake refuses what the real API server refuses (RBAC escalation, binding, server-side apply
 * that creates without `create`) with the real messages.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inClusterNeeds, readOnlyNeeds } from "../../src/diagnose/cluster-mode.js";
import { canICommand, describeAccess, reviewAccess } from "../../src/kube/access.js";
import { createKubeClient } from "../../src/kube/client.js";
import { type FakeApiServer, startFakeApiServer } from "../harness/fake-apiserver/index.js";

const kubectlPath = "/usr/bin/kubectl";
let api: FakeApiServer;
let dir: string;
let userConfig: string;

function kubectl(
  args: string[],
  kubeconfig: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
  delete env.KUBECONFIG;
  return new Promise((resolve) => {
    execFile(
      kubectlPath,
      ["--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), "--request-timeout", "5s", ...args],
      { timeout: 10_000, env },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
          stdout,
          stderr,
        }),
    );
  });
}

const RBAC = "rbac.authorization.k8s.io";

beforeAll(async () => {
  api = await startFakeApiServer();
  dir = mkdtempSync(join(tmpdir(), "access-"));
  // A namespace developer: reads and writes some things in "shop", may create Roles and bindings
  // there, but holds no read of pods/log and nothing cluster-wide.
  api.put({
    apiVersion: `${RBAC}/v1`,
    kind: "Role",
    metadata: { name: "dev", namespace: "shop" },
    rules: [
      {
        apiGroups: [""],
        resources: ["pods", "events", "serviceaccounts", "configmaps"],
        verbs: ["get", "list", "create", "patch", "delete"],
      },
      { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "create", "patch"] },
      { apiGroups: [RBAC], resources: ["roles", "rolebindings"], verbs: ["create", "patch", "delete"] },
    ],
  });
  api.put({
    apiVersion: `${RBAC}/v1`,
    kind: "RoleBinding",
    metadata: { name: "dev", namespace: "shop" },
    roleRef: { apiGroup: RBAC, kind: "Role", name: "dev" },
    subjects: [{ kind: "ServiceAccount", name: "dev", namespace: "shop" }],
  });
  userConfig = api.writeKubeconfig(dir, {
    context: "staging",
    token: api.tokenFor("shop", "dev"),
    namespace: "shop",
  });
});

afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SelfSubjectAccessReview pre-checks", () => {
  it("answer every check diagnose makes exactly as kubectl auth can-i does", async () => {
    const kube = await createKubeClient({ kubeconfig: userConfig });
    const checks = [...readOnlyNeeds("shop"), ...inClusterNeeds("shop", false)].map((n) => n.check);
    checks.push(
      { verb: "escalate", group: RBAC, resource: "roles", namespace: "shop", name: "sre-lab-diagnose" },
      { verb: "bind", group: RBAC, resource: "roles", namespace: "shop", name: "sre-lab-diagnose" },
    );
    const ours = await reviewAccess(kube, checks);
    expect(ours).toHaveLength(checks.length);
    const answers: string[] = [];
    for (const [i, check] of checks.entries()) {
      const argv = canICommand(check).split(" ").slice(3);
      const theirs = await kubectl(["auth", "can-i", ...argv], userConfig);
      // kubectl knows every resource asked about (it warns when the fake lacks one).
      expect(theirs.stderr).not.toContain("doesn't have a resource type");
      answers.push(`${describeAccess(check)}: ${theirs.stdout.trim()}`);
      expect(`${describeAccess(check)}: ${ours?.[i]?.allowed ? "yes" : "no"}`).toBe(answers[i]);
    }
    // Both kinds of answer occur, so the comparison means something.
    expect(answers.filter((a) => a.endsWith(": yes")).length).toBeGreaterThan(5);
    expect(answers).toContain("get pods/log in namespace shop: no");
    expect(answers).toContain("create clusterroles.rbac.authorization.k8s.io (cluster-wide): no");
  });
});

describe("the fake's write-request counter", () => {
  it("counts writes, and not access reviews", async () => {
    const before = api.writeRequests().length;
    const kube = await createKubeClient({ kubeconfig: userConfig });
    await reviewAccess(kube, [{ verb: "get", group: "", resource: "pods", namespace: "shop" }]);
    expect(api.writeRequests()).toHaveLength(before);
    await kube.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "counted", namespace: "shop" },
    });
    expect(
      api
        .writeRequests()
        .slice(before)
        .map((r) => `${r.verb} ${r.path}`),
    ).toEqual(["patch /api/v1/namespaces/shop/configmaps/counted"]);
  });
});

describe("the fake refuses what the real API server refuses", () => {
  it("a Role granting what its creator does not hold (kubectl create -f): the escalation message", async () => {
    const role = join(dir, "role.yaml");
    writeFileSync(
      role,
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: agent\n  namespace: shop\nrules:\n- apiGroups: [""]\n  resources: ["pods", "pods/log"]\n  verbs: ["get"]\n',
    );
    const refused = await kubectl(["create", "-f", role], userConfig);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Error from server (Forbidden): error when creating "' +
        role +
        '": roles.rbac.authorization.k8s.io "agent" is forbidden: user "system:serviceaccount:shop:dev" (groups=["system:serviceaccounts" "system:serviceaccounts:shop" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods/log"], Verbs:["get"]}\n',
    );
    expect(await kubectl(["auth", "can-i", "escalate", "roles", "-n", "shop"], userConfig)).toMatchObject({
      code: 1,
      stdout: "no\n",
    });

    // Within what the user holds, the same Role is fine.
    writeFileSync(role, readRole("agent", ["pods"]));
    expect((await kubectl(["create", "-f", role], userConfig)).code).toBe(0);
  });

  it("a binding to a Role that grants more than its creator holds, unless they may bind it", async () => {
    api.put({
      apiVersion: `${RBAC}/v1`,
      kind: "Role",
      metadata: { name: "log-reader", namespace: "shop" },
      rules: [{ apiGroups: [""], resources: ["pods/log"], verbs: ["get"] }],
    });
    const binding = join(dir, "binding.yaml");
    writeFileSync(
      binding,
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: logs\n  namespace: shop\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: log-reader\nsubjects:\n- kind: ServiceAccount\n  name: agent\n  namespace: shop\n",
    );
    const refused = await kubectl(["create", "-f", binding], userConfig);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'rolebindings.rbac.authorization.k8s.io "logs" is forbidden: user "system:serviceaccount:shop:dev"',
    );
    expect(refused.stderr).toContain('{APIGroups:[""], Resources:["pods/log"], Verbs:["get"]}');

    api.put({
      apiVersion: `${RBAC}/v1`,
      kind: "Role",
      metadata: { name: "may-bind", namespace: "shop" },
      rules: [{ apiGroups: [RBAC], resources: ["roles"], verbs: ["bind"], resourceNames: ["log-reader"] }],
    });
    api.put({
      apiVersion: `${RBAC}/v1`,
      kind: "RoleBinding",
      metadata: { name: "may-bind", namespace: "shop" },
      roleRef: { apiGroup: RBAC, kind: "Role", name: "may-bind" },
      subjects: [{ kind: "ServiceAccount", name: "dev", namespace: "shop" }],
    });
    expect((await kubectl(["create", "-f", binding], userConfig)).code).toBe(0);
  });

  it("server-side apply that would create needs create, not only patch", async () => {
    api.put({
      apiVersion: `${RBAC}/v1`,
      kind: "Role",
      metadata: { name: "patch-only", namespace: "shop" },
      rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "patch"] }],
    });
    api.put({
      apiVersion: `${RBAC}/v1`,
      kind: "RoleBinding",
      metadata: { name: "patch-only", namespace: "shop" },
      roleRef: { apiGroup: RBAC, kind: "Role", name: "patch-only" },
      subjects: [{ kind: "ServiceAccount", name: "dev", namespace: "shop" }],
    });
    const secret = join(dir, "secret.yaml");
    writeFileSync(
      secret,
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\nstringData:\n  a: b\n",
    );
    const refused = await kubectl(["apply", "--server-side", "-f", secret], userConfig);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'secrets "s" is forbidden: User "system:serviceaccount:shop:dev" cannot create resource "secrets" in API group "" in the namespace "shop"',
    );
    expect(api.get("v1", "Secret", "shop", "s")).toBeUndefined();
  });
});

function readRole(name: string, resources: string[]): string {
  return `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ${name}\n  namespace: shop\nrules:\n- apiGroups: [""]\n  resources: [${resources.map((r) => JSON.stringify(r)).join(", ")}]\n  verbs: ["get"]\n`;
}
