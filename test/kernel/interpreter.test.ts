// The TypeScript language inside the kernel, over an in-memory transport: the REPL exercise,
// one loop across cells, late output, servers, interrupts, imports, large cells, errors whose
// stacks name cell lines and library sources, completion and inspection from live values, and
// where a checker plugs in.
import v8 from "node:v8";
import vm from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { setEventLoop } from "../../src/asyncio/index.js";
import { NO_CHECKER, OPT_OUT_HINT, type CellDiagnostic, type CheckedCell, type Checker } from "../../src/kernel/cell-checker.js";
import { TypeScriptInterpreter } from "../../src/kernel/interpreter.js";
import { Kernel } from "../../src/kernel/kernel.js";
import type { Message } from "../../src/kernel/messages.js";
import { KernelEventLoop } from "../../src/kernel/kernel-loop.js";
import { InMemoryTransport } from "../../src/kernel/transport.js";
import { Signer } from "../../src/kernel/wire.js";
import { connect } from "./harness.js";

const signer = new Signer("test-key");
let kernels: Kernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.close();
  setEventLoop(null);
});

async function startKernel(options: { cwd?: string; checker?: Checker } = {}) {
  const loop = new KernelEventLoop();
  setEventLoop(loop);
  void loop.boot();
  const transport = new InMemoryTransport();
  const language = new TypeScriptInterpreter({ loop, cwd: options.cwd ?? process.cwd(), checker: options.checker, log: () => {} });
  const kernel = new Kernel({ transport, signer, language, log: () => {} });
  kernels.push(kernel);
  await kernel.start();
  return { kernel, language, loop, client: connect(transport, signer) };
}

describe("TypeScript cells in the kernel", () => {
  it("answer kernel_info as typescript", async () => {
    const { client } = await startKernel();
    const [, info] = await client.request("kernel_info_request", {});
    expect(info!.content["language_info"]).toMatchObject({ name: "typescript", file_extension: ".ts", mimetype: "text/typescript" });
  });

  it("name codemirror_mode as a plain string, a form every client parses (issue 11, item 1)", async () => {
    const { client } = await startKernel();
    const [, info] = await client.request("kernel_info_request", {});
    // runtimed's jupyter-protocol reads a string or {name, version}; JupyterLab finds its
    // TypeScript mode by this name.
    expect((info!.content["language_info"] as Record<string, unknown>)["codemirror_mode"]).toBe("typescript");
  });

  it("run the REPL exercise cell by cell, with every output before idle", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";\nconst future = new asyncio.Future<string>();');
    let r = await client.execute("future.done()");
    expect(r.out.map((m) => m.type)).toEqual(["status", "execute_input", "execute_result", "execute_reply", "status"]);
    expect(r.result).toBe("false");
    r = await client.execute("future.result()");
    expect([r.error!["ename"], r.error!["evalue"]]).toEqual(["InvalidStateError", "Result is not ready."]);
    expect(r.reply["status"]).toBe("error");
    await client.execute('future.setResult("Your Name")');
    expect((await client.execute("future.result()")).result).toBe("'Your Name'");
    r = await client.execute("future");
    const data = r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>;
    expect(data["text/plain"]).toBe("<Future finished result='Your Name'>");
    expect(data["text/html"]).toContain("finished");
  });

  it("show a pending Future as it is, and await a Promise", async () => {
    const { client } = await startKernel();
    const r = await client.execute("new (await import('asyncio')).Future()");
    expect(r.reply["status"]).toBe("ok");
    expect(r.result).toBe("<Future pending>");
    expect((await client.execute("Promise.resolve(41).then((x) => x + 1)")).result).toBe("42");
  });

  it("console output of a cell is a stream message of that cell, before its result", async () => {
    const { client } = await startKernel();
    const r = await client.execute("console.log('hello'); 7");
    expect(r.out.map((m) => m.type)).toEqual(["status", "execute_input", "stream", "execute_result", "execute_reply", "status"]);
    expect(r.out[2]!.content).toEqual({ name: "stdout", text: "hello\n" });
  });

  it("output of a background task goes to the cell that started it, after that cell finished", async () => {
    const { client } = await startKernel();
    const first = await client.execute('import * as asyncio from "asyncio";\nasyncio.createTask(async () => { await asyncio.sleep(0.05); console.log("late"); });\nundefined');
    const second = await client.execute("1 + 1");
    await client.until(first.msg, (t) => t.filter((x) => x === "stream").length === 1);
    expect(client.of(first.msg).find((m) => m.type === "stream")!.content).toEqual({ name: "stdout", text: "late\n" });
    expect(client.of(second.msg).some((m) => m.type === "stream")).toBe(false);
  });

  it("a server started in one cell answers a client in the next", async () => {
    const { client } = await startKernel();
    await client.execute(
      'import * as asyncio from "asyncio";\nconst server = await asyncio.startServer(async (r, w) => { w.write(Buffer.concat([Buffer.from("echo:"), await r.readline()])); await w.drain(); w.close(); }, "127.0.0.1", 0);\nconst port = (server.sockets[0].getsockname() as [string, number])[1];',
    );
    const r = await client.execute('const [reader, writer] = await asyncio.openConnection("127.0.0.1", port);\nwriter.write("hi\\n");\n(await reader.readline()).toString()');
    expect(r.result).toBe("'echo:hi\\n'");
    await client.execute("server.close(); await server.waitClosed();");
  });

  it("loop.runUntilComplete(task) in a cell does what the class's script does", async () => {
    const { client } = await startKernel();
    const r = await client.execute(
      'import * as asyncio from "asyncio";\nconst myCoro = asyncio.coroutine(function* myCoro() { console.log("Hello, YOUR NAME"); });\nconst task = new asyncio.Task(myCoro());\nconst loop = asyncio.getEventLoop();\nloop.runUntilComplete(task)',
    );
    expect(r.out.filter((m) => m.type === "stream").map((m) => m.content["text"])).toEqual(["Hello, YOUR NAME\n"]);
    expect((await client.execute("loop.close(); loop.isClosed()")).result).toBe("false");
  });

  it("await using releases a lock when the cell ends, on Node 20 too", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";\nconst lock = new asyncio.Lock();');
    const r = await client.execute("await using held = await lock.acquired();\nconst inside = lock.locked();\ninside");
    expect(r.result).toBe("true");
    expect((await client.execute("[inside, lock.locked()]")).result).toBe("[ true, false ]");
  });

  it("interrupt cancels a cell stuck in an await, and the state is kept", async () => {
    const { client, kernel } = await startKernel();
    await client.execute("const kept = 'still here';");
    const stuck = client.send("shell", "execute_request", { code: "await new (await import('asyncio')).Future()" });
    await client.until(stuck, (t) => t.includes("execute_input"));
    await new Promise((r) => setTimeout(r, 20));
    kernel.interrupt();
    const out = await client.until(stuck, (t) => t.includes("execute_reply"));
    expect(out.find((m) => m.type === "error")!.content["ename"]).toBe("KeyboardInterrupt");
    expect((await client.execute("kept")).result).toBe("'still here'");
  });

  it("input() over stdin is a Future an interrupt cancels", async () => {
    const { client, kernel } = await startKernel();
    const cell = client.send("shell", "execute_request", { code: 'const name = await input("Your name: ");\n`Hello, ${name}`', allow_stdin: true });
    await client.until(cell, (t) => t.includes("input_request"));
    client.send("stdin", "input_reply", { value: "Ada" });
    const out = await client.done(cell);
    expect((out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"]).toBe("'Hello, Ada'");
    const waiting = client.send("shell", "execute_request", { code: 'await input("never answered")', allow_stdin: true });
    await client.until(waiting, (t) => t.includes("input_request"));
    kernel.interrupt();
    expect((await client.done(waiting)).find((m) => m.type === "error")!.content["ename"]).toBe("KeyboardInterrupt");
  });

  it("page() and exit: payloads of the reply", async () => {
    const { client } = await startKernel();
    expect((await client.execute('page("a page of text")')).reply["payload"]).toEqual([{ source: "page", data: { "text/plain": "a page of text" }, start: 0 }]);
    expect((await client.execute("exit")).reply["payload"]).toEqual([{ source: "ask_exit", keepkernel: false }]);
  });

  it("user_expressions are TypeScript expressions evaluated after the cell", async () => {
    const { client } = await startKernel();
    const r = await client.execute("const n: number = 6;", { user_expressions: { double: "n * 2", missing: "nowhere" } });
    expect(r.reply["user_expressions"]).toMatchObject({ double: { status: "ok", data: { "text/plain": "12" } }, missing: { status: "error", ename: "ReferenceError" } });
  });
});

describe("Errors", () => {
  it("a runtime error's traceback names the cell's lines (Cell In[n], line N), without the kernel's frames", async () => {
    const { client } = await startKernel();
    await client.execute("1");
    const r = await client.execute("interface Unused { a: number }\nconst x = 1;\nfunction fail(): never {\n  throw new TypeError('bad value');\n}\nfail()");
    expect([r.error!["ename"], r.error!["evalue"]]).toEqual(["TypeError", "bad value"]);
    const traceback = r.error!["traceback"] as string[];
    expect(traceback).toEqual(["TypeError: bad value", "    at fail (Cell In[2], line 4)", "    at Cell In[2], line 6"]);
  });

  it("a frame inside a multi-line expression names the line it is on", async () => {
    const { client } = await startKernel();
    const r = await client.execute("const values = [1, 2].map(\n  (x) =>\n    x > 1\n      ? (() => { throw new RangeError('two') })()\n      : x,\n);");
    expect(r.error!["traceback"]).toEqual([
      "RangeError: two",
      "    at Cell In[1], line 4",
      "    at Cell In[1], line 4",
      "    at Array.map (<anonymous>)",
      "    at Cell In[1], line 1",
    ]);
  });

  it("the library's frames are shown as asyncio-ts/<module>.ts:<line>, not as paths of its build", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";\nconst f = new asyncio.Future<number>();');
    const r = await client.execute("f.result()");
    const traceback = r.error!["traceback"] as string[];
    expect(traceback[1]).toMatch(/^ {4}at Future\.result \(asyncio-ts\/futures\.ts:\d+\)$/);
    expect(traceback.at(-1)).toMatch(/Cell In\[2\], line 1\)?$/);
    expect(traceback.join("\n")).not.toMatch(/dist\/|src\/|_drainShell|node:internal/);
  });

  it("a syntax error names its line and column and runs nothing", async () => {
    const { client } = await startKernel();
    const r = await client.execute("globalThis.ran = true;\nconst = broken;");
    expect(r.error).toMatchObject({ ename: "SyntaxError", traceback: [expect.stringMatching(/^SyntaxError: .*\(2:7\)$/), "    at Cell In[1], line 2"] });
    expect((await client.execute("typeof (globalThis as any).ran")).result).toBe("'undefined'");
  });
});

describe("Values whose every access throws (the fuzzer's known-hostile-cell): the kernel answers and goes on", () => {
  const HOSTILE =
    "const p: any = new Proxy({}, { get() { throw p; }, has() { throw p; }, ownKeys() { throw p; }, getPrototypeOf() { throw p; }, getOwnPropertyDescriptor() { throw p; } });";
  const cases: [string, string, Record<string, unknown>][] = [
    ["a Proxy that throws itself, thrown", `${HOSTILE} throw p;`, { ename: "Error", evalue: "<unprintable value>", traceback: ["Uncaught <unprintable value>"] }],
    ["the same Proxy as the cell's result", `${HOSTILE} p`, { ename: "Error", evalue: "<unprintable value>" }],
    [
      "an error whose stack getter throws it",
      "const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { throw e; } }); throw e;",
      { ename: "Error", evalue: "x", traceback: ["Error: x"] },
    ],
    ["a Proxy whose every read throws, thrown", "throw new Proxy({}, { get() { throw new Error('trap'); } });", { ename: "Error", evalue: "<unprintable value>" }],
    ["an object String() cannot convert", "throw Object.create(null);", { ename: "Error", evalue: "[Object: null prototype] {}" }],
    ["a bundle that cannot be sent", "const b: any = {}; b.self = b; ({ _repr_mimebundle_: () => ({ 'text/plain': b }) })", { ename: "TypeError" }],
  ];
  for (const [name, code, error] of cases) {
    it(`${name}: an error reply and an error output`, async () => {
      const { client } = await startKernel();
      const r = await client.execute(`// @ts-nocheck\n${code}`);
      expect(r.reply).toMatchObject({ status: "error", ...error });
      expect(r.error).toMatchObject(error);
      expect((await client.execute("1 + 1")).result).toBe("2");
    });
  }

  it("thrown where no cell catches it (a timer, a microtask): shown under the cell, never thrown from the handler", async () => {
    const { client, language } = await startKernel();
    const first = await client.execute("1");
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error("trap");
        },
      },
    );
    const self: object = new Proxy(
      {},
      {
        get() {
          throw self;
        },
        getPrototypeOf() {
          throw self;
        },
        ownKeys() {
          throw self;
        },
      },
    );
    // What the process's uncaughtException and unhandledRejection handlers call (src/cli/kernel.ts).
    language.reportUncaught(trap, "uncaughtException");
    language.reportUncaught(Object.create(null), "uncaughtException");
    language.reportUncaught(self, "unhandledRejection");
    await client.until(first.msg, () => client.of(first.msg).filter((m) => m.type === "error").length === 3);
    expect(
      client
        .of(first.msg)
        .filter((m) => m.type === "error")
        .map((m) => m.content["traceback"]),
    ).toEqual([
      ["Uncaught exception", "Uncaught <unprintable value>"],
      ["Uncaught exception", "Uncaught [Object: null prototype] {}"],
      ["Unhandled promise rejection", "Uncaught <unprintable value>"],
    ]);
    expect((await client.execute("1 + 1")).result).toBe("2");
  });
});

describe("The loop's reports (the asyncio logger) under the cell that scheduled the code", () => {
  /** The stderr text published under `parent`, joined. */
  const stderrOf = (client: Awaited<ReturnType<typeof startKernel>>["client"], parent: Message): string =>
    client
      .of(parent)
      .filter((m) => m.type === "stream" && m.content["name"] === "stderr")
      .map((m) => m.content["text"])
      .join("");
  const hasStderr = (client: Awaited<ReturnType<typeof startKernel>>["client"], parent: Message, text: string) => () => stderrOf(client, parent).includes(text);

  it("an exception in a callback after its cell ended: stderr under that cell, as Python logs it, at the cell's line", async () => {
    const { client } = await startKernel();
    const first = await client.execute('import * as asyncio from "asyncio";\nasyncio.getEventLoop().callLater(0.05, () => {\n  throw new Error("late failure");\n});\nundefined');
    const second = await client.execute("1 + 1");
    await client.until(first.msg, hasStderr(client, first.msg, "late failure"));
    expect(stderrOf(client, first.msg)).toMatch(
      /^ERROR:asyncio:Exception in callback <anonymous>\(\)\nhandle: <TimerHandle when=[\d.]+ <anonymous>\(\)>\nError: late failure\n {4}at Cell In\[1\], line 3\n$/,
    );
    // Not an error output: the cell itself succeeded, as in ipykernel.
    expect(client.of(first.msg).some((m) => m.type === "error")).toBe(false);
    expect(client.of(second.msg).some((m) => m.type === "stream")).toBe(false);
  });

  it("callSoon, a loop of the cell's own, and a protocol's callback: each under the cell that scheduled it", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";');
    const soon = await client.execute('asyncio.getEventLoop().callSoon(() => { throw new RangeError("soon") });\nawait asyncio.sleep(0.01);');
    expect(stderrOf(client, soon.msg)).toMatch(/^ERROR:asyncio:Exception in callback <anonymous>\(\)\n.*\nRangeError: soon\n {4}at Cell In\[2\], line 1\n$/);
    // The loop's iterations run outside any cell: the report is still the cell's.
    const own = await client.execute(
      'const own = asyncio.newEventLoop();\nown.callSoon(() => { throw new Error("on a loop of its own") });\nawait own.runUntilComplete(own.createTask(asyncio.sleep(0.01)));\nown.close();',
    );
    expect(stderrOf(client, own.msg)).toContain("ERROR:asyncio:Exception in callback <anonymous>()\n");
    expect(stderrOf(client, own.msg)).toContain("Error: on a loop of its own\n    at Cell In[3], line 2\n");
    const server = await client.execute(
      'class Fails extends asyncio.Protocol { override dataReceived(): void { throw new Error("protocol failed"); } }\nconst srv = await asyncio.getEventLoop().createServer(() => new Fails(), "127.0.0.1", 0);\nconst port = (srv.sockets[0]!.getsockname() as [string, number])[1];',
    );
    await client.execute('const [, w] = await asyncio.openConnection("127.0.0.1", port);\nw.write("x");');
    await client.until(server.msg, hasStderr(client, server.msg, "protocol failed"));
    expect(stderrOf(client, server.msg)).toMatch(
      /^ERROR:asyncio:Fatal error: protocol\.dataReceived\(\) call failed\.\n(.*\n)*Error: protocol failed\n {4}at Fails\.dataReceived \(Cell In\[4\], line 1\)\n/,
    );
    await client.execute("w.close(); srv.close(); await srv.waitClosed();");
  });

  it("a task's exception nobody retrieved, once the task is collected: under the cell that started it", async () => {
    const { client } = await startKernel();
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const first = await client.execute(
      'import * as asyncio from "asyncio";\nasyncio.createTask(async () => {\n  throw new Error("nobody asked");\n});\nawait asyncio.sleep(0);\nundefined',
    );
    const second = await client.execute("2");
    for (let i = 0; i < 50 && !stderrOf(client, first.msg).includes("nobody asked"); i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(stderrOf(client, first.msg)).toMatch(
      /^ERROR:asyncio:Task exception was never retrieved\nfuture: <Task finished .*exception=Error\('nobody asked'\)>\nError: nobody asked\n {4}at Cell In\[1\], line 3\n$/,
    );
    expect(client.of(second.msg).some((m) => m.type === "stream")).toBe(false);
  });

  it("a slow callback in debug mode: the warning under the cell that scheduled it", async () => {
    const { client, loop } = await startKernel();
    const r = await client.execute(
      'import * as asyncio from "asyncio";\nconst loop = asyncio.getEventLoop();\nloop.setDebug(true);\nloop.callSoon(function slow() { const end = performance.now() + 120; while (performance.now() < end) {} });\nawait asyncio.sleep(0.01);\nloop.setDebug(false);',
    );
    expect(loop.getDebug()).toBe(false);
    expect(stderrOf(client, r.msg)).toMatch(/^WARNING:asyncio:Executing <Handle slow\(\) created at .*> took 0\.1\d\d seconds\n$/);
  });

  it("still go to the asyncio logger: a handler of the cell's gets the record (and, as in a script, replaces the default output)", async () => {
    const { client } = await startKernel();
    const r = await client.execute(
      'import * as asyncio from "asyncio";\nconst got: string[] = [];\nconst keep = (rec: asyncio.LogRecord) => { got.push(rec.message); };\nasyncio.logger.addHandler(keep);\nasyncio.getEventLoop().callSoon(() => { throw new Error("kept") });\nawait asyncio.sleep(0.01);\nasyncio.logger.removeHandler(keep);\ngot',
    );
    expect(r.result).toMatch(/^\[\s*'Exception in callback <anonymous>\(\)\\nhandle: <Handle <anonymous>\(\)>'\s*\]$/);
    expect(stderrOf(client, r.msg)).toBe("");
  });
});

describe("asyncio.run in a cell (issue 12)", () => {
  it("runs the README's first example unchanged", async () => {
    const { client } = await startKernel();
    const r = await client.execute(
      'import * as asyncio from "asyncio-ts";\n\nconst myCoro = asyncio.coroutine(function* myCoro() {\n  console.log("Hello, YOUR NAME");\n});\nconst task = new asyncio.Task(myCoro());\nawait asyncio.getEventLoop().runUntilComplete(task);   // comment this out: nothing runs\n\nawait asyncio.run(async () => {\n  const [a, b] = await asyncio.gather(asyncio.sleep(0.1, "a"), asyncio.sleep(0.2, "b"));\n});',
    );
    expect(r.reply["status"]).toBe("ok");
    expect(r.out.filter((m) => m.type === "stream").map((m) => m.content["text"])).toEqual(["Hello, YOUR NAME\n"]);
  });

  it("runs main to completion on the kernel's own loop; the cell's result is main's, and the loop stays open", async () => {
    const { client, loop } = await startKernel();
    await client.execute(
      'import * as asyncio from "asyncio";\nconst kernelLoop = asyncio.getEventLoop();\nasync function main() {\n  console.log("on the kernel\'s loop:", asyncio.getRunningLoop() === kernelLoop);\n  await asyncio.sleep(0.01);\n  return "main\'s result";\n}',
    );
    const byFunction = await client.execute("asyncio.run(main)");
    expect(byFunction.result).toBe(`"main's result"`);
    expect(byFunction.out.filter((m) => m.type === "stream").map((m) => m.content["text"])).toEqual(["on the kernel's loop: true\n"]);
    expect((await client.execute("await asyncio.run(main())")).result).toBe(`"main's result"`);
    const failing = await client.execute('await asyncio.run(async () => {\n  await asyncio.sleep(0);\n  throw new RangeError("main failed");\n})');
    expect(failing.error).toMatchObject({ ename: "RangeError", evalue: "main failed", traceback: ["RangeError: main failed", "    at Cell In[4], line 3"] });
    expect((await client.execute("asyncio.run(async () => asyncio.getRunningLoop().getDebug(), { debug: true })")).result).toBe("true");
    expect(loop.getDebug()).toBe(false);
    expect(loop.isRunning() && !loop.isClosed()).toBe(true);
  });

  it("cancels the tasks main left running, as run() does, and leaves the other cells' tasks alone", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";\nconst log: string[] = [];\nconst other = asyncio.createTask(asyncio.sleep(10));');
    const r = await client.execute(
      'await asyncio.run(async () => {\n  asyncio.createTask(async () => {\n    try { await asyncio.sleep(10); } finally { log.push("main\'s task cleaned up"); }\n  });\n  await asyncio.sleep(0);\n});\n[log, other.done()]',
    );
    expect(r.result).toBe('[ [ "main\'s task cleaned up" ], false ]');
    await client.execute("other.cancel();");
  });

  it("an interrupt cancels main where it waits; the kernel goes on", async () => {
    const { client, kernel } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";\nlet cleanedUp = false;');
    const stuck = client.send("shell", "execute_request", { code: "await asyncio.run(async () => {\n  try { await asyncio.sleep(3600); } finally { cleanedUp = true; }\n})" });
    await client.until(stuck, (t) => t.includes("execute_input"));
    await new Promise((r) => setTimeout(r, 30));
    kernel.interrupt();
    const out = await client.until(stuck, (t) => t.includes("execute_reply"));
    expect(out.find((m) => m.type === "error")!.content["ename"]).toBe("KeyboardInterrupt");
    expect((await client.execute("cleanedUp")).result).toBe("true");
  });

  it("still refuses on any other running loop, as Python's does", async () => {
    const { client } = await startKernel();
    const r = await client.execute(
      'import * as asyncio from "asyncio";\nconst own = asyncio.newEventLoop();\ntry {\n  await own.runUntilComplete(own.createTask(async () => asyncio.run(async () => 1)));\n} finally {\n  own.close();\n}',
    );
    expect(r.error).toMatchObject({ evalue: "asyncio.run() cannot be called from a running event loop" });
  });
});

describe("Large cells", () => {
  it("compile on a worker thread: the loop keeps serving meanwhile, and syntax errors keep their place", async () => {
    const { client } = await startKernel();
    await client.execute(
      'import * as asyncio from "asyncio";\nlet ticks = 0;\nconst ticker = asyncio.createTask(async () => { for (;;) { await asyncio.sleep(0.001); ticks++; } });',
    );
    const lines = Array.from({ length: 3000 }, (_, i) => `interface I${i} { a: number; b: string }\nconst v${i}: I${i} = { a: ${i}, b: "x" };`);
    const before = await client.execute("ticks");
    // The big cell's first line reads the ticker: how far it got while the cell was compiled.
    const big = await client.execute("const ticksAtStart = ticks;\n" + lines.join("\n") + "\n[v2999.a, ticksAtStart]");
    await client.execute("ticker.cancel();");
    const [last, ticksAtStart] = JSON.parse(big.result!) as [number, number];
    expect(last).toBe(2999);
    // Compiling 3,000 lines takes tens of milliseconds; the 1 ms ticker ran on meanwhile.
    expect(ticksAtStart - Number(before.result)).toBeGreaterThan(10);
    const bad = await client.execute(lines.slice(0, 800).join("\n") + "\nconst = broken;");
    expect(bad.error!["ename"]).toBe("SyntaxError");
    expect(String(bad.error!["evalue"])).toMatch(/\(1601:\d+\)$/);
  });
});

describe("Imports in cells", () => {
  it("load Node built-ins and npm packages next to the notebook, CommonJS and ESM-only", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-notebook-"));
    try {
      const cjs = join(dir, "node_modules", "cjs-pkg");
      mkdirSync(cjs, { recursive: true });
      writeFileSync(join(cjs, "package.json"), JSON.stringify({ name: "cjs-pkg", main: "index.js" }));
      writeFileSync(join(cjs, "index.js"), "module.exports = { kind: 'commonjs', add: (a, b) => a + b };");
      const esm = join(dir, "node_modules", "esm-only");
      mkdirSync(join(esm, "lib"), { recursive: true });
      writeFileSync(join(esm, "package.json"), JSON.stringify({ name: "esm-only", type: "module", exports: { ".": { import: "./lib/main.js" } } }));
      writeFileSync(join(esm, "lib", "main.js"), "export const kind = 'esm'; export default function hello() { return 'hello from esm'; }");
      const { client } = await startKernel({ cwd: dir });
      const r = await client.execute(
        'import cjs from "cjs-pkg";\nimport hello, { kind } from "esm-only";\nimport { createHash } from "node:crypto";\nimport * as net from "net";\n[cjs.kind, cjs.add(1, 2), kind, hello(), typeof createHash, typeof net.connect]',
      );
      expect(r.reply["status"]).toBe("ok");
      expect(r.result).toBe("[ 'commonjs', 3, 'esm', 'hello from esm', 'function', 'function' ]");
      const missing = await client.execute('import nope from "not-installed-anywhere";');
      expect(missing.error!["evalue"]).toMatch(/Cannot find module 'not-installed-anywhere'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Completion, inspection and is_complete without a checker", () => {
  it("complete and inspect from live values", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";');
    const [, c] = await client.request("complete_request", { code: "asyncio.sle", cursor_pos: 11 });
    expect(c!.content).toMatchObject({ status: "ok", matches: ["sleep"], cursor_start: 8, cursor_end: 11 });
    const [, i] = await client.request("inspect_request", { code: "asyncio.sleep", cursor_pos: 10, detail_level: 0 });
    expect(i!.content).toMatchObject({ status: "ok", found: true, data: { "text/plain": expect.stringMatching(/^function asyncio\.sleep/) } });
  });

  it("a live Future's members come in the order its state asks for: setResult first while pending, result once done", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";\nconst future = new asyncio.Future<number>();\nconst task = asyncio.ensureFuture(asyncio.sleep(10));');
    const members = async (code: string) => (await client.request("complete_request", { code, cursor_pos: code.length }))[1]!.content["matches"] as string[];
    expect((await members("future.")).slice(0, 2)).toEqual(["setResult", "setException"]);
    expect(await members("future.set")).toEqual(["setResult", "setException"]);
    expect((await members("task."))[0]).toBe("cancel");
    await client.execute("future.setResult(1)");
    expect((await members("future.")).slice(0, 2)).toEqual(["result", "exception"]);
    // A long run of letters before the cursor answers at once (the name pattern was quadratic in it).
    expect(await members(`${"a".repeat(200_000)}!`)).toEqual([]);
    // Anything else keeps the order it had.
    expect(await members("asyncio.sle")).toEqual(["sleep"]);
    await client.execute("task.cancel()");
  });

  it("is_complete: incomplete where more input can complete it, invalid where none can", async () => {
    const { client } = await startKernel();
    const status = async (code: string) => (await client.request("is_complete_request", { code }))[1]!.content;
    expect(await status("function f() {")).toEqual({ status: "incomplete", indent: "  " });
    expect((await status("const x ="))["status"]).toBe("incomplete");
    expect((await status("1 +"))["status"]).toBe("incomplete");
    expect(await status("}")).toEqual({ status: "invalid" });
    expect(await status('const s = "abc')).toEqual({ status: "invalid" });
    expect(await status("const s = 1;")).toEqual({ status: "complete" });
  });
});

/** A checker that says what it was asked and objects to cells containing "wrong". */
class RecordingChecker implements Checker {
  readonly calls: string[] = [];
  start(): void {
    this.calls.push("start");
  }
  async check(cell: CheckedCell): Promise<readonly CellDiagnostic[]> {
    this.calls.push(`check #${cell.id} ${cell.code}`);
    return cell.code.includes("wrong") ? [{ line: 2, column: 7, code: 2322, message: "Type 'string' is not assignable to type 'number'." }] : [];
  }
  commit(cell: CheckedCell, declared: readonly string[]): void {
    this.calls.push(`commit #${cell.id} ${declared.join(",")}`);
  }
  async complete(code: string, cursor: number) {
    return code.startsWith("typed") ? { matches: ["typedMember"], cursorStart: cursor, cursorEnd: cursor } : null;
  }
  async inspect(code: string) {
    return code.startsWith("typed") ? { found: true, data: { "text/plain": "(typed) docs" } } : null;
  }
  async close(): Promise<void> {
    this.calls.push("close");
  }
}

describe("A checker plugged into the TypeScript language", () => {
  it("the default checks nothing and leaves completion to live values", async () => {
    expect(await NO_CHECKER.check({ id: 0, code: "const n: number = 'x'", executionCount: 1 })).toEqual([]);
    expect(await NO_CHECKER.complete("a.", 2)).toBeNull();
  });

  it("starts after the first kernel_info, checks each cell before it runs, and sees what ran", async () => {
    const checker = new RecordingChecker();
    const { client, kernel } = await startKernel({ checker });
    await client.request("kernel_info_request", {});
    await new Promise((r) => setTimeout(r, 10));
    await client.execute("const a = 1;");
    const bad = await client.execute("globalThis.sideEffect = true;\nconst n: number = 'wrong';");
    expect(bad.error).toEqual({
      ename: "TSError",
      evalue: "TS2322: Type 'string' is not assignable to type 'number'.",
      traceback: ["Cell In[2], line 2, column 7: error TS2322: Type 'string' is not assignable to type 'number'.", OPT_OUT_HINT],
    });
    expect((await client.execute("typeof (globalThis as any).sideEffect")).result).toBe("'undefined'");
    // The opt-out: the cell runs unchecked, and its declarations still count.
    expect((await client.execute("// @ts-nocheck\nconst w = 'wrong';\nw")).result).toBe("'wrong'");
    await kernel.close();
    expect(checker.calls).toEqual([
      "start",
      "check #0 const a = 1;",
      "commit #0 a",
      "check #1 globalThis.sideEffect = true;\nconst n: number = 'wrong';",
      "check #2 typeof (globalThis as any).sideEffect",
      "commit #2 ",
      "commit #3 w",
      "close",
    ]);
  });

  it("completion and inspection come from the checker when it has an answer, else from live values", async () => {
    const { client } = await startKernel({ checker: new RecordingChecker() });
    expect((await client.request("complete_request", { code: "typed.", cursor_pos: 6 }))[1]!.content["matches"]).toEqual(["typedMember"]);
    expect((await client.request("complete_request", { code: "Math.sq", cursor_pos: 7 }))[1]!.content["matches"]).toEqual(["sqrt"]);
    expect((await client.request("inspect_request", { code: "typed", cursor_pos: 2 }))[1]!.content["data"]).toEqual({ "text/plain": "(typed) docs" });
  });
});
