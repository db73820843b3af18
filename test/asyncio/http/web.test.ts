// The web layer (src/asyncio/http/web.ts and web/): routes and path parameters, the request
// (query, headers, bodies), responses and HTTP exceptions, middlewares, handlers in both
// coroutine styles, the runner's graceful cleanup and runApp until a signal (a child process),
// driven by Node's fetch and raw sockets against servers on 127.0.0.1 port 0.
import { spawn } from "node:child_process";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../../src/asyncio/index.js";
import * as aiohttp from "../../../src/asyncio/http/index.js";
import { web } from "../../../src/asyncio/http/index.js";
import { newLoop, onCleanup } from "../../helpers.js";
import { captureLog } from "./helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * Serves `app` through an AppRunner and a TCPSite on 127.0.0.1 port 0 on a new loop, runs
 * `body(url, runner)` as a task on it, then cleans the runner up and closes the loop.
 */
async function withApp(app: web.Application, body: (url: string, runner: web.AppRunner, loop: asyncio.EventLoop) => Promise<void>, options?: web.AppRunnerOptions): Promise<void> {
  const loop = newLoop();
  const runner = new web.AppRunner(app, options);
  try {
    await loop.runUntilComplete(async () => {
      await runner.setup();
      await new web.TCPSite(runner, "127.0.0.1", 0).start();
    });
    const [host, port] = runner.addresses[0] as [string, number];
    await loop.runUntilComplete(() => body(`http://${host}:${port}`, runner, loop));
  } finally {
    await loop.runUntilComplete(runner.cleanup());
    loop.close();
  }
}

/** An application with one route. */
function appWith(method: string, path: string, handler: web.Handler, options?: web.ApplicationOptions): web.Application {
  const app = new web.Application(options);
  app.router.addRoute(method, path, handler);
  return app;
}

/** Connects a raw socket to `url`'s port; resolves once connected. */
function connect(url: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(new URL(url).port), "127.0.0.1", () => resolve(sock));
    sock.once("error", reject);
    onCleanup(() => sock.destroy());
  });
}

/** Reads from `sock` until `pred(text so far)` holds or the socket closes; resolves with the text and whether it closed. */
function readUntil(sock: net.Socket, pred: (text: string) => boolean): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    const done = (closed: boolean): void => {
      sock.off("data", onData);
      sock.off("close", onClose);
      resolve({ text, closed });
    };
    const onData = (d: Buffer): void => {
      text += d.toString("latin1");
      if (pred(text)) done(false);
    };
    const onClose = (): void => done(true);
    sock.on("data", onData);
    sock.on("close", onClose);
  });
}

describe("routes", () => {
  it("each method's route answers its own requests, in the handler's text", async () => {
    const app = new web.Application();
    for (const method of ["Get", "Post", "Put", "Patch", "Delete"] as const) {
      app.router[`add${method}`]("/thing", async (request) => new web.Response({ text: `${method} ${request.method}` }));
    }
    app.router.addRoute("OPTIONS", "/thing", () => new web.Response({ text: "options" }));
    app.router.addRoute("*", "/any", (request) => new web.Response({ text: `any ${request.method}` }));
    await withApp(app, async (url) => {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
        const r = await fetch(`${url}/thing`, { method });
        expect(await r.text()).toBe(`${method[0]}${method.slice(1).toLowerCase()} ${method}`);
      }
      expect(await (await fetch(`${url}/thing`, { method: "OPTIONS" })).text()).toBe("options");
      expect(await (await fetch(`${url}/any`, { method: "PUT" })).text()).toBe("any PUT");
    });
  });

  it("a GET route answers HEAD with its headers and no body", async () => {
    const app = appWith("GET", "/", () => new web.Response({ text: "<h1>It Works!</h1>", contentType: "text/html" }));
    await withApp(app, async (url) => {
      const r = await fetch(url, { method: "HEAD" });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-length")).toBe("18");
      expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await r.text()).toBe("");
    });
  });

  it("path parameters are in request.matchInfo, percent-decoded; a {name:regexp} parameter only matches its regexp", async () => {
    const app = new web.Application();
    app.router.addGet("/users/{id:\\d+}", (request) => web.jsonResponse({ id: request.matchInfo.id }));
    app.router.addGet("/hello/{name}/{greeting}", (request) => new web.Response({ text: `${request.matchInfo.greeting}, ${request.matchInfo.name}` }));
    await withApp(app, async (url) => {
      expect(await (await fetch(`${url}/users/42`)).json()).toEqual({ id: "42" });
      expect((await fetch(`${url}/users/abc`)).status).toBe(404);
      expect(await (await fetch(`${url}/hello/J%C3%BCrgen%20X/Hi`)).text()).toBe("Hi, Jürgen X");
      expect((await fetch(`${url}/hello/a/b/c`)).status).toBe(404);
    });
  });

  it("an unknown path is 404; a known path with another method is 405 with Allow", async () => {
    const app = new web.Application();
    app.router.addGet("/x", () => new web.Response({ text: "x" }));
    app.router.addPost("/x", () => new web.Response({ text: "x" }));
    await withApp(app, async (url) => {
      const missing = await fetch(`${url}/nothing`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe("404: Not Found");
      const wrong = await fetch(`${url}/x`, { method: "DELETE" });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get("allow")).toBe("GET,POST");
      expect(await wrong.text()).toBe("405: Method Not Allowed");
    });
  });

  it("web.get/web.post/... make routes for app.addRoutes; a named route builds its URL", async () => {
    const app = new web.Application();
    const user = (request: web.Request) => new web.Response({ text: `user ${request.matchInfo.id}` });
    app.addRoutes([
      web.get("/users/{id}", user, { name: "user" }),
      web.post("/users", () => new web.Response({ status: 201 })),
      web.delete("/users/{id}", () => new web.Response({ status: 204 })),
    ]);
    expect(app.router.routes().map(String)).toEqual([
      "<ResourceRoute [GET] /users/{id} -> user>",
      "<ResourceRoute [POST] /users -> <anonymous>>",
      "<ResourceRoute [DELETE] /users/{id} -> <anonymous>>",
    ]);
    const named = app.router.namedResources().get("user")!;
    expect(named.urlFor({ id: "a b" })).toBe("/users/a%20b");
    expect(named.urlFor({ id: 7 }, { page: "2" })).toBe("/users/7?page=2");
    expect(() => named.urlFor({})).toThrow(/no value for the parameter "id"/);
    await withApp(app, async (url) => {
      expect(await (await fetch(`${url}${named.urlFor({ id: "7" })}`)).text()).toBe("user 7");
      expect((await fetch(`${url}/users`, { method: "POST" })).status).toBe(201);
      expect((await fetch(`${url}/users/7`, { method: "DELETE" })).status).toBe(204);
    });
  });

  it("routes and middlewares cannot change once the runner is set up", async () => {
    const app = appWith("GET", "/", () => new web.Response());
    expect(() => app.router.addGet("/", () => new web.Response(), { name: "a" })).not.toThrow();
    expect(() => app.router.addGet("/b", () => new web.Response(), { name: "a" })).toThrow(/Duplicate route name/);
    await withApp(app, async () => {
      expect(app.frozen).toBe(true);
      expect(() => app.router.addGet("/late", () => new web.Response())).toThrow(/frozen router/);
      expect(() => app.middlewares.push(async (r, h) => await h(r))).toThrow(TypeError);
    });
  });
});

describe("the request", () => {
  it("has the method, path, query (repeated keys in order), headers, version, url, app and the client's address", async () => {
    const app = new web.Application();
    app.set("greeting", "hi");
    let seen: web.Request | null = null;
    // Routes match the path as sent (percent-encoded); parameters are decoded.
    app.router.addGet("/a%20b/{x}", (request) => {
      seen = request;
      return new web.Response({ text: "ok" });
    });
    await withApp(app, async (url) => {
      const port = new URL(url).port;
      await fetch(`${url}/a%20b/y%2Fz?tag=1&tag=2&q=a+b&empty=`, { headers: { "X-Custom": "Yes" } });
      const request = seen as unknown as web.Request;
      expect(request.method).toBe("GET");
      expect(request.path).toBe("/a b/y/z");
      expect(request.rawPath).toBe("/a%20b/y%2Fz?tag=1&tag=2&q=a+b&empty=");
      expect(request.queryString).toBe("tag=1&tag=2&q=a+b&empty=");
      expect(request.query.getAll("tag")).toEqual(["1", "2"]);
      expect(request.query.get("q")).toBe("a b");
      expect(request.query.get("empty")).toBe("");
      expect(String(request.query)).toBe("<MultiDict('tag': '1', 'tag': '2', 'q': 'a b', 'empty': '')>");
      expect(request.headers.get("x-custom")).toBe("Yes");
      expect(request.version).toBe("1.1");
      expect(request.host).toBe(`127.0.0.1:${port}`);
      expect(request.url.href).toBe(`http://127.0.0.1:${port}/a%20b/y%2Fz?tag=1&tag=2&q=a+b&empty=`);
      expect(request.matchInfo).toEqual({ x: "y/z" });
      expect(request.app).toBe(app);
      expect(request.app.get("greeting")).toBe("hi");
      expect(request.remote).toBe("127.0.0.1");
      expect(request.keepAlive).toBe(true);
      expect(request.canReadBody).toBe(false);
      expect(String(request)).toBe("<Request GET /a b/y/z >");
    });
  });

  it("reads the body as text (in its charset), JSON and bytes, and keeps it for a second read", async () => {
    const app = new web.Application();
    app.router.addPost("/text", async (request) => new web.Response({ text: `${request.contentType} ${request.charset} ${request.contentLength}: ${await request.text()}` }));
    app.router.addPost("/json", async (request) => web.jsonResponse({ got: await request.json() }));
    app.router.addPost("/read", async (request) => {
      const a = await request.read();
      const b = await request.read();
      return web.jsonResponse({ length: a.length, same: a === b });
    });
    await withApp(app, async (url) => {
      const latin1 = Buffer.from("café", "latin1");
      expect(await (await fetch(`${url}/text`, { method: "POST", body: latin1, headers: { "Content-Type": "text/plain; charset=ISO-8859-1" } })).text()).toBe(
        "text/plain iso-8859-1 4: café",
      );
      expect(await (await fetch(`${url}/json`, { method: "POST", body: JSON.stringify({ a: [1, 2] }), headers: { "Content-Type": "application/json" } })).json()).toEqual({
        got: { a: [1, 2] },
      });
      expect(await (await fetch(`${url}/read`, { method: "POST", body: Buffer.alloc(200_000, 7) })).json()).toEqual({ length: 200_000, same: true });
    });
  });

  it("post() gives the fields of a urlencoded form (repeated keys kept) and of a multipart form (files as File); nothing for a GET", async () => {
    const app = new web.Application();
    const describeForm = async (request: web.Request) => {
      const form = await request.post();
      const out: [string, string][] = [];
      for (const [k, v] of form) out.push([k, typeof v === "string" ? v : `file ${v.name} ${await v.text()}`]);
      return web.jsonResponse(out);
    };
    app.router.addRoute("*", "/form", describeForm);
    await withApp(app, async (url) => {
      const urlencoded = await fetch(`${url}/form`, {
        method: "POST",
        body: new URLSearchParams([
          ["a", "1"],
          ["b", "x y"],
          ["a", "2"],
        ]),
      });
      expect(await urlencoded.json()).toEqual([
        ["a", "1"],
        ["b", "x y"],
        ["a", "2"],
      ]);
      const fd = new FormData();
      fd.append("name", "Ada");
      fd.append("upload", new Blob(["file body"]), "notes.txt");
      expect(await (await fetch(`${url}/form`, { method: "POST", body: fd })).json()).toEqual([
        ["name", "Ada"],
        ["upload", "file notes.txt file body"],
      ]);
      expect(await (await fetch(`${url}/form?a=1`)).json()).toEqual([]);
    });
  });

  it("a body over the application's clientMaxSize is 413, and the connection closes", async () => {
    const app = appWith("POST", "/", async (request) => new web.Response({ text: String((await request.read()).length) }), { clientMaxSize: 1000 });
    await withApp(app, async (url) => {
      expect(await (await fetch(url, { method: "POST", body: Buffer.alloc(1000) })).text()).toBe("1000");
      const r = await fetch(url, { method: "POST", body: Buffer.alloc(1001) });
      expect(r.status).toBe(413);
      expect(r.headers.get("connection")).toBe("close");
      expect(await r.text()).toBe("Maximum request body size 1000 exceeded, actual body size 1001");
    });
  });

  it("request.content is the body's StreamReader, read piece by piece", async () => {
    const app = appWith("POST", "/", async (request) => {
      const first = await request.content.readExactly(3);
      const rest = await request.content.read();
      return new web.Response({ text: `${first.toString()}|${rest.toString()}` });
    });
    await withApp(app, async (url) => {
      expect(await (await fetch(url, { method: "POST", body: "abcdefg" })).text()).toBe("abc|defg");
    });
  });
});

describe("handlers", () => {
  it("may be async functions, generator functions (yield*) or plain functions, and may wait on the loop", async () => {
    const app = new web.Application();
    app.router.addPost("/async", async (request) => {
      await asyncio.sleep(0.01);
      return new web.Response({ text: `async ${await request.text()}` });
    });
    app.router.addPost("/gen", function* gen(request) {
      yield* asyncio.sleep(0.01);
      const text: string = yield* request.text();
      return new web.Response({ text: `gen ${text}` });
    });
    app.router.addPost("/plain", (request) => new web.Response({ text: `plain ${request.method}` }));
    app.router.addPost(
      "/coroutine",
      asyncio.coroutine(function* coro(request: web.Request) {
        return web.jsonResponse({ json: yield* request.json() });
      }),
    );
    await withApp(app, async (url) => {
      expect(await (await fetch(`${url}/async`, { method: "POST", body: "a" })).text()).toBe("async a");
      expect(await (await fetch(`${url}/gen`, { method: "POST", body: "g" })).text()).toBe("gen g");
      expect(await (await fetch(`${url}/plain`, { method: "POST" })).text()).toBe("plain POST");
      expect(await (await fetch(`${url}/coroutine`, { method: "POST", body: "[1]" })).json()).toEqual({ json: [1] });
    });
  });

  it("a handler that throws is answered 500 and logged to the asyncio logger with its traceback; the server goes on", async () => {
    const records = captureLog();
    const app = new web.Application();
    app.router.addGet("/boom", async function boom() {
      throw new Error("kaboom");
    });
    app.router.addGet("/not-a-response", () => "just text" as unknown as web.Response);
    app.router.addGet("/ok", () => new web.Response({ text: "fine" }));
    await withApp(app, async (url) => {
      const r = await fetch(`${url}/boom`);
      expect(r.status).toBe(500);
      expect(await r.text()).not.toContain("kaboom");
      expect((await fetch(`${url}/not-a-response`)).status).toBe(500);
      expect(await (await fetch(`${url}/ok`)).text()).toBe("fine");
    });
    const errors = records.filter((r) => r.levelName === "ERROR");
    expect(errors.map((r) => r.message)).toEqual(["Error handling request GET /boom", "Error handling request GET /not-a-response"]);
    expect(String((errors[0]!.exception as Error).stack)).toMatch(/kaboom[\s\S]*at boom/);
    expect((errors[1]!.exception as Error).message).toBe("The handler of GET /not-a-response returned 'just text', not a web.StreamResponse");
  });

  it("a handler still running when its client goes away is cancelled where it waits", async () => {
    const cancelled = new asyncio.Event();
    const started = new asyncio.Event();
    const app = appWith("GET", "/", async () => {
      started.set();
      try {
        await asyncio.sleep(10);
      } catch (exc) {
        if (asyncio.isCancelledError(exc)) cancelled.set();
        throw exc;
      }
      return new web.Response();
    });
    await withApp(app, async (url) => {
      const sock = await connect(url);
      sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await started.wait();
      // A reset: the connection is lost (an EOF alone is a client that still waits for its answer).
      sock.resetAndDestroy();
      await asyncio.waitFor(cancelled.wait(), 5);
    });
  });
});

describe("responses", () => {
  it("web.Response takes status, reason, headers, contentType, charset, text or body", async () => {
    const app = new web.Application();
    app.router.addGet("/made", () => new web.Response({ status: 201, reason: "Made It", text: "new", headers: { "X-A": "1", "X-Many": ["a", "b"] } }));
    app.router.addGet("/bytes", () => new web.Response({ body: Buffer.from([1, 2, 3]) }));
    app.router.addGet("/html", () => new web.Response({ text: "<p>é</p>", contentType: "text/html" }));
    app.router.addGet("/latin1", () => new web.Response({ text: "é", charset: "latin1" }));
    app.router.addGet("/typed-header", () => new web.Response({ body: Buffer.from("{}"), headers: [["Content-Type", "application/x-custom"]] }));
    app.router.addGet("/empty", () => new web.Response());
    await withApp(app, async (url) => {
      const made = await fetch(`${url}/made`);
      expect([made.status, made.statusText, made.headers.get("x-a"), made.headers.get("x-many"), made.headers.get("content-type"), await made.text()]).toEqual([
        201,
        "Made It",
        "1",
        "a, b",
        "text/plain; charset=utf-8",
        "new",
      ]);
      const bytes = await fetch(`${url}/bytes`);
      expect(bytes.headers.get("content-type")).toBe("application/octet-stream");
      expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([1, 2, 3]);
      const html = await fetch(`${url}/html`);
      expect([html.headers.get("content-type"), html.headers.get("content-length"), await html.text()]).toEqual(["text/html; charset=utf-8", "9", "<p>é</p>"]);
      const latin1 = await fetch(`${url}/latin1`);
      expect([latin1.headers.get("content-type"), [...new Uint8Array(await latin1.arrayBuffer())]]).toEqual(["text/plain; charset=latin1", [0xe9]]);
      expect((await fetch(`${url}/typed-header`)).headers.get("content-type")).toBe("application/x-custom");
      const empty = await fetch(`${url}/empty`);
      expect([empty.status, empty.headers.get("content-length"), await empty.text()]).toEqual([200, "0", ""]);
    });
  });

  it("web.Response refuses text with body, and a Content-Type header with contentType", () => {
    expect(() => new web.Response({ text: "a", body: Buffer.from("b") })).toThrow(/text and body/);
    expect(() => new web.Response({ text: "a", headers: { "Content-Type": "text/html" }, contentType: "text/plain" })).toThrow(/forbidden/);
    expect(() => new web.Response({ text: "a", contentType: "text/plain; charset=utf-8" })).toThrow(/charset must not be in contentType/);
    expect(() => new web.Response({ status: 1000 })).toThrow(RangeError);
    const r = new web.Response({ text: "é" });
    expect([r.text, [...r.body!], r.contentType, r.charset, r.status, r.reason]).toEqual(["é", [0xc3, 0xa9], "text/plain", "utf-8", 200, "OK"]);
  });

  it("web.jsonResponse sends its data as JSON, with status, headers and dumps", async () => {
    const app = new web.Application();
    app.router.addGet("/", () => web.jsonResponse({ hello: "world" }));
    app.router.addGet("/custom", () => web.jsonResponse([1, 2], { status: 202, headers: { "X-Kind": "list" }, dumps: (d) => JSON.stringify(d, null, 1) }));
    await withApp(app, async (url) => {
      const r = await fetch(url);
      expect([r.headers.get("content-type"), await r.text()]).toEqual(["application/json; charset=utf-8", '{"hello":"world"}']);
      const c = await fetch(`${url}/custom`);
      expect([c.status, c.headers.get("x-kind"), await c.text()]).toEqual([202, "list", "[\n 1,\n 2\n]"]);
    });
  });

  it("a StreamResponse sends its headers on prepare() and its body in pieces, chunked", async () => {
    const app = appWith("GET", "/", async (request) => {
      const response = new web.StreamResponse({ headers: { "Content-Type": "text/plain" } });
      await response.prepare(request);
      for (let i = 0; i < 3; i++) {
        await response.write(`line ${i}\n`);
        await asyncio.sleep(0.01);
      }
      await response.writeEof("end\n");
      return response;
    });
    await withApp(app, async (url) => {
      const r = await fetch(url);
      expect(r.headers.get("transfer-encoding")).toBe("chunked");
      expect(await r.text()).toBe("line 0\nline 1\nline 2\nend\n");
    });
  });
});

describe("HTTP exceptions", () => {
  it("are Errors in aiohttp's hierarchy, with the status, reason and default text", () => {
    const e = new web.HTTPNotFound();
    expect([e instanceof web.HTTPClientError, e instanceof web.HTTPError, e instanceof web.HTTPException, e instanceof Error]).toEqual([true, true, true, true]);
    expect([e.status, e.reason, e.text, e.message, e.name, web.HTTPNotFound.statusCode]).toEqual([404, "Not Found", "404: Not Found", "Not Found", "HTTPNotFound", 404]);
    expect(new web.HTTPInternalServerError() instanceof web.HTTPServerError).toBe(true);
    const found = new web.HTTPFound("/there");
    expect([found instanceof web.HTTPMove, found instanceof web.HTTPRedirection, found.location, found.headers.get("Location")]).toEqual([true, true, "/there", "/there"]);
    expect(() => new web.HTTPMovedPermanently("")).toThrow(/need a location/);
    expect(new web.HTTPMethodNotAllowed("post", ["get", "put"]).headers.get("Allow")).toBe("GET,PUT");
    expect(new web.HTTPNoContent().text).toBe(null);
  });

  it("thrown or returned, each is sent as its status, headers and body", async () => {
    class HTTPTeapot extends web.HTTPClientError {
      static override readonly statusCode = 418;
    }
    const app = new web.Application();
    const routes: Record<string, web.Handler> = {
      "/bad": () => {
        throw new web.HTTPBadRequest({ text: "no good" });
      },
      "/unauthorized": () => {
        throw new web.HTTPUnauthorized({ headers: { "WWW-Authenticate": 'Basic realm="x"' } });
      },
      "/forbidden": async () => {
        throw new web.HTTPForbidden();
      },
      "/missing": function* () {
        yield* asyncio.sleep(0);
        throw new web.HTTPNotFound({ text: "no such thing" });
      },
      "/conflict": () => new web.HTTPConflict({ text: "returned, not thrown" }),
      "/server": () => {
        throw new web.HTTPInternalServerError();
      },
      "/found": () => {
        throw new web.HTTPFound("/elsewhere");
      },
      "/moved": () => {
        throw new web.HTTPMovedPermanently("https://example.com/new");
      },
      "/none": () => {
        throw new web.HTTPNoContent();
      },
      "/teapot": () => {
        throw new HTTPTeapot({ reason: "I'm a teapot", body: Buffer.from("short and stout"), contentType: "text/x-song" });
      },
    };
    for (const [path, handler] of Object.entries(routes)) app.router.addGet(path, handler);
    const records = captureLog();
    await withApp(app, async (url) => {
      const get = async (path: string) => {
        const r = await fetch(`${url}${path}`, { redirect: "manual" });
        return [r.status, await r.text()];
      };
      expect(await get("/bad")).toEqual([400, "no good"]);
      const unauthorized = await fetch(`${url}/unauthorized`);
      expect([unauthorized.status, unauthorized.headers.get("www-authenticate")]).toEqual([401, 'Basic realm="x"']);
      expect(await get("/forbidden")).toEqual([403, "403: Forbidden"]);
      expect(await get("/missing")).toEqual([404, "no such thing"]);
      expect(await get("/conflict")).toEqual([409, "returned, not thrown"]);
      expect(await get("/server")).toEqual([500, "500: Internal Server Error"]);
      const found = await fetch(`${url}/found`, { redirect: "manual" });
      expect([found.status, found.headers.get("location")]).toEqual([302, "/elsewhere"]);
      const moved = await fetch(`${url}/moved`, { redirect: "manual" });
      expect([moved.status, moved.headers.get("location")]).toEqual([301, "https://example.com/new"]);
      const none = await fetch(`${url}/none`);
      expect([none.status, none.headers.get("content-length"), await none.text()]).toEqual([204, null, ""]);
      const teapot = await fetch(`${url}/teapot`);
      expect([teapot.status, teapot.statusText, teapot.headers.get("content-type"), await teapot.text()]).toEqual([418, "I'm a teapot", "text/x-song", "short and stout"]);
    });
    // Answers chosen by the handler, not failures of the server.
    expect(records).toEqual([]);
  });

  it("a redirect is followed by a client to its target", async () => {
    const app = new web.Application();
    app.router.addGet("/old", () => {
      throw new web.HTTPFound("/new");
    });
    app.router.addGet("/new", () => new web.Response({ text: "arrived" }));
    await withApp(app, async (url) => {
      const r = await fetch(`${url}/old`);
      expect([r.status, r.url, await r.text()]).toEqual([200, `${url}/new`, "arrived"]);
    });
  });
});

describe("middlewares", () => {
  it("run outermost first around the handler, and see its response on the way out", async () => {
    const events: string[] = [];
    const named =
      (name: string): web.Middleware =>
      async (request, handler) => {
        events.push(`${name} in`);
        const response = await handler(request);
        events.push(`${name} out`);
        response.headers.add("X-Through", name);
        return response;
      };
    const app = new web.Application({ middlewares: [named("a"), named("b")] });
    app.router.addGet("/", () => {
      events.push("handler");
      return new web.Response({ text: "ok" });
    });
    await withApp(app, async (url) => {
      const r = await fetch(url);
      expect(r.headers.get("x-through")).toBe("b, a");
    });
    expect(events).toEqual(["a in", "b in", "handler", "b out", "a out"]);
  });

  it("may answer without calling the handler, and pass values to it on the request", async () => {
    let calls = 0;
    const auth: web.Middleware = async (request, handler) => {
      const token = request.headers.get("Authorization");
      if (token !== "Bearer good") throw new web.HTTPUnauthorized({ text: "who are you?" });
      request.set("user", "ada");
      return await handler(request);
    };
    const app = new web.Application({ middlewares: [auth] });
    app.router.addGet("/", (request) => {
      calls++;
      return new web.Response({ text: `hello ${request.get("user")}` });
    });
    await withApp(app, async (url) => {
      const denied = await fetch(url);
      expect([denied.status, await denied.text()]).toEqual([401, "who are you?"]);
      expect(await (await fetch(url, { headers: { Authorization: "Bearer good" } })).text()).toBe("hello ada");
    });
    expect(calls).toBe(1);
  });

  it("may map errors: HTTP exceptions thrown or returned below them, 404 and 405 included, and other errors", async () => {
    const errors: web.Middleware = async (request, handler) => {
      try {
        return await handler(request);
      } catch (exc) {
        if (exc instanceof web.HTTPException) return web.jsonResponse({ error: exc.reason, allow: exc.headers.get("Allow") ?? null }, { status: exc.status });
        return web.jsonResponse({ error: String(exc) }, { status: 500 });
      }
    };
    const records = captureLog();
    const app = new web.Application({ middlewares: [errors] });
    app.router.addGet("/thrown", () => {
      throw new web.HTTPForbidden();
    });
    app.router.addGet("/returned", () => new web.HTTPGone());
    app.router.addGet("/broken", () => {
      throw new RangeError("out of range");
    });
    await withApp(app, async (url) => {
      const json = async (path: string, init?: RequestInit) => {
        const r = await fetch(`${url}${path}`, init);
        return [r.status, await r.json()];
      };
      expect(await json("/thrown")).toEqual([403, { error: "Forbidden", allow: null }]);
      expect(await json("/returned")).toEqual([410, { error: "Gone", allow: null }]);
      expect(await json("/nowhere")).toEqual([404, { error: "Not Found", allow: null }]);
      expect(await json("/thrown", { method: "POST" })).toEqual([405, { error: "Method Not Allowed", allow: "GET" }]);
      expect(await json("/broken")).toEqual([500, { error: "RangeError: out of range" }]);
    });
    expect(records).toEqual([]);
  });

  it("may be generator functions, yield*-ing the handler", async () => {
    const gen: web.Middleware = function* (request, handler) {
      yield* asyncio.sleep(0);
      const response: web.StreamResponse = yield* handler(request);
      response.headers.set("X-Gen", "yes");
      return response;
    };
    const app = new web.Application({ middlewares: [gen] });
    app.router.addGet("/", async () => new web.Response({ text: "ok" }));
    await withApp(app, async (url) => {
      const r = await fetch(url);
      expect([r.headers.get("x-gen"), await r.text()]).toEqual(["yes", "ok"]);
    });
  });
});

describe("connections", () => {
  it("keep-alive: a session's consecutive requests go over one connection (the library's own client)", async () => {
    const app = appWith("GET", "/", (request) => new web.Response({ text: String((request.transport.getExtraInfo("peername") as [string, number])[1]) }));
    await withApp(app, async (url) => {
      const session = new aiohttp.ClientSession();
      try {
        const ports = new Set<string>();
        for (let i = 0; i < 10; i++) {
          const response = await session.get(url);
          ports.add(await response.text());
        }
        expect(ports.size).toBe(1);
      } finally {
        await session.close();
      }
    });
  });

  it("pipelined requests through the web layer are answered in order on one connection", async () => {
    const app = appWith("GET", "/{n}", async (request) => {
      await asyncio.sleep(Number(request.matchInfo.n) / 1000);
      return new web.Response({ text: request.matchInfo.n });
    });
    await withApp(app, async (url) => {
      const sock = await connect(url);
      sock.write(["30", "1", "10"].map((n) => `GET /${n} HTTP/1.1\r\nHost: x\r\n\r\n`).join(""));
      const { text } = await readUntil(sock, (t) => (t.match(/HTTP\/1\.1 200/g) ?? []).length === 3 && t.endsWith("10"));
      expect([...text.matchAll(/\r\n\r\n(\d+)/g)].map((m) => m[1])).toEqual(["30", "1", "10"]);
    });
  });
});

describe("AppRunner and TCPSite", () => {
  it("setup() runs the start-up hooks; addresses are the real [host, port]; cleanup() runs shutdown then cleanup hooks", async () => {
    const events: string[] = [];
    const app = appWith("GET", "/", () => new web.Response({ text: "up" }));
    app.onStartup.push(async () => void events.push("startup"));
    app.onShutdown.push(function* () {
      yield* asyncio.sleep(0);
      events.push("shutdown");
    });
    app.onCleanup.push(() => void events.push("cleanup"));
    const loop = newLoop();
    const runner = new web.AppRunner(app);
    expect([runner.server, runner.addresses]).toEqual([null, []]);
    await loop.runUntilComplete(async () => {
      await runner.setup();
      expect(events).toEqual(["startup"]);
      const site = new web.TCPSite(runner, "127.0.0.1", 0);
      await site.start();
      const [host, port] = runner.addresses[0] as [string, number];
      expect(host).toBe("127.0.0.1");
      expect(port).toBeGreaterThan(0);
      expect(site.name).toBe(`http://127.0.0.1:${port}`);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("up");
      await runner.cleanup();
      expect(runner.addresses).toEqual([]);
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    });
    loop.close();
    expect(events).toEqual(["startup", "shutdown", "cleanup"]);
  });

  it("runner.server is a protocol factory loop.createServer takes", async () => {
    const app = appWith("GET", "/", () => new web.Response({ text: "by hand" }));
    const loop = newLoop();
    const runner = new web.AppRunner(app);
    await loop.runUntilComplete(async () => {
      await runner.setup();
      const srv = await loop.createServer(runner.server!, "127.0.0.1", 0);
      const [, port] = srv.sockets[0]!.getsockname();
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("by hand");
      srv.close();
      await runner.cleanup();
      await srv.waitClosed();
    });
    loop.close();
  });

  it("cleanup() lets a request in flight finish, closes idle kept-alive connections, and refuses new ones", async () => {
    const started = new asyncio.Event();
    const app = new web.Application();
    app.router.addGet("/slow", async () => {
      started.set();
      await asyncio.sleep(0.2);
      return new web.Response({ text: "finished" });
    });
    app.router.addGet("/fast", () => new web.Response({ text: "fast" }));
    await withApp(app, async (url, runner, loop) => {
      const idle = await connect(url);
      idle.write("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
      expect((await readUntil(idle, (t) => t.endsWith("fast"))).closed).toBe(false);
      const idleClosed = readUntil(idle, () => false);
      const slow = fetch(`${url}/slow`);
      await started.wait();
      const t0 = loop.time();
      await runner.cleanup();
      expect(loop.time() - t0).toBeGreaterThan(0.1);
      const r = await slow;
      expect([r.status, r.headers.get("connection"), await r.text()]).toEqual([200, "close", "finished"]);
      expect((await idleClosed).closed).toBe(true);
      await expect(connect(url)).rejects.toThrow(/ECONNREFUSED/);
    });
  });

  it("cleanup() cancels handlers still running after shutdownTimeout", async () => {
    const started = new asyncio.Event();
    let cancelled = false;
    const app = appWith("GET", "/", async () => {
      started.set();
      try {
        await asyncio.sleep(30);
      } finally {
        cancelled = true;
      }
      return new web.Response();
    });
    await withApp(
      app,
      async (url, runner, loop) => {
        const sock = await connect(url);
        sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const closed = readUntil(sock, () => false);
        await started.wait();
        const t0 = loop.time();
        await runner.cleanup();
        expect(loop.time() - t0).toBeLessThan(2);
        expect(cancelled).toBe(true);
        expect((await closed).closed).toBe(true);
      },
      { shutdownTimeout: 0.1 },
    );
  });

  it("a second TCPSite serves the same application on another port", async () => {
    const app = appWith("GET", "/", () => new web.Response({ text: "both" }));
    await withApp(app, async (_url, runner) => {
      await new web.TCPSite(runner, "127.0.0.1", 0).start();
      expect(runner.addresses).toHaveLength(2);
      for (const [, port] of runner.addresses as [string, number][]) expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("both");
    });
  });
});

describe("runApp", () => {
  it("serves until SIGINT, lets the request in flight finish, and the process exits 0", async () => {
    const child = spawn(process.execPath, [join(root, "test", "asyncio", "http", "fixtures", "run-app.mjs")], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    onCleanup(() => child.kill("SIGKILL"));
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        stdout += d;
        const m = /======== Running on http:\/\/127\.0\.0\.1:(\d+) ========\n\(Press CTRL\+C to quit\)/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
      child.once("exit", () => reject(new Error(`exited early: ${stdout} ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const slow = fetch(`http://127.0.0.1:${port}/slow`);
    // The handler writes "started" to stdout when it begins.
    while (!stdout.includes("started")) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGINT");
    const r = await slow;
    expect([r.status, await r.text()]).toEqual([200, "slow done"]);
    expect(await exited).toBe(0);
    expect(stdout).toContain("cleaned up");
    expect(stderr).toBe("");
  });
});

describe("runApp inside a running loop", () => {
  it("serves on that loop, prints the banner with printFn, and cleans up when its task is cancelled", async () => {
    const events: string[] = [];
    const app = appWith("GET", "/", () => new web.Response({ text: "on the notebook's loop" }));
    app.onCleanup.push(() => void events.push("cleanup"));
    const loop = newLoop();
    await loop.runUntilComplete(async () => {
      const printed: string[] = [];
      const task = asyncio.createTask(() => web.runApp(app, { host: "127.0.0.1", port: 0, printFn: (text) => printed.push(text) }));
      while (printed.length === 0) await asyncio.sleep(0.01);
      const port = Number(/127\.0\.0\.1:(\d+) =/.exec(printed[0]!)![1]);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("on the notebook's loop");
      task.cancel();
      await expect(task).rejects.toThrow();
      expect(task.cancelled()).toBe(true);
      expect(events).toEqual(["cleanup"]);
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    });
    loop.close();
  });
});

describe("the public names", () => {
  it("web holds aiohttp's web names, and asyncio-ts/http adds web and Supervisor", () => {
    expect(Object.keys(web).sort()).toEqual(
      [
        "AppRunner",
        "Application",
        "BaseSite",
        "Request",
        "RequestHandler",
        "ResourceRoute",
        "Response",
        "StreamResponse",
        "TCPSite",
        "UnixSite",
        "UrlDispatcher",
        "delete",
        "get",
        "head",
        "jsonResponse",
        "patch",
        "post",
        "put",
        "route",
        "runApp",
        ...Object.keys(web).filter((k) => k.startsWith("HTTP")),
      ].sort(),
    );
    const statuses = Object.values(web)
      .filter((v): v is typeof web.HTTPException => typeof v === "function" && v.prototype instanceof web.HTTPException && (v as typeof web.HTTPException).statusCode > 0)
      .map((v) => v.statusCode)
      .sort((a, b) => a - b);
    expect(statuses).toEqual([
      200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422,
      424, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 510, 511,
    ]);
    expect(Object.keys(web).filter((k) => k.startsWith("HTTP")).length).toBe(statuses.length + 7);
    expect(typeof aiohttp.Supervisor).toBe("function");
  });
});
