/**
 * Writes the known-values fixture for one pinned chart (see chart-values.ts) to stdout.
 *
 *   npx tsx test/manifests/support/extract-chart-values.ts <chartDir> [<subchartName>=<subchartDir> ...]
 *
 * <chartDir> is an unpacked chart (`helm pull REPO/CHART --version X --untar`); each subchart the
 * umbrella values reach into (e.g. prometheus' kube-state-metrics) is given as name=dir.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import {
  addTemplateReferences,
  type ChartValuesFixture,
  type KnownValueType,
  knownPathsFromDefaults,
  pointer,
} from "./chart-values.js";

function templateTexts(dir: string): string[] {
  const texts: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) texts.push(...templateTexts(path));
    else texts.push(readFileSync(path, "utf8"));
  }
  return texts;
}

function knownPaths(chartDir: string): Record<string, KnownValueType> {
  const paths = knownPathsFromDefaults(parse(readFileSync(join(chartDir, "values.yaml"), "utf8")));
  for (const text of templateTexts(join(chartDir, "templates"))) addTemplateReferences(text, paths);
  return paths;
}

const [chartDir, ...subcharts] = process.argv.slice(2);
if (chartDir === undefined) {
  process.stderr.write("usage: extract-chart-values.ts <chartDir> [<name>=<subchartDir> ...]\n");
  process.exit(2);
}
const chart = parse(readFileSync(join(chartDir, "Chart.yaml"), "utf8")) as { name: string; version: string };
const paths = knownPaths(chartDir);
for (const spec of subcharts) {
  const [name, dir] = spec.split("=");
  if (name === undefined || dir === undefined) throw new Error(`expected name=dir, got ${spec}`);
  paths[pointer([name])] = "object";
  for (const [p, type] of Object.entries(knownPaths(dir))) paths[`${pointer([name])}${p}`] = type;
}
const fixture: ChartValuesFixture = { chart: chart.name, version: chart.version, paths };
process.stdout.write(`${JSON.stringify(fixture, null, 1)}\n`);
