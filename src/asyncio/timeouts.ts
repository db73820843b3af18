// `timeout(delay)`: a deadline for a block of code in the current task, as Python 3.11's
// `async with asyncio.timeout(delay)`. JavaScript has no `async with` that can see the
// body's error, so the block is a function: `await asyncio.timeout(1).run(async () => ...)`.
//
// State machine: CREATED -> ENTERED -> (EXPIRING -> EXPIRED | EXITED). When the deadline
// passes, the task is cancelled (EXPIRING); the CancelledError that comes out of the body is
// turned into TimeoutError on exit (EXPIRED). A cancellation from elsewhere passes through.

import { CoroutineObject, callInTask, delegate, driveGenerator, type GeneratorCoroutine } from "./coroutines.js";
import { TimeoutError, isCancelledError } from "./exceptions.js";
import { contextTask } from "./context.js";
import { getRunningLoop, type TimerHandle, type Handle } from "./events.js";
// Types only: tasks.ts builds `waitFor` on this module.
import type { Task } from "./tasks.js";

const CREATED = "created";
const ENTERED = "active";
const EXPIRING = "expiring";
const EXPIRED = "expired";
const EXITED = "finished";

/** A body run under a deadline: a generator function, an async function or a plain function. */
export type TimeoutBody<T> = (tm: Timeout) => GeneratorCoroutine<T> | CoroutineObject<T> | PromiseLike<T> | T;

/**
 * A deadline for the code run by `run()`, in the current task. `when()` and `reschedule()`
 * work in loop time (seconds); `null` means no deadline.
 */
export class Timeout {
  private _when: number | null;
  private _delay: number | null;
  private _state: string = CREATED;
  private _handle: Handle | TimerHandle | null = null;
  private _task: Task<unknown> | null = null;
  private _cancelling = 0;

  /** @internal Use `timeout(delay)` or `timeoutAt(when)`. */
  constructor(when: number | null, delay: number | null = null) {
    this._when = when;
    this._delay = delay;
  }

  /** The deadline in loop time, or `null`. */
  when(): number | null {
    return this._when;
  }

  /** Moves the deadline (loop time, seconds), or removes it with `null`. */
  reschedule(when: number | null): void {
    if (this._state !== ENTERED) {
      if (this._state === CREATED) throw new Error("Timeout has not been entered");
      throw new Error(`Cannot change state of ${this._state} Timeout`);
    }
    this._when = when;
    this._handle?.cancel();
    this._handle = null;
    if (when === null) return;
    const loop = getRunningLoop();
    this._handle = when <= loop.time() ? loop.callSoon(() => this._onTimeout()) : loop.callAt(when, () => this._onTimeout());
  }

  /** True once the deadline has passed. */
  expired(): boolean {
    return this._state === EXPIRING || this._state === EXPIRED;
  }

  /**
   * Runs `body` in the current task under this deadline; returns a coroutine (await it or
   * `yield*` it). When the deadline passes, the body is cancelled where it waits and
   * `TimeoutError` is thrown.
   *
   * @example
   * ```ts
   * await asyncio.timeout(0.1).run(() => asyncio.sleep(10)); // throws TimeoutError
   * ```
   */
  run<T>(body: TimeoutBody<T>): CoroutineObject<T> {
    const self = this;
    function* timeoutRun(): GeneratorCoroutine<T> {
      self._enter();
      let result: T;
      try {
        result = yield* delegate(callInTask(() => body(self)));
      } catch (exc) {
        self._exit(exc, true);
        throw exc;
      }
      self._exit(undefined, false);
      return result;
    }
    return new CoroutineObject<T>("timeout", { gen: timeoutRun, async: () => driveGenerator(timeoutRun()) });
  }

  private _enter(): void {
    if (this._state !== CREATED) throw new Error("Timeout has already been entered");
    const loop = getRunningLoop();
    const task = contextTask() as Task<unknown> | undefined;
    if (task === undefined || task.done() || task.getLoop() !== loop) throw new Error("Timeout should be used inside a task");
    this._state = ENTERED;
    this._task = task;
    this._cancelling = task.cancelling();
    if (this._when === null && this._delay !== null) this._when = loop.time() + this._delay;
    this.reschedule(this._when);
  }

  private _exit(exc: unknown, failed: boolean): void {
    this._handle?.cancel();
    this._handle = null;
    if (this._state === EXPIRING) {
      this._state = EXPIRED;
      if ((this._task as Task<unknown>).uncancel() <= this._cancelling && failed && isCancelledError(exc)) {
        throw new TimeoutError("", { cause: exc });
      }
    } else if (this._state === ENTERED) {
      this._state = EXITED;
    }
  }

  private _onTimeout(): void {
    (this._task as Task<unknown>).cancel();
    this._state = EXPIRING;
    this._handle = null;
  }

  toString(): string {
    const when = this._state === ENTERED ? ` when=${this._when}` : "";
    return `<Timeout [${this._state}]${when}>`;
  }
}

/** A deadline `delay` seconds from when the block starts (`null`: none). */
export function timeout(delay: number | null): Timeout {
  return new Timeout(null, delay);
}

/** A deadline at loop time `when` (`null`: none). */
export function timeoutAt(when: number | null): Timeout {
  return new Timeout(when);
}
