// Streams: StreamReader and StreamWriter over a stream transport, and the helpers that make
// them (startServer, openConnection, and their Unix-socket variants), as Python's
// asyncio/streams.py. Every reading method is a coroutine: await it or `yield*` it.

import { isCoroutineFunction, _currentLoop, CoroutineObject, ReadyCoroutine, isGenerator, isThenable, type GeneratorCoroutine } from "./coroutines.js";
import { ConnectionResetError, IncompleteReadError, LimitOverrunError } from "./exceptions.js";
import type { AbstractEventLoop, CreateConnectionOptions, CreateServerOptions } from "./events.js";
import { contextTask, runAsTask } from "./context.js";
import { Future } from "./futures.js";
import { noteWait, observing } from "./observe.js";
import { Protocol, type Address } from "./protocols.js";
import type { Server } from "./socket-transports.js";
import { Task } from "./tasks.js";
import type { SocketExtraInfo, Transport } from "./transports.js";

/** The default buffer limit of a StreamReader, as Python's (64 KiB). */
export const DEFAULT_LIMIT = 2 ** 16;

const NEED_DATA = Symbol("need data");
type Poll<T> = T | typeof NEED_DATA;

/**
 * A coroutine that polls for its result and waits for more data in between: both the
 * generator form (`yield*`) and the async form (`await`) loop over the same two functions.
 * Neither drives a generator of the caller's: the generator form is a plain loop the caller's
 * task steps; the async form is a Promise whose waker re-polls. A read is the hottest wait of a
 * streams server, so both stay this lean: running the waiting generator under `_runGenerator`
 * instead cost the echo benchmark 2-3% of its request/response rate (issue 14's measurements).
 */
class ReadCoroutine<T> extends CoroutineObject<T> {
  constructor(
    name: string,
    private readonly _reader: StreamReader,
    private readonly _poll: () => Poll<T>,
  ) {
    super(name, null);
  }

  protected override _makeGenerator(): GeneratorCoroutine<T> {
    return this._gen();
  }

  private *_gen(): GeneratorCoroutine<T> {
    for (;;) {
      const r = this._poll();
      if (r !== NEED_DATA) return r;
      yield* this._reader._waitForData(this.name);
    }
  }

  /**
   * The async form without an async function: one Promise, settled by the waker of the
   * reader's waiter future (re-armed when the data that came is not enough). The future is
   * awaited on behalf of the task that awaits the read, so cancelling that task cancels it.
   */
  protected override _makeAsync(): PromiseLike<T> {
    let r: Poll<T>;
    try {
      r = this._poll();
    } catch (e) {
      return Promise.reject(e);
    }
    if (r !== NEED_DATA) return Promise.resolve(r);
    const task = contextTask();
    return new Promise<T>((resolve, reject) => {
      const wait = (): void => {
        const fut = this._reader._waitForData(this.name);
        if (task === undefined || contextTask() === task) fut._addAwaiter(retry, reject);
        else runAsTask(task, () => fut._addAwaiter(retry, reject));
      };
      const retry = (): void => {
        let r2: Poll<T>;
        try {
          r2 = this._poll();
        } catch (e) {
          reject(e);
          return;
        }
        if (r2 !== NEED_DATA) resolve(r2);
        else wait();
      };
      wait();
    });
  }
}

/**
 * Bytes arriving from a connection. Reading methods are coroutines; only one may wait at a time.
 *
 * When the connection ends cleanly, reads return what is left and then an empty buffer;
 * `readExactly` and `readUntil` throw `IncompleteReadError` with the partial data. When it
 * fails (a reset), what was received is still delivered first, as `IncompleteReadError`'s
 * `partial`, with the connection's error as its `cause`.
 */
export class StreamReader implements AsyncIterable<Buffer> {
  private _buf: Buffer = Buffer.allocUnsafe(0);
  /** The reader's own scratch buffer while `_buf` is a borrowed chunk. */
  private _own: Buffer | null = null;
  private _start = 0;
  private _end = 0;
  private readonly _limit: number;
  private _eof = false;
  private _waiter: Future<void> | null = null;
  private _exception: Error | null = null;
  private _transport: Transport | null = null;
  private _paused = false;
  private _loop: AbstractEventLoop | null;

  constructor(options?: { limit?: number; loop?: AbstractEventLoop }) {
    const limit = options?.limit ?? DEFAULT_LIMIT;
    if (!(limit > 0)) throw new RangeError("Limit cannot be <= 0");
    this._limit = limit;
    this._loop = options?.loop ?? null;
  }

  /** How many bytes are buffered. */
  get bufferedLength(): number {
    return this._end - this._start;
  }

  /** The error the connection failed with, or `null`. */
  exception(): Error | null {
    return this._exception;
  }

  /**
   * Records a failure of the connection. A waiting read wakes up and looks again: it gets what
   * was buffered first (as IncompleteReadError's `partial`), then the error itself.
   */
  setException(exc: Error): void {
    this._exception = exc;
    this._wakeupWaiter();
  }

  private _wakeupWaiter(): void {
    const w = this._waiter;
    if (w !== null) {
      this._waiter = null;
      if (!w.cancelled()) w.setResult(undefined);
    }
  }

  /** @internal */
  setTransport(transport: Transport): void {
    this._transport = transport;
  }

  private _maybeResumeTransport(): void {
    if (this._paused && this.bufferedLength <= this._limit) {
      this._paused = false;
      this._transport?.resumeReading();
    }
  }

  /** Marks the end of the stream. */
  feedEof(): void {
    this._eof = true;
    this._wakeupWaiter();
  }

  /** True when the stream has ended and the buffer is empty. */
  atEof(): boolean {
    return this._eof && this.bufferedLength === 0;
  }

  /** Adds received bytes; pauses the transport once more than twice the limit is buffered. */
  feedData(data: Uint8Array): void {
    if (data.length === 0) return;
    this._append(data);
    this._wakeupWaiter();
    if (this._transport !== null && !this._paused && this.bufferedLength > 2 * this._limit) {
      this._transport.pauseReading();
      this._paused = true;
    }
  }

  /**
   * @internal Adds a chunk the reader may keep (a transport's fresh Buffer, never written to
   * again): when nothing is buffered, the chunk itself becomes the buffer, and reads return
   * slices of it without copying.
   */
  _feedOwned(data: Buffer): void {
    if (data.length === 0) return;
    if (this._end === this._start && this._own === null) {
      this._own = this._buf;
      this._buf = data;
      this._start = 0;
      this._end = data.length;
    } else {
      this._append(data);
    }
    this._wakeupWaiter();
    if (this._transport !== null && !this._paused && this.bufferedLength > 2 * this._limit) {
      this._transport.pauseReading();
      this._paused = true;
    }
  }

  /** Stops using a borrowed chunk as the buffer: its unread bytes move to the reader's own. */
  private _unborrow(): void {
    const own = this._own as Buffer;
    this._own = null;
    const len = this._end - this._start;
    const dst = own.length >= len ? own : Buffer.allocUnsafe(Math.max(len, own.length * 2, 4096));
    this._buf.copy(dst, 0, this._start, this._end);
    this._buf = dst;
    this._start = 0;
    this._end = len;
  }

  private _append(data: Uint8Array): void {
    if (this._own !== null) this._unborrow();
    const len = this._end - this._start;
    if (this._end + data.length > this._buf.length) {
      if (len + data.length <= this._buf.length && this._start > 0) {
        this._buf.copy(this._buf, 0, this._start, this._end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(len + data.length, this._buf.length * 2, 4096));
        this._buf.copy(next, 0, this._start, this._end);
        this._buf = next;
      }
      this._start = 0;
      this._end = len;
    }
    this._buf.set(data, this._end);
    this._end += data.length;
  }

  private _take(n: number): Buffer {
    // A borrowed chunk is never written to, so its slices can be handed out as they are.
    const out = this._own !== null ? this._buf.subarray(this._start, this._start + n) : Buffer.from(this._buf.subarray(this._start, this._start + n));
    this._start += n;
    if (this._start === this._end) {
      this._start = this._end = 0;
      if (this._own !== null) {
        this._buf = this._own;
        this._own = null;
      }
    }
    this._maybeResumeTransport();
    return out;
  }

  /** @internal A future that settles when data (or EOF, or an error) arrives. */
  _waitForData(funcName: string): Future<void> {
    // A waiter that is done was a read cancelled while it waited (Python clears it in a `finally`).
    if (this._waiter !== null && !this._waiter.done()) throw new Error(`${funcName}() called while another coroutine is already waiting for incoming data`);
    if (this._paused) {
      this._paused = false;
      this._transport?.resumeReading();
    }
    this._loop ??= _currentLoop();
    const w = new Future<void>({ loop: this._loop });
    if (observing) noteWait(w, { kind: funcName, on: this });
    this._waiter = w;
    return w;
  }

  private _incomplete(expected: number | null): IncompleteReadError {
    const err = new IncompleteReadError(this._take(this.bufferedLength), expected);
    if (this._exception !== null) (err as { cause?: unknown }).cause = this._exception;
    return err;
  }

  /**
   * Reads one line, up to and including `\n`. At the end of the stream, returns what is left
   * (maybe an empty buffer).
   * @throws Error (a ValueError in Python) when the line is longer than the limit.
   */
  readline(): CoroutineObject<Buffer> {
    return new ReadCoroutine("readline", this, () => {
      try {
        return this._pollUntil(NEWLINE);
      } catch (e) {
        if (e instanceof IncompleteReadError && e.cause === undefined) return e.partial;
        if (e instanceof LimitOverrunError) {
          if (
            this._buf
              .subarray(this._start + e.consumed, this._end)
              .subarray(0, 1)
              .equals(NEWLINE)
          )
            this._take(e.consumed + 1);
          else this._take(this.bufferedLength);
          throw new Error(e.message);
        }
        throw e;
      }
    });
  }

  /**
   * Reads up to and including `separator`.
   * @throws IncompleteReadError when the stream ends first (with what was read);
   *   LimitOverrunError when no separator is found within the limit (the data stays buffered).
   */
  readUntil(separator: Uint8Array | string = NEWLINE): CoroutineObject<Buffer> {
    const sep = typeof separator === "string" ? Buffer.from(separator) : Buffer.from(separator);
    if (sep.length === 0) throw new Error("Separator should be at least one-byte string");
    return new ReadCoroutine("readUntil", this, () => this._pollUntil(sep));
  }

  private _pollUntil(sep: Buffer): Poll<Buffer> {
    if (this._exception !== null && this.bufferedLength === 0) throw this._exception;
    const len = this.bufferedLength;
    if (len >= sep.length) {
      const i = this._buf.subarray(this._start, this._end).indexOf(sep);
      if (i !== -1) {
        if (i > this._limit) throw new LimitOverrunError("Separator is found, but chunk is longer than limit", i);
        return this._take(i + sep.length);
      }
      const offset = len + 1 - sep.length;
      if (offset > this._limit) throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
    }
    if (this._eof || this._exception !== null) throw this._incomplete(null);
    return NEED_DATA;
  }

  /**
   * Reads up to `n` bytes (`n` < 0: everything until EOF). Returns an empty buffer at EOF.
   */
  read(n = -1): CoroutineObject<Buffer> {
    if (n < 0) {
      const chunks: Buffer[] = [];
      return new ReadCoroutine("read", this, () => {
        for (;;) {
          if (this.bufferedLength > 0) chunks.push(this._take(this.bufferedLength));
          else if (this._exception !== null) throw this._exception;
          else if (this._eof) return Buffer.concat(chunks);
          else return NEED_DATA;
        }
      });
    }
    return new ReadCoroutine("read", this, () => {
      if (n === 0) return Buffer.alloc(0);
      if (this.bufferedLength > 0) return this._take(Math.min(n, this.bufferedLength));
      if (this._exception !== null) throw this._exception;
      if (this._eof) return Buffer.alloc(0);
      return NEED_DATA;
    });
  }

  /**
   * Reads exactly `n` bytes.
   * @throws IncompleteReadError when the stream ends first, with what was read as `partial`.
   */
  readExactly(n: number): CoroutineObject<Buffer> {
    if (n < 0) throw new RangeError("readExactly size can not be less than zero");
    return new ReadCoroutine("readExactly", this, () => {
      if (this._exception !== null && this.bufferedLength === 0) throw this._exception;
      if (this.bufferedLength >= n) return this._take(n);
      if (this._eof || this._exception !== null) throw this._incomplete(n);
      return NEED_DATA;
    });
  }

  /** `for await (const line of reader)`: the lines until EOF. */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  toString(): string {
    const info = ["StreamReader"];
    if (this.bufferedLength > 0) info.push(`${this.bufferedLength} bytes`);
    if (this._eof) info.push("eof");
    if (this._limit !== DEFAULT_LIMIT) info.push(`limit=${this._limit}`);
    if (this._waiter !== null) info.push("waiter");
    if (this._exception !== null) info.push(`exception=${this._exception.name}`);
    if (this._paused) info.push("paused");
    return `<${info.join(" ")}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

const NEWLINE = Buffer.from("\n");

/**
 * The coroutine `clientConnected` of `startServer`: plain, async or generator function. `A` is
 * the kind of address (`Address` for `startServer`, a path for `startUnixServer`).
 */
export type ClientConnectedCallback<A extends Address | string = Address | string> = (reader: StreamReader, writer: StreamWriter<SocketExtraInfo<A>>) => unknown;

/**
 * The protocol between a transport and a StreamReader/StreamWriter pair, with the flow
 * control that `drain()` relies on. Users meet it as `writer.transport.getProtocol()`, or pass
 * one to `loop.createConnection()` as Python's `StreamReaderProtocol` (exported, as in Python).
 */
export class StreamReaderProtocol extends Protocol {
  private _reader: StreamReader | null;
  private _writer: StreamWriter | null = null;
  private readonly _clientConnected: ClientConnectedCallback | null;
  private _paused = false;
  private _drainWaiters: Future<void>[] = [];
  private _connectionLost = false;
  private _closed: Future<void> | null = null;
  private _closedExc: Error | null | undefined = undefined;
  private _task: Task<unknown> | null = null;
  private _loop: AbstractEventLoop | null = null;

  constructor(reader: StreamReader, clientConnected: ClientConnectedCallback | null = null) {
    super();
    this._reader = reader;
    this._clientConnected = clientConnected;
  }

  override connectionMade(transport: Transport): void {
    this._loop = _currentLoop();
    this._reader?.setTransport(transport);
    if (this._clientConnected === null) return;
    const reader = this._reader as StreamReader;
    const writer = new StreamWriter(transport, this, reader);
    this._writer = writer;
    const cb = this._clientConnected;
    let task: Task<unknown> | null = null;
    if (isCoroutineFunction(cb)) {
      // Started inside its task, so that cancelling the task reaches its awaits.
      task = new Task(() => cb(reader, writer) as never, { loop: this._loop });
    } else {
      const res = cb(reader, writer);
      if (isGenerator(res) || res instanceof CoroutineObject || isThenable(res)) task = new Task(res as never, { loop: this._loop });
    }
    if (task !== null) {
      this._task = task;
      task.addDoneCallback((t) => {
        if (t.cancelled()) {
          transport.close();
          return;
        }
        const exc = t.exception();
        if (exc !== null) {
          this._loop?.callExceptionHandler({ message: "Unhandled exception in clientConnected callback", exception: exc, transport });
          transport.close();
        }
      });
    }
  }

  override dataReceived(data: Buffer): void {
    // The transport's chunk is the protocol's to keep (Python hands over an immutable bytes).
    this._reader?._feedOwned(data);
  }

  override eofReceived(): boolean {
    this._reader?.feedEof();
    return true;
  }

  override connectionLost(exc: Error | null): void {
    this._connectionLost = true;
    if (this._reader !== null) {
      if (exc === null) this._reader.feedEof();
      else this._reader.setException(exc);
    }
    this._closedExc = exc;
    if (this._closed !== null && !this._closed.done()) {
      if (exc === null) this._closed.setResult(undefined);
      else {
        this._closed.setException(exc);
        this._closed.exception();
      }
    }
    for (const w of this._drainWaiters.splice(0)) {
      if (w.done()) continue;
      if (exc === null) w.setResult(undefined);
      else w.setException(exc);
    }
    this._reader = null;
    this._writer = null;
    this._task = null;
  }

  override pauseWriting(): void {
    this._paused = true;
  }

  override resumeWriting(): void {
    this._paused = false;
    for (const w of this._drainWaiters.splice(0)) if (!w.done()) w.setResult(undefined);
  }

  /** @internal True when `drain()` has nothing to wait for. */
  _canWriteNow(): boolean {
    return !this._paused && !this._connectionLost;
  }

  /** @internal */
  _drainHelper(): Future<void> | null {
    if (this._connectionLost) throw new ConnectionResetError("Connection lost");
    if (!this._paused) return null;
    const w = new Future<void>({ loop: this._loop ?? _currentLoop() });
    this._drainWaiters.push(w);
    return w;
  }

  /** @internal A future that settles when the connection is gone. */
  _closeWaiter(): Future<void> {
    if (this._closed === null) {
      this._closed = new Future<void>({ loop: this._loop ?? _currentLoop() });
      if (this._closedExc === null) this._closed.setResult(undefined);
      else if (this._closedExc !== undefined) {
        this._closed.setException(this._closedExc);
      }
    }
    return this._closed;
  }
}

/**
 * Writes to a connection. `write()` never blocks; `await writer.drain()` waits while the
 * transport's buffer is over its high-water mark, which is how a fast writer keeps pace with
 * a slow reader. `E` types `getExtraInfo()`: a TCP connection's writer (from `openConnection`
 * or `startServer`) is a `StreamWriter<SocketExtraInfo<Address>>`, a child's stdin a
 * `StreamWriter<PipeExtraInfo>`.
 */
export class StreamWriter<E extends object = SocketExtraInfo> {
  /** The underlying transport. */
  readonly transport: Transport<E>;
  private readonly _protocol: StreamReaderProtocol;
  private readonly _reader: StreamReader | null;

  constructor(transport: Transport<E>, protocol: StreamReaderProtocol, reader: StreamReader | null) {
    this.transport = transport;
    this._protocol = protocol;
    this._reader = reader;
  }

  /** Queues bytes (a string as UTF-8). */
  write(data: Uint8Array | string): void {
    this.transport.write(data);
  }

  /** Queues several pieces, sent together. */
  writelines(data: Iterable<Uint8Array | string>): void {
    this.transport.writelines(data);
  }

  /** Sends EOF after the buffered data. */
  writeEof(): void {
    this.transport.writeEof();
  }

  canWriteEof(): boolean {
    return this.transport.canWriteEof();
  }

  /** Closes the connection after the buffered data; `waitClosed()` waits for it. */
  close(): void {
    this.transport.close();
  }

  isClosing(): boolean {
    return this.transport.isClosing();
  }

  /** Waits until the connection is closed. */
  waitClosed(): CoroutineObject<void> {
    return new CoroutineObject<void>("waitClosed", {
      async: async () => {
        await this._protocol._closeWaiter();
      },
    });
  }

  /**
   * The transport's extra information (`"peername"`, `"sockname"`, `"socket"` for a socket),
   * or `defaultValue` for a name it does not know.
   * @example
   * ```ts
   * const [reader, writer] = await asyncio.openConnection("127.0.0.1", 8888);
   * const [host, port] = writer.getExtraInfo("peername"); // string, number
   * ```
   */
  getExtraInfo<K extends keyof E & string>(name: K, defaultValue?: unknown): E[K];
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    return this.transport.getExtraInfo(name, defaultValue);
  }

  /**
   * Waits until the write buffer is under its low-water mark (at once when it already is).
   * @throws the connection's error when it failed; ConnectionResetError("Connection lost")
   *   when it is gone.
   */
  drain(): CoroutineObject<void> {
    // Nothing to wait for (the common case): a coroutine that is done at once.
    if (this._protocol._canWriteNow() && (this._reader?.exception() ?? null) === null && !this.transport.isClosing()) return new ReadyCoroutine<void>("drain", undefined);
    const self = this;
    function* drainGen(): GeneratorCoroutine<void> {
      const exc = self._reader?.exception() ?? null;
      if (exc !== null) throw exc;
      if (self.transport.isClosing()) yield; // let connectionLost run if it is about to
      const w = self._protocol._drainHelper();
      if (w !== null) yield* w;
    }
    return new CoroutineObject<void>("drain", { gen: drainGen });
  }

  toString(): string {
    return `<StreamWriter transport=${String(this.transport)}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Options of `startServer` / `startUnixServer`. */
export interface StartServerOptions extends CreateServerOptions {
  /** The StreamReader's buffer limit (default 64 KiB). */
  limit?: number;
}

/**
 * Starts a server that calls `clientConnected(reader, writer)` for each connection. A
 * coroutine function (async or generator) runs as a Task per client.
 *
 * @example
 * ```ts
 * const server = await asyncio.startServer(async (reader, writer) => {
 *   while (!reader.atEof()) writer.write(Buffer.concat([Buffer.from("echo:"), await reader.readline()]));
 * }, "127.0.0.1", 0);
 * ```
 */
export function startServer(
  clientConnected: ClientConnectedCallback<Address>,
  host?: string | null,
  port?: number | null,
  options?: StartServerOptions,
): CoroutineObject<Server<Address>> {
  return new CoroutineObject<Server<Address>>("startServer", {
    async: async () => {
      const loop = _currentLoop();
      const limit = options?.limit;
      // The protocol hands it the writers of TCP connections: `Address` is what they carry.
      const cb = clientConnected as ClientConnectedCallback;
      return await loop.createServer(() => new StreamReaderProtocol(new StreamReader({ limit, loop }), cb), host, port, options);
    },
  });
}

/** Connects to `host`:`port`; returns `[reader, writer]`. */
export function openConnection(
  host: string,
  port: number,
  options?: CreateConnectionOptions & { limit?: number },
): CoroutineObject<[StreamReader, StreamWriter<SocketExtraInfo<Address>>]> {
  return new CoroutineObject<[StreamReader, StreamWriter<SocketExtraInfo<Address>>]>("openConnection", {
    async: async () => {
      const loop = _currentLoop();
      const reader = new StreamReader({ limit: options?.limit, loop });
      const protocol = new StreamReaderProtocol(reader);
      const [transport] = await loop.createConnection(() => protocol, host, port, options);
      return [reader, new StreamWriter(transport, protocol, reader)];
    },
  });
}

/** As `startServer`, on a Unix socket at `path`. */
export function startUnixServer(
  clientConnected: ClientConnectedCallback<string>,
  path: string,
  options?: Pick<StartServerOptions, "limit" | "backlog" | "startServing">,
): CoroutineObject<Server<string>> {
  return new CoroutineObject<Server<string>>("startUnixServer", {
    async: async () => {
      const loop = _currentLoop();
      const limit = options?.limit;
      // The protocol hands it the writers of Unix connections: a path is what they carry.
      const cb = clientConnected as ClientConnectedCallback;
      return await loop.createUnixServer(() => new StreamReaderProtocol(new StreamReader({ limit, loop }), cb), path, options);
    },
  });
}

/** As `openConnection`, to a Unix socket at `path`. */
export function openUnixConnection(path: string, options?: { limit?: number }): CoroutineObject<[StreamReader, StreamWriter<SocketExtraInfo<string>>]> {
  return new CoroutineObject<[StreamReader, StreamWriter<SocketExtraInfo<string>>]>("openUnixConnection", {
    async: async () => {
      const loop = _currentLoop();
      const reader = new StreamReader({ limit: options?.limit, loop });
      const protocol = new StreamReaderProtocol(reader);
      const [transport] = await loop.createUnixConnection(() => protocol, path);
      return [reader, new StreamWriter(transport, protocol, reader)];
    },
  });
}
