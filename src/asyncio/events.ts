// events.ts: the event loop's interface (`AbstractEventLoop`, as CPython's events.py declares
// it), callback handles, the running-loop bookkeeping, and the functions that find a loop
// (`getEventLoop`, `getRunningLoop`, `newEventLoop`, `setEventLoop`). The scheduler is
// base-events.ts, the loop users get (with networking) node-events.ts. This module imports
// neither at run time (only their types), so that futures and tasks can name the loop without
// an import cycle.

import { type Context, contextTask, runInContext } from "./context.js";
import type { CoroutineObject } from "./coroutines.js";
import type { CreateDatagramEndpointOptions } from "./datagram-transports.js";
import { creationSite, formatCallback } from "./format.js";
import type { Future } from "./futures.js";
import type { Address, BaseProtocol } from "./protocols.js";
import type { ProtocolFactory, Server } from "./socket-transports.js";
import type { SubprocessOptions } from "./subprocess-transports.js";
import type { CoroutineLike, Task, TaskOptions } from "./tasks.js";
import type { DatagramTransport, SocketExtraInfo, SubprocessTransport, Transport } from "./transports.js";

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

/** `loop.setExceptionHandler(handler)`: receives the loop and Python's context dict. */
export type ExceptionHandler = (loop: AbstractEventLoop, context: ExceptionContext) => void;

/** Options of `loop.createServer()`. */
export interface CreateServerOptions {
  /** The listen backlog (Python's default: 100). */
  backlog?: number;
  /** Start accepting at once (the default); `false` waits for `server.startServing()`. */
  startServing?: boolean;
  /** Only IPv4 (4) or IPv6 (6) addresses of the host. */
  family?: 0 | 4 | 6;
  /** Listen on an IPv6 address only, not on its IPv4-mapped twin. */
  ipv6Only?: boolean;
}

/** Options of `loop.createConnection()`. */
export interface CreateConnectionOptions {
  /** Connect over IPv4 (4) or IPv6 (6) only. */
  family?: 0 | 4 | 6;
  /** `[host, port]` to bind the local end to. */
  localAddr?: [string, number];
}

/**
 * An asyncio event loop: what `getEventLoop()`, `getRunningLoop()`, `newEventLoop()` and
 * `Future.getLoop()` return, as CPython's `AbstractEventLoop`. `EventLoop` (node-events.ts)
 * implements it; each method is documented there and in `BaseEventLoop`.
 *
 * @example
 * ```ts
 * const loop: asyncio.AbstractEventLoop = new asyncio.Future().getLoop();
 * const fut = loop.createFuture<string>();
 * loop.callSoon(() => fut.setResult("done"));
 * loop.createTask(async () => { await fut; loop.stop(); });
 * await loop.runForever();
 * loop.close();
 * ```
 */
export interface AbstractEventLoop {
  /** Callbacks slower than this many seconds are logged in debug mode. */
  slowCallbackDuration: number;

  // Running and stopping.
  /** Runs until `stop()`; the Promise settles when the loop has stopped. */
  runForever(): Promise<void>;
  /** Runs until `future` is done and returns its result (a coroutine is wrapped in a Task). */
  runUntilComplete<T>(future: CoroutineLike<T> | Future<T> | PromiseLike<T>): Promise<T>;
  /** Stops the loop after the callbacks of the current iteration. */
  stop(): void;
  /** True between `runForever()` and the iteration that stops it. */
  isRunning(): boolean;
  /** True after `close()`. */
  isClosed(): boolean;
  /** Closes the loop: pending callbacks and timers are dropped. */
  close(): void;

  // Scheduling.
  /** The loop's clock: seconds, monotonic. */
  time(): number;
  /** Schedules `cb(...args)` for the next iteration. */
  callSoon<A extends unknown[]>(cb: (...args: A) => unknown, ...args: A): Handle;
  /** Schedules `cb(...args)` in `delay` seconds. */
  callLater<A extends unknown[]>(delay: number, cb: (...args: A) => unknown, ...args: A): TimerHandle;
  /** Schedules `cb(...args)` at loop time `when`. */
  callAt<A extends unknown[]>(when: number, cb: (...args: A) => unknown, ...args: A): TimerHandle;
  /** @internal callSoon with the context given, as Python's `call_soon(..., context=)` (tasks schedule their steps with it). */
  _callSoonCtx<A extends unknown[]>(cb: (...args: A) => unknown, args: A, context: Context | undefined): Handle;

  // Futures and tasks.
  /** A new Future on this loop. */
  createFuture<T = unknown>(): Future<T>;
  /** Wraps a coroutine (or a function returning one) in a Task on this loop. */
  createTask<T>(coro: CoroutineLike<T>, options?: Omit<TaskOptions, "loop">): Task<T>;

  // Networking, datagrams, subprocesses (coroutines: await them).
  /** Listens on `host`:`port` and makes a protocol for each connection. */
  createServer<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    host?: string | string[] | null,
    port?: number | null,
    options?: CreateServerOptions,
  ): CoroutineObject<Server<Address>>;
  /** Connects to `host`:`port`: `[transport, protocol]`. */
  createConnection<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    host: string,
    port: number,
    options?: CreateConnectionOptions,
  ): CoroutineObject<[Transport<SocketExtraInfo<Address>>, P]>;
  /** As `createServer`, on a Unix socket at `path`. */
  createUnixServer<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    path: string,
    options?: Pick<CreateServerOptions, "backlog" | "startServing">,
  ): CoroutineObject<Server<string>>;
  /** As `createConnection`, to a Unix socket at `path`. */
  createUnixConnection<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, path: string): CoroutineObject<[Transport<SocketExtraInfo<string>>, P]>;
  /** Opens a UDP endpoint: `[transport, protocol]`. */
  createDatagramEndpoint<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, options?: CreateDatagramEndpointOptions): CoroutineObject<[DatagramTransport, P]>;
  /** Runs `program` with `args` (no shell) as a child process: `[transport, protocol]`. */
  subprocessExec<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    program: string,
    args?: readonly string[],
    options?: SubprocessOptions,
  ): CoroutineObject<[SubprocessTransport, P]>;
  /** Runs `cmd` through the shell as `subprocessExec` does. */
  subprocessShell<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, cmd: string, options?: SubprocessOptions): CoroutineObject<[SubprocessTransport, P]>;

  // Debug and errors.
  /** Whether debug mode is on. */
  getDebug(): boolean;
  /** Turns debug mode on or off. */
  setDebug(enabled: boolean): void;
  /** Sets the handler for errors nobody else can catch; `null` restores the default. */
  setExceptionHandler(handler: ExceptionHandler | null): void;
  /** The handler set with `setExceptionHandler`, or `null`. */
  getExceptionHandler(): ExceptionHandler | null;
  /** Logs the context's message, its other keys and the exception to `asyncio.logger`. */
  defaultExceptionHandler(context: ExceptionContext): void;
  /** Hands `context` to the exception handler; never throws. */
  callExceptionHandler(context: ExceptionContext): void;
}

/**
 * A callback scheduled with `callSoon`: `cancel()` stops it from running. It runs in the async
 * context that was current when it was scheduled, as Python's handles run in theirs.
 */
export class Handle {
  /** @internal */ _callback: ((...args: never[]) => unknown) | null;
  /** @internal */ _args: unknown[] | null;
  /** @internal */ readonly _loop: AbstractEventLoop;
  /** @internal */ _context: Context | undefined;
  /** @internal */ _cancelled = false;
  /** @internal */ _sourceTraceback: string[] | null = null;
  /** @internal */ _cachedRepr: string | null = null;

  constructor(callback: (...args: never[]) => unknown, args: unknown[], loop: AbstractEventLoop, context: Context | undefined, sourceTraceback: string[] | null = null) {
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
export function invokeCallback(loop: AbstractEventLoop, cb: (...args: never[]) => unknown, args: unknown[], context: Context | undefined, handle: Handle | null): void {
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

function reportCallbackError(loop: AbstractEventLoop, cb: (...args: never[]) => unknown, args: unknown[], context: Context | undefined, handle: Handle | null, exc: unknown): void {
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
    loop: AbstractEventLoop,
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

const runningLoops = new Set<AbstractEventLoop>();
let iteratingLoop: AbstractEventLoop | null = null;

/** What `_adoptWhenALoopRuns` holds: a future not yet bound to a loop. */
interface Adoptable {
  _bind(loop: AbstractEventLoop): boolean;
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
export function _registerRunning(loop: AbstractEventLoop, running: boolean): void {
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
export function _enterIteration(loop: AbstractEventLoop | null): AbstractEventLoop | null {
  const prev = iteratingLoop;
  iteratingLoop = loop;
  return prev;
}

/** @internal The running loop as `getRunningLoop()` finds it, or `null`. */
export function _getRunningLoop(): AbstractEventLoop | null {
  if (iteratingLoop !== null) return iteratingLoop;
  const task = contextTask();
  if (task !== undefined) {
    const loop = task._loopRef as AbstractEventLoop | null;
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
export function getRunningLoop(): AbstractEventLoop {
  const loop = _getRunningLoop();
  if (loop === null) throw new Error("no running event loop");
  return loop;
}

// The loop `newEventLoop()` makes is node-events.ts's EventLoop. This module cannot import that
// class: EventLoop needs futures and tasks, which need this module, and a static import would
// make `class Task extends Future` run before Future exists whenever futures.ts is imported
// first (futures.ts must be able to make a loop: an unbound future's `getLoop()`, as Python
// 3.4's `get_event_loop()`). CPython's events.py has the same need and imports the default
// lazily; here node-events.ts names its class when it is evaluated, which is before any loop
// can be asked for (index.ts and every public entry import it).
let defaultLoopClass: (new () => AbstractEventLoop) | null = null;
let currentLoop: AbstractEventLoop | null = null;

/** @internal node-events.ts names the loop class `newEventLoop()` makes. */
export function _setDefaultLoopClass(loopClass: new () => AbstractEventLoop): void {
  defaultLoopClass = loopClass;
}

/**
 * A new event loop (an `EventLoop`), not yet running and not the current one.
 * @example
 * ```ts
 * const loop = asyncio.newEventLoop();
 * loop.callLater(0.1, () => loop.stop());
 * await loop.runForever();
 * loop.close();
 * ```
 */
export function newEventLoop(): AbstractEventLoop {
  if (defaultLoopClass === null) throw new Error("asyncio-ts: no event loop implementation loaded (import the package, not one of its modules)");
  return new defaultLoopClass();
}

/**
 * The running loop when there is one; otherwise the current loop, made on first use (as Python
 * 3.4's `get_event_loop()` in the main thread).
 */
export function getEventLoop(): AbstractEventLoop {
  const running = _getRunningLoop();
  if (running !== null) return running;
  if (currentLoop === null || currentLoop.isClosed()) currentLoop = newEventLoop();
  return currentLoop;
}

/** Makes `loop` the current loop (`null` forgets it), as `getEventLoop()` returns it. */
export function setEventLoop(loop: AbstractEventLoop | null): void {
  currentLoop = loop;
}
