// Streams on real sockets: the class's echo_server_task (handle_client and client_done), the
// transfer_data proxy, reader semantics at EOF, on a reset and at the limit, drain(), and 1,000
// concurrent clients with nothing lost.
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { CancelledError, IncompleteReadError, LimitOverrunError, StreamReader, TimeoutError, type StreamWriter } from "../../src/asyncio/index.js";
import { newLoop, onCleanup, Recorder } from "../helpers.js";

function portOf(server: asyncio.Server): number {
  return (server.sockets[0]!.getsockname() as [string, number])[1];
}

async function closeServer(loop: asyncio.EventLoop, server: asyncio.Server): Promise<void> {
  server.close();
  await loop.runUntilComplete(server.waitClosed());
}

describe("The class's echo_server_task", () => {
  it("handle_client echoes each line with 'echo:' and client_done counts the clients served", async () => {
    const printed = new Recorder();
    let NUM_CLIENTS = 0;
    const handleClient = asyncio.coroutine(function* handleClient(clientReader: StreamReader, clientWriter: StreamWriter) {
      printed.add("New client");
      while (!clientReader.atEof()) {
        const data = yield* clientReader.readline();
        printed.add(data.toString());
        clientWriter.write(Buffer.concat([Buffer.from("echo:"), data]));
      }
    });
    function clientDone(_future: asyncio.Future<unknown>): void {
      NUM_CLIENTS += 1;
      printed.add("Client done");
    }
    function clientConnectedHandler(clientReader: StreamReader, clientWriter: StreamWriter): void {
      const task = new asyncio.Task(handleClient(clientReader, clientWriter));
      task.addDoneCallback(clientDone);
    }
    const loop = newLoop();
    const pendingServer = asyncio.startServer(clientConnectedHandler, "127.0.0.1", 0);
    const server = await loop.runUntilComplete(pendingServer);
    const port = portOf(server);

    // A stream client, line by line.
    const replies = await loop.runUntilComplete(async () => {
      const [reader, writer] = await asyncio.openConnection("127.0.0.1", port);
      const out: string[] = [];
      for (const line of ["first\n", "second\n"]) {
        writer.write(line);
        out.push((await reader.readline()).toString());
      }
      writer.close();
      await writer.waitClosed();
      return out;
    });
    expect(replies).toEqual(["echo:first\n", "echo:second\n"]);

    // A plain socket, as nc would be: both lines at once, then EOF.
    const ncReply = await loop.runUntilComplete(async () => {
      const sock = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
      onCleanup(() => sock.destroy());
      let got = "";
      sock.on("data", (d) => (got += d.toString()));
      sock.write("a\nb\n");
      while (!got.includes("echo:b\n")) await asyncio.sleep(0.005);
      sock.end();
      await asyncio.sleep(0.02);
      // handle_client never closes its writer (nor does the class's): the client hangs up.
      sock.destroy();
      return got;
    });
    expect(ncReply.startsWith("echo:a\necho:b\n")).toBe(true);
    await loop.runUntilComplete(asyncio.sleep(0.05));
    expect(NUM_CLIENTS).toBe(2);
    expect(printed.events.filter((e) => e === "New client").length).toBe(2);
    expect(printed.events.filter((e) => e === "Client done").length).toBe(2);
    // handle_client leaves each connection half-open after EOF (as the class's does), so the
    // server closes what is left before waitClosed() can return.
    server.closeClients();
    await closeServer(loop, server);
    loop.close();
  });

  it("a coroutine-function clientConnected runs as a Task per client", async () => {
    const loop = newLoop();
    const tasks: (asyncio.Task<unknown> | null)[] = [];
    const server = await loop.runUntilComplete(
      asyncio.startServer(
        async (reader, writer) => {
          tasks.push(asyncio.currentTask());
          const line = await reader.readline();
          writer.write(line.toString().toUpperCase());
          await writer.drain();
          writer.close();
        },
        "127.0.0.1",
        0,
      ),
    );
    const got = await loop.runUntilComplete(async () => {
      const [reader, writer] = await asyncio.openConnection("127.0.0.1", portOf(server));
      writer.write("shout\n");
      return (await reader.read()).toString();
    });
    expect(got).toBe("SHOUT\n");
    expect(tasks.length).toBe(1);
    expect(tasks[0]).toBeInstanceOf(asyncio.Task);
    await closeServer(loop, server);
    loop.close();
  });
});

describe("The class's transfer_data proxy", () => {
  it("forwards lines from a client to an upstream server and back", async () => {
    const loop = newLoop();
    const transferData = asyncio.coroutine(function* transferData(srcReader: StreamReader, destWriter: StreamWriter) {
      for (;;) {
        const data = yield* srcReader.readline();
        if (data.length === 0) break; // (the class's loop runs forever; stop at EOF so the test ends)
        destWriter.write(data);
      }
      destWriter.writeEof(); // pass the EOF on: the other direction may still be talking
    });
    const upstream = await loop.runUntilComplete(
      asyncio.startServer(
        async (reader, writer) => {
          for await (const line of reader) writer.write(`upstream saw ${line}`);
          writer.close();
        },
        "127.0.0.1",
        0,
      ),
    );
    const proxy = await loop.runUntilComplete(
      asyncio.startServer(
        async (clientReader, clientWriter) => {
          const [upReader, upWriter] = await asyncio.openConnection("127.0.0.1", portOf(upstream));
          await asyncio.gather(transferData(clientReader, upWriter), transferData(upReader, clientWriter));
        },
        "127.0.0.1",
        0,
      ),
    );
    const got = await loop.runUntilComplete(async () => {
      const [reader, writer] = await asyncio.openConnection("127.0.0.1", portOf(proxy));
      writer.write("one\ntwo\n");
      writer.writeEof();
      return (await reader.read()).toString();
    });
    expect(got).toBe("upstream saw one\nupstream saw two\n");
    await closeServer(loop, proxy);
    await closeServer(loop, upstream);
    loop.close();
  });
});

describe("StreamReader", () => {
  it("readline, readExactly, readUntil and read, fed by hand", async () => {
    const loop = newLoop();
    const r = new StreamReader({ loop });
    r.feedData(Buffer.from("line one\nABCDEF--sep--tail"));
    r.feedEof();
    const out = await loop.runUntilComplete(async () => [
      (await r.readline()).toString(),
      (await r.readExactly(3)).toString(),
      (await r.readUntil("--sep--")).toString(),
      (await r.read(2)).toString(),
      (await r.read()).toString(),
      (await r.read()).toString(),
      r.atEof(),
    ]);
    expect(out).toEqual(["line one\n", "ABC", "DEF--sep--", "ta", "il", "", true]);
    loop.close();
  });

  it("at EOF mid-line: readline returns the partial line, readExactly and readUntil throw IncompleteReadError with it", async () => {
    const loop = newLoop();
    const errors = await loop.runUntilComplete(async () => {
      const a = new StreamReader();
      a.feedData(Buffer.from("no newline"));
      a.feedEof();
      const partialLine = (await a.readline()).toString();
      const b = new StreamReader();
      b.feedData(Buffer.from("abc"));
      b.feedEof();
      const e1 = (await b.readExactly(5).then(null, (e: unknown) => e)) as IncompleteReadError;
      const c = new StreamReader();
      c.feedData(Buffer.from("xyz"));
      c.feedEof();
      const e2 = (await c.readUntil("!").then(null, (e: unknown) => e)) as IncompleteReadError;
      return [partialLine, e1 instanceof IncompleteReadError, e1.partial.toString(), e1.expected, e1.message, e2.partial.toString(), e2.expected];
    });
    expect(errors).toEqual(["no newline", true, "abc", 5, "3 bytes read on a total of 5 expected bytes", "xyz", null]);
    loop.close();
  });

  it("a line longer than the limit: LimitOverrunError from readUntil (data kept), an error from readline", async () => {
    const loop = newLoop();
    await loop.runUntilComplete(async () => {
      const r = new StreamReader({ limit: 8 });
      r.feedData(Buffer.from("0123456789abcdef"));
      const e = await r.readUntil("\n").then(null, (x: unknown) => x);
      expect(e).toBeInstanceOf(LimitOverrunError);
      expect(r.bufferedLength).toBe(16);
      await expect(r.readline()).rejects.toThrow("Separator is not found, and chunk exceed the limit");
      r.feedData(Buffer.from("ok\n"));
      expect((await r.readline()).toString()).toBe("ok\n");
    });
    loop.close();
  });

  it("only one coroutine may wait for data at a time", async () => {
    const loop = newLoop();
    await loop.runUntilComplete(async () => {
      const r = new StreamReader();
      const first = asyncio.createTask(r.readline());
      await asyncio.sleep(0);
      await expect(r.readline()).rejects.toThrow("readline() called while another coroutine is already waiting for incoming data");
      r.feedData(Buffer.from("x\n"));
      expect((await first).toString()).toBe("x\n");
    });
    loop.close();
  });

  it("a read cancelled while it waited leaves the reader free for the next read (in both coroutine styles)", async () => {
    const loop = newLoop();
    await loop.runUntilComplete(async () => {
      const r = new StreamReader();
      const asyncRead = asyncio.createTask(async () => await r.read(10));
      await asyncio.sleep(0);
      asyncRead.cancel();
      await expect(Promise.resolve(asyncRead)).rejects.toThrow(CancelledError);
      await expect(Promise.resolve(asyncio.waitFor(r.readline(), 0.01))).rejects.toThrow(TimeoutError);
      const genRead = asyncio.createTask(function* () {
        return yield* r.readExactly(2);
      });
      r.feedData(Buffer.from("ok\n"));
      expect((await genRead).toString()).toBe("ok");
      expect((await r.readline()).toString()).toBe("\n");
    });
    loop.close();
  });

  it("a peer that resets mid-line: the partial data comes as IncompleteReadError, caused by ConnectionResetError", async () => {
    const loop = newLoop();
    const result = loop.createFuture<unknown>();
    const server = await loop.runUntilComplete(
      asyncio.startServer(
        async (reader) => {
          try {
            await reader.readline();
            result.setResult("no error");
          } catch (e) {
            result.setResult(e);
          }
        },
        "127.0.0.1",
        0,
      ),
    );
    const sock = net.connect(portOf(server), "127.0.0.1");
    await once(sock, "connect");
    sock.write("half a li");
    await loop.runUntilComplete(asyncio.sleep(0.05));
    sock.resetAndDestroy();
    const e = (await loop.runUntilComplete(result)) as IncompleteReadError;
    expect(e).toBeInstanceOf(IncompleteReadError);
    expect(e.partial.toString()).toBe("half a li");
    expect(e.cause).toBeInstanceOf(asyncio.ConnectionResetError);
    await closeServer(loop, server);
    loop.close();
  });
});

describe("StreamWriter.drain", () => {
  it("waits while the peer does not read, and resolves once it catches up", async () => {
    const CHUNKS = 512;
    const loop = newLoop();
    const rec = new Recorder();
    const server = await loop.runUntilComplete(
      asyncio.startServer(
        async (_reader, writer) => {
          writer.transport.setWriteBufferLimits(64 * 1024);
          const chunk = Buffer.alloc(64 * 1024, 97);
          for (let i = 0; i < CHUNKS; i++) {
            writer.write(chunk);
            await writer.drain();
          }
          rec.add(["all written, buffered", writer.transport.getWriteBufferSize() <= 64 * 1024]);
          writer.close();
        },
        "127.0.0.1",
        0,
      ),
    );
    const sock = net.connect(portOf(server), "127.0.0.1");
    onCleanup(() => sock.destroy());
    sock.pause();
    await loop.runUntilComplete(asyncio.sleep(0.2));
    expect(rec.events).toEqual([]); // still waiting in drain(): 32 MiB cannot fit in the kernel's socket buffers
    let received = 0;
    sock.on("data", (d: Buffer) => (received += d.length));
    sock.resume();
    const closed = once(sock, "close");
    await loop.runUntilComplete(async () => {
      await closed;
    });
    expect(received).toBe(CHUNKS * 64 * 1024);
    expect(rec.events).toEqual([["all written, buffered", true]]);
    await closeServer(loop, server);
    loop.close();
  });
});

describe("Many clients", () => {
  it("1,000 concurrent connections each echo 100 lines: nothing lost, no handle left", async () => {
    const loop = newLoop();
    const handlesBefore = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    const server = await loop.runUntilComplete(
      asyncio.startServer(
        async (reader, writer) => {
          for (;;) {
            const line = await reader.readline();
            if (line.length === 0) break;
            writer.write(line);
            await writer.drain();
          }
          writer.close();
        },
        "127.0.0.1",
        0,
        { backlog: 1024 },
      ),
    );
    const port = portOf(server);
    const CLIENTS = 1000;
    const LINES = 100;
    const totals = await loop.runUntilComplete(async () => {
      const client = async (id: number): Promise<number> => {
        const [reader, writer] = await asyncio.openConnection("127.0.0.1", port);
        let ok = 0;
        for (let i = 0; i < LINES; i++) {
          const line = `client ${id} line ${i}\n`;
          writer.write(line);
          if ((await reader.readline()).toString() === line) ok++;
        }
        writer.close();
        await writer.waitClosed();
        return ok;
      };
      return await asyncio.gather(...Array.from({ length: CLIENTS }, (_, i) => client(i)));
    });
    expect(totals.length).toBe(CLIENTS);
    expect(totals.every((n) => n === LINES)).toBe(true);
    await closeServer(loop, server);
    await loop.runUntilComplete(asyncio.sleep(0.05));
    loop.close();
    const handlesAfter = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    expect(handlesAfter).toBeLessThanOrEqual(handlesBefore);
  }, 60_000);
});

describe("Unix-socket streams", () => {
  it("startUnixServer and openUnixConnection echo a line", async () => {
    const loop = newLoop();
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-"));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "s.sock");
    const server = await loop.runUntilComplete(
      asyncio.startUnixServer(async (reader, writer) => {
        writer.write(await reader.readline());
        writer.close();
      }, path),
    );
    const got = await loop.runUntilComplete(async () => {
      const [reader, writer] = await asyncio.openUnixConnection(path);
      writer.write("unix line\n");
      return (await reader.readline()).toString();
    });
    expect(got).toBe("unix line\n");
    await closeServer(loop, server);
    loop.close();
  });
});
