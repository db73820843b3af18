// The REST server's routes (src/asyncio/http/router.ts): patterns with parameters, what is
// found, what is not (404) and what is there for other methods (405).
import { describe, expect, it } from "vitest";
import { Router, compilePattern } from "../../../src/asyncio/http/router.js";

describe("Router", () => {
  it("finds exact paths and patterns, with the parameters decoded", () => {
    const r = new Router<string>();
    r.add("GET", "/", "root");
    r.add("get", "/users/{id}", "user");
    r.add("GET", "/users/{id}/posts/{post:\\d{2,3}}", "post");
    r.add("GET", "/files/{path:.+}", "file");
    expect(r.resolve("GET", "/")).toEqual({ kind: "found", handler: "root", matchInfo: {} });
    expect(r.resolve("GET", "/users/a%2Fb")).toEqual({ kind: "found", handler: "user", matchInfo: { id: "a/b" } });
    expect(r.resolve("GET", "/users/7/posts/123")).toEqual({ kind: "found", handler: "post", matchInfo: { id: "7", post: "123" } });
    expect(r.resolve("GET", "/users/7/posts/1").kind).toBe("notFound");
    expect(r.resolve("GET", "/files/a/b/c.txt")).toEqual({ kind: "found", handler: "file", matchInfo: { path: "a/b/c.txt" } });
    expect(r.resolve("GET", "/users/%E0%A4%A").kind).toBe("badPath");
  });

  it("tells a path with no route (notFound) from one with routes for other methods (405, sorted Allow)", () => {
    const r = new Router<string>();
    r.add("POST", "/x", "post");
    r.add("DELETE", "/x", "delete");
    r.add("PUT", "/y/{id}", "put");
    r.add("*", "/any", "any");
    expect(r.resolve("GET", "/nope")).toEqual({ kind: "notFound" });
    expect(r.resolve("GET", "/x")).toEqual({ kind: "methodNotAllowed", allowed: ["DELETE", "POST"] });
    expect(r.resolve("GET", "/y/1")).toEqual({ kind: "methodNotAllowed", allowed: ["PUT"] });
    expect(r.resolve("PATCH", "/any").kind).toBe("found");
  });

  it("answers HEAD with the GET route when there is no HEAD route", () => {
    const r = new Router<string>();
    r.add("GET", "/a", "get-a");
    r.add("GET", "/b/{x}", "get-b");
    r.add("HEAD", "/c", "head-c");
    r.add("GET", "/c", "get-c");
    expect(r.resolve("HEAD", "/a")).toMatchObject({ kind: "found", handler: "get-a" });
    expect(r.resolve("HEAD", "/b/1")).toMatchObject({ kind: "found", handler: "get-b" });
    expect(r.resolve("HEAD", "/c")).toMatchObject({ kind: "found", handler: "head-c" });
  });

  it("compiles patterns, escaping what is literal", () => {
    expect(compilePattern("/plain.json")).toBe(null);
    const c = compilePattern("/v1.0/{name}.json")!;
    expect(c.names).toEqual(["name"]);
    expect(c.regexp.test("/v1.0/x.json")).toBe(true);
    expect(c.regexp.test("/v1x0/x.json")).toBe(false);
    expect(c.regexp.test("/v1.0/a/b.json")).toBe(false);
  });
});
