// The low-level HTTP server of aiohttp 0.x, as the class uses it: `ServerHttpProtocol` (an
// asyncio Protocol that parses requests with llhttp, see parser.ts, and hands each one to an
// overridable `handleRequest`) and `Response` (a status line, headers and a body written to the
// connection). The `web` layer and aiorest (src/asyncio/rest/) build on these two; routing, request
// objects and the client live there and in client.ts.

import { STATUS_CODES, validateHeaderName, validateHeaderValue } from "node:http";
import { CoroutineObject, ReadyCoroutine, _currentLoop, functionKind, type GeneratorCoroutine } from "../coroutines.js";
import type { TimerHandle, AbstractEventLoop } from "../events.js";
import { ConnectionResetError } from "../exceptions.js";
import { Future } from "../futures.js";
import { logger } from "../log.js";
import { Protocol } from "../protocols.js";
import { StreamReader } from "../streams.js";
import { Task } from "../tasks.js";
import type { Transport } from "../transports.js";
import { CIMultiDict } from "./multidict.js";
import { HttpParseError, RequestParser, type RequestParserHandler } from "./parser.js";

/**
 * A request line and its headers, as `handleRequest` receives them (aiohttp's
 * `RawRequestMessage`). The body is not here: it is the `payload` StreamReader.
 */
export class RawRequestMessage {
  private _headers: CIMultiDict | null = null;

  /** @internal Made by the server protocol. */
  constructor(
    /** The method, upper case: `"GET"`, `"POST"`, ... */
    readonly method: string,
    /** The request target as sent: `"/index.html?a=1"` (for `new URL(message.path, "http://x")`). */
    readonly path: string,
    /** The HTTP version: `"1.1"` or `"1.0"`, what `new Response(..., { httpVersion })` takes. */
    readonly version: string,
    /** The headers as they came, names and values alternating (node:http's `rawHeaders`). */
    readonly rawHeaders: readonly string[],
    /**
     * True when the connection must close after this request: HTTP/1.0 without
     * `Connection: keep-alive`, or `Connection: close`.
     */
    readonly shouldClose: boolean,
    /** True for CONNECT and `Upgrade:` requests (answered, then the connection closes). */
    readonly upgrade: boolean,
  ) {}

  /** The headers, looked up without regard to case: `message.headers.get("content-type")`. */
  get headers(): CIMultiDict {
    // Made on first use: a handler that reads no header pays nothing for them.
    return (this._headers ??= CIMultiDict._fromRawHeaders(this.rawHeaders));
  }

  toString(): string {
    return `<RawRequestMessage ${this.method} ${this.path} HTTP/${this.version}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Options of a ServerHttpProtocol (aiohttp's keyword arguments, camelCased). */
export interface ServerHttpProtocolOptions {
  /** Error pages carry the traceback, and connection events are logged at debug level. */
  debug?: boolean;
  /**
   * Seconds an idle connection is kept open between requests (aiohttp's `keep_alive`; default
   * 75). `0` turns keep-alive off: every response says `Connection: close`.
   */
  keepAlive?: number;
  /**
   * Seconds a client has to complete a request's headers once part of them came (default 60, as
   * node:http's headersTimeout); then 408.
   */
  headersTimeout?: number;
  /** The most bytes of request line and headers (default: Node's, 16 KiB); more is a 431. */
  maxHeaderSize?: number;
  /** The buffer limit of each `payload` StreamReader (default 64 KiB): reading pauses past twice it. */
  limit?: number;
}

/** Requests parsed ahead of the one being handled, past which reading pauses (pipelining). */
const MAX_QUEUED = 16;

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

/**
 * An HTTP/1.x server as an asyncio Protocol (aiohttp's `ServerHttpProtocol`): subclass it and
 * override `handleRequest(message, payload)`, then serve it with `loop.createServer`.
 *
 * Requests are parsed by llhttp (node:http's parser) as they arrive and handled **one at a
 * time, in order**, each by `handleRequest` running as a Task, so pipelined requests are
 * answered in order. `handleRequest` may be an async method, a generator method (3.4 style,
 * `yield*`) or a plain method. An error it throws is logged to the `asyncio` logger with its
 * traceback and answered with a 500 page (with the traceback when `debug` is on).
 *
 * State machine of a connection:
 * `connectionMade -> idle [-> receiving headers -> handling (-> next queued request)* -> idle]* -> connectionLost`
 * - idle for `keepAlive` seconds: closed;
 * - headers not complete `headersTimeout` seconds after part of them came: 408, closed;
 * - a request llhttp rejects: answered with 400 (431 headers too large, 413 chunk extensions
 *   too large) once the requests before it are answered, then closed;
 * - after a response that does not keep the connection alive (HTTP/1.0, `Connection: close`,
 *   no length on HTTP/1.0, `keepAlive: 0`), or once the client sent EOF and everything is
 *   answered: closed;
 * - connection lost: the running handler is cancelled; a payload still receiving its body
 *   gets `ConnectionResetError`.
 *
 * For the layers built on it: `handleRequest` is the one hook; `this.writer` is what a
 * `Response` writes to; `handleError(status, message, exc)` writes an error page and closes;
 * `shutdown()` closes the connection gracefully.
 *
 * @example
 * ```ts
 * class HttpRequestHandler extends aiohttp.ServerHttpProtocol {
 *   override async handleRequest(message: aiohttp.RawRequestMessage, payload: asyncio.StreamReader) {
 *     const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
 *     const bcontent = Buffer.from("<h1>It Works!</h1>");
 *     response.addHeader("Content-Type", "text/html; charset=UTF-8");
 *     response.addHeader("Content-Length", String(bcontent.length));
 *     response.sendHeaders();
 *     response.write(bcontent);
 *     await response.writeEof();
 *   }
 * }
 * const srv = await loop.createServer(() => new HttpRequestHandler({ debug: true, keepAlive: 75 }), "127.0.0.1", 8080);
 * ```
 */
export class ServerHttpProtocol extends Protocol {
  /** The connection's transport (set by `connectionMade`). */
  transport!: Transport;
  /** What a `Response` writes to: the connection's transport (aiohttp's `self.writer`). */
  writer!: Transport;
  /** Error pages carry tracebacks; connection events are logged at debug level. */
  readonly debug: boolean;
  /** Seconds an idle connection is kept; 0: no keep-alive. */
  readonly keepAlive: number;
  /** Seconds to receive a request's headers. */
  readonly headersTimeout: number;
  /** @internal The loop the connection runs on (set by `connectionMade`). */
  protected _loop!: AbstractEventLoop;

  private readonly _maxHeaderSize: number;
  private readonly _limit: number | undefined;
  private _parser: RequestParser | null = null;
  /** Requests parsed and waiting for the one being handled to end, with their payloads. */
  private readonly _queue: RawRequestMessage[] = [];
  private readonly _queuedPayloads: StreamReader[] = [];
  /** The payload of the message whose body is being parsed; null between messages or when its body is thrown away. */
  private _receiving: StreamReader | null = null;
  private _task: Task<unknown> | null = null;
  /** @internal The request being handled. */ _current: RawRequestMessage | null = null;
  private _currentPayload: StreamReader | null = null;
  /** @internal The Response made for the request being handled. */ _response: Response | null = null;
  private _handlerIsGenerator = false;
  private _headersDeadline = Infinity;
  private _idleDeadline = Infinity;
  private _timer: TimerHandle | null = null;
  private _timerWhen = Infinity;
  /** A rejected request (or a headers timeout) to answer once the requests before it are. */
  private _parseError: HttpParseError | null = null;
  private _upgraded = false;
  private _peerEof = false;
  /** No more requests: the connection closes after the current response. */
  private _closing = false;
  private _lost = false;
  private _readingPaused = false;
  /** @internal */ _writePaused = false;
  private _drainWaiter: Future<void> | null = null;
  private _lostWaiter: Future<void> | null = null;

  constructor(options?: ServerHttpProtocolOptions) {
    super();
    this.debug = options?.debug ?? false;
    this.keepAlive = options?.keepAlive ?? 75;
    this.headersTimeout = options?.headersTimeout ?? 60;
    this._maxHeaderSize = options?.maxHeaderSize ?? 0;
    this._limit = options?.limit;
  }

  /**
   * Answers one request. Override it: an async method, a generator method or a plain method;
   * write the answer with `new Response(this.writer, status, { httpVersion: message.version })`.
   * The default answers 404.
   * @param message the request line and headers.
   * @param payload the body, decoded from chunked transfer if need be: `await payload.read()`.
   */
  handleRequest(message: RawRequestMessage, payload: StreamReader): GeneratorCoroutine<unknown> | PromiseLike<unknown> | void {
    void payload;
    this.handleError(404, message);
  }

  /**
   * Writes an error page for `status` (aiohttp's `handle_error`), with the traceback of `exc`
   * when `debug` is on, and closes the connection after it. Does nothing once a response to
   * the current request has sent its headers, or once the connection is closing.
   */
  handleError(status: number, message: RawRequestMessage | null = null, exc?: unknown): void {
    const transport = this.transport;
    if (transport === undefined || transport.isClosing() || this._lost) return;
    if (this._response !== null && this._response.headersSent) {
      this._closeConnection();
      return;
    }
    const reason = STATUS_CODES[status] ?? "Error";
    let detail = "";
    if (status === 500) {
      detail = "Server got itself in trouble";
      if (this.debug && exc !== undefined) detail = `<pre>${escapeHtml(exc instanceof Error && exc.stack ? exc.stack : String(exc))}</pre>`;
    }
    const body = `<html><head><title>${status} ${reason}</title></head><body><h1>${status} ${reason}</h1>${detail}</body></html>`;
    const response = new Response(this.writer, status, { httpVersion: message?.version === "1.0" ? "1.0" : "1.1", close: true, reason });
    response.addHeader("Content-Type", "text/html; charset=utf-8");
    response.addHeader("Content-Length", String(Buffer.byteLength(body)));
    response.sendHeaders();
    response.write(body);
    response._finish();
    this._closeConnection();
  }

  /**
   * Closes the connection gracefully: no request after the current one is handled; an idle
   * connection closes at once, a busy one after its response (which says `Connection: close`
   * if its headers are not sent yet). After `timeout` seconds the handler is cancelled and the
   * connection closed anyway. Settles when the connection is gone.
   */
  shutdown(timeout = 15): CoroutineObject<void> {
    return new CoroutineObject<void>("shutdown", {
      async: async () => {
        if (this._lost || this.transport === undefined) return;
        this._closing = true;
        this._queue.length = this._queuedPayloads.length = 0;
        if (this._task === null) this._closeConnection();
        else if (this._response !== null && !this._response.headersSent) this._response.forceClose();
        const lost = (this._lostWaiter ??= new Future<void>({ loop: this._loop }));
        const timer = this._loop.callLater(timeout, () => {
          this._task?.cancel();
          this.transport.close();
        });
        try {
          await lost;
        } finally {
          timer.cancel();
        }
      },
    });
  }

  // -- Protocol ---------------------------------------------------------------------------------

  override connectionMade(transport: Transport): void {
    this.transport = transport;
    this.writer = transport;
    this._loop = _currentLoop();
    this._handlerIsGenerator = functionKind(this.handleRequest) === "generator";
    // Made here, in the context the transport runs protocol callbacks in: llhttp's callbacks run
    // in the context the parser was made in (see parser.ts).
    this._parser = new RequestParser(this._parserHandler, this._maxHeaderSize);
    this._goIdle();
    if (this.debug) logger.debug(`${this}: connection made`);
  }

  override dataReceived(data: Buffer): void {
    const parser = this._parser;
    if (parser === null || this._parseError !== null || this._upgraded || this._closing) return;
    const err = parser.execute(data);
    if (err !== null) {
      this._onParseError(err);
      return;
    }
    if (this._receiving === null && this._headersDeadline === Infinity && parser.inMessage()) {
      // The bytes end in the middle of a request's headers (a slow client, or a large request
      // cut by the network): from now, they have headersTimeout to complete.
      this._idleDeadline = Infinity;
      this._headersDeadline = this._loop.time() + this.headersTimeout;
      this._armTimer(this._headersDeadline);
    }
    if (this._queue.length > MAX_QUEUED && !this._readingPaused) {
      this._readingPaused = true;
      this.transport.pauseReading();
    }
  }

  override eofReceived(): boolean {
    this._peerEof = true;
    const err = this._parser?.finish() ?? null;
    const cut = this._receiving;
    if (err !== null && cut !== null) {
      // The client stopped sending in the middle of a body.
      this._receiving = null;
      cut.setException(new ConnectionResetError("Connection lost before the request body was complete"));
      const i = this._queuedPayloads.indexOf(cut);
      if (i !== -1) {
        this._queue.splice(i, 1);
        this._queuedPayloads.splice(i, 1);
      }
    }
    if (this._task === null && this._queue.length === 0) {
      this._closeTimers();
      return false;
    }
    // Keep the half-open connection: what was asked is answered, then the connection closes.
    return true;
  }

  override connectionLost(exc: Error | null): void {
    this._lost = true;
    this._closing = true;
    this._closeTimers();
    this._parser?.free();
    this._parser = null;
    if (this._receiving !== null) {
      this._receiving.setException(new ConnectionResetError("Connection lost"));
      this._receiving = null;
    }
    this._queue.length = this._queuedPayloads.length = 0;
    // As aiohttp: the handler of a request whose client is gone is cancelled.
    this._task?.cancel();
    const drain = this._drainWaiter;
    this._drainWaiter = null;
    if (drain !== null && !drain.done()) drain.setResult(undefined);
    const lost = this._lostWaiter;
    if (lost !== null && !lost.done()) lost.setResult(undefined);
    if (this.debug) logger.debug(`${this}: connection lost${exc === null ? "" : `: ${exc.message}`}`);
  }

  override pauseWriting(): void {
    this._writePaused = true;
  }

  override resumeWriting(): void {
    this._writePaused = false;
    const w = this._drainWaiter;
    this._drainWaiter = null;
    if (w !== null && !w.done()) w.setResult(undefined);
  }

  /** @internal True when a response may keep the connection open (keep-alive on, not closing). */
  _keepsAlive(): boolean {
    return this.keepAlive > 0 && !this._closing;
  }

  /** @internal A future that settles when the transport's write buffer is down to its low mark. */
  _waitDrained(): Future<void> {
    return (this._drainWaiter ??= new Future<void>({ loop: this._loop }));
  }

  // -- Parsing ----------------------------------------------------------------------------------

  private readonly _parserHandler: RequestParserHandler = {
    onHeadersComplete: (method, url, major, minor, rawHeaders, upgrade, shouldKeepAlive) => {
      this._idleDeadline = this._headersDeadline = Infinity;
      const version = major === 1 && minor === 1 ? "1.1" : `${major}.${minor}`;
      const message = new RawRequestMessage(method, url, version, rawHeaders, !shouldKeepAlive, upgrade);
      let payload: StreamReader = EMPTY_PAYLOAD;
      if (hasBody(rawHeaders)) {
        payload = new StreamReader({ limit: this._limit, loop: this._loop });
        // The reader pauses the transport while its buffer is full: the body waits for the handler.
        payload.setTransport(this.transport);
        this._receiving = payload;
      }
      // Nothing after an upgrade request's headers is HTTP: it is answered, then the connection closes.
      if (upgrade) this._upgraded = true;
      if (this._task === null && this._queue.length === 0) {
        this._startHandler(message, payload);
      } else {
        this._queue.push(message);
        this._queuedPayloads.push(payload);
      }
    },
    onBody: (chunk) => {
      // The parser hands over a fresh copy: the reader may keep it as it is.
      this._receiving?._feedOwned(chunk);
    },
    onMessageComplete: () => {
      const payload = this._receiving;
      this._receiving = null;
      payload?.feedEof();
    },
  };

  private _onParseError(err: HttpParseError): void {
    this._parseError = err;
    this._headersDeadline = Infinity;
    if (this._receiving !== null) {
      // A body llhttp could not follow (a bad chunk size): its reader fails with the error.
      this._receiving.setException(err);
      this._receiving = null;
    }
    if (this.debug) logger.debug(`${this}: bad request: ${err.message}`);
    if (this._task === null && this._queue.length === 0) this._answerParseError();
  }

  private _answerParseError(): void {
    const err = this._parseError as HttpParseError;
    this.handleError(err.status, null, err);
  }

  // -- Handling, one request at a time -----------------------------------------------------------

  private _startHandler(message: RawRequestMessage, payload: StreamReader): void {
    this._current = message;
    this._currentPayload = payload;
    this._response = null;
    if (payload !== EMPTY_PAYLOAD && message.version === "1.1" && expectsContinue(message.rawHeaders)) this.transport.write(CONTINUE);
    // A generator is handed to the Task as it is; any other kind of method is called by the
    // Task, inside it, so that cancelling the task reaches what an async handler awaits.
    const task = this._handlerIsGenerator
      ? new Task(this.handleRequest(message, payload) as GeneratorCoroutine<unknown>, { loop: this._loop })
      : new Task(this._callHandler, { loop: this._loop });
    this._task = task;
    task.addDoneCallback(this._onHandlerDone);
  }

  private readonly _callHandler = (): unknown => this.handleRequest(this._current as RawRequestMessage, this._currentPayload as StreamReader);

  private readonly _onHandlerDone = (task: Task<unknown>): void => {
    const message = this._current as RawRequestMessage;
    const payload = this._currentPayload;
    const response = this._response;
    this._task = null;
    if (this._lost) {
      this._clearCurrent();
      if (!task.cancelled()) task.exception();
      return;
    }
    let keepAlive = false;
    if (!task.cancelled()) {
      const exc = task.exception();
      if (exc !== null) {
        if (payload !== null && exc === payload.exception()) {
          // The handler failed on its body, which the client cut off or malformed: that is the
          // client's doing, answered (400) or not (the client is gone), and no server error.
          if (this.debug) logger.debug(`${this}: handler of ${message.method} ${message.path} ended on its body: ${String(exc)}`);
          this._clearCurrent();
          if (exc instanceof HttpParseError) this.handleError(exc.status, message, exc);
          else this._closeConnection();
          return;
        }
        logger.error(`Error handling request ${message.method} ${message.path}`, exc);
        this.handleError(500, message, exc);
        this._clearCurrent();
        return;
      }
      if (response === null || !response._finished) {
        // A forgotten writeEof() would otherwise look like a server that hangs up for no reason.
        logger.warning(`handleRequest() of ${message.method} ${message.path} ended without finishing a response (writeEof()): closing the connection`);
      } else {
        keepAlive = response.keepAlive();
      }
    }
    this._clearCurrent();
    if (!keepAlive || this._closing || message.upgrade) {
      this._closeConnection();
      return;
    }
    if (payload !== null && payload === this._receiving) {
      // The handler did not want all of the body: the rest is read and thrown away, and the
      // connection goes on (as node:http does).
      this._receiving = null;
      this.transport.resumeReading();
    }
    this._next();
  };

  private _clearCurrent(): void {
    this._current = null;
    this._currentPayload = null;
    this._response = null;
  }

  private _next(): void {
    const message = this._queue.shift();
    if (message !== undefined) {
      const payload = this._queuedPayloads.shift() as StreamReader;
      if (this._readingPaused && this._queue.length <= MAX_QUEUED / 2) {
        this._readingPaused = false;
        this.transport.resumeReading();
      }
      this._startHandler(message, payload);
    } else if (this._parseError !== null) {
      this._answerParseError();
    } else if (this._peerEof) {
      this._closeConnection();
    } else if (this._headersDeadline === Infinity) {
      // Nothing was begun after it (else the headers deadline runs): the connection is idle.
      this._goIdle();
    }
  }

  // -- Timers: one per connection, re-armed lazily -----------------------------------------------

  private _goIdle(): void {
    // Before the first request and between requests; with keep-alive off, the wait for a first
    // request is still bounded, by headersTimeout.
    this._idleDeadline = this._loop.time() + (this.keepAlive > 0 ? this.keepAlive : this.headersTimeout);
    this._armTimer(this._idleDeadline);
  }

  private _armTimer(when: number): void {
    // A deadline that moved later is found when the timer fires, and the timer re-armed then:
    // a request on a kept-alive connection costs no timer of its own.
    if (this._timer !== null && this._timerWhen <= when) return;
    this._timer?.cancel();
    this._timerWhen = when;
    this._timer = this._loop.callAt(when, this._onTimer);
  }

  private readonly _onTimer = (): void => {
    this._timer = null;
    this._timerWhen = Infinity;
    if (this._lost) return;
    const now = this._loop.time();
    if (this._headersDeadline <= now) {
      this._headersDeadline = Infinity;
      this._onParseError(new HttpParseError("ERR_HTTP_REQUEST_TIMEOUT", "Request Timeout"));
      return;
    }
    if (this._idleDeadline <= now) {
      if (this.debug) logger.debug(`${this}: closing idle connection`);
      this._closeConnection();
      return;
    }
    const next = Math.min(this._headersDeadline, this._idleDeadline);
    if (next !== Infinity) this._armTimer(next);
  };

  private _closeTimers(): void {
    this._timer?.cancel();
    this._timer = null;
    this._timerWhen = Infinity;
    this._headersDeadline = this._idleDeadline = Infinity;
  }

  private _closeConnection(): void {
    this._closing = true;
    this._closeTimers();
    if (this.transport !== undefined && !this.transport.isClosing()) this.transport.close();
  }

  override toString(): string {
    const peer = this.transport?.getExtraInfo("peername", null);
    return `<${this.constructor.name} ${peer === null || peer === undefined ? "unconnected" : JSON.stringify(peer)}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * True when a request has a body: it says how long (Content-Length) or that it comes in chunks
 * (Transfer-Encoding); a request with neither has none (RFC 9112, 6.3), and llhttp agrees.
 */
function hasBody(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const n = (raw[i] as string).length;
    if (n !== 14 && n !== 17) continue;
    const name = (raw[i] as string).toLowerCase();
    if (name === "content-length" || name === "transfer-encoding") return true;
  }
  return false;
}

/**
 * The payload of every request without a body (aiohttp's `EMPTY_PAYLOAD`): a reader at its end
 * from the start, shared, so that it takes nothing.
 */
class EmptyStreamReader extends StreamReader {
  constructor() {
    super();
    super.feedEof();
  }
  override feedData(_data: Uint8Array): void {
    throw new Error("the empty payload of a request without a body takes no data");
  }
  override _feedOwned(data: Buffer): void {
    this.feedData(data);
  }
  override setException(_exc: Error): void {}
  override setTransport(_transport: Transport): void {}
  override feedEof(): void {}
}

const EMPTY_PAYLOAD: StreamReader = new EmptyStreamReader();

function expectsContinue(raw: readonly string[]): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 6 && name.toLowerCase() === "expect") return (raw[i + 1] as string).toLowerCase() === "100-continue";
  }
  return false;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Options of a Response (aiohttp's keyword arguments, camelCased). */
export interface ResponseOptions {
  /** The HTTP version of the status line, as `message.version` gives it (default `"1.1"`). */
  httpVersion?: string;
  /** Close the connection after this response (`Connection: close`). */
  close?: boolean;
  /** The reason phrase (default: the standard one for the status). */
  reason?: string;
}

/** A header value that is printable ASCII (and tabs): valid, and one byte per character. */
const PLAIN_VALUE = /^[\t\x20-\x7e]*$/;
/** Header names already checked (names repeat from response to response). */
const validNames = new Set<string>();
/** Bodies up to this size are copied into one buffer with their headers: one write, one packet. */
const COALESCE_LIMIT = 64 * 1024;

// The Date header changes once a second: made once a second (node:http caches it the same way).
let dateCache = "";

function httpDate(): string {
  if (dateCache === "") {
    const now = Date.now();
    dateCache = new Date(now).toUTCString();
    setTimeout(clearDateCache, 1000 - (now % 1000)).unref();
  }
  return dateCache;
}

function clearDateCache(): void {
  dateCache = "";
}

/**
 * An HTTP response written to a connection (aiohttp's `Response`): a status line and headers
 * (`addHeader`, then `sendHeaders`), then the body (`write`), then `writeEof()`.
 *
 * Framing is chosen when the headers are sent: with a `Content-Length` header the body is sent
 * as it is; without one, HTTP/1.1 uses chunked transfer (`Transfer-Encoding: chunked` is
 * added), HTTP/1.0 ends the body by closing the connection. The connection is kept alive after
 * it when the request allows it (`keepAlive()`), and `Connection: close` is sent otherwise.
 * A `Date` header is added unless given. The body of a HEAD request, or of a 1xx, 204 or 304
 * response, is not sent.
 *
 * Writes are never blocking; `writeEof()` and `drain()` are coroutines that wait while the
 * connection's write buffer is over its high-water mark (await them or `yield*` them).
 *
 * @example
 * ```ts
 * const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
 * response.addHeader("Content-Type", "text/html; charset=UTF-8");
 * response.sendHeaders();
 * response.write("<h1>It Works!</h1>");   // chunked: no Content-Length was given
 * await response.writeEof();
 * ```
 */
export class Response {
  /** The transport the response is written to. */
  readonly writer: Transport;
  /** The status code. */
  readonly status: number;
  /** The reason phrase. */
  readonly reason: string;
  /** The HTTP version of the status line (`"1.1"`). */
  readonly version: string;
  private readonly _protocol: ServerHttpProtocol | null;
  private readonly _request: RawRequestMessage | null;
  private _keepAlive: boolean;
  private readonly _noBody: boolean;
  private _chunked = false;
  private _length = -1;
  private _written = 0;
  /** The headers as names and values alternating, until `headers` is asked for. */
  private _headerList: string[] | null = [];
  private _headerDict: CIMultiDict | null = null;
  private _headersSent = false;
  /** @internal */ _finished = false;
  /** The status line and headers, sent with the first piece of body (one write, one packet). */
  private _head: string | null = null;
  private _headAscii = true;

  /**
   * @param writer the connection's transport: `this.writer` in a ServerHttpProtocol.
   * @param status the status code (200, 404, ...).
   * @throws RangeError for a status outside 100-999; TypeError for a reason phrase with a line break.
   */
  constructor(writer: Transport, status: number, options?: ResponseOptions) {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`Invalid status code: ${status}`);
    this.writer = writer;
    this.status = status;
    this.reason = options?.reason ?? STATUS_CODES[status] ?? "Unknown";
    if (options?.reason !== undefined && !PLAIN_VALUE.test(this.reason)) throw new TypeError(`Invalid character in the reason phrase: ${JSON.stringify(this.reason)}`);
    this.version = options?.httpVersion ?? "1.1";
    const protocol = writer.getProtocol();
    this._protocol = protocol instanceof ServerHttpProtocol ? protocol : null;
    // The request this answers: the one the protocol is handling (they are handled one at a time).
    const request = (this._request = this._protocol?._current ?? null);
    if (this._protocol !== null) this._protocol._response = this;
    this._keepAlive = options?.close !== true && (request === null ? this.version === "1.1" : !request.shouldClose) && (this._protocol === null || this._protocol._keepsAlive());
    this._noBody = status < 200 || status === 204 || status === 304 || request?.method === "HEAD";
  }

  /**
   * The headers to send, in order, looked up without regard to case. Change them before
   * `sendHeaders()`; `addHeader` is the usual way.
   */
  get headers(): CIMultiDict {
    if (this._headerDict === null) {
      this._headerDict = CIMultiDict._fromRawHeaders(this._headerList as string[]);
      this._headerList = null;
    }
    return this._headerDict;
  }

  /** True once the status line and headers are sent (or queued with the first body bytes). */
  get headersSent(): boolean {
    return this._headersSent;
  }

  /** True once `writeEof()` was called. */
  get finished(): boolean {
    return this._finished;
  }

  /** True when the connection stays open after this response (decided for good by `sendHeaders`). */
  keepAlive(): boolean {
    return this._keepAlive;
  }

  /** Closes the connection after this response (`Connection: close` if the headers are not sent yet). */
  forceClose(): void {
    this._keepAlive = false;
  }

  /**
   * Adds a header (a name may repeat). `Content-Length` fixes the body's length,
   * `Transfer-Encoding: chunked` asks for chunks, `Connection: close` closes the connection after.
   * Names and values are checked when the headers are sent.
   * @throws Error when the headers were already sent.
   */
  addHeader(name: string, value: string | number): void {
    if (this._headersSent) throw new Error("Cannot add a header after the headers were sent");
    if (this._headerList !== null) this._headerList.push(name, String(value));
    else (this._headerDict as CIMultiDict).add(name, String(value));
  }

  /** Adds several headers: `addHeaders(["Content-Type", "text/plain"], ["X-A", "1"])`. */
  addHeaders(...headers: [string, string | number][]): void {
    for (const [name, value] of headers) this.addHeader(name, value);
  }

  /**
   * Sends the status line and headers (they go out with the first body bytes, or when this
   * turn's microtasks run, whichever comes first), choosing the framing of the body.
   * @throws Error when they were already sent; TypeError (Node's `ERR_INVALID_HTTP_TOKEN`,
   *   `ERR_INVALID_CHAR`) for a header name or value that cannot be sent, or a Content-Length
   *   that is not a number.
   */
  sendHeaders(): void {
    if (this._headersSent) throw new Error("Headers were already sent");
    const list = this._headerList ?? this.headers._pairList();
    let head = `HTTP/${this.version} ${this.status} ${this.reason}\r\n`;
    let hasConnection = false;
    let hasDate = false;
    let latin1 = false;
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i] as string;
      const value = list[i + 1] as string;
      if (!validNames.has(name)) {
        validateHeaderName(name);
        if (validNames.size < 1000) validNames.add(name);
      }
      if (!PLAIN_VALUE.test(value)) {
        // Not plain ASCII: Node's check says whether it may be sent at all (Latin-1 may).
        validateHeaderValue(name, value);
        latin1 = true;
      }
      // Only names of these lengths matter to the framing: the others are not lower-cased.
      switch (name.length) {
        case 14:
          if (name.toLowerCase() === "content-length") {
            if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(Number(value))) throw new TypeError(`Invalid Content-Length: ${value}`);
            this._length = Number(value);
          }
          break;
        case 17:
          if (name.toLowerCase() === "transfer-encoding" && /(?:^|,)\s*chunked\s*$/i.test(value)) this._chunked = true;
          break;
        case 10:
          if (name.toLowerCase() === "connection") {
            hasConnection = true;
            if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) this._keepAlive = false;
          }
          break;
        case 4:
          if (name.toLowerCase() === "date") hasDate = true;
          break;
      }
      head += `${name}: ${value}\r\n`;
    }
    if (!this._chunked && this._length < 0 && !this._noBody) {
      // No length: chunks where the request's HTTP allows them, else the end of the connection.
      if (this.version === "1.1" && (this._request === null || this._request.version === "1.1")) {
        this._chunked = true;
        head += "Transfer-Encoding: chunked\r\n";
      } else {
        this._keepAlive = false;
      }
    }
    if (!hasConnection) {
      if (!this._keepAlive) head += "Connection: close\r\n";
      else if (this.version === "1.0") head += "Connection: keep-alive\r\n";
    }
    if (!hasDate) head += `Date: ${httpDate()}\r\n`;
    this._head = head + "\r\n";
    this._headAscii = !latin1;
    this._headersSent = true;
    // A handler that sends headers and then waits before writing still gets them out now.
    queueHeadFlush(this);
  }

  /**
   * Writes a piece of the body (a string as UTF-8), sending the headers first if need be.
   * @throws Error after `writeEof()`, or when the body would pass its `Content-Length`.
   */
  write(data: Uint8Array | string): void {
    if (this._finished) throw new Error("Cannot write() after writeEof()");
    if (!this._headersSent) this.sendHeaders();
    const n = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (n === 0 || this._noBody) return;
    if (this._length >= 0 && this._written + n > this._length) {
      throw new Error(`Response body longer than its Content-Length (${this._length} bytes)`);
    }
    this._written += n;
    if (this._chunked) this._send(`${n.toString(16)}\r\n`, data, "\r\n");
    else this._send(null, data, null);
  }

  /**
   * Ends the response: the last chunk of a chunked body, the headers if none were sent (with
   * `Content-Length: 0` when nothing was written and no framing was chosen). A coroutine that
   * waits until the connection's write buffer drains; calling it again does nothing more.
   */
  writeEof(): CoroutineObject<void> {
    this._finish();
    return this.drain();
  }

  /** @internal Ends the response without making a coroutine (for the server's own answers). */
  _finish(): void {
    if (this._finished) return;
    if (!this._headersSent) {
      if (this._length < 0 && !this._chunked && !this._noBody && !this._hasHeader("content-length") && !this._hasHeader("transfer-encoding")) this.addHeader("Content-Length", "0");
      this.sendHeaders();
    }
    this._finished = true;
    // A body shorter than its Content-Length leaves the client waiting for the rest: only
    // closing the connection ends it.
    if (this._length >= 0 && this._written < this._length && !this._noBody) this._keepAlive = false;
    if (this._chunked && !this._noBody) this._send(null, "0\r\n\r\n", null);
    else if (this._head !== null) this._send(null, null, null);
  }

  private _hasHeader(lowerName: string): boolean {
    const list = this._headerList;
    if (list === null) return (this._headerDict as CIMultiDict).has(lowerName);
    for (let i = 0; i < list.length; i += 2) if ((list[i] as string).toLowerCase() === lowerName) return true;
    return false;
  }

  /** A coroutine that waits while the connection's write buffer is over its high-water mark. */
  drain(): CoroutineObject<void> {
    const protocol = this._protocol;
    if (protocol === null || !protocol._writePaused) return new ReadyCoroutine<void>("drain", undefined);
    return new CoroutineObject<void>("drain", { gen: () => waitDrained(protocol) });
  }

  /** @internal Sends the pending headers now (see queueHeadFlush). */
  _flushHead(): void {
    if (this._head !== null) this._send(null, null, null);
  }

  /**
   * Writes `prefix`, `data` and `suffix` (chunk framing), after the pending headers if any, as
   * one write when they are small.
   */
  private _send(prefix: string | null, data: Uint8Array | string | null, suffix: string | null): void {
    const transport = this.writer;
    let head = this._head;
    this._head = null;
    if (transport.isClosing()) {
      // The client is gone (or the connection is being closed): the bytes have nowhere to go.
      this._keepAlive = false;
      return;
    }
    if (head !== null && !this._headAscii) {
      // Header values are Latin-1 on the wire; strings below go out as UTF-8.
      transport.write(Buffer.from(head, "latin1"));
      head = null;
    }
    const text = head === null ? (prefix ?? "") : prefix === null ? head : head + prefix;
    if (data === null || typeof data === "string") {
      transport.write(suffix === null ? (data === null ? text : text + data) : text + (data ?? "") + suffix);
      return;
    }
    if (text.length === 0 && suffix === null) {
      transport.write(data);
      return;
    }
    if (data.length <= COALESCE_LIMIT) {
      // The text is ASCII here: its length is its size in bytes.
      const buf = Buffer.allocUnsafe(text.length + data.length + (suffix === null ? 0 : suffix.length));
      buf.write(text, 0, "latin1");
      buf.set(data, text.length);
      if (suffix !== null) buf.write(suffix, text.length + data.length, "latin1");
      transport.write(buf);
      return;
    }
    const parts: (string | Uint8Array)[] = [];
    if (text.length > 0) parts.push(text);
    parts.push(data);
    if (suffix !== null) parts.push(suffix);
    transport.writelines(parts);
  }

  toString(): string {
    return `<Response ${this.status} ${this.reason}${this._finished ? " finished" : this._headersSent ? " headers sent" : ""}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function* waitDrained(protocol: ServerHttpProtocol): GeneratorCoroutine<void> {
  if (protocol._writePaused) yield* protocol._waitDrained();
}

// Headers sent by sendHeaders() go out with the first body bytes; those of a response whose body
// does not follow in the same turn are flushed when the turn's microtasks run.
let headFlushes: Response[] = [];
let spareHeadFlushes: Response[] = [];
const RESOLVED = Promise.resolve();

function queueHeadFlush(response: Response): void {
  if (headFlushes.push(response) === 1) void RESOLVED.then(flushHeads);
}

function flushHeads(): void {
  const batch = headFlushes;
  headFlushes = spareHeadFlushes;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i] as Response;
    try {
      r._flushHead();
    } catch (exc) {
      // Outside any callback of the loop: a failure here has nobody else to tell.
      logger.error(`Error sending the headers of ${r}`, exc);
    }
  }
  batch.length = 0;
  spareHeadFlushes = batch;
}
