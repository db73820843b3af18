// aiohttp's `web_protocol` and `web_server`: the protocol of one connection to a web application
// (a ServerHttpProtocol whose handleRequest makes the Request, runs the application and sends
// what it answers), and the server that makes those protocols and shuts them down. Parsing,
// keep-alive, pipelining and error pages are ../server.ts's.

import { driveGenerator, isGenerator, isThenable } from "../../coroutines.js";
import { repr } from "../../format.js";
import { gather } from "../../tasks.js";
import type { StreamReader } from "../../streams.js";
import type { Transport } from "../../transports.js";
import { ServerHttpProtocol, type RawRequestMessage, type ServerHttpProtocolOptions } from "../server.js";
import type { Application } from "./app.js";
import { HTTPException } from "./exceptions.js";
import { Request } from "./request.js";
import { StreamResponse, responseOf } from "./response.js";

/**
 * The protocol of one connection to a web application (aiohttp's `web.RequestHandler`): what
 * `runner.server` makes for each connection. For every request it makes a `web.Request`, runs
 * the application's middlewares and handler, and sends the response it gets.
 *
 * An HTTP exception thrown or returned is sent as its response; any other error is logged to
 * the `asyncio` logger with its traceback and answered 500 (by ServerHttpProtocol), and so is a
 * handler that returns something that is not a response.
 */
export class RequestHandler extends ServerHttpProtocol {
  private readonly _server: AppServer;

  /** @internal Made by the runner's server for each connection. */
  constructor(server: AppServer, options?: ServerHttpProtocolOptions) {
    super(options);
    this._server = server;
  }

  override connectionMade(transport: Transport): void {
    super.connectionMade(transport);
    this._server.connections.add(this);
  }

  override connectionLost(exc: Error | null): void {
    this._server.connections.delete(this);
    super.connectionLost(exc);
  }

  // An async method, run by ServerHttpProtocol as the request's Task: a handler that awaits is
  // cancelled where it waits when the client goes away.
  override async handleRequest(message: RawRequestMessage, payload: StreamReader): Promise<void> {
    const request = new Request(message, payload, this, this._server.app);
    let result: unknown;
    try {
      result = this._server.app._handle(request);
      // A handler that answers without waiting costs no await.
      if (isThenable(result)) result = await result;
      else if (isGenerator(result)) result = await driveGenerator(result);
    } catch (exc) {
      // Once a streamed response has sent its headers, no other answer can follow: the
      // connection closes (ServerHttpProtocol's handling of an error).
      if (!(exc instanceof HTTPException) || this._response?.headersSent === true) throw exc;
      result = exc;
    }
    if (result instanceof HTTPException) result = responseOf(result);
    if (!(result instanceof StreamResponse)) {
      throw new TypeError(`The handler of ${message.method} ${message.path} returned ${repr(result)}, not a web.StreamResponse`);
    }
    const wait = result._finishFor(request);
    if (wait !== null) await wait;
  }
}

/**
 * @internal The protocol factory of an AppRunner (aiohttp's `web.Server`): it makes a
 * RequestHandler per connection and keeps the open ones, for a graceful shutdown.
 */
export class AppServer {
  /** The connections open now. */
  readonly connections = new Set<RequestHandler>();

  constructor(
    readonly app: Application,
    private readonly _options: ServerHttpProtocolOptions,
  ) {}

  /** The protocol factory for `loop.createServer`. */
  readonly factory = (): RequestHandler => new RequestHandler(this, this._options);

  /**
   * Closes every connection gracefully: idle ones at once, busy ones after their response;
   * handlers still running after `timeout` seconds are cancelled.
   */
  async shutdown(timeout: number): Promise<void> {
    if (this.connections.size === 0) return;
    await gather(...[...this.connections].map((c) => c.shutdown(timeout)));
  }
}
