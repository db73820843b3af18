// The cell compiler: REPL semantics for TypeScript cells, proved by running compiled cells in
// a fresh vm context one after another, as the kernel runs them.
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { CellSyntaxError, IMPORT_FUNCTION, RESULT_KEY, compileCell } from "../../src/kernel/compiler.js";

/** A tiny stand-in for the kernel: one global scope, cells run in order. */
function session(modules: Record<string, unknown> = {}) {
  const context = vm.createContext({ [IMPORT_FUNCTION]: async (spec: string) => modules[spec] ?? { spec } });
  return {
    context,
    async run(source: string): Promise<unknown> {
      const cell = compileCell(source);
      for (const name of cell.declared) if (!(name in context)) (context as Record<string, unknown>)[name] = undefined;
      const boxed = (await (vm.runInContext(cell.code, context) as Promise<Record<string, unknown> | undefined>)) ?? {};
      return boxed[RESULT_KEY];
    },
  };
}

describe("Cells", () => {
  it("keep declarations across cells and may declare them again", async () => {
    const s = session();
    expect(await s.run("const x: number = 40;")).toBeUndefined();
    expect(await s.run("x + 2")).toBe(42);
    expect(await s.run("const x = 'again'; x")).toBe("again");
    expect(await s.run("let y; y")).toBeUndefined();
    expect(await s.run("var z = 1; var z; z")).toBe(1);
  });

  it("keep functions and classes, callable before their declaration in the cell", async () => {
    const s = session();
    await s.run("const early = twice(3);\nfunction twice(n: number): number { return n * 2 }\nclass Box<T> { constructor(public v: T) {} }");
    expect(await s.run("early")).toBe(6);
    expect(await s.run("new Box(twice(5)).v")).toBe(10);
    expect(await s.run("async function later() { return 'ok' }\nawait later()")).toBe("ok");
  });

  it("destructure into globals", async () => {
    const s = session();
    await s.run("const { a, b: [c, , d] } = { a: 1, b: [2, 3, 4] };");
    expect(await s.run("[a, c, d]")).toEqual([1, 2, 4]);
  });

  it("await at the top level", async () => {
    const s = session();
    expect(await s.run("const v = await Promise.resolve(7);\nv * 6")).toBe(42);
  });

  it("strip types, interfaces, and keep enums", async () => {
    const s = session();
    expect(await s.run("interface P { x: number }\ntype Q = string;\nenum Color { Red, Green }\nconst p: P = { x: 1 };\nColor.Green + p.x")).toBe(2);
  });

  it("turn imports into awaited dynamic imports bound to globals", async () => {
    const s = session({ asyncio: { sleep: "sleep-fn", default: "dflt" }, "node:net": { connect: "connect-fn" } });
    await s.run('import * as asyncio from "asyncio";\nimport { connect as c } from "node:net";\nimport def from "asyncio";\nimport type { Foo } from "x";');
    expect(await s.run("[asyncio.sleep, c, def]")).toEqual(["sleep-fn", "connect-fn", "dflt"]);
  });

  it("route dynamic import() through the kernel's importer too", async () => {
    const s = session({ lib: { v: 3 } });
    expect(await s.run("const m = await import('lib');\nm.v")).toBe(3);
  });

  it("a type-only name imported as a value reads as undefined instead of failing", async () => {
    const s = session({ lib: { Real: 1 } });
    await s.run('import { Real, OnlyAType } from "lib";');
    expect(await s.run("[Real, OnlyAType]")).toEqual([1, undefined]);
  });

  it("have a result only when they end with an expression", () => {
    expect(compileCell("1 + 1").hasResult).toBe(true);
    expect(compileCell("const a = 1;").hasResult).toBe(false);
    expect(compileCell("if (true) { 1 }").hasResult).toBe(false);
  });

  it("keep each statement on a line the source map maps back to its cell line", async () => {
    const { lineTable } = await import("../../src/kernel/compiler.js");
    const s = session();
    const err = (await s.run("const a = 1;\nconst b: string = 'x';\nthrow new Error('line three');").catch((e: Error) => e)) as Error;
    const cell = compileCell("const a = 1;\nconst b: string = 'x';\nthrow new Error('line three');");
    const jsLine = cell.code.split("\n").findIndex((l) => l.includes("throw new Error('line three')"));
    expect(lineTable(cell.sourceMap)[jsLine]).toBe(2);
    expect(err.message).toBe("line three");
  });

  it("report syntax errors with the cell's line and column", () => {
    let err: unknown;
    try {
      compileCell("const ok = 1;\nconst = broken;");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CellSyntaxError);
    expect((err as CellSyntaxError).line).toBe(2);
    expect((err as CellSyntaxError).message).toMatch(/\(2:\d+\)$/);
  });

  it("export keywords are accepted and ignored", async () => {
    const s = session();
    expect(await s.run("export const e = 5;\nexport function f() { return e }\nf()")).toBe(5);
  });
});

describe("Line mapping", () => {
  it("maps compiled lines back to cell lines, across removed type declarations", async () => {
    const { lineTable } = await import("../../src/kernel/compiler.js");
    const cell = compileCell("const a = 1;\ninterface X {\n  a: 1;\n}\nthrow new Error('line five');");
    const table = lineTable(cell.sourceMap);
    const jsLine = cell.code.split("\n").findIndex((l) => l.includes("line five"));
    expect(table[jsLine]).toBe(4);
    expect(table[cell.code.split("\n").findIndex((l) => l.includes("a = 1"))]).toBe(0);
  });
});
