// aiohttp's `web_request`: the request a handler receives. Everything is read from the parsed
// message on first use (a handler that reads no header or query pays nothing for them); the body
// is read from the connection only when asked for. Routing is app.ts's, answering response.ts's.

import type { File } from "node:buffer";
import { CoroutineObject, ReadyCoroutine, delegate, type GeneratorCoroutine } from "../../coroutines.js";
import type { StreamReader } from "../../streams.js";
import type { Transport } from "../../transports.js";
import { MultiDict, type CIMultiDict } from "../multidict.js";
import type { RawRequestMessage, ServerHttpProtocol } from "../server.js";
import type { Application } from "./app.js";
import { HTTPRequestEntityTooLarge } from "./exceptions.js";
import { parseContentType } from "./response.js";

const NO_MATCH: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_BODY = Buffer.alloc(0);

/** Methods whose form body `post()` reads (aiohttp's `POST_METHODS`). */
const POST_METHODS = new Set(["PATCH", "POST", "PUT", "TRACE", "DELETE"]);

/**
 * An HTTP request as a handler sees it (aiohttp's `web.Request`): the request line, headers,
 * query and path parameters, and the body, read on demand (`await request.text()`, or
 * `yield* request.text()` in a generator handler).
 *
 * Like aiohttp's, it also holds values for the rest of the request's handling (what a
 * middleware found out for the handler): `request.set("user", user)`, `request.get("user")`.
 * @example
 * ```ts
 * app.router.addPost("/users/{id}", async (request) => {
 *   const id = request.matchInfo.id;
 *   const verbose = request.query.get("verbose") === "1";
 *   const form = await request.post();
 *   return web.jsonResponse({ id, verbose, name: form.get("name") });
 * });
 * ```
 */
export class Request {
  /** The request line and headers as the server parsed them. */
  readonly message: RawRequestMessage;
  /** The body as it arrives: a StreamReader (`await request.content.read(1024)`). */
  readonly content: StreamReader;
  /** The application handling the request. */
  readonly app: Application;
  /** The path's parameters by name (`/users/{id}` gives `matchInfo.id`), percent-decoded. */
  matchInfo: Readonly<Record<string, string>> = NO_MATCH;
  /** @internal The connection's protocol. */ readonly _protocol: ServerHttpProtocol;
  /** @internal The methods the path has routes for, when it has none for this method (a 405). */ _allowed: readonly string[] | null = null;
  /** @internal Where the query string starts in the target (its length when there is none). */ readonly _queryAt: number;
  private _query: MultiDict | null = null;
  private _path: string | null = null;
  private _url: URL | null = null;
  private _body: Buffer | null = null;
  private _post: MultiDict<string | File> | null = null;
  private _state: Map<string, unknown> | null = null;

  /** @internal Made by the server for each request. */
  constructor(message: RawRequestMessage, payload: StreamReader, protocol: ServerHttpProtocol, app: Application) {
    this.message = message;
    this.content = payload;
    this._protocol = protocol;
    this.app = app;
    const q = message.path.indexOf("?");
    this._queryAt = q === -1 ? message.path.length : q;
  }

  /** The method, upper case: `"GET"`. */
  get method(): string {
    return this.message.method;
  }

  /** The HTTP version: `"1.1"` or `"1.0"`. */
  get version(): string {
    return this.message.version;
  }

  /** The request target as sent, query string included: `"/a%20b?x=1"`. */
  get rawPath(): string {
    return this.message.path;
  }

  /** The path, percent-decoded, without the query string: `"/a b"`. */
  get path(): string {
    if (this._path === null) {
      const raw = this.message.path.slice(0, this._queryAt);
      try {
        this._path = decodeURIComponent(raw);
      } catch {
        // A malformed escape: the path as sent, as a browser shows it.
        this._path = raw;
      }
    }
    return this._path;
  }

  /** The query string without `?`: `"x=1&x=2"` (empty when there is none). */
  get queryString(): string {
    return this.message.path.slice(this._queryAt + 1);
  }

  /** The query's parameters, a key repeated as often as it was sent: `query.getAll("x")`. */
  get query(): MultiDict {
    return (this._query ??= new MultiDict(new URLSearchParams(this.queryString)));
  }

  /** The headers, looked up without regard to case. */
  get headers(): CIMultiDict {
    return this.message.headers;
  }

  /** `"http"` (TLS is not served here). */
  get scheme(): string {
    return "http";
  }

  /** False: the connection is not TLS. */
  get secure(): boolean {
    return false;
  }

  /** The host the request is for: the Host header, else the address the server listens on. */
  get host(): string {
    const host = this.message.headers.get("Host");
    if (host !== undefined && host !== "") return host;
    const sock = this.transport.getExtraInfo("sockname", null) as [string, number] | null;
    return sock === null ? "localhost" : hostPort(sock[0], sock[1]);
  }

  /** The whole URL: scheme, host, path and query. */
  get url(): URL {
    if (this._url === null) {
      try {
        this._url = new URL(this.message.path, `${this.scheme}://${this.host}`);
      } catch {
        // A Host header no URL can hold: the path still makes a URL.
        this._url = new URL(this.message.path, `${this.scheme}://localhost`);
      }
    }
    return this._url;
  }

  /** The client's address, or null once the connection is gone. */
  get remote(): string | null {
    const peer = this.transport.getExtraInfo("peername", null) as [string, number] | null;
    return peer === null ? null : peer[0];
  }

  /** The connection's transport. */
  get transport(): Transport {
    return this._protocol.transport;
  }

  /** True when the connection may stay open after the response. */
  get keepAlive(): boolean {
    return !this.message.shouldClose;
  }

  /** The media type of the body (`"application/json"`), `"application/octet-stream"` without Content-Type. */
  get contentType(): string {
    return parseContentType(this.message.headers.get("Content-Type"))[0];
  }

  /** The charset parameter of Content-Type, or null. */
  get charset(): string | null {
    return parseContentType(this.message.headers.get("Content-Type"))[1];
  }

  /** Content-Length as a number, or null when the body has none (chunked, or no body). */
  get contentLength(): number | null {
    const v = this.message.headers.get("Content-Length");
    return v === undefined ? null : Number(v);
  }

  /** True when the request has a body (a Content-Length or chunks). */
  get canReadBody(): boolean {
    return !this.content.atEof() || this.content.bufferedLength > 0;
  }

  /**
   * The whole body, kept for later calls. A coroutine.
   * @throws HTTPRequestEntityTooLarge (413) past the application's `clientMaxSize`.
   */
  read(): CoroutineObject<Buffer> {
    if (this._body !== null) return new ReadyCoroutine("read", this._body);
    return new CoroutineObject<Buffer>("read", { gen: () => this._read() });
  }

  /** The body decoded as text (the Content-Type's charset, UTF-8 by default). A coroutine. */
  text(): CoroutineObject<string> {
    return new CoroutineObject<string>("text", { gen: () => this._text() });
  }

  /**
   * The body parsed as JSON (with `loads` if given). A coroutine.
   * @throws SyntaxError when it is not JSON (answered 500 unless the handler catches it, as aiohttp does).
   */
  json<T = unknown>(options?: { loads?: (text: string) => T }): CoroutineObject<T> {
    const loads = options?.loads ?? (JSON.parse as (text: string) => T);
    return new CoroutineObject<T>("json", { gen: () => this._json(loads) });
  }

  /**
   * The fields of a form body: `application/x-www-form-urlencoded` (values are strings) or
   * `multipart/form-data` (a file is a `File`); empty for other bodies and for methods without
   * one (GET). A coroutine; kept for later calls.
   */
  post(): CoroutineObject<MultiDict<string | File>> {
    if (this._post !== null) return new ReadyCoroutine("post", this._post);
    return new CoroutineObject<MultiDict<string | File>>("post", { gen: () => this._readPost() });
  }

  /** A value stored for the rest of the request's handling (aiohttp's `request[key]`). */
  get(key: string): unknown {
    return this._state?.get(key);
  }

  /** Stores a value for the rest of the request's handling (aiohttp's `request[key] = value`). */
  set(key: string, value: unknown): this {
    (this._state ??= new Map()).set(key, value);
    return this;
  }

  /** True when a value is stored under `key`. */
  has(key: string): boolean {
    return this._state?.has(key) ?? false;
  }

  /** Removes the value stored under `key`; false when there was none. */
  delete(key: string): boolean {
    return this._state?.delete(key) ?? false;
  }

  private *_read(): GeneratorCoroutine<Buffer> {
    if (this._body !== null) return this._body;
    const max = this.app.clientMaxSize;
    const declared = this.contentLength;
    if (max > 0 && declared !== null && declared > max) throw new HTTPRequestEntityTooLarge(max, declared);
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = yield* this.content.read(65536);
      if (chunk.length === 0) break;
      size += chunk.length;
      if (max > 0 && size > max) throw new HTTPRequestEntityTooLarge(max, size);
      chunks.push(chunk);
    }
    this._body = chunks.length === 0 ? EMPTY_BODY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
    return this._body;
  }

  private *_text(): GeneratorCoroutine<string> {
    const body = yield* this._read();
    return new TextDecoder(this.charset ?? "utf-8").decode(body);
  }

  private *_json<T>(loads: (text: string) => T): GeneratorCoroutine<T> {
    return loads(yield* this._text());
  }

  private *_readPost(): GeneratorCoroutine<MultiDict<string | File>> {
    if (this._post !== null) return this._post;
    const form = new MultiDict<string | File>();
    const header = this.message.headers.get("Content-Type");
    const [mimetype] = parseContentType(header);
    if (POST_METHODS.has(this.method)) {
      if (mimetype === "application/x-www-form-urlencoded" || header === undefined) {
        form.extend(new URLSearchParams(yield* this._text()));
      } else if (mimetype === "multipart/form-data") {
        // undici's (Node's fetch) multipart parser: a maintained one, not one written here.
        const body = yield* this._read();
        const data = yield* delegate(new globalThis.Response(body, { headers: { "Content-Type": header } }).formData());
        for (const [name, value] of data) form.add(name, value as string | File);
      }
    }
    this._post = form;
    return form;
  }

  toString(): string {
    return `<Request ${this.method} ${this.path} >`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** @internal `host:port`, with an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
