// The TypeScript 7 checker: cells checked against earlier cells, the library's and Node's
// types; completion and inspection by type. One checker per group, cells checked in order as
// the kernel would (its worker is the built dist/kernel/checker.js).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckerError, TypeChecker, codePointOffset, utf16Offset, type Completions } from "../../src/kernel/checker.js";

const SETUP = 'import * as asyncio from "asyncio";\nconst future = new asyncio.Future<string>();\nconst loop = asyncio.getEventLoop();';

/** `|` marks the cursor; returns the code without it and the cursor in code points. */
function at(marked: string): [string, number] {
  const i = marked.indexOf("|");
  const code = marked.slice(0, i) + marked.slice(i + 1);
  return [code, codePointOffset(code, i)];
}

function names(c: Completions): string[] {
  return c.matches.map((m) => m.text);
}

describe("TypeChecker: checking cells", () => {
  let checker: TypeChecker;
  let count = 0;
  const check = (source: string) => checker.check(source, ++count);
  beforeAll(async () => {
    checker = new TypeChecker({ cwd: process.cwd() });
    checker.start();
    expect(await check(SETUP)).toEqual([]);
  });
  afterAll(() => checker.close());

  it("reports a wrong assignment with its line, column, code and message", async () => {
    expect(await check('const a = 1;\nconst n: number = "x";')).toEqual([
      { line: 2, column: 7, code: "TS2322", message: "Type 'string' is not assignable to type 'number'.", category: "error" },
    ]);
  });

  it("knows the types of values made in earlier cells: setResult(42) on a Future<string>", async () => {
    expect(await check("future.setResult(42);")).toEqual([expect.objectContaining({ line: 1, column: 18, code: "TS2345" })]);
    expect(await check('future.setResult("Your Name");\nfuture.result().toUpperCase()')).toEqual([]);
  });

  it("reports a missing property", async () => {
    const [d] = await check("loop.runUntilComplete(future);\nfuture.nope();");
    expect(d).toEqual(expect.objectContaining({ line: 2, column: 8, code: "TS2339" }));
    expect(d?.message).toContain("Property 'nope' does not exist on type 'Future<string>'");
  });

  it("lets a later cell declare a name again, replacing it for the cells after it", async () => {
    expect(await check("let x = 1;\nfunction f(): number { return 1; }")).toEqual([]);
    expect(await check('const x = "again";\nfunction f(): string { return "s"; }')).toEqual([]);
    expect(await check("const s: string = x + f();")).toEqual([]);
    expect(await check("const n: number = x;")).toEqual([expect.objectContaining({ code: "TS2322", line: 1, column: 7 })]);
  });

  it("keeps the classes, generics, interfaces, enums and namespaces of earlier cells, as values and as types", async () => {
    expect(await check("class Box<T> { constructor(public v: T) {} }\ninterface Pt { x: number }\nenum Color { Red, Green }\nnamespace NS { export type T = string; }")).toEqual(
      [],
    );
    expect(
      await check(
        'const b: Box<string> = new Box("s");\nconst p: Pt = { x: 1 };\nconst c: Color.Red = Color.Red;\nconst t: NS.T = b.v;\nconst f2: asyncio.Future<number> = new asyncio.Future<number>();',
      ),
    ).toEqual([]);
    expect(await check('const wrong: Box<number> = new Box("s");')).toEqual([expect.objectContaining({ code: "TS2322" })]);
  });

  it("does not accept a cell with an error: its names stay unknown to later cells", async () => {
    expect(await check('const broken: number = "x";')).toHaveLength(1);
    expect(await check("broken")).toEqual([expect.objectContaining({ code: "TS2304", message: "Cannot find name 'broken'." })]);
  });

  it("allows top-level await, a last expression, Node's built-ins and the library under both names", async () => {
    expect(await check('import * as net from "node:net";\nimport { sleep } from "asyncio-ts";\nawait sleep(0);\nnet.isIP("127.0.0.1") + process.pid')).toEqual([]);
  });

  it("skips a cell whose first line is // @ts-nocheck, and still knows its names", async () => {
    expect(await check('// @ts-nocheck\nconst unchecked: number = "x";\nconst label = "ok";')).toEqual([]);
    expect(await check("const upper: string = label.toUpperCase();")).toEqual([]);
  });

  it("add(): a cell run without a check is known to later cells", async () => {
    await checker.add("const added = new Map<string, number>();", ++count);
    expect(await check('added.set("a", "b");')).toEqual([expect.objectContaining({ code: "TS2345" })]);
  });

  it("reports a syntax error as TypeScript does", async () => {
    expect(await check('const s = "abc')).toEqual([expect.objectContaining({ code: "TS1002", line: 1, column: 15 })]);
  });

  it("counts columns in code points: an emoji before the error is one column", async () => {
    expect(await check('const e = "😀😀"; const m: number = e;')).toEqual([expect.objectContaining({ line: 1, column: 23, code: "TS2322" })]);
  });
});

describe("TypeChecker: completion and inspection", () => {
  let checker: TypeChecker;
  beforeAll(async () => {
    checker = new TypeChecker({ cwd: process.cwd() });
    expect(await checker.check(SETUP, 1)).toEqual([]);
  });
  afterAll(() => checker.close());

  it("completes the members of a Future made in an earlier cell, with kinds and types, no _ names", async () => {
    const c = await checker.complete(...at("future.|"));
    expect(names(c)).toEqual(expect.arrayContaining(["setResult", "done", "result", "cancel", "addDoneCallback"]));
    expect(names(c).filter((n) => n.startsWith("_"))).toEqual([]);
    expect(c.matches.find((m) => m.text === "setResult")).toEqual({ text: "setResult", kind: "method", type: "(result: string) => void" });
    expect(c).toEqual(expect.objectContaining({ cursorStart: 7, cursorEnd: 7 }));
  });

  it("offers _ names once _ is typed", async () => {
    // The library's own internals are not in its published types (issue 14): the display
    // protocol's names are the `_` names a monitor has.
    const c = await checker.complete(...at("asyncio.monitor()._|"));
    expect(names(c)).toEqual(expect.arrayContaining(["_repr_mimebundle_", "_ipython_display_"]));
    expect(names(c).every((n) => n.startsWith("_"))).toBe(true);
    expect(c.cursorStart).toBe(18);
  });

  it("completes the library's names after asyncio., filtered by the part of the name typed", async () => {
    const c = await checker.complete(...at("await asyncio.sl|"));
    expect(names(c)).toEqual(["sleep"]);
    expect(c.matches[0]?.type).toContain("(delay: number");
    expect(c).toEqual(expect.objectContaining({ cursorStart: 14, cursorEnd: 16 }));
    expect(names(await checker.complete(...at("asyncio.|")))).toEqual(expect.arrayContaining(["Future", "Task", "gather", "sleep", "getEventLoop"]));
  });

  it("completes a loop's methods", async () => {
    const c = await checker.complete(...at("loop.call|"));
    expect(names(c)).toEqual(expect.arrayContaining(["callSoon", "callLater", "callAt"]));
    expect(names(c).every((n) => n.toLowerCase().startsWith("call"))).toBe(true);
  });

  it("completes mid-line, with the text after the cursor left alone", async () => {
    const c = await checker.complete(...at("const d = future.do| + 1; console.log(d)"));
    expect(names(c)).toEqual(["done"]);
    expect(c).toEqual(expect.objectContaining({ cursorStart: 17, cursorEnd: 19 }));
  });

  it("gives the range in code points after a multi-byte character", async () => {
    const [code, cursor] = at('const 😀 = "smile"; future.se|');
    expect(cursor).toBe(code.length - 1); // the emoji is two UTF-16 units, one code point
    const c = await checker.complete(code, cursor);
    expect(names(c)).toEqual(expect.arrayContaining(["setResult", "setException"]));
    expect(c).toEqual(expect.objectContaining({ cursorStart: cursor - 2, cursorEnd: cursor }));
  });

  it("completes names in scope: the cell's own, earlier cells', globals and keywords, the nearest first", async () => {
    const c = await checker.complete(...at("function twice(value: number) { const valid = true; return va| }"));
    expect(names(c).slice(0, 2)).toEqual(expect.arrayContaining(["value", "valid"]));
    expect(c.matches.find((m) => m.text === "value")).toEqual({ text: "value", kind: "param", type: "number" });
    expect(names(c)).toContain("var");
    expect(names(await checker.complete(...at("fut|")))).toEqual(["future"]);
    expect(names(await checker.complete(...at("proc|")))).toContain("process");
  });

  it("completes module names in an import's string", async () => {
    const c = await checker.complete(...at('import * as net from "node:ne|'));
    expect(names(c)).toContain("node:net");
    expect(c.cursorStart).toBe('import * as net from "'.length);
  });

  it("inspects asyncio.sleep: the signature with types and its TSDoc, as text and markdown", async () => {
    const i = await checker.inspect(...at("asyncio.sle|ep"));
    expect(i?.signature).toBe("function asyncio.sleep<T = undefined>(delay: number, result?: T | undefined): CoroutineObject<T>");
    expect(i?.documentation).toContain("Waits `delay` seconds");
    expect(i?.data["text/plain"]).toContain("Waits `delay` seconds");
    expect(i?.data["text/markdown"]).toMatch(/^```ts\nfunction asyncio\.sleep/);
  });

  it("inspects the function whose call the cursor is in: sleep(| and after an argument", async () => {
    expect((await checker.inspect(...at("await asyncio.sleep(|")))?.signature).toContain("asyncio.sleep<T = undefined>(delay: number");
    expect((await checker.inspect(...at("await asyncio.sleep(0.1, |")))?.signature).toContain("asyncio.sleep");
    expect((await checker.inspect(...at("future.setResult(|")))?.signature).toBe("(method) future.setResult(result: string): void");
  });

  it("inspects values, classes and their tags", async () => {
    expect((await checker.inspect(...at("futu|re")))?.signature).toBe("(variable) future: Future<string>");
    const cls = await checker.inspect(...at("new asyncio.Fut|ure<number>()"));
    expect(cls?.signature).toMatch(/^class Future<T>\nnew asyncio\.Future\(/);
    expect(cls?.documentation).toContain("*@example*\n```ts");
  });

  it("finds nothing where there is no name", async () => {
    expect(await checker.inspect(...at("  |  "))).toBeNull();
  });
});

describe("TypeChecker: options and life cycle", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "asyncio-ts-checker-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("checks strictly without a tsconfig.json, and with the notebook's tsconfig.json when there is one", async () => {
    const strict = new TypeChecker({ cwd: dir });
    try {
      expect(await strict.check("function f(x) { return x; }", 1)).toEqual([expect.objectContaining({ code: "TS7006" })]);
    } finally {
      await strict.close();
    }
    writeFileSync(join(dir, "tsconfig.json"), '{\n  // the notebook\'s own options\n  "compilerOptions": { "strict": false, "target": "ES2022" },\n}\n');
    const loose = new TypeChecker({ cwd: dir });
    try {
      expect(await loose.check('function f(x) { return x; }\nimport { sleep } from "asyncio";\nawait sleep(0);', 1)).toEqual([]);
    } finally {
      await loose.close();
    }
  });

  it("resolves a cell's relative import from the notebook's folder, and leaves the notebook's own project out", async () => {
    const nb = mkdtempSync(join(tmpdir(), "asyncio-ts-checker-nb-"));
    try {
      writeFileSync(join(nb, "helpers.ts"), "export function double(n: number): number { return n * 2; }\n");
      mkdirSync(join(nb, "src"));
      writeFileSync(join(nb, "src", "ambient.d.ts"), "declare const fromProject: number;\n");
      writeFileSync(join(nb, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true }, include: ["src"] }));
      const checker = new TypeChecker({ cwd: nb });
      try {
        expect(await checker.check('import { double } from "./helpers.ts";\nconst s: string = double(2);', 1)).toEqual([expect.objectContaining({ line: 2, code: "TS2322" })]);
        expect(await checker.check("fromProject", 2)).toEqual([expect.objectContaining({ code: "TS2304" })]);
      } finally {
        await checker.close();
      }
    } finally {
      rmSync(nb, { recursive: true, force: true });
    }
  });

  it("starts without blocking: start() returns at once and the first check comes after", async () => {
    const checker = new TypeChecker({ cwd: dir });
    try {
      const t0 = performance.now();
      checker.start();
      expect(performance.now() - t0).toBeLessThan(200);
      expect(await checker.check("const n: number = 1;", 1)).toEqual([]);
    } finally {
      await checker.close();
    }
  });

  it("rejects requests with CheckerError once closed", async () => {
    const checker = new TypeChecker({ cwd: dir });
    expect(await checker.check("1", 1)).toEqual([]);
    await checker.close();
    await expect(checker.check("1", 2)).rejects.toBeInstanceOf(CheckerError);
  });

  it("converts between code points and UTF-16 offsets", () => {
    const s = "a😀b";
    expect(utf16Offset(s, 2)).toBe(3);
    expect(codePointOffset(s, 3)).toBe(2);
    expect(utf16Offset(s, 10)).toBe(4);
  });
});
