// The http benchmark's asyncio-ts multi-process server (the class's mpsrv.py on node:cluster):
// `new Supervisor({ workers, host, port, protocolFactory }).start()` from asyncio-ts/http, run
// by this same script in the primary and in every worker (node:cluster runs it again in each).
// The primary forks --workers=N workers, each serving the class's basic server (it-works.mjs)
// on its own asyncio-ts loop, all on one port; start() settles in the primary once every
// worker listens. The primary then prints {"port": .., "runtime": .., "workers": N} and serves
// until its stdin closes, SIGTERM, or --max-seconds; workers end with their primary.
import cluster from "node:cluster";
import { itWorksHandler, styleArg } from "./it-works.mjs";
import { asyncioTs, ready, serverArgs, serveUntilTold } from "./server-common.mjs";

const aiohttp = await asyncioTs("http", ["Supervisor", "ServerHttpProtocol", "Response"]);
const { maxSeconds } = serverArgs();
const workers = Number((process.argv.find((a) => a.startsWith("--workers=")) ?? "--workers=2").slice(10));
const HttpRequestHandler = itWorksHandler(aiohttp, styleArg());

const supervisor = new aiohttp.Supervisor({ workers, host: "127.0.0.1", port: 0, protocolFactory: () => new HttpRequestHandler({ keepAlive: 75 }) });
await supervisor.start();
if (cluster.isPrimary) {
  serveUntilTold(maxSeconds, () => supervisor.close());
  ready(supervisor.addresses[0][1], { workers });
}
await supervisor.waitClosed();
