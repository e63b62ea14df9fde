// Types for scripts/check-imports.mjs, for test/architecture.test.ts.
export declare const LAYERS: readonly (readonly string[])[];
export declare function layerOf(folder: string, layers?: readonly (readonly string[])[]): number | undefined;
export declare function stripComments(source: string): string;
export declare function importsOf(source: string): { specifier: string; line: number }[];
export declare function checkImports(
  root: string,
  layers?: readonly (readonly string[])[],
): {
  problems: string[];
  edges: Map<string, { from: string; to: string; at: string; specifier: string }>;
};
