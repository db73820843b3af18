// Coroutines in both styles. A generator coroutine (3.4's `yield from` style) is driven by a
// Task, or, when awaited from an async function, by a small driver in the awaiting task; all
// of them step it through one function, `stepGenerator`. `coroutine(fn)` marks a function as a
// coroutine function, as `@asyncio.coroutine` did: calling it gives a lazy CoroutineObject that
// is both thenable and `yield*`-able and starts only when a Task runs it or something awaits it.
// The coroutines of locks and queues (`_LibCoroutine`) live here too, next to their driver.

import { contextTask, copyContext, enterStep, runAsTask, runInContext, type AwaitingTask, type Context } from "./context.js";
import { _adoptWhenALoopRuns, _getRunningLoop, getEventLoop, type AbstractEventLoop } from "./events.js";
import { Future, _setResultUnlessCancelled, isFuture } from "./futures.js";
import { debugFromEnv, reportNeverAwaited } from "./debug.js";
import { extractStack, repr } from "./format.js";
import { isCancelledError } from "./exceptions.js";

/** A generator coroutine: it `yield*`s futures and other coroutines and returns a `T`. */
export type GeneratorCoroutine<T = unknown> = Generator<unknown, T, unknown>;

/** How a library coroutine runs: as a generator (driven inline by `yield*`) and/or as an async function. */
export interface CoroutineImpl<T> {
  gen?: () => GeneratorCoroutine<T>;
  async?: () => PromiseLike<T>;
}

const CREATED = 0;
const ITERATED = 1;
const AWAITED = 2;

/**
 * A lazy coroutine: nothing runs until a Task runs it, `await` awaits it or `yield*` delegates
 * to it. Awaiting or delegating to it a second time is an error, as in Python ("cannot reuse
 * already awaited coroutine"); `then` may be called several times and shares one run.
 */
export class CoroutineObject<T = unknown> implements PromiseLike<T>, Iterable<unknown> {
  /** The coroutine function's name, as reprs show it. */
  readonly name: string;
  /** @internal */ readonly _impl: CoroutineImpl<T> | null;
  /** @internal */ _state = CREATED;
  /** @internal What `then` delegates to once started: a Promise, or a library Future. */
  _promise: PromiseLike<T> | null = null;
  /** @internal */ _sourceTraceback: string[] | null = null;

  /** `impl` may be null for subclasses that override `_makeGenerator` and `_makeAsync`. */
  constructor(name: string, impl: CoroutineImpl<T> | null) {
    this.name = name;
    this._impl = impl;
    const loop = _getRunningLoop();
    if (loop === null ? debugFromEnv() : loop.getDebug()) {
      this._sourceTraceback = extractStack();
      reportNeverAwaited.watch(this, name, this._sourceTraceback, loop ?? null);
    }
  }

  /** @internal The generator form, or null when there is none (an async function). */
  protected _makeGenerator(): GeneratorCoroutine<T> | null {
    return this._impl?.gen?.() ?? null;
  }

  /** @internal The async form: a Promise or a library Future; by default, the generator driven. */
  protected _makeAsync(): PromiseLike<T> {
    const impl = this._impl;
    if (impl?.async !== undefined) return impl.async();
    return driveGenerator(this._makeGenerator() as GeneratorCoroutine<T>);
  }

  private _claim(how: number): void {
    if (this._state !== CREATED) throw new Error("cannot reuse already awaited coroutine");
    this._state = how;
    if (this._sourceTraceback !== null) reportNeverAwaited.forget(this);
  }

  /** @internal The generator that runs this coroutine inline, for Tasks and `yield*`. */
  _takeGenerator(): GeneratorCoroutine<T> {
    this._claim(ITERATED);
    return this._makeGenerator() ?? runAsyncInline(() => this._makeAsync());
  }

  /** @internal True when this coroutine is written as an async function only. */
  _isAsyncOnly(): boolean {
    return this._impl !== null && this._impl.gen === undefined;
  }

  /** @internal Starts the async form (a Task calls this inside its own context). */
  _startAsync(): PromiseLike<T> {
    this._claim(AWAITED);
    return (this._promise = this._makeAsync());
  }

  /** `yield* coro`: runs the coroutine inline in the current generator coroutine. */
  [Symbol.iterator](): GeneratorCoroutine<T> {
    return this._takeGenerator();
  }

  /** `await coro`: runs the coroutine in the awaiting task and settles with its result. */
  // Awaitable by design, as Python's coroutines are (`__await__`).
  // oxlint-disable-next-line unicorn/no-thenable
  then<R1 = T, R2 = never>(onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    if (this._promise === null) {
      this._claim(AWAITED);
      this._promise = contextTask() === undefined && _getRunningLoop() === null ? this._makeAsyncUnbound() : this._makeAsync();
    }
    return this._promise.then(onfulfilled, onrejected) as Promise<R1 | R2>;
  }

  /**
   * @internal The async form when awaited outside any task while no loop runs (the top of a
   * script, before `runUntilComplete`): it starts on the first loop that runs, which is the loop
   * it belongs to. Subclasses that can answer without a loop (a free lock) answer at once.
   */
  protected _makeAsyncUnbound(): PromiseLike<T> {
    return new DeferredStart(() => this._makeAsync());
  }

  /** @internal */
  _repr(): string {
    const state = this._state === CREATED ? "" : " running";
    return `<coroutine object ${this.name}()${state}>`;
  }

  toString(): string {
    return this._repr();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this._repr();
  }
}

/** A coroutine's outcome when it must wait for a loop to start: see `_makeAsyncUnbound`. */
class DeferredStart<T> extends Future<T> {
  constructor(private readonly _start: () => PromiseLike<T>) {
    super();
    _adoptWhenALoopRuns(this);
  }

  protected override _onBound(): void {
    (this._loop as AbstractEventLoop).callSoon(() => {
      let p: PromiseLike<T>;
      try {
        p = this._start();
      } catch (e) {
        this.setException(e);
        return;
      }
      settleWith(this, p);
    });
  }
}

/** An iterator that is done at once: `yield*` of it returns `value` without suspending. */
class DoneIterator<T> {
  constructor(private readonly _value: T) {}
  next(): IteratorResult<unknown, T> {
    return { done: true, value: this._value };
  }
  return(v: T): IteratorResult<unknown, T> {
    return { done: true, value: v };
  }
  throw(e: unknown): IteratorResult<unknown, T> {
    throw e;
  }
  [Symbol.iterator](): this {
    return this;
  }
}

/**
 * @internal A coroutine whose result is known when it is made (a `drain()` with nothing to
 * wait for): `yield*` returns it without suspending, `await` settles with it after a
 * microtask, with no generator, async function or Future made.
 */
export class ReadyCoroutine<T> extends CoroutineObject<T> {
  constructor(
    name: string,
    private readonly _value: T,
  ) {
    super(name, null);
  }

  protected override _makeGenerator(): GeneratorCoroutine<T> {
    return new DoneIterator(this._value) as unknown as GeneratorCoroutine<T>;
  }

  protected override _makeAsync(): PromiseLike<T> {
    return Promise.resolve(this._value);
  }

  protected override _makeAsyncUnbound(): PromiseLike<T> {
    return Promise.resolve(this._value);
  }
}

/** True for a generator object (a 3.4-style coroutine once called). */
export function isGenerator(x: unknown): x is GeneratorCoroutine {
  return (
    x !== null &&
    typeof x === "object" &&
    typeof (x as Generator).next === "function" &&
    typeof (x as Generator).throw === "function" &&
    typeof (x as Generator)[Symbol.iterator] === "function"
  );
}

/** True for a thenable (a Promise or anything with a `then` method). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && (typeof x === "object" || typeof x === "function") && typeof (x as PromiseLike<unknown>).then === "function";
}

/** True for a coroutine object: a generator, a CoroutineObject, or a Promise (an async function's). */
export function isCoroutine(x: unknown): boolean {
  return x instanceof CoroutineObject || isGenerator(x) || x instanceof Promise;
}

const COROUTINE_FUNCTION = Symbol.for("asyncio-ts.coroutineFunction");

/** True for a function made with `coroutine()`, a generator function or an async function. */
export function isCoroutineFunction(fn: unknown): boolean {
  if (typeof fn !== "function") return false;
  if ((fn as { [COROUTINE_FUNCTION]?: boolean })[COROUTINE_FUNCTION] === true) return true;
  const kind = fn.constructor.name;
  return kind === "GeneratorFunction" || kind === "AsyncFunction";
}

/** @internal The kind of function: how a Task must start it. */
export function functionKind(fn: (...args: never[]) => unknown): "generator" | "async" | "other" {
  const kind = fn.constructor.name;
  return kind === "GeneratorFunction" ? "generator" : kind === "AsyncFunction" ? "async" : "other";
}

/**
 * Marks `fn` as a coroutine function, as `@asyncio.coroutine` did. Calling the result returns
 * a lazy CoroutineObject that a Task can run, `await` can await and `yield*` can delegate to.
 * Works for generator functions, async functions and plain functions alike, and a Task that
 * runs one can always be cancelled where it waits.
 *
 * @example
 * ```ts
 * const myCoro = asyncio.coroutine(function* myCoro() {
 *   console.log("Hello, YOUR NAME");
 * });
 * const task = new asyncio.Task(myCoro());
 * await asyncio.getEventLoop().runUntilComplete(task);
 * ```
 */
export function coroutine<A extends unknown[], T>(fn: (...args: A) => GeneratorCoroutine<T> | PromiseLike<T> | T): (...args: A) => CoroutineObject<T> {
  if (typeof fn !== "function") throw new TypeError(`coroutine() expects a function, got ${repr(fn)}`);
  const kind = functionKind(fn as (...args: never[]) => unknown);
  const name = fn.name || "<anonymous>";
  const wrapper = function (this: unknown, ...args: A): CoroutineObject<T> {
    const self = this;
    if (kind === "async") return new CoroutineObject<T>(name, { async: () => fn.apply(self, args) as PromiseLike<T> });
    return new CoroutineObject<T>(name, {
      gen: kind === "generator" ? () => fn.apply(self, args) as GeneratorCoroutine<T> : () => plainAsGenerator(() => fn.apply(self, args)),
    });
  };
  Object.defineProperty(wrapper, "name", { value: name });
  (wrapper as unknown as { [COROUTINE_FUNCTION]: boolean })[COROUTINE_FUNCTION] = true;
  return wrapper;
}

function* plainAsGenerator<T>(call: () => GeneratorCoroutine<T> | PromiseLike<T> | T): GeneratorCoroutine<T> {
  return yield* delegate(callInTask(call));
}

/** @internal The loop that code running now belongs to: its task's, else the running loop, else the current loop. */
export function _currentLoop(task: AwaitingTask | undefined = contextTask()): AbstractEventLoop {
  return (task?._loopRef as AbstractEventLoop | null | undefined) ?? _getRunningLoop() ?? getEventLoop();
}

/**
 * A Future that settles as `promise` does: how a generator coroutine waits for a Promise. A
 * CancelledError rejection cancels the future.
 */
export function wrapPromise<T>(promise: PromiseLike<T>, loop?: AbstractEventLoop): Future<T> {
  const fut = new Future<T>(loop === undefined ? undefined : { loop });
  settleWith(fut, promise);
  return fut;
}

/**
 * A future that settles as `promise`, the outcome of code running inline in the current task,
 * does: the task's cancellation goes to what that code awaits (see `Future._delegatesCancel`).
 */
function inlineOutcome<T>(promise: PromiseLike<T>, loop: AbstractEventLoop): Future<T> {
  const fut = new InlineFuture<T>({ loop });
  settleWith(fut, promise);
  return fut;
}

class InlineFuture<T> extends Future<T> {}
InlineFuture.prototype._delegatesCancel = true;

function settleWith<T>(fut: Future<T>, promise: PromiseLike<T>): void {
  promise.then(
    (v) => {
      if (!fut.done()) fut.setResult(v);
    },
    (e: unknown) => {
      if (fut.done()) return;
      if (isCancelledError(e)) fut.cancel(e.message);
      else fut.setException(e);
    },
  );
}

/**
 * Calls `fn` as part of the current task: inside a generator task's step, async code that `fn`
 * starts runs in a context naming the task, so the task can cancel what it awaits.
 */
export function callInTask<R>(fn: () => R): R {
  const task = contextTask();
  return task === undefined ? fn() : runAsTask(task, fn);
}

/**
 * Runs whatever a body called with `callInTask` returned inline in the current generator
 * coroutine: a generator or CoroutineObject by delegation, a Promise (the body's async code,
 * already running in this task) by waiting for its outcome, a plain value as it is.
 */
export function* delegate<T>(r: GeneratorCoroutine<T> | CoroutineObject<T> | PromiseLike<T> | T): GeneratorCoroutine<T> {
  // A Future (or Task) is waited on by the task itself, so cancelling the task cancels it.
  if (isGenerator(r) || r instanceof CoroutineObject || isFuture(r)) return (yield* r as Iterable<unknown>) as T;
  if (isThenable(r)) return (yield* inlineOutcome(r as PromiseLike<T>, _currentLoop())) as T;
  return r as T;
}

/**
 * Runs an async implementation inline in the generator task that delegates to it: the async
 * code runs in that task's context, so the futures it awaits are the task's to cancel.
 */
function* runAsyncInline<T>(start: () => PromiseLike<T>): GeneratorCoroutine<T> {
  const task = contextTask();
  const p = task === undefined ? start() : runAsTask(task, start);
  return yield* inlineOutcome(p, _currentLoop(task));
}

// -- Driving generator coroutines -------------------------------------------------------------------
//
// One function, `stepGenerator`, sends into a generator coroutine and reads what it yielded, as
// the body of Python's `Task.__step` does: a library future to wait on (it must be `yield*`ed,
// of the driver's loop, and not the task itself), a bare `yield` (let the loop run once), a
// Promise (a convenience Python lacks), or a mistake to throw back in. It answers with what the
// step came to; how to wait and when to resume is its driver's:
// - a Task (tasks.ts) waits through a done callback that schedules its next step, as Python's;
// - `_runGenerator` (an `await` of a lock's or a queue's coroutine, a stream read) resumes the
//   generator in the future's done callback, inside the loop iteration, as a Task step would;
// - `driveGenerator` (any other generator coroutine awaited from async code, web handlers)
//   resumes it after an `await`, in the async context of the code that awaited.
// It returns the answer's value and leaves the answer, a small number, in `stepKind`, rather than
// return an object: this runs at every step of every generator task, and allocates nothing.

/** @internal `stepGenerator`'s answer: the generator returned the value. */
export const STEP_RETURNED = 0;
/** @internal `stepGenerator`'s answer: the generator threw the value. */
export const STEP_THREW = 1;
/** @internal `stepGenerator`'s answer: it waits on the value, a library future (its `yield*` flag taken down). */
export const STEP_WAITS = 2;
/** @internal `stepGenerator`'s answer: it waits on the value, a Promise. */
export const STEP_WAITS_PROMISE = 3;
/** @internal `stepGenerator`'s answer: a bare `yield`, the loop runs once before it resumes. */
export const STEP_YIELDED = 4;
/** @internal `stepGenerator`'s answer: it yielded what cannot be waited on; the value, an Error, goes back in. */
export const STEP_MISTAKE = 5;

/** @internal The answer of the last `stepGenerator` call (`STEP_...`); the driver reads it at once. */
export let stepKind = STEP_RETURNED;

/**
 * @internal Resumes `gen` (`next(arg)`, or `throw(arg)` when `failed`) until it yields or ends,
 * and answers what that came to: `stepKind` says what (`STEP_...`), the value is returned. The
 * one place a generator coroutine is stepped. `loop`: the loop a yielded future must belong to
 * (checked first, as in Python), or null; `task`: the task that drives it (for its messages), or
 * null.
 */
export function stepGenerator(gen: GeneratorCoroutine<unknown>, failed: boolean, arg: unknown, loop: AbstractEventLoop | null, task: { _repr(): string } | null): unknown {
  let r: IteratorResult<unknown, unknown>;
  try {
    r = failed ? gen.throw(arg) : gen.next(arg);
  } catch (e) {
    stepKind = STEP_THREW;
    return e;
  }
  const y = r.value;
  if (r.done === true) {
    stepKind = STEP_RETURNED;
    return y;
  }
  if (isFuture(y)) {
    if (loop !== null && !y._bind(loop)) return mistake(`Task ${repr(task)} got Future ${y._repr()} attached to a different loop`);
    if (!y._asyncioFutureBlocking) return mistake(`yield was used instead of yield*${inTask(task)} with ${y._repr()}`);
    if ((y as unknown) === task) return mistake(`Task cannot await on itself: ${repr(task)}`);
    y._asyncioFutureBlocking = false;
    stepKind = STEP_WAITS;
    return y;
  }
  if (y === undefined) {
    stepKind = STEP_YIELDED;
    return undefined;
  }
  if (y instanceof CoroutineObject || isGenerator(y)) {
    // `yield coro` where `yield* coro` was meant: Python's "yield was used instead of yield from".
    return mistake(`yield was used instead of yield* for ${repr(y)}${inTask(task)}: write \`yield* ${y instanceof CoroutineObject ? y.name : "coro"}(...)\``);
  }
  if (isThenable(y)) {
    stepKind = STEP_WAITS_PROMISE;
    return y;
  }
  return mistake(`Task got bad yield: ${repr(y)}`);
}

function mistake(message: string): Error {
  stepKind = STEP_MISTAKE;
  return new Error(message);
}

function inTask(task: { _repr(): string } | null): string {
  return task === null ? "" : ` in task ${task._repr()}`;
}

/** Lets the loop run one iteration (a bare `yield` in a generator coroutine), cancellably. */
function yieldOnce(): Future<undefined> {
  const loop = _currentLoop();
  const fut = new Future<undefined>({ loop });
  loop.callSoon(_setResultUnlessCancelled, fut, undefined);
  return fut;
}

/**
 * Runs a generator coroutine inside the awaiting async code: each future it yields is awaited
 * in the current task's context (so the task can cancel it), a bare `yield` lets the loop run
 * once, a Promise is awaited as it is, and errors are thrown back into the generator where it
 * yielded. Each step runs after the `await`, in the async context of the code that awaited.
 */
export async function driveGenerator<T>(gen: GeneratorCoroutine<T>): Promise<T> {
  let failed = false;
  let arg: unknown = undefined;
  for (;;) {
    const value = stepGenerator(gen, failed, arg, null, null);
    const step = stepKind;
    if (step === STEP_RETURNED) return value as T;
    if (step === STEP_THREW) throw value;
    if (step === STEP_MISTAKE) {
      failed = true;
      arg = value;
      continue;
    }
    try {
      arg = step === STEP_YIELDED ? await yieldOnce() : await (value as PromiseLike<unknown>);
      failed = false;
    } catch (e) {
      failed = true;
      arg = e;
    }
  }
}

/**
 * @internal Runs one of this library's generator coroutines for an `await`, as a Task step would:
 * - every future the generator yields is awaited as the awaiting task's future (the task
 *   found through the async context), so `task.cancel()` cancels it, and a cancellation that
 *   reached the task while it was not waiting on a library future (for instance after its
 *   future completed but before it resumed) is thrown in where it waits, as Python's
 *   `Task.__step` does with `_must_cancel` (both by `Future._addAwaiter`);
 * - the generator is resumed synchronously in the future's done callback, inside the loop
 *   iteration, so the primitive's state changes when Python's would;
 * - it resumes in the context variables of the code that awaited (the loop runs done callbacks
 *   without one), so a predicate it calls sees them, as it would in Python's task.
 * The returned Promise settles with the generator's return value or error.
 */
export function _runGenerator<T>(gen: GeneratorCoroutine<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    new GeneratorRunner(gen, contextTask() ?? null, copyContext(), resolve, reject).step(false, undefined);
  });
}

class GeneratorRunner<T> {
  readonly onResult = (value: unknown): void => this.wake(false, value);
  readonly onError = (exc: unknown): void => this.wake(true, exc);

  constructor(
    private readonly gen: GeneratorCoroutine<T>,
    private readonly task: AwaitingTask | null,
    private readonly ctx: Context | undefined,
    private readonly resolve: (v: T) => void,
    private readonly reject: (e: unknown) => void,
  ) {}

  wake(failed: boolean, arg: unknown): void {
    if (this.ctx === undefined) this.step(failed, arg);
    else runInContext(this.ctx, () => this.step(failed, arg));
  }

  step(failed: boolean, arg: unknown): void {
    // While the generator runs, it runs on behalf of the awaiting task: futures it makes and
    // waits on are that task's (and `currentTask()` in a predicate it calls is that task).
    const prev = enterStep(this.task);
    try {
      const value = stepGenerator(this.gen, failed, arg, null, null);
      switch (stepKind) {
        case STEP_WAITS:
          (value as Future<unknown>)._addAwaiter(this.onResult, this.onError);
          return;
        case STEP_RETURNED:
          this.resolve(value as T);
          return;
        case STEP_THREW:
          this.reject(value);
          return;
        case STEP_WAITS_PROMISE:
          // As a Task does: waited on like a future, so the task can cancel the wait.
          wrapPromise(value as PromiseLike<unknown>, _currentLoop(this.task ?? undefined))._addAwaiter(this.onResult, this.onError);
          return;
        case STEP_YIELDED:
          yieldOnce()._addAwaiter(this.onResult, this.onError);
          return;
        default:
          // As a Task does: a mistake is thrown in on the loop's next iteration, not inline.
          _currentLoop(this.task ?? undefined).callSoon(() => this.wake(true, value));
      }
    } finally {
      enterStep(prev);
    }
  }
}

// -- Library coroutines (locks.ts, queues.ts) --------------------------------------------------------

/**
 * @internal A coroutine of this library, one object per call (no closures): `yield*` runs
 * `gen(self, arg)` inline; `await` first tries `fast(self, arg)`, which settles at once when the
 * answer is known without waiting (a free lock, a non-empty queue), and otherwise runs the same
 * generator through `_runGenerator`.
 */
export class _LibCoroutine<S, A, T> extends CoroutineObject<T> {
  constructor(
    name: string,
    private readonly _self: S,
    private readonly _arg: A,
    private readonly _gen: (self: S, arg: A) => GeneratorCoroutine<T>,
    private readonly _fast: ((self: S, arg: A) => Promise<T> | null) | null = null,
  ) {
    super(name, null);
  }

  protected override _makeGenerator(): GeneratorCoroutine<T> {
    return this._gen(this._self, this._arg);
  }

  protected override _makeAsync(): PromiseLike<T> {
    try {
      return (this._fast !== null ? this._fast(this._self, this._arg) : null) ?? _runGenerator(this._gen(this._self, this._arg));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  protected override _makeAsyncUnbound(): PromiseLike<T> {
    // A free lock or a non-empty queue answers without a loop; waiting needs the loop that runs next.
    try {
      return (this._fast !== null ? this._fast(this._self, this._arg) : null) ?? super._makeAsyncUnbound();
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
