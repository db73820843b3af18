// The protocol layer over an in-memory transport, against a stub language that compiles
// nothing: busy/idle around every request, the order of outputs, execution counts, silent and
// store_history, stop_on_error, user_expressions, stdin, history, cursor offsets in code points,
// forged and broken messages, shutdown. (The TypeScript language: interpreter.test.ts.)
import { afterEach, describe, expect, it, vi } from "vitest";
import { globMatch } from "../../src/kernel/history.js";
import { Kernel } from "../../src/kernel/kernel.js";
import type { CellOutput, Completion, Evaluation, ExecuteOptions, ExecuteOutcome, Inspection, IsCompleteResult, Language } from "../../src/kernel/language.js";
import { makeMessage, type Message } from "../../src/kernel/messages.js";
import { InMemoryTransport } from "../../src/kernel/transport.js";
import { Signer, serialize } from "../../src/kernel/wire.js";
import { connect } from "./harness.js";

/**
 * A language whose cells are lines of commands:
 * `print TEXT`, `result TEXT`, `fail NAME: MESSAGE`, `wait MS`, `later MS TEXT` (prints after
 * the cell ended), `page TEXT`, `input PROMPT` (prints the answer), `hang` (until interrupted),
 * `throw` (the language itself fails).
 */
class StubLanguage implements Language {
  readonly languageInfo = { name: "stub", version: "1.0", mimetype: "text/plain", file_extension: ".stub" };
  readonly banner = "a stub language";
  readonly events: string[] = [];
  cursors: number[] = [];
  private _release: (() => void) | null = null;

  start(): void {
    this.events.push("start");
  }

  warmUp(): void {
    this.events.push("warmUp");
  }

  async execute(code: string, cell: CellOutput, options: ExecuteOptions): Promise<ExecuteOutcome> {
    this.events.push(`execute ${JSON.stringify(code)} #${cell.executionCount}${options.silent ? " silent" : ""}`);
    let result: ExecuteOutcome = { status: "ok", result: null };
    for (const line of code.split("\n")) {
      const [command = "", ...rest] = line.split(" ");
      const arg = rest.join(" ");
      switch (command) {
        case "print":
          cell.stream("stdout", `${arg}\n`);
          break;
        case "result":
          result = { status: "ok", result: { "text/plain": arg } };
          break;
        case "fail": {
          const [ename = "Error", evalue = ""] = arg.split(": ");
          return { status: "error", ename, evalue, traceback: [`${ename}: ${evalue}`] };
        }
        case "wait":
          await new Promise((r) => setTimeout(r, Number(arg)));
          break;
        case "later": {
          const [ms, ...text] = rest;
          setTimeout(() => cell.stream("stdout", `${text.join(" ")}\n`), Number(ms));
          break;
        }
        case "page":
          cell.payload({ source: "page", data: { "text/plain": arg }, start: 0 });
          break;
        case "input":
          try {
            cell.stream("stdout", `got ${await cell.requestInput(arg, false)}\n`);
          } catch (e) {
            return { status: "error", ename: "InputError", evalue: (e as Error).message, traceback: [] };
          }
          break;
        case "hang":
          await new Promise<void>((r) => (this._release = r));
          return { status: "error", ename: "KeyboardInterrupt", evalue: "", traceback: ["KeyboardInterrupt"] };
        case "throw":
          throw new Error("the language broke");
      }
    }
    return result;
  }

  async evaluate(expression: string): Promise<Evaluation> {
    this.events.push(`evaluate ${expression}`);
    if (expression.startsWith("bad")) return { status: "error", ename: "NameError", evalue: expression, traceback: [] };
    return { status: "ok", data: { "text/plain": `value of ${expression}` } };
  }

  complete(code: string, cursor: number): Completion {
    this.cursors.push(cursor);
    // Completes the word before the cursor with "match".
    const start = cursor - (/\w*$/.exec(code.slice(0, cursor))?.[0].length ?? 0);
    return { matches: ["match"], cursorStart: start, cursorEnd: cursor, types: [{ text: "match", type: "function" }] };
  }

  inspect(code: string, cursor: number, detailLevel: number): Inspection {
    this.cursors.push(cursor);
    return { found: true, data: { "text/plain": `${code.slice(0, cursor)}| at detail ${detailLevel}` } };
  }

  isComplete(code: string): IsCompleteResult {
    if (code === "overflow") throw new RangeError("Maximum call stack size exceeded");
    return code.endsWith("{") ? { status: "incomplete", indent: "  " } : { status: "complete" };
  }

  interrupt(): void {
    this.events.push("interrupt");
    this._release?.();
    this._release = null;
  }

  async close(): Promise<void> {
    this.events.push("close");
  }
}

const signer = new Signer("test-key");
let kernels: Kernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.close();
});

async function startKernel(options: { onShutdown?: (restart: boolean) => void; log?: (line: string) => void } = {}) {
  const transport = new InMemoryTransport();
  const language = new StubLanguage();
  const kernel = new Kernel({ transport, signer, language, log: () => {}, ...options });
  kernels.push(kernel);
  await kernel.start();
  return { kernel, language, transport, client: connect(transport, signer) };
}

describe("Every request", () => {
  it("is answered between busy and idle, and kernel_info carries the language's info", async () => {
    const { client, language } = await startKernel();
    const out = await client.request("kernel_info_request", {});
    expect(out.map((m) => [m.channel, m.type])).toEqual([
      ["iopub", "status"],
      ["shell", "kernel_info_reply"],
      ["iopub", "status"],
    ]);
    expect(out.map((m) => m.content["execution_state"])).toEqual(["busy", undefined, "idle"]);
    expect(out[1]!.content).toMatchObject({ status: "ok", protocol_version: "5.3", language_info: language.languageInfo, banner: "a stub language" });
  });

  it("the language starts before the first request and warms up once, after the first kernel_info reply", async () => {
    const { client, language } = await startKernel();
    expect(language.events).toEqual(["start"]);
    await client.request("kernel_info_request", {});
    await client.request("kernel_info_request", {});
    await new Promise((r) => setTimeout(r, 10));
    expect(language.events).toEqual(["start", "warmUp"]);
  });

  it("a request the language fails on gets an error reply, and the kernel goes on", async () => {
    const { client } = await startKernel();
    const r = await client.execute("throw");
    expect(r.reply).toMatchObject({ status: "error", ename: "Error", evalue: "the language broke" });
    expect((await client.execute("result fine")).reply["status"]).toBe("ok");
  });

  it("shell requests are handled one at a time in order; control requests do not wait for them", async () => {
    const { client, language } = await startKernel();
    const slow = client.send("shell", "execute_request", { code: "hang" });
    const complete = client.send("shell", "complete_request", { code: "ab", cursor_pos: 2 });
    await client.until(slow, (t) => t.includes("execute_input"));
    const interrupt = await client.request("interrupt_request", {}, "control");
    expect(interrupt.map((m) => m.type)).toEqual(["status", "interrupt_reply", "status"]);
    await client.done(complete);
    const order = client.received.map((r) => r.msg.header.msg_type).filter((t) => t.endsWith("_reply"));
    expect(order).toEqual(["interrupt_reply", "execute_reply", "complete_reply"]);
    expect(language.events).toContain("interrupt");
  });

  it("a control request the transport answered itself is bracketed by busy and idle, not answered again (issue 11, item 5)", async () => {
    const { client, transport, kernel, language } = await startKernel();
    // What the control thread answers from: the kernel's session and its kernel_info content.
    expect(transport.kernel).toMatchObject({ session: kernel.session, kernelInfo: { status: "ok", language_info: language.languageInfo } });
    for (const type of ["kernel_info_request", "interrupt_request"]) {
      const msg = makeMessage(type, {}, null, "client-session");
      transport.receive("control", serialize(msg, signer, [Buffer.from("client")]), true);
      const out = await client.done(msg as Message);
      expect(out.map((m) => [m.channel, m.type])).toEqual([
        ["iopub", "status"],
        ["iopub", "status"],
      ]);
    }
    // The interrupt itself reaches the language another way (the transport's onInterrupt).
    expect(language.events).not.toContain("interrupt");
    await new Promise((r) => setTimeout(r, 10));
    expect(language.events).toContain("warmUp");
  });

  it("a forged signature is never executed, and garbage frames are survived", async () => {
    const { client, transport, language } = await startKernel();
    const evil = makeMessage("execute_request", { code: "print pwned" }, null, "x");
    transport.receive("shell", serialize(evil, new Signer("wrong key"), [Buffer.from("c")]));
    transport.receive("shell", [Buffer.from("garbage")]);
    transport.receive("shell", [Buffer.from("<IDS|MSG>"), Buffer.from("sig"), Buffer.from("{")]);
    await client.execute("result alive");
    expect(language.events.filter((e) => e.startsWith("execute"))).toEqual(['execute "result alive" #1']);
  });
});

describe("Hostile messages (issue 11)", () => {
  it("item 2: the exact frames of a signed execute_request sent again are refused with a log line, never run", async () => {
    const logs: string[] = [];
    const { client, transport, language } = await startKernel({ log: (l) => logs.push(l) });
    const frames = serialize(makeMessage("execute_request", { code: "print once" }, null, "replayer"), signer, [Buffer.from("c")]);
    for (let i = 0; i < 6; i++) transport.receive("shell", frames);
    transport.receive("control", frames);
    await client.execute("result after");
    expect(language.events.filter((e) => e.startsWith("execute"))).toEqual(['execute "print once" #1', 'execute "result after" #2']);
    expect(logs.filter((l) => l.includes("Duplicate Signature"))).toHaveLength(6);
  });

  it("item 3: a signed request whose header cannot be serialised is dropped with a log line, and the shell queue moves on", async () => {
    const logs: string[] = [];
    const { client, transport, language } = await startKernel({ log: (l) => logs.push(l) });
    const earlier = await client.execute("print earlier");
    // Written by hand: JSON.stringify itself overflows on this header, as the kernel's would.
    const deep = "[".repeat(10_000) + "]".repeat(10_000);
    const json = [`{"msg_id":"deep","session":"s","username":"u","date":"","msg_type":"execute_request","version":"5.3","deep":${deep}}`, "{}", "{}", '{"code":"print pwned"}'].map(
      (t) => Buffer.from(t),
    );
    transport.receive("shell", [Buffer.from("c"), Buffer.from("<IDS|MSG>"), Buffer.from(signer.sign(json)), ...json]);
    const behind = await client.execute("result behind");
    expect(behind.reply["status"]).toBe("ok");
    expect(language.events.filter((e) => e.startsWith("execute"))).toEqual(['execute "print earlier" #1', 'execute "result behind" #2']);
    expect(logs.filter((l) => l.startsWith("dropped a message on shell: its header cannot be serialised (RangeError"))).toHaveLength(1);
    // Nothing was sent for it (no busy without idle), and nothing went under the earlier cell.
    expect(client.received.filter((r) => (r.msg.parent_header as { msg_id?: string }).msg_id === "deep")).toEqual([]);
    expect(client.of(earlier.msg)).toEqual(earlier.out);
  });

  it("item 3: a request whose handling fails gets an error reply between busy and idle, and the queue moves on", async () => {
    const logs: string[] = [];
    const { client } = await startKernel({ log: (l) => logs.push(l) });
    // A code that String() cannot turn into text: the handler throws before the language runs.
    const bad = client.send("shell", "execute_request", { code: { toString: null } });
    const next = client.send("shell", "kernel_info_request", {});
    const out = await client.done(bad);
    expect(out.map((m) => m.type)).toEqual(["status", "execute_reply", "status"]);
    expect(out[1]!.content).toMatchObject({ status: "error", ename: "TypeError" });
    expect((await client.done(next)).map((m) => m.type)).toEqual(["status", "kernel_info_reply", "status"]);
  });

  it("item 4: is_complete answers unknown when the language's check fails", async () => {
    const logs: string[] = [];
    const { client } = await startKernel({ log: (l) => logs.push(l) });
    const out = await client.request("is_complete_request", { code: "overflow" });
    expect(out.map((m) => m.type)).toEqual(["status", "is_complete_reply", "status"]);
    expect(out[1]!.content).toEqual({ status: "unknown" });
    expect(logs).toEqual(["is_complete failed, answered unknown: RangeError: Maximum call stack size exceeded"]);
  });

  it("item 7: comm_open to an unknown target is answered with comm_close on iopub", async () => {
    const logs: string[] = [];
    const { client } = await startKernel({ log: (l) => logs.push(l) });
    const out = await client.request("comm_open", { comm_id: "c1", target_name: "nobody", data: {} });
    expect(out.map((m) => [m.channel, m.type])).toEqual([
      ["iopub", "status"],
      ["iopub", "comm_close"],
      ["iopub", "status"],
    ]);
    expect(out[1]!.content).toEqual({ comm_id: "c1", data: {} });
    expect(logs).toEqual(['no such comm target registered: "nobody"']);
    // comm_msg and comm_close for comms that do not exist stay quiet, as before.
    expect((await client.request("comm_msg", { comm_id: "c1", data: {} })).map((m) => m.type)).toEqual(["status", "status"]);
    expect(logs).toHaveLength(1);
  });

  it("item 8: message types named after Object.prototype members are unknown, and a huge one is logged cut short", async () => {
    const logs: string[] = [];
    const { client } = await startKernel({ log: (l) => logs.push(l) });
    for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
      const out = await client.request(type, {});
      expect(out.map((m) => m.type)).toEqual(["status", "status"]);
      expect(logs.pop()).toBe(`unknown message type ${JSON.stringify(type)} on shell`);
    }
    await client.request("x".repeat(1_000_000), {});
    expect(logs).toHaveLength(1);
    expect(logs[0]!.length).toBeLessThan(200);
    expect(logs[0]).toContain("(1000000 characters)");
    expect((await client.execute("result still")).result).toBe("still");
  });
});

describe("execute_request", () => {
  it("publishes the input, then the outputs, the result, the reply and idle, in that order", async () => {
    const { client } = await startKernel();
    const r = await client.execute("print hello\nresult 42");
    expect(r.out.map((m) => m.type)).toEqual(["status", "execute_input", "stream", "execute_result", "execute_reply", "status"]);
    expect(r.out[1]!.content).toEqual({ code: "print hello\nresult 42", execution_count: 1 });
    expect(r.out[2]!.content).toEqual({ name: "stdout", text: "hello\n" });
    expect(r.out[3]!.content).toEqual({ execution_count: 1, data: { "text/plain": "42" }, metadata: {} });
    expect(r.reply).toEqual({ status: "ok", execution_count: 1, user_expressions: {}, payload: [] });
  });

  it("counts executions; silent and store_history: false cells do not count, and a silent cell publishes nothing", async () => {
    const { client, language } = await startKernel();
    expect((await client.execute("result a")).reply["execution_count"]).toBe(1);
    const silent = await client.execute("print hidden\nresult b", { silent: true });
    expect(silent.out.map((m) => m.type)).toEqual(["status", "execute_reply", "status"]);
    expect(silent.reply["execution_count"]).toBe(1);
    const unstored = await client.execute("result c", { store_history: false });
    expect(unstored.reply["execution_count"]).toBe(1);
    expect(unstored.out.find((m) => m.type === "execute_input")!.content["execution_count"]).toBe(1);
    expect((await client.execute("result d")).reply["execution_count"]).toBe(2);
    expect(language.events.filter((e) => e.startsWith("execute"))).toEqual([
      'execute "result a" #1',
      'execute "print hidden\\nresult b" #1 silent',
      'execute "result c" #1',
      'execute "result d" #2',
    ]);
  });

  it("a failing cell publishes its error and replies with it", async () => {
    const { client } = await startKernel();
    const r = await client.execute("fail ValueError: bad value");
    expect(r.out.map((m) => m.type)).toEqual(["status", "execute_input", "error", "execute_reply", "status"]);
    expect(r.out[2]!.content).toEqual({ ename: "ValueError", evalue: "bad value", traceback: ["ValueError: bad value"] });
    expect(r.reply).toMatchObject({ status: "error", execution_count: 1, ename: "ValueError", evalue: "bad value", user_expressions: {}, payload: [] });
  });

  it("stop_on_error aborts the cells queued behind a failing one, and only those", async () => {
    const { client, language } = await startKernel();
    const a = client.send("shell", "execute_request", { code: "wait 20\nfail Error: boom", stop_on_error: true });
    const b = client.send("shell", "execute_request", { code: "print must not run", stop_on_error: true });
    await client.done(b);
    expect(client.of(a).find((m) => m.type === "execute_reply")!.content["status"]).toBe("error");
    expect(client.of(b).map((m) => m.type)).toEqual(["status", "execute_reply", "status"]);
    expect(client.of(b).find((m) => m.type === "execute_reply")!.content).toEqual({ status: "aborted", execution_count: 1 });
    expect(language.events.some((e) => e.includes("must not run"))).toBe(false);
    expect((await client.execute("result runs again")).reply["status"]).toBe("ok");
  });

  it("stop_on_error: false lets the queued cells run", async () => {
    const { client } = await startKernel();
    const a = client.send("shell", "execute_request", { code: "wait 20\nfail Error: boom", stop_on_error: false });
    const b = client.send("shell", "execute_request", { code: "result still runs" });
    await client.done(b);
    expect(client.of(a).find((m) => m.type === "execute_reply")!.content["status"]).toBe("error");
    expect(client.of(b).find((m) => m.type === "execute_reply")!.content["status"]).toBe("ok");
  });

  it("user_expressions are evaluated after a cell that succeeded, each with its own status", async () => {
    const { client, language } = await startKernel();
    const ok = await client.execute("result 1", { user_expressions: { good: "x", broken: "bad y" } });
    expect(ok.reply["user_expressions"]).toEqual({
      good: { status: "ok", data: { "text/plain": "value of x" }, metadata: {} },
      broken: { status: "error", ename: "NameError", evalue: "bad y", traceback: [] },
    });
    const failed = await client.execute("fail Error: no", { user_expressions: { good: "z" } });
    expect(failed.reply["user_expressions"]).toEqual({});
    expect(language.events.filter((e) => e.startsWith("evaluate"))).toEqual(["evaluate x", "evaluate bad y"]);
  });

  it("output a cell makes after it finished carries that cell's parent, not the next cell's", async () => {
    const { client } = await startKernel();
    const first = await client.execute("later 30 late line");
    const second = await client.execute("result 2");
    await client.until(first.msg, (t) => t.includes("stream"));
    const late = client.of(first.msg).filter((m) => m.type === "stream");
    expect(late.map((m) => m.content)).toEqual([{ name: "stdout", text: "late line\n" }]);
    expect(client.of(second.msg).some((m) => m.type === "stream")).toBe(false);
  });

  it("payload items a cell adds (page) go into its reply", async () => {
    const { client } = await startKernel();
    const r = await client.execute("page some text");
    expect(r.reply["payload"]).toEqual([{ source: "page", data: { "text/plain": "some text" }, start: 0 }]);
    expect((await client.execute("result x")).reply["payload"]).toEqual([]);
  });
});

describe("stdin", () => {
  it("an input request goes out on stdin with the cell as parent, and the reply's value comes back", async () => {
    const { client } = await startKernel();
    const cell = client.send("shell", "execute_request", { code: "input Your name: ", allow_stdin: true });
    const [request] = await client.until(cell, (t) => t.includes("input_request")).then((out) => out.filter((m) => m.type === "input_request"));
    expect(request).toEqual({ channel: "stdin", type: "input_request", content: { prompt: "Your name: ", password: false } });
    client.send("stdin", "input_reply", { value: "Ada" });
    const out = await client.done(cell);
    expect(out.filter((m) => m.type === "stream").map((m) => m.content["text"])).toEqual(["got Ada\n"]);
  });

  it("is answered only by a reply to it: a stale reply naming another request is ignored, a value that is not a string comes as its JSON", async () => {
    const { client, transport } = await startKernel();
    const msg = client.send("shell", "execute_request", { code: "input name?", allow_stdin: true });
    await client.until(msg, () => client.received.some((r) => r.channel === "stdin"));
    const request = client.received.find((r) => r.channel === "stdin")!.msg;
    const reply = (value: unknown, parent: string) => {
      const m = makeMessage("input_reply", { value }, null, "client-session");
      m.parent_header = { msg_id: parent } as unknown as typeof m.parent_header;
      transport.receive("stdin", serialize(m, signer, [Buffer.from("client")]));
    };
    reply("stale", "an-earlier-request");
    reply({ toString: 1 }, request.header.msg_id);
    const out = await client.done(msg);
    expect(out.find((m) => m.type === "stream")!.content["text"]).toContain('{"toString":1}');
  });

  it("is refused when the request says allow_stdin: false, and an interrupt ends a wait for input", async () => {
    const { client, kernel } = await startKernel();
    const refused = await client.execute("input x", { allow_stdin: false });
    expect(refused.reply).toMatchObject({ status: "error", ename: "InputError" });
    const cell = client.send("shell", "execute_request", { code: "input y", allow_stdin: true });
    await client.until(cell, (t) => t.includes("input_request"));
    kernel.interrupt();
    const out = await client.done(cell);
    expect(out.find((m) => m.type === "execute_reply")!.content).toMatchObject({ status: "error", ename: "InputError", evalue: "interrupted while waiting for input" });
  });
});

describe("complete, inspect, is_complete", () => {
  it("cursor positions are code points on the wire and UTF-16 offsets for the language", async () => {
    const { client, language } = await startKernel();
    // "😀" is one code point and two UTF-16 units: the wire's cursor 6 is the language's 7.
    const code = "😀 = ab";
    const [, reply] = await client.request("complete_request", { code, cursor_pos: 6 });
    expect(language.cursors).toEqual([7]);
    expect(reply!.content).toEqual({
      status: "ok",
      matches: ["match"],
      cursor_start: 4,
      cursor_end: 6,
      metadata: { _jupyter_types_experimental: [{ text: "match", type: "function", start: 4, end: 6 }] },
    });
    const [, inspected] = await client.request("inspect_request", { code, cursor_pos: 5, detail_level: 1 });
    expect(language.cursors.at(-1)).toBe(6);
    expect(inspected!.content).toEqual({ status: "ok", found: true, data: { "text/plain": "😀 = a| at detail 1" }, metadata: {} });
  });

  it("is_complete is the language's answer", async () => {
    const { client } = await startKernel();
    expect((await client.request("is_complete_request", { code: "f() {" }))[1]!.content).toEqual({ status: "incomplete", indent: "  " });
    expect((await client.request("is_complete_request", { code: "f()" }))[1]!.content).toEqual({ status: "complete" });
  });
});

describe("history_request", () => {
  it("tail, range and search (with unique and n), with outputs when asked", async () => {
    const { client } = await startKernel();
    await client.execute("result one");
    await client.execute("print two");
    await client.execute("result one");
    await client.execute("result hidden", { silent: true });
    const history = async (content: Record<string, unknown>) => (await client.request("history_request", content))[1]!.content["history"];
    expect(await history({ hist_access_type: "tail", n: 2, output: false })).toEqual([
      [0, 2, "print two"],
      [0, 3, "result one"],
    ]);
    expect(await history({ hist_access_type: "range", start: 1, stop: 3, output: true })).toEqual([
      [0, 1, ["result one", "one"]],
      [0, 2, ["print two", null]],
    ]);
    expect(await history({ hist_access_type: "search", pattern: "result*", unique: true })).toEqual([[0, 3, "result one"]]);
    expect(await history({ hist_access_type: "search", pattern: "*o*", n: 1 })).toEqual([[0, 3, "result one"]]);
  });

  it("search globs match as glob does, and a pattern of many stars answers at once (as a regular expression it backtracked for minutes)", async () => {
    expect(globMatch("res?lt *", "result one")).toBe(true);
    expect(globMatch("*two", "print two")).toBe(true);
    expect(globMatch("*two", "print two!")).toBe(false);
    expect(globMatch("a.b", "axb")).toBe(false);
    expect(globMatch("**", "")).toBe(true);
    // A star in the text is matched by the pattern's star (jupyter_kernel_test searches "6 *" in "6 * 7").
    expect(globMatch("6 *", "6 * 7")).toBe(true);
    expect(globMatch("a*b", "a*xb")).toBe(true);
    const { client } = await startKernel();
    await client.execute(`print ${"a".repeat(40)}`);
    const [, reply] = await client.request("history_request", { hist_access_type: "search", pattern: `${"*a".repeat(14)}*z` });
    expect(reply!.content["history"]).toEqual([]);
  });
});

describe("shutdown_request", () => {
  it("replies, publishes idle once, then closes the language and the transport, and says whether a restart was asked for", async () => {
    let restarted: boolean | null = null;
    const { client, language, transport } = await startKernel({ onShutdown: (restart) => (restarted = restart) });
    const msg = client.send("control", "shutdown_request", { restart: true });
    await client.done(msg);
    await vi.waitFor(() => expect(restarted).toBe(true));
    const out = client.of(msg);
    expect(out.find((m) => m.type === "shutdown_reply")!.content).toEqual({ status: "ok", restart: true });
    expect(language.events.at(-1)).toBe("close");
    expect(transport.closed).toBe(true);
    // One bracket: busy, the reply, one idle, sent before the sockets closed (idle went out twice before issue 14).
    expect(out.filter((m) => m.type === "status").map((m) => m.content["execution_state"])).toEqual(["busy", "idle"]);
  });
});
