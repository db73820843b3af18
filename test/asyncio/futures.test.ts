// Future: states, errors and their messages, reprs, callback scheduling, and both ways of
// waiting on one (await and yield*), after CPython's test_futures.py.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { Future, CancelledError, InvalidStateError } from "../../src/asyncio/index.js";
import { Recorder, collectGarbage, newLoop } from "../helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("Future states", () => {
  it("starts pending: not done, not cancelled", () => {
    const f = new Future();
    expect(f.done()).toBe(false);
    expect(f.cancelled()).toBe(false);
  });

  it("result() of a pending future throws InvalidStateError 'Result is not ready.'", () => {
    const f = new Future();
    expect(() => f.result()).toThrow(InvalidStateError);
    expect(() => f.result()).toThrow("Result is not ready.");
    try {
      f.result();
    } catch (e) {
      expect((e as InvalidStateError).code).toBe("ERR_ASYNCIO_INVALID_STATE");
      expect((e as Error).name).toBe("InvalidStateError");
    }
  });

  it("exception() of a pending future throws InvalidStateError 'Exception is not set.'", () => {
    expect(() => new Future().exception()).toThrow("Exception is not set.");
  });

  it("setResult makes it done with that result, and exception() is null", () => {
    const f = new Future<string>();
    f.setResult("foo");
    expect(f.done()).toBe(true);
    expect(f.result()).toBe("foo");
    expect(f.exception()).toBeNull();
  });

  it("a second setResult, setException or a cancel after done is refused", () => {
    const f = new Future<number>();
    f.setResult(1);
    expect(() => f.setResult(2)).toThrow("FINISHED: <Future finished result=1>");
    expect(() => f.setException(new Error("x"))).toThrow(InvalidStateError);
    expect(f.cancel()).toBe(false);
    expect(f.result()).toBe(1);
  });

  it("setException makes result() throw that very error", () => {
    const f = new Future();
    const err = new RangeError("boom");
    f.setException(err);
    expect(f.done()).toBe(true);
    expect(() => f.result()).toThrow(err);
    expect(f.exception()).toBe(err);
  });

  it("setException with an error class instantiates it, as Python does", () => {
    const f = new Future();
    f.setException(TypeError);
    expect(f.exception()).toBeInstanceOf(TypeError);
  });

  it("cancel() makes it cancelled; result() and exception() throw CancelledError with the message", () => {
    const f = new Future();
    expect(f.cancel("stop it")).toBe(true);
    expect(f.cancelled()).toBe(true);
    expect(f.done()).toBe(true);
    expect(() => f.result()).toThrow(CancelledError);
    expect(() => f.exception()).toThrow("stop it");
    expect(f.cancel()).toBe(false);
  });
});

describe("Future reprs", () => {
  it("reads as Python prints it, through toString and util.inspect", () => {
    const f = new Future<string>();
    expect(String(f)).toBe("<Future pending>");
    expect(inspect(f)).toBe("<Future pending>");
    f.setResult("foo");
    expect(String(f)).toBe("<Future finished result='foo'>");
    const g = new Future();
    g.setException(new Error("bad"));
    expect(String(g)).toBe("<Future finished exception=Error('bad')>");
    g.exception();
    const c = new Future();
    c.cancel();
    expect(String(c)).toBe("<Future cancelled>");
  });

  it("shows its done callbacks while pending and cuts long results as reprlib does", () => {
    const loop = newLoop();
    const f = new Future<string>({ loop });
    const announce = function announce(): void {};
    f.addDoneCallback(announce);
    expect(String(f)).toBe("<Future pending cb=[announce()]>");
    f.removeDoneCallback(announce);
    f.setResult("x".repeat(100));
    expect(String(f)).toBe(`<Future finished result='${"x".repeat(12)}...${"x".repeat(13)}'>`);
    loop.close();
  });
});

describe("Future reprs of futures that hold themselves", () => {
  it("a task whose result holds the task shows '...' there, as Python's recursive_repr", async () => {
    const loop = newLoop();
    const task: asyncio.Task<unknown> = loop.createTask(async () => ({ value: task }));
    await loop.runUntilComplete(task);
    expect(String(task)).toMatch(/^<Task finished name='Task-\d+' coro=<<anonymous>\(\) done> result=\{ value: \.\.\. \}>$/);
    loop.close();
  });
});

describe("Future done callbacks", () => {
  it("run with the future, in the order added, on the loop and never inline", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const f = new Future<number>({ loop });
    f.addDoneCallback((fut) => rec.add(["first", fut.result()]));
    f.addDoneCallback((fut) => rec.add(["second", fut === f]));
    f.setResult(7);
    rec.add("after setResult");
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual(["after setResult", ["first", 7], ["second", true]]);
    loop.close();
  });

  it("added to a done future are scheduled with callSoon", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const f = new Future<number>({ loop });
    f.setResult(1);
    f.addDoneCallback(() => rec.add("cb"));
    rec.add("added");
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual(["added", "cb"]);
    loop.close();
  });

  it("removeDoneCallback removes every registration and says how many; the others still run", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const f = new Future({ loop });
    const a = (): void => rec.add("a");
    const b = (): void => rec.add("b");
    f.addDoneCallback(a);
    f.addDoneCallback(b);
    f.addDoneCallback(a);
    expect(f.removeDoneCallback(a)).toBe(2);
    expect(f.removeDoneCallback(a)).toBe(0);
    f.setResult(null);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual(["b"]);
    loop.close();
  });

  it("do not run while the loop is not running", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const f = new Future({ loop });
    f.addDoneCallback(() => rec.add("cb"));
    f.setResult(null);
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.events).toEqual([]);
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual(["cb"]);
    loop.close();
  });
});

describe("Waiting on a future", () => {
  it("await gives the result once a callback sets it", async () => {
    const loop = newLoop();
    const f = loop.createFuture<string>();
    loop.callLater(0.01, () => f.setResult("done"));
    expect(await loop.runUntilComplete(async () => await f)).toBe("done");
    loop.close();
  });

  it("await throws the future's exception, or CancelledError when it is cancelled", async () => {
    const loop = newLoop();
    const f = loop.createFuture();
    const g = loop.createFuture();
    loop.callSoon(() => f.setException(new Error("nope")));
    loop.callSoon(() => g.cancel("gone"));
    await expect(loop.runUntilComplete(async () => await f)).rejects.toThrow("nope");
    await expect(loop.runUntilComplete(async () => await g)).rejects.toThrow(CancelledError);
    loop.close();
  });

  it("yield* in a generator coroutine returns the result, suspending while pending", async () => {
    const loop = newLoop();
    const f = loop.createFuture<number>();
    const rec = new Recorder();
    function* waiter(): Generator<unknown, number, unknown> {
      rec.add("before");
      const v = yield* f;
      rec.add(["after", v]);
      return v + 1;
    }
    const task = loop.createTask(waiter());
    loop.callLater(0.01, () => {
      rec.add("set");
      f.setResult(41);
    });
    expect(await loop.runUntilComplete(task)).toBe(42);
    expect(rec.events).toEqual(["before", "set", ["after", 41]]);
    loop.close();
  });

  it("yield* of a done future does not suspend", () => {
    const f = new Future<number>();
    f.setResult(3);
    const it = f[Symbol.iterator]();
    expect(it.next()).toEqual({ done: true, value: 3 });
  });

  it("a future made while no loop runs belongs to the loop that first awaits it", async () => {
    const f = new Future<string>();
    expect(f["_loop"]).toBeNull();
    const loop = newLoop();
    const main = async (): Promise<string> => {
      asyncio.getRunningLoop().callSoon(() => f.setResult("late-bound"));
      return await f;
    };
    expect(await loop.runUntilComplete(main)).toBe("late-bound");
    expect(f.getLoop()).toBe(loop);
    loop.close();
  });

  it("works with Promise combinators as a thenable", async () => {
    const loop = newLoop();
    const f = loop.createFuture<number>();
    f.setResult(5);
    expect(await Promise.all([f, Promise.resolve(6)])).toEqual([5, 6]);
    expect(await f.then((v) => v * 2)).toBe(10);
    loop.close();
  });
});

describe("Errors nobody retrieved", () => {
  it("'Future exception was never retrieved' is reported when the future is collected", async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push(String(ctx.message)));
    (() => {
      const f = new Future({ loop });
      f.setException(new Error("lost"));
    })();
    await collectGarbage();
    expect(seen).toContain("Future exception was never retrieved");
    loop.close();
  });

  it("is not reported once result() or exception() was called", async () => {
    const loop = newLoop();
    const seen: string[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push(String(ctx.message)));
    (() => {
      const f = new Future({ loop });
      f.setException(new Error("seen"));
      f.exception();
    })();
    await collectGarbage();
    expect(seen).toEqual([]);
    loop.close();
  });

  it("'Task exception was never retrieved' is reported when the loop closes, without waiting for the collector", async () => {
    const loop = newLoop();
    const seen: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push([ctx.message, (ctx.exception as Error).message]));
    const task = loop.createTask(async () => {
      throw new Error("nobody asked");
    });
    await loop.runUntilComplete(asyncio.sleep(0.01));
    expect(task.done()).toBe(true);
    expect(seen).toEqual([]);
    loop.close();
    expect(seen).toEqual([["Task exception was never retrieved", "nobody asked"]]);
    await collectGarbage();
    expect(seen.length).toBe(1); // reported once
  });

  it("a script that never retrieves a task's error prints it when asyncio.run() ends (a child process)", () => {
    const script = `import * as asyncio from "asyncio-ts";
await asyncio.run(async () => {
  asyncio.createTask(async () => { throw new Error("lost in a script"); });
  await asyncio.sleep(0.01);
});
console.log("run ended");`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(r.stdout.trim()).toBe("run ended");
    expect(r.stderr).toContain("Task exception was never retrieved");
    expect(r.stderr).toContain("lost in a script");
    expect(r.status).toBe(0);
  });
});
