/**
 * Option types shared by the CLI's wiring (main.ts) and its commands. They live here, not in
 * main.ts, so that a command never imports the module that imports it.
 */

/** The value of `-o, --output`: text for people, json for pipes. */
export type OutputFormat = "text" | "json";
