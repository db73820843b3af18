// Task: a Future that runs a coroutine, and the coroutine helpers built on tasks (sleep,
// gather, wait, waitFor, shield, asCompleted), as Python's asyncio/tasks.py.
//
// Scheduling invariant (Python's, kept here): a Task never runs inline. Its first step is
// scheduled with `callSoon` when the Task is made (or when it is bound to a loop, if it was
// made while no loop was running), and each later step is scheduled by the done callback of
// the future it waits on. At any time a pending generator task has exactly one of: a step
// scheduled, or a future it waits on (`_futWaiter`).
//
// A Task runs one of three kinds of coroutine:
// - a generator (3.4 style), stepped by `_step` through `stepGenerator` (coroutines.ts, which
//   reads what it yielded; the task acts on it) — always cancellable;
// - an async function that the Task started (a function, or a CoroutineObject written as an
//   async function): it runs in a context that names the task, so the library futures it
//   awaits, however deep, record the task and `cancel()` reaches them;
// - a Promise that was already running (`createTask(asyncFn())`): the task settles with it,
//   and `cancel()` can only end the task, not interrupt the promise.

import { copyContext, enterStep, runAsTask, contextTask, type Context } from "./context.js";
import { CancelledError, TimeoutError, isCancelledError } from "./exceptions.js";
import { _adoptWhenALoopRuns, _getRunningLoop, getEventLoop, getRunningLoop, type AbstractEventLoop } from "./events.js";
import { Future, _setResultUnlessCancelled, isFuture } from "./futures.js";
import {
  CoroutineObject,
  _currentLoop,
  functionKind,
  isGenerator,
  isThenable,
  STEP_RETURNED,
  STEP_THREW,
  STEP_WAITS,
  STEP_WAITS_PROMISE,
  STEP_YIELDED,
  stepGenerator,
  stepKind,
  wrapPromise,
  type GeneratorCoroutine,
} from "./coroutines.js";
import { reportDestroyedPending } from "./debug.js";
import { timeout as timeoutAfter } from "./timeouts.js";
import { repr } from "./format.js";
import { noteBirth, noteWait, observing } from "./observe.js";

/** What a Task can run: a coroutine of either style, a Promise, or a function returning one. */
export type CoroutineLike<T> = GeneratorCoroutine<T> | CoroutineObject<T> | PromiseLike<T> | (() => GeneratorCoroutine<T> | CoroutineObject<T> | PromiseLike<T> | T);

/** Anything `await`-able that the helpers accept: a Future or anything a Task can run. */
export type AwaitableLike<T> = Future<T> | CoroutineLike<T>;

/** Options of `new Task()` and `createTask()`. */
export interface TaskOptions {
  /** The loop to run on; by default the running loop, else the loop that first drives the task. */
  loop?: AbstractEventLoop;
  /** The task's name; by default `Task-<n>`. */
  name?: string;
  /** The async context the task runs in; by default a copy of the current one. */
  context?: Context;
}

const PENDING = 0;
const MODE_UNSTARTED = 0;
const MODE_GENERATOR = 1;
const MODE_PROMISE = 2;
const MODE_FOREIGN_PROMISE = 3;

let taskNameCounter = 0;

// The tasks that are not done, for `allTasks()`. Python holds them in a WeakSet, so that a task
// nobody can reach (one waiting on a future nobody holds) is collected, and reported in debug
// mode as "destroyed but pending". A WeakRef per task costs about a third of a task's creation
// and makes the collector work harder, so here tasks made in debug mode are held weakly (the
// report needs it) and others strongly, until they finish. The price: outside debug mode a task
// that waits forever on a forgotten future stays in memory, and in `allTasks()`.
const pendingTasks = new Set<Task<unknown>>();
const weakPendingTasks = new Set<WeakRef<Task<unknown>>>();

function trackTask(task: Task<unknown>): void {
  if (task._sourceTraceback === null) {
    pendingTasks.add(task);
  } else {
    const ref = new WeakRef(task);
    task._ref = ref;
    weakPendingTasks.add(ref);
  }
}

function untrackTask(task: Task<unknown>): void {
  if (task._ref === null) {
    pendingTasks.delete(task);
  } else {
    weakPendingTasks.delete(task._ref);
    task._ref = null;
  }
}

/** Marks a Promise's rejection as handled; the Task reports it (or its awaiter gets it). */
function observeRejection(): void {}

function makeWakeup(task: Task<unknown>): (fut: Future<unknown>) => void {
  return function taskWakeup(fut: Future<unknown>): void {
    task._wakeup(fut);
  };
}

/**
 * A task's step, scheduled with the task as its argument (Python's `Task.__step`). One shared
 * function rather than a bound method per task: creating a task allocates less.
 */
export function taskStep(task: Task<unknown>, exc?: unknown): void {
  task._step(exc);
}

/**
 * A Future that runs a coroutine. It starts on its loop's next iteration, never inline.
 *
 * @example
 * ```ts
 * const task = new asyncio.Task(asyncio.sleep(1));
 * task.addDoneCallback((t) => console.log("Task is done:", t.getName()));
 * await asyncio.getEventLoop().runUntilComplete(task);
 * ```
 */
export class Task<T = unknown> extends Future<T> {
  /** @internal */ _coro: CoroutineLike<T>;
  /** @internal */ _gen: GeneratorCoroutine<T> | null = null;
  /** @internal */ _mode = MODE_UNSTARTED;
  /** @internal */ _name: string;
  /** @internal */ _context: Context | undefined;
  // What the task waits on, written only in this file (see `_awaiting`).
  /** @internal A cancellation asked for while the task waited on no library future. */
  _mustCancel = false;
  /** @internal The library future the task waits on now, the one `cancel()` cancels. */
  _futWaiter: Future<unknown> | null = null;
  /** @internal Other library futures awaited in the task's context at the same time (rare). */
  _extraWaiters: Set<Future<unknown>> | null = null;
  /**
   * @internal Futures that settle with code the task runs inline (see `Future._delegatesCancel`),
   * innermost last: cancelled only when the cancellation cannot reach anything that code awaits.
   */
  _inlineWaiters: Set<Future<unknown>> | null = null;
  /** @internal */ _numCancelsRequested = 0;
  /** @internal */ _logDestroyPending = true;
  /** @internal */ _ref: WeakRef<Task<unknown>> | null = null;
  /** @internal The done callback that wakes the task, made the first time it waits. */
  _wakeupBound: ((fut: Future<unknown>) => void) | null = null;

  constructor(coro: CoroutineLike<T>, options?: TaskOptions) {
    super(options?.loop === undefined ? undefined : { loop: options.loop });
    if (!isRunnable(coro)) throw new TypeError(`a coroutine was expected, got ${repr(coro)}`);
    this._coro = coro;
    this._name = options?.name ?? `Task-${++taskNameCounter}`;
    this._context = options?.context ?? copyContext();
    if (this._sourceTraceback !== null) reportDestroyedPending.watch(this);
    if (observing) noteBirth(this, performance.now() / 1000);
    // A Promise that has already failed must be observed now: the task's first step comes on a
    // later turn, after Node has decided the rejection is unhandled and ended the process.
    if (coro instanceof Promise) coro.then(undefined, observeRejection);
    if (this._loop !== null) this._schedule();
    else _adoptWhenALoopRuns(this);
  }

  /** @internal The loop, as the async context's task bookkeeping reads it. */
  get _loopRef(): AbstractEventLoop | null {
    return this._loop;
  }

  /** @internal */
  protected override _onBound(): void {
    if (this._sourceTraceback !== null) reportDestroyedPending.rebind(this);
    this._schedule();
  }

  private _schedule(): void {
    (this._loop as AbstractEventLoop)._callSoonCtx(taskStep, [this as Task<unknown>], this._context);
    trackTask(this as Task<unknown>);
  }

  /** The task's name (`Task-1` unless one was given). */
  getName(): string {
    return this._name;
  }

  /** Renames the task. */
  setName(value: unknown): void {
    this._name = String(value);
  }

  /** The coroutine (or function, or Promise) the task runs. */
  getCoro(): CoroutineLike<T> {
    return this._coro;
  }

  /** The async context the task runs in. */
  getContext(): Context | undefined {
    return this._context;
  }

  /**
   * Asks the task to cancel: `CancelledError` is thrown into the coroutine where it waits (or at
   * its next wait). The task may catch it; it is cancelled once the error propagates out.
   * @returns false when the task is already done.
   */
  override cancel(msg?: string): boolean {
    this._retrieved();
    if (this._state !== PENDING) return false;
    this._numCancelsRequested++;
    let delivered = false;
    const extra = this._extraWaiters;
    if (extra !== null) {
      this._extraWaiters = null;
      for (const f of extra) if (f.cancel(msg)) delivered = true;
    }
    // Leave _futWaiter set: it may be a task that swallows the cancellation and must be
    // cancelled again later.
    if (this._futWaiter !== null && this._futWaiter.cancel(msg)) delivered = true;
    if (delivered) return true;
    // Nothing the task awaits can take the cancellation, but code it runs inline (a timeout's
    // body) awaits a native Promise: that code is cut off where the task waits for it, as a
    // Promise handed to a Task is. The innermost such wait is the one Python would interrupt.
    const inline = this._inlineWaiters;
    if (inline !== null) {
      const waits = [...inline];
      for (let i = waits.length - 1; i >= 0; i--) if ((waits[i] as Future<unknown>).cancel(msg)) return true;
    }
    this._mustCancel = true;
    this._cancelMessage = msg;
    if (this._mode === MODE_FOREIGN_PROMISE) {
      // The promise cannot be interrupted; the task ends cancelled on the next iteration.
      this.getLoop().callSoon(() => {
        if (this._state === PENDING) this._finishCancelled(null);
      });
    }
    return true;
  }

  /** How many cancellations are pending (Python 3.11's `cancelling()`). */
  cancelling(): number {
    return this._numCancelsRequested;
  }

  /** Withdraws one cancellation request; returns how many remain (Python 3.11's `uncancel()`). */
  uncancel(): number {
    if (this._numCancelsRequested > 0) {
      this._numCancelsRequested--;
      if (this._numCancelsRequested === 0) this._mustCancel = false;
    }
    return this._numCancelsRequested;
  }

  /** Futures cannot be settled from outside a task: a Task settles with its coroutine. */
  override setResult(_result: T): never {
    throw new Error("Task does not support setResult() operation");
  }

  /** Futures cannot be settled from outside a task: a Task settles with its coroutine. */
  override setException(_exception: unknown): never {
    throw new Error("Task does not support setException() operation");
  }

  // -- Running the coroutine ----------------------------------------------------------------------

  /** @internal One step: runs the coroutine until it waits again (Python's `__step`). */
  _step(exc?: unknown): void {
    if (this._state !== PENDING) throw new Error(`_step(): already done: ${this._repr()}, ${repr(exc)}`);
    if (this._mustCancel) {
      if (!isCancelledError(exc)) exc = this._makeCancelledError();
      this._mustCancel = false;
    }
    this._futWaiter = null;
    const prev = enterStep(this);
    try {
      if (this._mode === MODE_UNSTARTED) this._start(exc);
      else this._advance(exc);
    } finally {
      enterStep(prev);
    }
  }

  private _start(exc: unknown): void {
    let coro: unknown = this._coro;
    if (exc !== undefined && !isGenerator(coro)) {
      // Cancelled before it started: a function is never called, a lazy coroutine never run.
      this._finishError(exc);
      return;
    }
    if (typeof coro === "function") {
      const fn = coro as () => unknown;
      try {
        coro = functionKind(fn) === "generator" ? fn() : runAsTask(this, fn);
      } catch (e) {
        this._finishError(e);
        return;
      }
    }
    if (coro instanceof CoroutineObject) {
      const c = coro as CoroutineObject<T>;
      try {
        if (c._isAsyncOnly()) {
          this._follow(
            runAsTask(this, () => c._startAsync()),
            MODE_PROMISE,
          );
          return;
        }
        coro = c._takeGenerator();
      } catch (e) {
        // "cannot reuse already awaited coroutine": the task fails with it, as in Python.
        this._finishError(e);
        return;
      }
    }
    if (isGenerator(coro)) {
      this._gen = coro as GeneratorCoroutine<T>;
      this._mode = MODE_GENERATOR;
      this._advance(exc);
    } else if (isThenable(coro)) {
      this._follow(coro as PromiseLike<T>, coro === this._coro ? MODE_FOREIGN_PROMISE : MODE_PROMISE);
    } else {
      // A function that returned a plain value: nothing to wait for.
      this._finishResult(coro as T);
    }
  }

  /** Sends into the generator and acts on what it came to (see `stepGenerator`). */
  private _advance(exc: unknown): void {
    const value = stepGenerator(this._gen as GeneratorCoroutine<T>, exc !== undefined, exc, this._loop, this);
    switch (stepKind) {
      case STEP_WAITS:
        this._waitOn(value as Future<unknown>);
        return;
      case STEP_RETURNED:
        if (this._mustCancel) {
          // Cancelled after it stopped waiting but before it returned (Python does the same).
          this._mustCancel = false;
          this._finishCancelled(null);
        } else {
          this._finishResult(value as T);
        }
        return;
      case STEP_THREW:
        this._finishError(value);
        return;
      case STEP_WAITS_PROMISE:
        // A Promise yielded by a generator: waited on like a future (a convenience Python lacks).
        this._waitOn(wrapPromise(value as PromiseLike<unknown>, this._loop as AbstractEventLoop));
        return;
      case STEP_YIELDED:
        // A bare `yield`: let the loop run once.
        this._scheduleStep(undefined);
        return;
      default:
        // A mistake (`yield` for `yield*`, a bad yield): thrown in at the next step, as in Python.
        this._scheduleStep(value);
    }
  }

  /** The generator waits on `fut`: its done callback schedules the next step. */
  private _waitOn(fut: Future<unknown>): void {
    const wakeup = (this._wakeupBound ??= makeWakeup(this as Task<unknown>));
    fut._addDoneCallbackCtx(wakeup, this._context);
    this._awaiting(fut);
  }

  private _scheduleStep(exc: unknown): void {
    (this._loop as AbstractEventLoop)._callSoonCtx(taskStep, exc === undefined ? [this as Task<unknown>] : [this as Task<unknown>, exc], this._context);
  }

  /** @internal */
  _wakeup(fut: Future<unknown>): void {
    // `_step` forgets `_futWaiter`; an inline future is forgotten here.
    if (fut._delegatesCancel) this._inlineWaiters?.delete(fut);
    try {
      fut.result();
    } catch (exc) {
      this._step(exc);
      return;
    }
    this._step();
  }

  // -- What the task waits on: written here only; futures.ts and the drivers call these ------------

  /**
   * @internal The task now waits on `fut` (Python's `_fut_waiter = fut`), so `cancel()` reaches it;
   * a cancellation asked for while the task waited on nothing (`_mustCancel`) goes to it now. A
   * future that settles with code the task runs inline is kept apart (`_inlineWaiters`): the
   * cancellation goes past it to what that code awaits.
   */
  _awaiting(fut: Future<unknown>): void {
    if (fut._delegatesCancel) {
      (this._inlineWaiters ??= new Set()).add(fut);
      return;
    }
    // Code that runs in a task's context but not in its main chain (a Node callback made
    // inside the task) may wait on futures too; cancelling the task must reach them all.
    const prev = this._futWaiter;
    if (prev !== null && prev !== fut && !prev.done()) (this._extraWaiters ??= new Set()).add(prev);
    this._futWaiter = fut;
    if (this._mustCancel && fut.cancel(this._cancelMessage)) this._mustCancel = false;
  }

  /** @internal The task no longer waits on `fut`, which is done. */
  _stopAwaiting(fut: Future<unknown>): void {
    if (fut._delegatesCancel) this._inlineWaiters?.delete(fut);
    else if (this._futWaiter === fut) this._futWaiter = null;
    else this._extraWaiters?.delete(fut);
  }

  /**
   * @internal Takes the cancellation asked for while the task waited on nothing (`_mustCancel`):
   * true, once, when there is one, and the caller throws CancelledError in where the task resumes.
   */
  _takeCancelRequest(): boolean {
    if (!this._mustCancel) return false;
    this._mustCancel = false;
    return true;
  }

  private _follow(p: PromiseLike<T>, mode: number): void {
    this._mode = mode;
    p.then(
      (v) => this._settleFromPromise(false, v),
      (e: unknown) => this._settleFromPromise(true, e),
    );
  }

  private _settleFromPromise(failed: boolean, v: unknown): void {
    if (this._state !== PENDING) return;
    this._futWaiter = null;
    this._extraWaiters = null;
    this._inlineWaiters = null;
    try {
      if (failed) this._finishError(v);
      else if (this._mustCancel) {
        this._mustCancel = false;
        this._finishCancelled(null);
      } else this._finishResult(v as T);
    } catch (e) {
      // The loop was closed under a task still running: nobody can hear of it but the log.
      this._loop?.callExceptionHandler({ message: "Task finished after its loop closed", exception: e, task: this });
    }
  }

  private _finishError(e: unknown): void {
    if (isCancelledError(e)) this._finishCancelled(e);
    else this._finish(() => super.setException(e));
  }

  private _finishCancelled(exc: Error | null): void {
    this._finish(() => {
      this._cancelledExc = exc;
      super.cancel(exc === null ? this._cancelMessage : exc.message || this._cancelMessage);
    });
  }

  private _finishResult(v: T): void {
    this._finish(() => super.setResult(v));
  }

  private _finish(settle: () => void): void {
    this._gen = null;
    untrackTask(this as Task<unknown>);
    if (this._sourceTraceback !== null) reportDestroyedPending.forget(this);
    settle();
  }

  // -- Text form ----------------------------------------------------------------------------------

  /** @internal */
  override _reprInfo(): string[] {
    const info = super._reprInfo();
    if (this._state === PENDING && this._numCancelsRequested > 0) info[0] = "cancelling";
    info.splice(1, 0, `name=${repr(this._name)}`, `coro=<${this._coroName()} ${this._state === PENDING ? "running" : "done"}>`);
    if (this._futWaiter !== null) info.push(`wait_for=${this._futWaiter._repr()}`);
    return info;
  }

  /**
   * @internal What the task waits on now, for the monitor and the call graph: the library
   * futures it awaits (the main one first), and whether it waits on something else (a native
   * Promise: an async function's `await` of one, or the Promise the task follows).
   */
  _waits(): { futures: Future<unknown>[]; onPromise: boolean; started: boolean } {
    const futures: Future<unknown>[] = [];
    if (this._futWaiter !== null && !this._futWaiter.done()) futures.push(this._futWaiter);
    for (const f of this._extraWaiters ?? []) if (!f.done()) futures.push(f);
    for (const f of this._inlineWaiters ?? []) if (!f.done()) futures.push(f);
    const onPromise = futures.length === 0 && (this._mode === MODE_PROMISE || this._mode === MODE_FOREIGN_PROMISE);
    return { futures, onPromise, started: this._mode !== MODE_UNSTARTED };
  }

  /** @internal Whether the task runs an async function it started (its steps are promise jobs, not handles). */
  _runsAsyncFunction(): boolean {
    return this._mode === MODE_PROMISE;
  }

  /** @internal Whether the task waits on a library future now (what woke its next step, for the timeline). */
  _waitsOnFuture(): boolean {
    return this._futWaiter !== null;
  }

  /** @internal The coroutine's name as the repr shows it: `worker()`, `<generator>()`, `<Promise>`. */
  _coroName(): string {
    const c = this._coro as unknown;
    if (c instanceof CoroutineObject) return `${c.name}()`;
    if (typeof c === "function") return `${c.name || "<anonymous>"}()`;
    if (isGenerator(c)) return "<generator>()";
    return "<Promise>";
  }
}

function isRunnable(x: unknown): boolean {
  return typeof x === "function" || x instanceof CoroutineObject || isGenerator(x) || isThenable(x);
}

// -- Module functions -------------------------------------------------------------------------------

/**
 * Wraps a coroutine in a Task scheduled on the running loop, and returns the Task.
 * @throws Error "no running event loop" when called outside a running loop.
 */
export function createTask<T>(coro: CoroutineLike<T>, options?: Omit<TaskOptions, "loop">): Task<T> {
  const loop = getRunningLoop();
  return new Task<T>(coro, { ...options, loop });
}

/**
 * A Future for `x`: a Future is returned as it is (bound to `loop` if it had no loop yet);
 * a coroutine, Promise or function is wrapped in a Task.
 * @throws Error when `x` belongs to another loop than `options.loop`.
 */
export function ensureFuture<T>(x: AwaitableLike<T>, options?: { loop?: AbstractEventLoop }): Future<T> {
  const loop = options?.loop;
  if (isFuture(x)) {
    if (loop !== undefined && !x._bind(loop)) throw new Error("The future belongs to a different loop than the one specified as the loop argument");
    return x as Future<T>;
  }
  if (!isRunnable(x)) throw new TypeError(`An asyncio.Future, a coroutine or an awaitable is required, got ${repr(x)}`);
  // With no loop running, the task belongs to the loop that first drives it (or, if nothing
  // does, the next loop to run), as a Task made with `new Task()` does.
  return new Task<T>(x as CoroutineLike<T>, { loop: loop ?? _getRunningLoop() ?? undefined });
}

/**
 * The task whose code runs now (also after an `await` in an async function a Task started),
 * or `null` when code of `loop` (by default the running loop) runs outside any task.
 * @throws Error "no running event loop" when no `loop` is given and none is running.
 */
export function currentTask(loop: AbstractEventLoop = getRunningLoop()): Task<unknown> | null {
  const task = contextTask() as Task<unknown> | undefined;
  if (task === undefined || task.done() || task._loop !== loop) return null;
  return task;
}

/** The tasks of `loop` (by default the running loop) that are not done yet. */
export function allTasks(loop?: AbstractEventLoop): Set<Task<unknown>> {
  const l = loop ?? getRunningLoop();
  const out = new Set<Task<unknown>>();
  for (const t of pendingTasks) if (t._loop === l && !t.done()) out.add(t);
  for (const ref of weakPendingTasks) {
    const t = ref.deref();
    if (t === undefined) weakPendingTasks.delete(ref);
    else if (t._loop === l && !t.done()) out.add(t);
  }
  return out;
}

/**
 * Waits `delay` seconds, then returns `result`. A coroutine: lazy until awaited, `yield*`-able.
 * `sleep(0)` lets the loop run once.
 */
export function sleep<T = undefined>(delay: number, result?: T): CoroutineObject<T> {
  return new SleepCoroutine(delay, result as T);
}

/** `sleep()`'s coroutine object: its own class, so that a sleep allocates no closures. */
class SleepCoroutine<T> extends CoroutineObject<T> {
  constructor(
    private readonly _delay: number,
    private readonly _result: T,
  ) {
    super("sleep", null);
  }

  protected override _makeGenerator(): GeneratorCoroutine<T> {
    return sleepGen(this._delay, this._result);
  }

  protected override _makeAsync(): PromiseLike<T> {
    const loop = _currentLoop();
    const fut = new Future<T>({ loop });
    if (this._delay <= 0) {
      loop.callSoon(_setResultUnlessCancelled<T>, fut, this._result);
    } else {
      const h = loop.callLater(this._delay, _setResultUnlessCancelled<T>, fut, this._result);
      if (observing) noteWait(fut, { kind: "sleep", until: h.when() });
      fut.addDoneCallback(() => h.cancel());
    }
    return fut;
  }
}

function* sleepGen<T>(delay: number, result: T): GeneratorCoroutine<T> {
  if (delay <= 0) {
    yield;
    return result;
  }
  const loop = _currentLoop();
  const fut = new Future<T>({ loop });
  const h = loop.callLater(delay, _setResultUnlessCancelled<T>, fut, result);
  if (observing) noteWait(fut, { kind: "sleep", until: h.when() });
  try {
    return yield* fut;
  } finally {
    h.cancel();
  }
}

/** @internal The future `gather()` returns: its children are what an awaiting task waits for. */
export class GatheringFuture<T> extends Future<T> {
  _children: Future<unknown>[];
  _cancelRequested = false;
  constructor(children: Future<unknown>[], loop: AbstractEventLoop | null) {
    super(loop === null ? undefined : { loop });
    this._children = children;
  }
  /** @internal */
  protected override _onBound(): void {
    const loop = this._loop as AbstractEventLoop;
    for (const child of this._children) child._bind(loop);
  }
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let ret = false;
    for (const child of this._children) if (child.cancel(msg)) ret = true;
    if (ret) this._cancelRequested = true;
    return ret;
  }
}

type Results<A extends readonly unknown[]> = { -readonly [K in keyof A]: A[K] extends AwaitableLike<infer R> ? R : unknown };
/** What gather gives with `returnExceptions`: each result, or the error its awaitable failed with. */
type ResultsOrErrors<A extends readonly unknown[]> = { -readonly [K in keyof A]: A[K] extends AwaitableLike<infer R> ? R | Error : unknown };
/** The result of an awaitable (of each, for a union of them). */
type ResultOf<A> = A extends AwaitableLike<infer R> ? R : unknown;

/** Options of `gather()`, passed as its last argument. */
export interface GatherOptions {
  /** Return errors in the result array instead of failing with the first one. */
  returnExceptions?: boolean;
}

function isGatherOptions(x: unknown): x is GatherOptions {
  return x !== null && typeof x === "object" && !isFuture(x) && !isThenable(x) && !isGenerator(x) && !(x instanceof CoroutineObject);
}

/**
 * Runs awaitables concurrently and returns a Future of their results, in order. The first
 * error fails the gather (the others keep running) unless `{ returnExceptions: true }` is
 * passed last. Cancelling the gather cancels every child.
 *
 * @example
 * ```ts
 * const [a, b] = await asyncio.gather(asyncio.sleep(0.1, "a"), asyncio.sleep(0.2, "b"));
 * const [x, y] = await asyncio.gather(asyncio.sleep(0, "x"), asyncio.sleep(0, 2), { returnExceptions: true }); // string | Error, number | Error
 * ```
 */
export function gather<A extends readonly AwaitableLike<unknown>[]>(...aws: A): Future<Results<A>>;
export function gather<A extends readonly AwaitableLike<unknown>[]>(...args: [...A, GatherOptions & { returnExceptions?: false }]): Future<Results<A>>;
/**
 * As `gather(...aws)`; with `{ returnExceptions: true }` each place of the result holds the
 * awaitable's result or the error it failed with (a CancelledError for one cancelled). The type
 * says `Error`, as Python's says BaseException; a thrown value that is not an Error comes
 * through as it is.
 */
export function gather<A extends readonly AwaitableLike<unknown>[]>(...args: [...A, GatherOptions]): Future<ResultsOrErrors<A>>;
export function gather<A extends readonly AwaitableLike<unknown>[]>(...args: [...A] | [...A, GatherOptions]): Future<Results<A>> {
  let returnExceptions = false;
  let aws = args as unknown[];
  if (aws.length > 0 && isGatherOptions(aws[aws.length - 1])) {
    returnExceptions = (aws[aws.length - 1] as GatherOptions).returnExceptions === true;
    aws = aws.slice(0, -1);
  }
  if (aws.length === 0) {
    const outer = new Future<Results<A>>({ loop: _getRunningLoop() ?? getEventLoop() });
    outer.setResult([] as unknown as Results<A>);
    return outer;
  }
  const argToFut = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = [];
  const doneFuts: Future<unknown>[] = [];
  let nfuts = 0;
  let nfinished = 0;
  let loop: AbstractEventLoop | null = null;
  let outer: GatheringFuture<Results<A>> | null = null;

  const onChildDone = (fut: Future<unknown>): void => {
    nfinished++;
    if (outer === null || outer.done()) {
      // Mark the error retrieved, so it is not reported as never retrieved.
      if (!fut.cancelled()) fut.exception();
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        outer.setException(fut._makeCancelledError());
        return;
      }
      const exc = fut.exception();
      if (exc !== null) {
        outer.setException(exc);
        return;
      }
    }
    if (nfinished === nfuts) {
      const results = children.map((f) => {
        if (f.cancelled()) return new CancelledError(f._cancelMessage ?? "");
        const e = f.exception();
        return e !== null ? e : f.result();
      });
      if (outer._cancelRequested) outer.setException(fut._makeCancelledError());
      else outer.setResult(results as unknown as Results<A>);
    }
  };
  Object.defineProperty(onChildDone, "_asyncioLabel", { value: "gather.doneCallback" });

  for (const arg of aws) {
    let fut = argToFut.get(arg);
    if (fut === undefined) {
      fut = ensureFuture(arg as AwaitableLike<unknown>, loop === null ? undefined : { loop });
      // Children made while no loop runs stay unbound until the gather is bound (awaited, or
      // run by a loop): their tasks start on the loop that drives the gather.
      if (loop === null) loop = fut._loop;
      if (fut !== arg && fut instanceof Task) fut._logDestroyPending = false;
      nfuts++;
      argToFut.set(arg, fut);
      if (fut.done()) doneFuts.push(fut);
      else fut.addDoneCallback(onChildDone);
    }
    children.push(fut);
  }
  if (loop !== null) for (const fut of children) fut._bind(loop);
  outer = new GatheringFuture<Results<A>>(children, loop);
  for (const fut of doneFuts) onChildDone(fut);
  return outer;
}

/** `returnWhen` values of `wait()`. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
export const ALL_COMPLETED = "ALL_COMPLETED";
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of `wait()`. */
export interface WaitOptions {
  /** Seconds to wait at most; when they pass, `wait` returns what is done so far. */
  timeout?: number | null;
  /** When to return: `FIRST_COMPLETED`, `FIRST_EXCEPTION` or `ALL_COMPLETED` (the default). */
  returnWhen?: ReturnWhen;
}

/**
 * Waits for the awaitables until `returnWhen` says enough (or `timeout` passes) and returns
 * `[done, pending]`, two Sets of futures. Nothing is cancelled on timeout. Awaitables of
 * different result types give futures of their union.
 */
export function wait<A extends AwaitableLike<unknown>>(aws: Iterable<A>, options?: WaitOptions): CoroutineObject<[Set<Future<ResultOf<A>>>, Set<Future<ResultOf<A>>>]>;
export function wait<T>(aws: Iterable<AwaitableLike<T>>, options?: WaitOptions): CoroutineObject<[Set<Future<T>>, Set<Future<T>>]>;
export function wait<T>(aws: Iterable<AwaitableLike<T>>, options?: WaitOptions): CoroutineObject<[Set<Future<T>>, Set<Future<T>>]> {
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  const timeout = options?.timeout ?? null;
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) throw new Error(`Invalid returnWhen value: ${repr(returnWhen)}`);
  const list = [...aws];
  if (list.length === 0) throw new Error("Set of Tasks/Futures is empty.");
  return new CoroutineObject("wait", {
    *gen() {
      const loop = _currentLoop();
      const fs = new Set(list.map((a) => ensureFuture(a, { loop })));
      return yield* waitImpl(fs, timeout, returnWhen, loop);
    },
  });
}

function* waitImpl<T>(fs: Set<Future<T>>, timeout: number | null, returnWhen: ReturnWhen, loop: AbstractEventLoop): GeneratorCoroutine<[Set<Future<T>>, Set<Future<T>>]> {
  const waiter = new Future<boolean>({ loop });
  let timeoutHandle: { cancel(): void } | null = null;
  if (timeout !== null)
    timeoutHandle = loop.callLater(timeout, () => {
      if (!waiter.done()) waiter.setResult(false);
    });
  let counter = fs.size;
  const onCompletion = (f: Future<T>): void => {
    counter--;
    if (counter <= 0 || returnWhen === FIRST_COMPLETED || (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f.exception() !== null)) {
      timeoutHandle?.cancel();
      if (!waiter.done()) waiter.setResult(true);
    }
  };
  for (const f of fs) f.addDoneCallback(onCompletion);
  try {
    yield* waiter;
  } finally {
    timeoutHandle?.cancel();
    for (const f of fs) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const f of fs) (f.done() ? done : pending).add(f);
  return [done, pending];
}

function* cancelAndWait(fut: Future<unknown>, loop: AbstractEventLoop): GeneratorCoroutine<void> {
  const waiter = new Future<void>({ loop });
  const release = (): void => {
    if (!waiter.done()) waiter.setResult(undefined);
  };
  fut.addDoneCallback(release);
  try {
    fut.cancel();
    yield* waiter;
  } finally {
    fut.removeDoneCallback(release);
  }
}

/**
 * `waitFor` with no time to wait (Python 3.12's `timeout <= 0` path): the outcome of `fut` if it
 * is done; otherwise `fut` is cancelled and waited for, and its cancellation becomes
 * TimeoutError (a result or an error it reached meanwhile is given as it is).
 */
function* resultOrTimeout<T>(fut: Future<T>, loop: AbstractEventLoop): GeneratorCoroutine<T> {
  const timedOut = !fut.done();
  if (timedOut) yield* cancelAndWait(fut, loop);
  try {
    return fut.result();
  } catch (exc) {
    // Only the cancellation made here is a timeout; a future cancelled before stays cancelled.
    if (timedOut && isCancelledError(exc)) throw new TimeoutError("", { cause: exc });
    throw exc;
  }
}

/**
 * Waits for `aw` for at most `timeout` seconds (`null`: no limit). On timeout, `aw` is
 * cancelled and waited for, then `TimeoutError` is thrown. Cancelling the waiter cancels `aw`,
 * and a cancelled waiter is always cancelled, also when `aw` finished meanwhile (gh-86296).
 */
export function waitFor<T>(aw: AwaitableLike<T>, timeout: number | null): CoroutineObject<T> {
  return new CoroutineObject<T>("waitFor", {
    *gen() {
      const loop = _currentLoop();
      const fut = ensureFuture(aw, { loop });
      if (timeout !== null && timeout !== undefined && timeout <= 0) return yield* resultOrTimeout(fut, loop);
      // Python 3.12's: `async with timeouts.timeout(timeout): return await fut`.
      return yield* timeoutAfter(timeout ?? null).run(function* waitForBody() {
        return yield* fut;
      });
    },
  });
}

/**
 * Protects `aw` from cancellation: cancelling the returned future (or the task awaiting it)
 * does not cancel `aw`, which goes on running.
 */
export function shield<T>(aw: AwaitableLike<T>): Future<T> {
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const loop = inner.getLoop();
  const outer = new Future<T>({ loop });
  const onInnerDone = (f: Future<T>): void => {
    if (outer.cancelled()) {
      if (!f.cancelled()) f.exception();
      return;
    }
    if (f.cancelled()) outer.cancel();
    else {
      const exc = f.exception();
      if (exc !== null) outer.setException(exc);
      else outer.setResult(f.result());
    }
  };
  const onOuterDone = (): void => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(onOuterDone);
  return outer;
}

/**
 * The awaitables in the order they finish. Iterate it to get coroutines that give one result
 * after another, each the next to finish when it is awaited (the 3.4 idiom:
 * `for (const f of asCompleted(fs)) yield* f`),
 * or use `for await` to get each finished future itself.
 * Awaitables of different result types give results of their union.
 * @throws TimeoutError (from the futures) when `timeout` seconds pass first.
 */
export function asCompleted<A extends AwaitableLike<unknown>>(aws: Iterable<A>, options?: { timeout?: number | null }): AsCompleted<ResultOf<A>>;
export function asCompleted<T>(aws: Iterable<AwaitableLike<T>>, options?: { timeout?: number | null }): AsCompleted<T>;
export function asCompleted<T>(aws: Iterable<AwaitableLike<T>>, options?: { timeout?: number | null }): AsCompleted<T> {
  return new AsCompleted(aws, options?.timeout ?? null);
}

/** The iterator `asCompleted()` returns: iterable and async-iterable. */
export class AsCompleted<T> implements Iterable<CoroutineObject<T>>, AsyncIterable<Future<T>> {
  private readonly _done: Future<T>[] = [];
  private readonly _todo = new Set<Future<T>>();
  // Results are boxed: a Promise would flatten a future that resolves to a future.
  private readonly _waiters: Future<{ f: Future<T> }>[] = [];
  private readonly _loop: AbstractEventLoop;
  private _timeoutHandle: { cancel(): void } | null = null;
  private _timedOut = false;
  private _handedOut = 0;
  private readonly _total: number;

  constructor(aws: Iterable<AwaitableLike<T>>, timeout: number | null) {
    this._loop = _getRunningLoop() ?? getEventLoop();
    const seen = new Set<unknown>();
    for (const a of aws) {
      if (seen.has(a)) continue;
      seen.add(a);
      this._todo.add(ensureFuture(a, { loop: this._loop }));
    }
    this._total = this._todo.size;
    const onDone = (f: Future<T>): void => {
      if (!this._todo.delete(f)) return;
      const w = this._waiters.shift();
      if (w !== undefined && !w.done()) w.setResult({ f });
      else this._done.push(f);
      if (this._todo.size === 0) this._timeoutHandle?.cancel();
    };
    for (const f of this._todo) f.addDoneCallback(onDone);
    if (timeout !== null && this._todo.size > 0) {
      this._timeoutHandle = this._loop.callLater(timeout, () => {
        this._timedOut = true;
        for (const f of this._todo) f.removeDoneCallback(onDone);
        this._todo.clear();
        for (const w of this._waiters.splice(0)) if (!w.done()) w.setException(new TimeoutError());
      });
    }
  }

  private _next(): Future<{ f: Future<T> }> {
    const w = new Future<{ f: Future<T> }>({ loop: this._loop });
    const f = this._done.shift();
    if (f !== undefined) w.setResult({ f });
    else if (this._timedOut) w.setException(new TimeoutError());
    else this._waiters.push(w);
    return w;
  }

  /**
   * Coroutines that give the results in finishing order. Each takes the next result when it is
   * awaited, not when it is handed out: awaiting the second one first gives the earliest result
   * (as in Python).
   */
  *[Symbol.iterator](): Iterator<CoroutineObject<T>> {
    for (; this._handedOut < this._total; this._handedOut++) {
      yield new CoroutineObject<T>("asCompleted.waitForOne", { gen: () => this._waitForOne() });
    }
  }

  private *_waitForOne(): GeneratorCoroutine<T> {
    const { f } = yield* this._next();
    return f.result();
  }

  /**
   * The finished futures themselves, in finishing order (Python 3.13's `async for`). Written
   * by hand because an async generator would await each yielded future and yield its result.
   */
  [Symbol.asyncIterator](): AsyncIterator<Future<T>> {
    return {
      next: () => {
        if (this._handedOut >= this._total) return Promise.resolve({ done: true, value: undefined });
        this._handedOut++;
        const w = this._next();
        return new Promise((resolve, reject) => {
          w.addDoneCallback((n) => {
            const exc = n.exception();
            if (exc !== null) reject(exc);
            else resolve({ done: false, value: n.result().f });
          });
        });
      },
    };
  }
}
