// aiohttp's `web_response`: what a handler answers with. `StreamResponse` (headers first, then
// a body written piece by piece), `Response` (a body known in advance) and `jsonResponse`. The
// bytes on the wire are the low-level `Response`'s (../server.ts): framing, keep-alive, Date,
// HEAD. Calling handlers is protocol.ts's.

import { STATUS_CODES } from "node:http";
import { CoroutineObject, ReadyCoroutine } from "../../coroutines.js";
import type { LooseHeaders } from "../client.js";
import type { CIMultiDict } from "../multidict.js";
import { Response as RawResponse } from "../server.js";
import { toCIMultiDict, type HTTPException } from "./exceptions.js";
import type { Request } from "./request.js";

/** Options of a StreamResponse (aiohttp's keyword arguments, camelCased). */
export interface StreamResponseOptions {
  /** The status (default 200). */
  status?: number;
  /** The reason phrase (default: the standard one of the status). */
  reason?: string;
  /** Headers to send. */
  headers?: LooseHeaders;
}

/** Options of a Response: a StreamResponse's, and its body. */
export interface ResponseOptions extends StreamResponseOptions {
  /** The body as text, sent in `charset` (`text/plain; charset=utf-8` unless `contentType` says otherwise). */
  text?: string;
  /** The body as bytes (`application/octet-stream` unless `contentType` says otherwise); a string is sent as UTF-8 text. */
  body?: Uint8Array | string | null;
  /** The media type, without parameters: `"text/html"`. */
  contentType?: string;
  /** The charset of a text body (default `"utf-8"`; Node can also encode `latin1`, `ascii` and `utf-16le`). */
  charset?: string;
}

/** The parts of a Content-Type header: `text/html; charset=utf-8` is `["text/html", "utf-8"]`. */
export function parseContentType(header: string | undefined | null): [mimetype: string, charset: string | null] {
  if (header === undefined || header === null) return ["application/octet-stream", null];
  const semi = header.indexOf(";");
  const mimetype = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  const m = semi === -1 ? null : /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(header);
  return [mimetype, m === null ? null : (m[1] as string).toLowerCase()];
}

function contentTypeHeader(mimetype: string, charset: string | null): string {
  return charset === null ? mimetype : `${mimetype}; charset=${charset}`;
}

/**
 * A response whose body is written piece by piece (aiohttp's `web.StreamResponse`): set the
 * status and headers, `await response.prepare(request)` to send them, then `await
 * response.write(chunk)` as often as need be, and `await response.writeEof()`. Return it from
 * the handler. Without a `contentLength` the body goes out chunked (HTTP/1.1).
 *
 * `prepare`, `write` and `writeEof` are coroutines (await them or `yield*` them): they wait
 * while the connection's write buffer is full, so a slow client slows the handler down instead
 * of filling memory.
 * @example
 * ```ts
 * app.router.addGet("/count", async (request) => {
 *   const response = new web.StreamResponse({ headers: { "Content-Type": "text/plain" } });
 *   await response.prepare(request);
 *   for (let i = 0; i < 3; i++) {
 *     await response.write(`${i}\n`);
 *     await asyncio.sleep(0.1);
 *   }
 *   await response.writeEof();
 *   return response;
 * });
 * ```
 */
export class StreamResponse {
  private _status: number;
  private _reason: string | undefined;
  /** The headers, made on first use (most responses have only a Content-Type, kept in `_ctype`). */
  private _headers: CIMultiDict | null = null;
  private _headersInit: LooseHeaders | undefined;
  /** The Content-Type header while `_headers` is not made. */
  private _ctype: string | null = null;
  private _forceClose = false;
  /** @internal The low-level response, once prepared. */ _raw: RawResponse | null = null;

  /** @throws RangeError for a status outside 100-999. */
  constructor(options?: StreamResponseOptions) {
    this._status = checkStatus(options?.status ?? 200);
    this._reason = options?.reason;
    this._headersInit = options?.headers;
  }

  /** The status. */
  get status(): number {
    return this._status;
  }

  /** The reason phrase (the standard one of the status unless set). */
  get reason(): string {
    return this._raw?.reason ?? this._reason ?? STATUS_CODES[this._status] ?? "Unknown";
  }

  /**
   * Changes the status (and reason) before the response is prepared.
   * @throws Error once prepared; RangeError for a status outside 100-999.
   */
  setStatus(status: number, reason?: string): void {
    this._checkNotPrepared("change the status");
    this._status = checkStatus(status);
    this._reason = reason;
  }

  /** The headers to send, looked up without regard to case; change them before `prepare`. */
  get headers(): CIMultiDict {
    if (this._headers === null) {
      const headers = toCIMultiDict(this._headersInit);
      this._headersInit = undefined;
      if (this._ctype !== null && !headers.has("Content-Type")) headers.add("Content-Type", this._ctype);
      this._ctype = null;
      this._headers = headers;
    }
    return this._headers;
  }

  /** The media type (`"text/html"`), from Content-Type; `"application/octet-stream"` without one. */
  get contentType(): string {
    return parseContentType(this._contentTypeHeader())[0];
  }

  set contentType(mimetype: string) {
    this._setContentType(mimetype, this.charset);
  }

  /** The charset parameter of Content-Type, or null. */
  get charset(): string | null {
    return parseContentType(this._contentTypeHeader())[1];
  }

  set charset(charset: string | null) {
    this._setContentType(this.contentType, charset);
  }

  /** Content-Length as a number, or null when the length is not fixed (the body is chunked). */
  get contentLength(): number | null {
    if (this._headers === null && this._headersInit === undefined) return null;
    const v = this.headers.get("Content-Length");
    return v === undefined ? null : Number(v);
  }

  set contentLength(length: number | null) {
    if (length === null) this.headers.delete("Content-Length");
    else this.headers.set("Content-Length", String(length));
  }

  /** True once `prepare()` sent (or queued) the status line and headers. */
  get prepared(): boolean {
    return this._raw !== null;
  }

  /** Whether the connection stays open after this response: null before `prepare()`. */
  get keepAlive(): boolean | null {
    return this._raw === null ? (this._forceClose ? false : null) : this._raw.keepAlive();
  }

  /** Closes the connection after this response. */
  forceClose(): void {
    this._forceClose = true;
    this._raw?.forceClose();
  }

  /**
   * Sends the status line and headers: from now the body may be written. A second call does
   * nothing.
   */
  prepare(request: Request): CoroutineObject<void> {
    if (this._raw !== null) return new ReadyCoroutine<void>("prepare", undefined);
    const raw = this._start(request);
    raw.sendHeaders();
    return raw.drain();
  }

  /**
   * Writes a piece of the body (a string as UTF-8); a coroutine that waits while the
   * connection's write buffer is full.
   * @throws Error before `prepare()` or after `writeEof()`.
   */
  write(data: Uint8Array | string): CoroutineObject<void> {
    const raw = this._raw;
    if (raw === null) throw new Error("Cannot call write() before prepare()");
    raw.write(data);
    return raw.drain();
  }

  /** Ends the body, after writing `data` if given. Calling it again does nothing. */
  writeEof(data?: Uint8Array | string): CoroutineObject<void> {
    const raw = this._raw;
    if (raw === null) throw new Error("Cannot call writeEof() before prepare()");
    if (raw.finished) return new ReadyCoroutine<void>("writeEof", undefined);
    if (data !== undefined) raw.write(data);
    return raw.writeEof();
  }

  /**
   * @internal Makes the low-level response for `request` with the status and headers (not sent
   * yet), and keeps it.
   */
  _start(request: Request): RawResponse {
    const raw = new RawResponse(request._protocol.writer, this._status, { httpVersion: request.version, reason: this._reason, close: this._forceClose });
    this._raw = raw;
    if (this._headers === null && this._headersInit === undefined) {
      if (this._ctype !== null) raw.addHeader("Content-Type", this._ctype);
    } else {
      const list = this.headers._pairList() as string[];
      for (let i = 0; i < list.length; i += 2) raw.addHeader(list[i] as string, list[i + 1] as string);
    }
    return raw;
  }

  /**
   * @internal Ends the response once its handler returned it: prepares it if need be and ends
   * its body. Returns what to wait for (a full write buffer), or null.
   */
  _finishFor(request: Request): CoroutineObject<void> | null {
    let raw = this._raw;
    if (raw === null) {
      raw = this._start(request);
      raw.sendHeaders();
    }
    raw._finish();
    return request._protocol._writePaused ? raw.drain() : null;
  }

  /** @internal The Content-Type header as it stands. */
  protected _contentTypeHeader(): string | null | undefined {
    return this._headers === null && this._headersInit === undefined ? this._ctype : this.headers.get("Content-Type");
  }

  /** @internal */
  protected _setContentType(mimetype: string, charset: string | null): void {
    const value = contentTypeHeader(mimetype, charset);
    if (this._headers === null && this._headersInit === undefined) this._ctype = value;
    else this.headers.set("Content-Type", value);
  }

  /** @internal */
  protected _checkNotPrepared(what: string): void {
    if (this._raw !== null) throw new Error(`Cannot ${what} after the response was prepared`);
  }

  toString(): string {
    return `<${this.constructor.name} ${this.reason}${this._raw === null ? " not prepared" : ""}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * A response with its whole body (aiohttp's `web.Response`): the usual thing a handler
 * returns. `text` is sent in `charset` (UTF-8) as `text/plain` unless `contentType` says
 * otherwise; `body` as bytes. Content-Length is set from the body.
 * @throws TypeError for `text` and `body` together, or a `contentType` with a charset in it
 *   next to `text` (give `charset`); RangeError for a status outside 100-999.
 * @example
 * ```ts
 * app.router.addGet("/", async (request) => new web.Response({ text: "<h1>It Works!</h1>", contentType: "text/html" }));
 * ```
 */
export class Response extends StreamResponse {
  /** The body: a string (text) or bytes. */
  private _body: Uint8Array | string | null = null;

  constructor(options?: ResponseOptions) {
    super(options);
    const text = options?.text;
    const body = options?.body;
    const contentType = options?.contentType;
    const charset = options?.charset;
    if (text !== undefined && body !== undefined && body !== null) throw new TypeError("text and body are not allowed together");
    const given = options?.headers !== undefined && this.headers.has("Content-Type");
    if (given && (contentType !== undefined || charset !== undefined)) throw new TypeError("passing both Content-Type header and contentType or charset is forbidden");
    if (text !== undefined || typeof body === "string") {
      if (contentType !== undefined && contentType.includes(";")) throw new TypeError("charset must not be in contentType: give it as charset");
      const s = text ?? (body as string);
      // A string goes out as UTF-8; text in another charset is encoded now.
      this._body = charset === undefined || isUtf8(charset) ? s : encodeText(s, charset);
      if (!given) this._setContentType(contentType ?? "text/plain", charset ?? "utf-8");
    } else if (body !== undefined && body !== null) {
      this._body = body;
      if (!given) this._setContentType(contentType ?? "application/octet-stream", charset ?? null);
    } else if (contentType !== undefined && !given) {
      this._setContentType(contentType, charset ?? null);
    }
  }

  /** The body as bytes (text as it is sent: in its charset), or null when there is none. */
  get body(): Uint8Array | null {
    const b = this._body;
    return typeof b === "string" ? Buffer.from(b, "utf8") : b;
  }

  set body(body: Uint8Array | null) {
    this._checkNotPrepared("set the body");
    this._body = body;
  }

  /** The body as text (bytes decoded in the charset, UTF-8 by default), or null when there is none. */
  get text(): string | null {
    const b = this._body;
    if (b === null || typeof b === "string") return b;
    return new TextDecoder(this.charset ?? "utf-8").decode(b);
  }

  set text(text: string) {
    this._checkNotPrepared("set the text");
    if (this._contentTypeHeader() == null) this._setContentType("text/plain", "utf-8");
    const charset = this.charset;
    this._body = charset === null || isUtf8(charset) ? text : encodeText(text, charset);
  }

  override prepare(request: Request): CoroutineObject<void> {
    if (this._raw === null) this._startWithLength(request).sendHeaders();
    return super.prepare(request);
  }

  /** @internal */
  override _finishFor(request: Request): CoroutineObject<void> | null {
    let raw = this._raw;
    if (raw === null) raw = this._startWithLength(request);
    if (!raw.finished) {
      const body = this._body;
      if (body !== null) raw.write(body);
      raw._finish();
    }
    return request._protocol._writePaused ? raw.drain() : null;
  }

  override writeEof(data?: Uint8Array | string): CoroutineObject<void> {
    const raw = this._raw;
    if (raw !== null && !raw.finished && data === undefined && this._body !== null) return super.writeEof(this._body);
    return super.writeEof(data);
  }

  /** The low-level response with Content-Length from the body, unless the headers fix it. */
  private _startWithLength(request: Request): RawResponse {
    const raw = this._start(request);
    const body = this._body;
    const status = this.status;
    // 1xx, 204 and 304 have no body, and say nothing of its length.
    if (this.contentLength === null && status >= 200 && status !== 204 && status !== 304) {
      raw.addHeader("Content-Length", body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length);
    }
    return raw;
  }
}

/** @internal The response an HTTP exception stands for (a 413 also closes the connection: the rest of the body is not worth reading). */
export function responseOf(exc: HTTPException): Response {
  const headers = exc.headers.copy();
  if (exc.contentType !== null && !headers.has("Content-Type")) headers.add("Content-Type", exc.contentType);
  const response = new Response({ status: exc.status, reason: exc.reason, headers, body: exc.body ?? exc.text });
  if (exc.status === 413) response.forceClose();
  return response;
}

/** Options of `jsonResponse`. */
export interface JsonResponseOptions extends StreamResponseOptions {
  /** The media type (default `"application/json"`; the charset is UTF-8). */
  contentType?: string;
  /** How the data becomes text (default `JSON.stringify`). */
  dumps?: (data: unknown) => string;
}

/**
 * A Response whose body is `data` as JSON (aiohttp's `web.json_response`), with
 * `Content-Type: application/json; charset=utf-8`.
 * @example
 * ```ts
 * app.router.addGet("/", () => web.jsonResponse({ hello: "world" }));
 * ```
 */
export function jsonResponse(data: unknown, options?: JsonResponseOptions): Response {
  const text = (options?.dumps ?? JSON.stringify)(data) ?? "null";
  return new Response({ status: options?.status, reason: options?.reason, headers: options?.headers, text, contentType: options?.contentType ?? "application/json" });
}

function isUtf8(charset: string): boolean {
  const c = charset.toLowerCase();
  return c === "utf-8" || c === "utf8";
}

/** Charsets Node can encode (TextEncoder only knows UTF-8), by the names they go by. */
const ENCODINGS: Readonly<Record<string, BufferEncoding>> = {
  "iso-8859-1": "latin1",
  latin1: "latin1",
  "us-ascii": "ascii",
  ascii: "ascii",
  "utf-16le": "utf16le",
};

/** @throws TypeError for a charset Node cannot encode. */
function encodeText(text: string, charset: string): Buffer {
  const encoding = ENCODINGS[charset.toLowerCase()];
  if (encoding === undefined) throw new TypeError(`Cannot encode text as ${JSON.stringify(charset)}: give body as bytes (utf-8, latin1, ascii and utf-16le are known)`);
  return Buffer.from(text, encoding);
}

function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`Invalid status code: ${status}`);
  return status;
}
