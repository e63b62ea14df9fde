/**
 * Virtual time for deadline tests: `sleep(ms)` moves `now()` forward by ms (from when it was
 * called) and resolves on the next macrotask, so a 15-minute deadline passes in no real time while
 * the fakes' HTTP and subprocesses still get their turn between two sleeps. Honours AbortSignal as
 * the system clock does (InterruptedError). Time starts at the real now, so timestamps written by the
 * fakes (creationTimestamp, lastTimestamp) still read as recent.
 *
 * The fakes themselves run in real time (a world loop every 20 ms): `holdUntil(condition)` keeps
 * every sleep from ending until the condition holds, so time jumps to the deadline only once the
 * world is in the state the test wants the deadline to find.
 */
import type { Clock } from "../../src/core/clock.js";
import { InterruptedError } from "../../src/core/errors.js";

/** How long (real ms) a hold's condition must have held before time moves on. */
const HOLD_SETTLE_MS = 60;

export interface FakeClock extends Clock {
  /** Every sleep asked for, in ms, in order: what the code under test waited for. */
  readonly sleeps: number[];
  /** Moves time forward without sleeping (as a slow call would). */
  advance(ms: number): void;
  /** Sleeps end only once `condition()` has held for a moment (checked every few real ms). */
  holdUntil(condition: () => boolean): void;
}

export function createFakeClock(start: number = Date.now()): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  let hold: (() => boolean) | undefined;
  return {
    sleeps,
    now: () => now,
    advance(ms) {
      now += ms;
    },
    holdUntil(condition) {
      hold = condition;
    },
    sleep(ms, signal) {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.reject(new InterruptedError());
      const until = now + Math.max(0, ms);
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Immediate | NodeJS.Timeout;
        const onAbort = () => {
          clearImmediate(timer as NodeJS.Immediate);
          clearTimeout(timer as NodeJS.Timeout);
          reject(new InterruptedError());
        };
        let heldSince: number | undefined;
        const tick = () => {
          if (hold) {
            // The condition, then long enough for the CLI's watch to be told over loopback.
            if (!hold()) heldSince = undefined;
            else heldSince ??= Date.now();
            if (heldSince === undefined || Date.now() - heldSince < HOLD_SETTLE_MS) {
              timer = setTimeout(tick, 5);
              return;
            }
          }
          signal?.removeEventListener("abort", onAbort);
          now = Math.max(now, until);
          resolve();
        };
        timer = setImmediate(tick);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}
