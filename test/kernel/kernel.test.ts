// The kernel's protocol layer over an in-memory transport: replies, busy/idle, outputs before
// idle, late output under its own cell, the REPL exercise, forged and broken messages.
import { afterEach, describe, expect, it } from "vitest";
import { Kernel, isComplete } from "../../src/kernel/kernel.js";
import { KernelEventLoop } from "../../src/kernel/kernel-loop.js";
import { makeMessage, type Message } from "../../src/kernel/messages.js";
import { InMemoryTransport, type Channel } from "../../src/kernel/transport.js";
import { Signer, deserialize, serialize } from "../../src/kernel/wire.js";
import { setEventLoop } from "../../src/asyncio/index.js";

const signer = new Signer("test-key");
let kernels: Kernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.close();
  setEventLoop(null);
});

async function startKernel(cwd = process.cwd()) {
  const loop = new KernelEventLoop();
  setEventLoop(loop);
  void loop.boot();
  const transport = new InMemoryTransport();
  const kernel = new Kernel({ transport, signer, loop, cwd, log: () => {} });
  kernels.push(kernel);
  await kernel.start();
  const received: { channel: Channel; msg: Message }[] = [];
  transport.onSend((channel, frames) => received.push({ channel, msg: deserialize(frames, signer) }));
  const client = {
    received,
    send(channel: Channel, type: string, content: Record<string, unknown>): Message {
      const msg = makeMessage(type, content, null, "client-session");
      transport.receive(channel, serialize(msg, signer, [Buffer.from("client")]));
      return msg as Message;
    },
    /** Messages (type and content) with `parent` as their parent, in order. */
    of(parent: Message): { channel: Channel; type: string; content: Record<string, unknown> }[] {
      return received.filter((r) => (r.msg.parent_header as { msg_id?: string }).msg_id === parent.header.msg_id).map((r) => ({ channel: r.channel, type: r.msg.header.msg_type, content: r.msg.content }));
    },
    async until(parent: Message, pred: (types: string[]) => boolean): Promise<void> {
      for (let i = 0; i < 500; i++) {
        if (pred(client.of(parent).map((m) => m.type))) return;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`timed out: ${JSON.stringify(client.of(parent).map((m) => m.type))}`);
    },
    async execute(code: string, extra: Record<string, unknown> = {}) {
      const msg = client.send("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...extra });
      await client.until(msg, (t) => t.includes("execute_reply") && t.at(-1) === "status" && client.of(msg).at(-1)?.content["execution_state"] === "idle");
      return { msg, out: client.of(msg) };
    },
  };
  return { kernel, loop, transport, client };
}

describe("The kernel over an in-memory transport", () => {
  it("answers kernel_info between busy and idle", async () => {
    const { client } = await startKernel();
    const req = client.send("shell", "kernel_info_request", {});
    await client.until(req, (t) => t.length === 3);
    const out = client.of(req);
    expect(out.map((m) => [m.channel, m.type])).toEqual([["iopub", "status"], ["shell", "kernel_info_reply"], ["iopub", "status"]]);
    expect(out[0]!.content).toEqual({ execution_state: "busy" });
    expect(out[1]!.content["protocol_version"]).toBe("5.3");
    expect((out[1]!.content["language_info"] as { name: string }).name).toBe("typescript");
  });

  it("runs the REPL exercise cell by cell, with every output before idle", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";\nconst future = new asyncio.Future<string>();');
    let r = await client.execute("future.done()");
    expect(r.out.map((m) => m.type)).toEqual(["status", "execute_input", "execute_result", "execute_reply", "status"]);
    expect(r.out[2]!.content["data"]).toEqual({ "text/plain": "false" });
    r = await client.execute("future.result()");
    const err = r.out.find((m) => m.type === "error")!.content;
    expect([err["ename"], err["evalue"]]).toEqual(["InvalidStateError", "Result is not ready."]);
    expect(r.out.find((m) => m.type === "execute_reply")!.content["status"]).toBe("error");
    await client.execute('future.setResult("Your Name")');
    r = await client.execute("future.result()");
    expect(r.out.find((m) => m.type === "execute_result")!.content["data"]).toEqual({ "text/plain": "'Your Name'" });
    r = await client.execute("future");
    const data = r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>;
    expect(data["text/plain"]).toBe("<Future finished result='Your Name'>");
    expect(data["text/html"]).toContain("finished");
  });

  it("shows a pending Future as it is, and awaits a Promise", async () => {
    const { client } = await startKernel();
    let r = await client.execute("new (await import('asyncio')).Future()");
    expect(r.out.find((m) => m.type === "execute_reply")!.content["status"]).toBe("ok");
    expect((r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"]).toBe("<Future pending>");
    r = await client.execute("Promise.resolve(41).then((x) => x + 1)");
    expect((r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"]).toBe("42");
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
    const late = client.of(first.msg).find((m) => m.type === "stream")!;
    expect(late.content).toEqual({ name: "stdout", text: "late\n" });
    expect(client.of(second.msg).some((m) => m.type === "stream")).toBe(false);
  });

  it("a server started in one cell answers a client in the next", async () => {
    const { client } = await startKernel();
    await client.execute(
      'import * as asyncio from "asyncio";\nconst server = await asyncio.startServer(async (r, w) => { w.write(Buffer.concat([Buffer.from("echo:"), await r.readline()])); await w.drain(); w.close(); }, "127.0.0.1", 0);\nconst port = (server.sockets[0].getsockname() as [string, number])[1];',
    );
    const r = await client.execute('const [reader, writer] = await asyncio.openConnection("127.0.0.1", port);\nwriter.write("hi\\n");\n(await reader.readline()).toString()');
    expect((r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"]).toBe("'echo:hi\\n'");
    await client.execute("server.close(); await server.waitClosed();");
  });

  it("loop.runUntilComplete(task) in a cell does what the class's script does", async () => {
    const { client } = await startKernel();
    const r = await client.execute(
      'import * as asyncio from "asyncio";\nconst myCoro = asyncio.coroutine(function* myCoro() { console.log("Hello, YOUR NAME"); });\nconst task = new asyncio.Task(myCoro());\nconst loop = asyncio.getEventLoop();\nloop.runUntilComplete(task)',
    );
    expect(r.out.filter((m) => m.type === "stream").map((m) => m.content["text"])).toEqual(["Hello, YOUR NAME\n"]);
    const again = await client.execute("loop.close(); loop.isClosed()");
    expect((again.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"]).toBe("false");
  });

  it("stop_on_error aborts the cells queued behind a failing one", async () => {
    const { client } = await startKernel();
    const a = client.send("shell", "execute_request", { code: "throw new Error('boom')", stop_on_error: true });
    const b = client.send("shell", "execute_request", { code: "console.log('should not run')", stop_on_error: true });
    await client.until(b, (t) => t.includes("execute_reply"));
    expect(client.of(a).find((m) => m.type === "execute_reply")!.content["status"]).toBe("error");
    expect(client.of(b).find((m) => m.type === "execute_reply")!.content["status"]).toBe("aborted");
    expect(client.of(b).some((m) => m.type === "stream")).toBe(false);
    const c = await client.execute("'runs again'");
    expect(c.out.find((m) => m.type === "execute_reply")!.content["status"]).toBe("ok");
  });

  it("a forged signature is never executed, and garbage frames are survived", async () => {
    const { client, transport } = await startKernel();
    const evil = makeMessage("execute_request", { code: "globalThis.__pwned = true" }, null, "x");
    transport.receive("shell", serialize(evil, new Signer("wrong key"), [Buffer.from("c")]));
    transport.receive("shell", [Buffer.from("garbage")]);
    transport.receive("shell", [Buffer.from("<IDS|MSG>"), Buffer.from("sig"), Buffer.from("{")]);
    const r = await client.execute("typeof (globalThis as any).__pwned");
    expect((r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"]).toBe("'undefined'");
  });

  it("interrupt cancels a cell stuck in an await, and the state is kept", async () => {
    const { client, kernel } = await startKernel();
    await client.execute("const kept = 'still here';");
    const stuck = client.send("shell", "execute_request", { code: "await new (await import('asyncio')).Future()" });
    await client.until(stuck, (t) => t.includes("execute_input"));
    await new Promise((r) => setTimeout(r, 20));
    kernel.interrupt();
    await client.until(stuck, (t) => t.includes("execute_reply"));
    const err = client.of(stuck).find((m) => m.type === "error")!.content;
    expect(err["ename"]).toBe("KeyboardInterrupt");
    const r = await client.execute("kept");
    expect((r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"]).toBe("'still here'");
  });

  it("a runtime error's traceback names the cell's line", async () => {
    const { client } = await startKernel();
    const r = await client.execute("interface Unused { a: number }\nconst x = 1;\nfunction fail(): never {\n  throw new TypeError('bad value');\n}\nfail()");
    const err = r.out.find((m) => m.type === "error")!.content;
    expect(err["ename"]).toBe("TypeError");
    expect((err["traceback"] as string[]).join("\n")).toMatch(/In \[\d+\], line 4/);
  });
});

describe("Large cells", () => {
  it("compile on a worker thread: the loop keeps serving meanwhile, and syntax errors keep their place", async () => {
    const { client } = await startKernel();
    await client.execute('import * as asyncio from "asyncio";\nlet ticks = 0;\nconst ticker = asyncio.createTask(async () => { for (;;) { await asyncio.sleep(0.001); ticks++; } });');
    const lines = Array.from({ length: 3000 }, (_, i) => `interface I${i} { a: number; b: string }\nconst v${i}: I${i} = { a: ${i}, b: "x" };`);
    const before = await client.execute("ticks");
    // The big cell's first line reads the ticker: how far it got while the cell was compiled.
    const big = await client.execute("const ticksAtStart = ticks;\n" + lines.join("\n") + "\n[v2999.a, ticksAtStart]");
    await client.execute("ticker.cancel();");
    const value = (r: typeof big) => (r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"];
    const [last, ticksAtStart] = JSON.parse(value(big)!) as [number, number];
    expect(last).toBe(2999);
    // Compiling 3,000 lines takes hundreds of milliseconds; the 1 ms ticker ran on meanwhile.
    expect(ticksAtStart - Number(value(before))).toBeGreaterThan(10);
    const bad = await client.execute(lines.slice(0, 800).join("\n") + "\nconst = broken;");
    const err = bad.out.find((m) => m.type === "error")!.content;
    expect(err["ename"]).toBe("SyntaxError");
    expect(String(err["evalue"])).toMatch(/\(1601:\d+\)$/);
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
      const { client } = await startKernel(dir);
      const r = await client.execute('import cjs from "cjs-pkg";\nimport hello, { kind } from "esm-only";\nimport { createHash } from "node:crypto";\nimport * as net from "net";\n[cjs.kind, cjs.add(1, 2), kind, hello(), typeof createHash, typeof net.connect]');
      expect(r.out.find((m) => m.type === "execute_reply")!.content["status"]).toBe("ok");
      expect((r.out.find((m) => m.type === "execute_result")!.content["data"] as Record<string, string>)["text/plain"]).toBe("[ 'commonjs', 3, 'esm', 'hello from esm', 'function', 'function' ]");
      const missing = await client.execute('import nope from "not-installed-anywhere";');
      expect(missing.out.find((m) => m.type === "error")!.content["evalue"]).toMatch(/Cannot find module 'not-installed-anywhere'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("is_complete", () => {
  it("says complete, incomplete with an indent, or invalid", () => {
    expect(isComplete("const a = 1;").status).toBe("complete");
    expect(isComplete("function f() {")).toEqual({ status: "incomplete", indent: "  " });
    expect(isComplete("const = = 1;").status).toBe("invalid");
  });
});
