/**
 * Time, as every wait and deadline reads it: `ctx.clock` (the system clock in the CLI, a virtual
 * one in tests, test/support/fake-clock.ts), so a deadline test runs in no real time. Node's own
 * socket and HTTP timeouts stay real.
 */
import { setTimeout as delay } from "node:timers/promises";
import { InterruptedError } from "./errors.js";

export interface Clock {
  now(): number;
  /** Resolves after ms; rejects with InterruptedError when the signal fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

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

/** `promise`, or InterruptedError (exit 130) as soon as the signal fires first. */
export async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new InterruptedError();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
