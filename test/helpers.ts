// Test helpers: loops that the test registers for the after-each checks (test/setup.ts), a
// loop with a fake clock that jumps ahead when it has nothing to do but wait, and an event
// recorder for checking the order of things.
import { expect } from "vitest";
import { EventLoop, setEventLoop, sleep, type BaseEventLoop } from "../src/asyncio/index.js";
import type { CoroutineLike } from "../src/asyncio/tasks.js";
import { MockClock } from "../src/asyncio/testing.js";

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
 * A loop on a MockClock (asyncio-ts/testing): when nothing is ready and the next timer is in
 * the future, the clock jumps to it (once pending microtasks and I/O have had their turn), as
 * Trio's autojump clock. Timer tests run instantly and exactly. The clock starts at 1000 s.
 */
export class FakeClockLoop extends EventLoop {
  readonly clock: MockClock;
  constructor() {
    const clock = new MockClock({ start: 1000 });
    super({ clock });
    this.clock = clock;
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

const cleanups: (() => void)[] = [];

/** Registers `fn` to run after the current test (latest first); setup.ts runs them. */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
}

/** @internal Runs the registered cleanups (setup.ts calls it after each test). */
export function runCleanups(): void {
  for (const c of cleanups.splice(0).reverse()) c();
}

/** Runs `main` as a task on `loop` (a new loop by default) and closes the loop, pass or fail. */
export async function runMain<T>(main: CoroutineLike<T>, loop: BaseEventLoop = newLoop()): Promise<T> {
  try {
    return await loop.runUntilComplete(main);
  } finally {
    loop.close();
  }
}

/** Runs `main(loop)` as a task on a new loop, and closes the loop whatever happens. */
export function onNewLoop<T>(main: (loop: EventLoop) => Promise<T>): Promise<T> {
  const loop = newLoop();
  return runMain(() => main(loop), loop);
}

/**
 * Lets the loop run until `pred()` holds (failing after 50 iterations). An async function pays
 * a loop iteration or two for each `await` of a library coroutine where Python pays none, so
 * tests of async tasks wait for a state instead of counting `sleep(0)`s; the generator-task
 * tests keep CPython's exact counts.
 */
export async function waitUntil(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !pred(); i++) await sleep(0);
  expect(pred()).toBe(true);
}
