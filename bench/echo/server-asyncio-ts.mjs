// The echo benchmark's asyncio-ts servers (the built library in dist/), one per process:
//   --api=protocol     a Protocol whose dataReceived writes the data back (the class's
//                      SimpleEchoProtocol without the "echo:" prefix and without printing),
//                      served by loop.createServer
//   --api=streams      asyncio.startServer with an async handler
//   --api=streams-gen  the same handler as a generator function (yield*)
//   --mode=lines       the streams handler echoes line by line: readline(), write(line), drain()
//   --mode=chunks      the streams handler echoes chunks: read(65536), write(chunk), drain()
// Listens on 127.0.0.1 port 0 and prints one JSON line {"port": .., "runtime": ..}. Serves until
// its stdin closes, SIGTERM, or --max-seconds (a safety bound) have passed. See server.py and
// server-node.mjs for the same servers in CPython asyncio / uvloop and in plain node:net.
import * as asyncio from "../../dist/asyncio/index.js";
import { serverArgs, serveUntilTold } from "./server-common.mjs";

const { api, mode, maxSeconds } = serverArgs();

class EchoProtocol extends asyncio.Protocol {
  transport = null;
  connectionMade(transport) {
    this.transport = transport;
  }
  dataReceived(data) {
    this.transport.write(data);
  }
}

async function echoLines(reader, writer) {
  for (;;) {
    const line = await reader.readline();
    if (!line.length) break;
    writer.write(line);
    await writer.drain();
  }
  writer.close();
}

async function echoChunks(reader, writer) {
  for (;;) {
    const data = await reader.read(65536);
    if (!data.length) break;
    writer.write(data);
    await writer.drain();
  }
  writer.close();
}

function* echoLinesGen(reader, writer) {
  for (;;) {
    const line = yield* reader.readline();
    if (!line.length) break;
    writer.write(line);
    yield* writer.drain();
  }
  writer.close();
}

function* echoChunksGen(reader, writer) {
  for (;;) {
    const data = yield* reader.read(65536);
    if (!data.length) break;
    writer.write(data);
    yield* writer.drain();
  }
  writer.close();
}

const HANDLERS = {
  streams: { lines: echoLines, chunks: echoChunks },
  "streams-gen": { lines: echoLinesGen, chunks: echoChunksGen },
};

await asyncio.run(async () => {
  const loop = asyncio.getRunningLoop();
  let server;
  if (api === "protocol") server = await loop.createServer(EchoProtocol, "127.0.0.1", 0);
  else if (HANDLERS[api]?.[mode]) server = await asyncio.startServer(HANDLERS[api][mode], "127.0.0.1", 0);
  else throw new Error(`unknown --api=${api} / --mode=${mode}`);
  const [, port] = server.sockets[0].getsockname();
  // The loop is stopped from outside (stdin closed, SIGTERM, time limit) by exiting the process.
  serveUntilTold(maxSeconds, () => server.close());
  process.stdout.write(JSON.stringify({ port, runtime: `node ${process.version}` }) + "\n");
  await server.serveForever();
});
