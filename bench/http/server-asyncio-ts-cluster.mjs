// The http benchmark's asyncio-ts multi-process server (the class's mpsrv.py on node:cluster):
// a supervisor forks --workers=N workers, each running the class's basic server (it-works.mjs)
// on its own asyncio-ts loop, all sharing one listening port.
//
// The API this expects from asyncio-ts/http (issue 8; the row says "not available" until it is
// there, and this is the one place to change if it lands under another shape):
//   new Supervisor({ workers, host, port, protocolFactory }).start()
// run by the same script in the primary and in every worker, as node:cluster re-runs it.
//
// The primary prints {"port": .., "runtime": .., "workers": N} once every worker listens (in a
// cluster, listen on port 0 gives every worker the same port), and serves until its stdin
// closes, SIGTERM, or --max-seconds; workers end with their primary.
import cluster from "node:cluster";
import { itWorksHandler, styleArg } from "./it-works.mjs";
import { asyncioTs, ready, serverArgs, serveUntilTold } from "./server-common.mjs";

const aiohttp = await asyncioTs("http", ["Supervisor", "ServerHttpProtocol", "Response"]);
const { maxSeconds } = serverArgs();
const workers = Number((process.argv.find((a) => a.startsWith("--workers=")) ?? "--workers=2").slice(10));
const HttpRequestHandler = itWorksHandler(aiohttp, styleArg());

const supervisor = new aiohttp.Supervisor({ workers, host: "127.0.0.1", port: 0, protocolFactory: () => new HttpRequestHandler({ keepAlive: 75 }) });
if (cluster.isPrimary) {
  let listening = 0;
  cluster.on("listening", (worker, address) => {
    if (++listening === workers) ready(address.port, { workers });
  });
  serveUntilTold(maxSeconds, () => cluster.disconnect?.());
}
await supervisor.start();
