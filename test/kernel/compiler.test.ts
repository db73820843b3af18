// The cell compiler (on oxc): REPL semantics for TypeScript cells, proved by running compiled
// cells in a fresh vm context one after another, as the kernel runs them; line mapping through
// the source map; is_complete.
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import usingCtx from "@oxc-project/runtime/helpers/usingCtx";
import {
  CellSyntaxError,
  HELPERS_GLOBAL,
  IMPORT_FUNCTION,
  MAX_COMPILE_DEPTH,
  MAX_PARSE_DEPTH,
  RESULT_KEY,
  bracketDepth,
  compileCell,
  isComplete,
} from "../../src/kernel/compiler.js";
import { CompileService } from "../../src/kernel/compile-service.js";
import { StackFormatter } from "../../src/kernel/stacks.js";

/** A tiny stand-in for the kernel: one global scope, cells run in order, frames formatted. */
function session(modules: Record<string, unknown> = {}) {
  const context = vm.createContext({ [IMPORT_FUNCTION]: async (spec: string) => modules[spec] ?? { spec }, [HELPERS_GLOBAL]: { usingCtx }, Symbol });
  const stacks = new StackFormatter();
  let n = 0;
  return {
    context,
    stacks,
    async run(source: string): Promise<unknown> {
      const cell = compileCell(source);
      const file = `cell-${n}.js`;
      stacks.addCell(file, `In[${++n}]`, cell.sourceMap);
      for (const name of cell.declared) if (!(name in context)) (context as Record<string, unknown>)[name] = undefined;
      const boxed = (await (vm.runInContext(cell.code, context, { filename: file }) as Promise<Record<string, unknown> | undefined>)) ?? {};
      return boxed[RESULT_KEY];
    },
    /** The traceback of the error the cell throws. */
    async traceback(source: string): Promise<string[]> {
      const err = await this.run(source).then(
        () => null,
        (e: unknown) => e,
      );
      return stacks.format(err).traceback;
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

  it("have a result only when they end with an expression (type declarations after it do not count)", () => {
    expect(compileCell("1 + 1").hasResult).toBe(true);
    expect(compileCell("1 + 1\ninterface After { a: number }").hasResult).toBe(true);
    expect(compileCell("const a = 1;").hasResult).toBe(false);
    expect(compileCell("if (true) { 1 }").hasResult).toBe(false);
  });

  it("publish classes, enums and namespaces once declared", async () => {
    const s = session();
    await s.run("abstract class Base { abstract n(): number }\nclass Two extends Base { n() { return 2 } }\nenum Color { Red, Green }\nnamespace Util { export const three = 3 }");
    expect(await s.run("[new Two().n(), Color.Green, Color[0], Util.three]")).toEqual([2, 1, "Red", 3]);
  });

  it("dispose of `using` resources when the cell ends, and keep what the cell declared after them", async () => {
    const s = session();
    await s.run("const log: string[] = [];\nusing r = { [Symbol.dispose]() { log.push('disposed') } };\nlog.push('body');\nconst after = 1;");
    expect(await s.run("[log, after]")).toEqual([["body", "disposed"], 1]);
  });

  it("strip what only types say: annotations, `!`, `as`, `satisfies`, generics, declare", async () => {
    const s = session();
    expect(
      await s.run(
        "declare const d: number;\nlet x!: number;\nconst o = { a: 1 } satisfies Record<string, number>;\nconst id = <T,>(v: T): T => v;\n[typeof d, x, (o.a as number) + id<number>(1)]",
      ),
    ).toEqual(["undefined", undefined, 2]);
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
  it("maps frames back to cell lines, across removed type declarations and rewritten declarations", async () => {
    const s = session();
    expect(await s.traceback("const a = 1;\ninterface X {\n  a: 1;\n}\nthrow new Error('line five');")).toEqual(["Error: line five", "    at Cell In[1], line 5"]);
    expect(await s.traceback('import * as m from "m";\nconst { p }: {\n  p: number;\n} = { p: 1 };\nfunction f() {\n  throw new Error("six");\n}\nf()')).toEqual([
      "Error: six",
      "    at f (Cell In[2], line 6)",
      "    at Cell In[2], line 8",
    ]);
  });

  it("a frame on the cell's first line maps too (the wrapper shares that line)", async () => {
    const s = session();
    expect(await s.traceback("null!.x")).toEqual([expect.stringMatching(/^TypeError: /), "    at Cell In[1], line 1"]);
  });
});

describe("is_complete", () => {
  it("incomplete where more input can complete it: an open block, a trailing operator, an open template or comment", () => {
    expect(isComplete("function f() {")).toEqual({ status: "incomplete", indent: "  " });
    expect(isComplete("  if (x) {\n    y")).toEqual({ status: "incomplete", indent: "    " });
    for (const code of ["const x =", "1 +", "const a = [1,", "f(", "const f = (a) =>", "`abc", "/* note", "try {}"]) expect(isComplete(code).status, code).toBe("incomplete");
  });

  it("invalid where no more input can: an unterminated string literal, any other syntax error", () => {
    for (const code of ["}", 'const s = "abc', "const s = 'abc", "const r = /abc", "const = 1;", "1 +* 2", "1 )\nconst y = 2;"])
      expect(isComplete(code).status, code).toBe("invalid");
  });

  it("complete when it parses", () => {
    for (const code of ["", "const a = 1;", "1 + 1", "function f() {\n  return 1;\n}", "// only a comment"]) expect(isComplete(code), code).toEqual({ status: "complete" });
  });

  // Issue 11, item 4: the parser recurses on the native stack, and 10,000 nested brackets crashed the
  // kernel process. (A crash here ends the test worker: the test fails, it cannot pass by accident.)
  const kinds: [string, (n: number) => string][] = [
    ["[", (n) => "[".repeat(n) + "]".repeat(n)],
    ["(", (n) => "(".repeat(n) + "1" + ")".repeat(n)],
    ["{", (n) => "{".repeat(n) + "}".repeat(n)],
    ["f(", (n) => "f(".repeat(n) + "1" + ")".repeat(n)],
    ["x => (", (n) => "(x => ".repeat(n) + "1" + ")".repeat(n)],
    ["A<", (n) => "let x: " + "A<".repeat(n) + "B" + ">".repeat(n)],
  ];

  it("parses every kind of nesting at the deepest it parses, exactly", () => {
    for (const [kind, make] of kinds) expect(isComplete(make(MAX_PARSE_DEPTH)), kind).toEqual({ status: "complete" });
  });

  it("answers deeper nesting (to 100,000) without parsing: incomplete while brackets are open, otherwise unknown", () => {
    for (const n of [MAX_PARSE_DEPTH + 1, 5_000, 10_000, 100_000]) {
      for (const [kind, make] of kinds) expect(isComplete(make(n)), `${kind} ${n}`).toEqual({ status: "unknown" });
      expect(isComplete("[".repeat(n)), `[ ${n}`).toEqual({ status: "incomplete", indent: "  " });
      expect(isComplete("f(".repeat(n) + "1"), `f( ${n}`).toEqual({ status: "incomplete", indent: "" });
    }
  });

  it("compiles a cell nested to the most it allows, and refuses a deeper one with a SyntaxError instead of crashing the process", () => {
    expect(() => compileCell("[".repeat(MAX_COMPILE_DEPTH) + "]".repeat(MAX_COMPILE_DEPTH))).not.toThrow();
    // Every form the fuzzer found crashing the parser below the old 5,000 limit, at the limit.
    const half = MAX_COMPILE_DEPTH / 2;
    for (const [open, close, n] of [
      ["x[", "]", MAX_COMPILE_DEPTH],
      ["f(", ")", MAX_COMPILE_DEPTH],
      ["({a:", "})", half],
      ["`${", "}`", MAX_COMPILE_DEPTH],
    ] as const) {
      expect(() => compileCell(open.repeat(n) + "1" + close.repeat(n)), open).not.toThrow();
    }
    for (const n of [MAX_COMPILE_DEPTH + 1, 10_000, 100_000]) {
      expect(() => compileCell("[".repeat(n) + "]".repeat(n)), `${n}`).toThrow(CellSyntaxError);
      expect(() => compileCell("(".repeat(n) + "1" + ")".repeat(n)), `${n}`).toThrow(`nests brackets ${n} levels deep`);
    }
    // `<` comparisons do not count: they never close.
    expect(() => compileCell("let n = 0;\n" + "n < 1;\n".repeat(MAX_COMPILE_DEPTH + 10))).not.toThrow();
  });

  it("the compile worker parses as deep as the main thread: its stack is raised (a 4 MB one segfaulted on `({a:` 2,000 deep)", async () => {
    const service = new CompileService(0);
    try {
      const half = MAX_COMPILE_DEPTH / 2;
      await expect(service.compile("({a:".repeat(half) + "1" + "})".repeat(half), "deep.ts")).resolves.toMatchObject({ hasResult: true });
      await expect(service.compile(`let v: ${"A<".repeat(10_000)}number${">".repeat(10_000)} = 1;`, "deep-types.ts")).resolves.toBeDefined();
    } finally {
      await service.close();
    }
  });

  it("counts bracket depth without going below zero", () => {
    expect(bracketDepth("]]]] [[ ] ( {")).toEqual({ max: 3, open: 3 });
    expect(bracketDepth("const f = (a: Array<number>) => a;")).toEqual({ max: 2, open: 0 });
    expect(bracketDepth("(x => (y => 1))")).toEqual({ max: 2, open: 0 });
  });
});
