// The http benchmark's asyncio-ts low-level server: the class's basic server ("It Works!", see
// it-works.mjs) served by the loop's own createServer with the class's options (debug: true,
// keepAlive: 75), under asyncio.run.
//   --style=async  handleRequest is an async method
//   --style=gen    a generator method (yield*), the class's 3.4 form
// Listens on 127.0.0.1 port 0, prints {"port": .., "runtime": ..} and serves until its stdin
// closes, SIGTERM, or --max-seconds have passed.
import * as asyncio from "../../dist/asyncio/index.js";
import { itWorksHandler, styleArg } from "./it-works.mjs";
import { asyncioTs, ready, serverArgs, serveUntilTold } from "./server-common.mjs";

const aiohttp = await asyncioTs("http", ["ServerHttpProtocol", "Response"]);
const { maxSeconds } = serverArgs();
const HttpRequestHandler = itWorksHandler(aiohttp, styleArg());

await asyncio.run(async () => {
  const loop = asyncio.getRunningLoop();
  const srv = await loop.createServer(() => new HttpRequestHandler({ debug: true, keepAlive: 75 }), "127.0.0.1", 0);
  serveUntilTold(maxSeconds, () => srv.close());
  ready(srv.sockets[0].getsockname()[1]);
  await srv.serveForever();
});
