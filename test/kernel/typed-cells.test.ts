// The kernel's TypeScript language with the real checker (TypeScript 7 through cell-checker.ts,
// as the CLI wires it), over an in-memory transport: type errors stop a cell at its line and
// column, re-declaration across cells, opting out per cell and per session, completion and
// inspection by type, and the loop serving a server while a large cell is checked. Needs the
// built dist/kernel/checker.js (the checker's worker), which `npm test` builds.
import { createConnection } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setEventLoop } from "../../src/asyncio/index.js";
import { OPT_OUT_HINT, TypeScript7Checker } from "../../src/kernel/cell-checker.js";
import { CELL_GLOBALS_DECLARATIONS, TypeScriptInterpreter } from "../../src/kernel/interpreter.js";
import { Kernel } from "../../src/kernel/kernel.js";
import { KernelEventLoop } from "../../src/kernel/kernel-loop.js";
import { InMemoryTransport } from "../../src/kernel/transport.js";
import { Signer } from "../../src/kernel/wire.js";
import { connect } from "./harness.js";

const signer = new Signer("test-key");
const logged: string[] = [];
let kernel: Kernel;
let client: ReturnType<typeof connect>;

// One kernel for the file, as a notebook session: the cells below build on each other in order.
beforeAll(async () => {
  const loop = new KernelEventLoop();
  setEventLoop(loop);
  void loop.boot();
  const transport = new InMemoryTransport();
  const log = (line: string): void => void logged.push(line);
  const checker = new TypeScript7Checker({ cwd: process.cwd(), globals: CELL_GLOBALS_DECLARATIONS, log });
  const language = new TypeScriptInterpreter({ loop, cwd: process.cwd(), checker, log });
  kernel = new Kernel({ transport, signer, language, log: () => {} });
  await kernel.start();
  client = connect(transport, signer);
  await client.request("kernel_info_request", {});
  await client.execute('import * as asyncio from "asyncio";\nconst future = new asyncio.Future<string>();\nconst loop = asyncio.getEventLoop();');
}, 60_000);

afterAll(async () => {
  await kernel.close();
  setEventLoop(null);
  // Nothing here should have made the checker fail or time out.
  expect(logged).toEqual([]);
});

const stdout = (r: Awaited<ReturnType<typeof client.execute>>): string =>
  r.out
    .filter((m) => m.type === "stream")
    .map((m) => m.content["text"])
    .join("");

async function complete(code: string, cursor = [...code].length) {
  const [, reply] = await client.request("complete_request", { code, cursor_pos: cursor });
  return reply!.content as {
    matches: string[];
    cursor_start: number;
    cursor_end: number;
    metadata: { _jupyter_types_experimental?: { text: string; type?: string; signature?: string; start: number; end: number }[] };
  };
}

describe("A type error", () => {
  it("in an assignment stops the cell at its line and column, before any of it runs", async () => {
    const r = await client.execute('console.log("ran");\nconst n: number = "x";');
    expect(r.reply["status"]).toBe("error");
    expect(r.error).toMatchObject({ ename: "TSError", evalue: "TS2322: Type 'string' is not assignable to type 'number'." });
    expect(r.error!["traceback"]).toEqual([
      expect.stringMatching(/^Cell In\[\d+\], line 2, column 7: error TS2322: Type 'string' is not assignable to type 'number'\.$/),
      OPT_OUT_HINT,
    ]);
    expect(stdout(r)).toBe("");
    expect((await client.execute("typeof (globalThis as { n?: unknown }).n")).result).toBe("'undefined'");
  });

  it("in a library call's argument: future.setResult(42) on a Future<string>", async () => {
    const r = await client.execute("future.setResult(42);");
    expect(r.error).toMatchObject({ ename: "TSError", evalue: expect.stringMatching(/^TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/) });
    expect((r.error!["traceback"] as string[])[0]).toMatch(/line 1, column 18: error TS2345/);
    expect((await client.execute("future.done()")).result).toBe("false");
    const sleep = await client.execute('console.log("ran");\nawait asyncio.sleep("soon");');
    expect((sleep.error!["traceback"] as string[])[0]).toMatch(/line 2, column 21: error TS2345/);
    expect(stdout(sleep)).toBe("");
  });

  it("for a missing property, at the property", async () => {
    const r = await client.execute('console.log("ran");\nfuture.setResul("x");');
    expect((r.error!["traceback"] as string[])[0]).toMatch(/line 2, column 8: error TS2551: Property 'setResul' does not exist on type 'Future<string>'/);
    expect(stdout(r)).toBe("");
  });

  it("columns count UTF-16 units after a multi-byte character, as tsc and JupyterLab's status bar do", async () => {
    const r = await client.execute('const s = "😀"; const k: number = s;');
    // `k` is the 22nd code point and the 23rd UTF-16 unit: the emoji is two.
    expect((r.error!["traceback"] as string[])[0]).toMatch(/line 1, column 23: error TS2322/);
  });
});

describe("Cells as the checker sees them", () => {
  it("a name declared again in a later cell takes its new type", async () => {
    await client.execute("const v = 1;");
    expect((await client.execute('const v = "now a string";\nv.toUpperCase()')).result).toBe("'NOW A STRING'");
    const r = await client.execute("const w: number = v;");
    expect(r.error!["evalue"]).toBe("TS2322: Type 'string' is not assignable to type 'number'.");
  });

  it("the kernel's own globals type-check (display, input, kernel)", async () => {
    const r = await client.execute('display.markdown("**hi**");\ndisplay({ a: 1 });\ntypeof input');
    expect(r.error).toBeUndefined();
    expect(r.result).toBe("'function'");
  });

  it("`// @ts-nocheck` as the first line runs the cell unchecked; its names still count", async () => {
    expect((await client.execute('// @ts-nocheck\nconst m: number = "x";\nm')).result).toBe("'x'");
    // The checker knows m as the cell declared it (a number).
    expect((await client.execute("const m2: string = m;")).error!["evalue"]).toMatch(/^TS2322/);
  });

  it("kernel.typeCheck = false turns checking off for the session, true on again", async () => {
    await client.execute("kernel.typeCheck = false;");
    const off = await client.execute('const q: number = "x";\nq');
    expect(off.result).toBe("'x'");
    await client.execute("kernel.typeCheck = true;");
    expect((await client.execute('const q2: number = "x";')).error!["ename"]).toBe("TSError");
  });
});

describe("Completion by type", () => {
  it("after `future.`: the Future's methods with their kinds and types, no private names", async () => {
    const c = await complete("future.");
    expect(c.matches).toEqual(expect.arrayContaining(["setResult", "done", "result", "cancel", "addDoneCallback"]));
    expect(c.matches.filter((m) => m.startsWith("_"))).toEqual([]);
    expect([c.cursor_start, c.cursor_end]).toEqual([7, 7]);
    const setResult = c.metadata._jupyter_types_experimental!.find((t) => t.text === "setResult");
    expect(setResult).toMatchObject({ type: "method", start: 7, end: 7 });
    expect(setResult!.signature).toContain("string");
    expect((await complete("future._")).matches.length).toBeGreaterThan(0);
  });

  it("after `asyncio.` and `loop.`", async () => {
    expect((await complete("asyncio.sl")).matches).toContain("sleep");
    expect((await complete("asyncio.")).matches).toEqual(expect.arrayContaining(["sleep", "Future", "Task", "gather"]));
    expect((await complete("loop.")).matches).toEqual(expect.arrayContaining(["createTask", "runUntilComplete", "callSoon"]));
  });

  it("mid-line, and after a multi-byte character (positions in code points)", async () => {
    const mid = await complete("future.se; const after = 1;", 9);
    expect(mid.matches).toContain("setResult");
    expect([mid.cursor_start, mid.cursor_end]).toEqual([7, 9]);
    const emoji = 'const label = "😀"; future.se';
    const c = await complete(emoji);
    expect(c.matches).toContain("setResult");
    expect([c.cursor_start, c.cursor_end]).toEqual([[...emoji].length - 2, [...emoji].length]);
    expect(c.metadata._jupyter_types_experimental!.find((t) => t.text === "setResult")).toMatchObject({ start: [...emoji].length - 2, end: [...emoji].length });
  });
});

describe("Inspection by type", () => {
  const inspect = async (code: string, cursor = [...code].length) => (await client.request("inspect_request", { code, cursor_pos: cursor, detail_level: 0 }))[1]!.content;

  it("of asyncio.sleep: its signature with types and its documentation, as text and markdown", async () => {
    const r = await inspect("asyncio.sleep", 10);
    expect(r["found"]).toBe(true);
    const data = r["data"] as Record<string, string>;
    expect(data["text/plain"]).toMatch(/sleep.*\(delay: number/);
    expect(data["text/markdown"]).toContain("sleep");
  });

  it("inside `asyncio.sleep(`", async () => {
    const r = await inspect("await asyncio.sleep(");
    expect(r["found"]).toBe(true);
    expect((r["data"] as Record<string, string>)["text/plain"]).toMatch(/sleep.*\(delay: number/);
  });
});

describe("The loop while a large cell is checked", () => {
  it("an echo server from an earlier cell keeps answering (latency printed)", async () => {
    await client.execute(
      'const echo = await asyncio.startServer(async (r, w) => { for (;;) { const line = await r.readline(); if (line.length === 0) break; w.write(line); await w.drain(); } w.close(); }, "127.0.0.1", 0);\nconst echoPort = (echo.sockets[0]!.getsockname() as [string, number])[1];',
    );
    const port = Number((await client.execute("echoPort")).result);
    const socket = createConnection(port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    const latencies: number[] = [];
    let pinging = true;
    const pings = (async () => {
      while (pinging) {
        const t0 = performance.now();
        socket.write("ping\n");
        await new Promise((r) => socket.once("data", r));
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const lines: string[] = [];
    for (let b = 0; b < 30; b++) {
      lines.push(
        `async function block${b}(n: number): Promise<number[]> {`,
        "  const out: number[] = [];",
        "  for (let i = 0; i < n; i++) {",
        `    await asyncio.sleep(0);`,
        "    out.push(i * 2);",
        "  }",
        "  const f = new asyncio.Future<number>();",
        "  f.setResult(out.length);",
        "  return out;",
        "}",
      );
    }
    const t0 = performance.now();
    const r = await client.execute(lines.join("\n") + "\n(await block0(3)).length");
    const cellMs = performance.now() - t0;
    pinging = false;
    await pings;
    socket.end();
    await client.execute("echo.close(); await echo.waitClosed();");
    expect(lines.length).toBe(300);
    expect(r.result).toBe("3");
    expect(latencies.length).toBeGreaterThan(0);
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `300-line cell: ${cellMs.toFixed(1)} ms end to end; echo while it ran: ${sorted.length} pings, p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms`,
    );
  });
});
