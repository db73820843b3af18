// HTTP/1 request parsing with Node's own llhttp binding: the only module of the HTTP layer that
// touches Node internals. The server protocol (server.ts) feeds it the bytes its transport
// receives and hears of each message through a small handler interface.
//
// Why Node's internal parser: llhttp is what node:http itself runs, maintained and fuzzed with
// Node, and `_http_common.HTTPParser` is its binding. Using it directly, fed from the protocol's
// `dataReceived`, parses exactly as node:http does without a Duplex stream per connection (the
// other way to reach llhttp: an `http.Server` handed a stream bridged to the transport). It is not
// a documented API, so everything that depends on its shape is here, checked when this module
// loads (a clear error rather than a wrong parse) and by test/asyncio/http/parser.test.ts.
// Checked on Node 20.20 and 24.21: same exports, same callback slots and arguments, same
// `initialize(type, resource, maxHeaderSize, lenientFlags)`; `execute` returns the bytes parsed
// or an Error with llhttp's `code` (`HPE_...`); body chunks are fresh copies (never reused);
// `finish()` only asks llhttp whether a message is cut off (llhttp_finish), so the parser goes on
// after it: it tells a slow client's partial headers without a callback per message.
// The method number llhttp reports is not an index into `_http_common.methods` for every
// method (QUERY is 46 in a list of 35), so the names are learned by asking llhttp itself.

import { createRequire } from "node:module";
import { METHODS } from "node:http";

/** The native parser object, as `_http_common.HTTPParser` makes it (Node 20, 24). */
interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  /** The bytes parsed, or an Error with `code` (`"HPE_INVALID_METHOD"`, ...). */
  execute(data: Buffer): number | NativeParseError;
  /** Tells the parser the stream ended: an Error when a message was cut off. */
  finish(): undefined | NativeParseError;
  remove?(): void;
  close(): void;
  [slot: number]: unknown;
  /** This module's link back to the RequestParser that owns it. */
  owner: RequestParser | null;
}

interface NativeParseError extends Error {
  code: string;
  reason?: string;
  bytesParsed?: number;
}

interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

function loadNativeParser(): NativeParserClass {
  const require = createRequire(import.meta.url);
  const common = require("node:_http_common") as { HTTPParser?: NativeParserClass };
  const P = common.HTTPParser;
  const slots = ["REQUEST", "kOnHeaders", "kOnHeadersComplete", "kOnBody", "kOnMessageComplete", "kLenientNone"] as const;
  const proto = P?.prototype as Partial<NativeParser> | undefined;
  if (
    typeof P !== "function" ||
    slots.some((s) => typeof P[s] !== "number") ||
    typeof proto?.initialize !== "function" ||
    typeof proto.execute !== "function" ||
    typeof proto.finish !== "function"
  ) {
    throw new Error(
      `asyncio-ts/http parses HTTP with Node's own llhttp binding (_http_common.HTTPParser), which Node ${process.version} does not offer in the shape it was checked with (Node 20 and 24): see src/asyncio/http/parser.ts`,
    );
  }
  return P;
}

const HTTPParser = loadNativeParser();
const kOnHeaders = HTTPParser.kOnHeaders;
const kOnHeadersComplete = HTTPParser.kOnHeadersComplete;
const kOnBody = HTTPParser.kOnBody;
const kOnMessageComplete = HTTPParser.kOnMessageComplete;

/** Headers kept per message, as node:http's default `maxHeadersCount` (pairs). */
const MAX_HEADER_PAIRS = 2000;

/** What a RequestParser tells its owner, in the order llhttp finds things. */
export interface RequestParserHandler {
  /**
   * A request line and its headers are complete. `rawHeaders` alternates names and values as
   * they came (node:http's `rawHeaders`); `shouldKeepAlive` is llhttp's verdict from the version
   * and the Connection header; `upgrade` is true for CONNECT and `Upgrade:` requests, whose
   * bytes after the headers are not HTTP (the parser stops there).
   */
  onHeadersComplete(method: string, url: string, versionMajor: number, versionMinor: number, rawHeaders: string[], upgrade: boolean, shouldKeepAlive: boolean): void;
  /** A piece of the body (chunked framing already removed); the Buffer is the owner's to keep. */
  onBody(chunk: Buffer): void;
  /** The message, body included, is complete. */
  onMessageComplete(): void;
}

// node:http's answers (socketOnError in _http_server.js); ERR_HTTP_REQUEST_TIMEOUT is its code for
// headers that took too long, which the server protocol times itself.
const STATUS_BY_CODE: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * A request that llhttp rejected (or whose headers took too long). `code` is llhttp's (`HPE_INVALID_METHOD`,
 * `HPE_HEADER_OVERFLOW`, ...; `ERR_HTTP_REQUEST_TIMEOUT` for a headers timeout), `status` the
 * HTTP status to answer with, as node:http answers: 431 for headers too large, 413 for chunk
 * extensions too large, 408 for the timeout, 400 otherwise.
 */
export class HttpParseError extends Error {
  override name = "HttpParseError";
  /** llhttp's error code, such as `"HPE_INVALID_METHOD"`. */
  readonly code: string;
  /** The status to answer the client with. */
  readonly status: number;
  /** @internal */
  constructor(code: string, reason: string) {
    super(`Parse Error: ${reason}`);
    this.code = code;
    this.status = STATUS_BY_CODE[code] ?? 400;
  }
}

function toParseError(err: NativeParseError): HttpParseError {
  return new HttpParseError(typeof err.code === "string" ? err.code : "HPE_UNKNOWN", typeof err.reason === "string" ? err.reason : err.message);
}

// The native callbacks run with the native parser as `this` (node:http's do the same). There is
// none for the start of a message (kOnMessageBegin): a JS callback costs about as much as the
// rest of parsing a small request, and `inMessage()` answers the one question it served.

// Only when headers are many (llhttp hands them over in batches of 32) or come in pieces that
// need flushing: gathered here, handed over at headers-complete.
function nativeOnHeaders(this: NativeParser, headers: string[], url: string): void {
  const p = this.owner;
  if (p === null) return;
  const room = 2 * MAX_HEADER_PAIRS - p._headers.length;
  if (room > 0) p._headers.push(...(headers.length <= room ? headers : headers.slice(0, room)));
  p._url += url;
}

function nativeOnHeadersComplete(
  this: NativeParser,
  versionMajor: number,
  versionMinor: number,
  headers: string[] | undefined,
  method: number,
  url: string | undefined,
  _statusCode: unknown,
  _statusMessage: unknown,
  upgrade: boolean,
  shouldKeepAlive: boolean,
): number {
  const p = this.owner;
  if (p === null) return 0;
  if (headers === undefined) {
    headers = p._headers;
    p._headers = [];
  } else if (headers.length > 2 * MAX_HEADER_PAIRS) {
    headers.length = 2 * MAX_HEADER_PAIRS;
  }
  if (url === undefined) {
    url = p._url;
    p._url = "";
  }
  p._handler.onHeadersComplete(methodName(method), url, versionMajor, versionMinor, headers, upgrade, shouldKeepAlive);
  // 0: parse the body as the headers say (1 would skip it, 2 would mean an upgrade).
  return 0;
}

function nativeOnBody(this: NativeParser, chunk: Buffer): void {
  this.owner?._handler.onBody(chunk);
}

function nativeOnMessageComplete(this: NativeParser): void {
  this.owner?._handler.onMessageComplete();
}

function newNativeParser(): NativeParser {
  const native = new HTTPParser();
  native.owner = null;
  native[kOnHeaders] = nativeOnHeaders;
  native[kOnHeadersComplete] = nativeOnHeadersComplete;
  native[kOnBody] = nativeOnBody;
  native[kOnMessageComplete] = nativeOnMessageComplete;
  return native;
}

// Native parsers are reused, as node:http reuses them (its FreeList of 1000): making one costs a
// C++ object and its callbacks.
const pool: NativeParser[] = [];
const POOL_SIZE = 256;

/**
 * A request parser for one connection: llhttp, as node:http runs it. Feed it with `execute`
 * and `finish`, and `free` it when the connection is gone.
 *
 * Callbacks run in the async context the parser was made in (Node's parser is an async
 * resource): make it where the connection's protocol callbacks run.
 */
export class RequestParser {
  /** @internal */ _handler: RequestParserHandler;
  /** @internal Headers gathered by the slow path (see nativeOnHeaders). */ _headers: string[] = [];
  /** @internal */ _url = "";
  private _native: NativeParser | null;

  /**
   * @param maxHeaderSize the most bytes of request line and headers (0: Node's
   *   `--max-http-header-size`, 16 KiB by default); more is a 431.
   */
  constructor(handler: RequestParserHandler, maxHeaderSize = 0) {
    this._handler = handler;
    const native = pool.pop() ?? newNativeParser();
    native.initialize(HTTPParser.REQUEST, { type: "HTTPINCOMINGMESSAGE" }, maxHeaderSize, HTTPParser.kLenientNone);
    native.owner = this;
    this._native = native;
  }

  /**
   * Parses `data`; callbacks run before it returns.
   * @returns null when all was taken (or the parser stopped at an upgrade), the error otherwise.
   *   After an error the parser takes nothing more.
   */
  execute(data: Buffer): HttpParseError | null {
    const native = this._native;
    if (native === null) return null;
    const r = native.execute(data);
    return typeof r === "number" ? null : toParseError(r);
  }

  /** The stream ended: an error when a message was cut off (a body shorter than announced). */
  finish(): HttpParseError | null {
    const native = this._native;
    if (native === null) return null;
    const r = native.finish();
    return r === undefined ? null : toParseError(r);
  }

  /**
   * True when the bytes given so far end inside a message (its headers, or its body): what
   * llhttp's finish() reports, asked without ending anything.
   */
  inMessage(): boolean {
    const native = this._native;
    return native !== null && native.finish() !== undefined;
  }

  /** Releases the native parser (reused by a later connection). Idempotent. */
  free(): void {
    const native = this._native;
    if (native === null) return;
    this._native = null;
    native.owner = null;
    this._headers = [];
    if (pool.length < POOL_SIZE) {
      pool.push(native);
    } else {
      // Let the stack unwind before the C++ object goes (node:http does the same).
      setImmediate(() => native.close());
    }
  }
}

// llhttp's method numbers, learned by parsing one request of each method node:http knows.
const METHOD_NAMES: string[] = learnMethodNames();

function learnMethodNames(): string[] {
  const names: string[] = [];
  const probe = new HTTPParser();
  let seen = -1;
  probe[kOnHeadersComplete] = (_maj: number, _min: number, _h: unknown, method: number): number => {
    seen = method;
    return 0;
  };
  for (const name of METHODS) {
    seen = -1;
    probe.initialize(HTTPParser.REQUEST, {}, 0, HTTPParser.kLenientNone);
    probe.execute(Buffer.from(`${name} / HTTP/1.1\r\n\r\n`, "latin1"));
    if (seen >= 0) names[seen] = name;
  }
  probe.close();
  return names;
}

function methodName(n: number): string {
  return METHOD_NAMES[n] ?? "UNKNOWN";
}

/** @internal For the guard test: the method names by llhttp's numbers. */
export function _methodNames(): readonly string[] {
  return METHOD_NAMES;
}
