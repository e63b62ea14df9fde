/**
 * An "API server" that accepts connections and never answers: for deadlines that must fire while a
 * request is still open. writeKubeconfig points a context (`silent`, namespace shop) at it.
 */
import { writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";

export interface SilentApiServer {
  /** Writes a kubeconfig for it into `dir` and returns its path. */
  writeKubeconfig(dir: string): string;
  close(): void;
}

export async function startSilentApiServer(): Promise<SilentApiServer> {
  const held: Socket[] = [];
  const server = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    writeKubeconfig(dir) {
      const path = join(dir, "silent.yaml");
      writeFileSync(
        path,
        `apiVersion: v1
kind: Config
current-context: silent
clusters: [{name: silent, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: silent, context: {cluster: silent, user: u, namespace: shop}}]
`,
      );
      return path;
    },
    close() {
      for (const socket of held) socket.destroy();
      server.close();
    },
  };
}
