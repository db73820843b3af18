// Event loop vocabulary: callback handles, the running-loop bookkeeping, and the functions that
// find a loop (`getEventLoop`, `getRunningLoop`, `newEventLoop`, `setEventLoop`). The scheduler
// itself lives in base-events.ts; this module does not import it, so that futures and tasks can
// name loops without a cycle.

import { type Context, contextTask, runInContext } from "./context.js";
import { creationSite, formatCallback } from "./format.js";

/** What the loop hands its exception handler, as Python's context dict. */
export interface ExceptionContext {
  message?: string;
  exception?: unknown;
  future?: unknown;
  task?: unknown;
  handle?: unknown;
  protocol?: unknown;
  transport?: unknown;
  socket?: unknown;
  sourceTraceback?: readonly string[];
  handleTraceback?: readonly string[];
  [key: string]: unknown;
}

/** The parts of an event loop that handles, futures and tasks rely on. */
export interface LoopLike {
  getDebug(): boolean;
  isRunning(): boolean;
  isClosed(): boolean;
  time(): number;
  callSoon<A extends unknown[]>(cb: (...args: A) => unknown, ...args: A): Handle;
  callLater<A extends unknown[]>(delay: number, cb: (...args: A) => unknown, ...args: A): TimerHandle;
  callAt<A extends unknown[]>(when: number, cb: (...args: A) => unknown, ...args: A): TimerHandle;
  callExceptionHandler(context: ExceptionContext): void;
  /** @internal Schedules a callback with an explicit context (tasks use it for their steps). */
  _callSoonCtx<A extends unknown[]>(cb: (...args: A) => unknown, args: A, context: Context | undefined): Handle;
}

/**
 * A callback scheduled with `callSoon`: `cancel()` stops it from running. It runs in the async
 * context that was current when it was scheduled, as Python's handles run in theirs.
 */
export class Handle {
  /** @internal */ _callback: ((...args: never[]) => unknown) | null;
  /** @internal */ _args: unknown[] | null;
  /** @internal */ readonly _loop: LoopLike;
  /** @internal */ _context: Context | undefined;
  /** @internal */ _cancelled = false;
  /** @internal */ _sourceTraceback: string[] | null = null;
  /** @internal */ _cachedRepr: string | null = null;

  constructor(
    callback: (...args: never[]) => unknown,
    args: unknown[],
    loop: LoopLike,
    context: Context | undefined,
    sourceTraceback: string[] | null = null,
  ) {
    this._callback = callback;
    this._args = args;
    this._loop = loop;
    this._context = context;
    this._sourceTraceback = sourceTraceback;
  }

  /** Keeps the callback from running; a no-op when it already ran or was cancelled. */
  cancel(): void {
    if (!this._cancelled) {
      this._cancelled = true;
      if (this._loop.getDebug()) this._cachedRepr = this._formatRepr();
      this._callback = null;
      this._args = null;
    }
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** @internal Runs the callback; an error it throws goes to the loop's exception handler. */
  _run(): void {
    const cb = this._callback;
    if (cb !== null) invokeCallback(this._loop, cb, this._args as unknown[], this._context, this);
  }

  /** @internal Reports `exc` as an error of this callback. */
  _reportError(exc: unknown): void {
    const context: ExceptionContext = { message: `Exception in callback ${this._formatCallback()}`, exception: exc, handle: this };
    if (this._sourceTraceback) context.sourceTraceback = this._sourceTraceback;
    this._loop.callExceptionHandler(context);
  }

  /** @internal */
  _formatCallback(): string {
    return this._callback === null ? "<cancelled>" : formatCallback(this._callback, this._args ?? []);
  }

  /** @internal */
  _reprInfo(): string[] {
    const info: string[] = [this.constructor.name];
    if (this._cancelled) info.push("cancelled");
    if (this._callback !== null) info.push(this._formatCallback());
    const site = creationSite(this._sourceTraceback);
    if (site) info.push(`created at ${site}`);
    return info;
  }

  /** @internal */
  _formatRepr(): string {
    return `<${this._reprInfo().join(" ")}>`;
  }

  /** @internal */
  _repr(): string {
    return this._cachedRepr ?? this._formatRepr();
  }

  toString(): string {
    return this._repr();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this._repr();
  }
}

/**
 * @internal Calls `cb(...args)` in `context`, as a handle runs its callback: an error it throws,
 * or the rejection of the Promise it returns (an async function used as a callback), goes to the
 * loop's exception handler. `handle` names the callback in that report; the loop's I/O callbacks
 * run without one, and one is made only if they fail.
 */
export function invokeCallback(loop: LoopLike, cb: (...args: never[]) => unknown, args: unknown[], context: Context | undefined, handle: Handle | null): void {
  try {
    // No closure here (a captured variable would cost an allocation on every callback).
    const ret = context === undefined ? (cb as (...a: unknown[]) => unknown)(...args) : callInContext(context, cb, args);
    if (ret instanceof Promise) ret.then(undefined, (exc: unknown) => reportCallbackError(loop, cb, args, context, handle, exc));
  } catch (exc) {
    reportCallbackError(loop, cb, args, context, handle, exc);
  }
}

function callInContext(context: Context, cb: (...args: never[]) => unknown, args: unknown[]): unknown {
  return runInContext(context, () => (cb as (...a: unknown[]) => unknown)(...args));
}

function reportCallbackError(loop: LoopLike, cb: (...args: never[]) => unknown, args: unknown[], context: Context | undefined, handle: Handle | null, exc: unknown): void {
  (handle ?? new Handle(cb, args, loop, context))._reportError(exc);
}

/** A callback scheduled for a time on the loop's clock (`callLater`, `callAt`). */
export class TimerHandle extends Handle {
  /** @internal */ readonly _when: number;
  /** @internal */ readonly _seq: number;
  /** @internal */ _scheduled = false;

  constructor(
    when: number,
    seq: number,
    callback: (...args: never[]) => unknown,
    args: unknown[],
    loop: LoopLike,
    context: Context | undefined,
    sourceTraceback: string[] | null = null,
  ) {
    super(callback, args, loop, context, sourceTraceback);
    this._when = when;
    this._seq = seq;
  }

  /** The loop time (seconds) at which the callback is due. */
  when(): number {
    return this._when;
  }

  override cancel(): void {
    if (!this._cancelled) (this._loop as { _timerHandleCancelled?(h: TimerHandle): void })._timerHandleCancelled?.(this);
    super.cancel();
  }

  /** @internal */
  override _reprInfo(): string[] {
    const info = super._reprInfo();
    info.splice(this._cancelled ? 2 : 1, 0, `when=${this._when}`);
    return info;
  }
}

// ---------------------------------------------------------------------------------------------
// Running loops. Python keeps one running loop per thread. JavaScript has one thread, but
// `runForever()` returns a Promise, so several loops may be "running" at once; the loop that
// executes a callback right now, or the loop of the task whose code runs, tells them apart.

/** A loop as the policy functions see it; BaseEventLoop implements it. */
export interface EventLoopLike extends LoopLike {
  close(): void;
}

const runningLoops = new Set<EventLoopLike>();
let iteratingLoop: EventLoopLike | null = null;

/** What `_adoptWhenALoopRuns` holds: a future not yet bound to a loop. */
interface Adoptable {
  _bind(loop: LoopLike): boolean;
}

// Futures and tasks made while no loop ran and already waited for (awaited at the top of a
// script, or a Task that must start): the next loop that starts running adopts them, so that
// `await loop.runUntilComplete(main())` works for an async `main` that awaits `sleep()` before
// the loop runs. One loop usually runs at a time; the first to start is the one meant.
let orphans: Adoptable[] = [];

/** @internal Binds `fut` to the next loop that starts running (unless something binds it first). */
export function _adoptWhenALoopRuns(fut: Adoptable): void {
  orphans.push(fut);
}

/** @internal Called by a loop when `runForever` starts and ends. */
export function _registerRunning(loop: EventLoopLike, running: boolean): void {
  if (!running) {
    runningLoops.delete(loop);
    return;
  }
  runningLoops.add(loop);
  if (orphans.length > 0) {
    const adopted = orphans;
    orphans = [];
    for (const fut of adopted) fut._bind(loop);
  }
}

/** @internal Marks the loop whose callbacks run synchronously now; returns the previous one. */
export function _enterIteration(loop: EventLoopLike | null): EventLoopLike | null {
  const prev = iteratingLoop;
  iteratingLoop = loop;
  return prev;
}

/** @internal The running loop as `getRunningLoop()` finds it, or `null`. */
export function _getRunningLoop(): EventLoopLike | null {
  if (iteratingLoop !== null) return iteratingLoop;
  const task = contextTask();
  if (task !== undefined) {
    const loop = task._loopRef as EventLoopLike | null;
    if (loop !== null && runningLoops.has(loop)) return loop;
  }
  // Outside any callback or task (a native timer, an I/O callback of Node), the one running
  // loop is the answer; with several running, there is no way to tell, as in a foreign thread.
  if (runningLoops.size === 1) return runningLoops.values().next().value ?? null;
  return null;
}

/**
 * The loop running the current code: the loop of the current task (also after an `await` in an
 * async function the task started), or of the callback being run.
 *
 * @throws Error "no running event loop" outside a running loop, as Python's RuntimeError.
 * @example
 * ```ts
 * await asyncio.run(async () => {
 *   const loop = asyncio.getRunningLoop();
 *   console.log(loop.time());
 * });
 * ```
 */
export function getRunningLoop(): EventLoopLike {
  const loop = _getRunningLoop();
  if (loop === null) throw new Error("no running event loop");
  return loop;
}

let loopFactory: (() => EventLoopLike) | null = null;
let currentLoop: EventLoopLike | null = null;

/** @internal base-events.ts registers how a new loop is made. */
export function _setLoopFactory(factory: () => EventLoopLike): void {
  loopFactory = factory;
}

/** A new event loop, not yet running and not the current one. */
export function newEventLoop(): EventLoopLike {
  if (loopFactory === null) throw new Error("asyncio-ts: no event loop implementation registered");
  return loopFactory();
}

/**
 * The running loop when there is one; otherwise the current loop, made on first use (as Python
 * 3.4's `get_event_loop()` in the main thread).
 */
export function getEventLoop(): EventLoopLike {
  const running = _getRunningLoop();
  if (running !== null) return running;
  if (currentLoop === null || currentLoop.isClosed()) currentLoop = newEventLoop();
  return currentLoop;
}

/** Makes `loop` the current loop (`null` forgets it), as `getEventLoop()` returns it. */
export function setEventLoop(loop: EventLoopLike | null): void {
  currentLoop = loop;
}

/** @internal The current loop without making one. */
export function _getCurrentLoop(): EventLoopLike | null {
  return currentLoop;
}
