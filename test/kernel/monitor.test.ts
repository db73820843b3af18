// The loop monitor in the kernel: a display under the cell that updates in place by display id,
// the cell line each task waits at (async functions and generators, noted by the compiler), the
// cell that started each task, the end of a live display when its cell runs again, and the call
// graph printed from a cell.
import { afterEach, describe, expect, it } from "vitest";
import { setEventLoop } from "../../src/asyncio/index.js";
import { TypeScriptInterpreter } from "../../src/kernel/interpreter.js";
import { Kernel } from "../../src/kernel/kernel.js";
import { KernelEventLoop } from "../../src/kernel/kernel-loop.js";
import { InMemoryTransport } from "../../src/kernel/transport.js";
import { Signer } from "../../src/kernel/wire.js";
import { connect, type Out } from "./harness.js";

const signer = new Signer("test-key");
let kernels: Kernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.close();
  setEventLoop(null);
});

async function startKernel() {
  const loop = new KernelEventLoop();
  setEventLoop(loop);
  void loop.boot();
  const transport = new InMemoryTransport();
  const language = new TypeScriptInterpreter({ loop, cwd: process.cwd(), log: () => {} });
  const kernel = new Kernel({ transport, signer, language, log: () => {} });
  kernels.push(kernel);
  await kernel.start();
  return connect(transport, signer);
}

const displayId = (m: Out): string => (m.content["transient"] as { display_id: string }).display_id;
const text = (m: Out): string => (m.content["data"] as Record<string, string>)["text/plain"] ?? "";
const html = (m: Out): string => (m.content["data"] as Record<string, string>)["text/html"] ?? "";

describe("asyncio.monitor() in the kernel", () => {
  it("shows each task's cell line and starting cell, updates in place, and ends when its cell runs again", async () => {
    const client = await startKernel();
    await client.execute(
      [
        'import * as asyncio from "asyncio";',
        "async function nap() {",
        "  await asyncio.sleep(30);",
        "}",
        "function* genNap(): asyncio.GeneratorCoroutine<void> {",
        "  yield* asyncio.sleep(30);",
        "}",
        'const sleeper = asyncio.createTask(nap, { name: "sleeper" });',
        'const genSleeper = asyncio.createTask(genNap, { name: "gen-sleeper" });',
      ].join("\n"),
    );
    const first = await client.execute("const m = asyncio.monitor({ interval: 0.05 });\nm", {}, { cellId: "cell-a" });
    expect(first.reply["status"]).toBe("ok");
    // The monitor shows itself: a display with an id, and no execute_result besides.
    expect(first.out.map((m) => m.type)).toEqual(["status", "execute_input", "display_data", "execute_reply", "status"]);
    const shown = first.out.find((m) => m.type === "display_data") as Out;
    // The cell's own task, named as its prompt, runs while it makes the monitor.
    expect(text(shown)).toMatch(/^In\[2\]\s+running\s+<anonymous>\(\)/m);
    const id = displayId(shown);
    expect(id).toMatch(/^asyncio-ts-live-/);
    expect(text(shown)).toMatch(/sleeper\s+waiting\s+nap\(\)\s+In\[1\], line 3\s+sleep \(\d+ s left\)\s+In\[1\]/);
    expect(text(shown)).toMatch(/gen-sleeper\s+waiting\s+genNap\(\)\s+In\[1\], line 6\s+sleep \(\d+ s left\)\s+In\[1\]/);
    expect(html(shown)).toContain('data-task="sleeper"');

    // Later: the cell's own task is gone from the table, by an update of the same display.
    await client.until(first.msg, () => client.of(first.msg).some((m) => m.type === "update_display_data" && !/^In\[2\]\s+running/m.test(text(m))));
    const updates = client.of(first.msg).filter((m) => m.type === "update_display_data");
    expect(updates.every((m) => displayId(m) === id)).toBe(true);

    // Running the same cell again ends the first monitor: its display says "stopped".
    const second = await client.execute("const m2 = asyncio.monitor({ interval: 0.05 });", {}, { cellId: "cell-a" });
    const last = client
      .of(first.msg)
      .filter((m) => m.type === "update_display_data")
      .at(-1) as Out;
    expect(html(last)).toContain("stopped");
    const count = client.of(first.msg).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(client.of(first.msg).length).toBe(count);
    expect(second.out.some((m) => m.type === "display_data")).toBe(true);
    await client.execute("m2.stop(); sleeper.cancel(); genSleeper.cancel();");
  });

  it("names a queue consumer's wait, and an input() wait, by what they wait on", async () => {
    const client = await startKernel();
    await client.execute(
      [
        'import * as asyncio from "asyncio";',
        "const q = new asyncio.Queue<string>();",
        'const consumer = asyncio.createTask(async () => { for (;;) console.log("got", await q.get()); }, { name: "consumer" });',
      ].join("\n"),
    );
    const r = await client.execute("await asyncio.sleep(0);\nasyncio.loopSnapshot().tasks.map((t) => `${t.name} ${t.state} ${t.site} ${t.waitsFor}`).join('\\n')");
    expect(r.result).toMatch(/consumer waiting In\[1\], line 3 Queue\.get <Queue/);
    await client.execute("consumer.cancel()");
  });

  it("prints the call graph of a task from a cell", async () => {
    const client = await startKernel();
    await client.execute(
      [
        'import * as asyncio from "asyncio";',
        'const child = asyncio.createTask(asyncio.sleep(30), { name: "child" });',
        "const parent = asyncio.createTask(async () => {",
        "  await child;",
        '}, { name: "parent" });',
      ].join("\n"),
    );
    const r = await client.execute("await asyncio.sleep(0);\nasyncio.printCallGraph(child)");
    const printed = r.out
      .filter((m) => m.type === "stream")
      .map((m) => m.content["text"])
      .join("");
    expect(printed).toContain(
      [
        "* Task(name='child', coro=sleep())",
        "+ Call stack:",
        "|   in sleep()",
        "+ Awaited by:",
        "   * Task(name='parent', coro=<anonymous>())",
        "   + Call stack:",
        "   |   In[1], line 4, in <anonymous>()",
      ].join("\n"),
    );
    await client.execute("parent.cancel(); child.cancel();");
  });

  it("shows a timeline recorded in a cell as its SVG result, one lane per task", async () => {
    const client = await startKernel();
    const r = await client.execute(
      [
        'import * as asyncio from "asyncio";',
        "async function player(name: string, mine: asyncio.Queue<number>, theirs: asyncio.Queue<number>) {",
        "  for (let i = 0; i < 3; i++) {",
        "    const ball = await mine.get();",
        "    await asyncio.sleep(0.01);",
        "    await theirs.put(ball + 1);",
        "  }",
        "}",
        "await asyncio.timeline(async () => {",
        "  const a = new asyncio.Queue<number>(), b = new asyncio.Queue<number>();",
        "  a.putNowait(0);",
        '  await asyncio.gather(asyncio.createTask(() => player("ping", a, b), { name: "ping" }), asyncio.createTask(() => player("pong", b, a), { name: "pong" }));',
        "})",
      ].join("\n"),
    );
    expect(r.reply["status"]).toBe("ok");
    const data = r.out.find((m) => m.type === "execute_result")?.content["data"] as Record<string, string>;
    const svg = data["image/svg+xml"] ?? "";
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const lane of ["ping", "pong", "timers"]) expect(svg).toContain(`>${lane}</text>`);
    expect(data["text/plain"]).toMatch(/ping/);
  });
});
