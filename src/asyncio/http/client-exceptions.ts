// The HTTP client's errors, as aiohttp's client_exceptions.py: one class per way a request can
// fail, each with a stable `code`. The client (client.ts) decides which one a Node error becomes.
//
// aiohttp leans on Python's multiple inheritance: `ClientOSError` is both a `ClientConnectionError`
// and an `OSError`, `ServerTimeoutError` both a `ServerConnectionError` and asyncio's
// `TimeoutError`. JavaScript classes have one parent, so those classes extend the library's
// `OSError` and `TimeoutError` (what their `code`, `errno` and `instanceof` checks need), and the
// aiohttp bases they also belong to answer `instanceof` for them through `Symbol.hasInstance`:
// `catch (e) { if (e instanceof ClientError) ... }`, aiohttp's `except aiohttp.ClientError`,
// catches every one of them.

import { AsyncioError, OSError, TimeoutError } from "../exceptions.js";

/** Classes that are also instances of an aiohttp base without extending it (see the top of this file). */
const alsoInstances = new Map<Function, Function[]>();

function hasInstance(cls: Function, x: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(cls, x)) return true;
  const also = alsoInstances.get(cls);
  return also !== undefined && also.some((c) => Function.prototype[Symbol.hasInstance].call(c, x));
}

/**
 * Base class of every error the HTTP client throws (aiohttp's `ClientError`), except timeouts of
 * the whole request, which are asyncio's `TimeoutError` as in aiohttp.
 * @example
 * ```ts
 * try {
 *   const response = await aiohttp.request("GET", url);
 * } catch (e) {
 *   if (e instanceof aiohttp.ClientError) console.log("the request failed:", e.message);
 * }
 * ```
 */
export class ClientError extends AsyncioError {
  constructor(message: string, code = "ERR_ASYNCIO_HTTP_CLIENT", options?: ErrorOptions) {
    super(message, code, options);
  }

  static override [Symbol.hasInstance]<C extends abstract new (...args: never) => unknown>(this: C, x: unknown): x is InstanceType<C> {
    return hasInstance(this, x);
  }
}

/** The connection failed or was lost (aiohttp's `ClientConnectionError`). */
export class ClientConnectionError extends ClientError {
  constructor(message: string, code = "ERR_ASYNCIO_HTTP_CONNECTION", options?: ErrorOptions) {
    super(message, code, options);
  }
}

/** The server closed the connection (or failed) before answering (aiohttp's `ServerConnectionError`). */
export class ServerConnectionError extends ClientConnectionError {
  constructor(message: string, code = "ERR_ASYNCIO_HTTP_SERVER_CONNECTION", options?: ErrorOptions) {
    super(message, code, options);
  }
}

/** The server closed the connection without sending a response: "Server disconnected". */
export class ServerDisconnectedError extends ServerConnectionError {
  constructor(message = "Server disconnected", options?: ErrorOptions) {
    super(message, "ERR_ASYNCIO_HTTP_SERVER_DISCONNECTED", options);
  }
}

/**
 * An error of the operating system on the client's connection (aiohttp's `ClientOSError`): an
 * `OSError`, with Node's `code` (`"ECONNRESET"`) and Python's `errno`, and a `ClientConnectionError`.
 */
export class ClientOSError extends OSError {
  static override [Symbol.hasInstance]<C extends abstract new (...args: never) => unknown>(this: C, x: unknown): x is InstanceType<C> {
    return hasInstance(this, x);
  }
}

/** Where a request tried to connect: the host, port and whether it was TLS. */
export interface ConnectionKey {
  host: string;
  port: number;
  ssl: boolean;
}

/**
 * Connecting to the server failed (aiohttp's `ClientConnectorError`): nothing listens there
 * (`code` `"ECONNREFUSED"`, `errno` 111 on Linux), the host is unreachable, ... `osError` is the
 * library's OSError for the cause (a `ConnectionRefusedError` when refused). The message is
 * aiohttp's: "Cannot connect to host 127.0.0.1:4242 ssl:default [Connect call failed
 * ('127.0.0.1', 4242): connection refused]".
 * @example
 * ```ts
 * try {
 *   await aiohttp.request("GET", "http://127.0.0.1:1/");
 * } catch (e) {
 *   if (e instanceof aiohttp.ClientConnectorError && e.code === "ECONNREFUSED") console.log("nobody listens");
 * }
 * ```
 */
export class ClientConnectorError extends ClientOSError {
  /** Where the connection was attempted. */
  readonly connectionKey: ConnectionKey;
  /** The operating system's error, as the library's OSError (Python's `os_error`). */
  readonly osError: OSError;

  constructor(connectionKey: ConnectionKey, osError: OSError) {
    super(`Cannot connect to host ${connectionKey.host}:${connectionKey.port} ssl:default [${osError.message}]`, osError.code, { cause: osError });
    this.connectionKey = connectionKey;
    this.osError = osError;
  }

  /** The host that could not be reached. */
  get host(): string {
    return this.connectionKey.host;
  }

  /** The port that could not be reached. */
  get port(): number {
    return this.connectionKey.port;
  }
}

/**
 * The host's name could not be resolved (aiohttp's `ClientConnectorDNSError`): `code` is Node's
 * (`"ENOTFOUND"`: no such name; `"EAI_AGAIN"`: no answer from the resolver).
 */
export class ClientConnectorDNSError extends ClientConnectorError {}

/**
 * The TLS handshake with the server failed (aiohttp's `ClientSSLError`): `code` is Node's
 * (`"EPROTO"`, `"ERR_SSL_WRONG_VERSION_NUMBER"`, ...).
 */
export class ClientSSLError extends ClientConnectorError {}

/**
 * The server's certificate was not accepted (aiohttp's `ClientConnectorCertificateError`):
 * self-signed (`code` `"DEPTH_ZERO_SELF_SIGNED_CERT"`), expired (`"CERT_HAS_EXPIRED"`), for
 * another name (`"ERR_TLS_CERT_ALTNAME_INVALID"`), ... Trust it with the `ssl` option's `ca`.
 */
export class ClientConnectorCertificateError extends ClientSSLError {}

/**
 * A timeout of one step of a request (aiohttp's `ServerTimeoutError`): asyncio's `TimeoutError`
 * (so `catch` of either works) and a `ServerConnectionError`.
 */
export class ServerTimeoutError extends TimeoutError {
  static override [Symbol.hasInstance]<C extends abstract new (...args: never) => unknown>(this: C, x: unknown): x is InstanceType<C> {
    return hasInstance(this, x);
  }
}

/** Connecting took longer than the `connect` timeout (aiohttp's `ConnectionTimeoutError`). */
export class ConnectionTimeoutError extends ServerTimeoutError {}

/** No data arrived for the `sockRead` timeout (aiohttp's `SocketTimeoutError`). */
export class SocketTimeoutError extends ServerTimeoutError {}

/** What `ClientResponseError` knows about the response it is about. */
export interface ClientResponseErrorInit {
  status: number;
  message: string;
  url?: URL | string;
  headers?: unknown;
  history?: readonly unknown[];
}

/**
 * A response that the client does not accept (aiohttp's `ClientResponseError`): what
 * `raiseForStatus()` throws for a status of 400 and more ("404, message='Not Found',
 * url='http://...'"), and the base of `TooManyRedirects` and `ContentTypeError`.
 */
export class ClientResponseError extends ClientError {
  /** The response's status (400 for a response the parser refused). */
  readonly status: number;
  /** The response's reason phrase, or what went wrong. */
  readonly statusMessage: string;
  /** The URL requested. */
  readonly url: string;
  /** The response's headers, when there was a response. */
  readonly headers: unknown;
  /** The redirect responses that came before. */
  readonly history: readonly unknown[];

  constructor(init: ClientResponseErrorInit, code = "ERR_ASYNCIO_HTTP_RESPONSE", options?: ErrorOptions) {
    const url = init.url === undefined ? "" : String(init.url);
    super(`${init.status}, message=${JSON.stringify(init.message).replace(/^"|"$/g, "'")}, url=${quoteUrl(url)}`, code, options);
    this.status = init.status;
    this.statusMessage = init.message;
    this.url = url;
    this.headers = init.headers ?? null;
    this.history = init.history ?? [];
  }
}

function quoteUrl(url: string): string {
  return `'${url.replace(/'/g, "\\'")}'`;
}

/** Redirects went on past `maxRedirects` (aiohttp's `TooManyRedirects`). */
export class TooManyRedirects extends ClientResponseError {
  constructor(init: ClientResponseErrorInit) {
    super(init, "ERR_ASYNCIO_HTTP_TOO_MANY_REDIRECTS");
  }
}

/** `json()` of a response whose Content-Type is not JSON (aiohttp's `ContentTypeError`). */
export class ContentTypeError extends ClientResponseError {
  constructor(init: ClientResponseErrorInit) {
    super(init, "ERR_ASYNCIO_HTTP_CONTENT_TYPE");
  }
}

/**
 * The response's body was cut short ("Response payload is not completed"): the server closed
 * the connection before sending all of it (aiohttp's `ClientPayloadError`).
 */
export class ClientPayloadError extends ClientError {
  constructor(message = "Response payload is not completed", options?: ErrorOptions) {
    super(message, "ERR_ASYNCIO_HTTP_PAYLOAD", options);
  }
}

/** A URL the client cannot request: malformed, or not http/https (aiohttp's `InvalidURL`). */
export class InvalidURL extends ClientError {
  /** The URL as it was given. */
  readonly url: string;
  constructor(url: string, reason?: string) {
    super(reason === undefined ? url : `${url} (${reason})`, "ERR_ASYNCIO_HTTP_INVALID_URL");
    this.url = url;
  }
}

// Python's multiple inheritance, for `instanceof` (see the top of this file).
alsoInstances.set(ClientError, [ClientOSError, ServerTimeoutError]);
alsoInstances.set(ClientConnectionError, [ClientOSError, ServerTimeoutError]);
alsoInstances.set(ServerConnectionError, [ServerTimeoutError]);
