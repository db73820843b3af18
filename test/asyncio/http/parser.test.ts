// The guard on Node's internal HTTP parser (src/asyncio/http/parser.ts): the shape of
// `_http_common.HTTPParser` the server relies on, checked directly, so that a Node release that
// changes it fails here, by name, rather than as a wrong parse somewhere else. Then what
// RequestParser makes of requests: fields, pieces, many headers, pipelining, chunks, errors.
import { METHODS } from "node:http";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { HttpParseError, RequestParser, _methodNames, type RequestParserHandler } from "../../../src/asyncio/http/parser.js";

type Event = ["headers", string, string, string, string[], boolean, boolean] | ["body", string] | ["complete"];

function recorder(): { events: Event[]; bodies: Buffer[]; handler: RequestParserHandler } {
  const events: Event[] = [];
  const bodies: Buffer[] = [];
  return {
    events,
    bodies,
    handler: {
      onHeadersComplete: (method, url, major, minor, raw, upgrade, keepAlive) => events.push(["headers", method, url, `${major}.${minor}`, raw, upgrade, keepAlive]),
      onBody: (chunk) => {
        bodies.push(chunk);
        events.push(["body", chunk.toString()]);
      },
      onMessageComplete: () => events.push(["complete"]),
    },
  };
}

describe("Node's internal HTTP parser (_http_common.HTTPParser), as parser.ts uses it", () => {
  it("has the exports, callback slots and methods it was checked with on Node 20 and 24", () => {
    const common = createRequire(import.meta.url)("_http_common") as { HTTPParser: Record<string, unknown> & { prototype: Record<string, unknown> } };
    const P = common.HTTPParser;
    expect(typeof P, "_http_common.HTTPParser is gone: parser.ts needs another way to llhttp").toBe("function");
    for (const slot of ["REQUEST", "kOnHeaders", "kOnHeadersComplete", "kOnBody", "kOnMessageComplete", "kLenientNone"]) {
      expect(typeof P[slot], `HTTPParser.${slot}`).toBe("number");
    }
    for (const method of ["initialize", "execute", "finish", "close"]) {
      expect(typeof P.prototype[method], `HTTPParser.prototype.${method}`).toBe("function");
    }
  });

  it("knows llhttp's number for every method node:http knows (QUERY's is not its index in _http_common.methods)", () => {
    const names = _methodNames().filter((n) => n !== undefined);
    expect([...names].sort()).toEqual([...METHODS].sort());
  });
});

describe("RequestParser", () => {
  it("gives the method, target, version, raw headers and keep-alive verdict of each request", () => {
    const r = recorder();
    const p = new RequestParser(r.handler);
    expect(p.execute(Buffer.from("GET /a?x=1&x=2 HTTP/1.1\r\nHost: h\r\nX-Two: 1\r\nx-two: 2\r\n\r\n"))).toBe(null);
    expect(p.execute(Buffer.from("QUERY /q HTTP/1.0\r\nConnection: keep-alive\r\n\r\nDELETE /b HTTP/1.0\r\n\r\n"))).toBe(null);
    // After a request that closes the connection, llhttp takes nothing more.
    expect(p.execute(Buffer.from("GET / HTTP/1.1\r\n\r\n"))?.code).toBe("HPE_CLOSED_CONNECTION");
    p.free();
    expect(r.events).toEqual([
      ["headers", "GET", "/a?x=1&x=2", "1.1", ["Host", "h", "X-Two", "1", "x-two", "2"], false, true],
      ["complete"],
      ["headers", "QUERY", "/q", "1.0", ["Connection", "keep-alive"], false, true],
      ["complete"],
      ["headers", "DELETE", "/b", "1.0", [], false, false],
      ["complete"],
    ]);
  });

  it("puts together a request that comes one byte at a time, and one with many headers", () => {
    const r = recorder();
    const p = new RequestParser(r.handler);
    for (const c of "POST /slow HTTP/1.1\r\nHost: abc\r\nContent-Length: 3\r\n\r\nxyz") expect(p.execute(Buffer.from(c))).toBe(null);
    const many = Array.from({ length: 100 }, (_, i) => `X-H${i}: v${i}\r\n`).join("");
    // llhttp hands over more than 32 headers in batches (the kOnHeaders slow path).
    expect(p.execute(Buffer.from(`GET /many HTTP/1.1\r\n${many}\r\n`))).toBe(null);
    p.free();
    expect(r.events[0]).toEqual(["headers", "POST", "/slow", "1.1", ["Host", "abc", "Content-Length", "3"], false, true]);
    expect(
      r.events
        .filter((e) => e[0] === "body")
        .map((e) => e[1])
        .join(""),
    ).toBe("xyz");
    const manyHeaders = r.events.find((e) => e[0] === "headers" && e[2] === "/many") as Extract<Event, ["headers", ...unknown[]]>;
    expect(manyHeaders[4]).toHaveLength(200);
    expect(manyHeaders[4].slice(-2)).toEqual(["X-H99", "v99"]);
  });

  it("decodes chunked bodies and hands over chunks that are copies (the input buffer may be reused)", () => {
    const r = recorder();
    const p = new RequestParser(r.handler);
    const input = Buffer.from("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n");
    expect(p.execute(input)).toBe(null);
    input.fill(0);
    p.free();
    expect(r.bodies.map(String)).toEqual(["hello", " world"]);
    expect(r.events.at(-1)).toEqual(["complete"]);
  });

  it("flags upgrade requests and stops at their end", () => {
    const r = recorder();
    const p = new RequestParser(r.handler);
    expect(p.execute(Buffer.from("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nnot http"))).toBe(null);
    p.free();
    expect(r.events).toEqual([["headers", "GET", "/ws", "1.1", ["Connection", "Upgrade", "Upgrade", "websocket"], true, true], ["complete"]]);
  });

  it("rejects bad requests with llhttp's code and the status node:http answers with", () => {
    const cases: [string, string, number][] = [
      ["GARBAGE\r\n\r\n", "HPE_INVALID_METHOD", 400],
      ["GET / HTTP/1.1\r\nBad Header\r\n\r\n", "HPE_INVALID_HEADER_TOKEN", 400],
      [`GET / HTTP/1.1\r\nX: ${"a".repeat(20_000)}\r\n\r\n`, "HPE_HEADER_OVERFLOW", 431],
      ["POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "HPE_UNEXPECTED_CONTENT_LENGTH", 400],
      ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HPE_INVALID_CHUNK_SIZE", 400],
    ];
    for (const [input, code, status] of cases) {
      const p = new RequestParser(recorder().handler);
      const err = p.execute(Buffer.from(input));
      p.free();
      expect(err, input).toBeInstanceOf(HttpParseError);
      expect([err!.code, err!.status], input).toEqual([code, status]);
      expect(err!.message).toMatch(/^Parse Error: /);
    }
    const small = new RequestParser(recorder().handler, 64);
    expect(small.execute(Buffer.from(`GET / HTTP/1.1\r\nX: ${"a".repeat(100)}\r\n\r\n`))?.status).toBe(431);
    small.free();
  });

  it("reports a body cut off by the end of the stream at finish(), and nothing for a clean end", () => {
    const cut = new RequestParser(recorder().handler);
    expect(cut.execute(Buffer.from("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"))).toBe(null);
    expect(cut.finish()?.code).toBe("HPE_INVALID_EOF_STATE");
    cut.free();
    const clean = new RequestParser(recorder().handler);
    expect(clean.execute(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toBe(null);
    expect(clean.finish()).toBe(null);
    clean.free();
  });

  it("tells whether the bytes so far end inside a message, and goes on parsing after being asked", () => {
    const r = recorder();
    const p = new RequestParser(r.handler);
    expect(p.inMessage()).toBe(false);
    expect(p.execute(Buffer.from("GET /a HTTP/1.1\r\nHo"))).toBe(null);
    expect(p.inMessage()).toBe(true);
    expect(p.inMessage()).toBe(true);
    expect(p.execute(Buffer.from("st: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nab"))).toBe(null);
    expect(p.inMessage()).toBe(true);
    expect(p.execute(Buffer.from("c"))).toBe(null);
    expect(p.inMessage()).toBe(false);
    p.free();
    expect(p.inMessage()).toBe(false);
    expect(r.events).toEqual([
      ["headers", "GET", "/a", "1.1", ["Host", "x"], false, true],
      ["complete"],
      ["headers", "POST", "/b", "1.1", ["Content-Length", "3"], false, true],
      ["body", "ab"],
      ["body", "c"],
      ["complete"],
    ]);
  });

  it("is reusable once freed: a new parser starts clean, and a freed one takes nothing", () => {
    const a = recorder();
    const first = new RequestParser(a.handler);
    first.execute(Buffer.from("GET /half HTTP/1.1\r\nHo"));
    first.free();
    first.free();
    expect(first.execute(Buffer.from("st: x\r\n\r\n"))).toBe(null);
    const b = recorder();
    const second = new RequestParser(b.handler);
    expect(second.execute(Buffer.from("GET /whole HTTP/1.1\r\n\r\n"))).toBe(null);
    second.free();
    expect(a.events).toEqual([]);
    expect(b.events.map((e) => e[0])).toEqual(["headers", "complete"]);
  });
});
