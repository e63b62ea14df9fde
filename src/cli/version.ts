/** The package version, injected by the build (esbuild `define`) and read from package.json otherwise. */
declare const __SRE_LAB_VERSION__: string | undefined;

export const VERSION: string = typeof __SRE_LAB_VERSION__ === "string" ? __SRE_LAB_VERSION__ : "0.0.0-dev";
