// The echo benchmark's plain node:net server, naive: socket.on("data", (d) => socket.write(d)),
// nothing else (no setNoDelay, no backpressure handling), as a Node programmer writes it first.
// Listens on 127.0.0.1 port 0 and prints one JSON line {"port": .., "runtime": ..}; serves until
// its stdin closes, SIGTERM, or --max-seconds have passed.
import net from "node:net";
import { serverArgs, serveUntilTold } from "./server-common.mjs";

const { maxSeconds } = serverArgs();

const server = net.createServer((socket) => {
  socket.on("data", (d) => socket.write(d));
  socket.on("error", () => socket.destroy());
});
server.listen({ host: "127.0.0.1", port: 0 }, () => {
  serveUntilTold(maxSeconds, () => server.close());
  process.stdout.write(JSON.stringify({ port: /** @type {import("node:net").AddressInfo} */ (server.address()).port, runtime: `node ${process.version}` }) + "\n");
});
