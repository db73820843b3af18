// The loop monitor and the call graph, on a real loop with real sockets: what a learner sees of
// a task waiting on a sleep, a queue consumer, a lock, a server with a connection; the text
// table a script prints; the live display a notebook gets (a host that records its updates);
// who awaits whom through gather and a TaskGroup.
import { afterEach, describe, expect, it, vi } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { _setResultUnlessCancelled } from "../../src/asyncio/futures.js";
import { noteSite, startObserving } from "../../src/asyncio/observe.js";
import type { LiveDisplay, NotebookHost } from "../../src/asyncio/monitor.js";

const HOST_KEY = Symbol.for("asyncio-ts.notebook");

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[HOST_KEY];
  vi.restoreAllMocks();
});

/** Runs `main` on a fresh loop and closes it. */
async function run<T>(main: () => Promise<T>): Promise<T> {
  startObserving();
  const loop = asyncio.newEventLoop();
  try {
    return await loop.runUntilComplete(main);
  } finally {
    loop.close();
  }
}

/** Waits `s` seconds on a Future settled by a Node timer: no loop timer shows in the monitor. */
function pause(s: number): asyncio.Future<void> {
  const f = asyncio.getRunningLoop().createFuture<void>();
  setTimeout(() => f.setResult(undefined), s * 1000);
  return f;
}

function task(snap: asyncio.LoopSnapshot, name: string): asyncio.TaskView {
  const t = snap.tasks.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no task ${name} in ${snap.tasks.map((x) => x.name).join(", ")}`);
  return t;
}

describe("loopSnapshot", () => {
  it("shows a task waiting on a sleep with the time left, its age, and the sleep's timer", async () => {
    await run(async () => {
      const sleeper = asyncio.createTask(async () => asyncio.sleep(3), { name: "sleeper" });
      await asyncio.sleep(0.05);
      const snap = asyncio.loopSnapshot();
      const t = task(snap, "sleeper");
      expect(t.state).toBe("waiting");
      expect(t.waitsFor).toMatch(/^sleep \((2\.9|3\.0) s left\)$/);
      expect(t.age).toBeGreaterThanOrEqual(0.04);
      expect(t.coro).toBe("<anonymous>()");
      expect(snap.timers.map((x) => x.callback)).toContain("wakes 'sleeper' (sleep)");
      // The task that takes the snapshot runs now.
      expect(snap.tasks.find((x) => x.state === "running")).toBeDefined();
      sleeper.cancel();
    });
  });

  it("knows a sleep by its timer when nothing noted it (a script observes only from its first monitor())", async () => {
    await run(async () => {
      const loop = asyncio.getRunningLoop();
      const fut = loop.createFuture<number>();
      loop.callLater(2, _setResultUnlessCancelled, fut, 1);
      const t = asyncio.createTask(async () => fut, { name: "unnoted" });
      await asyncio.sleep(0);
      const snap = asyncio.loopSnapshot();
      expect(task(snap, "unnoted").waitsFor).toMatch(/^sleep \((1\.9|2\.0) s left\)$/);
      // The task taking the snapshot runs: it waits for nothing.
      expect(snap.tasks.find((x) => x.state === "running")?.waitsFor).toBeNull();
      t.cancel();
    });
  });

  it("names a generator task's sleep too, and a task that has not started", async () => {
    await run(async () => {
      const gen = asyncio.createTask(function* napper() {
        yield* asyncio.sleep(2);
      });
      gen.setName("gen");
      const fresh = asyncio.createTask(asyncio.sleep(1), { name: "fresh" });
      const before = asyncio.loopSnapshot();
      expect(task(before, "fresh").state).toBe("ready");
      expect(task(before, "fresh").waitsFor).toBe("its first step");
      await asyncio.sleep(0.01);
      const t = task(asyncio.loopSnapshot(), "gen");
      expect(t.coro).toBe("napper()");
      expect(t.waitsFor).toMatch(/^sleep \(\d\.\d s left\)$/);
      gen.cancel();
      fresh.cancel();
    });
  });

  it("shows a queue consumer waiting on Queue.get and a lock waiter on the Lock", async () => {
    await run(async () => {
      const q = new asyncio.Queue<number>();
      const lock = new asyncio.Lock();
      await lock.acquire();
      const consumer = asyncio.createTask(async () => q.get(), { name: "consumer" });
      const locker = asyncio.createTask(async () => lock.acquire(), { name: "locker" });
      await asyncio.sleep(0);
      const snap = asyncio.loopSnapshot();
      expect(task(snap, "consumer").waitsFor).toMatch(/^Queue\.get <Queue /);
      expect(task(snap, "locker").waitsFor).toMatch(/^Lock <Lock \[locked/);
      q.putNowait(1);
      lock.release();
      await asyncio.gather(consumer, locker);
      lock.release();
      expect(asyncio.loopSnapshot().tasks.map((x) => x.name)).not.toContain("consumer");
    });
  });

  it("shows a server with its connection, the bytes each way, and the handler waiting on its read", async () => {
    await run(async () => {
      const server = await asyncio.startServer(
        async (reader, writer) => {
          for (;;) {
            const line = await reader.readline();
            if (line.length === 0) break;
            writer.write(line);
          }
          writer.close();
        },
        "127.0.0.1",
        0,
      );
      const port = (server.sockets[0]!.getsockname() as [string, number])[1];
      const [reader, writer] = await asyncio.openConnection("127.0.0.1", port);
      writer.write(Buffer.from("hello\n"));
      expect((await reader.readline()).toString()).toBe("hello\n");
      const snap = asyncio.loopSnapshot();
      expect(snap.servers).toHaveLength(1);
      const s = snap.servers[0] as asyncio.ServerView;
      expect(s.address).toBe(`127.0.0.1:${port}`);
      expect(s.connections).toHaveLength(1);
      expect(s.connections[0]).toMatchObject({ bytesIn: 6, bytesOut: 6 });
      const handler = snap.tasks.find((t) => t.waitsFor?.startsWith("readline <StreamReader"));
      expect(handler).toBeDefined();
      writer.close();
      server.close();
      await server.waitClosed();
      expect(asyncio.loopSnapshot().servers).toHaveLength(0);
    });
  });

  it("nests a gather's children under the task that awaits it", async () => {
    await run(async () => {
      const parent = asyncio.createTask(async () => asyncio.gather(asyncio.createTask(asyncio.sleep(1), { name: "a" }), asyncio.createTask(asyncio.sleep(1), { name: "b" })), {
        name: "parent",
      });
      await asyncio.sleep(0.01);
      const snap = asyncio.loopSnapshot();
      const names = snap.tasks.map((t) => `${t.depth}:${t.name}`);
      const i = names.indexOf("0:parent");
      expect(names.slice(i, i + 3)).toEqual(["0:parent", "1:a", "1:b"]);
      expect(task(snap, "parent").waitsFor).toBe("gather('a', 'b')");
      expect(asyncio.formatCallGraph(task(snap, "parent").task)).toContain("Task(name='parent'");
      parent.cancel();
      await asyncio.wait([parent]);
    });
  });

  it("reports the cell line a task waits at, as the kernel notes it", async () => {
    await run(async () => {
      const t = asyncio.createTask(
        async () => {
          noteSite("In[7]", 3);
          await asyncio.sleep(1);
        },
        { name: "noted" },
      );
      await asyncio.sleep(0.01);
      expect(task(asyncio.loopSnapshot(), "noted").site).toBe("In[7], line 3");
      t.cancel();
    });
  });
});

describe("monitor()", () => {
  it("prints a text table in a script, again when something changes, and stops", async () => {
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: unknown) => void printed.push(String(s)));
    await run(async () => {
      const t = asyncio.createTask(async () => asyncio.sleep(0.3), { name: "short-nap" });
      await asyncio.sleep(0);
      const m = asyncio.monitor({ interval: 0.05 });
      expect(printed[0]).toMatch(/^Event loop: \d+ tasks?, \d+ timers?, 0 servers/);
      expect(printed[0]).toMatch(/TASK\s+STATE\s+COROUTINE\s+AT\s+WAITS FOR\s+FROM\s+AGE/);
      expect(printed[0]).toMatch(/short-nap\s+waiting\s+<anonymous>\(\)\s+sleep \(0\.3 s left\)/);
      await t;
      await asyncio.sleep(0.15);
      expect(m.updates).toBeGreaterThan(0);
      expect(printed.at(-1)).not.toContain("short-nap");
      m.stop();
      expect(m.running).toBe(false);
      const count = printed.length;
      asyncio.createTask(asyncio.sleep(0.1), { name: "after-stop" });
      await asyncio.sleep(0.15);
      expect(printed.length).toBe(count);
    });
  });

  it("updates a notebook's live display in place, only when something changed, and stops when the cell ends it", async () => {
    const shown: Record<string, string>[] = [];
    const updates: Record<string, string>[] = [];
    let end: (() => void) | null = null;
    const host: NotebookHost = {
      open(bundle) {
        shown.push(bundle);
        const live: LiveDisplay = { update: (b) => void updates.push(b), onEnd: (cb) => void (end = cb) };
        return live;
      },
      describeContext: () => "In[4]",
    };
    (globalThis as Record<symbol, unknown>)[HOST_KEY] = host;
    const log = vi.spyOn(console, "log");
    await run(async () => {
      const q = new asyncio.Queue<number>();
      const consumer = asyncio.createTask(async () => q.get(), { name: "consumer" });
      await asyncio.sleep(0);
      const m = asyncio.monitor({ interval: 0.03 });
      expect(shown).toHaveLength(1);
      expect(shown[0]?.["text/html"]).toContain('data-task="consumer"');
      expect(shown[0]?.["text/html"]).toContain(">waiting</span>");
      expect(shown[0]?.["text/plain"]).toMatch(/consumer\s+waiting\s+<anonymous>\(\)\s+Queue\.get <Queue [^\n]*In\[4\]/);
      // The task that made the monitor goes on to wait without a timer (a sleep's time left
      // would change the picture); then nothing changes and the display is left alone.
      await pause(0.1);
      const settled = updates.length;
      await pause(0.15);
      expect(updates.length).toBe(settled);
      q.putNowait(1);
      await consumer;
      await asyncio.sleep(0.08);
      expect(updates.length).toBeGreaterThan(settled);
      expect(updates.at(-1)?.["text/plain"]).not.toContain("consumer");
      expect(m.running).toBe(true);
      (end as unknown as () => void)();
      expect(m.running).toBe(false);
      expect(updates.at(-1)?.["text/html"]).toContain("stopped");
    });
    expect(log).not.toHaveBeenCalled();
  });
});

describe("monitor()'s options", () => {
  it("refuses a bad interval or duration before it shows anything", async () => {
    const shown: unknown[] = [];
    (globalThis as Record<symbol, unknown>)[HOST_KEY] = { open: (b: unknown) => (shown.push(b), { update() {}, onEnd() {} }), describeContext: () => null };
    await run(async () => {
      expect(() => asyncio.monitor({ interval: 0 })).toThrow(RangeError);
      expect(() => asyncio.monitor({ seconds: -1 })).toThrow(RangeError);
    });
    expect(shown).toEqual([]);
  });
});

describe("monitor({ seconds })", () => {
  it("stops by itself after the time given", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    await run(async () => {
      const m = asyncio.monitor({ interval: 0.02, seconds: 0.1 });
      expect(m.running).toBe(true);
      await pause(0.2);
      expect(m.running).toBe(false);
    });
  });
});

describe("captureCallGraph / printCallGraph", () => {
  it("gives who awaits a task through gather, up to the top", async () => {
    await run(async () => {
      let graph: asyncio.FutureCallGraph | null = null;
      const leaf = async (): Promise<void> => {
        await asyncio.sleep(0);
        graph = asyncio.captureCallGraph();
      };
      const middle = asyncio.createTask(async () => asyncio.gather(asyncio.createTask(leaf, { name: "leaf-1" }), asyncio.createTask(asyncio.sleep(0.05), { name: "leaf-2" })), {
        name: "middle",
      });
      const top = asyncio.createTask(async () => middle, { name: "top" });
      await top;
      const g = graph as unknown as asyncio.FutureCallGraph;
      expect((g.future as asyncio.Task).getName()).toBe("leaf-1");
      expect(g.awaitedBy.map((a) => (a.future as asyncio.Task).getName())).toEqual(["middle"]);
      expect(g.awaitedBy[0]?.awaitedBy.map((a) => (a.future as asyncio.Task).getName())).toEqual(["top"]);
    });
  });

  it("gives a TaskGroup's parent as the awaiter of its tasks, while the body still runs", async () => {
    await run(async () => {
      const printed: string[] = [];
      vi.spyOn(console, "log").mockImplementation((s: unknown) => void printed.push(String(s)));
      const parent = asyncio.createTask(
        async () =>
          new asyncio.TaskGroup().run(async (tg) => {
            const child = tg.createTask(asyncio.sleep(0.05), { name: "child" });
            await asyncio.sleep(0);
            asyncio.printCallGraph(child);
          }),
        { name: "group-parent" },
      );
      await parent;
      expect(printed.join("\n")).toContain(
        [
          "* Task(name='child', coro=sleep())",
          "+ Call stack:",
          "|   in sleep()",
          "+ Awaited by:",
          "   * Task(name='group-parent', coro=<anonymous>())",
          "   + Call stack:",
          "   |   in <anonymous>()",
        ].join("\n"),
      );
    });
  });

  it("prints every task as a tree outside any task", async () => {
    const printed: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: unknown) => void printed.push(String(s)));
    startObserving();
    const loop = asyncio.newEventLoop();
    const a = loop.createTask(asyncio.sleep(0.05), { name: "a" });
    const b = loop.createTask(asyncio.sleep(0.05), { name: "b" });
    const outer = loop.createTask(async () => asyncio.gather(a, b), { name: "outer" });
    loop.callLater(0.01, () => {
      asyncio.printCallGraph(null, { loop });
    });
    await loop.runUntilComplete(outer);
    loop.close();
    expect(printed.join("\n")).toContain(["Task(name='outer', coro=<anonymous>())", "├─ Task(name='a', coro=sleep())", "└─ Task(name='b', coro=sleep())"].join("\n"));
  });

  it("returns null with no task and no future", () => {
    expect(asyncio.captureCallGraph()).toBeNull();
  });
});
