/**
 * What each Application must deliver (the requirements per folder), and the parameter
 * mechanism: the same manifests served from the OCI artifact or a Git remote.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Application,
  GIT_SOURCE,
  type K8sObject,
  MANIFESTS,
  OCI_SOURCE,
  readChartValues,
  readRootApplication,
  readVersions,
  renderApplication,
  renderBootstrap,
} from "./support/lab.js";
import { LAB } from "./support/lab-facts.js";
import { renderLab, workloads } from "./support/rendered.js";

const lab = renderLab();
const versions = readVersions();
const objectsOf = (application: string) => lab.sources.find((s) => s.name === application)?.objects ?? [];
const find = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`${kind}/${name} not rendered`);
  return found as K8sObject & { spec: Record<string, unknown> };
};
const workload = (name: string) => {
  const found = workloads(lab).find((w) => w.object.metadata.name === name);
  if (found === undefined) throw new Error(`${name} not rendered`);
  return found;
};

describe("bootstrap: the root Application and its parameters", () => {
  const root = readRootApplication();

  it("passes Argo CD's build environment to the bootstrap chart as string parameters", () => {
    expect(root.spec.source.helm?.parameters).toEqual([
      { name: "repoURL", value: "$ARGOCD_APP_SOURCE_REPO_URL", forceString: true },
      { name: "targetRevision", value: "$ARGOCD_APP_SOURCE_TARGET_REVISION", forceString: true },
      { name: "sourcePath", value: "$ARGOCD_APP_SOURCE_PATH", forceString: true },
    ]);
  });

  it("defaults to the OCI artifact in the local registry", () => {
    expect(root.spec.source.repoURL).toBe(OCI_SOURCE.repoURL);
    expect(root.spec.source.path).toBe(OCI_SOURCE.bootstrapPath);
    expect(root.spec.syncPolicy?.automated).toEqual({ prune: true, selfHeal: true });
  });

  it.each([
    ["OCI artifact", OCI_SOURCE, "./target-app"],
    ["Git remote", GIT_SOURCE, "manifests/target-app"],
  ] as const)("children follow the root's source (%s)", (_label, source, targetAppPath) => {
    const apps = renderBootstrap(source);
    const targetApp = apps.find((a) => a.metadata.name === "target-app");
    expect(targetApp?.spec.source).toEqual({
      repoURL: source.repoURL,
      targetRevision: source.targetRevision,
      path: targetAppPath,
    });
  });

  it("refuses to render without a source instead of syncing from nowhere", () => {
    expect(() => renderBootstrap({ ...OCI_SOURCE, repoURL: "" })).toThrow(
      /repoURL is set by the root Application/,
    );
  });

  it("can leave Ollama out (laptops without memory for the model)", () => {
    const apps = renderBootstrap(OCI_SOURCE, { ollama: { enabled: false } });
    expect(apps.map((a) => a.metadata.name).sort()).toEqual(["metrics-server", "monitoring", "target-app"]);
  });

  it("patches the host user's UID/GID and the model into the ollama Application", () => {
    const apps = renderBootstrap(OCI_SOURCE, {
      ollama: { runAsUser: 501, runAsGroup: 20, model: "qwen2.5:0.5b" },
    });
    const ollama = apps.find((a) => a.metadata.name === "ollama") as Application;
    const objects = renderApplication(ollama);
    const deployment = find(objects, "Deployment", "ollama").spec as {
      template: { spec: { securityContext: Record<string, unknown> } };
    };
    expect(deployment.template.spec.securityContext).toMatchObject({
      runAsUser: 501,
      runAsGroup: 20,
      runAsNonRoot: true,
    });
    const job = find(objects, "Job", "ollama-pull-model").spec as {
      template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } };
    };
    expect(job.template.spec.containers[0]?.env).toContainEqual({ name: "MODEL", value: "qwen2.5:0.5b" });
  });
});

describe("target-app", () => {
  const objects = objectsOf("target-app");
  const app = workload("target-app");
  const container = app.pod.containers[0];

  it("runs the app image pinned in versions.json, v1 (one worker)", () => {
    expect(app.pod.containers.map((c) => c.name)).toEqual(["app"]);
    expect(container?.image).toBe(versions.images.targetApp);
    expect(container?.env).toEqual([
      { name: "WORKERS", value: "1" },
      { name: "APP_VERSION", value: "v1" },
    ]);
  });

  it("leaves the replica count to the HPA (min 2), so self-heal does not fight it", () => {
    expect(app.object.spec).not.toHaveProperty("replicas");
    const hpa = find(objects, "HorizontalPodAutoscaler", "target-app");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "target-app",
    });
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(2);
  });

  it("spreads replicas across the workers with pod anti-affinity", () => {
    const antiAffinity = (app.pod.affinity as { podAntiAffinity: Record<string, unknown[]> }).podAntiAffinity;
    const terms = antiAffinity.preferredDuringSchedulingIgnoredDuringExecution as Array<{
      podAffinityTerm: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } };
    }>;
    expect(terms[0]?.podAffinityTerm.topologyKey).toBe("kubernetes.io/hostname");
    expect(Object.entries(terms[0]?.podAffinityTerm.labelSelector.matchLabels ?? {})).toEqual(
      Object.entries(app.podLabels).filter(([k]) => k === "app.kubernetes.io/name"),
    );
  });

  it("caps memory at 256Mi and probes /healthz and /readyz on 8080", () => {
    expect(container?.resources?.limits?.memory).toBe("256Mi");
    expect(container?.livenessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "http" } });
    expect(container?.readinessProbe).toMatchObject({ httpGet: { path: "/readyz", port: "http" } });
    expect(container).toMatchObject({ ports: [{ name: "http", containerPort: 8080 }] });
  });

  it("writes only to an emptyDir at /tmp", () => {
    expect(container?.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(app.pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
  });

  it("is scraped by Prometheus through pod annotations", () => {
    const template = (app.object.spec as { template: { metadata: { annotations: Record<string, string> } } })
      .template;
    expect(template.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8080",
      "prometheus.io/path": "/metrics",
    });
  });

  it("has a ClusterIP Service, a NodePort for the host, and a PodDisruptionBudget", () => {
    expect(find(objects, "Service", "target-app").spec.type).toBe("ClusterIP");
    const nodePort = find(objects, "Service", "target-app-nodeport").spec as {
      type: string;
      ports: object[];
    };
    expect(nodePort.type).toBe("NodePort");
    expect(nodePort.ports).toEqual([
      expect.objectContaining({ nodePort: LAB.hostPorts.app.nodePort, targetPort: "http" }),
    ]);
    const pdb = find(objects, "PodDisruptionBudget", "target-app");
    expect(pdb.apiVersion).toBe("policy/v1");
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "target-app" } });
  });
});

describe("ollama", () => {
  const objects = objectsOf("ollama");
  const server = workload("ollama");
  const container = server.pod.containers[0];
  const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));

  it("serves the pinned image on 11434 with readiness on /api/version", () => {
    expect(container?.image).toBe(versions.images.ollama);
    expect(container?.readinessProbe).toMatchObject({ httpGet: { path: "/api/version", port: "http" } });
    const service = find(objects, "Service", "ollama").spec as { ports: Array<{ port: number }> };
    expect(service.ports.map((p) => p.port)).toEqual([11434]);
    expect((server.object.spec as { strategy: { type: string } }).strategy.type).toBe("Recreate");
  });

  it("keeps its models in the host-mounted cache", () => {
    const models = container?.volumeMounts?.find((m) => m.name === "models");
    expect(env.OLLAMA_MODELS).toBe(models?.mountPath);
    expect(server.pod.volumes?.find((v) => v.name === "models")?.hostPath?.path).toBe(LAB.modelCacheNodePath);
  });

  it("is sized for phi3:mini with a 4k context", () => {
    expect(env.OLLAMA_CONTEXT_LENGTH).toBe("4096");
    expect(env.OLLAMA_NUM_PARALLEL).toBe("1");
    expect(container?.resources?.requests?.memory).toBe("3Gi");
    expect(container?.resources?.limits?.memory).toBe("4Gi");
  });

  it("prefers the AI worker", () => {
    expect(server.pod.affinity).toEqual({
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            preference: { matchExpressions: [{ key: LAB.nodeRoleLabel, operator: "In", values: ["ai"] }] },
          },
        ],
      },
    });
  });

  it("documents the GPU variant in comments only", () => {
    const text = readFileSync(join(MANIFESTS, "ollama/deployment.yaml"), "utf8");
    const gpuLines = text.split("\n").filter((line) => line.includes("nvidia.com/gpu"));
    expect(gpuLines.length).toBeGreaterThanOrEqual(3);
    expect(gpuLines.every((line) => line.trimStart().startsWith("#"))).toBe(true);
  });

  it("pulls the model with an idempotent, retried PostSync Job that talks to the server's API", () => {
    const job = find(objects, "Job", "ollama-pull-model");
    expect(job.metadata.annotations).toEqual({
      "argocd.argoproj.io/hook": "PostSync",
      "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
    });
    const pull = workload("ollama-pull-model");
    const script = pull.pod.containers[0] as unknown as {
      args: string[];
      env: Array<{ name: string; value: string }>;
    };
    const jobEnv = Object.fromEntries(script.env.map((e) => [e.name, e.value]));
    expect(jobEnv.OLLAMA_HOST).toBe("http://ollama.ollama.svc.cluster.local:11434");
    const text = script.args.join("\n");
    // Bounded wait for the server, then a no-op when the model is present.
    expect(text).toMatch(/until ollama list[\s\S]*-ge 60[\s\S]*exit 1/);
    expect(text.indexOf('ollama show "$MODEL"')).toBeLessThan(text.indexOf('ollama pull "$MODEL"'));
    expect(pull.pod.volumes?.some((v) => v.hostPath !== undefined)).toBe(false);
  });
});

describe("monitoring", () => {
  const values = readChartValues(join(MANIFESTS, "monitoring")) as {
    prometheus: Record<string, unknown> & {
      server: { global: Record<string, string> };
      serverFiles: { "alerting_rules.yml": { groups: Array<{ rules: Array<Record<string, unknown>> }> } };
    };
    grafana: Record<string, unknown> & {
      datasources: {
        "datasources.yaml": { datasources: Array<{ uid: string; url: string; isDefault: boolean }> };
      };
      dashboardProviders: {
        "dashboardproviders.yaml": { providers: Array<{ name: string; options: { path: string } }> };
      };
      dashboardsConfigMaps: Record<string, string>;
    };
  };
  const rules = values.prometheus.serverFiles["alerting_rules.yml"].groups.flatMap((g) => g.rules);
  const seconds = (duration: unknown) => {
    const match = /^(\d+)(s|m)$/.exec(String(duration));
    return match ? Number(match[1]) * (match[2] === "m" ? 60 : 1) : Number.NaN;
  };

  it("scrapes and evaluates every 15s", () => {
    expect(values.prometheus.server.global).toMatchObject({
      scrape_interval: "15s",
      evaluation_interval: "15s",
    });
  });

  it.each([
    ["ContainerOOMKilled", 'reason="OOMKilled"'],
    ["ContainerCrashLooping", 'reason="CrashLoopBackOff"'],
  ])("alerts on %s within about a minute", (alert, selector) => {
    const rule = rules.find((r) => r.alert === alert);
    expect(rule?.expr).toContain(selector);
    // 15s scrape + 15s evaluation + `for` must stay around a minute.
    expect(seconds(rule?.for) + 30).toBeLessThanOrEqual(60);
    expect(rule?.labels).toEqual({ severity: "critical" });
  });

  it("provisions the Prometheus datasource at the server's Service", () => {
    const [datasource] = values.grafana.datasources["datasources.yaml"].datasources;
    expect(datasource).toMatchObject({ uid: "prometheus", isDefault: true });
    expect(datasource?.url).toBe("http://prometheus-server.monitoring.svc.cluster.local");
    expect((values.prometheus.server as Record<string, unknown>).fullnameOverride).toBe("prometheus-server");
  });

  it("provisions the lab dashboard from Git at the path Grafana's chart mounts it", () => {
    const configMap = find(objectsOf("monitoring"), "ConfigMap", "grafana-dashboards-sre-lab");
    expect(values.grafana.dashboardsConfigMaps).toEqual({ "sre-lab": configMap.metadata.name });
    const [provider] = values.grafana.dashboardProviders["dashboardproviders.yaml"].providers;
    // The grafana chart mounts dashboardsConfigMaps.<provider> at /var/lib/grafana/dashboards/<provider>.
    expect(provider).toMatchObject({
      name: "sre-lab",
      options: { path: "/var/lib/grafana/dashboards/sre-lab" },
    });
    const data = configMap.data as Record<string, string>;
    expect(JSON.parse(data["sre-lab.json"] ?? "")).toEqual(
      JSON.parse(readFileSync(join(MANIFESTS, "monitoring/dashboards/sre-lab.json"), "utf8")),
    );
  });

  it("the dashboard shows rate, p95 latency, memory against limit, restarts and OOM kills", () => {
    const dashboard = JSON.parse(
      readFileSync(join(MANIFESTS, "monitoring/dashboards/sre-lab.json"), "utf8"),
    ) as {
      panels: Array<{
        title: string;
        datasource: { uid: string };
        targets: Array<{ expr: string; datasource: { uid: string } }>;
      }>;
    };
    const exprs = (title: string) =>
      dashboard.panels
        .filter((p) => p.title === title)
        .flatMap((p) => p.targets.map((t) => t.expr))
        .join("\n");
    expect(exprs("Request rate")).toMatch(/rate\(http_requests_total/);
    expect(exprs("p95 latency")).toMatch(/histogram_quantile\(0\.95,.*http_request_duration_seconds_bucket/);
    expect(exprs("Memory working set vs limit")).toMatch(
      /container_memory_working_set_bytes[\s\S]*kube_pod_container_resource_limits.*resource="memory"/,
    );
    expect(exprs("Container restarts")).toMatch(/kube_pod_container_status_restarts_total/);
    expect(exprs("OOM kills")).toMatch(/reason="OOMKilled"/);
    const uids = dashboard.panels.flatMap((p) => [
      p.datasource.uid,
      ...p.targets.map((t) => t.datasource.uid),
    ]);
    expect(new Set(uids)).toEqual(new Set(["prometheus"]));
  });
});

describe("metrics-server", () => {
  it("is configured for kind's kubelets", () => {
    const values = readChartValues(join(MANIFESTS, "metrics-server")) as {
      "metrics-server": { defaultArgs: string[] };
    };
    const args = values["metrics-server"].defaultArgs;
    expect(args).toContain("--kubelet-insecure-tls");
    expect(args).toContain("--kubelet-preferred-address-types=InternalIP,Hostname,ExternalIP");
    const app = lab.applications.find((a) => a.metadata.name === "metrics-server");
    expect(app?.spec.destination.namespace).toBe("kube-system");
  });
});

describe("Argo CD install", () => {
  const objects = objectsOf("argocd-install");

  it("exposes argocd-server on the NodePort kind maps to the host", () => {
    const service = find(objects, "Service", "argocd-server-nodeport").spec as {
      type: string;
      selector: Record<string, string>;
      ports: Array<{ nodePort: number; targetPort: number }>;
    };
    expect(service.type).toBe("NodePort");
    expect(service.selector).toEqual({ "app.kubernetes.io/name": "argocd-server" });
    expect(service.ports).toEqual([
      expect.objectContaining({ nodePort: LAB.hostPorts.argocd.nodePort, targetPort: 8080 }),
    ]);
  });

  it("can read the plain-HTTP local registry the root Application points at", () => {
    const creds = find(objects, "Secret", "sre-lab-registry") as unknown as K8sObject & {
      stringData: Record<string, string>;
    };
    expect(creds.metadata.labels?.["argocd.argoproj.io/secret-type"]).toBe("repo-creds");
    expect(creds.stringData).toEqual({
      type: "oci",
      url: `oci://${LAB.registry.container}:${LAB.registry.port}`,
      insecureOCIForceHttp: "true",
    });
    expect(readRootApplication().spec.source.repoURL.startsWith(creds.stringData.url ?? "-")).toBe(true);
  });

  it("runs no SSO or notifications in the lab", () => {
    for (const name of ["argocd-dex-server", "argocd-notifications-controller"]) {
      expect(find(objects, "Deployment", name).spec.replicas).toBe(0);
    }
  });
});
