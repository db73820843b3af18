// The http benchmark's asyncio-ts `web` server: "It Works!" as an aiohttp.web application, one
// GET route whose async handler returns web.Response({ text, contentType: "text/html" }),
// started with web.AppRunner and web.TCPSite (what web.runApp does, minus its signal handling).
// Listens on 127.0.0.1 port 0, prints {"port": .., "runtime": ..} and serves until its stdin
// closes, SIGTERM, or --max-seconds have passed.
import * as asyncio from "../../dist/asyncio/index.js";
import { IT_WORKS, asyncioTs, ready, serverArgs, serveUntilTold } from "./server-common.mjs";

const { web } = await asyncioTs("http", ["web.Application", "web.Response", "web.AppRunner", "web.TCPSite"]);
const { maxSeconds } = serverArgs();

async function handle(_request) {
  return new web.Response({ text: IT_WORKS, contentType: "text/html" });
}

await asyncio.run(async () => {
  const app = new web.Application();
  app.router.addGet("/", handle);
  const runner = new web.AppRunner(app);
  await runner.setup();
  const site = new web.TCPSite(runner, "127.0.0.1", 0);
  await site.start();
  serveUntilTold(maxSeconds, () => void runner.cleanup());
  ready(runner.addresses[0][1]);
  // Serve until the process is ended from outside.
  await asyncio.getRunningLoop().createFuture();
});
