// aiorest (src/asyncio/rest/server.ts): the class's "aiorest: example" slide line for line, then
// handlers of every kind, path parameters, the query, bodies, and the JSON errors (404, 405, 500,
// RESTError), driven by fetch, curl and a raw socket.
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../../src/asyncio/index.js";
import * as rest from "../../../src/asyncio/rest/index.js";
import { RESTError, RESTServer, type Request } from "../../../src/asyncio/rest/index.js";
import { newLoop } from "../../helpers.js";
import { captureLog, closeServer, portOf } from "../http/helpers.js";

const CURL = "/usr/bin/curl";

/** Serves `server` on a new loop, runs `body(base URL)` as a task, then closes everything. */
async function serving(configure: (server: RESTServer) => void, body: (url: string) => Promise<void>, options?: { debug?: boolean }): Promise<void> {
  const loop = newLoop();
  const server = new RESTServer({ hostname: "127.0.0.1", loop, ...options });
  configure(server);
  const srv = await loop.runUntilComplete(loop.createServer(server.makeHandler, "127.0.0.1", 0));
  try {
    await loop.runUntilComplete(() => body(`http://127.0.0.1:${portOf(srv)}`));
  } finally {
    await closeServer(loop, srv);
    loop.close();
  }
}

async function getJson(url: string, init?: RequestInit): Promise<[number, unknown, Headers]> {
  const res = await fetch(url, init);
  return [res.status, await res.json(), res.headers];
}

describe("aiorest: example", () => {
  it("runs the slide line for line: hello answers {'hello': 'world'}", async () => {
    // define a simple request handler
    // which accept no arguments
    // and responds with json
    function hello(request: Request) {
      void request;
      return { hello: "world" };
    }

    const loop = newLoop();
    const server = new RESTServer({ hostname: "127.0.0.1", loop: loop });

    // configure routes
    server.addUrl("GET", "/", hello);
    // create server
    const srv = await loop.runUntilComplete(loop.createServer(server.makeHandler, "127.0.0.1", 0));

    // loop.run_forever(), here until a client is answered
    const port = portOf(srv);
    const [status, json, headers] = await loop.runUntilComplete(() => getJson(`http://127.0.0.1:${port}/`));
    expect(status).toBe(200);
    expect(json).toEqual({ hello: "world" });
    expect(headers.get("content-type")).toBe("application/json; charset=utf-8");
    if (existsSync(CURL)) {
      const out = await loop.runUntilComplete(
        () => new Promise<string>((resolve, reject) => execFile(CURL, ["-s", `http://127.0.0.1:${port}/`], (err, stdout) => (err ? reject(err) : resolve(stdout)))),
      );
      expect(out).toBe('{"hello":"world"}');
    }
    await closeServer(loop, srv);
    loop.close();
  });
});

describe("RESTServer", () => {
  it("calls plain, async and generator handlers, and a coroutine() one", async () => {
    await serving(
      (server) => {
        server.addUrl("GET", "/plain", () => ({ kind: "plain" }));
        server.addUrl("GET", "/async", async () => {
          await asyncio.sleep(0.01);
          return { kind: "async" };
        });
        server.addUrl("GET", "/gen", function* gen() {
          yield* asyncio.sleep(0.01);
          return { kind: "generator" };
        });
        server.addUrl(
          "GET",
          "/coro",
          asyncio.coroutine(function* coro() {
            yield* asyncio.sleep(0);
            return { kind: "coroutine" };
          }),
        );
        server.addUrl("GET", "/nothing", () => undefined);
      },
      async (url) => {
        for (const kind of ["plain", "async", "gen", "coro"]) {
          const [status, json] = await getJson(`${url}/${kind}`);
          expect(status).toBe(200);
          expect((json as { kind: string }).kind).toBe(kind === "gen" ? "generator" : kind === "coro" ? "coroutine" : kind);
        }
        expect(await getJson(`${url}/nothing`)).toEqual([200, null, expect.anything()]);
      },
    );
  });

  it("gives path parameters (decoded), the query with repeated keys, headers and the body", async () => {
    await serving(
      (server) => {
        server.addUrl("GET", "/hello/{name}", (request) => ({ hello: request.matchInfo.name }));
        server.addUrl("GET", "/items/{id:\\d+}/{part}", (request) => ({ ...request.matchInfo, tags: request.query.getAll("tag"), agent: request.headers.get("x-agent") }));
        server.addUrl("POST", "/echo", (request) => {
          request.response.status = 201;
          request.response.headers.add("X-Echo", "yes");
          return { got: request.json(), text: request.text(), path: request.path, query: request.queryString };
        });
      },
      async (url) => {
        expect((await getJson(`${url}/hello/Guido%20van%20Rossum`))[1]).toEqual({ hello: "Guido van Rossum" });
        expect((await getJson(`${url}/items/42/top?tag=a&tag=b`, { headers: { "X-Agent": "test" } }))[1]).toEqual({ id: "42", part: "top", tags: ["a", "b"], agent: "test" });
        expect((await getJson(`${url}/items/x/top`))[0]).toBe(404);
        const [status, json, headers] = await getJson(`${url}/echo?q=1`, { method: "POST", body: JSON.stringify({ a: [1, 2] }) });
        expect(status).toBe(201);
        expect(headers.get("x-echo")).toBe("yes");
        expect(json).toEqual({ got: { a: [1, 2] }, text: '{"a":[1,2]}', path: "/echo", query: "q=1" });
      },
    );
  });

  it("answers an unknown path 404, a wrong method 405 with Allow, each with a JSON error", async () => {
    await serving(
      (server) => {
        server.addUrl("GET", "/", () => ({ hello: "world" }));
        server.addUrl("POST", "/", () => ({ posted: true }));
        server.addUrl("PUT", "/things/{id}", () => ({}));
      },
      async (url) => {
        expect(await getJson(`${url}/missing`)).toEqual([404, { error: "Not Found" }, expect.anything()]);
        const [status, json, headers] = await getJson(`${url}/`, { method: "DELETE" });
        expect([status, json]).toEqual([405, { error: "Method Not Allowed" }]);
        expect(headers.get("allow")).toBe("GET, POST");
        const [s2, , h2] = await getJson(`${url}/things/1`);
        expect(s2).toBe(405);
        expect(h2.get("allow")).toBe("PUT");
        // HEAD is answered by the GET route, without a body.
        const head = await fetch(`${url}/`, { method: "HEAD" });
        expect(head.status).toBe(200);
        expect(head.headers.get("content-length")).toBe(String('{"hello":"world"}'.length));
        expect(await head.text()).toBe("");
      },
    );
  });

  it("answers a handler that throws 500 with a JSON error, logged with its traceback (in the body too in debug mode)", async () => {
    const log = captureLog();
    for (const debug of [false, true]) {
      log.length = 0;
      await serving(
        (server) => {
          server.addUrl("GET", "/boom", () => {
            throw new Error("handler exploded");
          });
          server.addUrl("GET", "/async-boom", async () => {
            await asyncio.sleep(0);
            throw new TypeError("async exploded");
          });
          server.addUrl("GET", "/cycle", () => {
            const o: Record<string, unknown> = {};
            o.self = o;
            return o;
          });
          server.addUrl("GET", "/ok", () => ({ ok: true }));
        },
        async (url) => {
          const [status, json] = await getJson(`${url}/boom`);
          expect(status).toBe(500);
          expect((json as { error: string }).error).toBe("Internal Server Error");
          if (debug) expect((json as { traceback: string }).traceback).toContain("Error: handler exploded\n    at ");
          else expect(json).toEqual({ error: "Internal Server Error" });
          expect((await getJson(`${url}/async-boom`))[0]).toBe(500);
          expect(await getJson(`${url}/cycle`)).toEqual([500, { error: "Internal Server Error" }, expect.anything()]);
          expect((await getJson(`${url}/ok`))[1]).toEqual({ ok: true });
        },
        { debug },
      );
      expect(log.filter((r) => r.levelName === "ERROR").map((r) => r.message)).toEqual([
        "Error handling request GET /boom",
        "Error handling request GET /async-boom",
        "Error handling request GET /cycle: its result cannot be sent as JSON",
      ]);
      expect((log[0]!.exception as Error).stack).toContain("handler exploded\n    at ");
    }
  });

  it("answers a RESTError with its status, body and headers; bad JSON 400, a body over maxBodySize 413", async () => {
    const log = captureLog();
    const loop = newLoop();
    const server = new RESTServer({ hostname: "127.0.0.1", loop, maxBodySize: 1000 });
    server.addUrl("GET", "/teapot", () => {
      throw new RESTError(418, "I'm a teapot", { headers: { "X-Why": "tea" } });
    });
    server.addUrl("GET", "/custom", () => {
      throw new RESTError(409, undefined, { body: { conflict: ["a", "b"] } });
    });
    server.addUrl("POST", "/json", (request) => request.json());
    const srv = await loop.runUntilComplete(loop.createServer(server.makeHandler, "127.0.0.1", 0));
    const url = `http://127.0.0.1:${portOf(srv)}`;
    await loop.runUntilComplete(async () => {
      const [status, json, headers] = await getJson(`${url}/teapot`);
      expect([status, json, headers.get("x-why")]).toEqual([418, { error: "I'm a teapot" }, "tea"]);
      expect((await getJson(`${url}/custom`)).slice(0, 2)).toEqual([409, { conflict: ["a", "b"] }]);
      expect((await getJson(`${url}/json`, { method: "POST", body: "{not json" })).slice(0, 2)).toEqual([400, { error: "Request body is not valid JSON" }]);
      expect((await getJson(`${url}/json`, { method: "POST", body: JSON.stringify("x".repeat(2000)) })).slice(0, 2)).toEqual([
        413,
        { error: "Request body larger than 1000 bytes" },
      ]);
      expect((await getJson(`${url}/json`, { method: "POST", body: "[1,2,3]" })).slice(0, 2)).toEqual([200, [1, 2, 3]]);
    });
    await closeServer(loop, srv);
    loop.close();
    expect(log.filter((r) => r.levelName === "ERROR")).toEqual([]);
  });

  it("keeps connections alive and answers pipelined requests in order; bad requests get 400", async () => {
    await serving(
      (server) => {
        server.addUrl("GET", "/n/{n}", async (request) => {
          if (request.matchInfo.n === "1") await asyncio.sleep(0.03);
          return { n: Number(request.matchInfo.n) };
        });
      },
      async (url) => {
        const port = Number(new URL(url).port);
        const text = await new Promise<string>((resolve, reject) => {
          const sock = net.connect(port, "127.0.0.1");
          let got = "";
          sock.on("data", (d) => (got += d.toString()));
          sock.on("close", () => resolve(got));
          sock.on("error", reject);
          sock.write("GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /n/2 HTTP/1.1\r\nHost: x\r\n\r\nGET /n/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        });
        expect([...text.matchAll(/\{"n":(\d)\}/g)].map((m) => m[1])).toEqual(["1", "2", "3"]);
        const bad = await new Promise<string>((resolve) => {
          const sock = net.connect(port, "127.0.0.1", () => sock.write("NOT HTTP\r\n\r\n"));
          let got = "";
          sock.on("data", (d) => (got += d.toString()));
          sock.on("close", () => resolve(got));
        });
        expect(bad).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      },
    );
  });

  it("makeHandler works unbound, and addUrl refuses what cannot be a route", () => {
    const server = new RESTServer({ hostname: "localhost" });
    const { makeHandler } = server;
    expect(makeHandler()).toBeInstanceOf(asyncio.Protocol);
    expect(() => server.addUrl("GET", "no-slash", () => 1)).toThrow("A path must start with '/'");
    expect(() => server.addUrl("GET", "/{open", () => 1)).toThrow("'{' is not closed");
    expect(() => server.addUrl("GET", "/{a}/{a}", () => 1)).toThrow("empty or repeated");
    expect(() => server.addUrl("GET", "/", "not a function" as never)).toThrow(TypeError);
    expect(String(server)).toBe("<RESTServer localhost>");
  });
});

describe("asyncio-ts/rest", () => {
  it("is exactly the intended list of names, and imports by the package's name", () => {
    expect(Object.keys(rest).sort()).toEqual(["RESTError", "RESTRequestHandler", "RESTServer", "Request", "ResponseInfo"]);
    const script = `import { RESTServer } from "asyncio-ts/rest"; import { ServerHttpProtocol, Response, MultiDict } from "asyncio-ts/http"; console.log([RESTServer, ServerHttpProtocol, Response, MultiDict].map((f) => f.name).join(" "));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: new URL("../../..", import.meta.url), encoding: "utf8" });
    expect(out.trim()).toBe("RESTServer ServerHttpProtocol Response MultiDict");
  });
});
