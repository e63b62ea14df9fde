/**
 * Policies over everything the lab applies. Each test names the offending objects, so a failure
 * says what to fix. Upstream workloads we only patch (Argo CD's install manifest) are held to the
 * resource and image rules; their probes and security contexts are upstream's.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  applicationDirectory,
  GIT_SOURCE,
  MANIFESTS,
  OCI_SOURCE,
  readChartValues,
  renderBootstrap,
} from "./support/lab.js";
import { LAB } from "./support/lab-facts.js";
import { allObjects, type Container, renderLab, workloads } from "./support/rendered.js";

const lab = renderLab();
const allWorkloads = workloads(lab);
const ownWorkloads = allWorkloads.filter((w) => !w.source.upstream);
const name = (w: { object: { kind: string; metadata: { name: string } } }) =>
  `${w.object.kind}/${w.object.metadata.name}`;
const containersOf = (pod: { containers: Container[]; initContainers?: Container[] }) => [
  ...(pod.initContainers ?? []),
  ...pod.containers,
];

describe("every workload is bounded", () => {
  it("covers the lab's workloads", () => {
    expect(ownWorkloads.map(name).sort()).toEqual([
      "Deployment/ollama",
      "Deployment/target-app",
      "Job/ollama-pull-model",
    ]);
    expect(allWorkloads.length).toBeGreaterThan(ownWorkloads.length);
  });

  it("every container (init containers too) has CPU and memory requests and limits", () => {
    const missing: string[] = [];
    for (const w of allWorkloads) {
      for (const c of containersOf(w.pod)) {
        for (const kind of ["requests", "limits"] as const) {
          for (const resource of ["cpu", "memory"]) {
            if (c.resources?.[kind]?.[resource] === undefined)
              missing.push(`${name(w)}/${c.name} ${kind}.${resource}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("emptyDir volumes have a size limit", () => {
    const unbounded = ownWorkloads.flatMap((w) =>
      (w.pod.volumes ?? [])
        .filter((v) => v.emptyDir !== undefined && !v.emptyDir.sizeLimit)
        .map((v) => `${name(w)}/${v.name}`),
    );
    expect(unbounded).toEqual([]);
  });

  it("Jobs have a deadline and a retry limit", () => {
    for (const w of ownWorkloads.filter((w) => w.object.kind === "Job")) {
      const spec = w.object.spec as { backoffLimit?: number; activeDeadlineSeconds?: number };
      expect(spec.backoffLimit, name(w)).toBeGreaterThan(0);
      expect(spec.activeDeadlineSeconds, name(w)).toBeGreaterThan(0);
    }
  });
});

describe("long-running containers have probes", () => {
  it.each(ownWorkloads.filter((w) => w.longRunning).map((w) => [name(w), w] as const))("%s", (_n, w) => {
    for (const c of w.pod.containers) {
      expect(c.livenessProbe, `${c.name} livenessProbe`).toBeDefined();
      expect(c.readinessProbe, `${c.name} readinessProbe`).toBeDefined();
    }
  });
});

describe("workloads run unprivileged", () => {
  it.each(ownWorkloads.map((w) => [name(w), w] as const))("%s", (_n, w) => {
    const pod = w.pod.securityContext ?? {};
    expect(pod.seccompProfile?.type).toBe("RuntimeDefault");
    for (const c of containersOf(w.pod)) {
      const sc = c.securityContext ?? {};
      expect(sc.runAsNonRoot ?? pod.runAsNonRoot, `${c.name} runAsNonRoot`).toBe(true);
      expect(sc.runAsUser ?? pod.runAsUser, `${c.name} runAsUser`).toBeGreaterThan(0);
      expect(sc.allowPrivilegeEscalation, `${c.name} allowPrivilegeEscalation`).toBe(false);
      expect(sc.privileged ?? false, `${c.name} privileged`).toBe(false);
      expect(sc.readOnlyRootFilesystem, `${c.name} readOnlyRootFilesystem`).toBe(true);
      expect(sc.capabilities?.drop, `${c.name} capabilities.drop`).toContain("ALL");
      expect(sc.capabilities?.add ?? [], `${c.name} capabilities.add`).toEqual([]);
    }
  });

  it("the only hostPath volume is Ollama's model cache", () => {
    const hostPaths = ownWorkloads.flatMap((w) =>
      (w.pod.volumes ?? [])
        .filter((v) => v.hostPath !== undefined)
        .map((v) => `${name(w)} ${v.hostPath?.path}`),
    );
    expect(hostPaths).toEqual(["Deployment/ollama /var/lib/sre-lab/ollama"]);
  });

  it("pods do not get a service-account token they do not use", () => {
    for (const w of ownWorkloads) {
      expect(
        (w.pod as { automountServiceAccountToken?: boolean }).automountServiceAccountToken,
        name(w),
      ).toBe(false);
    }
  });
});

describe("images", () => {
  it("every image has an explicit tag that is not latest", () => {
    const bad = allWorkloads.flatMap((w) =>
      containersOf(w.pod)
        .map((c) => c.image ?? "")
        .filter((image) => {
          const tag = /:([^:/@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
          return tag === undefined || tag === "latest";
        })
        .map((image) => `${name(w)} ${image}`),
    );
    expect(bad).toEqual([]);
  });

  it("no chart value sets a latest or empty image tag", () => {
    for (const chart of ["metrics-server", "monitoring"]) {
      const tags = JSON.stringify(readChartValues(`${MANIFESTS}/${chart}`)).match(/"tag":"[^"]*"/g) ?? [];
      expect(tags.length, chart).toBeGreaterThan(0);
      expect(
        tags.filter((t) => t === '"tag":""' || t === '"tag":"latest"'),
        chart,
      ).toEqual([]);
    }
  });
});

describe("no plaintext secrets in Git", () => {
  // Keys a Secret in Git may carry: configuration, never credentials.
  const NON_SENSITIVE_SECRET_KEYS = new Set([
    "type",
    "url",
    "name",
    "project",
    "enableOCI",
    "insecureOCIForceHttp",
  ]);
  const SENSITIVE_NAME = /(password|passwd|secret|token|apikey|api_key|credential|private_?key)/i;

  it("Secrets in Git hold only non-sensitive keys", () => {
    const secrets = allObjects(lab).filter(({ object }) => object.kind === "Secret");
    expect(secrets.map(({ object }) => object.metadata.name)).toEqual(["sre-lab-registry"]);
    for (const { object } of secrets) {
      const keys = Object.keys({ ...(object.data as object), ...(object.stringData as object) });
      expect(keys.filter((k) => !NON_SENSITIVE_SECRET_KEYS.has(k))).toEqual([]);
    }
  });

  it("no container gets a secret-looking env var from a literal value", () => {
    const literal = allWorkloads.flatMap((w) =>
      containersOf(w.pod).flatMap((c) =>
        (c.env ?? [])
          .filter((e) => SENSITIVE_NAME.test(e.name) && e.value !== undefined)
          .map((e) => `${name(w)} ${e.name}`),
      ),
    );
    expect(literal).toEqual([]);
  });

  it("chart values carry no credential, only references to Secrets", () => {
    const found: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (node === null || typeof node !== "object") return;
      for (const [key, value] of Object.entries(node)) {
        const p = `${path}.${key}`;
        const isReference = /^existing|Key$|FromSecret/.test(key);
        if (SENSITIVE_NAME.test(key) && !isReference && typeof value === "string" && value !== "")
          found.push(p);
        walk(value, p);
      }
    };
    for (const chart of ["bootstrap", "metrics-server", "monitoring"])
      walk(readChartValues(`${MANIFESTS}/${chart}`), chart);
    expect(found).toEqual([]);
  });

  it("Grafana's admin login comes from the CLI-created Secret", () => {
    const grafana = (readChartValues(`${MANIFESTS}/monitoring`).grafana ?? {}) as Record<string, unknown>;
    expect(grafana.admin).toEqual({
      existingSecret: LAB.grafanaAdminSecret.name,
      userKey: LAB.grafanaAdminSecret.userKey,
      passwordKey: LAB.grafanaAdminSecret.passwordKey,
    });
    expect(grafana.adminPassword).toBeUndefined();
  });
});

describe("Services select pods", () => {
  const objects = allObjects(lab).map(({ object }) => object);
  const services = objects.filter((o) => o.kind === "Service");

  it.each(services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s] as const))(
    "%s",
    (_n, service) => {
      const selector = (service.spec as { selector?: Record<string, string> }).selector ?? {};
      expect(Object.keys(selector).length).toBeGreaterThan(0);
      const matching = allWorkloads.filter(
        (w) =>
          w.object.metadata.namespace === service.metadata.namespace &&
          Object.entries(selector).every(([k, v]) => w.podLabels[k] === v),
      );
      expect(matching.map(name)).not.toEqual([]);
    },
  );
});

describe("Applications", () => {
  for (const source of [OCI_SOURCE, GIT_SOURCE]) {
    it(`every Application path exists (${source.bootstrapPath.includes("manifests") ? "Git" : "OCI"} source)`, () => {
      const applications = renderBootstrap(source);
      expect(applications.map((a) => a.metadata.name).sort()).toEqual([
        "metrics-server",
        "monitoring",
        "ollama",
        "target-app",
      ]);
      for (const app of applications) {
        expect(app.spec.source.repoURL).toBe(source.repoURL);
        expect(app.spec.source.targetRevision).toBe(source.targetRevision);
        expect(existsSync(applicationDirectory(app, source)), app.spec.source.path).toBe(true);
      }
    });
  }

  it("the root Application's default path exists in the OCI artifact", () => {
    expect(lab.root.spec.source.path).toBe(OCI_SOURCE.bootstrapPath);
    expect(existsSync(`${MANIFESTS}/${lab.root.spec.source.path}/Chart.yaml`)).toBe(true);
  });

  it.each(lab.applications.map((a) => [a.metadata.name, a] as const))("%s syncs itself safely", (_n, app) => {
    const sync = app.spec.syncPolicy ?? {};
    expect(sync.automated).toEqual({ prune: true, selfHeal: true });
    expect(sync.syncOptions).toContain("CreateNamespace=true");
    expect(sync.retry?.limit).toBeGreaterThan(0);
    expect(sync.retry?.backoff?.factor).toBeGreaterThan(1);
    expect((app.metadata as { finalizers?: string[] }).finalizers).toContain(
      "resources-finalizer.argocd.argoproj.io",
    );
    expect(app.metadata.namespace).toBe("argocd");
  });

  it("the monitoring Application uses server-side apply", () => {
    const monitoring = lab.applications.find((a) => a.metadata.name === "monitoring");
    expect(monitoring?.spec.syncPolicy?.syncOptions).toContain("ServerSideApply=true");
  });
});

describe("namespaces", () => {
  it("every namespace an object lands in is created", () => {
    const created = new Set<string>(["kube-system"]);
    for (const app of lab.applications) {
      if (app.spec.syncPolicy?.syncOptions?.includes("CreateNamespace=true"))
        created.add(app.spec.destination.namespace);
    }
    for (const { object } of allObjects(lab))
      if (object.kind === "Namespace") created.add(object.metadata.name);
    const used = new Set(allObjects(lab).flatMap(({ object }) => object.metadata.namespace ?? []));
    for (const app of lab.applications) used.add(app.spec.destination.namespace);
    expect([...used].filter((ns) => !created.has(ns))).toEqual([]);
    expect([...used].sort()).toEqual([...Object.values(LAB.namespaces), "kube-system"].sort());
  });
});
