/**
 * `sre-lab open <target>`: print the URL and login, optionally open a browser, and — when a
 * port-forward serves the URL — keep it running until Ctrl-C (exit 130, like any interrupted command;
 * the port-forward is stopped first).
 */

import type { Styler } from "../../core/output.js";
import { type OpenResult, type OpenTarget, openInBrowser, openTarget } from "../../lab/open.js";
import type { Context } from "../../runtime/context.js";

export interface OpenCommandOptions {
  browser?: boolean;
  port?: number;
}

export function renderOpen(result: OpenResult, style: Styler): string {
  const rows: [string, string][] = [[result.target, style.bold(result.url)]];
  const credentials = result.credentials;
  if (credentials) {
    rows.push(["user", credentials.user]);
    rows.push([
      "password",
      credentials.password ?? style.yellow(`unknown (${credentials.note ?? "not readable"})`),
    ]);
  }
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join("\n");
}

export async function openCommand(
  ctx: Context,
  target: OpenTarget,
  options: OpenCommandOptions,
): Promise<OpenResult> {
  const session = await openTarget(ctx, {
    target,
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  try {
    const { result } = session;
    ctx.out.data(renderOpen(result, ctx.out.dataStyle));
    if (result.via === "host-port") {
      ctx.out.info(ctx.out.style.dim(`served by the lab's host port (context ${result.context})`));
    } else {
      ctx.out.info(
        `port-forward to ${result.service} (context ${result.context}) is running; press Ctrl-C to stop it`,
      );
    }
    if (options.browser) {
      const failure = await openInBrowser(ctx, result.url);
      if (failure) ctx.out.warn(`could not open a browser (${failure}); open ${result.url} yourself`);
    }
    await session.hold();
    return result;
  } finally {
    await session.close();
  }
}
