// testing.ts, published as `asyncio-ts/testing`: what tests of asyncio code need from the
// library, as Trio publishes `trio.testing.MockClock`. A loop given a MockClock runs on virtual
// time that jumps ahead whenever the loop has nothing to do but wait for a timer, so timer logic
// is tested instantly and exactly. It uses only the loop's documented clock hook (`LoopClock`,
// base-events.ts); the loop's internals are not read.

import type { LoopClock } from "./base-events.js";

export type { EventLoopOptions, LoopClock } from "./base-events.js";

/** Options of `new MockClock()`. */
export interface MockClockOptions {
  /** The clock's time at the start, seconds (default 0). */
  start?: number;
}

/**
 * A virtual clock for an event loop, as Trio's `MockClock` with autojump: time stands still
 * while the loop has work, and when the loop has nothing to do but wait for its next timer, the
 * clock jumps to that timer's deadline (once pending microtasks and I/O callbacks have had
 * their turn), so the timer runs at once, at exactly its time. `jump()` moves time forward by
 * hand (a callback "taking" virtual time).
 *
 * The loop is not tied to the clock's time in any other way: real I/O still happens in real
 * time, and a loop waiting only for I/O waits for it.
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts";
 * import { MockClock } from "asyncio-ts/testing";
 *
 * const clock = new MockClock();
 * const loop = new asyncio.EventLoop({ clock });
 * await loop.runUntilComplete(asyncio.sleep(3600)); // returns at once
 * clock.time(); // 3600
 * loop.close();
 * ```
 */
export class MockClock implements LoopClock {
  private _now: number;

  /** A clock at `options.start` seconds (default 0). */
  constructor(options?: MockClockOptions) {
    this._now = options?.start ?? 0;
  }

  /** The virtual time, seconds. */
  time(): number {
    return this._now;
  }

  /**
   * Moves the clock `seconds` forward. Timers that become due run at the loop's next look at
   * its timers.
   * @throws RangeError "time can't go backwards" for a negative `seconds`.
   */
  jump(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError("time can't go backwards");
    this._now += seconds;
  }

  /** LoopClock: no real wait, the loop looks again at the next macrotask turn. */
  deadlineToSleepTime(_deadline: number): number {
    return 0;
  }

  /** LoopClock: the loop is idle until `deadline`: jump there (never backwards). */
  idle(deadline: number): void {
    if (deadline > this._now) this._now = deadline;
  }
}
