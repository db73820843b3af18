// What the transports over Node's sockets, datagram sockets, pipes and child processes share
// (socket-transports.ts, datagram-transports.ts, subprocess-transports.ts), as CPython's
// selector_events._SelectorTransport holds it once for its transports: the loop, protocol and
// context a transport runs with, its extra information, the start-up sequence, the count of
// writes dropped after the connection was lost, and the wait for a new transport to start.
// How each reads, writes and closes is its own.

import type { BaseEventLoop } from "./base-events.js";
import type { Context } from "./context.js";
import { _setResultUnlessCancelled, type Future } from "./futures.js";
import { logger } from "./log.js";
import type { BaseProtocol } from "./protocols.js";
import { LOG_THRESHOLD_FOR_CONNLOST_WRITES, type BaseTransport } from "./transports.js";

/**
 * The base of the transports the loop makes over Node's I/O. `E` maps the names of its extra
 * information to their types.
 *
 * Start-up, as Python's: `_start()` schedules `connectionMade`, then (for a transport that reads)
 * `_startReading()`, then the waiter's result, as three callbacks in that order, so no data
 * reaches the protocol before `connectionMade` has run, and whoever awaits the waiter gets the
 * transport once both have.
 * @internal Users see the interfaces of transports.ts.
 */
export abstract class NodeTransport<E extends object> implements BaseTransport<E> {
  protected _protocol: BaseProtocol;
  protected readonly _loop: BaseEventLoop;
  /** The context variables the transport's callbacks run in (those of the code that made it). */
  protected readonly _context: Context | undefined;
  /** What `getExtraInfo` answers by name (a transport whose answers change overrides it). */
  protected readonly _extra: Record<string, unknown>;
  /** Writes dropped because the connection was lost (Python counts them in `_conn_lost`). */
  private _droppedWrites = 0;

  constructor(loop: BaseEventLoop, protocol: BaseProtocol, extra: Record<string, unknown>, context: Context | undefined) {
    this._loop = loop;
    this._protocol = protocol;
    this._extra = extra;
    this._context = context;
  }

  /**
   * Schedules the start-up (see the class): call it last in the constructor. `reads`: whether
   * `_startReading` is called after `connectionMade`; `waiter` (if any) is told after both.
   */
  protected _start(waiter: Future<void> | null, reads: boolean): void {
    this._loop._callSoonCtx(NodeTransport._connectionMade, [this], this._context);
    if (reads) this._loop._callSoonCtx(NodeTransport._startReadingOf, [this], this._context);
    if (waiter !== null) this._loop._callSoonCtx(_setResultUnlessCancelled, [waiter, undefined], this._context);
  }

  // Static, so that scheduling them makes no closure per transport.
  private static _connectionMade(t: NodeTransport<object>): void {
    t._protocol.connectionMade(t);
  }

  private static _startReadingOf(t: NodeTransport<object>): void {
    t._startReading();
  }

  /** Starts delivering data, once `connectionMade` has run; transports that read override it. */
  protected _startReading(): void {}

  /** Runs `cb(...args)` as an I/O callback of the loop (a Node event's handler), in the transport's context. */
  protected _io<A extends unknown[]>(cb: (...args: A) => void, ...args: A): void {
    this._loop._runIOCallback(cb, args, this._context);
  }

  /** Schedules `cb(...args)` with `callSoon`, in the transport's context. */
  protected _callSoon<A extends unknown[]>(cb: (...args: A) => unknown, ...args: A): void {
    this._loop._callSoonCtx(cb, args, this._context);
  }

  /** For the flow control (FlowControlled): runs `cb` as an I/O callback in the transport's context. */
  _runIO(cb: () => void): void {
    this._io(cb);
  }

  /**
   * A write after the connection was lost is dropped, as in Python; from the
   * `LOG_THRESHOLD_FOR_CONNLOST_WRITES`th on, each is logged with `message`.
   */
  protected _dropWrite(message: string): void {
    if (++this._droppedWrites >= LOG_THRESHOLD_FOR_CONNLOST_WRITES) logger.warning(message);
  }

  getExtraInfo<K extends keyof E & string>(name: K, defaultValue?: unknown): E[K];
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    // Own keys only, as Python's dict.get: "toString" is not extra information.
    return Object.hasOwn(this._extra, name) ? this._extra[name] : defaultValue;
  }

  setProtocol(protocol: BaseProtocol): void {
    this._protocol = protocol;
  }

  getProtocol(): BaseProtocol {
    return this._protocol;
  }

  abstract isClosing(): boolean;
  abstract close(): void;

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * Waits for a new transport to start (its waiter, see `NodeTransport`); when the wait fails (the
 * task that makes the connection is cancelled), closes the transport and throws that error, as
 * Python's `_create_connection_transport` does.
 * @internal
 */
export async function waitStarted(transport: BaseTransport, waiter: Future<void>): Promise<void> {
  try {
    await waiter;
  } catch (err) {
    transport.close();
    throw err;
  }
}
