// The http benchmark's asyncio-ts REST server: the class's aiorest example, a RESTServer with
// one route, GET / answering {"hello": "world"} as JSON (the same 18-byte body size as the
// other rows' "<h1>It Works!</h1>"), served by passing server.makeHandler, unbound, to the
// loop's createServer as the class does. Listens on 127.0.0.1 port 0, prints
// {"port": .., "runtime": ..} and serves until its stdin closes, SIGTERM, or --max-seconds.
import * as asyncio from "../../dist/asyncio/index.js";
import { asyncioTs, ready, serverArgs, serveUntilTold } from "./server-common.mjs";

const { RESTServer } = await asyncioTs("rest", ["RESTServer"]);
const { maxSeconds } = serverArgs();

function hello(_request) {
  return { hello: "world" };
}

await asyncio.run(async () => {
  const loop = asyncio.getRunningLoop();
  const server = new RESTServer({ hostname: "127.0.0.1", loop });
  server.addUrl("GET", "/", hello);
  const srv = await loop.createServer(server.makeHandler, "127.0.0.1", 0);
  serveUntilTold(maxSeconds, () => srv.close());
  ready(srv.sockets[0].getsockname()[1]);
  await srv.serveForever();
});
