// What every transport over Node's I/O does the same way since they share NodeTransport
// (src/asyncio/node-transport.ts, issue 14): the start-up order, the writes dropped after the
// connection was lost (the 5th and each after logged, as CPython's), getExtraInfo by own name
// only. Shown on a TCP socket, a datagram endpoint and a child's stdin pipe.
import { afterEach, describe, expect, it } from "vitest";
import {
  DatagramProtocol,
  Protocol,
  SubprocessProtocol,
  logger,
  type BaseTransport,
  type DatagramTransport,
  type LogRecord,
  type Transport,
  type WriteTransport,
} from "../../src/asyncio/index.js";
import { newLoop, onCleanup } from "../helpers.js";

let records: LogRecord[] = [];
const capture = (r: LogRecord): void => void records.push(r);
afterEach(() => {
  logger.removeHandler(capture);
  records = [];
});

function countWarnings(text: string): number {
  return records.filter((r) => r.levelName === "WARNING" && r.message === text).length;
}

describe("NodeTransport: what the socket, datagram and pipe transports share", () => {
  it("a socket transport: connectionMade, then the waiter; after the loss, writes are dropped and the 5th and each after are logged", async () => {
    const loop = newLoop();
    const events: string[] = [];
    let transport!: Transport;
    class P extends Protocol {
      override connectionMade(t: Transport): void {
        transport = t;
        events.push("connectionMade");
      }
      override connectionLost(): void {
        events.push("connectionLost");
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Protocol, "127.0.0.1", 0));
    const port = server.sockets[0]!.getsockname()[1];
    await loop.runUntilComplete(
      (async () => {
        const [t] = await loop.createConnection(P, "127.0.0.1", port);
        events.push("connected");
        expect(t).toBe(transport);
        t.abort();
        await new Promise<void>((r) => setTimeout(r, 20));
      })(),
    );
    expect(events).toEqual(["connectionMade", "connected", "connectionLost"]);
    logger.addHandler(capture);
    for (let i = 1; i <= 6; i++) {
      transport.write("x");
      expect(countWarnings("socket.send() raised exception.")).toBe(Math.max(0, i - 4));
    }
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("a datagram endpoint made with remoteAddr counts sends after close() the same way", async () => {
    const loop = newLoop();
    const [transport] = await loop.runUntilComplete(loop.createDatagramEndpoint(DatagramProtocol, { remoteAddr: ["127.0.0.1", 9] }));
    (transport as DatagramTransport).close();
    await loop.runUntilComplete((async () => await new Promise<void>((r) => setTimeout(r, 10)))());
    logger.addHandler(capture);
    for (let i = 1; i <= 6; i++) {
      transport.sendto("x");
      expect(countWarnings("socket.send() raised exception.")).toBe(Math.max(0, i - 4));
    }
    loop.close();
  });

  it("a child's stdin pipe counts writes after its close the same way (it logged from the 6th before issue 14)", async () => {
    const loop = newLoop();
    const [transport] = await loop.runUntilComplete(loop.subprocessExec(SubprocessProtocol, process.execPath, ["-e", "process.stdin.resume()"]));
    const child = transport.getExtraInfo("subprocess");
    onCleanup(() => child.kill("SIGKILL"));
    const stdin = transport.getPipeTransport(0) as WriteTransport;
    stdin.close();
    logger.addHandler(capture);
    for (let i = 1; i <= 6; i++) {
      stdin.write("x");
      expect(countWarnings("pipe closed by peer or os.write(pipe, data) raised exception.")).toBe(Math.max(0, i - 4));
    }
    transport.close();
    loop.close();
  });

  it("getExtraInfo answers the transport's own names only: a name Object.prototype has gives the default, as Python's dict.get", async () => {
    const loop = newLoop();
    const [transport] = await loop.runUntilComplete(loop.subprocessExec(SubprocessProtocol, process.execPath, ["-e", ""]));
    onCleanup(() => transport.close());
    const pipe = transport.getPipeTransport(1) as BaseTransport;
    expect([transport.getExtraInfo("toString", "d"), pipe.getExtraInfo("constructor", "d"), pipe.getExtraInfo("pipe") !== undefined]).toEqual(["d", "d", true]);
    transport.close();
    loop.close();
  });
});
