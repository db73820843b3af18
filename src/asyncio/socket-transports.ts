// Stream transports over Node's sockets (TCP and Unix), and the Server that accepts them: the
// counterpart of Python's selector_events.py and base_events.Server. Only this module and
// node-events.ts touch node:net.
//
// A transport delivers protocol callbacks in asyncio's order:
// `connectionMade [-> dataReceived]* [-> eofReceived]? -> connectionLost`. Reading starts only
// after `connectionMade` has run. Flow control is real: writes past the high-water mark call
// `pauseWriting()`, and `resumeWriting()` follows once the socket has flushed to the low mark;
// `pauseReading()` stops reading from the socket, so the peer feels TCP's backpressure.

import type { Socket, Server as NetServer } from "node:net";
import type { BaseEventLoop } from "./base-events.js";
import type { AbstractEventLoop } from "./events.js";
import { copyContext, type Context } from "./context.js";
import { CoroutineObject } from "./coroutines.js";
import { OSError, toOSError } from "./exceptions.js";
import { WriteFlowControl, type FlowControlled } from "./flow-control.js";
import { Future } from "./futures.js";
import { logger } from "./log.js";
import { NodeTransport } from "./node-transport.js";
import { BaseProtocol, BufferedProtocol, Protocol, type Address } from "./protocols.js";
import type { SocketExtraInfo, Transport } from "./transports.js";

/** Python's `peername`/`sockname` for a Node socket: `[host, port]`, or the path of a Unix socket. */
function addressOf(sock: Socket, which: "remote" | "local"): unknown {
  const host = which === "remote" ? sock.remoteAddress : sock.localAddress;
  const port = which === "remote" ? sock.remotePort : sock.localPort;
  if (host !== undefined && port !== undefined) return [host, port];
  const addr = which === "local" ? (sock as unknown as { _getsockname?: () => unknown })._getsockname?.() : undefined;
  return typeof addr === "string" ? addr : ((sock as unknown as { _asyncioPath?: string })._asyncioPath ?? "");
}

/**
 * A stream transport over a connected `net.Socket`; `A` is its kind of address (`Address` for
 * TCP, a path for a Unix socket).
 * @internal Made by the loop's createServer/createConnection; users see it as a `Transport`.
 */
export class SocketTransport<A extends Address | string = Address | string> extends NodeTransport<SocketExtraInfo<A>> implements Transport<SocketExtraInfo<A>>, FlowControlled {
  private readonly _sock: Socket;
  private _server: Server<A> | null;
  private _closing = false;
  private _eof = false;
  private _lostExc: Error | null = null;
  private _lostCalled = false;
  private _reading = false;
  private _readingPaused = false;
  private readonly _flow: WriteFlowControl;
  private readonly _buffered: boolean;
  private _onData: ((chunk: Buffer) => void) | null = null;

  constructor(
    loop: BaseEventLoop,
    sock: Socket,
    protocol: BaseProtocol,
    extra: Record<string, unknown>,
    waiter: Future<void> | null,
    server: Server<A> | null,
    context: Context | undefined,
  ) {
    // The addresses are read once, while connected, as Python's transports do: a socket that is
    // gone later has no addresses left to ask for.
    super(loop, protocol, { peername: addressOf(sock, "remote"), sockname: addressOf(sock, "local"), ...extra, socket: sock }, context);
    this._sock = sock;
    this._server = server;
    this._buffered = protocol instanceof BufferedProtocol;
    this._flow = new WriteFlowControl(sock, loop, this);
    server?._attach();
    sock.setNoDelay?.(true);
    sock.on("end", () => this._io(this._onEof));
    sock.on("error", (err: Error) => {
      this._lostExc ??= toOSError(err);
    });
    sock.on("close", () => this._io(this._onClose));
    this._start(waiter, true);
  }

  protected override _startReading(): void {
    if (this._closing || this._lostCalled) return;
    this._reading = true;
    this._onData = (chunk: Buffer) => this._io(this._dataReceived, chunk);
    this._sock.on("data", this._onData);
    // A socket the server paused while it was not serving yet stays paused when a "data"
    // listener is added: resume it explicitly unless the protocol paused reading.
    if (this._readingPaused) this._sock.pause();
    else this._sock.resume();
  }

  private readonly _dataReceived = (chunk: Buffer): void => {
    if (this._lostCalled) return;
    try {
      this._deliver(chunk);
    } catch (exc) {
      this._fatalError(exc, `Fatal error: protocol.${this._buffered ? "bufferUpdated" : "dataReceived"}() call failed.`);
    }
  };

  /**
   * An error in a protocol callback is fatal for the connection, as in Python: the handler
   * hears of it and the transport is aborted (the server and the other connections go on).
   */
  private _fatalError(exc: unknown, message: string): void {
    this._loop.callExceptionHandler({ message, exception: exc, transport: this, protocol: this._protocol });
    this.abort();
  }

  private _deliver(chunk: Buffer): void {
    if (this._buffered) {
      const proto = this._protocol as BufferedProtocol;
      let offset = 0;
      while (offset < chunk.length) {
        const buf = proto.getBuffer(chunk.length - offset);
        if (buf.length === 0) throw new Error("getBuffer() returned an empty buffer");
        const n = Math.min(buf.length, chunk.length - offset);
        buf.set(chunk.subarray(offset, offset + n));
        offset += n;
        proto.bufferUpdated(n);
      }
    } else {
      (this._protocol as Protocol).dataReceived(chunk);
    }
  }

  private readonly _onEof = (): void => {
    if (this._lostCalled) return;
    let keepOpen: boolean | void;
    try {
      keepOpen = (this._protocol as Protocol).eofReceived?.();
    } catch (exc) {
      this._fatalError(exc, "Fatal error: protocol.eofReceived() call failed.");
      return;
    }
    if (keepOpen) {
      // The protocol keeps the connection half-open; nothing more will be read.
      this._reading = false;
    } else {
      this.close();
    }
  };

  private readonly _onClose = (): void => {
    if (this._lostCalled) return;
    this._lostCalled = true;
    this._closing = true;
    const exc = this._lostExc;
    try {
      this._protocol.connectionLost(exc);
    } finally {
      this._server?._detach();
      this._server = null;
    }
    if (exc !== null && this._loop.getDebug()) logger.debug(`${this}: connection lost: ${exc.message}`);
  };

  // -- BaseTransport --------------------------------------------------------------------------

  isClosing(): boolean {
    // A socket Node has destroyed (a reset, a failed write) is closing before its "close" event
    // reaches us, as Python's transport is from its fatal error on.
    return this._closing || this._sock.destroyed;
  }

  close(): void {
    if (this._closing) return;
    this._closing = true;
    if (this._onData !== null) this._sock.pause();
    this._reading = false;
    // Flush what is buffered, then close the socket entirely (not a half-close).
    if (this._sock.writableEnded || this._sock.destroyed) this._sock.destroy();
    else this._sock.end(() => this._sock.destroy());
  }

  // -- ReadTransport --------------------------------------------------------------------------

  isReading(): boolean {
    return this._reading && !this._readingPaused && !this._closing;
  }

  pauseReading(): void {
    if (this._closing || this._readingPaused) return;
    this._readingPaused = true;
    this._sock.pause();
    if (this._loop.getDebug()) logger.debug(`${this} pauses reading`);
  }

  resumeReading(): void {
    if (this._closing || !this._readingPaused) return;
    this._readingPaused = false;
    if (this._onData !== null) this._sock.resume();
    if (this._loop.getDebug()) logger.debug(`${this} resumes reading`);
  }

  // -- WriteTransport -------------------------------------------------------------------------

  setWriteBufferLimits(high?: number, low?: number): void {
    this._flow.setLimits(high, low);
  }

  getWriteBufferSize(): number {
    return this._sock.writableLength;
  }

  getWriteBufferLimits(): [number, number] {
    return [this._flow.low, this._flow.high];
  }

  write(data: Uint8Array | string): void {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) throw new TypeError(`data argument must be a bytes-like object or a string, not ${typeof data}`);
    if (this._eof) throw new Error("Cannot call write() after writeEof()");
    if (this._lostCalled || this._sock.destroyed) {
      this._dropWrite("socket.send() raised exception.");
      return;
    }
    if (this._closing) throw new Error("Cannot call write() on a closed transport");
    if (data.length === 0) return;
    this._sock.write(data);
    this._flow.maybePause();
  }

  writelines(list: Iterable<Uint8Array | string>): void {
    // cork/uncork sends the pieces in as few packets as the kernel allows.
    this._sock.cork();
    try {
      for (const data of list) this.write(data);
    } finally {
      this._sock.uncork();
    }
  }

  writeEof(): void {
    if (this._closing || this._eof) return;
    this._eof = true;
    this._sock.end();
  }

  canWriteEof(): boolean {
    return true;
  }

  abort(): void {
    this._closing = true;
    this._sock.destroy();
  }

  /** @internal */
  _isLost(): boolean {
    return this._lostCalled;
  }

  override toString(): string {
    const state = this._lostCalled ? "closed" : this._closing ? "closing" : "open";
    return `<SocketTransport ${state} peer=${JSON.stringify(this.getExtraInfo("peername"))}>`;
  }
}

/**
 * A listening socket of a Server, as `server.sockets` lists them; `A` is its kind of address
 * (`Address` for a TCP server, a path for a Unix one).
 */
export class ServerSocket<A extends Address | string = Address | string> {
  /** @internal */
  constructor(private readonly _server: NetServer) {}

  /**
   * The address it listens on: `[host, port]` for TCP, the path for a Unix socket.
   * @throws OSError "[Errno 9] Bad file descriptor" (code `EBADF`) once the server is closed,
   *   as Python's `socket.getsockname()` does.
   */
  getsockname(): A {
    const a = this._address();
    if (a === null) throw new OSError("[Errno 9] Bad file descriptor", "EBADF");
    return a;
  }

  private _address(): A | null {
    const a = this._server.address();
    if (a === null) return null;
    // Node reports a Unix socket's path as a string: a path is what a Unix server is typed with.
    return (typeof a === "string" ? a : [a.address, a.port]) as A;
  }

  toString(): string {
    const a = this._address();
    return `<ServerSocket ${a === null ? "closed" : JSON.stringify(a)}>`;
  }
}

/** What makes a protocol: a Protocol subclass, or a function returning a protocol. */
export type ProtocolFactory<P extends BaseProtocol = BaseProtocol> = (new () => P) | (() => P);

/** @internal Makes a protocol from a factory, class or function. */
export function makeProtocol<P extends BaseProtocol>(factory: ProtocolFactory<P>): P {
  const f = factory as { prototype?: unknown };
  if (typeof factory === "function" && f.prototype instanceof BaseProtocol) return new (factory as new () => P)();
  return (factory as () => P)();
}

/**
 * A listening server, as `loop.createServer()` gives it.
 *
 * - `close()` stops listening; connections already made go on.
 * - `waitClosed()` waits until the server is closed and its last connection is gone.
 * - `serveForever()` serves until the awaiting task is cancelled, then closes the server.
 *
 * `A` is its kind of address: `loop.createServer()` and `startServer()` give a
 * `Server<Address>`, so `server.sockets[0]!.getsockname()` is `[host, port]`; the Unix variants a
 * `Server<string>`.
 */
/** The servers not closed yet, for the monitor (servers are few, and each is held until closed anyway). */
const openServers = new Set<Server>();

/** @internal The open servers of `loop`. */
export function _openServers(loop: object): Server[] {
  return [...openServers].filter((s) => s.getLoop() === loop);
}

export class Server<A extends Address | string = Address | string> {
  private readonly _loop: BaseEventLoop;
  private _servers: NetServer[] | null;
  private readonly _protocolFactory: ProtocolFactory;
  private readonly _context: Context | undefined;
  private _active = 0;
  private _serving = false;
  private _waiters: Future<void>[] | null = [];
  private _serveForeverFut: Future<void> | null = null;
  private readonly _pending: Socket[] = [];
  /** @internal */ _transports = new Set<SocketTransport<A>>();

  /** @internal */
  constructor(loop: BaseEventLoop, servers: NetServer[], protocolFactory: ProtocolFactory) {
    this._loop = loop;
    this._servers = servers;
    this._protocolFactory = protocolFactory;
    this._context = copyContext();
    for (const s of servers) s.on("connection", (sock: Socket) => this._onConnection(sock));
    openServers.add(this as Server);
  }

  /** @internal The accepted connections, for the monitor: peer address and the bytes Node counted each way. */
  _connections(): { peer: unknown; bytesIn: number; bytesOut: number }[] {
    return [...this._transports].map((t) => {
      const sock = t.getExtraInfo("socket") as Socket;
      return { peer: t.getExtraInfo("peername"), bytesIn: sock.bytesRead, bytesOut: sock.bytesWritten };
    });
  }

  private _onConnection(sock: Socket): void {
    if (this._servers === null) {
      sock.destroy();
      return;
    }
    if (!this._serving) {
      sock.pause();
      this._pending.push(sock);
      return;
    }
    this._loop._runIOCallback(this._accept, [sock], this._context);
  }

  private readonly _accept = (sock: Socket): void => {
    let protocol: BaseProtocol;
    try {
      protocol = makeProtocol(this._protocolFactory);
    } catch (exc) {
      sock.destroy();
      this._loop.callExceptionHandler({ message: "Error in protocol factory while accepting a connection", exception: exc });
      return;
    }
    const transport = new SocketTransport<A>(this._loop, sock, protocol, {}, null, this, this._context);
    this._transports.add(transport);
    sock.once("close", () => this._transports.delete(transport));
  };

  /** @internal */
  _attach(): void {
    this._active++;
  }

  /** @internal */
  _detach(): void {
    this._active--;
    if (this._active === 0 && this._servers === null) this._wakeup();
  }

  private _wakeup(): void {
    const waiters = this._waiters;
    this._waiters = null;
    for (const w of waiters ?? []) if (!w.done()) w.setResult(undefined);
  }

  /** The loop the server runs on. */
  getLoop(): AbstractEventLoop {
    return this._loop;
  }

  /** The listening sockets; empty once closed. */
  get sockets(): ServerSocket<A>[] {
    return this._servers === null ? [] : this._servers.map((s) => new ServerSocket<A>(s));
  }

  /** True while the server accepts connections. */
  isServing(): boolean {
    return this._serving;
  }

  /** Starts accepting connections (a server made with `{ startServing: false }`). */
  startServing(): CoroutineObject<void> {
    return new CoroutineObject<void>("startServing", {
      async: async () => {
        this._startServing();
      },
    });
  }

  /** @internal */
  _startServing(): void {
    if (this._serving || this._servers === null) return;
    this._serving = true;
    for (const sock of this._pending.splice(0)) this._loop._runIOCallback(this._accept, [sock], this._context);
  }

  /**
   * Stops listening. Connections already accepted go on; `waitClosed()` waits for them.
   * Idempotent.
   */
  close(): void {
    const servers = this._servers;
    if (servers === null) return;
    this._servers = null;
    this._serving = false;
    openServers.delete(this as Server);
    for (const s of servers) s.close();
    for (const sock of this._pending.splice(0)) sock.destroy();
    if (this._serveForeverFut !== null && !this._serveForeverFut.done()) this._serveForeverFut.cancel();
    if (this._active === 0) this._wakeup();
  }

  /** Closes every connection of the server at once (Python 3.12's `close_clients`, with abort). */
  closeClients(): void {
    for (const t of this._transports) t.close();
  }

  /** Aborts every connection of the server (Python 3.12's `abort_clients`). */
  abortClients(): void {
    for (const t of this._transports) t.abort();
  }

  /** Waits until the server is closed and its last connection is gone. */
  waitClosed(): CoroutineObject<void> {
    return new CoroutineObject<void>("waitClosed", {
      async: async () => {
        if (this._waiters === null) return;
        const w = new Future<void>({ loop: this._loop });
        this._waiters.push(w);
        await w;
      },
    });
  }

  /**
   * Serves until cancelled; cancelling the task that awaits it closes the server.
   * @throws Error when the server is already being served forever or is closed.
   */
  serveForever(): CoroutineObject<void> {
    return new CoroutineObject<void>("serveForever", {
      async: async () => {
        if (this._serveForeverFut !== null) throw new Error(`server ${this} is already being awaited on serveForever()`);
        if (this._servers === null) throw new Error(`server ${this} is closed`);
        this._startServing();
        this._serveForeverFut = new Future<void>({ loop: this._loop });
        try {
          await this._serveForeverFut;
        } finally {
          this._serveForeverFut = null;
          this.close();
          await this.waitClosed();
        }
      },
    });
  }

  toString(): string {
    return `<Server sockets=[${this.sockets.map(String).join(", ")}]>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** @internal Wraps a socket error from connect/listen into the OSError a user should see. */
export function connectError(err: unknown, host: string, port: number | string): Error {
  return toOSError(err, `Connect call failed (${JSON.stringify(host).replace(/"/g, "'")}, ${port})`);
}

/** @internal */
export function bindError(err: unknown, host: string, port: number | string): Error {
  return toOSError(err, `error while attempting to bind on address (${JSON.stringify(host).replace(/"/g, "'")}, ${port})`);
}
