// Interrupts that reach synchronous code (issue 11, item 6): the compiler puts a check of the
// shared flag at the top of every loop and function body of a cell; another thread raises the
// flag while the main thread is busy, and the cell's own code throws KeyboardInterrupt where it
// was. Proved with real threads: a worker raises the flag while the cell spins; and, in a child
// process, the SIGINT thread turns signals into raised flags while the main thread spins.
import { spawn } from "node:child_process";
import vm from "node:vm";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { INTERRUPT_GLOBAL, RESULT_KEY, compileCell } from "../../src/kernel/compiler.js";
import { InterruptFlag, KeyboardInterrupt } from "../../src/kernel/interrupts.js";

/** The built kernel (npm test builds it first; the SIGINT thread runs from dist). */
const DIST_INTERRUPTS = new URL("../../dist/kernel/interrupts.js", import.meta.url).href;

/** Runs a compiled cell in a fresh context that sees `flag`; a worker raises it after `ms`. */
async function interruptedAfter(source: string, ms = 100): Promise<{ error: unknown; context: vm.Context }> {
  const flag = new InterruptFlag();
  const context = vm.createContext({ [INTERRUPT_GLOBAL]: { flag: flag.flag, raise: flag.raise }, Promise, setTimeout });
  // The worker raises the flag while this thread is busy in the cell: nothing here could.
  const worker = new Worker(
    `const { workerData } = require("node:worker_threads");
     setTimeout(() => { const a = new Int32Array(workerData); Atomics.store(a, 0, 1); }, ${ms});`,
    { eval: true, workerData: flag.buffer },
  );
  try {
    const cell = compileCell(source);
    for (const name of cell.declared) (context as Record<string, unknown>)[name] = undefined;
    const error = await (vm.runInContext(cell.code, context) as Promise<unknown>).then(
      () => null,
      (e: unknown) => e,
    );
    return { error, context };
  } finally {
    await worker.terminate();
  }
}

describe("A cell's synchronous code is interrupted where it runs", () => {
  it.each([
    ["while (true) {}", "while"],
    ["for (;;) {}", "for"],
    ["do {} while (true)", "do-while"],
    ["while (true) n++", "a loop whose body is one statement"],
    ["for (const x of (function* () { while (true) yield 1; })()) n += x;", "for-of over a generator"],
    ["const o: Record<string, number> = {}; for (let i = 0; i < 1000; i++) o[i] = i;\nwhile (true) for (const k in o) n++;", "for-in"],
    ["function fib(k: number): number { return k < 2 ? k : fib(k - 1) + fib(k - 2); }\nfib(80)", "a recursion with no loop"],
    ["const f = (k: number): number => (k < 2 ? k : f(k - 1) + f(k - 2));\nf(80)", "an arrow with an expression body"],
    ["class A { spin() { while (true) n++; } }\nnew A().spin()", "a method"],
    ["class B extends Object { constructor() { super(); while (true) n++; } }\nnew B()", "a derived class's constructor"],
  ])("%s (%s), after an await too", async (body) => {
    for (const source of [`let n = 0;\n${body}`, `let n = 0;\nawait null;\n${body}`, `let n = 0;\nawait new Promise((r) => setTimeout(r, 1));\n${body}`]) {
      const { error } = await interruptedAfter(source);
      expect(error, source).toBeInstanceOf(KeyboardInterrupt);
    }
  });

  it("the interrupt is spent where it lands: a cell that catches it goes on, and the state is kept", async () => {
    const { error, context } = await interruptedAfter(
      'let caught = "no";\nawait null;\ntry { while (true) {} } catch (e) { caught = (e as Error).name; }\nlet after = 0;\nfor (let i = 0; i < 1e6; i++) after++;',
    );
    expect(error).toBeNull();
    expect(vm.runInContext("[caught, after]", context)).toEqual(["KeyboardInterrupt", 1e6]);
  });

  it("the checks change nothing else: directives, results, `this`, labels", async () => {
    const context = vm.createContext({});
    const run = (src: string): Promise<Record<string, unknown>> => {
      const cell = compileCell(src);
      for (const name of cell.declared) (context as Record<string, unknown>)[name] = undefined;
      return vm.runInContext(cell.code, context) as Promise<Record<string, unknown>>;
    };
    // A function's directives stay first, the check after them (the wrapper is strict anyway, so
    // this is read from the code, not from behaviour).
    expect(compileCell('function g() {\n  "use asm";\n  return 1;\n}').code).toMatch(/\{\s*"use asm";\s*if \(__asyncioTsFlag\[0\]\) __asyncioTsRaise\(\);/);
    const box = await run(
      'function sloppy(this: unknown) { "use strict"; return this; }\nconst k = (x: number) => ({ x });\nlet seen = 0;\nouter: for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) { if (j === 1) continue outer; seen++; }\n[sloppy(), k(2), seen]',
    );
    expect(box[RESULT_KEY]).toEqual([undefined, { x: 2 }, 3]);
    // A cell run without the kernel's flag (no global) still runs.
    expect((await run("let t = 0; for (let i = 0; i < 10; i++) t += i; t"))[RESULT_KEY]).toBe(45);
  });

  it("a cell nested as deep as the compiler allows gets its checks too (oxc's Visitor overflows there; the fallback walk does not recurse)", () => {
    const deep = "[".repeat(2490) + "() => { while (true) {} }" + "]".repeat(2490);
    expect(compileCell(deep).code.match(/__asyncioTsRaise\(\)/g)).toHaveLength(2);
  });
});

describe("The SIGINT thread", () => {
  it("turns each SIGINT into a raised flag while the main thread spins, and the process lives", async () => {
    // A child process: signals to this one would reach vitest. It spins until the flag is up,
    // three times, and counts; the test signals it each time it says it spins.
    const script = `
      import { InterruptFlag, watchSigint } from ${JSON.stringify(DIST_INTERRUPTS)};
      const flag = new InterruptFlag();
      let told = 0;
      const stop = watchSigint(flag, () => told++);
      await new Promise((r) => setTimeout(r, 200));
      for (let round = 1; round <= 3; round++) {
        console.log("spinning " + round);
        while (!flag.pending) {}
        flag.take();
        console.log("interrupted " + round);
        await new Promise((r) => setTimeout(r, 50));
      }
      console.log("told " + told);
      stop();
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      const text = d.toString();
      out += text;
      if (/spinning \d/.test(text)) setTimeout(() => child.kill("SIGINT"), 100);
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(err).toBe("");
    expect(out.trim().split("\n")).toEqual(["spinning 1", "interrupted 1", "spinning 2", "interrupted 2", "spinning 3", "interrupted 3", "told 3"]);
    expect(code).toBe(0);
  }, 20_000);
});
