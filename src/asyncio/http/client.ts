// The HTTP client: aiohttp's `request()` and `ClientSession` over Node's node:http and
// node:https. Node parses responses (llhttp), pools connections (one http.Agent per session and
// scheme) and does TLS; this module runs all of it on the asyncio loop. Every Node event enters
// the loop as an I/O callback (`_runIOCallback`, as the socket transports do), requests are
// library coroutines (await them or `yield*` them), cancelling the task that waits for a response
// aborts the request, and a response's body is read through a StreamReader whose flow control
// pauses the connection. Errors are client-exceptions.ts's; the server side is server.ts.
//
// A request's life: sendRequest (a generator coroutine) makes an Exchange per attempt (the
// first, each redirect, one retry on a stale kept-alive socket). An Exchange is one
// http.ClientRequest: `response` settles when the status line and headers arrive, then its body
// feeds the ClientResponse's content until the end, an error, a timeout or `close()`. The
// RequestState shared by the attempts holds what outlives each: the total deadline, and the
// session `request()` made for itself (closed when the final response is done with).

import * as http from "node:http";
import * as https from "node:https";
import type { Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";
import type { BaseEventLoop } from "../base-events.js";
import { copyContext, runClean, type Context } from "../context.js";
import { CoroutineObject, _currentLoop, type GeneratorCoroutine } from "../coroutines.js";
import type { AbstractEventLoop, TimerHandle } from "../events.js";
import { OSError, TimeoutError } from "../exceptions.js";
import { Future, _setResultUnlessCancelled } from "../futures.js";
import { connectError } from "../socket-transports.js";
import { DEFAULT_LIMIT } from "../streams.js";
import type { Transport } from "../transports.js";
import { BodyReader } from "./body-reader.js";
import {
  ClientConnectionError,
  ClientConnectorDNSError,
  ClientConnectorCertificateError,
  ClientConnectorError,
  ClientOSError,
  ClientSSLError,
  ClientPayloadError,
  ClientResponseError,
  ConnectionTimeoutError,
  ContentTypeError,
  InvalidURL,
  ServerDisconnectedError,
  SocketTimeoutError,
  TooManyRedirects,
  type ConnectionKey,
} from "./client-exceptions.js";
import { CIMultiDict } from "./multidict.js";

// -- Options ------------------------------------------------------------------------------------

/**
 * Timeouts of a request, in seconds (aiohttp's `ClientTimeout`); `null` or absent: none.
 * - `total`: the whole request, redirects and reading the body included; asyncio's
 *   `TimeoutError` when it passes.
 * - `connect`: from the start of an attempt until its connection is made (a kept-alive
 *   connection is made already); `ConnectionTimeoutError`.
 * - `sockRead`: the longest wait for the next data from the server, the response's head or a
 *   piece of its body (not counted while the body is paused because nobody reads it);
 *   `SocketTimeoutError`.
 */
export interface ClientTimeout {
  total?: number | null;
  connect?: number | null;
  sockRead?: number | null;
}

/** The timeouts when none are given: 5 minutes in all, as aiohttp's. */
export const DEFAULT_TIMEOUT: Readonly<ClientTimeout> = Object.freeze({ total: 300 });

/**
 * Request headers: an object (a value may be an array, for a name sent several times), or
 * `[name, value]` pairs (a Map, a MultiDict, a response's headers).
 */
export type LooseHeaders = Readonly<Record<string, string | number | readonly string[]>> | Iterable<readonly [string, string]>;

/**
 * A request body: bytes, a string (UTF-8), form fields (`URLSearchParams`, sent as
 * `application/x-www-form-urlencoded`), or chunks from an async iterable (sent with chunked
 * encoding, as fast as the connection takes them).
 */
export type RequestBody = string | Uint8Array | URLSearchParams | AsyncIterable<Uint8Array | string>;

/** Query parameters added to the URL's own (aiohttp's `params`). */
export type QueryParams = URLSearchParams | Readonly<Record<string, string | number | boolean>> | Iterable<readonly [string, string]>;

/**
 * How https requests check the server (aiohttp's `ssl`): `true` (the default) verifies its
 * certificate against the system's CAs; `false` accepts any certificate (aiohttp's
 * `ssl=False`: for tests, never for real traffic); an object gives node:tls options, such as
 * `ca` to trust a private CA or a self-signed server, or `cert` and `key` for a client
 * certificate.
 */
export type SSLOptions =
  | boolean
  | Pick<ConnectionOptions, "ca" | "cert" | "key" | "passphrase" | "pfx" | "servername" | "rejectUnauthorized" | "checkServerIdentity" | "minVersion" | "maxVersion" | "ciphers">;

/** Options of one request (aiohttp's keyword arguments of `request()`). */
export interface RequestOptions {
  /** Headers sent with this request, after the session's (a name given here replaces the session's). */
  headers?: LooseHeaders;
  /** Query parameters added to the URL. */
  params?: QueryParams;
  /** The body. */
  body?: RequestBody;
  /** A value sent as JSON (`Content-Type: application/json`); not together with `body`. */
  json?: unknown;
  /** Seconds for the whole request, or a ClientTimeout; default: the session's (5 minutes in all). */
  timeout?: number | ClientTimeout;
  /** Follow redirects (301, 302, 303, 307, 308); default true. */
  allowRedirects?: boolean;
  /** How many redirects to follow before `TooManyRedirects`; default 10. */
  maxRedirects?: number;
  /** Throw `ClientResponseError` for a status of 400 and more instead of returning the response. */
  raiseForStatus?: boolean;
  /** The limit of the body's StreamReader, in bytes (aiohttp's `read_bufsize`): default 64 KiB. */
  readBufsize?: number;
  /** How an https server is checked; default: the session's (its certificate verified). */
  ssl?: SSLOptions;
}

/** Options of `request()`, the function: a request's options, and maybe the session to send it in. */
export interface RequestFunctionOptions extends RequestOptions {
  /** Send the request in this session (its connections, headers, timeouts). */
  session?: ClientSession;
}

/** Options of `new ClientSession()`. */
export interface ClientSessionOptions {
  /** A URL that relative request URLs are resolved against. */
  baseUrl?: string | URL;
  /** Headers sent with every request. */
  headers?: LooseHeaders;
  /** The default timeouts: seconds in all, or a ClientTimeout (default: 5 minutes in all). */
  timeout?: number | ClientTimeout;
  /** Throw `ClientResponseError` for every response with a status of 400 and more. */
  raiseForStatus?: boolean;
  /** The default limit of response bodies' StreamReaders (default 64 KiB). */
  readBufsize?: number;
  /** At most this many connections at once, all hosts together (default 100; 0: no limit). */
  limit?: number;
  /** At most this many connections at once to one host (default 0: no limit). */
  limitPerHost?: number;
  /** Seconds an idle kept-alive connection stays open (default 15). */
  keepaliveTimeout?: number;
  /** A new connection for every request, closed after it (no keep-alive). */
  forceClose?: boolean;
  /** How https servers are checked (default: their certificates are verified). */
  ssl?: SSLOptions;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
/** Node's codes for certificates it does not accept (OpenSSL's verify errors, Node's name check). */
const CERT_ERROR = /CERT|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH/;
/** ... and for the rest of what can go wrong in a TLS handshake. */
const TLS_ERROR = /CERT|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH|^ERR_SSL_|^ERR_TLS_|^EPROTO$/;
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NONAME", "EAI_NODATA", "ENODATA"]);
const USER_AGENT = `asyncio-ts (Node.js/${process.versions.node})`;

// Node 20 has Symbol.asyncDispose (as Symbol.for("nodejs.asyncDispose")), Node 24 the standard
// one; elsewhere the key TypeScript's `await using` helpers fall back to (as locks.ts).
const asyncDisposeSymbol: typeof Symbol.asyncDispose = (Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;
const disposeSymbol: typeof Symbol.dispose = (Symbol.dispose ?? Symbol.for("Symbol.dispose")) as typeof Symbol.dispose;

/** A loop whose I/O callbacks this module can run: every loop of the library is one. */
type IOLoop = AbstractEventLoop & Pick<BaseEventLoop, "_runIOCallback">;

// -- ClientSession ------------------------------------------------------------------------------

/**
 * A set of connections kept alive between requests, with default headers and timeouts
 * (aiohttp's `ClientSession`). Requests to the same host reuse an idle connection instead of
 * opening a new one; `close()` closes every connection. `await using` closes it at the end of
 * the block (Python's `async with aiohttp.ClientSession() as session:`).
 *
 * @example
 * ```ts
 * await using session = new aiohttp.ClientSession();
 * const response = await session.get("http://example.com/");
 * console.log(response.status, await response.text());
 * ```
 */
export class ClientSession implements AsyncDisposable {
  private _closed = false;
  private readonly _baseUrl: URL | null;
  private readonly _headers: HeaderList;
  private readonly _timeout: ClientTimeout;
  private readonly _raiseForStatus: boolean;
  private readonly _readBufsize: number;
  private readonly _ssl: SSLOptions;
  private readonly _agentOptions: http.AgentOptions;
  private _httpAgent: http.Agent | null = null;
  private _httpsAgent: https.Agent | null = null;
  /** Every socket the agents made and that is not closed yet. */
  private readonly _sockets = new Set<Socket>();
  /** Waiters of `close()` for the last socket to close. */
  private _closeWaiters: Future<void>[] = [];

  constructor(options: ClientSessionOptions = {}) {
    this._baseUrl = options.baseUrl === undefined ? null : parseUrl(options.baseUrl);
    this._headers = headerList(options.headers);
    this._timeout = normalizeTimeout(options.timeout ?? DEFAULT_TIMEOUT);
    this._raiseForStatus = options.raiseForStatus ?? false;
    this._readBufsize = options.readBufsize ?? DEFAULT_LIMIT;
    this._ssl = options.ssl ?? true;
    const limit = options.limit ?? 100;
    const perHost = options.limitPerHost ?? 0;
    this._agentOptions = {
      keepAlive: !(options.forceClose ?? false),
      // Node's agent closes an idle kept-alive socket after this (sooner if the server's
      // Keep-Alive header asks), which is aiohttp's keepalive_timeout.
      timeout: (options.keepaliveTimeout ?? 15) * 1000,
      maxSockets: perHost > 0 ? perHost : Infinity,
      maxTotalSockets: limit > 0 ? limit : Infinity,
      scheduling: "lifo",
    };
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this._closed;
  }

  /**
   * Sends a request and returns a coroutine for its response, which comes as soon as the status
   * line and headers have arrived: the body is then read from `response.content` (or with
   * `read()`, `text()`, `json()`). A status of 404 or 500 is a response, not an error.
   * @throws ClientConnectorError when the connection fails (`code` "ECONNREFUSED" when nobody
   *   listens), ClientConnectorDNSError when the host's name does not resolve, asyncio's
   *   TimeoutError when `timeout` passes, ServerDisconnectedError when the server closes the
   *   connection without answering, TooManyRedirects, InvalidURL; Error "Session is closed".
   * @example
   * ```ts
   * const response = await session.request("POST", "http://127.0.0.1:8080/items", { json: { name: "x" } });
   * ```
   */
  request(method: string, url: string | URL, options: RequestOptions = {}): CoroutineObject<ClientResponse> {
    return new CoroutineObject<ClientResponse>("request", { gen: () => sendRequest(this, method, url, options, false) });
  }

  /** `request("GET", url, options)`. */
  get(url: string | URL, options?: RequestOptions): CoroutineObject<ClientResponse> {
    return this.request("GET", url, options);
  }

  /** `request("POST", url, options)`. */
  post(url: string | URL, options?: RequestOptions): CoroutineObject<ClientResponse> {
    return this.request("POST", url, options);
  }

  /** `request("PUT", url, options)`. */
  put(url: string | URL, options?: RequestOptions): CoroutineObject<ClientResponse> {
    return this.request("PUT", url, options);
  }

  /** `request("PATCH", url, options)`. */
  patch(url: string | URL, options?: RequestOptions): CoroutineObject<ClientResponse> {
    return this.request("PATCH", url, options);
  }

  /** `request("DELETE", url, options)`. */
  delete(url: string | URL, options?: RequestOptions): CoroutineObject<ClientResponse> {
    return this.request("DELETE", url, options);
  }

  /** `request("HEAD", url, options)`. */
  head(url: string | URL, options?: RequestOptions): CoroutineObject<ClientResponse> {
    return this.request("HEAD", url, options);
  }

  /** `request("OPTIONS", url, options)`. */
  options(url: string | URL, options?: RequestOptions): CoroutineObject<ClientResponse> {
    return this.request("OPTIONS", url, options);
  }

  /**
   * Closes every connection of the session, idle or in use (a response still being read fails
   * with ClientPayloadError), and refuses new requests. The connections are closed when this is
   * called; the coroutine waits until their sockets are gone. Idempotent.
   * @example
   * ```ts
   * const session = new aiohttp.ClientSession();
   * try { ... } finally { await session.close(); }
   * ```
   */
  close(): CoroutineObject<void> {
    this._closeNow();
    return new CoroutineObject<void>("close", { gen: () => this._waitClosed() });
  }

  private *_waitClosed(): GeneratorCoroutine<void> {
    if (this._sockets.size === 0) return;
    const fut = new Future<void>({ loop: _currentLoop() });
    this._closeWaiters.push(fut);
    yield* fut;
  }

  /** `await using session = new ClientSession()`: closes it at the end of the block. */
  [asyncDisposeSymbol](): Promise<void> {
    return Promise.resolve(this.close());
  }

  /** @internal Closes the agents and their sockets now. */
  _closeNow(): void {
    if (this._closed) return;
    this._closed = true;
    this._httpAgent?.destroy();
    this._httpsAgent?.destroy();
    // A socket still connecting is not in the agent's lists yet.
    for (const s of this._sockets) s.destroy();
  }

  /** @internal The connection pool for `url`'s scheme. */
  _agent(url: URL): http.Agent {
    if (url.protocol === "https:") return (this._httpsAgent ??= this._track(new https.Agent(this._agentOptions)));
    return (this._httpAgent ??= this._track(new http.Agent(this._agentOptions)));
  }

  /**
   * Makes the agent's sockets in a clean async context (Node runs a socket's callbacks in the
   * context it was made in, and a task's must not leak into them) and keeps them, so that
   * `close()` can destroy the ones still connecting and wait for all of them to close.
   */
  private _track<A extends http.Agent>(agent: A): A {
    const make = agent.createConnection;
    const sockets = this._sockets;
    const closed = (sock: Socket): void => {
      sockets.delete(sock);
      if (sockets.size === 0 && this._closeWaiters.length > 0) {
        for (const w of this._closeWaiters.splice(0)) (w.getLoop() as IOLoop)._runIOCallback(_setResultUnlessCancelled<void>, [w, undefined], undefined);
      }
    };
    agent.createConnection = function (this: A, options, callback) {
      const sock = runClean(() => make.call(this, options, callback)) as Socket | null | undefined;
      if (sock !== null && sock !== undefined) {
        sockets.add(sock);
        sock.once("close", () => closed(sock));
      }
      return sock;
    };
    return agent;
  }

  /** @internal The absolute URL of a request, with `params` added to its query. */
  _resolve(url: string | URL, params: QueryParams | undefined): URL {
    let u: URL;
    try {
      u = this._baseUrl !== null ? new URL(url, this._baseUrl) : new URL(url);
    } catch {
      throw new InvalidURL(String(url));
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new InvalidURL(String(url), "not an http or https URL");
    if (params !== undefined) for (const [k, v] of queryPairs(params)) u.searchParams.append(k, v);
    return u;
  }

  /** @internal */
  get _defaults(): { headers: HeaderList; timeout: ClientTimeout; raiseForStatus: boolean; readBufsize: number; ssl: SSLOptions } {
    return { headers: this._headers, timeout: this._timeout, raiseForStatus: this._raiseForStatus, readBufsize: this._readBufsize, ssl: this._ssl };
  }

  toString(): string {
    return `<ClientSession ${this._closed ? "closed" : "open"} connections=${this._sockets.size}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

// -- request() ------------------------------------------------------------------------------------

/**
 * Sends one HTTP request and returns a coroutine for its response (aiohttp's
 * `aiohttp.request()`): `await` it in async code, `yield*` it in a generator coroutine. Without
 * `session`, the request has a connection of its own, closed once the response is read to the
 * end, released or closed.
 *
 * The response comes when its status line and headers have arrived; its body is read from
 * `response.content`, a StreamReader, or whole with `read()`, `text()` or `json()`. A 404 is a
 * response (`raiseForStatus()` turns it into an error). Cancelling the task that waits aborts the
 * request.
 *
 * @throws ClientConnectorError (an OSError with Node's `code`: "ECONNREFUSED" when nobody
 *   listens), ClientConnectorDNSError (the host does not resolve: `code` "ENOTFOUND"),
 *   asyncio's TimeoutError (`timeout` passed), ServerDisconnectedError, TooManyRedirects,
 *   InvalidURL. All but the timeout are `ClientError`s.
 * @example
 * The class's curl, as a generator coroutine (Python 3.4's `yield from`):
 * ```ts
 * function* curl(url: string) {
 *   const response = yield* aiohttp.request("GET", url);
 *   console.log(String(response));
 *   const chunk = yield* response.content.read();
 *   console.log(`Downloaded: ${chunk.length}`);
 *   response.close();
 * }
 * const loop = asyncio.getEventLoop();
 * await loop.runUntilComplete(curl(process.argv[2]!));
 * ```
 * and as an async function:
 * ```ts
 * const response = await aiohttp.request("GET", url, { timeout: 10 });
 * const chunk = await response.content.read();
 * response.close();
 * ```
 */
export function request(method: string, url: string | URL, options: RequestFunctionOptions = {}): CoroutineObject<ClientResponse> {
  const { session, ...rest } = options;
  if (session !== undefined) return session.request(method, url, rest);
  return new CoroutineObject<ClientResponse>("request", { gen: () => sendRequest(new ClientSession({ forceClose: true }), method, url, rest, true) });
}

/** What the attempts of one request share. */
class RequestState {
  /** The attempt in progress, which the total deadline ends. */
  exchange: Exchange | null = null;
  private _total: TimerHandle | null = null;
  private _finished = false;

  constructor(
    readonly loop: IOLoop,
    readonly session: ClientSession,
    /** True when the session is the request's own, to close with it. */
    readonly ownsSession: boolean,
    readonly timeout: ClientTimeout,
    readonly readBufsize: number,
    readonly ssl: SSLOptions,
    /** The caller's context variables, which the request's I/O callbacks run in. */
    readonly context: Context | undefined,
  ) {
    const total = timeout.total;
    if (total !== null && total !== undefined) this._total = loop.callLater(total, this._onTotalTimeout);
  }

  private readonly _onTotalTimeout = (): void => {
    this._total = null;
    this.exchange?._timeout(new TimeoutError());
  };

  /** The request is over (its final response's body done with, or it failed): timers and own session go. */
  finish(): void {
    if (this._finished) return;
    this._finished = true;
    this._total?.cancel();
    this._total = null;
    if (this.ownsSession) this.session._closeNow();
  }
}

function* sendRequest(session: ClientSession, method: string, url: string | URL, options: RequestOptions, ownsSession: boolean): GeneratorCoroutine<ClientResponse> {
  if (session.closed) throw new Error("Session is closed");
  if (options.body !== undefined && options.json !== undefined) throw new Error("body and json parameters can not be used at the same time");
  const defaults = session._defaults;
  let target = session._resolve(url, options.params);
  let verb = method.toUpperCase();
  const headers = mergeHeaders(defaults.headers, headerList(options.headers));
  let body = encodeBody(options, headers);
  const state = new RequestState(
    _currentLoop() as IOLoop,
    session,
    ownsSession,
    options.timeout === undefined ? defaults.timeout : normalizeTimeout(options.timeout),
    options.readBufsize ?? defaults.readBufsize,
    options.ssl ?? defaults.ssl,
    copyContext(),
  );
  const maxRedirects = options.maxRedirects ?? 10;
  const history: ClientResponse[] = [];
  let retried = false;
  let final: ClientResponse | null = null;
  try {
    for (;;) {
      const exchange = new Exchange(state, verb, target, finalHeaders(headers), body);
      state.exchange = exchange;
      let response: ClientResponse | null = null;
      let error: unknown = null;
      try {
        response = yield* exchange.response;
      } catch (e) {
        error = e;
      } finally {
        // Cancelled, timed out or failed: no socket may be left behind.
        if (response === null) exchange._abort();
      }
      if (response === null) {
        // A kept-alive connection the server had just closed: Node's advice is to retry once.
        if (exchange._staleSocket && !retried && IDEMPOTENT.has(verb) && isReplayable(body)) {
          retried = true;
          continue;
        }
        throw error;
      }
      const location = response.headers.get("Location");
      if ((options.allowRedirects ?? true) && REDIRECTS.has(response.status) && location !== undefined) {
        let next: URL;
        try {
          if (history.length >= maxRedirects) {
            throw new TooManyRedirects({ status: response.status, message: response.reason, url: response.url, headers: response.headers, history: [...history, response] });
          }
          next = redirectTarget(location, target);
        } catch (e) {
          exchange._abort();
          throw e;
        }
        // 303 always, and 301/302 for anything but GET/HEAD, become a GET without a body, as
        // browsers (and aiohttp) do; 307 and 308 repeat the request as it was.
        const toGet = response.status === 303 ? verb !== "HEAD" : (response.status === 301 || response.status === 302) && verb !== "GET" && verb !== "HEAD";
        if (!toGet && !isReplayable(body)) {
          // A streamed body cannot be sent again: the redirect is the answer.
          final = response;
          break;
        }
        exchange._discardBody();
        history.push(response);
        if (toGet) {
          verb = "GET";
          body = null;
          removeHeaders(headers, ["content-type", "content-length", "transfer-encoding"]);
        }
        // Credentials are for the origin they were given for.
        if (next.origin !== target.origin) removeHeaders(headers, ["authorization", "cookie"]);
        target = next;
        retried = false;
        continue;
      }
      final = response;
      break;
    }
  } finally {
    if (final === null) state.finish();
  }
  final.history = history;
  (state.exchange as Exchange)._makeFinal();
  if ((options.raiseForStatus ?? defaults.raiseForStatus) && final.status >= 400) {
    final.release();
    final.raiseForStatus();
  }
  return final;
}

// -- One attempt: a ClientRequest and its response ------------------------------------------------

/**
 * One HTTP request on Node's http machinery. `response` settles when the response's head has
 * arrived (or fails); the body then feeds the response's content until it ends, fails, times
 * out or is closed.
 *
 * States: connecting -> waiting for the head -> reading the body -> done. `_abort()` ends it
 * from any state, destroying the request and its socket.
 */
class Exchange {
  readonly response: Future<ClientResponse>;
  /** @internal The connection failed on a reused socket before any response: worth one retry. */
  _staleSocket = false;
  private readonly _state: RequestState;
  private readonly _loop: IOLoop;
  private readonly _key: ConnectionKey;
  private readonly _method: string;
  private readonly _url: URL;
  private readonly _req: http.ClientRequest;
  private _res: http.IncomingMessage | null = null;
  private _resp: ClientResponse | null = null;
  private _connected = false;
  private _bodyDone = false;
  private _final = false;
  private _discard = false;
  /** Paused by the content's flow control (the reader is full), or because the loop is stopped. */
  private _flowPaused = false;
  private _loopPaused = false;
  private _connectTimer: TimerHandle | null = null;
  private _readTimer: TimerHandle | null = null;
  private _lastRead = 0;
  /** An error the body's own iterable threw: the request fails with it. */
  private _bodyError: unknown = null;

  constructor(state: RequestState, method: string, url: URL, headers: http.OutgoingHttpHeaders, body: Buffer | AsyncIterable<Uint8Array | string> | null) {
    this._state = state;
    this._loop = state.loop;
    this._method = method;
    this._url = url;
    const ssl = url.protocol === "https:";
    this._key = { host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port === "" ? (ssl ? 443 : 80) : Number(url.port), ssl };
    this.response = new Future<ClientResponse>({ loop: this._loop });
    const options: https.RequestOptions = { method, headers, agent: state.session._agent(url) };
    // TLS options go with each request: Node's agent pools connections by them.
    if (ssl && state.ssl !== true) Object.assign(options, state.ssl === false ? { rejectUnauthorized: false } : state.ssl);
    const mod = ssl ? https : http;
    // Made in a clean async context: Node runs the request's and its socket's callbacks in the
    // context they were made in, and each enters the loop on its own (see `_io`).
    const req = runClean(() => mod.request(url, options));
    this._req = req;
    req.on("socket", (sock: Socket) => this._io(this._onSocket, sock));
    req.on("response", (res: http.IncomingMessage) => this._io(this._onResponse, res));
    req.on("error", (err: Error) => this._io(this._onRequestError, err));
    const connect = state.timeout.connect;
    if (connect !== null && connect !== undefined) {
      this._connectTimer = this._loop.callLater(connect, () => {
        this._connectTimer = null;
        if (!this._connected) this._timeout(new ConnectionTimeoutError(`Connection timeout to host ${url.href}`));
      });
    }
    if (body === null) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else runClean(() => void this._pump(body));
  }

  /**
   * Runs a Node callback on the loop, as the socket transports do, in the caller's context
   * variables. Once the loop is closed nothing will ever read the response: the request goes.
   */
  private _io<A extends unknown[]>(cb: (...args: A) => void, ...args: A): void {
    if (this._loop.isClosed()) {
      this._req.destroy();
      this._res?.destroy();
      return;
    }
    this._loop._runIOCallback(cb, args, this._state.context);
  }

  /** Writes a streamed body, waiting whenever the connection's buffer is full. */
  private async _pump(body: AsyncIterable<Uint8Array | string>): Promise<void> {
    const req = this._req;
    try {
      for await (const chunk of body) {
        if (req.destroyed) return;
        if (!req.write(chunk)) await drainedOrClosed(req);
      }
      if (!req.destroyed) req.end();
    } catch (e) {
      this._bodyError = e;
      req.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private readonly _onSocket = (sock: Socket): void => {
    if (!sock.connecting) {
      this._onConnect(); // a kept-alive connection
      return;
    }
    // A TLS connection is made once its handshake is done (the connect timeout includes it).
    sock.once(this._key.ssl ? "secureConnect" : "connect", () => this._io(this._onConnect));
  };

  private readonly _onConnect = (): void => {
    this._connected = true;
    this._connectTimer?.cancel();
    this._connectTimer = null;
    this._startReadTimer();
  };

  private readonly _onResponse = (res: http.IncomingMessage): void => {
    this._res = res;
    const resp = new ClientResponse(this, this._method, this._url, res, this._state.readBufsize, this._loop);
    this._resp = resp;
    const content = resp.content;
    // The content pauses the response when its buffer is full and resumes it when drained.
    content.setTransport(new BodyFlow(this) as unknown as Transport);
    res.on("data", (chunk: Buffer) => {
      // A stopped loop runs no I/O callback: they would queue up (and the data with them)
      // until it runs again. Stop reading instead, and go on when it runs.
      if (!this._loop.isRunning() && !this._loopPaused && !this._loop.isClosed()) {
        this._loopPaused = true;
        res.pause();
        this._loop.callSoon(this._resumeAfterLoopPause);
      }
      this._io(this._onData, chunk);
    });
    res.on("end", () => this._io(this._onEnd));
    res.on("error", (err: Error) => this._io(this._onBodyError, err));
    res.on("close", () => this._io(this._onClose));
    this._lastRead = this._loop.time();
    if (this.response.done()) {
      // Cancelled or timed out while the head was on its way.
      this._abort();
      return;
    }
    this.response.setResult(resp);
  };

  private readonly _resumeAfterLoopPause = (): void => {
    this._loopPaused = false;
    if (!this._flowPaused && this._res !== null && !this._bodyDone) this._res.resume();
  };

  private readonly _onData = (chunk: Buffer): void => {
    this._lastRead = this._loop.time();
    if (this._discard || this._bodyDone) return;
    // Node hands each chunk over and never writes to it again: the reader may keep it as is.
    (this._resp as ClientResponse).content._feedOwned(chunk);
  };

  private readonly _onEnd = (): void => {
    if (this._bodyDone) return;
    (this._resp as ClientResponse).content.feedEof();
    this._endBody();
  };

  private readonly _onBodyError = (err: Error): void => {
    this._failBody(new ClientPayloadError("Response payload is not completed", { cause: err }));
  };

  private readonly _onClose = (): void => {
    if (!(this._res as http.IncomingMessage).complete) this._failBody(new ClientPayloadError());
  };

  private readonly _onRequestError = (err: Error): void => {
    if (this._resp !== null) {
      this._failBody(new ClientPayloadError("Response payload is not completed", { cause: err }));
      return;
    }
    if (this.response.done()) return;
    this._staleSocket = this._req.reusedSocket && this._connected && isReset(err);
    this.response.setException(this._bodyError ?? this._translate(err));
    this._clearTimers();
  };

  /** The client error a Node error before the response means. */
  private _translate(err: Error): Error {
    const code = String((err as { code?: unknown }).code ?? "");
    if (DNS_CODES.has(code)) return new ClientConnectorDNSError(this._key, new OSError(describeDns(code), code, { cause: err }));
    if (!this._connected && this._key.ssl && TLS_ERROR.test(code)) {
      const osError = new OSError(err.message, code, { cause: err });
      return CERT_ERROR.test(code) ? new ClientConnectorCertificateError(this._key, osError) : new ClientSSLError(this._key, osError);
    }
    if (!this._connected) {
      const osError = connectError(err, this._key.host, this._key.port);
      if (osError instanceof OSError) return new ClientConnectorError(this._key, osError);
    }
    if (isReset(err)) return new ServerDisconnectedError("Server disconnected", { cause: err });
    if (code.startsWith("HPE_")) return new ClientResponseError({ status: 400, message: err.message, url: this._url }, undefined, { cause: err });
    if (code.startsWith("E")) return new ClientOSError(err.message, code, { cause: err });
    return new ClientConnectionError(err.message, undefined, { cause: err });
  }

  /** A timeout passed: the request fails with `err`, or its body does when the head is in. */
  _timeout(err: Error): void {
    if (!this.response.done()) {
      this.response.setException(err);
      this._abort();
    } else if (this._resp !== null && !this._bodyDone) {
      this._failBody(err);
    }
  }

  /** The body ends with `err` (unless it already ended): readers get what came, then `err`. */
  private _failBody(err: Error): void {
    if (this._bodyDone) return;
    const content = (this._resp as ClientResponse).content;
    if (content.exception() === null) content.setException(err);
    this._abort();
  }

  private _endBody(): void {
    this._bodyDone = true;
    this._clearTimers();
    if (this._final) this._state.finish();
  }

  /** @internal This exchange's response is the one the request returns. */
  _makeFinal(): void {
    this._final = true;
    this._state.exchange = this;
    if (this._bodyDone) this._state.finish();
  }

  /**
   * @internal Done with the response (release, close): a body not read to its end can only be
   * dropped with its connection (Node returns a socket to the pool once the body has been read).
   */
  _release(): void {
    if (this._bodyDone) {
      if (this._final) this._state.finish();
      return;
    }
    this._failBody(new ClientConnectionError("Connection closed"));
  }

  /** @internal A redirect's body is read and dropped, so its connection can serve the next request. */
  _discardBody(): void {
    this._discard = true;
    const content = (this._resp as ClientResponse).content;
    if (!content.atEof()) content.feedEof();
    if (this._res !== null && !this._bodyDone) {
      this._flowPaused = false;
      this._res.resume();
    }
  }

  /** @internal Ends the exchange at once: the request and its socket are destroyed. */
  _abort(): void {
    const wasDone = this._bodyDone;
    this._bodyDone = true;
    this._clearTimers();
    this._req.destroy();
    this._res?.destroy();
    if (!wasDone && this._final) this._state.finish();
  }

  /** @internal The content is full (`pause`) or drained (`resume`). */
  _flow(pause: boolean): void {
    if (this._res === null || this._bodyDone || this._discard) return;
    this._flowPaused = pause;
    if (pause) this._res.pause();
    else {
      this._lastRead = this._loop.time();
      if (!this._loopPaused) this._res.resume();
    }
  }

  private _startReadTimer(): void {
    const sockRead = this._state.timeout.sockRead;
    if (sockRead === null || sockRead === undefined || this._readTimer !== null) return;
    this._lastRead = this._loop.time();
    this._readTimer = this._loop.callLater(sockRead, this._onReadTimer);
  }

  /** Re-armed for what is left of the wait rather than on every chunk: one timer per wait, not per chunk. */
  private readonly _onReadTimer = (): void => {
    this._readTimer = null;
    const sockRead = this._state.timeout.sockRead as number;
    if (this._bodyDone) return;
    const idle = this._flowPaused || this._loopPaused ? 0 : this._loop.time() - this._lastRead;
    if (this._flowPaused || this._loopPaused) this._lastRead = this._loop.time();
    if (idle < sockRead) this._readTimer = this._loop.callLater(sockRead - idle, this._onReadTimer);
    else this._timeout(new SocketTimeoutError("Timeout on reading data from socket"));
  };

  private _clearTimers(): void {
    this._connectTimer?.cancel();
    this._connectTimer = null;
    this._readTimer?.cancel();
    this._readTimer = null;
  }
}

/**
 * What a response's StreamReader sees as its transport: the reader only pauses and resumes
 * reading (StreamReader.setTransport takes a full Transport, though it calls nothing else).
 */
class BodyFlow {
  constructor(private readonly _exchange: Exchange) {}
  pauseReading(): void {
    this._exchange._flow(true);
  }
  resumeReading(): void {
    this._exchange._flow(false);
  }
}

// -- ClientResponse -------------------------------------------------------------------------------

/**
 * The response to a request (aiohttp's `ClientResponse`): its status line and headers, and its
 * body as `content`, a StreamReader, still arriving. Read the body with `content.read()` and
 * friends, or whole with `read()`, `text()`, `json()`; then the connection goes back to the
 * session (or closes, for `request()` without a session). `release()` or `close()` when done
 * without reading it all drops the connection. `await using response = await ...` releases it
 * at the end of the block (Python's `async with session.get(url) as response:`).
 *
 * Its text form is aiohttp's repr: `<ClientResponse(http://127.0.0.1:8080/) [200 OK]>`, then
 * the headers on a second line.
 *
 * @example
 * ```ts
 * await using response = await session.get("http://127.0.0.1:8080/data.json");
 * if (response.status === 200) console.log(await response.json());
 * for await (const chunk of (await session.get(bigFileUrl)).content.iterChunked(65536)) file.write(chunk);
 * ```
 */
export class ClientResponse implements AsyncDisposable, Disposable {
  /** The request's method. */
  readonly method: string;
  /** The URL that answered (after redirects). */
  readonly url: URL;
  /** The status code: 200, 404, ... */
  readonly status: number;
  /** The reason phrase: "OK", "Not Found", ... */
  readonly reason: string;
  /** The HTTP version of the response: "1.1". */
  readonly version: string;
  /** The headers, with case-insensitive names. */
  readonly headers: CIMultiDict;
  /** The body, as it arrives: a StreamReader. */
  readonly content: BodyReader;
  /** The redirect responses that led here, first first. */
  history: readonly ClientResponse[] = [];
  private _exchange: Exchange | null;
  private _body: Buffer | null = null;
  private _closed = false;

  /** @internal Made by the client when a response's head arrives. */
  constructor(exchange: Exchange, method: string, url: URL, res: http.IncomingMessage, limit: number, loop: AbstractEventLoop) {
    this._exchange = exchange;
    this.method = method;
    this.url = url;
    this.status = res.statusCode ?? 0;
    this.reason = res.statusMessage ?? "";
    this.version = res.httpVersion;
    this.headers = CIMultiDict._fromRawHeaders(res.rawHeaders);
    this.content = new BodyReader({ limit, loop });
  }

  /** True for a status below 400. */
  get ok(): boolean {
    return this.status < 400;
  }

  /** The media type of the body, from Content-Type (`"application/octet-stream"` without one). */
  get contentType(): string {
    const ct = this.headers.get("Content-Type");
    return ct === undefined ? "application/octet-stream" : (ct.split(";")[0] as string).trim().toLowerCase();
  }

  /** The `charset` parameter of Content-Type, or `null`. */
  get charset(): string | null {
    const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(this.headers.get("Content-Type") ?? "");
    return m === null ? null : (m[1] as string).toLowerCase();
  }

  /** Content-Length as a number, or `null` without one. */
  get contentLength(): number | null {
    const v = this.headers.get("Content-Length");
    return v === undefined || !/^\d+$/.test(v.trim()) ? null : Number(v);
  }

  /** True once released or closed. */
  get closed(): boolean {
    return this._closed;
  }

  /**
   * Throws for a status of 400 and more; nothing otherwise.
   * @throws ClientResponseError "404, message='Not Found', url='http://...'".
   */
  raiseForStatus(): void {
    if (this.status >= 400) {
      throw new ClientResponseError({ status: this.status, message: this.reason, url: this.url, headers: this.headers, history: this.history });
    }
  }

  /** The whole body (what `content` has not given out yet), kept for later calls. */
  read(): CoroutineObject<Buffer> {
    return new CoroutineObject<Buffer>("read", { gen: () => this._read() });
  }

  private *_read(): GeneratorCoroutine<Buffer> {
    if (this._body === null) this._body = yield* this.content.read();
    return this._body;
  }

  /** The body decoded as text: in `encoding`, else the Content-Type's charset, else UTF-8. */
  text(encoding?: string): CoroutineObject<string> {
    const self = this;
    function* text(): GeneratorCoroutine<string> {
      return decode(yield* self._read(), encoding ?? self.charset ?? "utf-8");
    }
    return new CoroutineObject<string>("text", { gen: text });
  }

  /**
   * The body parsed as JSON (`null` for an empty body).
   * @param options.contentType the media type expected (default `"application/json"`, also
   *   accepting `application/...+json`); `null` accepts any.
   * @throws ContentTypeError when the response's media type is not the one expected;
   *   SyntaxError when the body is not JSON.
   */
  json<T = unknown>(options: { contentType?: string | null; loads?: (text: string) => T; encoding?: string } = {}): CoroutineObject<T | null> {
    const self = this;
    function* json(): GeneratorCoroutine<T | null> {
      const body = yield* self._read();
      const expected = options.contentType === undefined ? "application/json" : options.contentType;
      if (expected !== null && !isExpectedContentType(self.contentType, expected)) {
        throw new ContentTypeError({
          status: self.status,
          message: `Attempt to decode JSON with unexpected mimetype: ${self.contentType}`,
          url: self.url,
          headers: self.headers,
          history: self.history,
        });
      }
      const text = decode(body, options.encoding ?? self.charset ?? "utf-8");
      if (text.trim() === "") return null;
      return options.loads !== undefined ? options.loads(text) : (JSON.parse(text) as T);
    }
    return new CoroutineObject<T | null>("json", { gen: json });
  }

  /**
   * Done with the response: once the body was read to its end the connection is already back in
   * the session; a body not read to its end is dropped with its connection. Idempotent.
   */
  release(): void {
    this._closed = true;
    const ex = this._exchange;
    this._exchange = null;
    ex?._release();
  }

  /** Closes the response: as `release()` (a body not read to its end closes its connection). */
  close(): void {
    this.release();
  }

  /** `await using response = await session.get(url)`: released at the end of the block. */
  [asyncDisposeSymbol](): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  /** `using response = yield* session.get(url)` in a generator coroutine: released at the end of the block. */
  [disposeSymbol](): void {
    this.release();
  }

  /** aiohttp's repr: `<ClientResponse(url) [200 OK]>` and the headers on the next line. */
  toString(): string {
    return `<ClientResponse(${this.url.href}) [${this.status} ${this.reason || "None"}]>\n${this.headers.toString()}`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

// -- Helpers --------------------------------------------------------------------------------------

/** Request headers as `[name, value]` pairs, in order (names as given; matched without case). */
type HeaderList = [string, string][];

function headerList(init: LooseHeaders | undefined): HeaderList {
  const out: HeaderList = [];
  if (init === undefined) return out;
  if (isIterable(init)) {
    for (const [k, v] of init) out.push([k, String(v)]);
    return out;
  }
  for (const [k, v] of Object.entries(init)) {
    if (Array.isArray(v)) for (const x of v as readonly string[]) out.push([k, String(x)]);
    else out.push([k, String(v)]);
  }
  return out;
}

function isIterable(x: unknown): x is Iterable<readonly [string, string]> {
  return x !== null && typeof x === "object" && typeof (x as Iterable<unknown>)[Symbol.iterator] === "function";
}

function removeHeaders(list: HeaderList, names: readonly string[]): void {
  for (let i = list.length - 1; i >= 0; i--) if (names.includes((list[i] as [string, string])[0].toLowerCase())) list.splice(i, 1);
}

/** The session's headers, but for the names the request gives itself. */
function mergeHeaders(session: HeaderList, own: HeaderList): HeaderList {
  const names = new Set(own.map(([k]) => k.toLowerCase()));
  return [...session.filter(([k]) => !names.has(k.toLowerCase())), ...own];
}

/**
 * The headers as Node takes them: the values of a name given several times all sent; User-Agent
 * and Accept as aiohttp sends them unless given.
 */
function finalHeaders(list: HeaderList): http.OutgoingHttpHeaders {
  const byName = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of list) {
    const entry = byName.get(name.toLowerCase());
    if (entry === undefined) byName.set(name.toLowerCase(), { name, values: [value] });
    else entry.values.push(value);
  }
  const out: http.OutgoingHttpHeaders = {};
  if (!byName.has("user-agent")) out["User-Agent"] = USER_AGENT;
  if (!byName.has("accept")) out["Accept"] = "*/*";
  for (const { name, values } of byName.values()) out[name] = values.length === 1 ? values[0] : values;
  return out;
}

function queryPairs(params: QueryParams): Iterable<readonly [string, string]> {
  if (params instanceof URLSearchParams || isIterable(params)) return params as Iterable<readonly [string, string]>;
  return Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]);
}

/** The body as Node sends it, and the headers it implies (unless given). */
function encodeBody(options: RequestOptions, headers: HeaderList): Buffer | AsyncIterable<Uint8Array | string> | null {
  const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
  let buf: Buffer;
  if (options.json !== undefined) {
    buf = Buffer.from(JSON.stringify(options.json) ?? "null");
    if (!has("content-type")) headers.push(["Content-Type", "application/json"]);
  } else {
    const body = options.body;
    if (body === undefined) return null;
    if (typeof body === "string") {
      buf = Buffer.from(body);
      if (!has("content-type")) headers.push(["Content-Type", "text/plain; charset=utf-8"]);
    } else if (body instanceof URLSearchParams) {
      buf = Buffer.from(body.toString());
      if (!has("content-type")) headers.push(["Content-Type", "application/x-www-form-urlencoded"]);
    } else if (body instanceof Uint8Array) {
      buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      if (!has("content-type")) headers.push(["Content-Type", "application/octet-stream"]);
    } else if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
      if (!has("content-type")) headers.push(["Content-Type", "application/octet-stream"]);
      return body;
    } else {
      throw new TypeError("body must be a string, a Uint8Array, URLSearchParams or an async iterable of chunks");
    }
  }
  if (!has("content-length")) headers.push(["Content-Length", String(buf.length)]);
  return buf;
}

function isReplayable(body: Buffer | AsyncIterable<Uint8Array | string> | null): boolean {
  return body === null || Buffer.isBuffer(body);
}

function normalizeTimeout(t: number | ClientTimeout): ClientTimeout {
  if (typeof t === "number") return { total: t };
  return { total: t.total ?? null, connect: t.connect ?? null, sockRead: t.sockRead ?? null };
}

function parseUrl(url: string | URL): URL {
  try {
    return new URL(url);
  } catch {
    throw new InvalidURL(String(url));
  }
}

function isReset(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return code === "ECONNRESET" || code === "EPIPE";
}

function describeDns(code: string): string {
  return code === "EAI_AGAIN" ? "Temporary failure in name resolution" : "Name or service not known";
}

function isExpectedContentType(actual: string, expected: string): boolean {
  if (expected === "application/json") return /^application\/(?:[\w.+-]+?\+)?json$/.test(actual);
  return actual === expected.toLowerCase();
}

function decode(body: Buffer, encoding: string): string {
  // TextDecoder knows the WHATWG encodings (utf-8, latin1, shift_jis, ...) by all their labels.
  return new TextDecoder(encoding).decode(body);
}

function redirectTarget(location: string, base: URL): URL {
  let next: URL;
  try {
    next = new URL(location, base);
  } catch {
    throw new InvalidURL(location, "invalid redirect location");
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") throw new InvalidURL(location, "redirect to a URL that is not http or https");
  return next;
}

function drainedOrClosed(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      req.off("drain", done);
      req.off("close", done);
      resolve();
    };
    req.on("drain", done);
    req.on("close", done);
  });
}
