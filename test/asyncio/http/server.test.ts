// The low-level HTTP server (src/asyncio/http/server.ts): the class's "aiohttp: Basic server" and
// "aiohttp: Complete server" slides line for line, in both coroutine styles, driven by real
// clients (Node's fetch, curl, a raw socket); keep-alive and pipelining; chunked bodies both
// ways; a 10 MB upload streamed through `payload`; and every kind of bad input.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import net from "node:net";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../../src/asyncio/index.js";
import * as aiohttp from "../../../src/asyncio/http/index.js";
import { newLoop } from "../../helpers.js";
import { captureLog, closeServer, portOf } from "./helpers.js";

const CURL = "/usr/bin/curl";
const hasCurl = existsSync(CURL);

type Message = aiohttp.RawRequestMessage;
type Payload = asyncio.StreamReader;

/**
 * Serves `factory` on 127.0.0.1 port 0 on a new loop, runs `body(port)` as a task on it, then
 * closes the server (and its kept-alive connections) and the loop.
 */
async function withServer(factory: asyncio.ProtocolFactory, body: (port: number, loop: asyncio.EventLoop) => Promise<void>): Promise<void> {
  const loop = newLoop();
  const srv = await loop.runUntilComplete(loop.createServer(factory, "127.0.0.1", 0));
  try {
    await loop.runUntilComplete(() => body(portOf(srv), loop));
  } finally {
    await closeServer(loop, srv);
    loop.close();
  }
}

/** Runs curl with `args`; resolves with its stdout. */
function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(CURL, ["-s", "-S", "--max-time", "10", ...args], { encoding: "latin1", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`curl failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Connects a raw socket, writes each piece (waiting `gapMs` between them), and resolves with
 * everything received until the server closes the connection (or `timeoutMs` passes: then with
 * what came, and `closed: false`).
 */
function raw(port: number, pieces: (string | Buffer)[], options?: { gapMs?: number; timeoutMs?: number; end?: boolean }): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text: Buffer.concat(chunks).toString("latin1"), closed });
    };
    const timer = setTimeout(() => finish(false), options?.timeoutMs ?? 5000);
    sock.on("data", (d) => chunks.push(d));
    sock.on("close", () => finish(true));
    sock.on("error", (e) => (done ? undefined : reject(e)));
    sock.on("connect", async () => {
      for (const p of pieces) {
        if (sock.destroyed) return;
        sock.write(p);
        if (options?.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
      if (options?.end) sock.end();
    });
  });
}

/** Splits a raw HTTP/1.1 byte stream of responses with Content-Length bodies into [head, body] pairs. */
function responses(text: string): { status: number; head: string; body: string }[] {
  const out: { status: number; head: string; body: string }[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) break;
    const head = rest.slice(0, end);
    const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ status: Number(head.split(" ")[1]), head, body: rest.slice(end + 4, end + 4 + len) });
    rest = rest.slice(end + 4 + len);
  }
  return out;
}

// -- The class's slides ------------------------------------------------------------------------

// aiohttp: Basic server, line for line (the 3.4 style: a generator coroutine with yield*).
class BasicHandlerGen extends aiohttp.ServerHttpProtocol {
  override *handleRequest(message: Message, payload: Payload) {
    void payload;
    const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
    const content = "<h1>It Works!</h1>";
    const bcontent = Buffer.from(content, "utf-8");
    response.addHeader("Content-Type", "text/html; charset=UTF-8");
    response.addHeader("Content-Length", String(bcontent.length));
    response.sendHeaders();
    response.write(bcontent);
    yield* response.writeEof();
  }
}

// The same with async/await.
class BasicHandlerAsync extends aiohttp.ServerHttpProtocol {
  override async handleRequest(message: Message, payload: Payload) {
    void payload;
    const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
    const content = "<h1>It Works!</h1>";
    const bcontent = Buffer.from(content, "utf-8");
    response.addHeader("Content-Type", "text/html; charset=UTF-8");
    response.addHeader("Content-Length", String(bcontent.length));
    response.sendHeaders();
    response.write(bcontent);
    await response.writeEof();
  }
}

// aiohttp: Complete server, line for line. `MultiDict(parse_qsl(urlparse(message.path).query))`
// is `new MultiDict(new URL(message.path, "http://x").searchParams)`.
class CompleteHandlerGen extends aiohttp.ServerHttpProtocol {
  override *handleRequest(message: Message, payload: Payload) {
    const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
    const getParams = new aiohttp.MultiDict(new URL(message.path, "http://x").searchParams);
    let postParams: Buffer | null;
    if (message.method === "POST") {
      postParams = yield* payload.read();
    } else {
      postParams = null;
    }
    let content = "<h1>It Works!</h1>";
    if (getParams.size) {
      content += "<h2>Get params</h2><p>" + String(getParams) + "</p>";
    }
    if (postParams?.length) {
      content += "<h2>Post params</h2><p>" + String(postParams) + "</p>";
    }
    const bcontent = Buffer.from(content, "utf-8");
    response.addHeader("Content-Type", "text/html; charset=UTF-8");
    response.addHeader("Content-Length", String(bcontent.length));
    response.sendHeaders();
    response.write(bcontent);
    yield* response.writeEof();
  }
}

class CompleteHandlerAsync extends aiohttp.ServerHttpProtocol {
  override async handleRequest(message: Message, payload: Payload) {
    const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
    const getParams = new aiohttp.MultiDict(new URL(message.path, "http://x").searchParams);
    let postParams: Buffer | null;
    if (message.method === "POST") {
      postParams = await payload.read();
    } else {
      postParams = null;
    }
    let content = "<h1>It Works!</h1>";
    if (getParams.size) {
      content += "<h2>Get params</h2><p>" + String(getParams) + "</p>";
    }
    if (postParams?.length) {
      content += "<h2>Post params</h2><p>" + String(postParams) + "</p>";
    }
    const bcontent = Buffer.from(content, "utf-8");
    response.addHeader("Content-Type", "text/html; charset=UTF-8");
    response.addHeader("Content-Length", String(bcontent.length));
    response.sendHeaders();
    response.write(bcontent);
    await response.writeEof();
  }
}

const STYLES = [
  ["a generator coroutine (yield*)", BasicHandlerGen, CompleteHandlerGen],
  ["an async method (await)", BasicHandlerAsync, CompleteHandlerAsync],
] as const;

describe("aiohttp: Basic server", () => {
  it("runs as the slide's main does: createServer, runUntilComplete, sockets[0].getsockname()", async () => {
    const loop = newLoop();
    const f = loop.createServer(() => new BasicHandlerGen({ debug: true, keepAlive: 75 }), "127.0.0.1", 0);
    const srv = await loop.runUntilComplete(f);
    const [host, port] = srv.sockets[0]!.getsockname() as [string, number];
    expect(host).toBe("127.0.0.1");
    const res = await loop.runUntilComplete(() => fetch(`http://127.0.0.1:${port}/`));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<h1>It Works!</h1>");
    await closeServer(loop, srv);
    loop.close();
  });

  for (const [style, Basic] of STYLES) {
    it(`answers "It Works!" to fetch, curl and a raw socket, handleRequest written as ${style}`, async () => {
      await withServer(
        () => new Basic({ debug: true, keepAlive: 75 }),
        async (port) => {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          expect(res.status).toBe(200);
          expect(res.headers.get("content-type")).toBe("text/html; charset=UTF-8");
          expect(res.headers.get("content-length")).toBe("18");
          expect(res.headers.get("date")).toMatch(/GMT$/);
          expect(await res.text()).toBe("<h1>It Works!</h1>");

          if (hasCurl) {
            const out = await curl(["-i", `http://127.0.0.1:${port}/`]);
            expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
            expect(out.endsWith("\r\n\r\n<h1>It Works!</h1>")).toBe(true);
          }

          const { text, closed } = await raw(port, ["GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
          expect(closed).toBe(true);
          const [r] = responses(text);
          expect(r!.status).toBe(200);
          expect(r!.head).toContain("\r\nConnection: close");
          expect(r!.body).toBe("<h1>It Works!</h1>");
        },
      );
    });
  }
});

describe("aiohttp: Complete server", () => {
  for (const [style, , Complete] of STYLES) {
    it(`shows GET parameters (repeated keys kept) and POST parameters, handleRequest written as ${style}`, async () => {
      await withServer(
        () => new Complete({ debug: true, keepAlive: 75 }),
        async (port) => {
          const get = await fetch(`http://127.0.0.1:${port}/?a=1&a=2&b=x%20y`);
          expect(await get.text()).toBe("<h1>It Works!</h1><h2>Get params</h2><p><MultiDict('a': '1', 'a': '2', 'b': 'x y')></p>");

          const post = await fetch(`http://127.0.0.1:${port}/?q=1`, { method: "POST", body: "name=Guido&lang=Python" });
          expect(await post.text()).toBe("<h1>It Works!</h1><h2>Get params</h2><p><MultiDict('q': '1')></p><h2>Post params</h2><p>name=Guido&lang=Python</p>");

          expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("<h1>It Works!</h1>");

          if (hasCurl) {
            expect(await curl([`http://127.0.0.1:${port}/?a=1&a=2`])).toBe("<h1>It Works!</h1><h2>Get params</h2><p><MultiDict('a': '1', 'a': '2')></p>");
            expect(await curl(["-d", "x=1&y=2", `http://127.0.0.1:${port}/`])).toBe("<h1>It Works!</h1><h2>Post params</h2><p>x=1&y=2</p>");
          }

          const body = "k=v";
          const { text } = await raw(port, [`POST /?a=1 HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`]);
          expect(responses(text)[0]!.body).toBe("<h1>It Works!</h1><h2>Get params</h2><p><MultiDict('a': '1')></p><h2>Post params</h2><p>k=v</p>");
        },
      );
    });
  }
});

// -- Connections -----------------------------------------------------------------------------

/** Answers with the method, path and body it got, after `delay` seconds for paths with ?slow. */
class EchoHandler extends aiohttp.ServerHttpProtocol {
  override async handleRequest(message: Message, payload: Payload) {
    const body = await payload.read();
    if (message.path.includes("slow")) await asyncio.sleep(0.05);
    const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
    const text = `${message.method} ${message.path} ${body.toString()}`;
    response.addHeader("Content-Length", String(Buffer.byteLength(text)));
    response.sendHeaders();
    response.write(text);
    await response.writeEof();
  }
}

describe("Connections", () => {
  it("keeps an HTTP/1.1 connection alive: requests one after another on one socket", async () => {
    await withServer(
      () => new EchoHandler(),
      async (port) => {
        const { text, closed } = await raw(port, ["GET /one HTTP/1.1\r\nHost: x\r\n\r\n", "GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], { gapMs: 50 });
        expect(closed).toBe(true);
        const rs = responses(text);
        expect(rs.map((r) => r.body)).toEqual(["GET /one ", "GET /two "]);
        expect(rs[0]!.head).not.toContain("Connection:");
        expect(rs[1]!.head).toContain("Connection: close");
      },
    );
  });

  it("answers pipelined requests (two in one write) in order, the first slower than the second", async () => {
    await withServer(
      () => new EchoHandler(),
      async (port) => {
        const two = "GET /first?slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
        const { text, closed } = await raw(port, [two]);
        expect(closed).toBe(true);
        expect(responses(text).map((r) => r.body)).toEqual(["GET /first?slow ", "POST /second abc"]);
      },
    );
  });

  it("answers 100 pipelined requests sent at once, in order (reading pauses while they queue)", async () => {
    await withServer(
      () => new EchoHandler(),
      async (port) => {
        const many = Array.from({ length: 100 }, (_, i) => `GET /${i}${i % 10 === 0 ? "?slow" : ""} HTTP/1.1\r\nHost: x\r\n${i === 99 ? "Connection: close\r\n" : ""}\r\n`).join(
          "",
        );
        const { text, closed } = await raw(port, [many], { timeoutMs: 10_000 });
        expect(closed).toBe(true);
        expect(responses(text).map((r) => r.body)).toEqual(Array.from({ length: 100 }, (_, i) => `GET /${i}${i % 10 === 0 ? "?slow" : ""} `));
      },
    );
  });

  it("answers an Upgrade or CONNECT request through handleRequest, then closes (nothing after it is HTTP)", async () => {
    await withServer(
      () => new EchoHandler(),
      async (port) => {
        for (const head of [
          "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
          "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        ]) {
          const { text, closed } = await raw(port, [head + "\x16\x03\x01 not http"]);
          expect(closed).toBe(true);
          expect(responses(text)).toHaveLength(1);
          expect(responses(text)[0]!.status).toBe(200);
        }
      },
    );
  });

  it("closes an HTTP/1.0 connection after the response, and keeps one that asks for keep-alive", async () => {
    await withServer(
      () => new EchoHandler(),
      async (port) => {
        const plain = await raw(port, ["GET /a HTTP/1.0\r\n\r\n"]);
        expect(plain.closed).toBe(true);
        expect(plain.text).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
        expect(plain.text).toContain("\r\nConnection: close\r\n");

        const kept = await raw(port, ["GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"], { timeoutMs: 300 });
        expect(kept.closed).toBe(false);
        expect(kept.text).toContain("\r\nConnection: keep-alive\r\n");
        expect(responses(kept.text)[0]!.body).toBe("GET /a ");
      },
    );
  });

  it("closes a kept-alive connection that stays idle for keepAlive seconds", async () => {
    await withServer(
      () => new EchoHandler({ keepAlive: 0.2 }),
      async (port) => {
        const t0 = Date.now();
        const { text, closed } = await raw(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"], { timeoutMs: 3000 });
        expect(closed).toBe(true);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
        expect(responses(text)[0]!.status).toBe(200);
      },
    );
  });

  it("with keepAlive: 0, says Connection: close and closes after each response", async () => {
    await withServer(
      () => new EchoHandler({ keepAlive: 0 }),
      async (port) => {
        const { text, closed } = await raw(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"], { timeoutMs: 3000 });
        expect(closed).toBe(true);
        expect(text).toContain("\r\nConnection: close\r\n");
      },
    );
  });

  it("sends no body to a HEAD request, and the connection goes on", async () => {
    await withServer(
      () => new BasicHandlerGen(),
      async (port) => {
        const { text } = await raw(port, ["HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
        const [head, get] = text.split("HTTP/1.1 200 OK").slice(1);
        expect(head).toContain("Content-Length: 18\r\n");
        expect(head!.endsWith("\r\n\r\n")).toBe(true);
        expect(get!.endsWith("<h1>It Works!</h1>")).toBe(true);
      },
    );
  });

  it("answers the requests after a handler that did not read the body (the rest of it is skipped)", async () => {
    class Ignoring extends aiohttp.ServerHttpProtocol {
      override *handleRequest(message: Message) {
        const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
        response.addHeader("Content-Length", String(message.path.length));
        response.write(message.path);
        yield* response.writeEof();
      }
    }
    await withServer(
      () => new Ignoring({ limit: 1024 }),
      async (port) => {
        const big = "x".repeat(300_000);
        const { text } = await raw(port, [
          `POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${big.length}\r\n\r\n`,
          big,
          "GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ]);
        expect(responses(text).map((r) => r.body)).toEqual(["/big", "/next"]);
      },
    );
  });
});

// -- Bodies ----------------------------------------------------------------------------------

describe("Bodies", () => {
  it("decodes a chunked request body, from a raw socket and from fetch's streamed body", async () => {
    await withServer(
      () => new EchoHandler(),
      async (port) => {
        const { text } = await raw(port, ["POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", "5\r\nhello\r\n", "6\r\n world\r\n0\r\n\r\n"], {
          gapMs: 20,
        });
        expect(responses(text)[0]!.body).toBe("POST /c hello world");

        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(Buffer.from("streamed "));
            controller.enqueue(Buffer.from("body"));
            controller.close();
          },
        });
        const res = await fetch(`http://127.0.0.1:${port}/s`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
        expect(await res.text()).toBe("POST /s streamed body");
      },
    );
  });

  it("sends a response without Content-Length as chunks, which fetch and curl reassemble", async () => {
    class Chunked extends aiohttp.ServerHttpProtocol {
      override async handleRequest(message: Message) {
        const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
        response.addHeader("Content-Type", "text/plain");
        response.sendHeaders();
        response.write("first,");
        await asyncio.sleep(0.01);
        response.write(Buffer.from("second,"));
        response.write("é");
        await response.writeEof();
      }
    }
    await withServer(
      () => new Chunked(),
      async (port) => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        expect(res.headers.get("transfer-encoding")).toBe("chunked");
        expect(await res.text()).toBe("first,second,é");
        if (hasCurl) expect(Buffer.from(await curl([`http://127.0.0.1:${port}/`]), "latin1").toString()).toBe("first,second,é");
        const { text } = await raw(port, ["GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
        expect(text.slice(text.indexOf("\r\n\r\n") + 4)).toBe("6\r\nfirst,\r\n7\r\nsecond,\r\n2\r\n\xc3\xa9\r\n0\r\n\r\n");
        // HTTP/1.0 has no chunks: the body ends where the connection does.
        const old = await raw(port, ["GET / HTTP/1.0\r\n\r\n"]);
        expect(old.closed).toBe(true);
        expect(old.text).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
        expect(old.text).not.toContain("Transfer-Encoding");
        expect(old.text.slice(old.text.indexOf("\r\n\r\n") + 4)).toBe("first,second,\xc3\xa9");
      },
    );
  });

  it("streams a 10 MB upload through payload in chunks, the buffer staying small", async () => {
    let maxBuffered = 0;
    class Upload extends aiohttp.ServerHttpProtocol {
      override async handleRequest(message: Message, payload: Payload) {
        let total = 0;
        const hash = createHash("sha256");
        for (;;) {
          maxBuffered = Math.max(maxBuffered, payload.bufferedLength);
          const chunk = await payload.read(65536);
          if (chunk.length === 0) break;
          total += chunk.length;
          hash.update(chunk);
          await asyncio.sleep(0); // a slow consumer: the body must wait for it, not pile up
        }
        const text = `${total} ${hash.digest("hex")}`;
        const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
        response.addHeader("Content-Length", String(text.length));
        response.write(text);
        await response.writeEof();
      }
    }
    const body = randomBytes(10 * 1024 * 1024);
    const expected = createHash("sha256").update(body).digest("hex");
    await withServer(
      () => new Upload(),
      async (port) => {
        const res = await fetch(`http://127.0.0.1:${port}/upload`, { method: "POST", body });
        expect(await res.text()).toBe(`${body.length} ${expected}`);
      },
    );
    // The reader's limit is 64 KiB: reading pauses past twice that, plus what one socket read brings.
    expect(maxBuffered).toBeLessThan(1024 * 1024);
  });

  it("answers Expect: 100-continue with 100 Continue before the body is sent", async () => {
    await withServer(
      () => new EchoHandler(),
      async (port) => {
        const text = await new Promise<string>((resolve, reject) => {
          const sock = net.connect(port, "127.0.0.1");
          let got = "";
          sock.on("error", reject);
          sock.on("data", (d) => {
            got += d.toString("latin1");
            if (got === "HTTP/1.1 100 Continue\r\n\r\n") sock.write("abcd");
          });
          sock.on("close", () => resolve(got));
          sock.write("PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n");
        });
        expect(text.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")).toBe(true);
        expect(text.endsWith("PUT /e abcd")).toBe(true);
        if (hasCurl) {
          // curl sends Expect: 100-continue for a large body and waits a second for the 100.
          const t0 = Date.now();
          const out = await curl(["-X", "PUT", `http://127.0.0.1:${port}/curl`, "-H", "Expect: 100-continue", "-d", "x".repeat(2000)]);
          expect(out.startsWith("PUT /curl ")).toBe(true);
          expect(Date.now() - t0).toBeLessThan(900);
        }
      },
    );
  });
});

// -- Bad input -------------------------------------------------------------------------------

describe("Bad input never crashes the server", () => {
  it("answers a malformed request line with 400 and closes; the server goes on serving", async () => {
    await withServer(
      () => new BasicHandlerGen(),
      async (port) => {
        for (const bad of ["GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /\x00 HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n"]) {
          const { text, closed } = await raw(port, [bad]);
          expect(closed).toBe(true);
          expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
          expect(text).toContain("Connection: close");
        }
        expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("<h1>It Works!</h1>");
      },
    );
  });

  it("answers headers larger than the limit with 431 (raw socket and curl)", async () => {
    await withServer(
      () => new BasicHandlerGen(),
      async (port) => {
        const { text, closed } = await raw(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`]);
        expect(closed).toBe(true);
        expect(text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
        if (hasCurl) expect(await curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", `X-Big: ${"a".repeat(20_000)}`, `http://127.0.0.1:${port}/`])).toBe("431");
      },
    );
    await withServer(
      () => new BasicHandlerGen({ maxHeaderSize: 100 }),
      async (port) => {
        const { text } = await raw(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(200)}\r\n\r\n`]);
        expect(text).toMatch(/^HTTP\/1\.1 431 /);
      },
    );
  });

  it("answers the request, then 400, when the body is longer than its Content-Length, and closes", async () => {
    await withServer(
      () => new EchoHandler(),
      async (port) => {
        const { text, closed } = await raw(port, ["POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloEXTRA BYTES\r\n\r\n"]);
        expect(closed).toBe(true);
        const rs = responses(text);
        expect(rs.map((r) => r.status)).toEqual([200, 400]);
        expect(rs[0]!.body).toBe("POST /p hello");
      },
    );
  });

  it("answers a bad chunked body with 400, and the handler's payload fails", async () => {
    const seen: unknown[] = [];
    class Reader extends aiohttp.ServerHttpProtocol {
      override async handleRequest(_message: Message, payload: Payload) {
        try {
          await payload.read();
        } catch (e) {
          seen.push(e);
          throw e;
        }
      }
    }
    const log = captureLog();
    await withServer(
      () => new Reader(),
      async (port) => {
        const { text, closed } = await raw(port, ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "zz\r\n"], { gapMs: 20 });
        expect(closed).toBe(true);
        expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(aiohttp.HttpParseError);
    expect((seen[0] as aiohttp.HttpParseError).code).toBe("HPE_INVALID_CHUNK_SIZE");
    // The client's mistake, not the server's: nothing logged as an error.
    expect(log.filter((r) => r.levelName === "ERROR")).toEqual([]);
  });

  it("survives a client that disconnects mid-body: the payload fails, the handler ends, nothing is left", async () => {
    const outcome: string[] = [];
    class Reader extends aiohttp.ServerHttpProtocol {
      override async handleRequest(message: Message, payload: Payload) {
        try {
          await payload.read();
        } catch (e) {
          outcome.push(`${(e as Error).name}: ${(e as Error).message}`);
          throw e;
        }
        const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
        response.addHeader("Content-Length", "2");
        response.write("ok");
        await response.writeEof();
      }
    }
    const log = captureLog();
    await withServer(
      () => new Reader(),
      async (port) => {
        // Half-closed (EOF) in the middle of the body, then fully closed.
        await raw(port, ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part"], { end: true, timeoutMs: 2000 });
        // Reset in the middle of the body.
        await new Promise<void>((resolve) => {
          const sock = net.connect(port, "127.0.0.1", () => {
            sock.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part", () => setTimeout(() => sock.resetAndDestroy(), 30));
          });
          sock.on("close", () => resolve());
          sock.on("error", () => {});
        });
        for (let i = 0; i < 50 && outcome.length < 2; i++) await asyncio.sleep(0.01);
        expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
      },
    );
    expect(outcome).toHaveLength(2);
    for (const o of outcome) expect(o).toMatch(/^(ConnectionResetError|CancelledError)/);
    expect(log.filter((r) => r.levelName === "ERROR")).toEqual([]);
  });

  it("answers a slow client whose headers do not complete within headersTimeout with 408, and closes", async () => {
    await withServer(
      () => new BasicHandlerGen({ headersTimeout: 0.3 }),
      async (port) => {
        const request = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + "y".repeat(100) + "\r\n\r\n";
        const t0 = Date.now();
        const { text, closed } = await raw(
          port,
          [...request].map((c) => c),
          { gapMs: 10, timeoutMs: 5000 },
        );
        expect(closed).toBe(true);
        expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
        expect(Date.now() - t0).toBeLessThan(2000);
        // A client that sends its headers in pieces, but in time, is served.
        const ok = await raw(port, ["GET / HTTP/1.1\r\n", "Host: x\r\n", "Connection: close\r\n\r\n"], { gapMs: 50 });
        expect(responses(ok.text)[0]!.body).toBe("<h1>It Works!</h1>");
      },
    );
  });

  it("answers a handler that throws with 500, logged to the asyncio logger with its traceback", async () => {
    class Failing extends aiohttp.ServerHttpProtocol {
      override *handleRequest(message: Message) {
        yield* asyncio.sleep(0);
        if (message.path === "/boom") throw new Error("handler exploded");
        const response = new aiohttp.Response(this.writer, 200);
        response.write("fine");
        yield* response.writeEof();
      }
    }
    const log = captureLog();
    for (const debug of [false, true]) {
      log.length = 0;
      await withServer(
        () => new Failing({ debug }),
        async (port) => {
          const res = await fetch(`http://127.0.0.1:${port}/boom`);
          expect(res.status).toBe(500);
          const page = await res.text();
          expect(page).toContain("<h1>500 Internal Server Error</h1>");
          if (debug) expect(page).toContain("Error: handler exploded\n    at ");
          else expect(page).not.toContain("exploded");
          expect(await (await fetch(`http://127.0.0.1:${port}/fine`)).text()).toBe("fine");
        },
      );
      const errors = log.filter((r) => r.levelName === "ERROR");
      expect(errors.map((r) => r.message)).toEqual(["Error handling request GET /boom"]);
      expect((errors[0]!.exception as Error).stack).toContain("handler exploded\n    at ");
      expect(asyncio.formatRecord(errors[0]!)).toContain("ERROR:asyncio:Error handling request GET /boom\nError: handler exploded\n    at ");
    }
  });

  it("drops the connection of a handler that throws after sending its headers (the response cannot be finished)", async () => {
    class HalfDone extends aiohttp.ServerHttpProtocol {
      override *handleRequest(message: Message) {
        const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
        response.sendHeaders();
        response.write("partial");
        yield* asyncio.sleep(0.01);
        throw new Error("too late");
      }
    }
    captureLog();
    await withServer(
      () => new HalfDone(),
      async (port) => {
        const { text, closed } = await raw(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]);
        expect(closed).toBe(true);
        expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
        expect(text).toContain("7\r\npartial\r\n");
        expect(text).not.toContain("0\r\n\r\n");
      },
    );
  });
});

describe("asyncio-ts/http, the server's part", () => {
  it("exports the server's names (the client adds its own)", () => {
    const names = Object.keys(aiohttp);
    for (const name of ["CIMultiDict", "HttpParseError", "MultiDict", "RawRequestMessage", "Response", "ServerHttpProtocol"]) expect(names).toContain(name);
  });
});

describe("The protocol's hooks", () => {
  it("answers 404 by default, and takes a plain (not coroutine) handleRequest", async () => {
    await withServer(
      () => new aiohttp.ServerHttpProtocol(),
      async (port) => {
        const res = await fetch(`http://127.0.0.1:${port}/nothing`);
        expect(res.status).toBe(404);
        expect(await res.text()).toContain("<h1>404 Not Found</h1>");
      },
    );
    class Plain extends aiohttp.ServerHttpProtocol {
      override handleRequest(message: Message) {
        const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
        response.addHeader("Content-Length", "5");
        response.write("plain");
        void response.writeEof();
      }
    }
    await withServer(
      () => new Plain(),
      async (port) => {
        expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("plain");
      },
    );
  });

  it("shutdown() closes an idle connection at once, and a busy one after its response, which says Connection: close", async () => {
    const protocols: EchoHandler[] = [];
    await withServer(
      () => {
        const p = new EchoHandler();
        protocols.push(p);
        return p;
      },
      async (port) => {
        const idle = raw(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"], { timeoutMs: 3000 });
        const busy = raw(port, ["GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"], { timeoutMs: 3000 });
        for (let i = 0; i < 100 && protocols.length < 2; i++) await asyncio.sleep(0.005);
        await asyncio.sleep(0.02); // the first is answered and idle, the second still sleeping
        await asyncio.gather(...protocols.map((p) => p.shutdown()));
        const [a, b] = [await idle, await busy];
        expect([a.closed, b.closed]).toEqual([true, true]);
        expect(responses(a.text)[0]!.head).not.toContain("Connection: close");
        expect(responses(b.text)[0]!.head).toContain("Connection: close");
        expect(responses(b.text)[0]!.body).toBe("GET /slow ");
      },
    );
  });
});

describe("Response", () => {
  it("checks what it sends: header names and values (no injection), a body past its Content-Length, writes after writeEof", async () => {
    const errors: string[] = [];
    class Checks extends aiohttp.ServerHttpProtocol {
      override *handleRequest(message: Message) {
        for (const [name, value] of [
          ["Bad Name", "x"],
          ["X", "a\r\nInjected: 1"],
          ["Content-Length", "-1"],
        ] as const) {
          const rejected = new aiohttp.Response(this.writer, 500);
          rejected.addHeader(name, value);
          try {
            rejected.sendHeaders();
          } catch (e) {
            errors.push(`${(e as Error).name} ${(e as { code?: string }).code ?? ""}`);
          }
        }
        const response = new aiohttp.Response(this.writer, 201, { httpVersion: message.version });
        response.addHeader("Content-Length", 2);
        response.sendHeaders();
        try {
          response.addHeader("X", "late");
        } catch (e) {
          errors.push((e as Error).message);
        }
        try {
          response.write("abc");
        } catch (e) {
          errors.push((e as Error).message);
        }
        response.write("ab");
        yield* response.writeEof();
        try {
          response.write("x");
        } catch (e) {
          errors.push((e as Error).message);
        }
        errors.push(String(response));
      }
    }
    await withServer(
      () => new Checks(),
      async (port) => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        expect(res.status).toBe(201);
        expect(await res.text()).toBe("ab");
      },
    );
    expect(errors).toEqual([
      "TypeError ERR_INVALID_HTTP_TOKEN",
      "TypeError ERR_INVALID_CHAR",
      "TypeError ",
      "Cannot add a header after the headers were sent",
      "Response body longer than its Content-Length (2 bytes)",
      "Cannot write() after writeEof()",
      "<Response 201 Created finished>",
    ]);
  });

  it("pauses a large write (flow control) and writeEof() waits for the buffer to drain", async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
    let paused = false;
    class Big extends aiohttp.ServerHttpProtocol {
      override async handleRequest(message: Message) {
        const response = new aiohttp.Response(this.writer, 200, { httpVersion: message.version });
        response.addHeader("Content-Length", String(big.length));
        response.write(big);
        paused = this._writePaused;
        await response.writeEof();
      }
    }
    await withServer(
      () => new Big(),
      async (port) => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        expect((await res.arrayBuffer()).byteLength).toBe(big.length);
      },
    );
    expect(paused).toBe(true);
  });
});
