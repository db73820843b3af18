// UDP endpoints on real sockets (127.0.0.1, port 0): echo between two endpoints, sendto with and
// without remoteAddr, errorReceived, close/abort ordering, extra info; after CPython's
// test_events.py datagram tests and test_selector_events.py's datagram transport tests.
import { constants as osConstants } from "node:os";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { ConnectionRefusedError, DatagramProtocol, OSError, type Address, type DatagramTransport, type EventLoop } from "../../src/asyncio/index.js";
import { onCleanup, onNewLoop, Recorder } from "../helpers.js";

const HOST = "127.0.0.1";

/** A DatagramProtocol that records its callbacks and lets a test wait for the next datagram. */
class RecordingProtocol extends DatagramProtocol {
  readonly rec = new Recorder();
  transport!: DatagramTransport;
  readonly received = new asyncio.Queue<[string, Address]>();
  readonly errors = new asyncio.Queue<Error>();
  readonly lost: asyncio.Future<Error | null>;
  constructor(loop: EventLoop) {
    super();
    this.lost = loop.createFuture<Error | null>();
  }
  override connectionMade(transport: DatagramTransport): void {
    this.transport = transport;
    this.rec.add("connectionMade");
  }
  override datagramReceived(data: Buffer, addr: Address): void {
    this.rec.add(`datagramReceived(${data})`);
    this.received.putNowait([data.toString(), addr]);
  }
  override errorReceived(exc: Error): void {
    this.rec.add(`errorReceived(${exc.name})`);
    this.errors.putNowait(exc);
  }
  override connectionLost(exc: Error | null): void {
    this.rec.add(`connectionLost(${exc})`);
    this.lost.setResult(exc);
  }
}

/** The class's UDP echo server: sends every datagram back where it came from. */
class EchoServerProtocol extends RecordingProtocol {
  override datagramReceived(data: Buffer, addr: Address): void {
    super.datagramReceived(data, addr);
    this.transport.sendto(data, addr);
  }
}

async function endpoint<P extends RecordingProtocol>(
  loop: EventLoop,
  make: new (loop: EventLoop) => P,
  options: asyncio.CreateDatagramEndpointOptions,
): Promise<[DatagramTransport, P]> {
  const [transport, protocol] = await loop.createDatagramEndpoint(() => new make(loop), options);
  const sock = transport.getExtraInfo("socket") as { close(): void };
  // A failed test must not leave the socket open; closing twice is harmless here.
  onCleanup(() => {
    try {
      sock.close();
    } catch {
      // already closed by the test
    }
  });
  return [transport, protocol];
}

function portOf(transport: DatagramTransport): number {
  return (transport.getExtraInfo("sockname") as Address)[1];
}

describe("createDatagramEndpoint", () => {
  it("echoes between two endpoints: the server replies to the sender's address", async () => {
    const result = await onNewLoop(async (loop) => {
      const [server, serverProto] = await endpoint(loop, EchoServerProtocol, { localAddr: [HOST, 0] });
      const port = portOf(server);
      const [client, clientProto] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, port] });
      client.sendto(Buffer.from("hello"));
      client.sendto("world");
      const replies = [await clientProto.received.get(), await clientProto.received.get()];
      const [, seenFrom] = await serverProto.received.get();
      client.close();
      server.close();
      await Promise.all([clientProto.lost, serverProto.lost]);
      return { replies, seenFrom, clientAddr: client.getExtraInfo("sockname"), port, server: serverProto.rec.events, client: clientProto.rec.events };
    });
    expect(result.replies).toEqual([
      ["hello", [HOST, result.port]],
      ["world", [HOST, result.port]],
    ]);
    expect(result.seenFrom).toEqual(result.clientAddr);
    expect(result.server).toEqual(["connectionMade", "datagramReceived(hello)", "datagramReceived(world)", "connectionLost(null)"]);
    expect(result.client).toEqual(["connectionMade", "datagramReceived(hello)", "datagramReceived(world)", "connectionLost(null)"]);
  });

  it("resolves once connectionMade has run", async () => {
    const events = await onNewLoop(async (loop) => {
      const [transport, protocol] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const seen = [...protocol.rec.events];
      expect(protocol.transport).toBe(transport);
      transport.close();
      await protocol.lost;
      return seen;
    });
    expect(events).toEqual(["connectionMade"]);
  });

  it("an unconnected endpoint sends to the address given to each sendto()", async () => {
    const got = await onNewLoop(async (loop) => {
      const [a, aProto] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const [b, bProto] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      a.sendto("to b", [HOST, portOf(b)]);
      b.sendto("to a", [HOST, portOf(a)]);
      const r = [await bProto.received.get(), await aProto.received.get()];
      a.close();
      b.close();
      await Promise.all([aProto.lost, bProto.lost]);
      return { r, aPort: portOf(a), bPort: portOf(b) };
    });
    expect(got.r).toEqual([
      ["to b", [HOST, got.aPort]],
      ["to a", [HOST, got.bPort]],
    ]);
  });

  it("getExtraInfo gives sockname, peername (null when not connected) and the dgram socket", async () => {
    const info = await onNewLoop(async (loop) => {
      const [server, sp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const [client, cp] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, portOf(server)] });
      const r = {
        serverPeer: server.getExtraInfo("peername"),
        serverName: server.getExtraInfo("sockname"),
        clientPeer: client.getExtraInfo("peername"),
        clientName: client.getExtraInfo("sockname"),
        socket: typeof (server.getExtraInfo("socket") as { send?: unknown }).send,
        other: server.getExtraInfo("nothing", "default"),
        port: portOf(server),
      };
      server.close();
      client.close();
      await Promise.all([sp.lost, cp.lost]);
      return r;
    });
    expect(info.serverPeer).toBeNull();
    expect(info.serverName).toEqual([HOST, info.port]);
    expect(info.clientPeer).toEqual([HOST, info.port]);
    expect((info.clientName as Address)[0]).toBe(HOST);
    expect(info.socket).toBe("function");
    expect(info.other).toBe("default");
  });

  it("with only a family, the socket is bound by its first send and hears the reply", async () => {
    const reply = await onNewLoop(async (loop) => {
      const [server, sp] = await endpoint(loop, EchoServerProtocol, { localAddr: [HOST, 0] });
      const [client, cp] = await endpoint(loop, RecordingProtocol, { family: 4 });
      expect(client.getExtraInfo("sockname")).toEqual(["0.0.0.0", 0]);
      client.sendto("ping", [HOST, portOf(server)]);
      const [data] = await cp.received.get();
      server.close();
      client.close();
      await Promise.all([sp.lost, cp.lost]);
      return data;
    });
    expect(reply).toBe("ping");
  });

  it("neither an address nor a family is an error (Python's 'unexpected address family')", async () => {
    const err = await onNewLoop(async (loop) =>
      loop
        .createDatagramEndpoint(() => new RecordingProtocol(loop))
        .then(
          () => null,
          (e: unknown) => e,
        ),
    );
    expect(String(err)).toMatch(/unexpected address family/);
  });

  it("binding an address already in use throws OSError (address already in use)", async () => {
    const err = await onNewLoop(async (loop) => {
      const [first, fp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const e = await loop
        .createDatagramEndpoint(() => new RecordingProtocol(loop), { localAddr: [HOST, portOf(first)] })
        .then(
          () => null,
          (x: unknown) => x,
        );
      first.close();
      await fp.lost;
      return e;
    });
    expect(err).toBeInstanceOf(OSError);
    expect((err as OSError).code).toBe("EADDRINUSE");
    expect((err as OSError).errno).toBe(osConstants.errno.EADDRINUSE);
    expect((err as Error).message).toMatch(/error while attempting to bind on address \('127\.0\.0\.1', \d+\): address already in use/);
  });

  it("reuseAddress lets two endpoints bind the same address and port", async () => {
    const same = await onNewLoop(async (loop) => {
      const [a, ap] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0], reuseAddress: true });
      const [b, bp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, portOf(a)], reuseAddress: true });
      const r = portOf(b) === portOf(a);
      a.close();
      b.close();
      await Promise.all([ap.lost, bp.lost]);
      return r;
    });
    expect(same).toBe(true);
  });
  it("echoes over IPv6 loopback too", async () => {
    const result = await onNewLoop(async (loop) => {
      let server: DatagramTransport;
      let sp: RecordingProtocol;
      try {
        [server, sp] = await endpoint(loop, EchoServerProtocol, { localAddr: ["::1", 0] });
      } catch {
        return null; // no IPv6 on this machine
      }
      const [client, cp] = await endpoint(loop, RecordingProtocol, { remoteAddr: ["::1", portOf(server)] });
      client.sendto("six");
      const got = await cp.received.get();
      client.close();
      server.close();
      await Promise.all([sp.lost, cp.lost]);
      return { got, port: portOf(server) };
    });
    if (result === null) return;
    expect(result.got).toEqual(["six", ["::1", result.port]]);
  });
});

describe("DatagramTransport.sendto", () => {
  it("on an endpoint with remoteAddr, an address other than the peer's is an error, the peer's own is fine", async () => {
    const result = await onNewLoop(async (loop) => {
      const [server, sp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const port = portOf(server);
      const [client, cp] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, port] });
      let error: unknown = null;
      try {
        client.sendto("x", [HOST, port + 1 === 65536 ? 1 : port + 1]);
      } catch (e) {
        error = e;
      }
      client.sendto("to peer", [HOST, port]);
      const [data] = await sp.received.get();
      client.close();
      server.close();
      await Promise.all([sp.lost, cp.lost]);
      return { error, data, port };
    });
    expect(String(result.error)).toBe(`Error: Invalid address: must be null or ('127.0.0.1', ${result.port})`);
    expect(result.data).toBe("to peer");
  });

  it("on an endpoint without remoteAddr, a missing address is a TypeError", async () => {
    const err = await onNewLoop(async (loop) => {
      const [t, p] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      let e: unknown = null;
      try {
        t.sendto("x");
      } catch (x) {
        e = x;
      }
      t.close();
      await p.lost;
      return e;
    });
    expect(err).toBeInstanceOf(TypeError);
    expect(String(err)).toMatch(/sendto\(\) needs an address/);
  });

  it("data that is neither bytes nor a string is a TypeError", async () => {
    const err = await onNewLoop(async (loop) => {
      const [t, p] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      let e: unknown = null;
      try {
        t.sendto(42 as unknown as string, [HOST, 9]);
      } catch (x) {
        e = x;
      }
      t.close();
      await p.lost;
      return e;
    });
    expect(err).toBeInstanceOf(TypeError);
  });

  it("a datagram too big for UDP goes to errorReceived, and the endpoint stays usable", async () => {
    const result = await onNewLoop(async (loop) => {
      const [server, sp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const [client, cp] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, portOf(server)] });
      client.sendto(Buffer.alloc(70_000));
      const exc = await cp.errors.get();
      client.sendto("small");
      const [data] = await sp.received.get();
      const sizeAfter = client.getWriteBufferSize();
      client.close();
      server.close();
      await Promise.all([sp.lost, cp.lost]);
      return { exc, data, sizeAfter, events: cp.rec.events };
    });
    expect(result.exc).toBeInstanceOf(OSError);
    expect((result.exc as OSError).code).toBe("EMSGSIZE");
    expect((result.exc as OSError).errno).toBe(osConstants.errno.EMSGSIZE);
    expect(result.data).toBe("small");
    expect(result.sizeAfter).toBe(0);
    expect(result.events).toEqual(["connectionMade", "errorReceived(OSError)", "connectionLost(null)"]);
  });

  it("a connected endpoint whose peer is gone gets ConnectionRefusedError in errorReceived", async () => {
    const exc = await onNewLoop(async (loop) => {
      const [gone, gp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const port = portOf(gone);
      gone.close();
      await gp.lost;
      const [client, cp] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, port] });
      // The refusal (an ICMP message) is reported on a later send.
      for (let i = 0; i < 50 && cp.errors.empty(); i++) {
        client.sendto("anyone?");
        await asyncio.sleep(0.01);
      }
      const e = await cp.errors.get();
      client.close();
      await cp.lost;
      return e;
    });
    expect(exc).toBeInstanceOf(ConnectionRefusedError);
  });

  it("a write buffer over the high-water mark pauses the protocol's writing until it is sent", async () => {
    const events = await onNewLoop(async (loop) => {
      class Writer extends RecordingProtocol {
        override pauseWriting(): void {
          this.rec.add("pauseWriting");
        }
        override resumeWriting(): void {
          this.rec.add("resumeWriting");
        }
      }
      const [server, sp] = await endpoint(loop, Writer, { localAddr: [HOST, 0] });
      (server as unknown as { setWriteBufferLimits(high: number): void }).setWriteBufferLimits(100);
      server.sendto(Buffer.alloc(50), [HOST, portOf(server)]);
      sp.rec.add("sent 50");
      server.sendto(Buffer.alloc(50), [HOST, portOf(server)]);
      sp.rec.add("sent 100");
      await sp.received.get();
      await sp.received.get();
      server.close();
      await sp.lost;
      return sp.rec.events;
    });
    expect(events).toEqual([
      "connectionMade",
      "sent 50",
      "pauseWriting",
      "sent 100",
      "resumeWriting",
      "datagramReceived(" + "\0".repeat(50) + ")",
      "datagramReceived(" + "\0".repeat(50) + ")",
      "connectionLost(null)",
    ]);
  });

  it("getWriteBufferSize() counts a datagram (plus 8 bytes) until it is sent", async () => {
    const sizes = await onNewLoop(async (loop) => {
      const [server, sp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      server.sendto("12345", [HOST, portOf(server)]);
      const queued = server.getWriteBufferSize();
      await sp.received.get();
      const after = server.getWriteBufferSize();
      server.close();
      await sp.lost;
      return [queued, after];
    });
    expect(sizes).toEqual([13, 0]);
  });
});

describe("Closing", () => {
  it("close() makes isClosing() true at once and calls connectionLost(null) once, on a later iteration", async () => {
    const result = await onNewLoop(async (loop) => {
      const [t, p] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      t.close();
      const right = [t.isClosing(), [...p.rec.events]];
      t.close();
      const exc = await p.lost;
      await asyncio.sleep(0);
      return { right, exc, events: p.rec.events };
    });
    expect(result.right).toEqual([true, ["connectionMade"]]);
    expect(result.exc).toBeNull();
    expect(result.events).toEqual(["connectionMade", "connectionLost(null)"]);
  });

  it("delivers no datagram after close(), even one already on its way", async () => {
    const events = await onNewLoop(async (loop) => {
      const [server, sp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const [client, cp] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, portOf(server)] });
      client.sendto("late");
      server.close();
      await sp.lost;
      await asyncio.sleep(0.02);
      client.close();
      await cp.lost;
      return sp.rec.events;
    });
    expect(events).toEqual(["connectionMade", "connectionLost(null)"]);
  });

  it("close() sends what is queued before connectionLost; abort() drops it", async () => {
    const result = await onNewLoop(async (loop) => {
      const [server, sp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const port = portOf(server);
      const [closing, clp] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, port] });
      closing.sendto("sent before close");
      closing.close();
      const [data] = await sp.received.get();
      await clp.lost;
      const [aborting, ap] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, port] });
      aborting.sendto("maybe dropped");
      aborting.abort();
      const bufferAfterAbort = aborting.getWriteBufferSize();
      const exc = await ap.lost;
      server.close();
      await sp.lost;
      return { data, bufferAfterAbort, exc, closingEvents: clp.rec.events, abortEvents: ap.rec.events };
    });
    expect(result.data).toBe("sent before close");
    expect(result.bufferAfterAbort).toBe(0);
    expect(result.exc).toBeNull();
    expect(result.closingEvents).toEqual(["connectionMade", "connectionLost(null)"]);
    expect(result.abortEvents).toEqual(["connectionMade", "connectionLost(null)"]);
  });

  it("after close, sendto() on a connected endpoint is dropped; on an unconnected one errorReceived gets EBADF", async () => {
    const result = await onNewLoop(async (loop) => {
      const [server, sp] = await endpoint(loop, RecordingProtocol, { localAddr: [HOST, 0] });
      const [client, cp] = await endpoint(loop, RecordingProtocol, { remoteAddr: [HOST, portOf(server)] });
      client.close();
      await cp.lost;
      client.sendto("dropped");
      server.close();
      await sp.lost;
      server.sendto("nowhere", [HOST, 9]);
      return { client: cp.rec.events, server: sp.rec.events, error: (await sp.errors.get()) as OSError };
    });
    expect(result.client).toEqual(["connectionMade", "connectionLost(null)"]);
    expect(result.server).toEqual(["connectionMade", "connectionLost(null)", "errorReceived(OSError)"]);
    expect(result.error.code).toBe("EBADF");
    expect(result.error.errno).toBe(osConstants.errno.EBADF);
  });
});
