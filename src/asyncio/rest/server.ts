// aiorest on asyncio-ts: RESTServer (routes of JSON handlers) and the protocol it makes for each
// connection, a ServerHttpProtocol whose handleRequest routes, reads the body, calls the handler
// and answers with its value as JSON. Parsing and the wire are http/server.ts's; matching is
// router.ts's.

import { STATUS_CODES } from "node:http";
import { callInTask, delegate, functionKind, type GeneratorCoroutine } from "../coroutines.js";
import type { AbstractEventLoop } from "../events.js";
import { isCancelledError } from "../exceptions.js";
import { logger } from "../log.js";
import type { StreamReader } from "../streams.js";
import { CIMultiDict, MultiDict } from "../http/multidict.js";
import { Response, ServerHttpProtocol, type RawRequestMessage, type ServerHttpProtocolOptions } from "../http/server.js";
import { Router } from "../http/router.js";

/**
 * An error a handler throws to answer with `status` (aiorest's `RESTError`): the answer's body
 * is `body`, as JSON (by default `{"error": message}`), with `headers` added.
 * @example
 * ```ts
 * server.addUrl("GET", "/users/{id}", (request) => {
 *   const user = users.get(request.matchInfo.id!);
 *   if (user === undefined) throw new RESTError(404, "No such user");
 *   return user;
 * });
 * ```
 */
export class RESTError extends Error {
  override name = "RESTError";
  /** The status to answer with. */
  readonly status: number;
  /** The JSON body of the answer. */
  readonly body: unknown;
  /** Headers to add to the answer. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message?: string, options?: { body?: unknown; headers?: Record<string, string> }) {
    const text = message ?? STATUS_CODES[status] ?? "Error";
    super(text);
    this.status = status;
    this.body = options?.body !== undefined ? options.body : { error: text };
    this.headers = options?.headers ?? {};
  }
}

/** What a handler may set on its answer besides the body: `request.response.status = 201`. */
export class ResponseInfo {
  /** The status of the answer (200 unless the handler sets another). */
  status = 200;
  /** Headers to add to the answer. */
  readonly headers = new CIMultiDict();
}

const NO_BODY = Buffer.alloc(0);

/**
 * A request as a REST handler sees it: the request line and headers, the query string and
 * the path's parameters, and the whole body, already read.
 */
export class Request {
  /** The method, upper case. */
  readonly method: string;
  /** The path, without its query string. */
  readonly path: string;
  /** The query string (without `?`), `""` when there is none. */
  readonly queryString: string;
  /** The path's parameters, by name (`/hello/{name}` gives `matchInfo.name`), percent-decoded. */
  readonly matchInfo: Readonly<Record<string, string>>;
  /** The body, as received. */
  readonly body: Buffer;
  /** The request line and headers as the server parsed them. */
  readonly message: RawRequestMessage;
  private _query: MultiDict | null = null;
  private _response: ResponseInfo | null = null;

  /** @internal Made by the server for each request. */
  constructor(message: RawRequestMessage, path: string, queryString: string, matchInfo: Record<string, string>, body: Buffer) {
    this.message = message;
    this.method = message.method;
    this.path = path;
    this.queryString = queryString;
    this.matchInfo = matchInfo;
    this.body = body;
  }

  /** The HTTP version, `"1.1"`. */
  get version(): string {
    return this.message.version;
  }

  /** The headers, looked up without regard to case. */
  get headers(): CIMultiDict {
    return this.message.headers;
  }

  /** The query string's parameters, repeated keys kept in order. */
  get query(): MultiDict {
    return (this._query ??= new MultiDict(new URLSearchParams(this.queryString)));
  }

  /** What the handler may set on its answer: `status`, `headers`. */
  get response(): ResponseInfo {
    return (this._response ??= new ResponseInfo());
  }

  /** @internal The answer's settings if the handler asked for them. */
  get _responseInfo(): ResponseInfo | null {
    return this._response;
  }

  /** The body as text (UTF-8). */
  text(): string {
    return this.body.toString("utf8");
  }

  /**
   * The body parsed as JSON (aiorest's `json_body`).
   * @throws RESTError 400 when it is not JSON.
   */
  json(): unknown {
    try {
      return JSON.parse(this.text());
    } catch {
      throw new RESTError(400, "Request body is not valid JSON");
    }
  }

  toString(): string {
    return `<Request ${this.method} ${this.path}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * A REST handler: takes the request, returns the value to send as JSON (`undefined` is sent as
 * `null`). A plain function, an async function or a generator function (3.4 style).
 */
export type RESTHandler = (request: Request) => unknown;

/** Options of a RESTServer: aiorest's, and those of the protocol it serves with. */
export interface RESTServerOptions extends ServerHttpProtocolOptions {
  /** The host name the server is reached by, as aiorest took it (kept, not checked against requests). */
  hostname: string;
  /** The loop it serves on (by default, the loop that runs the connections). */
  loop?: AbstractEventLoop;
  /** The largest body read for a handler, in bytes (default 1 MiB); a larger one is answered 413. */
  maxBodySize?: number;
}

interface Entry {
  readonly handler: RESTHandler;
  /** An async function is called inside its task, so that cancelling the task reaches its awaits. */
  readonly isAsync: boolean;
}

/**
 * A server of JSON handlers by method and path (aiorest's `RESTServer`). Its protocol factory
 * is `makeHandler`, which works unbound, so it is passed to `loop.createServer` as the class
 * does.
 *
 * For every request: no route for the path answers 404, a route for another method 405 (with
 * `Allow`), a handler that throws 500 (logged to the `asyncio` logger with its traceback) or
 * the status of a `RESTError`; each with a JSON body `{"error": ...}`.
 *
 * @example
 * ```ts
 * function hello(request: Request) {
 *   return { hello: "world" };
 * }
 * const server = new RESTServer({ hostname: "127.0.0.1", loop });
 * server.addUrl("GET", "/", hello);
 * const srv = await loop.createServer(server.makeHandler, "127.0.0.1", 8080);
 * ```
 */
export class RESTServer {
  /** The host name given (aiorest's `hostname`). */
  readonly hostname: string;
  /** The loop given, or null. */
  readonly loop: AbstractEventLoop | null;
  /** @internal */ readonly _router = new Router<Entry>();
  /** @internal */ readonly _maxBodySize: number;
  private readonly _protocolOptions: ServerHttpProtocolOptions;

  constructor(options: RESTServerOptions) {
    const { hostname, loop, maxBodySize, ...protocolOptions } = options;
    this.hostname = hostname;
    this.loop = loop ?? null;
    this._maxBodySize = maxBodySize ?? 1024 * 1024;
    this._protocolOptions = protocolOptions;
  }

  /**
   * Routes `method` requests for `path` to `handler`. The path may hold parameters: `{name}`
   * (one segment) or `{name:regexp}`, found in `request.matchInfo`.
   * @throws Error for a path that does not start with `/` or a malformed parameter.
   */
  addUrl(method: string, path: string, handler: RESTHandler): void {
    if (typeof handler !== "function") throw new TypeError(`handler must be a function, not ${typeof handler}`);
    this._router.add(method, path, { handler, isAsync: functionKind(handler) === "async" });
  }

  /** The protocol factory for `loop.createServer(server.makeHandler, host, port)`: a new connection's protocol. */
  readonly makeHandler = (): RESTRequestHandler => new RESTRequestHandler(this, this._protocolOptions);

  toString(): string {
    return `<RESTServer ${this.hostname}>`;
  }
}

/** The protocol of one connection to a RESTServer. */
export class RESTRequestHandler extends ServerHttpProtocol {
  private readonly _server: RESTServer;

  constructor(server: RESTServer, options?: ServerHttpProtocolOptions) {
    super(options);
    this._server = server;
  }

  // A generator method: a handler that answers at once (the usual case) costs no Promise.
  override *handleRequest(message: RawRequestMessage, payload: StreamReader): GeneratorCoroutine<void> {
    const server = this._server;
    const q = message.path.indexOf("?");
    const path = q === -1 ? message.path : message.path.slice(0, q);
    let status = 200;
    let value: unknown;
    let headers: CIMultiDict | Readonly<Record<string, string>> | null = null;
    try {
      const match = server._router.resolve(message.method, path);
      if (match.kind === "notFound") throw new RESTError(404);
      if (match.kind === "badPath") throw new RESTError(400, "Malformed path");
      if (match.kind === "methodNotAllowed") throw new RESTError(405, undefined, { headers: { Allow: match.allowed.join(", ") } });
      const body = payload.atEof() ? NO_BODY : yield* readBody(payload, server._maxBodySize);
      const request = new Request(message, path, q === -1 ? "" : message.path.slice(q + 1), match.matchInfo, body);
      const { handler, isAsync } = match.handler;
      value = yield* delegate(isAsync ? callInTask(() => handler(request)) : handler(request));
      const info = request._responseInfo;
      if (info !== null) {
        status = info.status;
        headers = info.headers;
      }
    } catch (exc) {
      if (isCancelledError(exc)) throw exc;
      if (exc instanceof RESTError) {
        status = exc.status;
        value = exc.body;
        headers = exc.headers;
      } else {
        logger.error(`Error handling request ${message.method} ${message.path}`, exc);
        status = 500;
        value = this.debug && exc instanceof Error ? { error: "Internal Server Error", traceback: exc.stack } : { error: "Internal Server Error" };
      }
    }
    let json: string;
    try {
      json = JSON.stringify(value === undefined ? null : value);
    } catch (exc) {
      // A value JSON cannot hold (a cycle, a BigInt) is the handler's error.
      logger.error(`Error handling request ${message.method} ${message.path}: its result cannot be sent as JSON`, exc);
      status = 500;
      json = '{"error":"Internal Server Error"}';
    }
    // After a body too large, the rest of it is not worth reading: the connection closes.
    const response = new Response(this.writer, status, { httpVersion: message.version, close: status === 413 });
    response.addHeader("Content-Type", "application/json; charset=utf-8");
    response.addHeader("Content-Length", Buffer.byteLength(json));
    if (headers !== null) for (const [name, v] of headers instanceof CIMultiDict ? headers : Object.entries(headers)) response.addHeader(name, v);
    response.write(json);
    yield* response.writeEof();
  }
}

/**
 * Reads a body up to `max` bytes.
 * @throws RESTError 413 when it is longer.
 */
function* readBody(payload: StreamReader, max: number): GeneratorCoroutine<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = yield* payload.read(65536);
    if (chunk.length === 0) break;
    size += chunk.length;
    if (size > max) throw new RESTError(413, `Request body larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
