// The HTTP client (src/asyncio/http/client.ts): the class's aiohttp curl slide in both coroutine
// styles, reading bodies, redirects, sessions that keep connections alive, each error, timeouts,
// flow control and cancellation. Servers are plain node:http on 127.0.0.1 port 0, so what the
// server saw (connections, open sockets) is checked too.
import * as http from "node:http";
import * as https from "node:https";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { constants as osConstants } from "node:os";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../../src/asyncio/index.js";
import * as aiohttp from "../../../src/asyncio/http/index.js";
import { newLoop, onCleanup, onNewLoop, runMain } from "../../helpers.js";

interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Sockets still open. */
  readonly open: Set<Socket>;
  /** Requests received so far (method and path). */
  readonly requests: string[];
}

/** A node:http (or node:https) server on 127.0.0.1 port 0, closed (with its connections) after the test. */
async function serve(handler: http.RequestListener, tls?: https.ServerOptions): Promise<TestServer> {
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
  onCleanup(() => {
    server.closeAllConnections();
    server.close();
  });
  const open = new Set<Socket>();
  const requests: string[] = [];
  const s = { url: "", port: 0, connections: 0, open, requests };
  server.on("connection", (sock: Socket) => {
    s.connections++;
    open.add(sock);
    sock.on("close", () => open.delete(sock));
  });
  server.on("request", (req: http.IncomingMessage) => requests.push(`${req.method} ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  s.port = (server.address() as AddressInfo).port;
  s.url = `${tls === undefined ? "http" : "https"}://127.0.0.1:${s.port}/`;
  return s;
}

const IT_WORKS = "<h1>It Works!</h1>";

function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Writes `total` bytes of `x` in 64 KiB pieces, as fast as the client takes them; counts what was written. */
function download(res: http.ServerResponse, total: number, progress: { written: number }): void {
  res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(total) });
  const piece = Buffer.alloc(65536, "x");
  const pump = (): void => {
    while (progress.written < total) {
      const n = Math.min(piece.length, total - progress.written);
      progress.written += n;
      if (!res.write(n === piece.length ? piece : piece.subarray(0, n))) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/** The routes the tests use. */
const routes: http.RequestListener = (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const path = url.pathname;
  if (path === "/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=UTF-8", "Content-Length": String(IT_WORKS.length) });
    res.end(IT_WORKS);
  } else if (path === "/latin1") {
    res.writeHead(200, { "Content-Type": "text/plain; charset=latin1" });
    res.end(Buffer.from("café", "latin1"));
  } else if (path === "/json") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ hello: "world" }));
  } else if (path === "/lines") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.write("one\ntwo\n");
    setTimeout(() => res.end("three\nfour"), 10);
  } else if (path === "/echo") {
    void readAll(req).then((body) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString() }));
    });
  } else if (path.startsWith("/redirect/")) {
    const n = Number(path.slice("/redirect/".length));
    if (n === 0) res.end("done");
    else res.writeHead(302, { Location: `/redirect/${n - 1}` }).end("moving on");
  } else if (path === "/loop") {
    res.writeHead(302, { Location: "/loop" }).end();
  } else if (path === "/see-other") {
    void readAll(req).then(() => res.writeHead(303, { Location: "/echo" }).end());
  } else if (path === "/temporary") {
    void readAll(req).then(() => res.writeHead(307, { Location: "/echo" }).end());
  } else if (path === "/elsewhere") {
    res.writeHead(302, { Location: url.searchParams.get("to") ?? "/" }).end();
  } else if (path === "/status/404") {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("nope");
  } else if (path === "/hang") {
    // Never answers.
  } else if (path === "/stall-body") {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "100" });
    res.write("partial");
  } else if (path === "/cut") {
    res.writeHead(200, { "Content-Length": "100" });
    res.write("0123456789", () => res.socket?.destroy());
  } else if (path === "/disconnect") {
    req.socket.destroy();
  } else {
    res.writeHead(500).end();
  }
};

/** The error `aw` fails with. */
async function caught(aw: PromiseLike<unknown>): Promise<Error> {
  try {
    await aw;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

/** Lets the loop run (in real time: these tests wait for sockets) until `pred()` holds. */
async function eventually(pred: () => boolean, seconds = 5): Promise<void> {
  const loop = asyncio.getRunningLoop();
  const end = loop.time() + seconds;
  while (!pred() && loop.time() < end) await asyncio.sleep(0.005);
  expect(pred()).toBe(true);
}

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe("The class's aiohttp client slide (curl)", () => {
  it("runs line for line as a generator coroutine with yield*, driven by loop.runUntilComplete", async () => {
    const srv = await serve(routes);
    const printed: string[] = [];
    const print = (s: string): number => printed.push(s);

    function* curl(url: string): asyncio.GeneratorCoroutine<void> {
      const response = yield* aiohttp.request("GET", url);
      print(String(response)); // print(repr(response))

      const chunk = yield* response.content.read();
      print(`Downloaded: ${chunk.length}`);

      response.close();
    }

    newLoop();
    const loop = asyncio.getEventLoop();
    await loop.runUntilComplete(curl(srv.url));
    loop.close();

    const [repr, downloaded] = printed;
    expect(repr?.split("\n")[0]).toBe(`<ClientResponse(${srv.url}) [200 OK]>`);
    expect(repr?.split("\n")[1]).toMatch(/^<CIMultiDict\('Content-Type': 'text\/html; charset=UTF-8', 'Content-Length': '18', 'Date': '[^']+', 'Connection': 'close'\)>$/);
    expect(downloaded).toBe("Downloaded: 18");
  });

  it("runs as an async function, and its connection is closed once the response is read", async () => {
    const srv = await serve(routes);
    const printed: string[] = [];
    async function curl(url: string): Promise<void> {
      const response = await aiohttp.request("GET", url);
      printed.push(String(response).split("\n")[0] as string);
      const chunk = await response.content.read();
      printed.push(`Downloaded: ${chunk.length}`);
      response.close();
      await eventually(() => srv.open.size === 0);
    }
    await runMain(curl(srv.url));
    expect(printed).toEqual([`<ClientResponse(${srv.url}) [200 OK]>`, "Downloaded: 18"]);
  });

  it("is lazy, as a coroutine: nothing is sent until it is awaited", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const coro = aiohttp.request("GET", srv.url);
      await asyncio.sleep(0.05);
      expect(srv.connections).toBe(0);
      const response = await coro;
      expect(response.status).toBe(200);
      await response.read();
    });
  });
});

describe("ClientResponse", () => {
  it("has the status line, the headers (any case) and the final URL", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const response = await aiohttp.request("GET", srv.url);
      expect([response.status, response.reason, response.version, response.method, response.ok]).toEqual([200, "OK", "1.1", "GET", true]);
      expect(response.url.href).toBe(srv.url);
      expect(response.headers.get("content-type")).toBe("text/html; charset=UTF-8");
      expect(response.headers.get("CONTENT-LENGTH")).toBe("18");
      expect([response.contentType, response.charset, response.contentLength]).toEqual(["text/html", "utf-8", 18]);
      expect(response.content).toBeInstanceOf(asyncio.StreamReader);
      expect(await response.text()).toBe(IT_WORKS);
      expect(await response.read()).toEqual(Buffer.from(IT_WORKS)); // kept for later calls
    });
  });

  it("text() decodes with the Content-Type's charset, json() parses JSON", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      expect(await (await aiohttp.request("GET", srv.url + "latin1")).text()).toBe("café");
      expect(await (await aiohttp.request("GET", srv.url + "json")).json()).toEqual({ hello: "world" });
    });
  });

  it("json() of a body that is not JSON by its Content-Type throws ContentTypeError, unless told any type will do", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const err = await caught((await aiohttp.request("GET", srv.url)).json());
      expect(err).toBeInstanceOf(aiohttp.ContentTypeError);
      expect(err).toBeInstanceOf(aiohttp.ClientResponseError);
      expect((err as aiohttp.ContentTypeError).code).toBe("ERR_ASYNCIO_HTTP_CONTENT_TYPE");
      expect(err.message).toBe(`200, message='Attempt to decode JSON with unexpected mimetype: text/html', url='${srv.url}'`);
      const echo = await aiohttp.request("POST", srv.url + "echo", { body: "[1, 2]" });
      expect(((await echo.json({ contentType: null })) as { body: string }).body).toBe("[1, 2]");
    });
  });

  it("content reads lines, exact sizes and chunks as a StreamReader, in both coroutine styles", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const response = await aiohttp.request("GET", srv.url + "lines");
      expect((await response.content.readline()).toString()).toBe("one\n");
      expect((await response.content.readExactly(4)).toString()).toBe("two\n");
      const lines: string[] = [];
      for await (const line of response.content) lines.push(line.toString());
      expect(lines).toEqual(["three\n", "four"]);
      expect(response.content.atEof()).toBe(true);
    });
    await runMain(function* generatorStyle(): asyncio.GeneratorCoroutine<void> {
      const response = yield* aiohttp.request("GET", srv.url + "lines");
      expect((yield* response.content.readline()).toString()).toBe("one\n");
      expect((yield* response.content.readExactly(4)).toString()).toBe("two\n");
      expect((yield* response.content.readUntil("\n")).toString()).toBe("three\n");
      const err = yield* (function* () {
        try {
          yield* response.content.readExactly(10);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(asyncio.IncompleteReadError);
      expect((err as asyncio.IncompleteReadError).partial.toString()).toBe("four");
    });
  });

  it("content iterates in chunks: iterChunked(n) at most n bytes each, iterAny() as they come", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const chunks: string[] = [];
      for await (const c of (await aiohttp.request("GET", srv.url)).content.iterChunked(5)) chunks.push(c.toString());
      expect(chunks).toEqual(["<h1>I", "t Wor", "ks!</", "h1>"]);
      let all = "";
      for await (const c of (await aiohttp.request("GET", srv.url + "lines")).content.iterAny()) all += c.toString();
      expect(all).toBe("one\ntwo\nthree\nfour");
    });
  });

  it("downloads 10 MB through content in chunks, never buffering more than twice its limit and a chunk", async () => {
    const TOTAL = 10 * 1024 * 1024;
    const progress = { written: 0 };
    const srv = await serve((_req, res) => download(res, TOTAL, progress));
    await onNewLoop(async () => {
      const response = await aiohttp.request("GET", srv.url);
      let received = 0;
      let maxBuffered = 0;
      let slow = 0;
      for await (const chunk of response.content.iterChunked(32768)) {
        received += chunk.length;
        maxBuffered = Math.max(maxBuffered, response.content.bufferedLength);
        // A slow reader now and then: the connection must wait for it.
        if (++slow % 64 === 0) await asyncio.sleep(0.001);
      }
      expect(received).toBe(TOTAL);
      expect(maxBuffered).toBeLessThanOrEqual(2 * asyncio.DEFAULT_LIMIT + 65536);
    });
  });

  it("flow control: while nobody reads the body, the server cannot send it all (the connection stops reading)", async () => {
    const TOTAL = 32 * 1024 * 1024;
    const progress = { written: 0 };
    const srv = await serve((_req, res) => download(res, TOTAL, progress));
    await onNewLoop(async () => {
      const response = await aiohttp.request("GET", srv.url);
      await asyncio.sleep(0.3);
      // What the kernel's socket buffers hold, and no more: far from the whole body.
      expect(progress.written).toBeLessThan(TOTAL / 2);
      expect(response.content.bufferedLength).toBeLessThanOrEqual(2 * asyncio.DEFAULT_LIMIT + 65536);
      let received = 0;
      for (;;) {
        const chunk = await response.content.read(1 << 20);
        if (chunk.length === 0) break;
        received += chunk.length;
      }
      expect(received).toBe(TOTAL);
    });
  });

  it("stops reading while its loop is stopped, and goes on when the loop runs again", async () => {
    const TOTAL = 32 * 1024 * 1024;
    const progress = { written: 0 };
    const srv = await serve((_req, res) => download(res, TOTAL, progress));
    const loop = newLoop();
    try {
      const response = await loop.runUntilComplete(aiohttp.request("GET", srv.url));
      await new Promise((resolve) => setTimeout(resolve, 300)); // the loop is not running
      expect(progress.written).toBeLessThan(TOTAL / 2);
      const body = await loop.runUntilComplete(response.read());
      expect(body.length).toBe(TOTAL);
    } finally {
      loop.close();
    }
  });

  it("a 404 is a response, not an error; raiseForStatus() makes it one", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const response = await aiohttp.request("GET", srv.url + "status/404");
      expect([response.status, response.reason, response.ok]).toEqual([404, "Not Found", false]);
      expect(await response.text()).toBe("nope");
      const err = caughtSync(() => response.raiseForStatus());
      expect(err).toBeInstanceOf(aiohttp.ClientResponseError);
      expect(err).toBeInstanceOf(aiohttp.ClientError);
      expect(err.message).toBe(`404, message='Not Found', url='${srv.url}status/404'`);
      expect((err as aiohttp.ClientResponseError).status).toBe(404);
      const thrown = await caught(aiohttp.request("GET", srv.url + "status/404", { raiseForStatus: true }));
      expect((thrown as aiohttp.ClientResponseError).code).toBe("ERR_ASYNCIO_HTTP_RESPONSE");
    });
  });

  it("await using releases the response at the end of the block (async with), dropping a body not read", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      {
        await using response = await aiohttp.request("GET", srv.url + "stall-body");
        expect(response.status).toBe(200);
      }
      await eventually(() => srv.open.size === 0);
    });
  });
});

function caughtSync(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("Requests", () => {
  it("send headers, query parameters and bodies: JSON, text, form fields, streamed chunks", async () => {
    const srv = await serve(routes);
    type Echo = { method: string; url: string; headers: Record<string, string>; body: string };
    await onNewLoop(async () => {
      const echo = async (method: string, options: aiohttp.RequestOptions): Promise<Echo> => (await (await aiohttp.request(method, srv.url + "echo", options)).json()) as Echo;

      const j = await echo("POST", { json: { a: 1 }, headers: { "X-Test": "yes" }, params: { q: "x y", n: 2 } });
      expect([j.method, j.url, j.body]).toEqual(["POST", "/echo?q=x+y&n=2", '{"a":1}']);
      expect(j.headers["content-type"]).toBe("application/json");
      expect(j.headers["x-test"]).toBe("yes");
      expect(j.headers["user-agent"]).toMatch(/^asyncio-ts/);

      const t = await echo("PUT", { body: "héllo" });
      expect([t.method, t.body, t.headers["content-length"]]).toEqual(["PUT", "héllo", "6"]);

      const f = await echo("POST", {
        body: new URLSearchParams([
          ["a", "1"],
          ["a", "2"],
        ]),
      });
      expect([f.body, f.headers["content-type"]]).toEqual(["a=1&a=2", "application/x-www-form-urlencoded"]);

      async function* chunks(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 16; i++) {
          await asyncio.sleep(0);
          yield Buffer.alloc(65536, "a");
        }
      }
      const s = await echo("POST", { body: chunks() });
      expect([s.body.length, s.headers["transfer-encoding"]]).toEqual([16 * 65536, "chunked"]);
    });
  });

  it("follow redirects, keeping the connection, with the history of the redirects", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      await using session = new aiohttp.ClientSession();
      const response = await session.get(srv.url + "redirect/3");
      expect([response.status, await response.text()]).toEqual([200, "done"]);
      expect(response.url.href).toBe(srv.url + "redirect/0");
      expect(response.history.map((r) => [r.status, r.url.pathname])).toEqual([
        [302, "/redirect/3"],
        [302, "/redirect/2"],
        [302, "/redirect/1"],
      ]);
      expect(srv.connections).toBe(1);
    });
  });

  it("a redirect after POST: 303 becomes a GET without the body, 307 repeats the POST", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const seeOther = (await (await aiohttp.request("POST", srv.url + "see-other", { body: "data" })).json()) as { method: string; body: string };
      expect([seeOther.method, seeOther.body]).toEqual(["GET", ""]);
      const temporary = (await (await aiohttp.request("POST", srv.url + "temporary", { body: "data" })).json()) as { method: string; body: string };
      expect([temporary.method, temporary.body]).toEqual(["POST", "data"]);
    });
  });

  it("stop at maxRedirects with TooManyRedirects, and follow none with allowRedirects: false", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const err = await caught(aiohttp.request("GET", srv.url + "loop", { maxRedirects: 3 }));
      expect(err).toBeInstanceOf(aiohttp.TooManyRedirects);
      expect((err as aiohttp.TooManyRedirects).code).toBe("ERR_ASYNCIO_HTTP_TOO_MANY_REDIRECTS");
      expect((err as aiohttp.TooManyRedirects).history).toHaveLength(4);
      const response = await aiohttp.request("GET", srv.url + "redirect/1", { allowRedirects: false });
      expect([response.status, response.headers.get("location")]).toEqual([302, "/redirect/0"]);
      response.close();
      await eventually(() => srv.open.size === 0);
    });
  });

  it("do not carry Authorization to another origin on a redirect", async () => {
    const srv = await serve(routes);
    const other = await serve(routes);
    await onNewLoop(async () => {
      const headers = { Authorization: "Bearer secret" };
      const same = (await (await aiohttp.request("GET", `${srv.url}elsewhere?to=/echo`, { headers })).json()) as { headers: Record<string, string> };
      expect(same.headers.authorization).toBe("Bearer secret");
      const cross = (await (await aiohttp.request("GET", `${srv.url}elsewhere?to=${other.url}echo`, { headers })).json()) as { headers: Record<string, string> };
      expect(cross.headers.authorization).toBeUndefined();
    });
  });

  it("reject a URL that is not http or https with InvalidURL", async () => {
    await onNewLoop(async () => {
      for (const url of ["ftp://example.com/", "not a url"]) {
        const err = await caught(aiohttp.request("GET", url));
        expect(err).toBeInstanceOf(aiohttp.InvalidURL);
        expect((err as aiohttp.InvalidURL).code).toBe("ERR_ASYNCIO_HTTP_INVALID_URL");
      }
    });
  });
});

describe("ClientSession", () => {
  it("sends ten sequential requests over one kept-alive connection", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const session = new aiohttp.ClientSession();
      for (let i = 0; i < 10; i++) {
        const response = await session.get(srv.url);
        expect(await response.text()).toBe(IT_WORKS);
      }
      expect(srv.requests).toHaveLength(10);
      expect(srv.connections).toBe(1);
      await session.close();
    });
  });

  it("close() closes every connection, idle or in use, and then refuses requests", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const session = new aiohttp.ClientSession();
      const stalled = await session.get(srv.url + "stall-body"); // a connection in use
      await (await session.get(srv.url)).read(); // and an idle kept-alive one
      expect(srv.open.size).toBe(2);
      await session.close();
      expect(session.closed).toBe(true);
      await eventually(() => srv.open.size === 0);
      expect(await caught(stalled.read())).toBeInstanceOf(aiohttp.ClientPayloadError);
      expect((await caught(session.get(srv.url))).message).toBe("Session is closed");
    });
  });

  it("as a generator coroutine: yield* its requests and its close()", async () => {
    const srv = await serve(routes);
    await runMain(function* main(): asyncio.GeneratorCoroutine<void> {
      const session = new aiohttp.ClientSession({ baseUrl: srv.url, headers: { "X-Session": "1" } });
      try {
        const response = yield* session.post("echo", { headers: { "x-session": "2" }, json: [1] });
        const echo = (yield* response.json()) as { headers: Record<string, string> };
        expect(echo.headers["x-session"]).toBe("2");
        expect(yield* (yield* session.get("json")).json()).toEqual({ hello: "world" });
      } finally {
        yield* session.close();
      }
      for (let i = 0; i < 100 && srv.open.size > 0; i++) yield* asyncio.sleep(0.01);
      expect(srv.open.size).toBe(0);
    });
  });

  it("limitPerHost bounds the connections to a host", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      await using session = new aiohttp.ClientSession({ limitPerHost: 2 });
      const texts = await asyncio.gather(...Array.from({ length: 6 }, async () => await (await session.get(srv.url + "lines")).text()));
      expect(texts).toEqual(Array(6).fill("one\ntwo\nthree\nfour"));
      expect(srv.connections).toBe(2);
    });
  });
});

describe("Errors", () => {
  it("a refused connection is ClientConnectorError: an OSError with Node's code ECONNREFUSED and Python's errno", async () => {
    const port = await closedPort();
    await onNewLoop(async () => {
      const err = await caught(aiohttp.request("GET", `http://127.0.0.1:${port}/`));
      expect(err).toBeInstanceOf(aiohttp.ClientConnectorError);
      expect(err).toBeInstanceOf(aiohttp.ClientOSError);
      expect(err).toBeInstanceOf(aiohttp.ClientConnectionError);
      expect(err).toBeInstanceOf(aiohttp.ClientError);
      expect(err).toBeInstanceOf(asyncio.OSError);
      const e = err as aiohttp.ClientConnectorError;
      expect([e.name, e.code, e.errno]).toEqual(["ClientConnectorError", "ECONNREFUSED", osConstants.errno.ECONNREFUSED]);
      expect(e.osError).toBeInstanceOf(asyncio.ConnectionRefusedError);
      expect([e.host, e.port]).toEqual(["127.0.0.1", port]);
      expect(e.message).toBe(`Cannot connect to host 127.0.0.1:${port} ssl:default [Connect call failed ('127.0.0.1', ${port}): connection refused]`);
    });
  });

  it("a name that does not resolve is ClientConnectorDNSError", async () => {
    await onNewLoop(async () => {
      const err = await caught(aiohttp.request("GET", "http://nonexistent.invalid/"));
      expect(err).toBeInstanceOf(aiohttp.ClientConnectorDNSError);
      expect(err).toBeInstanceOf(aiohttp.ClientConnectorError);
      expect(err).toBeInstanceOf(aiohttp.ClientError);
      expect(["ENOTFOUND", "EAI_AGAIN"]).toContain((err as aiohttp.ClientConnectorDNSError).code);
      expect(err.message).toMatch(/^Cannot connect to host nonexistent\.invalid:80 ssl:default \[(Name or service not known|Temporary failure in name resolution)\]$/);
    });
  });

  it("a server that never answers: asyncio's TimeoutError after `timeout` seconds, and no socket left", async () => {
    const srv = await serve(routes);
    await onNewLoop(async (loop) => {
      const t0 = loop.time();
      const err = await caught(aiohttp.request("GET", srv.url + "hang", { timeout: 0.2 }));
      expect(loop.time() - t0).toBeGreaterThanOrEqual(0.19);
      expect(err).toBeInstanceOf(asyncio.TimeoutError);
      expect(err).not.toBeInstanceOf(aiohttp.ClientError);
      expect((err as asyncio.TimeoutError).code).toBe("ERR_ASYNCIO_TIMEOUT");
      await eventually(() => srv.open.size === 0);
    });
  });

  it("the total timeout covers reading the body; sockRead bounds each wait for data (SocketTimeoutError)", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const response = await aiohttp.request("GET", srv.url + "stall-body", { timeout: 0.2 });
      expect(response.status).toBe(200);
      expect(await caught(response.read())).toBeInstanceOf(asyncio.TimeoutError);

      const err = await caught((await aiohttp.request("GET", srv.url + "stall-body", { timeout: { sockRead: 0.1 } })).read());
      expect(err).toBeInstanceOf(aiohttp.SocketTimeoutError);
      expect(err).toBeInstanceOf(aiohttp.ServerTimeoutError);
      expect(err).toBeInstanceOf(asyncio.TimeoutError);
      expect(err).toBeInstanceOf(aiohttp.ClientError);
      expect(err.message).toBe("Timeout on reading data from socket");
      // sockRead also bounds the wait for the response's head.
      expect(await caught(aiohttp.request("GET", srv.url + "hang", { timeout: { sockRead: 0.1 } }))).toBeInstanceOf(aiohttp.SocketTimeoutError);
      await eventually(() => srv.open.size === 0);
    });
  });

  it("the connect timeout covers waiting for a free connection of the session: ConnectionTimeoutError", async () => {
    const srv = await serve(routes);
    await onNewLoop(async (loop) => {
      await using session = new aiohttp.ClientSession({ limitPerHost: 1 });
      const busy = loop.createTask(session.get(srv.url + "hang")); // takes the only connection
      await eventually(() => srv.requests.length === 1);
      const err = await caught(session.get(srv.url, { timeout: { connect: 0.1 } }));
      expect(err).toBeInstanceOf(aiohttp.ConnectionTimeoutError);
      expect(err).toBeInstanceOf(aiohttp.ServerTimeoutError);
      expect(err).toBeInstanceOf(asyncio.TimeoutError);
      expect(err.message).toBe(`Connection timeout to host ${srv.url}`);
      busy.cancel();
      await asyncio.wait([busy]);
      expect(srv.requests).toEqual(["GET /hang"]);
    });
  });

  it("a server that closes the connection without answering: ServerDisconnectedError", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const err = await caught(aiohttp.request("GET", srv.url + "disconnect"));
      expect(err).toBeInstanceOf(aiohttp.ServerDisconnectedError);
      expect(err).toBeInstanceOf(aiohttp.ServerConnectionError);
      expect([err.message, (err as aiohttp.ServerDisconnectedError).code]).toEqual(["Server disconnected", "ERR_ASYNCIO_HTTP_SERVER_DISCONNECTED"]);
    });
  });

  it("a body cut short: what came is read, then ClientPayloadError", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const response = await aiohttp.request("GET", srv.url + "cut");
      const err = await caught(response.content.readExactly(100));
      expect(err).toBeInstanceOf(asyncio.IncompleteReadError);
      expect((err as asyncio.IncompleteReadError).partial.toString()).toBe("0123456789");
      expect((err as Error).cause).toBeInstanceOf(aiohttp.ClientPayloadError);
      expect(((err as Error).cause as aiohttp.ClientPayloadError).message).toBe("Response payload is not completed");
    });
  });
});

describe("On the loop", () => {
  it("cancelling the task that awaits a request aborts it, in both coroutine styles", async () => {
    const srv = await serve(routes);
    await onNewLoop(async (loop) => {
      const asyncTask = loop.createTask(async () => await aiohttp.request("GET", srv.url + "hang"));
      const genTask = loop.createTask(function* (): asyncio.GeneratorCoroutine<aiohttp.ClientResponse> {
        return yield* aiohttp.request("GET", srv.url + "hang");
      });
      await eventually(() => srv.requests.length === 2);
      expect(srv.open.size).toBe(2);
      asyncTask.cancel();
      genTask.cancel();
      await asyncio.wait([asyncTask, genTask]);
      expect([asyncTask.cancelled(), genTask.cancelled()]).toEqual([true, true]);
      await eventually(() => srv.open.size === 0);
    });
  });

  it("waitFor() around a request cancels it at its deadline", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const session = new aiohttp.ClientSession();
      const err = await caught(asyncio.waitFor(session.get(srv.url + "hang"), 0.1));
      expect(err).toBeInstanceOf(asyncio.TimeoutError);
      await eventually(() => srv.open.size === 0);
      await session.close();
    });
  });

  it("the task that awaits is the current task before and after, and callbacks run on the loop", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const task = asyncio.currentTask();
      const response = await aiohttp.request("GET", srv.url + "lines");
      expect(asyncio.currentTask()).toBe(task);
      await response.text();
      expect(asyncio.currentTask()).toBe(task);
    });
    await runMain(function* (): asyncio.GeneratorCoroutine<void> {
      const task = asyncio.currentTask();
      const response = yield* aiohttp.request("GET", srv.url + "lines");
      yield* response.text();
      expect(asyncio.currentTask()).toBe(task);
    });
  });
});

// A self-signed certificate for 127.0.0.1 and localhost, valid 2000-2100 (made with openssl).
const CERT = `-----BEGIN CERTIFICATE-----
MIIBZDCCAQqgAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w
LjEwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABG0jUVn+g8W5vdbq
2YKPR3DSIbc03uVM8FOjXqQ2Q4lF/0moZ7mWJJvwa/AeDVODjo3VLSgyxuvz7yTK
Dxs1NnGjSzBJMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAMBgNVHRMBAf8E
AjAAMB0GA1UdDgQWBBQtNo29z1zEyWiKdMCNtZwrCTvgqzAKBggqhkjOPQQDAgNI
ADBFAiEAj08PJ3+aNIaBU2kcgk1pGUhf4MfCE7/kHv34KgumsE8CIAwDLQwMKAMJ
ruUQ2d8OssdJW0ZC+ZBHhyIOiNO6SWVX
-----END CERTIFICATE-----
`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7fz/UjbVHmiCIv0a
tL2SoPwvEFWzbr4RIkRRq3PN7VOhRANCAARtI1FZ/oPFub3W6tmCj0dw0iG3NN7l
TPBTo16kNkOJRf9JqGe5liSb8GvwHg1Tg46N1S0oMsbr8+8kyg8bNTZx
-----END PRIVATE KEY-----
`;

describe("https", () => {
  it("a self-signed server is refused with ClientConnectorCertificateError, and no socket is left", async () => {
    const srv = await serve(routes, { cert: CERT, key: KEY });
    await onNewLoop(async () => {
      const err = await caught(aiohttp.request("GET", srv.url));
      expect(err).toBeInstanceOf(aiohttp.ClientConnectorCertificateError);
      expect(err).toBeInstanceOf(aiohttp.ClientSSLError);
      expect(err).toBeInstanceOf(aiohttp.ClientConnectorError);
      expect((err as aiohttp.ClientConnectorCertificateError).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
      // (Node 24 adds a hint to OpenSSL's reason.)
      expect(err.message).toMatch(new RegExp(`^Cannot connect to host 127\\.0\\.0\\.1:${srv.port} ssl:default \\[self-signed certificate.*\\]$`));
      await eventually(() => srv.open.size === 0);
    });
  });

  it("trusts the certificate given as ssl.ca, and keeps the TLS connection alive in a session", async () => {
    const srv = await serve(routes, { cert: CERT, key: KEY });
    await onNewLoop(async () => {
      await using session = new aiohttp.ClientSession({ ssl: { ca: CERT } });
      for (let i = 0; i < 3; i++) expect(await (await session.get(srv.url)).text()).toBe(IT_WORKS);
      expect(srv.connections).toBe(1);
      const response = await aiohttp.request("GET", srv.url + "json", { ssl: false });
      expect(await response.json()).toEqual({ hello: "world" });
    });
  });

  it("TLS to a plain http server is ClientSSLError", async () => {
    const srv = await serve(routes);
    await onNewLoop(async () => {
      const err = await caught(aiohttp.request("GET", srv.url.replace("http:", "https:")));
      expect(err).toBeInstanceOf(aiohttp.ClientSSLError);
      expect(err).not.toBeInstanceOf(aiohttp.ClientConnectorCertificateError);
    });
  });
});

describe("Kept-alive connections", () => {
  /**
   * A raw HTTP server whose first connection answers one request and then closes when the next
   * request comes: the race every keep-alive client meets (the server closed an idle connection
   * just as it was reused).
   */
  async function flakyServer(): Promise<{ url: string; connections: () => number }> {
    let connections = 0;
    const server = createNetServer((sock) => {
      const n = ++connections;
      let requests = 0;
      sock.on("data", (data: Buffer) => {
        if (!data.includes("\r\n\r\n")) return;
        requests++;
        if (n === 1 && requests === 2) sock.destroy();
        else sock.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=60\r\n\r\nok");
      });
      sock.on("error", () => {});
    });
    onCleanup(() => server.close());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, connections: () => connections };
  }

  it("a GET on a connection the server has just closed is sent again, once, on a new connection", async () => {
    const srv = await flakyServer();
    await onNewLoop(async () => {
      await using session = new aiohttp.ClientSession();
      expect(await (await session.get(srv.url)).text()).toBe("ok");
      expect(await (await session.get(srv.url)).text()).toBe("ok");
      expect(srv.connections()).toBe(2);
    });
  });

  it("a POST is not sent again: ServerDisconnectedError", async () => {
    const srv = await flakyServer();
    await onNewLoop(async () => {
      await using session = new aiohttp.ClientSession();
      expect(await (await session.post(srv.url, { body: "x" })).text()).toBe("ok");
      expect(await caught(session.post(srv.url, { body: "x" }))).toBeInstanceOf(aiohttp.ServerDisconnectedError);
    });
  });
});
