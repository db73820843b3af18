// aiohttp's `web_exceptions`: one class per HTTP status, thrown (or returned) by a handler or a
// middleware to answer with that status. Turning one into bytes on the wire is response.ts's
// `Response`; catching them is protocol.ts's.

import { STATUS_CODES } from "node:http";
import type { LooseHeaders } from "../client.js";
import { CIMultiDict } from "../multidict.js";

/** Options of every HTTP exception (aiohttp's keyword arguments, camelCased). */
export interface HTTPExceptionOptions {
  /** Headers of the answer. */
  headers?: LooseHeaders;
  /** The reason phrase (default: the standard one of the status). */
  reason?: string;
  /** The body as text (default `"404: Not Found"`, the status and reason). */
  text?: string;
  /** The body as bytes, instead of `text`. */
  body?: Uint8Array;
  /** The Content-Type of the body (default `text/plain`, with `charset=utf-8` for text). */
  contentType?: string;
}

/**
 * The base of the HTTP exceptions (aiohttp's `web.HTTPException`): a handler or a middleware
 * throws one (or returns it) to answer with its status, headers and body. Each status has its
 * own class (`HTTPNotFound`, `HTTPFound`, ...) with the code as `statusCode`; define your own
 * by extending the class of its kind with `static override readonly statusCode = 418`.
 *
 * The message (`err.message`) is the reason phrase; the body defaults to `"404: Not Found"`.
 * @example
 * ```ts
 * app.router.addGet("/users/{id}", async (request) => {
 *   const user = users.get(request.matchInfo.id!);
 *   if (user === undefined) throw new web.HTTPNotFound({ text: "no such user" });
 *   return web.jsonResponse(user);
 * });
 * ```
 */
export abstract class HTTPException extends Error {
  /** The status this class answers with. */
  static readonly statusCode: number = -1;
  /** True for statuses whose answer has no body (204, 205, 304). */
  static readonly emptyBody: boolean = false;
  /** The status of the answer. */
  readonly status: number;
  /** The reason phrase of the answer. */
  readonly reason: string;
  /** The headers of the answer (add to them before it is sent). */
  readonly headers: CIMultiDict;
  /** The body as text, or null when it was given as bytes (or the status has no body). */
  readonly text: string | null;
  /** The body as bytes when it was given so, else null. */
  readonly body: Uint8Array | null;
  /** The Content-Type header of the body, or null when it has none. */
  readonly contentType: string | null;

  constructor(options?: HTTPExceptionOptions) {
    const cls = new.target as unknown as typeof HTTPException;
    const status = cls.statusCode;
    const reason = options?.reason ?? STATUS_CODES[status] ?? "";
    super(reason);
    this.name = new.target.name;
    this.status = status;
    this.reason = reason;
    this.headers = toCIMultiDict(options?.headers);
    if (options?.text !== undefined && options.body !== undefined) throw new TypeError("text and body are not allowed together");
    if (cls.emptyBody) {
      this.text = this.body = this.contentType = null;
      return;
    }
    this.body = options?.body ?? null;
    this.text = this.body === null ? (options?.text ?? `${status}: ${reason}`) : null;
    this.contentType = options?.contentType ?? (this.text !== null ? "text/plain; charset=utf-8" : "application/octet-stream");
  }
}

/** The base of 4xx and 5xx (aiohttp's `HTTPError`). */
export abstract class HTTPError extends HTTPException {}

/** The base of 2xx (aiohttp's `HTTPSuccessful`): an answer thrown from deep inside a handler. */
export abstract class HTTPSuccessful extends HTTPException {}

/** The base of 3xx (aiohttp's `HTTPRedirection`). */
export abstract class HTTPRedirection extends HTTPException {}

/** The base of 4xx (aiohttp's `HTTPClientError`). */
export abstract class HTTPClientError extends HTTPError {}

/** The base of 5xx (aiohttp's `HTTPServerError`). */
export abstract class HTTPServerError extends HTTPError {}

/**
 * The base of the redirections that name where to go (aiohttp's `HTTPMove`): the `Location`
 * header is `location`.
 * @example
 * ```ts
 * throw new web.HTTPFound("/login");
 * ```
 */
export abstract class HTTPMove extends HTTPRedirection {
  /** Where the client is sent. */
  readonly location: string;

  /** @throws TypeError for an empty location. */
  constructor(location: string, options?: HTTPExceptionOptions) {
    if (!location) throw new TypeError("HTTP redirects need a location to redirect to.");
    super(options);
    this.location = location;
    this.headers.set("Location", location);
  }
}

// -- 2xx ------------------------------------------------------------------------------------------

/** 200 OK. */
export class HTTPOk extends HTTPSuccessful {
  static override readonly statusCode = 200;
}
/** 201 Created. */
export class HTTPCreated extends HTTPSuccessful {
  static override readonly statusCode = 201;
}
/** 202 Accepted. */
export class HTTPAccepted extends HTTPSuccessful {
  static override readonly statusCode = 202;
}
/** 203 Non-Authoritative Information. */
export class HTTPNonAuthoritativeInformation extends HTTPSuccessful {
  static override readonly statusCode = 203;
}
/** 204 No Content (no body). */
export class HTTPNoContent extends HTTPSuccessful {
  static override readonly statusCode = 204;
  static override readonly emptyBody = true;
}
/** 205 Reset Content (no body). */
export class HTTPResetContent extends HTTPSuccessful {
  static override readonly statusCode = 205;
  static override readonly emptyBody = true;
}
/** 206 Partial Content. */
export class HTTPPartialContent extends HTTPSuccessful {
  static override readonly statusCode = 206;
}

// -- 3xx ------------------------------------------------------------------------------------------

/** 300 Multiple Choices. */
export class HTTPMultipleChoices extends HTTPMove {
  static override readonly statusCode = 300;
}
/** 301 Moved Permanently: `new web.HTTPMovedPermanently("/new/place")`. */
export class HTTPMovedPermanently extends HTTPMove {
  static override readonly statusCode = 301;
}
/** 302 Found: `new web.HTTPFound("/login")`. */
export class HTTPFound extends HTTPMove {
  static override readonly statusCode = 302;
}
/** 303 See Other. */
export class HTTPSeeOther extends HTTPMove {
  static override readonly statusCode = 303;
}
/** 304 Not Modified (no body). */
export class HTTPNotModified extends HTTPRedirection {
  static override readonly statusCode = 304;
  static override readonly emptyBody = true;
}
/** 305 Use Proxy. */
export class HTTPUseProxy extends HTTPMove {
  static override readonly statusCode = 305;
}
/** 307 Temporary Redirect. */
export class HTTPTemporaryRedirect extends HTTPMove {
  static override readonly statusCode = 307;
}
/** 308 Permanent Redirect. */
export class HTTPPermanentRedirect extends HTTPMove {
  static override readonly statusCode = 308;
}

// -- 4xx ------------------------------------------------------------------------------------------

/** 400 Bad Request. */
export class HTTPBadRequest extends HTTPClientError {
  static override readonly statusCode = 400;
}
/** 401 Unauthorized. */
export class HTTPUnauthorized extends HTTPClientError {
  static override readonly statusCode = 401;
}
/** 402 Payment Required. */
export class HTTPPaymentRequired extends HTTPClientError {
  static override readonly statusCode = 402;
}
/** 403 Forbidden. */
export class HTTPForbidden extends HTTPClientError {
  static override readonly statusCode = 403;
}
/** 404 Not Found: what an unknown path gets. */
export class HTTPNotFound extends HTTPClientError {
  static override readonly statusCode = 404;
}

/**
 * 405 Method Not Allowed: what a known path gets for a method it has no route for. The
 * `Allow` header lists `allowedMethods`.
 */
export class HTTPMethodNotAllowed extends HTTPClientError {
  static override readonly statusCode = 405;
  /** The method of the request. */
  readonly method: string;
  /** The methods the path has routes for. */
  readonly allowedMethods: ReadonlySet<string>;

  constructor(method: string, allowedMethods: Iterable<string>, options?: HTTPExceptionOptions) {
    super(options);
    this.method = method.toUpperCase();
    this.allowedMethods = new Set([...allowedMethods].map((m) => m.toUpperCase()));
    this.headers.set("Allow", [...this.allowedMethods].sort().join(","));
  }
}

/** 406 Not Acceptable. */
export class HTTPNotAcceptable extends HTTPClientError {
  static override readonly statusCode = 406;
}
/** 407 Proxy Authentication Required. */
export class HTTPProxyAuthenticationRequired extends HTTPClientError {
  static override readonly statusCode = 407;
}
/** 408 Request Timeout. */
export class HTTPRequestTimeout extends HTTPClientError {
  static override readonly statusCode = 408;
}
/** 409 Conflict. */
export class HTTPConflict extends HTTPClientError {
  static override readonly statusCode = 409;
}
/** 410 Gone. */
export class HTTPGone extends HTTPClientError {
  static override readonly statusCode = 410;
}
/** 411 Length Required. */
export class HTTPLengthRequired extends HTTPClientError {
  static override readonly statusCode = 411;
}
/** 412 Precondition Failed. */
export class HTTPPreconditionFailed extends HTTPClientError {
  static override readonly statusCode = 412;
}

/** 413 Payload Too Large: what `request.read()` throws past the application's `clientMaxSize`. */
export class HTTPRequestEntityTooLarge extends HTTPClientError {
  static override readonly statusCode = 413;

  constructor(maxSize: number, actualSize: number, options?: HTTPExceptionOptions) {
    super({ text: `Maximum request body size ${maxSize} exceeded, actual body size ${actualSize}`, ...options });
  }
}

/** 414 URI Too Long. */
export class HTTPRequestURITooLong extends HTTPClientError {
  static override readonly statusCode = 414;
}
/** 415 Unsupported Media Type. */
export class HTTPUnsupportedMediaType extends HTTPClientError {
  static override readonly statusCode = 415;
}
/** 416 Range Not Satisfiable. */
export class HTTPRequestRangeNotSatisfiable extends HTTPClientError {
  static override readonly statusCode = 416;
}
/** 417 Expectation Failed. */
export class HTTPExpectationFailed extends HTTPClientError {
  static override readonly statusCode = 417;
}
/** 421 Misdirected Request. */
export class HTTPMisdirectedRequest extends HTTPClientError {
  static override readonly statusCode = 421;
}
/** 422 Unprocessable Entity. */
export class HTTPUnprocessableEntity extends HTTPClientError {
  static override readonly statusCode = 422;
}
/** 424 Failed Dependency. */
export class HTTPFailedDependency extends HTTPClientError {
  static override readonly statusCode = 424;
}
/** 426 Upgrade Required. */
export class HTTPUpgradeRequired extends HTTPClientError {
  static override readonly statusCode = 426;
}
/** 428 Precondition Required. */
export class HTTPPreconditionRequired extends HTTPClientError {
  static override readonly statusCode = 428;
}
/** 429 Too Many Requests. */
export class HTTPTooManyRequests extends HTTPClientError {
  static override readonly statusCode = 429;
}
/** 431 Request Header Fields Too Large. */
export class HTTPRequestHeaderFieldsTooLarge extends HTTPClientError {
  static override readonly statusCode = 431;
}

/** 451 Unavailable For Legal Reasons: `link` goes in a `Link: <...>; rel="blocked-by"` header. */
export class HTTPUnavailableForLegalReasons extends HTTPClientError {
  static override readonly statusCode = 451;
  /** The page that explains why, or null. */
  readonly link: string | null;

  constructor(link: string | null, options?: HTTPExceptionOptions) {
    super(options);
    this.link = link;
    if (link) this.headers.set("Link", `<${link}>; rel="blocked-by"`);
  }
}

// -- 5xx ------------------------------------------------------------------------------------------

/** 500 Internal Server Error: what a handler that throws anything else gets. */
export class HTTPInternalServerError extends HTTPServerError {
  static override readonly statusCode = 500;
}
/** 501 Not Implemented. */
export class HTTPNotImplemented extends HTTPServerError {
  static override readonly statusCode = 501;
}
/** 502 Bad Gateway. */
export class HTTPBadGateway extends HTTPServerError {
  static override readonly statusCode = 502;
}
/** 503 Service Unavailable. */
export class HTTPServiceUnavailable extends HTTPServerError {
  static override readonly statusCode = 503;
}
/** 504 Gateway Timeout. */
export class HTTPGatewayTimeout extends HTTPServerError {
  static override readonly statusCode = 504;
}
/** 505 HTTP Version Not Supported. */
export class HTTPVersionNotSupported extends HTTPServerError {
  static override readonly statusCode = 505;
}
/** 506 Variant Also Negotiates. */
export class HTTPVariantAlsoNegotiates extends HTTPServerError {
  static override readonly statusCode = 506;
}
/** 507 Insufficient Storage. */
export class HTTPInsufficientStorage extends HTTPServerError {
  static override readonly statusCode = 507;
}
/** 510 Not Extended. */
export class HTTPNotExtended extends HTTPServerError {
  static override readonly statusCode = 510;
}
/** 511 Network Authentication Required. */
export class HTTPNetworkAuthenticationRequired extends HTTPServerError {
  static override readonly statusCode = 511;
}

/**
 * @internal Headers as a CIMultiDict: a CIMultiDict given is copied, a record's array values
 * repeat the name.
 */
export function toCIMultiDict(init: LooseHeaders | undefined): CIMultiDict {
  const out = new CIMultiDict();
  if (init === undefined) return out;
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const [name, value] of init as Iterable<readonly [string, string]>) out.add(name, String(value));
    return out;
  }
  for (const [name, value] of Object.entries(init as Readonly<Record<string, string | number | readonly string[]>>)) {
    if (Array.isArray(value)) for (const v of value as readonly string[]) out.add(name, v);
    else out.add(name, String(value));
  }
  return out;
}
