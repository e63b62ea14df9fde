/** `sre-lab version`: this CLI's version and the versions the lab pins (versions.json), as text or data. */
import versions from "../../../versions.json" with { type: "json" };
import type { Context } from "../../runtime/context.js";
import { VERSION } from "../version.js";

export interface VersionReport {
  cli: string;
  node: string;
  platform: string;
  kind: string;
  kubernetes: string;
  kindNodeImage: string;
  argocd: string;
  model: string;
  ollamaImage: string;
  agentImage: string;
}

export function versionReport(): VersionReport {
  const image = versions.kindNodeImage;
  return {
    cli: VERSION,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    kind: versions.kind.version,
    // kindest/node:v1.36.1@sha256:… → v1.36.1
    kubernetes: /:(v[\d.]+)/.exec(image)?.[1] ?? image,
    kindNodeImage: image,
    argocd: versions.argocd.version,
    model: versions.models.ollama,
    ollamaImage: versions.images.ollama,
    agentImage: versions.images.agentNode,
  };
}

export function renderVersion(report: VersionReport): string {
  const rows: [string, string][] = [
    ["kind", report.kind],
    ["Kubernetes", `${report.kubernetes} (${report.kindNodeImage.split("@")[0]})`],
    ["Argo CD", report.argocd],
    ["model", `${report.model} (Ollama ${report.ollamaImage.split(":").at(-1)})`],
    ["agent image", report.agentImage],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `sre-lab ${report.cli} (Node.js ${report.node}, ${report.platform})`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ].join("\n");
}

export async function versionCommand(
  ctx: Context,
  flags: { output: "text" | "json" | "yaml" },
): Promise<VersionReport> {
  const report = versionReport();
  if (flags.output === "json") ctx.out.data(JSON.stringify(report, null, 2));
  else if (flags.output === "yaml") ctx.out.data((await import("yaml")).stringify(report));
  else ctx.out.data(renderVersion(report));
  return report;
}
