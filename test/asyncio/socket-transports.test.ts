// Transports and protocols on real sockets (127.0.0.1, port 0): the class's SimpleEchoProtocol,
// asyncio's callback order, flow control, half-close, errors, Unix sockets, and the Server.
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { ConnectionRefusedError, OSError, Protocol, type Transport } from "../../src/asyncio/index.js";
import { newLoop, onCleanup, Recorder } from "../helpers.js";

function portOf(server: asyncio.Server): number {
  return (server.sockets[0]!.getsockname() as [string, number])[1];
}

/** A plain node:net client, as nc would be: sends lines, collects what comes back. */
async function ncClient(port: number, send: string[], until: (got: string) => boolean): Promise<string> {
  const sock = net.connect(port, "127.0.0.1");
  onCleanup(() => sock.destroy());
  await once(sock, "connect");
  let got = "";
  const done = new Promise<string>((resolve, reject) => {
    sock.on("data", (d) => {
      got += d.toString();
      if (until(got)) resolve(got);
    });
    sock.on("error", reject);
    sock.on("close", () => resolve(got));
  });
  for (const line of send) sock.write(line);
  const r = await done;
  sock.end();
  return r;
}

describe("The class's echo server (SimpleEchoProtocol)", () => {
  it("echoes with 'echo:', and connectionLost closes the server so waitClosed() returns", async () => {
    const loop = newLoop();
    const printed = new Recorder();
    let server!: asyncio.Server;
    class SimpleEchoProtocol extends Protocol {
      transport!: Transport;
      override connectionMade(transport: Transport): void {
        printed.add("Connection made");
        this.transport = transport;
      }
      override dataReceived(data: Buffer): void {
        printed.add(data.toString());
        this.transport.write(Buffer.from("echo:"));
        this.transport.write(data);
      }
      override connectionLost(_exc: Error | null): void {
        printed.add("Connection lost! Closing server...");
        server.close();
      }
    }
    const pendingServer = loop.createServer(SimpleEchoProtocol, "127.0.0.1", 0);
    server = await loop.runUntilComplete(pendingServer);
    const reply = ncClient(portOf(server), ["hello\n"], (got) => got.endsWith("hello\n"));
    await loop.runUntilComplete(server.waitClosed());
    expect(await reply).toBe("echo:hello\n");
    expect(printed.events).toEqual(["Connection made", "hello\n", "Connection lost! Closing server..."]);
    expect(server.isServing()).toBe(false);
    expect(server.sockets).toEqual([]);
    loop.close();
  });

  it("works with a protocol factory function and a createConnection client", async () => {
    const loop = newLoop();
    await loop.runUntilComplete(async () => {
      const server = await loop.createServer(
        () =>
          new (class extends Protocol {
            t!: Transport;
            override connectionMade(t: Transport): void {
              this.t = t;
            }
            override dataReceived(d: Buffer): void {
              this.t.write(Buffer.concat([Buffer.from("echo:"), d]));
            }
          })(),
        "127.0.0.1",
        0,
      );
      const got = loop.createFuture<string>();
      class Client extends Protocol {
        override connectionMade(t: Transport): void {
          t.write("ping");
        }
        override dataReceived(d: Buffer): void {
          if (!got.done()) got.setResult(d.toString());
        }
      }
      const [transport, protocol] = await loop.createConnection(Client, "127.0.0.1", portOf(server));
      expect(protocol).toBeInstanceOf(Client);
      expect(await got).toBe("echo:ping");
      transport.close();
      server.close();
      await server.waitClosed();
    });
    loop.close();
  });
});

describe("Protocol callbacks", () => {
  it("come in asyncio's order: connectionMade, dataReceived*, eofReceived, connectionLost(null)", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const lost = loop.createFuture();
    class Recording extends Protocol {
      override connectionMade(): void {
        rec.add("connectionMade");
      }
      override dataReceived(d: Buffer): void {
        rec.add(`data:${d.toString()}`);
      }
      override eofReceived(): void {
        rec.add("eofReceived");
      }
      override connectionLost(exc: Error | null): void {
        rec.add(["connectionLost", exc]);
        lost.setResult(null);
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Recording, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    await once(sock, "connect");
    sock.end("abc");
    await loop.runUntilComplete(lost);
    expect(rec.events).toEqual(["connectionMade", "data:abc", "eofReceived", ["connectionLost", null]]);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("eofReceived returning true keeps the connection half-open: the server can still answer", async () => {
    const loop = newLoop();
    class Summer extends Protocol {
      t!: Transport;
      total = 0;
      override connectionMade(t: Transport): void {
        this.t = t;
      }
      override dataReceived(d: Buffer): void {
        for (const n of d.toString().split(",").filter(Boolean)) this.total += Number(n);
      }
      override eofReceived(): boolean {
        this.t.write(`sum=${this.total}`);
        this.t.close();
        return true;
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Summer, "127.0.0.1", 0));
    const sock = net.connect({ port: portOf(server), host: "127.0.0.1", allowHalfOpen: true });
    await once(sock, "connect");
    sock.end("1,2,3,");
    let got = "";
    sock.on("data", (d) => (got += d.toString()));
    const closed = once(sock, "close");
    await loop.runUntilComplete(async () => {
      await closed;
    });
    expect(got).toBe("sum=6");
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("a BufferedProtocol receives into its own buffer", async () => {
    const loop = newLoop();
    const received: string[] = [];
    const done = loop.createFuture();
    class Into extends asyncio.BufferedProtocol {
      buf = Buffer.alloc(4);
      override getBuffer(): Uint8Array {
        return this.buf;
      }
      override bufferUpdated(n: number): void {
        received.push(this.buf.subarray(0, n).toString());
      }
      override connectionLost(): void {
        done.setResult(null);
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Into, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    await once(sock, "connect");
    sock.end("abcdefghij");
    await loop.runUntilComplete(done);
    expect(received.join("")).toBe("abcdefghij");
    expect(Math.max(...received.map((r) => r.length))).toBeLessThanOrEqual(4);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("getExtraInfo gives peername, sockname and the socket", async () => {
    const loop = newLoop();
    const info = loop.createFuture<unknown[]>();
    class Info extends Protocol {
      override connectionMade(t: Transport): void {
        info.setResult([t.getExtraInfo("peername"), t.getExtraInfo("sockname"), t.getExtraInfo("socket") instanceof net.Socket, t.getExtraInfo("nothing", "dflt")]);
        t.close();
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Info, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    onCleanup(() => sock.destroy());
    await once(sock, "connect");
    const [peer, name, isSocket, dflt] = await loop.runUntilComplete(info);
    expect(peer).toEqual(["127.0.0.1", sock.localPort]);
    expect(name).toEqual(["127.0.0.1", portOf(server)]);
    expect([isSocket, dflt]).toEqual([true, "dflt"]);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("peername and sockname are those of the connection, also after it is closed (as Python reads them at the start)", async () => {
    const loop = newLoop();
    const server = await loop.runUntilComplete(loop.createServer(Protocol, "127.0.0.1", 0));
    const lost = loop.createFuture<void>();
    class Client extends Protocol {
      override connectionLost(): void {
        lost.setResult(undefined);
      }
    }
    const [t] = await loop.runUntilComplete(loop.createConnection(Client, "127.0.0.1", portOf(server)));
    t.close();
    await loop.runUntilComplete(lost);
    const [host, port] = t.getExtraInfo("peername");
    expect([host, port]).toEqual(["127.0.0.1", portOf(server)]);
    expect(t.getExtraInfo("sockname")[0]).toBe("127.0.0.1");
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });
});

describe("Flow control", () => {
  it("a fast writer to a paused reader is paused at the high-water mark and resumed when the reader catches up", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const HIGH = 256 * 1024;
    let writer!: Transport;
    let maxBuffered = 0;
    class FastWriter extends Protocol {
      paused = false;
      override connectionMade(t: Transport): void {
        writer = t;
        t.setWriteBufferLimits(HIGH);
        this.pump();
      }
      pump(): void {
        const chunk = Buffer.alloc(64 * 1024, 120);
        while (!this.paused && writer.getWriteBufferSize() < 64 * 1024 * 1024) {
          writer.write(chunk);
          maxBuffered = Math.max(maxBuffered, writer.getWriteBufferSize());
        }
      }
      override pauseWriting(): void {
        this.paused = true;
        rec.add("pauseWriting");
      }
      override resumeWriting(): void {
        rec.add("resumeWriting");
        this.paused = false;
        writer.close();
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(FastWriter, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    onCleanup(() => sock.destroy());
    sock.pause(); // the reader reads nothing for now
    await loop.runUntilComplete(asyncio.sleep(0.2));
    expect(rec.events).toEqual(["pauseWriting"]);
    // The writer stopped at the mark: it never queued more than one chunk past it.
    expect(maxBuffered).toBeLessThanOrEqual(HIGH + 64 * 1024);
    sock.resume();
    sock.on("data", () => {});
    const closed = once(sock, "close");
    await loop.runUntilComplete(async () => {
      await closed;
    });
    expect(rec.events).toEqual(["pauseWriting", "resumeWriting"]);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("pauseReading stops dataReceived until resumeReading", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    let t!: Transport;
    class Slow extends Protocol {
      override connectionMade(tr: Transport): void {
        t = tr;
        tr.pauseReading();
        rec.add(["reading", tr.isReading()]);
      }
      override dataReceived(d: Buffer): void {
        rec.add(`data:${d.toString()}`);
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Slow, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    onCleanup(() => sock.destroy());
    await once(sock, "connect");
    sock.write("x");
    await loop.runUntilComplete(asyncio.sleep(0.1));
    expect(rec.events).toEqual([["reading", false]]);
    t.resumeReading();
    await loop.runUntilComplete(asyncio.sleep(0.05));
    expect(rec.events).toEqual([["reading", false], "data:x"]);
    t.close();
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });
});

describe("Closing", () => {
  it("abort() drops the buffer and calls connectionLost(null); writing afterwards is refused clearly or dropped", async () => {
    const loop = newLoop();
    const lost = loop.createFuture<Error | null>();
    let t!: Transport;
    class Aborter extends Protocol {
      override connectionMade(tr: Transport): void {
        t = tr;
        tr.write(Buffer.alloc(1024 * 1024));
        tr.abort();
      }
      override connectionLost(exc: Error | null): void {
        lost.setResult(exc);
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Aborter, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    onCleanup(() => sock.destroy());
    sock.on("error", () => {});
    expect(await loop.runUntilComplete(lost)).toBeNull();
    expect(t.isClosing()).toBe(true);
    expect(() => t.write("late")).not.toThrow(); // dropped, as Python drops writes to a lost connection
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("a connection whose socket Node destroyed is closing at once, before connectionLost runs", async () => {
    const loop = newLoop();
    const seen: unknown[] = [];
    class Destroyer extends Protocol {
      override connectionMade(tr: Transport): void {
        (tr.getExtraInfo("socket") as net.Socket).destroy(); // as a reset or a failed write does
        seen.push(["closing", tr.isClosing()]);
      }
      override connectionLost(): void {
        seen.push("lost");
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Destroyer, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    onCleanup(() => sock.destroy());
    sock.on("error", () => {});
    await loop.runUntilComplete(async () => {
      for (let i = 0; i < 100 && !seen.includes("lost"); i++) await asyncio.sleep(0.005);
    });
    expect(seen).toEqual([["closing", true], "lost"]);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("write() after close() or after writeEof() throws a clear error", async () => {
    const loop = newLoop();
    const errors = loop.createFuture<string[]>();
    class Misuse extends Protocol {
      override connectionMade(t: Transport): void {
        t.writeEof();
        const out: string[] = [];
        try {
          t.write("after eof");
        } catch (e) {
          out.push((e as Error).message);
        }
        errors.setResult(out);
        t.close();
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Misuse, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    onCleanup(() => sock.destroy());
    expect(await loop.runUntilComplete(errors)).toEqual(["Cannot call write() after writeEof()"]);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });
});

describe("Errors a user meets", () => {
  it("connecting to a closed port: ConnectionRefusedError naming host and port, with Node's code and the errno", async () => {
    const loop = newLoop();
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await loop.runUntilComplete(loop.createConnection(Protocol, "127.0.0.1", port)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionRefusedError);
    expect((err as ConnectionRefusedError).message).toBe(`Connect call failed ('127.0.0.1', ${port}): connection refused`);
    // The check every Node program makes, and the number Python shows as [Errno 111] on Linux.
    expect((err as ConnectionRefusedError).code).toBe("ECONNREFUSED");
    expect((err as ConnectionRefusedError).errno).toBe(osConstants.errno.ECONNREFUSED);
    expect(typeof (err as ConnectionRefusedError).errno).toBe("number");
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    loop.close();
  });

  it("a port already in use: OSError 'address already in use', code EADDRINUSE", async () => {
    const loop = newLoop();
    const first = await loop.runUntilComplete(loop.createServer(Protocol, "127.0.0.1", 0));
    const port = portOf(first);
    const err = await loop.runUntilComplete(loop.createServer(Protocol, "127.0.0.1", port)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OSError);
    expect((err as OSError).message).toBe(`error while attempting to bind on address ('127.0.0.1', ${port}): address already in use`);
    expect((err as OSError).code).toBe("EADDRINUSE");
    expect((err as OSError).errno).toBe(osConstants.errno.EADDRINUSE);
    first.close();
    await loop.runUntilComplete(first.waitClosed());
    loop.close();
  });

  it("a peer that resets: connectionLost gets a ConnectionResetError", async () => {
    const loop = newLoop();
    const lost = loop.createFuture<Error | null>();
    class Victim extends Protocol {
      override connectionLost(exc: Error | null): void {
        lost.setResult(exc);
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Victim, "127.0.0.1", 0));
    const sock = net.connect(portOf(server), "127.0.0.1");
    await once(sock, "connect");
    sock.write("half a li");
    await loop.runUntilComplete(asyncio.sleep(0.02));
    sock.resetAndDestroy();
    const exc = await loop.runUntilComplete(lost);
    expect(exc).toBeInstanceOf(asyncio.ConnectionResetError);
    expect((exc as asyncio.ConnectionResetError).code).toBe("ECONNRESET");
    expect((exc as asyncio.ConnectionResetError).errno).toBe(osConstants.errno.ECONNRESET);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("an error thrown by dataReceived goes to the exception handler and closes that connection; the server goes on", async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push(`${ctx.message}: ${(ctx.exception as Error).message}`));
    class Buggy extends Protocol {
      t!: Transport;
      override connectionMade(t: Transport): void {
        this.t = t;
      }
      override dataReceived(d: Buffer): void {
        if (d.toString().startsWith("bad")) throw new Error("bug in dataReceived");
        this.t.write(d);
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Buggy, "127.0.0.1", 0));
    const port = portOf(server);
    const bad = net.connect(port, "127.0.0.1");
    onCleanup(() => bad.destroy());
    await once(bad, "connect");
    bad.write("bad");
    await loop.runUntilComplete(asyncio.sleep(0.05));
    const got = await loop.runUntilComplete(async () => await ncClient(port, ["good"], (g) => g === "good"));
    expect(got).toBe("good");
    expect(seen).toEqual(["Fatal error: protocol.dataReceived() call failed.: bug in dataReceived"]);
    // The faulty connection was closed; the server kept serving the next one.
    await loop.runUntilComplete(asyncio.sleep(0.01));
    expect(bad.destroyed || bad.readableEnded).toBe(true);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });
});

describe("Server", () => {
  it("knows its sockets; close() stops accepting; serveForever ends when its task is cancelled", async () => {
    const loop = newLoop();
    await loop.runUntilComplete(async () => {
      const server = await loop.createServer(Protocol, "127.0.0.1", 0, { startServing: false });
      expect(server.isServing()).toBe(false);
      const [host, port] = server.sockets[0]!.getsockname();
      expect(host).toBe("127.0.0.1");
      expect(port).toBeGreaterThan(0);
      const serving = asyncio.createTask(server.serveForever());
      await asyncio.sleep(0.01);
      expect(server.isServing()).toBe(true);
      serving.cancel();
      await expect(serving).rejects.toThrow(asyncio.CancelledError);
      expect(server.isServing()).toBe(false);
      await expect(loop.createConnection(Protocol, "127.0.0.1", port)).rejects.toThrow(ConnectionRefusedError);
    });
    loop.close();
  });

  it("a connection made before startServing() is served once the server starts serving", async () => {
    const loop = newLoop();
    class Echo extends Protocol {
      private transport: Transport | null = null;
      override connectionMade(transport: Transport): void {
        this.transport = transport;
      }
      override dataReceived(data: Buffer): void {
        this.transport?.write(data);
      }
    }
    const server = await loop.runUntilComplete(loop.createServer(Echo, "127.0.0.1", 0, { startServing: false }));
    const port = server.sockets[0]!.getsockname()[1];
    const client = net.connect(port, "127.0.0.1");
    onCleanup(() => client.destroy());
    await once(client, "connect");
    client.write("early\n");
    await loop.runUntilComplete(asyncio.sleep(0.02)); // the connection waits, unserved
    const echoed = once(client, "data");
    await loop.runUntilComplete(server.startServing());
    await loop.runUntilComplete(asyncio.wrapPromise(echoed));
    expect(String((await echoed)[0])).toBe("early\n");
    client.destroy();
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("a listening socket held after close(): getsockname() throws OSError EBADF, as Python's closed socket", async () => {
    const loop = newLoop();
    const server = await loop.runUntilComplete(loop.createServer(Protocol, "127.0.0.1", 0));
    const sock = server.sockets[0]!;
    expect(String(sock)).toBe(`<ServerSocket ["127.0.0.1",${sock.getsockname()[1]}]>`);
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    expect(server.sockets).toEqual([]);
    expect(() => sock.getsockname()).toThrow(OSError);
    expect(() => sock.getsockname()).toThrow(expect.objectContaining({ code: "EBADF", message: "[Errno 9] Bad file descriptor" }));
    expect(String(sock)).toBe("<ServerSocket closed>");
    loop.close();
  });

  it("listens on IPv6 loopback too", async () => {
    const loop = newLoop();
    let server: asyncio.Server;
    try {
      server = await loop.runUntilComplete(loop.createServer(Protocol, "::1", 0));
    } catch {
      loop.close();
      return; // no IPv6 on this machine
    }
    const [host] = server.sockets[0]!.getsockname() as [string, number];
    expect(host).toBe("::1");
    const [t] = await loop.runUntilComplete(loop.createConnection(Protocol, "::1", portOf(server)));
    expect((t.getExtraInfo("peername") as [string, number])[0]).toBe("::1");
    t.close();
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });

  it("works over a Unix socket", async () => {
    const loop = newLoop();
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-"));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "echo.sock");
    class Echo extends Protocol {
      t!: Transport;
      override connectionMade(t: Transport): void {
        this.t = t;
      }
      override dataReceived(d: Buffer): void {
        this.t.write(d);
      }
    }
    const server = await loop.runUntilComplete(loop.createUnixServer(Echo, path));
    expect(server.sockets[0]!.getsockname()).toBe(path);
    const got = loop.createFuture<string>();
    class Client extends Protocol {
      override connectionMade(t: Transport): void {
        t.write("over unix");
      }
      override dataReceived(d: Buffer): void {
        got.setResult(d.toString());
      }
    }
    const [t] = await loop.runUntilComplete(loop.createUnixConnection(Client, path));
    expect(await loop.runUntilComplete(got)).toBe("over unix");
    t.close();
    server.close();
    await loop.runUntilComplete(server.waitClosed());
    loop.close();
  });
});
