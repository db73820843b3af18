// Task and the coroutine helpers: scheduling, names and reprs, cancellation in both coroutine
// styles however deep the await, gather/wait/waitFor/shield/asCompleted/sleep, after CPython's
// test_tasks.py.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { CancelledError, Future, Task, TimeoutError } from "../../src/asyncio/index.js";
import { Recorder, collectGarbage, newFakeClockLoop, newLoop } from "../helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("Task scheduling", () => {
  it("starts on the loop's next iteration, never inline", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    function* coro(): Generator<unknown, void, unknown> {
      rec.add("task runs");
    }
    const t = loop.createTask(coro());
    rec.add("task made");
    loop.callSoon(() => rec.add("callback scheduled after the task"));
    await loop.runUntilComplete(t);
    expect(rec.events).toEqual(["task made", "task runs", "callback scheduled after the task"]);
    loop.close();
  });

  it("runs a generator, a CoroutineObject, an async function or a function returning either", async () => {
    const loop = newLoop();
    function* gen(): Generator<unknown, string, unknown> {
      yield* asyncio.sleep(0);
      return "gen";
    }
    const co = asyncio.coroutine(async (x: string) => {
      await asyncio.sleep(0);
      return x;
    });
    const results = await loop.runUntilComplete(
      asyncio.gather(
        loop.createTask(gen()),
        loop.createTask(co("co")),
        loop.createTask(async () => "fn"),
        loop.createTask(gen),
        loop.createTask(Promise.resolve("promise")),
      ),
    );
    expect(results).toEqual(["gen", "co", "fn", "gen", "promise"]);
    loop.close();
  });

  it("refuses what is not a coroutine", () => {
    const loop = newLoop();
    expect(() => new Task(42 as never, { loop })).toThrow("a coroutine was expected, got 42");
    loop.close();
  });

  it("is named Task-<n> in creation order, and can be renamed", async () => {
    const loop = newLoop();
    const a = loop.createTask(asyncio.sleep(0));
    const b = loop.createTask(asyncio.sleep(0), { name: "custom" });
    const c = loop.createTask(asyncio.sleep(0));
    const n = Number(a.getName().slice(5));
    expect(a.getName()).toMatch(/^Task-\d+$/);
    expect(c.getName()).toBe(`Task-${n + 1}`);
    expect(b.getName()).toBe("custom");
    b.setName("renamed");
    expect(b.getName()).toBe("renamed");
    await loop.runUntilComplete(asyncio.gather(a, b, c));
    loop.close();
  });

  it("prints as Python prints a task", async () => {
    const loop = newLoop();
    const myCoro = asyncio.coroutine(function* myCoro() {
      yield* asyncio.sleep(0);
      return "ok";
    });
    const t = loop.createTask(myCoro(), { name: "demo" });
    expect(String(t)).toBe("<Task pending name='demo' coro=<myCoro() running>>");
    await loop.runUntilComplete(t);
    expect(String(t)).toBe("<Task finished name='demo' coro=<myCoro() done> result='ok'>");
    loop.close();
  });

  it("a yield of a future without * is an error that names both", async () => {
    const loop = newLoop();
    const f = loop.createFuture();
    function* wrong(): Generator<unknown, void, unknown> {
      yield f;
    }
    const t = loop.createTask(wrong(), { name: "wrong" });
    await expect(loop.runUntilComplete(t)).rejects.toThrow(/yield was used instead of yield\* in task <Task pending name='wrong'.*> with <Future pending>/);
    loop.close();
  });

  it("a bad yield is thrown back into the coroutine", async () => {
    const loop = newLoop();
    function* bad(): Generator<unknown, string, unknown> {
      try {
        yield 42;
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    }
    expect(await loop.runUntilComplete(bad())).toBe("Task got bad yield: 42");
    loop.close();
  });

  it("a generator may yield a Promise: the task waits for it, and its rejection is thrown back", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    function* g(): Generator<unknown, string, unknown> {
      yield new Promise((r) => setTimeout(() => r(rec.add("resolved")), 20));
      rec.add("resumed");
      try {
        yield Promise.reject(new Error("rejected"));
      } catch (e) {
        return (e as Error).message;
      }
      return "not thrown";
    }
    expect(await loop.runUntilComplete(loop.createTask(g()))).toBe("rejected");
    expect(rec.events).toEqual(["resolved", "resumed"]);
    loop.close();
  });

  it("a task cannot await itself", async () => {
    const loop = newLoop();
    let self: Task<unknown> | null = null;
    function* me(): Generator<unknown, unknown, unknown> {
      return yield* self as Task<unknown>;
    }
    self = loop.createTask(me());
    await expect(loop.runUntilComplete(self)).rejects.toThrow("Task cannot await on itself");
    loop.close();
  });
});

describe("Cancellation", () => {
  it("throws CancelledError into a generator where it waits; finally blocks run", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    function* worker(): Generator<unknown, void, unknown> {
      try {
        rec.add("waiting");
        yield* asyncio.sleep(10);
        rec.add("not reached");
      } catch (e) {
        rec.add((e as Error).name);
        throw e;
      } finally {
        rec.add("finally");
      }
    }
    const t = loop.createTask(worker());
    loop.callLater(0.01, () => t.cancel());
    await expect(loop.runUntilComplete(t)).rejects.toThrow(CancelledError);
    expect(t.cancelled()).toBe(true);
    expect(rec.events).toEqual(["waiting", "CancelledError", "finally"]);
    loop.close();
  });

  it("reaches an async function's await however deep, when the task started the function", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const deepest = async (): Promise<void> => {
      try {
        await asyncio.sleep(10);
      } catch (e) {
        rec.add(["deepest", (e as Error).name]);
        throw e;
      }
    };
    const middle = async (): Promise<void> => {
      await Promise.resolve();
      await deepest();
    };
    const t = loop.createTask(async () => {
      await middle();
    });
    loop.callLater(0.01, () => t.cancel("enough"));
    await expect(loop.runUntilComplete(t)).rejects.toThrow("enough");
    expect(t.cancelled()).toBe(true);
    expect(rec.events).toEqual([["deepest", "CancelledError"]]);
    loop.close();
  });

  it("reaches an asyncio.coroutine(async fn) and a generator delegating to async code", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const inner = asyncio.coroutine(async function inner() {
      try {
        await loop.createFuture();
      } catch (e) {
        rec.add("inner cancelled");
        throw e;
      }
    });
    function* outer(): Generator<unknown, void, unknown> {
      yield* inner();
    }
    const a = loop.createTask(inner());
    const b = loop.createTask(outer());
    loop.callLater(0.01, () => {
      a.cancel();
      b.cancel();
    });
    const [ra, rb] = await loop.runUntilComplete(asyncio.gather(a, b, { returnExceptions: true }));
    expect(ra).toBeInstanceOf(CancelledError);
    expect(rb).toBeInstanceOf(CancelledError);
    expect(rec.events).toEqual(["inner cancelled", "inner cancelled"]);
    loop.close();
  });

  it("is delivered at the next suspension when the async function awaits a native Promise", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const t = loop.createTask(async () => {
      await new Promise((r) => setTimeout(r, 30));
      rec.add("native await finished");
      try {
        await asyncio.sleep(0);
        rec.add("not reached");
      } catch (e) {
        rec.add((e as Error).name);
        throw e;
      }
    });
    loop.callLater(0.005, () => t.cancel());
    await expect(loop.runUntilComplete(t)).rejects.toThrow(CancelledError);
    expect(rec.events).toEqual(["native await finished", "CancelledError"]);
    loop.close();
  });

  it("a Promise already running when wrapped cannot be interrupted: the task ends cancelled", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const running = (async () => {
      await new Promise((r) => setTimeout(r, 30));
      rec.add("the promise went on");
      return 1;
    })();
    const t = loop.createTask(running);
    loop.callLater(0.005, () => t.cancel());
    await expect(loop.runUntilComplete(t)).rejects.toThrow(CancelledError);
    expect(t.cancelled()).toBe(true);
    expect(await running).toBe(1);
    expect(rec.events).toEqual(["the promise went on"]);
    loop.close();
  });

  it("a task that catches CancelledError may go on and finish with a result", async () => {
    const loop = newLoop();
    function* stubborn(): Generator<unknown, string, unknown> {
      try {
        yield* asyncio.sleep(10);
      } catch {
        yield* asyncio.sleep(0);
        return "survived";
      }
      return "slept";
    }
    const t = loop.createTask(stubborn());
    loop.callLater(0.01, () => t.cancel());
    expect(await loop.runUntilComplete(t)).toBe("survived");
    expect(t.cancelling()).toBe(1);
    expect(t.uncancel()).toBe(0);
    loop.close();
  });

  it("cancelling a task before it starts means its function is never called", async () => {
    const loop = newLoop();
    let called = false;
    const t = loop.createTask(async () => {
      called = true;
    });
    t.cancel();
    await expect(loop.runUntilComplete(t)).rejects.toThrow(CancelledError);
    expect(called).toBe(false);
    loop.close();
  });

  it("cancel() of a done task returns false; of a pending one true, and repr says cancelling", async () => {
    const loop = newLoop();
    const t = loop.createTask(asyncio.sleep(10), { name: "sleeper" });
    expect(t.cancel()).toBe(true);
    expect(String(t)).toMatch(/^<Task cancelling name='sleeper'/);
    await expect(loop.runUntilComplete(t)).rejects.toThrow(CancelledError);
    expect(t.cancel()).toBe(false);
    loop.close();
  });
});

describe("Running-loop bookkeeping", () => {
  it("getRunningLoop() and currentTask() inside a task, also after an await, with two loops running", async () => {
    const loop1 = newLoop();
    const loop2 = asyncio.newEventLoop();
    const probe = async (): Promise<[boolean, boolean]> => {
      const task = asyncio.currentTask();
      await asyncio.sleep(0.01);
      await new Promise((r) => setTimeout(r, 5));
      return [asyncio.getRunningLoop() === task?.getLoop(), asyncio.currentTask() === task];
    };
    const [r1, r2] = await Promise.all([loop1.runUntilComplete(probe), loop2.runUntilComplete(probe)]);
    expect(r1).toEqual([true, true]);
    expect(r2).toEqual([true, true]);
    loop2.close();
    loop1.close();
  });

  it("getRunningLoop() and currentTask() outside a loop throw 'no running event loop', as in Python", () => {
    expect(() => asyncio.getRunningLoop()).toThrow("no running event loop");
    expect(() => asyncio.currentTask()).toThrow("no running event loop");
  });

  it("currentTask() is null in a loop's callback outside any task, and names the task inside one", async () => {
    const loop = newLoop();
    const seen: unknown[] = [];
    loop.callSoon(() => seen.push(asyncio.currentTask()));
    const task = loop.createTask(async () => seen.push(asyncio.currentTask()));
    await loop.runUntilComplete(task);
    expect(seen).toEqual([null, task]);
    expect(asyncio.currentTask(loop)).toBeNull();
    loop.close();
  });

  it("createTask() needs a running loop", () => {
    const c = asyncio.sleep(0);
    expect(() => asyncio.createTask(c)).toThrow("no running event loop");
  });

  it("allTasks() lists the loop's pending tasks only", async () => {
    const loop = newLoop();
    const seen = await loop.runUntilComplete(async () => {
      const a = asyncio.createTask(asyncio.sleep(0.01));
      const b = asyncio.createTask(asyncio.sleep(0));
      await b;
      const all = asyncio.allTasks();
      const r = [all.has(a), all.has(b), all.has(asyncio.currentTask() as Task<unknown>)];
      await a;
      return r;
    });
    expect(seen).toEqual([true, false, true]);
    loop.close();
  });

  it("'Task was destroyed but it is pending!' is reported in debug mode", async () => {
    const loop = newLoop();
    loop.setDebug(true);
    const seen: string[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push(String(ctx.message)));
    await loop.runUntilComplete(async () => {
      (() => {
        asyncio.createTask(async () => {
          await new Future(); // a future nobody else holds: the task can never finish
        });
      })();
      await asyncio.sleep(0.01);
    });
    await collectGarbage();
    expect(seen).toContain("Task was destroyed but it is pending!");
    loop.close();
  });

  it("'Task exception was never retrieved' is reported when a failed task is collected", async () => {
    const loop = newLoop();
    const seen: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push([ctx.message, (ctx.exception as Error).message]));
    await loop.runUntilComplete(async () => {
      (() => {
        asyncio.createTask(async () => {
          throw new Error("forgotten");
        });
      })();
      await asyncio.sleep(0.01);
    });
    await collectGarbage();
    expect(seen).toContainEqual(["Task exception was never retrieved", "forgotten"]);
    loop.close();
  });
});

describe("sleep", () => {
  it("returns its result after the delay, on the loop's clock", async () => {
    const loop = newFakeClockLoop();
    const t0 = loop.time();
    const r = await loop.runUntilComplete(asyncio.sleep(5, "rested"));
    expect(r).toBe("rested");
    expect(loop.time() - t0).toBeCloseTo(5, 9);
    loop.close();
  });

  it("is lazy: nothing happens until it is awaited or run", async () => {
    const loop = newFakeClockLoop();
    const s = asyncio.sleep(100);
    await loop.runUntilComplete(asyncio.sleep(1));
    expect(String(s)).toBe("<coroutine object sleep()>");
    expect(await loop.runUntilComplete(asyncio.sleep(0, "x"))).toBe("x");
    loop.close();
  });

  it("sleep(0) lets the other tasks run once", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    function* a(): Generator<unknown, void, unknown> {
      rec.add("a1");
      yield* asyncio.sleep(0);
      rec.add("a2");
    }
    function* b(): Generator<unknown, void, unknown> {
      rec.add("b1");
      yield* asyncio.sleep(0);
      rec.add("b2");
    }
    await loop.runUntilComplete(asyncio.gather(a(), b()));
    expect(rec.events).toEqual(["a1", "b1", "a2", "b2"]);
    loop.close();
  });

  it("a coroutine awaited twice is refused", async () => {
    const loop = newLoop();
    await loop.runUntilComplete(async () => {
      const s = asyncio.sleep(0);
      await s;
      expect(() => [...(s as unknown as Iterable<unknown>)]).toThrow("cannot reuse already awaited coroutine");
    });
    loop.close();
  });
});

describe("gather", () => {
  it("returns results in argument order, not finishing order", async () => {
    const loop = newFakeClockLoop();
    const r = await loop.runUntilComplete(asyncio.gather(asyncio.sleep(3, "slow"), asyncio.sleep(1, "fast"), asyncio.sleep(2, "mid")));
    expect(r).toEqual(["slow", "fast", "mid"]);
    loop.close();
  });

  it("fails with the first error; the other children keep running", async () => {
    const loop = newFakeClockLoop();
    const slow = loop.createTask(asyncio.sleep(5, "done"));
    const failing = async (): Promise<never> => {
      await asyncio.sleep(1);
      throw new Error("first");
    };
    await expect(loop.runUntilComplete(asyncio.gather(slow, failing))).rejects.toThrow("first");
    expect(slow.done()).toBe(false);
    expect(await loop.runUntilComplete(slow)).toBe("done");
    loop.close();
  });

  it("with returnExceptions puts errors in the results", async () => {
    const loop = newLoop();
    const err = new Error("kept");
    const r = await loop.runUntilComplete(
      asyncio.gather(
        asyncio.sleep(0, 1),
        (async () => {
          throw err;
        })(),
        { returnExceptions: true },
      ),
    );
    expect(r).toEqual([1, err]);
    loop.close();
  });

  it("cancelling the gather cancels every child", async () => {
    const loop = newFakeClockLoop();
    const a = loop.createTask(asyncio.sleep(10));
    const b = loop.createTask(asyncio.sleep(10));
    const g = asyncio.gather(a, b);
    loop.callLater(1, () => g.cancel());
    await expect(loop.runUntilComplete(g)).rejects.toThrow(CancelledError);
    expect(a.cancelled() && b.cancelled()).toBe(true);
    loop.close();
  });

  it("of nothing is an empty list", async () => {
    const loop = newLoop();
    expect(await loop.runUntilComplete(asyncio.gather())).toEqual([]);
    loop.close();
  });
});

describe("wait", () => {
  it("FIRST_COMPLETED returns as soon as one is done", async () => {
    const loop = newFakeClockLoop();
    const [done, pending] = await loop.runUntilComplete(async () => {
      const a = asyncio.createTask(asyncio.sleep(1, "a"));
      const b = asyncio.createTask(asyncio.sleep(2, "b"));
      const r = await asyncio.wait([a, b], { returnWhen: asyncio.FIRST_COMPLETED });
      await b;
      return r;
    });
    expect([...done].map((f) => f.result())).toEqual(["a"]);
    expect(pending.size).toBe(1);
    loop.close();
  });

  it("FIRST_EXCEPTION returns at the first error; ALL_COMPLETED waits for all; timeout returns what is done", async () => {
    const loop = newFakeClockLoop();
    await loop.runUntilComplete(async () => {
      const boom = asyncio.createTask(async () => {
        await asyncio.sleep(1);
        throw new Error("x");
      });
      const slow = asyncio.createTask(asyncio.sleep(3));
      let [done, pending] = await asyncio.wait([boom, slow], { returnWhen: asyncio.FIRST_EXCEPTION });
      expect([done.has(boom), pending.has(slow)]).toEqual([true, true]);
      boom.exception();
      [done, pending] = await asyncio.wait([slow], { timeout: 0.5 });
      expect([done.size, pending.size]).toEqual([0, 1]);
      expect(slow.cancelled()).toBe(false);
      [done, pending] = await asyncio.wait([slow]);
      expect([done.size, pending.size]).toEqual([1, 0]);
    });
    loop.close();
  });
});

describe("waitFor", () => {
  it("returns the result in time", async () => {
    const loop = newFakeClockLoop();
    expect(await loop.runUntilComplete(asyncio.waitFor(asyncio.sleep(1, "in time"), 2))).toBe("in time");
    loop.close();
  });

  it("on timeout cancels the awaitable, waits for it, and throws TimeoutError", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const inner = loop.createTask(async () => {
      try {
        await asyncio.sleep(10);
      } finally {
        rec.add(["inner cleaned up at", loop.time()]);
      }
    });
    const t0 = loop.time();
    await expect(loop.runUntilComplete(asyncio.waitFor(inner, 1))).rejects.toThrow(TimeoutError);
    expect(inner.cancelled()).toBe(true);
    expect(rec.events).toEqual([["inner cleaned up at", t0 + 1]]);
    loop.close();
  });

  it("cancelling the waiter cancels the awaitable", async () => {
    const loop = newFakeClockLoop();
    const inner = loop.createTask(asyncio.sleep(10));
    const outer = loop.createTask(asyncio.waitFor(inner, 5));
    loop.callLater(1, () => outer.cancel());
    await expect(loop.runUntilComplete(outer)).rejects.toThrow(CancelledError);
    expect(inner.cancelled()).toBe(true);
    loop.close();
  });

  it("works by yield* in a generator coroutine", async () => {
    const loop = newFakeClockLoop();
    function* g(): Generator<unknown, string, unknown> {
      try {
        yield* asyncio.waitFor(asyncio.sleep(10), 0.1);
        return "no timeout";
      } catch (e) {
        return (e as Error).name;
      }
    }
    expect(await loop.runUntilComplete(g())).toBe("TimeoutError");
    loop.close();
  });
});

describe("shield", () => {
  it("cancelling the shield leaves the inner task running", async () => {
    const loop = newFakeClockLoop();
    const inner = loop.createTask(asyncio.sleep(2, "finished anyway"));
    const outer = loop.createTask(async () => await asyncio.shield(inner));
    loop.callLater(1, () => outer.cancel());
    await expect(loop.runUntilComplete(outer)).rejects.toThrow(CancelledError);
    expect(inner.cancelled()).toBe(false);
    expect(await loop.runUntilComplete(inner)).toBe("finished anyway");
    loop.close();
  });
});

describe("asCompleted", () => {
  it("iterates futures that give results in finishing order", async () => {
    const loop = newFakeClockLoop();
    const order = await loop.runUntilComplete(async () => {
      const out: string[] = [];
      for (const f of asyncio.asCompleted([asyncio.sleep(3, "c"), asyncio.sleep(1, "a"), asyncio.sleep(2, "b")])) out.push(await f);
      return out;
    });
    expect(order).toEqual(["a", "b", "c"]);
    loop.close();
  });

  it("for await gives the finished futures themselves", async () => {
    const loop = newFakeClockLoop();
    await loop.runUntilComplete(async () => {
      const a = asyncio.createTask(asyncio.sleep(2, "a"));
      const b = asyncio.createTask(asyncio.sleep(1, "b"));
      const seen: unknown[] = [];
      for await (const f of asyncio.asCompleted([a, b])) seen.push(f);
      expect(seen.length).toBe(2);
      expect(seen[0]).toBe(b);
      expect(seen[1]).toBe(a);
    });
    loop.close();
  });

  it("throws TimeoutError when the time runs out first", async () => {
    const loop = newFakeClockLoop();
    const slow = loop.createTask(asyncio.sleep(10));
    await expect(
      loop.runUntilComplete(async () => {
        for (const f of asyncio.asCompleted([slow], { timeout: 1 })) await f;
      }),
    ).rejects.toThrow(TimeoutError);
    slow.cancel();
    await expect(loop.runUntilComplete(slow)).rejects.toThrow(CancelledError);
    loop.close();
  });
});

describe("ensureFuture", () => {
  it("returns a Future as it is and wraps anything else in a Task", async () => {
    const loop = newLoop();
    const f = loop.createFuture();
    expect(asyncio.ensureFuture(f)).toBe(f);
    const t = asyncio.ensureFuture(asyncio.sleep(0, 1), { loop });
    expect(t).toBeInstanceOf(Task);
    expect(await loop.runUntilComplete(t)).toBe(1);
    expect(() => asyncio.ensureFuture(5 as never)).toThrow(TypeError);
    f.cancel();
    loop.close();
  });

  it("refuses a future of another loop", () => {
    const loop = newLoop();
    const other = asyncio.newEventLoop();
    const f = other.createFuture();
    expect(() => asyncio.ensureFuture(f, { loop })).toThrow("different loop");
    other.close();
    loop.close();
  });
});

// Behaviours found by translating CPython's own test_asyncio tests (issue 7), each in the
// coroutine styles the API supports.
describe("Parity with CPython's test_tasks and test_waitfor", () => {
  // The inner future finishes, and the cancellation arrives before the waiting task resumes.
  const waitForThenSleep = {
    "an async task": (inner: Future<string>, end: () => void) => async () => {
      await asyncio.waitFor(inner, 100);
      await asyncio.sleep(0.01);
      end();
    },
    "a generator task": (inner: Future<string>, end: () => void) =>
      function* () {
        yield* asyncio.waitFor(inner, 100);
        yield* asyncio.sleep(0.01);
        end();
      },
  };
  it.each(Object.entries(waitForThenSleep))(
    "a task cancelled in waitFor() is cancelled even when the inner future finished first (test_wait_for_issue86296; %s)",
    async (_style, body) => {
      const loop = newLoop();
      const inner = loop.createFuture<string>();
      let reachedEnd = false;
      const task = loop.createTask(body(inner, () => (reachedEnd = true)));
      loop.callSoon(() =>
        loop.callSoon(() => {
          inner.setResult("done");
          loop.callSoon(() => task.cancel());
        }),
      );
      await expect(loop.runUntilComplete(task)).rejects.toThrow(CancelledError);
      expect(inner.result()).toBe("done");
      expect(reachedEnd).toBe(false);
      loop.close();
    },
  );

  it("waitFor() still times out, cancelling the inner task, and passes a plain result through", async () => {
    const loop = newFakeClockLoop();
    const r = await loop.runUntilComplete(async () => {
      const slow = asyncio.createTask(asyncio.sleep(10));
      const err = await Promise.resolve(asyncio.waitFor(slow, 1)).catch((e: unknown) => e);
      return [err instanceof TimeoutError, slow.cancelled(), await asyncio.waitFor(asyncio.sleep(0.5, "fast"), 1), asyncio.currentTask()?.cancelling()];
    });
    expect(r).toEqual([true, true, "fast", 0]);
    loop.close();
  });

  it("a cancellation asked for while an async task is not waiting cancels what it awaits next (test_cancel_awaited_task)", async () => {
    const loop = newLoop();
    const fut = loop.createFuture();
    let nestedTask!: Task<unknown>;
    const task: Task<unknown> = loop.createTask(async () => {
      nestedTask = asyncio.createTask(async () => {
        await fut;
      });
      await asyncio.sleep(0);
      task.cancel();
      await nestedTask;
    });
    await expect(loop.runUntilComplete(task)).rejects.toThrow(CancelledError);
    expect(task.cancelled()).toBe(true);
    expect(nestedTask.cancelled()).toBe(true);
    expect(fut.cancelled()).toBe(true);
    loop.close();
  });

  it("the same in a generator task", async () => {
    const loop = newLoop();
    const fut = loop.createFuture();
    let nestedTask!: Task<unknown>;
    const task: Task<unknown> = loop.createTask(function* () {
      nestedTask = asyncio.createTask(function* () {
        yield* fut;
      });
      yield* asyncio.sleep(0);
      task.cancel();
      yield* nestedTask;
    });
    await expect(loop.runUntilComplete(task)).rejects.toThrow(CancelledError);
    expect([task.cancelled(), nestedTask.cancelled(), fut.cancelled()]).toEqual([true, true, true]);
    loop.close();
  });

  it("an async task awaiting itself fails with 'Task cannot await on itself', and cancel() stays safe", async () => {
    const loop = newLoop();
    const task: Task<unknown> = loop.createTask(async () => {
      await task;
    });
    await expect(loop.runUntilComplete(task)).rejects.toThrow("Task cannot await on itself");
    const waiting: Task<unknown> = loop.createTask(async () => {
      try {
        await waiting;
      } catch {
        await asyncio.sleep(10);
      }
    });
    await loop.runUntilComplete(asyncio.sleep(0.01));
    expect(waiting.cancel()).toBe(true);
    await expect(loop.runUntilComplete(waiting)).rejects.toThrow(CancelledError);
    loop.close();
  });

  it("the same in a generator task", async () => {
    const loop = newLoop();
    const task: Task<unknown> = loop.createTask(function* () {
      yield* task;
    });
    await expect(loop.runUntilComplete(task)).rejects.toThrow("Task cannot await on itself");
    loop.close();
  });

  it("asCompleted() hands out coroutines that take the next result when awaited: the second awaited first gives the earliest (test_as_completed_reverse_wait)", async () => {
    const loop = newFakeClockLoop();
    const t0 = loop.time();
    const r = await loop.runUntilComplete(async () => {
      const futs = [...asyncio.asCompleted([asyncio.sleep(0.05, "a"), asyncio.sleep(0.1, "b")])];
      expect(futs.length).toBe(2);
      const x = await (futs[1] as PromiseLike<string>);
      const tx = loop.time() - t0;
      const y = await (futs[0] as PromiseLike<string>);
      return [x, tx.toFixed(2), y, (loop.time() - t0).toFixed(2)];
    });
    expect(r).toEqual(["a", "0.05", "b", "0.10"]);
    loop.close();
  });

  it("the same in a generator task", async () => {
    const loop = newFakeClockLoop();
    const r = await loop.runUntilComplete(function* () {
      const futs = [...asyncio.asCompleted([asyncio.sleep(0.05, "a"), asyncio.sleep(0.1, "b")])];
      const x = yield* futs[1] as Iterable<unknown>;
      const y = yield* futs[0] as Iterable<unknown>;
      return [x, y];
    });
    expect(r).toEqual(["a", "b"]);
    loop.close();
  });

  it("`yield coro` where `yield* coro` was meant fails clearly; a bare `yield` lets the loop run once", async () => {
    const loop = newLoop();
    const r = await loop
      .runUntilComplete(function* () {
        yield; // allowed
        const value: unknown = yield asyncio.sleep(0.01, "x");
        return value;
      })
      .catch((e: unknown) => e);
    expect(String(r)).toMatch(/yield was used instead of yield\* for <coroutine object sleep\(\)>/);
    // The same generator driven by `await` (a coroutine() awaited from an async task).
    const mistaken = asyncio.coroutine(function* mistaken(): Generator<unknown, unknown, unknown> {
      return yield asyncio.sleep(0.01, "x");
    });
    await expect(loop.runUntilComplete(async () => await mistaken())).rejects.toThrow("yield was used instead of yield*");
    loop.close();
  });
});

describe("A coroutine run twice", () => {
  it("a Task made from an already-awaited coroutine fails with 'cannot reuse already awaited coroutine' (it hung)", async () => {
    const loop = newLoop();
    const coro = asyncio.coroutine(async function work() {
      return 1;
    });
    const outcome = await loop.runUntilComplete(async () => {
      const c = coro();
      await c;
      const t = asyncio.createTask(c);
      const gen = asyncio.coroutine(function* again(): Generator<unknown, number, unknown> {
        return 2;
      })();
      yieldAll(gen);
      const t2 = asyncio.createTask(gen);
      return [await Promise.resolve(t).catch((e: unknown) => String(e)), await Promise.resolve(t2).catch((e: unknown) => String(e))];
    });
    expect(outcome).toEqual(["Error: cannot reuse already awaited coroutine", "Error: cannot reuse already awaited coroutine"]);
    loop.close();
  });
});

/** Runs a lazy generator coroutine to its end by hand (claiming it). */
function yieldAll(c: Iterable<unknown>): void {
  for (const _ of c) void _;
}

describe("Coroutines awaited before their loop runs", () => {
  it("belong to the loop that runs them: newEventLoop() + runUntilComplete(main()) with sleep, Lock and gather", async () => {
    const loop = asyncio.newEventLoop();
    const lock = new asyncio.Lock();
    const main = async (): Promise<unknown[]> => {
      await asyncio.sleep(0.01);
      await lock.acquire();
      const held = loop.createTask(async () => {
        await lock.acquire(); // waits on the running loop
        lock.release();
        return "second holder";
      });
      await asyncio.sleep(0.01);
      lock.release();
      const pair = await asyncio.gather(asyncio.sleep(0.01, "a"), asyncio.sleep(0.02, 2));
      return [...pair, await held];
    };
    try {
      // main() runs up to its first await before runUntilComplete is called: the sleep it awaits
      // has no loop yet, and must start on this one.
      expect(await loop.runUntilComplete(main())).toEqual(["a", 2, "second holder"]);
    } finally {
      loop.close();
    }
  });

  it("a gather awaited first thing belongs to that loop too", async () => {
    const loop = asyncio.newEventLoop();
    const main = async (): Promise<unknown> => await asyncio.gather(asyncio.sleep(0.01, 1), asyncio.sleep(0.01, 2));
    try {
      expect(await loop.runUntilComplete(main())).toEqual([1, 2]);
    } finally {
      loop.close();
    }
  });

  it("asyncio.run(main()) with an async main that awaits first thing", async () => {
    const main = async (): Promise<string> => {
      await asyncio.sleep(0.01);
      const [x] = await asyncio.gather(asyncio.sleep(0, "gathered"));
      return x;
    };
    expect(await asyncio.run(main())).toBe("gathered");
  });

  it("a Task made before the loop runs starts on the loop that then runs (the 3.4 scripts' idiom)", async () => {
    const loop = asyncio.newEventLoop();
    const task = asyncio.ensureFuture(asyncio.sleep(0.01, "ran"));
    loop.callLater(0.05, () => loop.stop());
    await loop.runForever();
    expect(task.result()).toBe("ran");
    loop.close();
  });
});

describe("Promises handed to the library", () => {
  // A Promise that has failed before the library sees it must be observed at once: Node decides
  // a rejection is unhandled at the end of the turn, before the task's first step.
  it("a Promise that rejects before its first await, handed to createTask, gather or waitFor, never ends the process (50 rounds in a child process)", () => {
    const script = `import * as asyncio from "asyncio-ts";
async function fails(i) { throw new Error("round " + i); }
function crunch() { let x = 0; for (let k = 0; k < 200000; k++) x += Math.sqrt(k); return x; }
await asyncio.run(async () => {
  for (let i = 0; i < 50; i++) {
    try { await asyncio.createTask(fails(i)); } catch {}
    crunch();
    try { await asyncio.gather(fails(i)); } catch {}
    crunch();
    try { await asyncio.waitFor(fails(i), 1); } catch {}
    crunch();
    try { await asyncio.ensureFuture(fails(i)); } catch {}
  }
});
console.log("survived 50 rounds");`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("survived 50 rounds");
    expect(r.status).toBe(0);
  });
});
