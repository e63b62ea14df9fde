/**
 * The Go-template subset that renders our Helm templates in these tests behaves like Helm on the
 * constructs it accepts, and refuses the rest (so a template cannot silently render differently).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderTemplate } from "./support/helm-subset.js";

const chartDir = mkdtempSync(join(tmpdir(), "sre-lab-helm-subset-"));
writeFileSync(join(chartDir, "file.json"), '{\n  "legend": "{{pod}}"\n}');
afterAll(() => rmSync(chartDir, { recursive: true, force: true }));

const render = (template: string, values: Record<string, unknown> = {}) =>
  renderTemplate(template, { values, chartDir });

describe("helm-subset", () => {
  it("substitutes values, literals and pipelines", () => {
    expect(render('a: {{ .Values.x.y | quote }}\nb: {{ "lit" }} {{ 3 }}', { x: { y: "v" } })).toBe(
      'a: "v"\nb: lit 3',
    );
    expect(render("{{ .Values.p | dir }}/app", { p: "manifests/bootstrap" })).toBe("manifests/app");
    expect(render("{{ .Values.p | dir }}/app", { p: "bootstrap" })).toBe("./app");
    expect(render('{{ .Values.missing | default "d" }}')).toBe("d");
  });

  it("trims whitespace around {{- and -}} and drops comments", () => {
    expect(render("a:\n  {{- /* note */}}\n  b {{- 1 -}}  \n c")).toBe("a:\n  b1c");
    expect(render("{{/* a {{brace}} inside */}}x")).toBe("x");
  });

  it("renders if/else blocks with Go's notion of empty", () => {
    const t = "{{- if .Values.on }}yes{{ else }}no{{ end }}";
    expect(render(t, { on: true })).toBe("yes");
    for (const empty of [false, 0, "", [], {}, null]) expect(render(t, { on: empty })).toBe("no");
  });

  it("inserts files verbatim and indents them", () => {
    expect(render('data: |-\n  {{- .Files.Get "file.json" | nindent 2 }}')).toBe(
      'data: |-\n  {\n    "legend": "{{pod}}"\n  }',
    );
  });

  it("fails on a missing required value", () => {
    expect(() => render('{{ required "repoURL is set" .Values.repoURL }}')).toThrow(
      "required: repoURL is set",
    );
  });

  it("refuses constructs outside the subset", () => {
    for (const t of [
      "{{ range .Values.x }}{{ end }}",
      '{{ include "x" . }}',
      "{{ $v := 1 }}",
      "{{ toYaml .Values }}",
    ]) {
      expect(() => render(t), t).toThrow(/unsupported/);
    }
    expect(() => render("{{ if .Values.x }}")).toThrow(/without \{\{ end \}\}/);
  });
});
