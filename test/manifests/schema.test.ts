/**
 * Every YAML file parses, and every object the lab applies validates against its API schema
 * (kubernetes-models for built-in kinds, @kubernetes-models/argo-cd for Applications), unknown
 * fields included.
 */
import { readFileSync } from "node:fs";
import { relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { KIND_DIR, listFiles, MANIFESTS, parseYamlDocuments, ROOT } from "./support/lab.js";
import { renderLab } from "./support/rendered.js";
import { validateObject } from "./support/schema.js";

const isHelmTemplate = (path: string) => path.split(sep).includes("templates");
const yamlFiles = [...listFiles(KIND_DIR), ...listFiles(MANIFESTS)].filter((p) => /\.ya?ml$/.test(p));

describe("YAML files", () => {
  it("there are YAML files to check", () => {
    expect(yamlFiles.length).toBeGreaterThan(20);
  });

  it.each(yamlFiles.filter((p) => !isHelmTemplate(p)).map((p) => relative(ROOT, p)))("%s parses", (file) => {
    expect(() => parseYamlDocuments(readFileSync(`${ROOT}/${file}`, "utf8"), file)).not.toThrow();
  });

  it("the dashboard is valid JSON", () => {
    const text = readFileSync(`${MANIFESTS}/monitoring/dashboards/sre-lab.json`, "utf8");
    expect(() => JSON.parse(text)).not.toThrow();
  });
});

describe("objects validate against their schemas", () => {
  const lab = renderLab();

  it("renders every Helm template of ours (they parse once rendered)", () => {
    const templates = yamlFiles.filter(isHelmTemplate).map((p) => relative(MANIFESTS, p));
    expect(templates.sort()).toEqual([
      "bootstrap/templates/metrics-server.yaml",
      "bootstrap/templates/monitoring.yaml",
      "bootstrap/templates/ollama.yaml",
      "bootstrap/templates/target-app.yaml",
      "monitoring/templates/grafana-dashboards.yaml",
    ]);
    const rendered = lab.sources.flatMap((s) => s.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    expect(rendered).toContain("ConfigMap/grafana-dashboards-sre-lab");
  });

  it("only wrapper charts without templates of their own render no objects here", () => {
    // Their upstream charts are checked through the values we pass (chart-values.test.ts).
    expect(lab.sources.filter((s) => s.objects.length === 0).map((s) => s.name)).toEqual(["metrics-server"]);
  });

  it.each(lab.sources.filter((s) => s.objects.length > 0).map((s) => [s.name, s] as const))(
    "%s",
    async (_name, source) => {
      const problems = (await Promise.all(source.objects.map((o) => validateObject(o)))).flat();
      expect(problems).toEqual([]);
    },
  );

  it("catches a misspelt field (the unknown-field check is live)", async () => {
    const [deployment] = lab.sources
      .flatMap((s) => s.objects)
      .filter((o) => o.kind === "Deployment" && o.metadata.name === "target-app");
    const broken = structuredClone(deployment) as unknown as {
      spec: { template: { spec: { containers: object[] } } };
    };
    broken.spec.template.spec.containers[0] = {
      ...broken.spec.template.spec.containers[0],
      readinesProbe: {},
    };
    const problems = await validateObject(broken as never);
    expect(problems).toEqual([expect.stringContaining("readinesProbe: unknown field")]);
  });
});
