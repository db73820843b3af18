// `asyncio-ts/http`: what `import aiohttp` gives (the client, the low-level server, MultiDict),
// `from aiohttp import web` (the `web` namespace) and the multi-process server, as explicit named
// re-exports (our `__all__`). aiorest is `asyncio-ts/rest`.

// The loop newEventLoop() makes (EventLoop names itself to events.ts when loaded; events.ts says
// why): this entry may be the only one a program imports, and its client makes a loop on demand.
import "../node-events.js";

// multidict.ts
export { CIMultiDict, MultiDict, type MultiDictInit } from "./multidict.js";

// parser.ts
export { HttpParseError } from "./parser.js";

// server.ts (aiohttp.server)
export { RawRequestMessage, Response, ServerHttpProtocol, type ResponseOptions, type ServerHttpProtocolOptions } from "./server.js";

// client.ts (aiohttp.client): request(), ClientSession, ClientResponse
export {
  ClientResponse,
  ClientSession,
  DEFAULT_TIMEOUT,
  request,
  type ClientSessionOptions,
  type ClientTimeout,
  type LooseHeaders,
  type QueryParams,
  type RequestBody,
  type RequestFunctionOptions,
  type RequestOptions,
  type SSLOptions,
} from "./client.js";

// client-exceptions.ts (aiohttp.client_exceptions)
export {
  ClientConnectionError,
  ClientConnectorCertificateError,
  ClientConnectorDNSError,
  ClientConnectorError,
  ClientError,
  ClientOSError,
  ClientPayloadError,
  ClientResponseError,
  ClientSSLError,
  ConnectionTimeoutError,
  ContentTypeError,
  InvalidURL,
  ServerConnectionError,
  ServerDisconnectedError,
  ServerTimeoutError,
  SocketTimeoutError,
  TooManyRedirects,
  type ClientResponseErrorInit,
  type ConnectionKey,
} from "./client-exceptions.js";

// body-reader.ts: a response's `content` (aiohttp's StreamReader)
export { BodyReader } from "./body-reader.js";

// web.ts: `import { web } from "asyncio-ts/http"` (aiohttp's `from aiohttp import web`)
export * as web from "./web.js";

// cluster.ts: the multi-process server (the class's mpsrv.py)
export { Supervisor, type SupervisorOptions } from "./cluster.js";
