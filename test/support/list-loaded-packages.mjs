// Preloaded with --import: at exit, prints (on stderr) the npm packages the process loaded.
import { registerHooks } from "node:module";

const packages = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(result.url);
    if (match) packages.add(match[1]);
    return result;
  },
});
process.on("exit", () => process.stderr.write(`${[...packages].join("\n")}\n`));
