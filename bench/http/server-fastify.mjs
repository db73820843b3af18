// The http benchmark's fastify server: "It Works!" as fastify's documentation writes a route,
// an async handler that sets the type and returns the page (fastify adds Content-Length),
// logging off (its default). Listens on 127.0.0.1 port 0, prints {"port": .., "runtime": ..}
// and serves until its stdin closes, SIGTERM, or --max-seconds have passed.
import Fastify from "fastify";
import { IT_WORKS, ready, serverArgs, serveUntilTold } from "./server-common.mjs";

const { maxSeconds } = serverArgs();

const app = Fastify();
app.get("/", async (request, reply) => {
  reply.type("text/html; charset=UTF-8");
  return IT_WORKS;
});
await app.listen({ host: "127.0.0.1", port: 0 });
serveUntilTold(maxSeconds, () => void app.close());
ready(/** @type {import("node:net").AddressInfo} */ (app.server.address()).port, { runtime: `node ${process.version}, fastify ${app.version}` });
