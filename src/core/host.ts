/**
 * Facts about the machine sre-lab runs on, behind one injectable seam so doctor's
 * verdicts can be tested for any host shape.
 */
import { connect, createServer } from "node:net";
import os from "node:os";

export interface HostProbe {
  platform: NodeJS.Platform;
  /** process.arch (x64, arm64, …), for install commands; optional so existing test hosts stay valid. */
  arch?: string;
  totalMemoryBytes(): number;
  cpuCount(): number;
  /** true when nothing listens on 127.0.0.1:port (we can bind it). */
  isPortFree(port: number): Promise<boolean>;
  /**
   * true when something accepts a TCP connection on 127.0.0.1:port within about a second (for
   * example the lab's host port mapping). Optional so existing test hosts stay valid; a host without
   * it is treated as "nothing answers".
   */
  canConnect?(port: number): Promise<boolean>;
}

const CONNECT_TIMEOUT_MS = 1_000;

export const systemHost: HostProbe = {
  platform: process.platform,
  arch: process.arch,
  totalMemoryBytes: () => os.totalmem(),
  cpuCount: () => os.availableParallelism(),
  isPortFree: (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
    }),
  canConnect: (port) =>
    new Promise((resolve) => {
      const socket = connect({ port, host: "127.0.0.1" });
      const done = (answered: boolean) => {
        socket.destroy();
        resolve(answered);
      };
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false));
      socket.once("connect", () => done(true));
      socket.once("error", () => done(false));
    }),
};
