// `web` of `asyncio-ts/http`: what `from aiohttp import web` gives, as explicit named re-exports
// (our `__all__`), one group per module of web/ (aiohttp's web_*.py). The multi-process server
// is ./cluster.ts; the low-level server under all of it is ./server.ts.

// web/app.ts (web_app, web_urldispatcher, web_routedef)
export {
  Application,
  ResourceRoute,
  UrlDispatcher,
  delete_ as delete,
  get,
  head,
  patch,
  post,
  put,
  route,
  type AppHook,
  type ApplicationOptions,
  type Handler,
  type HandlerResult,
  type Middleware,
  type RouteDef,
  type RouteOptions,
} from "./web/app.js";

// web/request.ts (web_request)
export { Request } from "./web/request.js";

// web/response.ts (web_response)
export { Response, StreamResponse, jsonResponse, type JsonResponseOptions, type ResponseOptions, type StreamResponseOptions } from "./web/response.js";

// web/protocol.ts (web_protocol)
export { RequestHandler } from "./web/protocol.js";

// web/runner.ts (web_runner)
export { AppRunner, BaseSite, TCPSite, UnixSite, type AppRunnerOptions } from "./web/runner.js";

// web/run-app.ts (web.run_app)
export { runApp, type RunAppOptions } from "./web/run-app.js";

// web/exceptions.ts (web_exceptions)
export {
  HTTPAccepted,
  HTTPBadGateway,
  HTTPBadRequest,
  HTTPClientError,
  HTTPConflict,
  HTTPCreated,
  HTTPError,
  HTTPException,
  HTTPExpectationFailed,
  HTTPFailedDependency,
  HTTPForbidden,
  HTTPFound,
  HTTPGatewayTimeout,
  HTTPGone,
  HTTPInsufficientStorage,
  HTTPInternalServerError,
  HTTPLengthRequired,
  HTTPMethodNotAllowed,
  HTTPMisdirectedRequest,
  HTTPMove,
  HTTPMovedPermanently,
  HTTPMultipleChoices,
  HTTPNetworkAuthenticationRequired,
  HTTPNoContent,
  HTTPNonAuthoritativeInformation,
  HTTPNotAcceptable,
  HTTPNotExtended,
  HTTPNotFound,
  HTTPNotImplemented,
  HTTPNotModified,
  HTTPOk,
  HTTPPartialContent,
  HTTPPaymentRequired,
  HTTPPermanentRedirect,
  HTTPPreconditionFailed,
  HTTPPreconditionRequired,
  HTTPProxyAuthenticationRequired,
  HTTPRedirection,
  HTTPRequestEntityTooLarge,
  HTTPRequestHeaderFieldsTooLarge,
  HTTPRequestRangeNotSatisfiable,
  HTTPRequestTimeout,
  HTTPRequestURITooLong,
  HTTPResetContent,
  HTTPSeeOther,
  HTTPServerError,
  HTTPServiceUnavailable,
  HTTPSuccessful,
  HTTPTemporaryRedirect,
  HTTPTooManyRequests,
  HTTPUnauthorized,
  HTTPUnavailableForLegalReasons,
  HTTPUnprocessableEntity,
  HTTPUnsupportedMediaType,
  HTTPUpgradeRequired,
  HTTPUseProxy,
  HTTPVariantAlsoNegotiates,
  HTTPVersionNotSupported,
  type HTTPExceptionOptions,
} from "./web/exceptions.js";
