// base-events.ts: BaseEventLoop, the scheduler. A FIFO ready queue, a heap of timers, and Python's
// `_run_once` turned inside out so that it runs on Node's own event loop without blocking it:
// each iteration is a microtask (so the continuations of async functions run between
// iterations, as Python's tasks run between callbacks), and every millisecond or so the loop
// yields a macrotask turn to Node so that its sockets and timers are served.
//
// Invariants:
// - An iteration runs the callbacks that were ready when it began (plus timers due by then),
//   in FIFO order; callbacks scheduled meanwhile run in the next iteration.
// - A loop that is not running runs nothing: callbacks only queue up.
// - At most one wake-up (microtask, immediate or Node timer) is pending at any time.

import { copyContext, runClean, runInContext, type Context } from "./context.js";
import type { CoroutineObject } from "./coroutines.js";
import type { CreateDatagramEndpointOptions } from "./datagram-transports.js";
import {
  Handle,
  TimerHandle,
  invokeCallback,
  _enterIteration,
  _registerRunning,
  type AbstractEventLoop,
  type CreateConnectionOptions,
  type CreateServerOptions,
  type ExceptionContext,
  type ExceptionHandler,
} from "./events.js";
import { Future, isFuture } from "./futures.js";
import { heapPop, heapPush, heapify } from "./heapq.js";
import type { Address, BaseProtocol } from "./protocols.js";
import type { ProtocolFactory, Server } from "./socket-transports.js";
import type { SubprocessOptions } from "./subprocess-transports.js";
import type { DatagramTransport, SocketExtraInfo, SubprocessTransport, Transport } from "./transports.js";
import { Task, ensureFuture, taskStep, type CoroutineLike, type TaskOptions } from "./tasks.js";
import { debugFromEnv, reportNeverRetrieved } from "./debug.js";
import { extractStack, repr } from "./format.js";
import { logger } from "./log.js";

/**
 * @internal What a loop tells its recorder (timeline.ts) while one is set: the work it runs,
 * timed with `performance.now()` (milliseconds). Set and cleared by `timeline()` only.
 */
export interface LoopRecorder {
  /** An iteration begins. Whatever promise job the recorder was timing is the loop's own wake-up. */
  _iteration(): void;
  /** `handle` (a ready callback, a task step, or a timer off the heap) ran from `start` to `end`. */
  _handle(handle: Handle, start: number, end: number): void;
  /** An I/O callback (`_runIOCallback`) ran from `start` to `end`. */
  _io(cb: (...args: never[]) => unknown, start: number, end: number): void;
}

/**
 * A clock a loop can run on instead of real time: `new EventLoop({ clock })`. Tests give a loop
 * virtual time with one (`MockClock` from `asyncio-ts/testing`, as Trio's `trio.abc.Clock` and
 * `MockClock`). The loop reads the time only through `time()`, and asks the clock how long to
 * wait, in real time, whenever it has nothing to do but wait for a timer.
 */
export interface LoopClock {
  /** The time in seconds: what `loop.time()` returns, and what timers are due by. */
  time(): number;
  /**
   * The loop has nothing ready and its next timer is due at `deadline` (this clock's time):
   * how many real seconds it should wait before it looks at its timers again. Less than a
   * millisecond means "at the next macrotask turn". A callback that becomes ready meanwhile (an
   * I/O event, `callSoon` from outside) ends the wait early, and the clock is asked again later.
   */
  deadlineToSleepTime(deadline: number): number;
  /**
   * Optional: the wait is over and the loop still has nothing ready before `deadline`; it looks
   * at its timers right after this call. A virtual clock may move to `deadline` here (Trio's
   * autojump). Pending microtasks and I/O callbacks have had their turn before it.
   */
  idle?(deadline: number): void;
}

/** Options of `new EventLoop()` (and of `BaseEventLoop`'s constructor). */
export interface EventLoopOptions {
  /** The loop's clock; by default real time (`performance.now()`, in seconds). */
  clock?: LoopClock;
}

const WAKE_NONE = 0;
const WAKE_SOON = 1;
const WAKE_TIMER = 2;

/** How long the loop may run iterations back to back as microtasks before it lets Node in. */
const SLICE_MS = 1;
/** More cancelled timers than this (and over half the heap) and the heap is rebuilt, as Python does. */
const MIN_SCHEDULED_TIMER_HANDLES = 100;

const now = (): number => performance.now();

/** Scheduling a reaction on a settled promise is the cheapest way to queue a microtask. */
const RESOLVED = Promise.resolve();
/** The clock is read every this many microtask wake-ups, not on each (it costs ~50 ns). */
const SLICE_CHECK_EVERY = 8;

/**
 * An asyncio event loop running on Node's event loop: the scheduler (callbacks, timers, futures,
 * tasks), without networking. Abstract as CPython's is in effect: EventLoop (node-events.ts)
 * adds the networking methods, and is what `newEventLoop()` makes.
 *
 * @example
 * ```ts
 * const loop = asyncio.newEventLoop();
 * loop.callLater(0.1, () => loop.stop());
 * await loop.runForever();
 * loop.close();
 * ```
 */
export abstract class BaseEventLoop implements AbstractEventLoop {
  /** Callbacks slower than this many seconds are logged in debug mode. */
  slowCallbackDuration = 0.1;

  private _ready: Handle[] = [];
  private _spare: Handle[] = [];
  private _timers: TimerHandle[] = [];
  private _timerSeq = 0;
  private _timerCancelledCount = 0;
  private _running = false;
  private _stopping = false;
  private _closed = false;
  private _debug: boolean;
  private _exceptionHandler: ExceptionHandler | null = null;
  private _inIteration = false;
  private _wake = WAKE_NONE;
  private _wakeTimeout: NodeJS.Timeout | null = null;
  private _wakeImmediate: NodeJS.Immediate | null = null;
  private _wakeAt = Infinity;
  private _sliceStart = 0;
  private _sliceWakes = 0;
  private _runDone: (() => void) | null = null;
  /** The clock given to the constructor, or null for real time (tested in `time()`: one field test). */
  private readonly _clock: LoopClock | null;
  /**
   * @internal The timeline's recorder while one records this loop, else null. Tested once per
   * iteration (and once per I/O callback), never per callback: a loop nobody records pays one
   * field test per iteration for it.
   */
  _recorder: LoopRecorder | null = null;
  private readonly _runOnceBound = (): void => this._runOnce();
  private readonly _tickMicro = (): void => runClean(this._runOnceBound);
  private readonly _tickMacro = (): void => {
    this._wakeTimeout = null;
    this._wakeImmediate = null;
    this._sliceStart = now();
    // Still WAKE_TIMER: this turn is the end of a wait for a timer, with nothing ready (a ready
    // callback would have replaced the wait with a soon wake-up).
    if (this._wake === WAKE_TIMER && this._clock !== null) this._clock.idle?.(this._wakeAt);
    runClean(this._runOnceBound);
  };

  /** A loop on real time, or on `options.clock`. */
  constructor(options?: EventLoopOptions) {
    this._debug = debugFromEnv();
    this._clock = options?.clock ?? null;
  }

  // -- Running and stopping --------------------------------------------------------------------

  /**
   * Runs the loop until `stop()` is called. Returns a Promise, since JavaScript cannot block:
   * it settles when the loop has stopped.
   * @throws Error "This event loop is already running" / "Event loop is closed".
   */
  runForever(): Promise<void> {
    this._checkClosed();
    this._checkRunning();
    this._running = true;
    _registerRunning(this, true);
    this._sliceStart = now();
    return new Promise<void>((resolve) => {
      this._runDone = resolve;
      this._wakeSoon();
    });
  }

  /**
   * Runs the loop until `future` is done and returns its result. `future` may be a Future, a
   * coroutine, or a function returning one (started inside the loop, as a Task).
   * @throws the future's exception; Error "Event loop stopped before Future completed."
   */
  async runUntilComplete<T>(future: CoroutineLike<T> | Future<T> | PromiseLike<T>): Promise<T> {
    this._checkClosed();
    this._checkRunning();
    const newTask = !isFuture(future);
    const fut = ensureFuture(future, { loop: this });
    if (newTask && fut instanceof Task) fut._logDestroyPending = false;
    const stopWhenDone = (f: Future<T>): void => {
      f.getLoop().stop();
    };
    (stopWhenDone as { _asyncioLabel?: string })._asyncioLabel = "runUntilCompleteCb";
    fut.addDoneCallback(stopWhenDone);
    try {
      await this.runForever();
    } finally {
      fut.removeDoneCallback(stopWhenDone);
    }
    if (!fut.done()) throw new Error("Event loop stopped before Future completed.");
    return fut.result();
  }

  /**
   * Stops the loop after the callbacks of the current iteration; before `runForever()`, makes
   * the next run do one iteration and stop.
   */
  stop(): void {
    this._stopping = true;
    if (this._running && !this._inIteration && this._wake !== WAKE_SOON) this._wakeSoon();
  }

  /** True between `runForever()` and the iteration that stops it. */
  isRunning(): boolean {
    return this._running;
  }

  /** True after `close()`. */
  isClosed(): boolean {
    return this._closed;
  }

  /**
   * Closes the loop: pending callbacks and timers are dropped. Idempotent.
   * @throws Error "Cannot close a running event loop".
   */
  close(): void {
    if (this._running) throw new Error("Cannot close a running event loop");
    if (this._closed) return;
    if (this._debug) logger.debug(`Close ${this.toString()}`);
    // Failures nobody retrieved are reported now: a script ends before the collector would.
    reportNeverRetrieved.flush(this);
    this._closed = true;
    this._ready.length = 0;
    for (const t of this._timers) t._scheduled = false;
    this._timers.length = 0;
    this._timerCancelledCount = 0;
    this._clearWake();
  }

  // -- Scheduling --------------------------------------------------------------------------------

  /** The loop's clock: seconds, monotonic (the clock's time when the loop was given one). */
  time(): number {
    return this._clock === null ? now() / 1000 : this._clock.time();
  }

  /**
   * Schedules `cb(...args)` for the next iteration. Callbacks run in the order scheduled.
   * @returns a Handle whose `cancel()` keeps it from running.
   * @throws Error "Event loop is closed".
   */
  callSoon<A extends unknown[]>(cb: (...args: A) => unknown, ...args: A): Handle {
    return this._callSoonCtx(cb, args, copyContext());
  }

  /** @internal callSoon with the context given, as Python's `call_soon(..., context=)`. */
  _callSoonCtx<A extends unknown[]>(cb: (...args: A) => unknown, args: A, context: Context | undefined): Handle {
    this._checkClosed();
    if (this._debug) this._checkCallback(cb, "callSoon");
    const handle = new Handle(cb as (...args: never[]) => unknown, args, this, context, this._debug ? extractStack() : null);
    this._ready.push(handle);
    if (this._wake !== WAKE_SOON && this._running && !this._inIteration) this._wakeSoon();
    return handle;
  }

  /** Schedules `cb(...args)` in `delay` seconds. */
  callLater<A extends unknown[]>(delay: number, cb: (...args: A) => unknown, ...args: A): TimerHandle {
    if (typeof delay !== "number" || Number.isNaN(delay)) throw new TypeError(`delay must be a number, not ${repr(delay)}`);
    return this._callAt(this.time() + delay, cb as (...args: never[]) => unknown, args);
  }

  /** Schedules `cb(...args)` at loop time `when` (seconds, as `time()` gives). */
  callAt<A extends unknown[]>(when: number, cb: (...args: A) => unknown, ...args: A): TimerHandle {
    if (typeof when !== "number" || Number.isNaN(when)) throw new TypeError(`when must be a number, not ${repr(when)}`);
    return this._callAt(when, cb as (...args: never[]) => unknown, args);
  }

  private _callAt(when: number, cb: (...args: never[]) => unknown, args: unknown[]): TimerHandle {
    this._checkClosed();
    if (this._debug) this._checkCallback(cb, "callAt");
    const timer = new TimerHandle(when, this._timerSeq++, cb, args, this, copyContext(), this._debug ? extractStack() : null);
    heapPush(this._timers, timer, before);
    timer._scheduled = true;
    if (this._running && !this._inIteration && this._wake !== WAKE_SOON && when < this._wakeAt) this._wakeAtTime(when);
    return timer;
  }

  /**
   * @internal Runs a callback for an I/O event (data on a socket, a child exiting). While the
   * loop runs, it runs now, as Python's selector callbacks run within an iteration: the loop
   * counts as running and errors go to the exception handler. While the loop is stopped it is
   * queued, so a loop that is not running runs nothing.
   */
  _runIOCallback<A extends unknown[]>(cb: (...args: A) => unknown, args: A, context: Context | undefined): void {
    if (this._closed) return;
    if (!this._running || this._inIteration) {
      this._callSoonCtx(cb, args, context);
      return;
    }
    const prevLoop = _enterIteration(this);
    const rec = this._recorder;
    const t0 = rec === null ? 0 : now();
    try {
      // Node runs I/O callbacks in the async context the socket was made in (maybe a task's);
      // the callback runs as a handle's would, without making a Handle unless it fails.
      runClean(invokeCallback, this, cb as (...args: never[]) => unknown, args, context, null);
    } finally {
      _enterIteration(prevLoop);
      if (rec !== null) rec._io(cb as (...args: never[]) => unknown, t0, now());
    }
  }

  /** @internal The timers still to run, soonest first (for the monitor: a copy, sorted). */
  _pendingTimers(): TimerHandle[] {
    return this._timers.filter((t) => !t._cancelled).sort((x, y) => (before(x, y) ? -1 : 1));
  }

  /** @internal Called by TimerHandle.cancel(). */
  _timerHandleCancelled(timer: TimerHandle): void {
    if (timer._scheduled) this._timerCancelledCount++;
  }

  /** A new Future on this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>({ loop: this });
  }

  /**
   * Wraps a coroutine (or a function returning one) in a Task on this loop; it starts on the
   * loop's next iteration.
   */
  createTask<T>(coro: CoroutineLike<T>, options?: Omit<TaskOptions, "loop">): Task<T> {
    this._checkClosed();
    return new Task<T>(coro, { ...options, loop: this });
  }

  // -- Networking: implemented by EventLoop (node-events.ts), documented there -------------------

  abstract createServer<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    host?: string | string[] | null,
    port?: number | null,
    options?: CreateServerOptions,
  ): CoroutineObject<Server<Address>>;
  abstract createConnection<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    host: string,
    port: number,
    options?: CreateConnectionOptions,
  ): CoroutineObject<[Transport<SocketExtraInfo<Address>>, P]>;
  abstract createUnixServer<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    path: string,
    options?: Pick<CreateServerOptions, "backlog" | "startServing">,
  ): CoroutineObject<Server<string>>;
  abstract createUnixConnection<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, path: string): CoroutineObject<[Transport<SocketExtraInfo<string>>, P]>;
  abstract createDatagramEndpoint<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, options?: CreateDatagramEndpointOptions): CoroutineObject<[DatagramTransport, P]>;
  abstract subprocessExec<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    program: string,
    args?: readonly string[],
    options?: SubprocessOptions,
  ): CoroutineObject<[SubprocessTransport, P]>;
  abstract subprocessShell<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, cmd: string, options?: SubprocessOptions): CoroutineObject<[SubprocessTransport, P]>;

  // -- Debug and errors ---------------------------------------------------------------------------

  /** Whether debug mode is on (initially: whether `ASYNCIO_DEBUG` is set). */
  getDebug(): boolean {
    return this._debug;
  }

  /** Turns debug mode on or off. */
  setDebug(enabled: boolean): void {
    this._debug = enabled;
  }

  /** Sets the handler for errors nobody else can catch; `null` restores the default. */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") throw new TypeError(`A callable object or null is expected, got ${repr(handler)}`);
    this._exceptionHandler = handler;
  }

  /** The handler set with `setExceptionHandler`, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this._exceptionHandler;
  }

  /**
   * Logs the context's message, its other keys and the exception's stack to `asyncio.logger`,
   * in the context of the code that failed (the callback's or the task's), as the slow-callback
   * warning is: the loop reports after leaving that context, and whoever scheduled the code (a
   * kernel cell) must still hear of it.
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    runInContext(failingContext(context), () => logReport(context));
  }

  /**
   * Hands `context` to the exception handler. Never throws: an error in the handler itself is
   * logged by the default handler.
   */
  callExceptionHandler(context: ExceptionContext): void {
    if (this._exceptionHandler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch (exc) {
        logger.error("Exception in default exception handler", exc);
      }
      return;
    }
    try {
      this._exceptionHandler(this, context);
    } catch (exc) {
      try {
        this.defaultExceptionHandler({ message: "Unhandled error in exception handler", exception: exc, context });
      } catch {
        logger.error("Exception in default exception handler while handling an unexpected error in custom exception handler", exc);
      }
    }
  }

  toString(): string {
    return `<${this.constructor.name} running=${this._running} closed=${this._closed} debug=${this._debug}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // -- The iteration ------------------------------------------------------------------------------

  /** @internal */
  protected _runOnce(): void {
    this._wake = WAKE_NONE;
    this._wakeAt = Infinity;
    if (!this._running) return;
    const prevLoop = _enterIteration(this);
    this._inIteration = true;
    const timers = this._timers;
    if (timers.length > 0) {
      if (timers.length > MIN_SCHEDULED_TIMER_HANDLES && this._timerCancelledCount * 2 > timers.length) this._dropCancelledTimers();
      const end = this.time();
      while (timers.length > 0 && (timers[0] as TimerHandle)._when <= end) {
        const timer = heapPop(timers, before);
        timer._scheduled = false;
        if (timer._cancelled) this._timerCancelledCount--;
        else this._ready.push(timer);
      }
    }
    const batch = this._ready;
    this._ready = this._spare;
    try {
      if (this._recorder !== null) this._runBatchRecorded(batch, this._recorder);
      else if (this._debug) this._runBatchDebug(batch);
      else for (let i = 0; i < batch.length; i++) (batch[i] as Handle)._run();
    } finally {
      batch.length = 0;
      this._spare = batch;
      this._inIteration = false;
      _enterIteration(prevLoop);
    }
    if (this._stopping) this._finishRun();
    else this._scheduleNext();
  }

  private _runBatchDebug(batch: Handle[]): void {
    for (const handle of batch) {
      if (handle._cancelled) continue;
      const t0 = this.time();
      handle._run();
      const dt = this.time() - t0;
      // Logged in the callback's own context, so that whoever scheduled it (a kernel cell) hears of it.
      if (dt >= this.slowCallbackDuration) runInContext(handle._context, () => logger.warning(`Executing ${formatHandle(handle)} took ${dt.toFixed(3)} seconds`));
    }
  }

  /**
   * The batch while a timeline records: each handle is timed and reported. Debug mode's slow
   * callbacks are still logged (with the same clock as the recording, so the picture and the
   * log agree).
   */
  private _runBatchRecorded(batch: Handle[], rec: LoopRecorder): void {
    rec._iteration();
    for (let i = 0; i < batch.length; i++) {
      const handle = batch[i] as Handle;
      if (handle._cancelled) continue;
      const t0 = now();
      handle._run();
      const t1 = now();
      rec._handle(handle, t0, t1);
      if (this._debug) {
        const dt = (t1 - t0) / 1000;
        if (dt >= this.slowCallbackDuration) runInContext(handle._context, () => logger.warning(`Executing ${formatHandle(handle)} took ${dt.toFixed(3)} seconds`));
      }
    }
  }

  private _finishRun(): void {
    this._stopping = false;
    this._running = false;
    _registerRunning(this, false);
    this._clearWake();
    const done = this._runDone;
    this._runDone = null;
    done?.();
  }

  private _scheduleNext(): void {
    if (this._ready.length > 0) this._wakeSoon();
    else if (this._timers.length > 0) this._wakeAtTime((this._timers[0] as TimerHandle)._when);
  }

  /** @internal */
  protected _wakeSoon(): void {
    if (this._wake === WAKE_TIMER) this._clearWake();
    this._wake = WAKE_SOON;
    this._wakeAt = -Infinity;
    if (++this._sliceWakes % SLICE_CHECK_EVERY !== 0 || now() - this._sliceStart < SLICE_MS) void RESOLVED.then(this._tickMicro);
    else this._wakeImmediate = setImmediate(this._tickMacro);
  }

  /** @internal */
  protected _wakeAtTime(when: number): void {
    this._clearWake();
    this._wake = WAKE_TIMER;
    this._wakeAt = when;
    const ms = (this._clock === null ? when - this.time() : this._clock.deadlineToSleepTime(when)) * 1000;
    // Node's timers have millisecond granularity and may fire a little early by our clock; the
    // last fraction of a millisecond is waited out with immediates, so timers are not late.
    if (ms < 1) this._wakeImmediate = setImmediate(this._tickMacro);
    else this._wakeTimeout = setTimeout(this._tickMacro, Math.floor(ms));
  }

  private _clearWake(): void {
    if (this._wakeTimeout !== null) {
      clearTimeout(this._wakeTimeout);
      this._wakeTimeout = null;
    }
    if (this._wakeImmediate !== null) {
      clearImmediate(this._wakeImmediate);
      this._wakeImmediate = null;
    }
    this._wake = WAKE_NONE;
    this._wakeAt = Infinity;
  }

  private _dropCancelledTimers(): void {
    const live = this._timers.filter((t) => {
      if (t._cancelled) t._scheduled = false;
      return !t._cancelled;
    });
    // In place: _runOnce holds the array.
    this._timers.length = 0;
    for (const t of live) this._timers.push(t);
    heapify(this._timers, before);
    this._timerCancelledCount = 0;
  }

  private _checkClosed(): void {
    if (this._closed) throw new Error("Event loop is closed");
  }

  private _checkRunning(): void {
    if (this._running) throw new Error("This event loop is already running");
  }

  private _checkCallback(cb: unknown, method: string): void {
    if (typeof cb !== "function") throw new TypeError(`a callable object was expected by ${method}(), got ${repr(cb)}`);
  }
}

/** A slow task step is reported as the task, which says more than `Task.step()`. */
function formatHandle(handle: Handle): string {
  return handle._callback === taskStep && handle._args !== null ? repr(handle._args[0]) : handle.toString();
}

// Timers are a heap (heapq.ts) ordered by (when, seq): timers due at the same time run in the
// order they were made.
function before(a: TimerHandle, b: TimerHandle): boolean {
  return a._when < b._when || (a._when === b._when && a._seq < b._seq);
}

/** What the default exception handler logs: the message, the context's other keys, the exception. */
function logReport(context: ExceptionContext): void {
  const message = context.message || "Unhandled exception in event loop";
  const lines = [message];
  for (const key of Object.keys(context).sort()) {
    if (key === "message" || key === "exception") continue;
    const value = context[key];
    if (key === "sourceTraceback" || key === "handleTraceback") {
      const label = key === "sourceTraceback" ? "Object created at (most recent call first):" : "Handle created at (most recent call first):";
      lines.push(`${label}\n  ${(value as string[]).join("\n  ")}`);
    } else {
      lines.push(`${key}: ${typeof value === "string" ? value : repr(value)}`);
    }
  }
  logger.error(lines.join("\n"), context.exception);
}

/** The context a report is about: the failing callback's or task's, else the current one. */
function failingContext(context: ExceptionContext): Context | undefined {
  const { handle, task } = context;
  if (handle instanceof Handle) return handle._context;
  if (task instanceof Task) return task._context;
  return copyContext();
}
