// Checks the import graph of src/ against the layer table below: a top-level folder may import only
// from folders in a LOWER layer (type-only imports count too, since they tie the folders' designs
// together just the same), and no two top-level folders may reach each other through imports.
// Folders on the same layer (kube, ollama, prometheus, gitops; agent, chaos) are siblings: neither
// may import the other. Inside one folder any file may import any other, but no file may reach
// itself through imports (cli/main.ts → commands/up.ts → main.ts is a cycle like any other).
//
// Usage: node scripts/check-imports.mjs [root]   (root defaults to the repository; prints one line
// per violation and exits 1 when there is any). test/architecture.test.ts runs it on src/, and its
// unit test runs `checkImports` on a synthetic tree.
//
// No dependencies: the specifiers are found with regular expressions over the source with comments
// and string/template contents outside import positions ignored well enough for this code base
// (static `import … from`, `import "…"`, `export … from`, dynamic `import("…")`, and type-position
// `import("…")`). Only relative specifiers are resolved; packages and node: builtins are not layers.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The layers of src/, lowest first. The one place this table lives: docs/architecture.md's code map
 * and test/architecture.test.ts are checked against it.
 */
export const LAYERS = [
  ["core"],
  ["exec"],
  ["kube", "ollama", "prometheus", "gitops"],
  ["runtime"],
  ["lab"],
  ["diagnose"],
  ["agent", "chaos"],
  ["cli"],
];

/** The layer index of each top-level folder of src/. */
export function layerOf(folder, layers = LAYERS) {
  const index = layers.findIndex((layer) => layer.includes(folder));
  return index === -1 ? undefined : index;
}

const SPECIFIER_PATTERNS = [
  // import x from "…", import type { X } from "…", export { x } from "…", export * from "…"
  /\b(?:import|export)\s+(?:type\s+)?[^"'`;]*?\bfrom\s*["']([^"']+)["']/g,
  // side-effect import "…"
  /\bimport\s*["']([^"']+)["']/g,
  // import("…"), dynamic or in a type position
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
];

/**
 * Blanks out comments (keeping line breaks, so line numbers hold) so that commented-out imports and
 * prose are not read as imports. A small scanner that knows strings, template literals and regular
 * expression literals, so URLs in strings, globs or a regular expression matching slashes are not
 * taken for comments. (Division right after a word, e.g. `return /x/`, is read as division: good
 * enough for this code base, whose regular expressions hold no comment markers after a keyword.)
 */
export function stripComments(source) {
  let out = "";
  let i = 0;
  let lastSignificant = "";
  const blank = (text) => text.replace(/[^\n]/g, " ");
  while (i < source.length) {
    const c = source[i];
    const d = source[i + 1];
    if (c === "/" && d === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === "/" && d === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (
      c === '"' ||
      c === "'" ||
      c === "`" ||
      (c === "/" && /^$|[(,=:[!&|?{};+\-*%<>~^]$/.test(lastSignificant))
    ) {
      // A string, template or regular expression literal: copied through to its closing quote.
      let j = i + 1;
      let inClass = false;
      while (j < source.length) {
        const e = source[j];
        if (e === "\\") {
          j += 2;
          continue;
        }
        if ((e === c && !inClass) || (c !== "`" && e === "\n")) break;
        if (c === "/" && (e === "[" || e === "]")) inClass = e === "[";
        j += 1;
      }
      out += source.slice(i, j + 1);
      lastSignificant = c;
      i = j + 1;
    } else {
      out += c;
      if (!/\s/.test(c)) lastSignificant = c;
      i += 1;
    }
  }
  return out;
}

/** Every relative specifier in one file's source, with its 1-based line. */
export function importsOf(source) {
  const text = stripComments(source);
  const found = new Map();
  for (const pattern of SPECIFIER_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (!specifier.startsWith(".")) continue;
      const offset = match.index + match[0].lastIndexOf(specifier);
      const line = text.slice(0, offset).split("\n").length;
      found.set(`${line}:${specifier}`, { specifier, line });
    }
  }
  return [...found.values()].sort((a, b) => a.line - b.line);
}

function listSources(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...listSources(path));
    else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith(".d.ts")) files.push(path);
  }
  return files;
}

/** The top-level folder of src/ a path lies in, or undefined when it lies outside src/ or at its top. */
function topFolder(srcDir, path) {
  const rel = relative(srcDir, path);
  if (rel.startsWith("..") || !rel.includes(sep)) return undefined;
  return rel.split(sep)[0];
}

/**
 * Checks `<root>/src`. Returns the violations as readable lines, and the graph for callers that want
 * it: `edges` maps "from→to" to the first import that makes it.
 */
export function checkImports(root, layers = LAYERS) {
  const srcDir = join(root, "src");
  const problems = [];
  const edges = new Map();
  const fileEdges = new Map();
  const sources = new Set(listSources(srcDir));
  // A folder counts once it holds a source file (git keeps no empty folders; a work tree may).
  const folders = readdirSync(srcDir).filter(
    (name) => statSync(join(srcDir, name)).isDirectory() && listSources(join(srcDir, name)).length > 0,
  );

  for (const folder of folders) {
    if (layerOf(folder, layers) === undefined) {
      problems.push(`src/${folder}/: not in the layer table (scripts/check-imports.mjs LAYERS)`);
    }
  }

  for (const file of sources) {
    const from = topFolder(srcDir, file);
    const where = relative(root, file).split(sep).join("/");
    for (const { specifier, line } of importsOf(readFileSync(file, "utf8"))) {
      const target = resolve(dirname(file), specifier);
      const targetFile = target.replace(/\.js$/, ".ts");
      if (targetFile !== file && sources.has(targetFile)) {
        const toFile = relative(root, targetFile).split(sep).join("/");
        const key = `${where}→${toFile}`;
        if (!fileEdges.has(key))
          fileEdges.set(key, { from: where, to: toFile, at: `${where}:${line}`, specifier });
      }
      const to = topFolder(srcDir, target);
      if (from === undefined || to === undefined || from === to) continue;
      const key = `${from}→${to}`;
      if (!edges.has(key)) edges.set(key, { from, to, at: `${where}:${line}`, specifier });
      const fromLayer = layerOf(from, layers);
      const toLayer = layerOf(to, layers);
      if (fromLayer === undefined || toLayer === undefined) continue;
      if (toLayer > fromLayer) {
        problems.push(
          `${where}:${line}: ${from} → ${to} imports "${specifier}": upward (${from} is layer ${fromLayer}, ${to} is layer ${toLayer}); a folder may import only from lower layers`,
        );
      } else if (toLayer === fromLayer) {
        problems.push(
          `${where}:${line}: ${from} → ${to} imports "${specifier}": siblings on layer ${fromLayer}; neither may import the other`,
        );
      }
    }
  }

  for (const cycle of findCycles(edges)) {
    const path = cycle.map((folder, i) => {
      const next = cycle[(i + 1) % cycle.length];
      return `${folder} → ${next} (${edges.get(`${folder}→${next}`).at})`;
    });
    problems.push(
      `cycle between top-level folders: ${path.join(", ")}; break it by moving code down a layer`,
    );
  }
  for (const cycle of findCycles(fileEdges)) {
    const path = cycle.map(
      (file, i) =>
        `${file}:${fileEdges
          .get(`${file}→${cycle[(i + 1) % cycle.length]}`)
          .at.split(":")
          .pop()}`,
    );
    problems.push(
      `cycle between files: ${path.join(" → ")} → ${cycle[0]}; move what both need into a file both import`,
    );
  }
  return { problems, edges };
}

/** The cycles of a graph (folders or files): its strongly connected components, as short cycles. */
function findCycles(edges) {
  const next = new Map();
  for (const { from, to } of edges.values()) {
    if (!next.has(from)) next.set(from, []);
    next.get(from).push(to);
  }
  // Tarjan's algorithm; a few hundred files at most, so recursion depth is no concern.
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  let counter = 0;
  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node), index.get(to)));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component);
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return components.flatMap((component) => cyclesThrough(component, next));
}

/**
 * The shortest cycles through each folder of one strongly connected component (a cycle found from
 * two of its folders is reported once), so that each import that has to go shows up in a message.
 */
function cyclesThrough(component, next) {
  const members = new Set(component);
  const cycles = new Map();
  for (const start of [...component].sort()) {
    const queue = [[start]];
    const seen = new Set([start]);
    search: while (queue.length > 0) {
      const path = queue.shift();
      for (const to of (next.get(path[path.length - 1]) ?? []).filter((n) => members.has(n)).sort()) {
        if (to === start) {
          const first = path.indexOf([...path].sort()[0]);
          const rotated = [...path.slice(first), ...path.slice(0, first)];
          cycles.set(rotated.join(">"), rotated);
          break search;
        }
        if (!seen.has(to)) {
          seen.add(to);
          queue.push([...path, to]);
        }
      }
    }
  }
  return [...cycles.values()];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const { problems } = checkImports(root);
  for (const problem of problems) console.log(problem);
  if (problems.length > 0) {
    console.log(
      `${problems.length} import-graph violation(s); layers (lowest first): ${LAYERS.map((l) => l.join("+")).join(" < ")}`,
    );
    process.exitCode = 1;
  } else {
    console.log(
      "import graph: no upward, sibling or cyclic imports between top-level folders of src/, no cycle between files",
    );
  }
}
