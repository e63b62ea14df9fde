/**
 * Facts about the machine sre-lab runs on, behind one injectable seam so doctor's
 * verdicts can be tested for any host shape.
 */
import { createServer } from "node:net";
import os from "node:os";

export interface HostProbe {
  platform: NodeJS.Platform;
  totalMemoryBytes(): number;
  cpuCount(): number;
  /** true when nothing listens on 127.0.0.1:port (we can bind it). */
  isPortFree(port: number): Promise<boolean>;
}

export const systemHost: HostProbe = {
  platform: process.platform,
  totalMemoryBytes: () => os.totalmem(),
  cpuCount: () => os.availableParallelism(),
  isPortFree: (port) =>
    new Promise((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
    }),
};
