// MultiDict and CIMultiDict (src/asyncio/http/multidict.ts): the complete server's
// `MultiDict(parse_qsl(urlparse(message.path).query))` in one line, repeated keys in order,
// Python's repr, case-insensitive header lookups.
import { describe, expect, it } from "vitest";
import { CIMultiDict, MultiDict } from "../../../src/asyncio/http/index.js";

describe("MultiDict", () => {
  it("is made from a query string's URLSearchParams, keeping repeated keys in order (the complete server)", () => {
    const getParams = new MultiDict(new URL("/?a=1&b=2&a=3&c=", "http://x").searchParams);
    expect(getParams.get("a")).toBe("1");
    expect(getParams.getAll("a")).toEqual(["1", "3"]);
    expect(getParams.get("c")).toBe("");
    expect(getParams.get("zz")).toBe(undefined);
    expect(getParams.get("zz", "default")).toBe("default");
    expect(getParams.getAll("zz")).toEqual([]);
    expect(getParams.size).toBe(4);
    expect([...getParams]).toEqual([
      ["a", "1"],
      ["b", "2"],
      ["a", "3"],
      ["c", ""],
    ]);
    expect([...getParams.keys()]).toEqual(["a", "b", "a", "c"]);
    expect([...getParams.values()]).toEqual(["1", "2", "3", ""]);
    expect(new MultiDict(new URL("/", "http://x").searchParams).size).toBe(0);
  });

  it("prints as Python's repr", () => {
    expect(
      String(
        new MultiDict([
          ["a", "1"],
          ["a", "2"],
        ]),
      ),
    ).toBe("<MultiDict('a': '1', 'a': '2')>");
    expect(String(new MultiDict())).toBe("<MultiDict()>");
    expect(String(new MultiDict({ "it's": 'say "hi"' }))).toBe(`<MultiDict("it's": 'say "hi"')>`);
    expect(String(new CIMultiDict([["Host", "x"]]))).toBe("<CIMultiDict('Host': 'x')>");
  });

  it("is made from pairs, a Map, an object or another MultiDict; add, set, delete, extend, copy", () => {
    const md = new MultiDict<string>([["k", "1"]]);
    md.add("k", "2");
    md.add("j", "3");
    md.extend(new Map([["k", "4"]]));
    expect(md.getAll("k")).toEqual(["1", "2", "4"]);
    const copy = md.copy();
    md.set("k", "only");
    expect([...md]).toEqual([
      ["k", "only"],
      ["j", "3"],
    ]);
    expect([...copy.items()]).toEqual([
      ["k", "1"],
      ["k", "2"],
      ["j", "3"],
      ["k", "4"],
    ]);
    expect(copy).toBeInstanceOf(MultiDict);
    expect(md.delete("k")).toBe(true);
    expect(md.delete("k")).toBe(false);
    expect(md.has("j")).toBe(true);
    expect([...new MultiDict(md)]).toEqual([["j", "3"]]);
    md.clear();
    expect(md.size).toBe(0);
  });

  it("keeps case in its keys; CIMultiDict compares them without it, as header names", () => {
    const plain = new MultiDict([["Content-Type", "a"]]);
    expect(plain.get("content-type")).toBe(undefined);
    const headers = new CIMultiDict([
      ["Content-Type", "text/html"],
      ["Set-Cookie", "a=1"],
      ["set-cookie", "b=2"],
    ]);
    expect(headers.get("content-type")).toBe("text/html");
    expect(headers.getAll("SET-COOKIE")).toEqual(["a=1", "b=2"]);
    expect([...headers.keys()]).toEqual(["Content-Type", "Set-Cookie", "set-cookie"]);
    headers.set("CONTENT-TYPE", "text/plain");
    expect([...headers]).toEqual([
      ["Content-Type", "text/plain"],
      ["Set-Cookie", "a=1"],
      ["set-cookie", "b=2"],
    ]);
    expect(headers.copy()).toBeInstanceOf(CIMultiDict);
  });

  it("iterates a snapshot: changing it while iterating does not disturb the loop", () => {
    const md = new MultiDict([
      ["a", "1"],
      ["b", "2"],
    ]);
    const seen: string[] = [];
    for (const [k] of md) {
      seen.push(k);
      md.add("c", "3");
    }
    expect(seen).toEqual(["a", "b"]);
  });
});
