// The class's basic server's handler ("It Works!"), line for line, as the low-level and the
// multi-process rows use it: a ServerHttpProtocol subclass whose handleRequest writes a
// Response with Content-Type and Content-Length. Made from the loaded asyncio-ts/http module,
// which the caller checks for first (server-common.mjs asyncioTs).
import { IT_WORKS } from "./server-common.mjs";

/**
 * The handler class of a style: "async" (an async method, `await response.writeEof()`) or
 * "gen" (a generator method, `yield* response.writeEof()`: the class's 3.4 form).
 */
export function itWorksHandler(aiohttp, style) {
  /** Everything up to writeEof, shared by both styles. */
  function itWorks(protocol, message) {
    const response = new aiohttp.Response(protocol.writer, 200, { httpVersion: message.version });
    const content = IT_WORKS;
    const bcontent = Buffer.from(content, "utf8");
    response.addHeader("Content-Type", "text/html; charset=UTF-8");
    response.addHeader("Content-Length", String(bcontent.length));
    response.sendHeaders();
    response.write(bcontent);
    return response;
  }

  class HttpRequestHandler extends aiohttp.ServerHttpProtocol {
    async handleRequest(message, _payload) {
      const response = itWorks(this, message);
      await response.writeEof();
    }
  }

  // Its own subclass of the library's class (not of the async one): a generator method is not
  // an override of an async method.
  class GenHttpRequestHandler extends aiohttp.ServerHttpProtocol {
    *handleRequest(message, _payload) {
      const response = itWorks(this, message);
      yield* response.writeEof();
    }
  }

  const handler = { async: HttpRequestHandler, gen: GenHttpRequestHandler }[style];
  if (handler === undefined) throw new Error(`unknown --style=${style} (async or gen)`);
  return handler;
}

/** The --style= argument (default "async"). */
export function styleArg(argv = process.argv.slice(2)) {
  return (argv.find((a) => a.startsWith("--style=")) ?? "--style=async").slice(8);
}
