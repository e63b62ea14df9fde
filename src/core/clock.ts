import { setTimeout as delay } from "node:timers/promises";
import type { Clock } from "./context.js";
import { InterruptedError } from "./errors.js";

export const systemClock: Clock = {
  now: () => Date.now(),
  async sleep(ms, signal) {
    try {
      await delay(ms, undefined, signal ? { signal } : {});
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError();
      throw error;
    }
  },
};
