// Future: a result that arrives later, as Python's asyncio.Future. One object serves both
// coroutine styles: it is a thenable (`await fut`) and an iterable (`yield* fut`, the
// `yield from fut` of Python 3.4). Done callbacks always go through the loop's `callSoon`.
//
// State machine: PENDING -> FINISHED (setResult / setException) or PENDING -> CANCELLED
// (cancel). Nothing leaves FINISHED or CANCELLED.

import { contextTask, copyContext, type AwaitingTask, type Context } from "./context.js";
import { CancelledError, InvalidStateError } from "./exceptions.js";
import { _adoptWhenALoopRuns, _getRunningLoop, getEventLoop, type AbstractEventLoop } from "./events.js";
import { callbackName, creationSite, extractStack, shortRepr } from "./format.js";
import { debugFromEnv, reportNeverRetrieved } from "./debug.js";

const PENDING = 0;
const CANCELLED = 1;
const FINISHED = 2;

/** A done callback: it receives the future. */
export type DoneCallback<F> = (fut: F) => unknown;

/** Options of `new Future()`. */
export interface FutureOptions {
  /** The loop that runs the future's callbacks; by default the running loop, else the loop that first awaits it. */
  loop?: AbstractEventLoop;
}

/**
 * The result of an operation that has not finished yet.
 *
 * - `done()` is false until `setResult`, `setException` or `cancel` is called.
 * - `result()` throws `InvalidStateError("Result is not ready.")` while pending, the error
 *   while failed, `CancelledError` when cancelled.
 * - Done callbacks receive the future and run in the order they were added, always scheduled
 *   on the loop with `callSoon`, never called inline.
 *
 * @example
 * ```ts
 * const fut = new Future<string>();
 * fut.done();                 // false
 * fut.setResult("Your Name");
 * fut.result();               // "Your Name"
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T>, Iterable<Future<T>> {
  /** @internal */ _state: number = PENDING;
  /** @internal */ _result: T | undefined = undefined;
  /** @internal */ _exception: unknown = undefined;
  /** @internal */ _hasException = false;
  /** @internal */ _loop: AbstractEventLoop | null;
  /** @internal Done callbacks and the context each was added in, flattened: [cb, ctx, cb, ctx, ...]. */
  _callbacks: unknown[] | null = null;
  /** @internal */ _cancelMessage: string | undefined = undefined;
  /** @internal */ _cancelledExc: Error | null = null;
  /** @internal */ _logTraceback = false;
  /** @internal */ _sourceTraceback: string[] | null = null;
  /** @internal Set while a task waits on this future through `yield*`, as Python's `_asyncio_future_blocking`. */
  _asyncioFutureBlocking = false;
  /**
   * @internal True for a future that settles with code running inline in the task that awaits
   * it (the body of `timeout().run()` or `TaskGroup().run()`, an async library coroutine driven
   * by `yield*`). Cancelling the task cancels what that code awaits, and the code's own outcome
   * then settles this future; this future is cancelled only when nothing deeper can be (the code
   * awaits a native Promise). Set on the prototype: most futures never pay for the field.
   */
  declare _delegatesCancel: boolean;

  constructor(options?: FutureOptions) {
    this._loop = options?.loop ?? _getRunningLoop();
    if (this._loop === null ? debugFromEnv() : this._loop.getDebug()) this._sourceTraceback = extractStack();
  }

  /** The loop this future belongs to; an unbound future is bound to `getEventLoop()` now. */
  getLoop(): AbstractEventLoop {
    return this._loop ?? (this._loop = getEventLoop());
  }

  /**
   * @internal Binds an unbound future to the loop that drives it; false when it already
   * belongs to another loop.
   */
  _bind(loop: AbstractEventLoop): boolean {
    if (this._loop === null) {
      this._loop = loop;
      this._onBound();
      return true;
    }
    return this._loop === loop;
  }

  /** @internal Hook for subclasses that start work once they know their loop. */
  protected _onBound(): void {}

  /** True when the future has a result, an exception, or was cancelled. */
  done(): boolean {
    return this._state !== PENDING;
  }

  /** True when the future was cancelled. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * The result.
   * @throws CancelledError when cancelled; InvalidStateError("Result is not ready.") when pending;
   *   the future's exception when it failed.
   */
  result(): T {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Result is not ready.");
    this._retrieved();
    if (this._hasException) throw this._exception;
    return this._result as T;
  }

  /**
   * The exception the future failed with, or `null` if it has a result.
   * @throws CancelledError when cancelled; InvalidStateError("Exception is not set.") when pending.
   */
  exception(): unknown {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Exception is not set.");
    this._retrieved();
    return this._hasException ? this._exception : null;
  }

  /**
   * Marks the future done with `result` and schedules its callbacks.
   * @throws InvalidStateError when the future is already done.
   */
  setResult(result: T): void {
    if (this._state !== PENDING) throw new InvalidStateError(`${this._stateName()}: ${this._repr()}`);
    this._result = result;
    this._state = FINISHED;
    this._scheduleCallbacks();
  }

  /**
   * Marks the future failed with `exception` and schedules its callbacks. If nobody ever asks
   * for the exception, "Future exception was never retrieved" is logged when it is collected.
   * @throws InvalidStateError when the future is already done.
   */
  setException(exception: unknown): void {
    if (this._state !== PENDING) throw new InvalidStateError(`${this._stateName()}: ${this._repr()}`);
    if (typeof exception === "function") exception = new (exception as new () => unknown)();
    this._exception = exception;
    this._hasException = true;
    this._state = FINISHED;
    this._scheduleCallbacks();
    this._logTraceback = true;
    reportNeverRetrieved.watch(this);
  }

  /**
   * Cancels the future and schedules its callbacks.
   * @returns false when the future is already done, true otherwise.
   */
  cancel(msg?: string): boolean {
    this._retrieved();
    if (this._state !== PENDING) return false;
    this._state = CANCELLED;
    this._cancelMessage = msg;
    this._scheduleCallbacks();
    return true;
  }

  /**
   * Adds a callback to run with the future when it is done; if it is done already, the
   * callback is scheduled at once (with `callSoon`, never called inline).
   */
  addDoneCallback(cb: DoneCallback<this>): void {
    this._addDoneCallbackCtx(cb, copyContext());
  }

  /** @internal addDoneCallback with an explicit context, as Python's `context=` argument. */
  _addDoneCallbackCtx(cb: DoneCallback<this>, ctx: Context | undefined): void {
    if (this._state !== PENDING) {
      this.getLoop()._callSoonCtx(cb, [this], ctx);
    } else if (this._callbacks === null) {
      this._callbacks = [cb, ctx];
    } else {
      this._callbacks.push(cb, ctx);
    }
  }

  /** Removes every registration of `cb`; returns how many were removed. */
  removeDoneCallback(cb: DoneCallback<this>): number {
    const cbs = this._callbacks;
    if (cbs === null) return 0;
    const kept: unknown[] = [];
    for (let i = 0; i < cbs.length; i += 2) if (cbs[i] !== cb) kept.push(cbs[i], cbs[i + 1]);
    const removed = (cbs.length - kept.length) / 2;
    this._callbacks = kept.length > 0 ? kept : null;
    return removed;
  }

  /** @internal */
  _scheduleCallbacks(): void {
    const cbs = this._callbacks;
    if (cbs === null) return;
    this._callbacks = null;
    const loop = this.getLoop();
    for (let i = 0; i < cbs.length; i += 2) loop._callSoonCtx(cbs[i] as DoneCallback<this>, [this], cbs[i + 1] as Context | undefined);
  }

  /** @internal */
  _retrieved(): void {
    if (this._logTraceback) {
      this._logTraceback = false;
      reportNeverRetrieved.forget(this);
    }
  }

  /** @internal The CancelledError to throw for this cancelled future (Python's `_make_cancelled_error`). */
  _makeCancelledError(): Error {
    if (this._cancelledExc !== null) {
      const exc = this._cancelledExc;
      this._cancelledExc = null;
      return exc;
    }
    return new CancelledError(this._cancelMessage ?? "");
  }

  /**
   * `await fut`: settles with the result, or rejects with the exception (CancelledError when
   * cancelled). An async function that a Task started is cancellable while it awaits here.
   */
  // Awaitable by design, as Python's futures are (`__await__`).
  // oxlint-disable-next-line unicorn/no-thenable
  then<R1 = T, R2 = never>(onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    let resolve!: (v: R1 | R2 | PromiseLike<R1 | R2>) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<R1 | R2>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // One waker closure per await, holding the handlers: `await` calls this on every suspension.
    this._addAwaiter(
      (v) => (onfulfilled ? settle(resolve, reject, onfulfilled, v) : resolve(v as unknown as R1)),
      (e) => (onrejected ? settle(resolve, reject, onrejected, e) : reject(e)),
    );
    return promise;
  }

  /** `fut.catch(fn)`, as on a Promise. */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  /** `fut.finally(fn)`, as on a Promise. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.then(
      (v) => {
        onfinally?.();
        return v;
      },
      (e: unknown) => {
        onfinally?.();
        throw e;
      },
    );
  }

  /**
   * @internal Registers an awaiter. The awaiting task (found through the async context) records
   * this future as the one to cancel. A cancellation the task received while it was not waiting
   * on a library future is passed on to this one, as Python's `_must_cancel`: the awaiting code
   * gets `CancelledError` once this future has ended (cancelled, or done before it could be).
   */
  _addAwaiter(onResult: (v: T) => void, onError: (e: unknown) => void): void {
    const task = contextTask();
    if (task === undefined) {
      if (this._state !== PENDING) {
        // Python's `await` of a done future does not suspend; a microtask is the least JavaScript allows.
        queueMicrotask(() => this._deliver(onResult, onError));
        return;
      }
      // Awaited outside any task and any running loop (the top of a script, before
      // `runUntilComplete`): the future belongs to the first loop that runs.
      if (this._loop === null && _getRunningLoop() === null) _adoptWhenALoopRuns(this);
      this._addDoneCallbackCtx(() => this._deliver(onResult, onError), undefined);
      return;
    }
    if ((task as unknown) === this) {
      queueMicrotask(() => onError(new Error(`Task cannot await on itself: ${this._repr()}`)));
      return;
    }
    if (this._loop === null) this._bind(task._loopRef as AbstractEventLoop);
    if (this._state !== PENDING) {
      queueMicrotask(() => this._deliver(onResult, onError));
      return;
    }
    const waker = (): void => {
      task._stopAwaiting(this);
      // Cancelled after this future completed but before the task resumed: as Python's
      // step does, the task gets CancelledError here rather than at its next await.
      if (task._takeCancelRequest()) {
        if (this._state === FINISHED && this._hasException) this._retrieved();
        onError(task._makeCancelledError());
        return;
      }
      this._deliver(onResult, onError);
    };
    // The waker only settles a promise; the code that awaited resumes in its own context.
    this._addDoneCallbackCtx(waker, undefined);
    task._awaiting(this);
  }

  private _deliver(onResult: (v: T) => void, onError: (e: unknown) => void): void {
    if (this._state === CANCELLED) {
      onError(this._makeCancelledError());
    } else if (this._hasException) {
      this._retrieved();
      onError(this._exception);
    } else {
      onResult(this._result as T);
    }
  }

  /**
   * `yield* fut` in a generator coroutine: yields the future to the task while it is pending,
   * then returns its result (or throws its exception).
   */
  *[Symbol.iterator](): Generator<Future<T>, T, unknown> {
    if (this._state === PENDING) {
      this._asyncioFutureBlocking = true;
      yield this;
    }
    if (this._state === PENDING) throw new Error("yield* wasn't used with future");
    return this.result();
  }

  /** @internal */
  _stateName(): string {
    return this._state === PENDING ? "PENDING" : this._state === CANCELLED ? "CANCELLED" : "FINISHED";
  }

  /** @internal The words inside the angle brackets of the repr. */
  _reprInfo(): string[] {
    const info = [this._state === PENDING ? "pending" : this._state === CANCELLED ? "cancelled" : "finished"];
    if (this._state === FINISHED) {
      if (this._hasException) info.push(`exception=${shortRepr(this._exception)}`);
      else info.push(`result=${shortRepr(this._result)}`);
    }
    if (this._callbacks !== null) info.push(`cb=[${formatCallbacks(this._callbacks.filter((_, i) => i % 2 === 0))}]`);
    const site = creationSite(this._sourceTraceback);
    if (site) info.push(`created at ${site}`);
    return info;
  }

  /**
   * @internal Python's repr: `<Future pending>`, `<Future finished result='foo'>`. A future
   * whose result holds the future itself (a kernel cell returning its own task) shows `...`
   * there, as Python's `reprlib.recursive_repr` does.
   */
  _repr(): string {
    if (reprsInProgress.has(this)) return "...";
    reprsInProgress.add(this);
    try {
      return `<${this.constructor.name} ${this._reprInfo().join(" ")}>`;
    } finally {
      reprsInProgress.delete(this);
    }
  }

  /** The future's repr, as Python prints it. */
  toString(): string {
    return this._repr();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this._repr();
  }

  get [Symbol.toStringTag](): string {
    return this.constructor.name;
  }
}

Future.prototype._delegatesCancel = false;

/** The futures whose repr is being made, so a repr that reaches its own future stops there. */
const reprsInProgress = new Set<Future<unknown>>();

function settle<A, R>(resolve: (v: R | PromiseLike<R>) => void, reject: (e: unknown) => void, fn: (a: A) => R | PromiseLike<R>, arg: A): void {
  try {
    resolve(fn(arg));
  } catch (e) {
    reject(e);
  }
}

function formatCallbacks(cbs: readonly unknown[]): string {
  const names = cbs.map((cb) => `${callbackName(cb)}()`);
  if (names.length <= 2) return names.join(", ");
  return `${names[0]}, <${names.length - 2} more>, ${names[names.length - 1]}`;
}

/** True for a library Future (or Task), also one from another copy of this library. */
export function isFuture(x: unknown): x is Future<unknown> {
  return (
    x instanceof Future || (x !== null && typeof x === "object" && typeof (x as Future)._asyncioFutureBlocking === "boolean" && typeof (x as Future).addDoneCallback === "function")
  );
}

/** @internal Sets a future's result unless it was cancelled meanwhile (Python's `_set_result_unless_cancelled`). */
export function _setResultUnlessCancelled<T>(fut: Future<T>, result: T): void {
  if (!fut.cancelled()) fut.setResult(result);
}

/** @internal The task type as futures see it. */
export type { AwaitingTask };
