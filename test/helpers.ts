// Test helpers: loops that the test registers for the after-each checks (test/setup.ts), a
// loop with a fake clock that jumps ahead when it has nothing to do but wait, and an event
// recorder for checking the order of things.
import { EventLoop, setEventLoop } from "../src/asyncio/index.js";

/** Loops made by the current test; setup.ts checks them after each test. */
export const trackedLoops: EventLoop[] = [];

/** A new loop, made current, checked after the test (closed, no pending task). */
export function newLoop(): EventLoop {
  const loop = new EventLoop();
  trackedLoops.push(loop);
  setEventLoop(loop);
  return loop;
}

/**
 * A loop whose clock is virtual: when nothing is ready and the next timer is in the future,
 * the clock jumps to it (once pending microtasks and I/O have had their turn), as Trio's
 * autojump clock. Timer tests run instantly and exactly.
 */
export class FakeClockLoop extends EventLoop {
  virtualTime = 1000;
  private _jumpPending = false;
  override time(): number {
    return this.virtualTime;
  }
  protected override _wakeAtTime(_when: number): void {
    // Wake on the next macrotask turn instead of waiting in real time; the clock jumps then.
    this._jumpPending = true;
    super._wakeAtTime(this.virtualTime);
  }
  protected override _runOnce(): void {
    if (this._jumpPending) {
      this._jumpPending = false;
      const next = (this as unknown as { _timers: { _when: number }[] })._timers[0];
      const ready = (this as unknown as { _ready: unknown[] })._ready;
      if (ready.length === 0 && next !== undefined && next._when > this.virtualTime) this.virtualTime = next._when;
    }
    super._runOnce();
  }
}

/** A new fake-clock loop, made current, checked after the test. */
export function newFakeClockLoop(): FakeClockLoop {
  const loop = new FakeClockLoop();
  trackedLoops.push(loop);
  setEventLoop(loop);
  return loop;
}

/** Records events in order, for comparing sequences. */
export class Recorder {
  readonly events: unknown[] = [];
  add = (event: unknown): void => {
    this.events.push(event);
  };
}

/** Runs the garbage collector (the tests run with --expose-gc) and lets finalizers run. */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run the tests with --expose-gc");
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}
