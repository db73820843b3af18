// The http benchmark's plain node:http server: "It Works!" as a Node programmer writes it, one
// request listener that writes the status, Content-Type and Content-Length and ends the
// response. Listens on 127.0.0.1 port 0, prints {"port": .., "runtime": ..} and serves until
// its stdin closes, SIGTERM, or --max-seconds have passed.
import http from "node:http";
import { IT_WORKS, ready, serverArgs, serveUntilTold } from "./server-common.mjs";

const { maxSeconds } = serverArgs();

const server = http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/html; charset=UTF-8", "Content-Length": Buffer.byteLength(IT_WORKS) });
  res.end(IT_WORKS);
});
server.listen({ host: "127.0.0.1", port: 0 }, () => {
  serveUntilTold(maxSeconds, () => server.close());
  ready(/** @type {import("node:net").AddressInfo} */ (server.address()).port);
});
