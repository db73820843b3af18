// The event loop: FIFO callbacks, iterations, timers, run/stop/close, the exception handler,
// debug mode, and living on Node's event loop without blocking it; after CPython's
// test_base_events.py and test_events.py.
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { logger, type LogRecord } from "../../src/asyncio/index.js";
import { Recorder, newFakeClockLoop, newLoop } from "../helpers.js";

function captureLog(): { records: LogRecord[]; restore(): void } {
  const records: LogRecord[] = [];
  const handler = (r: LogRecord): void => {
    records.push(r);
  };
  const level = logger.level;
  logger.addHandler(handler);
  return {
    records,
    restore() {
      logger.removeHandler(handler);
      logger.setLevel(level);
    },
  };
}

describe("callSoon", () => {
  it("runs callbacks with their arguments in FIFO order", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    for (let i = 0; i < 5; i++) loop.callSoon(rec.add, i);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual([0, 1, 2, 3, 4]);
    loop.close();
  });

  it("callbacks scheduled by a callback run in the next iteration, after the current batch", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    loop.callSoon(() => {
      rec.add("a");
      loop.callSoon(rec.add, "c (next iteration)");
    });
    loop.callSoon(rec.add, "b");
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    // stop() ends the loop after the current iteration: "c" was scheduled for the next one.
    expect(rec.events).toEqual(["a", "b"]);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual(["a", "b", "c (next iteration)"]);
    loop.close();
  });

  it("a cancelled handle does not run", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const h = loop.callSoon(rec.add, "cancelled");
    loop.callSoon(rec.add, "kept");
    h.cancel();
    expect(h.cancelled()).toBe(true);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual(["kept"]);
    loop.close();
  });

  it("a loop that is not running runs nothing", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    loop.callSoon(rec.add, "x");
    loop.callLater(0, rec.add, "y");
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.events).toEqual([]);
    loop.close();
  });

  it("handles print as Python's do", () => {
    const loop = newLoop();
    function hello(..._args: unknown[]): void {}
    const h = loop.callSoon(hello, 1, "two");
    expect(String(h)).toBe("<Handle hello(1, 'two')>");
    h.cancel();
    expect(String(h)).toBe("<Handle cancelled>");
    const t = loop.callAt(12.5, hello);
    expect(String(t)).toBe("<TimerHandle when=12.5 hello()>");
    t.cancel();
    loop.close();
  });
});

describe("Timers", () => {
  it("run in order of their time, and timers due together in the order made", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    loop.callLater(0.3, rec.add, "0.3");
    loop.callLater(0.1, rec.add, "0.1 first");
    loop.callLater(0.2, rec.add, "0.2");
    loop.callLater(0.1, rec.add, "0.1 second");
    loop.callAt(loop.time() + 0.4, () => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual(["0.1 first", "0.1 second", "0.2", "0.3"]);
    loop.close();
  });

  it("fire no earlier than their time on the real clock", async () => {
    const loop = newLoop();
    const due = loop.time() + 0.03;
    let fired = 0;
    loop.callAt(due, () => {
      fired = loop.time();
      loop.stop();
    });
    await loop.runForever();
    expect(fired).toBeGreaterThanOrEqual(due);
    loop.close();
  });

  it("a cancelled timer does not run, and many cancelled timers are dropped from the heap", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const handles = Array.from({ length: 500 }, (_, i) => loop.callLater(1 + i, rec.add, i));
    for (const h of handles.slice(1)) h.cancel();
    loop.callLater(2, () => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual([0]);
    expect((loop as unknown as { _timers: unknown[] })._timers.length).toBeLessThan(300);
    loop.close();
  });

  it("callLater refuses a delay that is not a number", () => {
    const loop = newLoop();
    expect(() => loop.callLater(undefined as never, () => {})).toThrow(TypeError);
    loop.close();
  });

  it("time() is in seconds and monotonic", async () => {
    const loop = newLoop();
    const a = loop.time();
    await new Promise((r) => setTimeout(r, 20));
    const b = loop.time();
    expect(b - a).toBeGreaterThan(0.015);
    expect(b - a).toBeLessThan(5);
    loop.close();
  });
});

describe("Running and stopping", () => {
  it("runUntilComplete returns the result, or throws the exception", async () => {
    const loop = newLoop();
    expect(await loop.runUntilComplete(asyncio.sleep(0, "r"))).toBe("r");
    await expect(
      loop.runUntilComplete(async () => {
        throw new Error("failed");
      }),
    ).rejects.toThrow("failed");
    loop.close();
  });

  it("runUntilComplete of a future that stop() interrupts: 'Event loop stopped before Future completed.'", async () => {
    const loop = newLoop();
    const f = loop.createFuture();
    loop.callSoon(() => loop.stop());
    await expect(loop.runUntilComplete(f)).rejects.toThrow("Event loop stopped before Future completed.");
    f.cancel();
    loop.close();
  });

  it("stop() before runForever() makes the run do one iteration", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    loop.callSoon(rec.add, 1);
    loop.stop();
    await loop.runForever();
    expect(rec.events).toEqual([1]);
    expect(loop.isRunning()).toBe(false);
    loop.close();
  });

  it("refuses to run twice at once, to close while running, and to schedule once closed", async () => {
    const loop = newLoop();
    const run = loop.runForever();
    expect(loop.isRunning()).toBe(true);
    expect(() => loop.runForever()).toThrow("This event loop is already running");
    expect(() => loop.close()).toThrow("Cannot close a running event loop");
    loop.stop();
    await run;
    loop.close();
    loop.close(); // idempotent
    expect(loop.isClosed()).toBe(true);
    expect(() => loop.callSoon(() => {})).toThrow("Event loop is closed");
    expect(() => loop.runForever()).toThrow("Event loop is closed");
  });

  it("leaves Node's own timers and I/O running while it is busy", async () => {
    const loop = newLoop();
    let nodeTimerFiredAt = -1;
    let iterations = 0;
    const start = Date.now();
    setTimeout(() => {
      nodeTimerFiredAt = iterations;
    }, 5);
    const spin = (): void => {
      iterations++;
      if (nodeTimerFiredAt < 0 && Date.now() - start < 2000) loop.callSoon(spin);
      else loop.stop();
    };
    loop.callSoon(spin);
    await loop.runForever();
    expect(nodeTimerFiredAt).toBeGreaterThan(0);
    expect(Date.now() - start).toBeLessThan(1000);
    loop.close();
  });

  it("runs while other loops run", async () => {
    const a = newLoop();
    const b = asyncio.newEventLoop();
    const rec = new Recorder();
    const ping = (name: string) =>
      async function () {
        for (let i = 0; i < 3; i++) {
          rec.add(name);
          await asyncio.sleep(0);
        }
      };
    await Promise.all([a.runUntilComplete(ping("a")), b.runUntilComplete(ping("b"))]);
    expect(rec.events.filter((e) => e === "a").length).toBe(3);
    expect(rec.events.filter((e) => e === "b").length).toBe(3);
    b.close();
    a.close();
  });

  it("getEventLoop() is the running loop inside it, and the current loop outside", async () => {
    const loop = newLoop();
    expect(asyncio.getEventLoop()).toBe(loop);
    const other = asyncio.newEventLoop();
    expect(await other.runUntilComplete(async () => asyncio.getEventLoop() === other)).toBe(true);
    other.close();
    loop.close();
    asyncio.setEventLoop(null);
  });
});

describe("The exception handler", () => {
  it("gets an error thrown by a callback, and the loop goes on", async () => {
    const loop = newLoop();
    const seen: unknown[] = [];
    loop.setExceptionHandler((l, ctx) => seen.push([l === loop, ctx.message, (ctx.exception as Error).message]));
    function broken(): void {
      throw new Error("oops");
    }
    loop.callSoon(broken);
    loop.callSoon(() => seen.push("still running"));
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(seen).toEqual([[true, "Exception in callback broken()", "oops"], "still running"]);
    loop.close();
  });

  it("gets the rejection of an async callback", async () => {
    const loop = newLoop();
    const seen: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push((ctx.exception as Error).message));
    loop.callSoon(async () => {
      await Promise.resolve();
      throw new Error("async oops");
    });
    await loop.runUntilComplete(asyncio.sleep(0.01));
    expect(seen).toEqual(["async oops"]);
    loop.close();
  });

  it("by default logs to the asyncio logger with the message and the error", async () => {
    const loop = newLoop();
    const log = captureLog();
    try {
      loop.callSoon(function failing() {
        throw new TypeError("logged");
      });
      loop.callSoon(() => loop.stop());
      await loop.runForever();
    } finally {
      log.restore();
    }
    expect(log.records.length).toBe(1);
    expect(log.records[0]?.levelName).toBe("ERROR");
    expect(log.records[0]?.message).toMatch(/^Exception in callback failing\(\)\nhandle: <Handle failing\(\)>/);
    expect((log.records[0]?.exception as Error | undefined)?.message).toBe("logged");
    loop.close();
  });

  it("by default logs in the context of the callback that failed, though the loop reports outside it (a kernel cell hears of it)", async () => {
    const loop = newLoop();
    const cell = new asyncio.ContextVar<string>("cell");
    const seen: unknown[] = [];
    const handler = (record: LogRecord): void => void seen.push([record.message.split("\n")[0], cell.get()]);
    logger.addHandler(handler);
    try {
      cell.run("In [1]", () =>
        loop.callSoon(function failing() {
          throw new Error("in a cell's callback");
        }),
      );
      cell.run("In [2]", () =>
        loop.createTask(async function failingTask() {
          await asyncio.sleep(0);
          throw new Error("in a cell's task");
        }),
      );
      await loop.runUntilComplete(asyncio.sleep(0.01));
      // The task's report comes when its loop closes (nobody retrieved the error): made in the task's context.
      loop.close();
    } finally {
      logger.removeHandler(handler);
    }
    expect(seen).toEqual([
      ["Exception in callback failing()", "In [1]"],
      ["Task exception was never retrieved", "In [2]"],
    ]);
  });

  it("an error in a custom handler is logged, not thrown", async () => {
    const loop = newLoop();
    const log = captureLog();
    try {
      loop.setExceptionHandler(() => {
        throw new Error("handler broke");
      });
      loop.callExceptionHandler({ message: "original" });
      loop.setExceptionHandler(null);
      expect(loop.getExceptionHandler()).toBeNull();
    } finally {
      log.restore();
    }
    expect(log.records[0]?.message).toMatch(/^Unhandled error in exception handler/);
    loop.close();
  });
});

describe("Debug mode", () => {
  it("logs slow callbacks with their duration", async () => {
    const loop = newLoop();
    loop.setDebug(true);
    loop.slowCallbackDuration = 0.02;
    const log = captureLog();
    try {
      loop.callSoon(function slow() {
        const end = Date.now() + 40;
        while (Date.now() < end);
      });
      loop.callSoon(function fast() {});
      loop.callSoon(() => loop.stop());
      await loop.runForever();
    } finally {
      log.restore();
    }
    const slow = log.records.filter((r) => r.message.startsWith("Executing"));
    expect(slow.length).toBe(1);
    expect(Number(/took (\S+) seconds/.exec(slow[0]?.message ?? "")?.[1])).toBeGreaterThanOrEqual(0.02);
    expect(slow[0]?.levelName).toBe("WARNING");
    expect(slow[0]?.message).toMatch(/^Executing <Handle slow\(\) created at .*base-events\.test\.ts:\d+> took 0\.\d{3} seconds$/);
    loop.close();
  });

  it("logs a slow callback in the context of the code that scheduled it (a kernel cell hears of it)", async () => {
    const loop = newLoop();
    loop.setDebug(true);
    loop.slowCallbackDuration = 0.02;
    const cell = new asyncio.ContextVar<string>("cell");
    const seen: unknown[] = [];
    const handler = (record: LogRecord): void => void seen.push([record.levelName, cell.get()]);
    asyncio.logger.addHandler(handler);
    try {
      cell.run("In [3]", () =>
        loop.callSoon(function slow() {
          const end = Date.now() + 30;
          while (Date.now() < end);
        }),
      );
      loop.callSoon(() => loop.stop());
      await loop.runForever();
    } finally {
      asyncio.logger.removeHandler(handler);
    }
    expect(seen).toEqual([["WARNING", "In [3]"]]);
    loop.close();
  });

  it("names the slow task, not its step, when a task step is slow", async () => {
    const loop = newLoop();
    loop.setDebug(true);
    loop.slowCallbackDuration = 0.02;
    const log = captureLog();
    try {
      function* busy(): Generator<unknown, void, unknown> {
        const end = Date.now() + 30;
        while (Date.now() < end);
        yield;
      }
      await loop.runUntilComplete(loop.createTask(busy(), { name: "busy-task" }));
    } finally {
      log.restore();
    }
    expect(log.records.some((r) => /^Executing <Task .*name='busy-task'.*> took/.test(r.message))).toBe(true);
    loop.close();
  });

  it("futures and tasks remember where they were made", () => {
    const loop = newLoop();
    loop.setDebug(true);
    const f = loop.createFuture();
    expect(String(f)).toMatch(/^<Future pending created at .*base-events\.test\.ts:\d+>$/);
    f.cancel();
    loop.close();
  });

  it("is on for new loops when ASYNCIO_DEBUG is set, and asyncio.run({ debug }) sets it", async () => {
    const saved = process.env["ASYNCIO_DEBUG"];
    try {
      process.env["ASYNCIO_DEBUG"] = "1";
      const loop = newLoop();
      expect(loop.getDebug()).toBe(true);
      loop.close();
      delete process.env["ASYNCIO_DEBUG"];
      const off = newLoop();
      expect(off.getDebug()).toBe(false);
      off.close();
    } finally {
      if (saved === undefined) delete process.env["ASYNCIO_DEBUG"];
      else process.env["ASYNCIO_DEBUG"] = saved;
    }
    expect(await asyncio.run(async () => asyncio.getRunningLoop().getDebug(), { debug: true })).toBe(true);
  });

  it("with no handlers of its own the logger hands records to lastResort (standard error unless replaced)", () => {
    const saved = logger.lastResort;
    const records: string[] = [];
    logger.lastResort = (r) => void records.push(`${r.levelName}:${r.message}`);
    const kept: string[] = [];
    const handler = (r: LogRecord): void => void kept.push(r.message);
    try {
      logger.error("to the last resort");
      logger.addHandler(handler);
      logger.error("to the handler only");
    } finally {
      logger.removeHandler(handler);
      logger.lastResort = saved;
    }
    expect(records).toEqual(["ERROR:to the last resort"]);
    expect(kept).toEqual(["to the handler only"]);
  });

  it("the logger's level filters what is written", () => {
    const log = captureLog();
    try {
      logger.setLevel(asyncio.LogLevel.ERROR);
      logger.warning("dropped");
      logger.error("kept");
    } finally {
      log.restore();
    }
    expect(log.records.map((r) => r.message)).toEqual(["kept"]);
  });
});
