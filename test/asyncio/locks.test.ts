// Lock, Event, Condition, Semaphore, BoundedSemaphore and Barrier, after CPython's
// test_locks.py: the order in which waiters get the primitive, cancellation of waiters in both
// coroutine styles, reprs, misuse errors, and the loop binding.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import {
  Barrier,
  BoundedSemaphore,
  BoundedSemaphoreError,
  BrokenBarrierError,
  CancelledError,
  Condition,
  Event,
  Lock,
  Semaphore,
  TimeoutError,
  createTask,
  gather,
  sleep,
  type CoroutineLike,
  type Task,
} from "../../src/asyncio/index.js";
import { Recorder, newFakeClockLoop, runMain, waitUntil } from "../helpers.js";

type Gen<T> = Generator<unknown, T, unknown>;
const STYLES = ["async", "generator"] as const;
type Style = (typeof STYLES)[number];

/** A task body in the given style: acquires `lock` (a Lock, Semaphore or Condition), then records `tag`. */
function acquirer(style: Style, lock: { acquire(): asyncio.CoroutineObject<true> }, rec: Recorder, tag: unknown): CoroutineLike<boolean> {
  if (style === "async") {
    return async function acquireAsync() {
      const r = await lock.acquire();
      rec.add(tag);
      return r;
    };
  }
  return function* acquireGen(): Gen<boolean> {
    const r = yield* lock.acquire();
    rec.add(tag);
    return r;
  };
}

describe("Lock", () => {
  it("prints as Python's repr: <Lock [unlocked]>, <Lock [locked]>, <Lock [locked, waiters:1]>", async () => {
    const lock = new Lock();
    expect(String(lock)).toBe("<Lock [unlocked]>");
    expect(inspect(lock)).toBe("<Lock [unlocked]>");
    await runMain(async () => {
      await lock.acquire();
      expect(String(lock)).toBe("<Lock [locked]>");
      const t = createTask(async () => lock.acquire());
      await sleep(0);
      expect(String(lock)).toBe("<Lock [locked, waiters:1]>");
      expect(inspect(lock)).toBe("<Lock [locked, waiters:1]>");
      lock.release();
      await t;
      expect(String(lock)).toBe("<Lock [locked]>");
    });
  });

  it("acquire() takes a free lock and returns true; release() frees it", async () => {
    const lock = new Lock();
    await runMain(async () => {
      expect(lock.locked()).toBe(false);
      expect(await lock.acquire()).toBe(true);
      expect(lock.locked()).toBe(true);
      lock.release();
      expect(lock.locked()).toBe(false);
    });
  });

  it("acquire() is lazy: nothing happens until it is awaited", async () => {
    const lock = new Lock();
    await runMain(async () => {
      const coro = lock.acquire();
      expect(lock.locked()).toBe(false);
      expect(String(coro)).toBe("<coroutine object Lock.acquire()>");
      await coro;
      expect(lock.locked()).toBe(true);
    });
  });

  it("release() of an unlocked lock throws 'Lock is not acquired.'", () => {
    expect(() => new Lock().release()).toThrow(new Error("Lock is not acquired."));
  });

  it("is not awaitable itself, only its acquire() is", () => {
    expect(typeof (new Lock() as unknown as { then?: unknown }).then).toBe("undefined");
  });

  it("hands the lock to waiters one release at a time, in the order they asked (async tasks)", async () => {
    // CPython's LockTests.test_acquire.
    const lock = new Lock();
    const result: number[] = [];
    await runMain(async () => {
      expect(await lock.acquire()).toBe(true);
      const c = (n: number) => async () => {
        if (await lock.acquire()) result.push(n);
        return true;
      };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      await sleep(0);
      expect(result).toEqual([]);
      lock.release();
      await sleep(0);
      expect(result).toEqual([1]);
      await sleep(0);
      expect(result).toEqual([1]);
      const t3 = createTask(c(3));
      lock.release();
      await sleep(0);
      expect(result).toEqual([1, 2]);
      lock.release();
      await sleep(0);
      expect(result).toEqual([1, 2, 3]);
      for (const t of [t1, t2, t3]) expect(t.result()).toBe(true);
    });
  });

  it("hands the lock to waiters one release at a time, in the order they asked (generator tasks)", async () => {
    const lock = new Lock();
    const rec = new Recorder();
    await runMain(function* main(): Gen<void> {
      yield* lock.acquire();
      const tasks = [1, 2, 3].map((n) => createTask(acquirer("generator", lock, rec, n)));
      yield* sleep(0);
      expect(rec.events).toEqual([]);
      for (const expected of [[1], [1, 2], [1, 2, 3]]) {
        lock.release();
        yield* sleep(0);
        expect(rec.events).toEqual(expected);
      }
      for (const t of tasks) expect(t.result()).toBe(true);
    });
  });

  it.each(STYLES)("a new acquire() waits behind the woken waiter even though the lock is free (%s)", async (style) => {
    const lock = new Lock();
    const rec = new Recorder();
    const waiterBody: CoroutineLike<void> =
      style === "async"
        ? async () => {
            await lock.acquire();
            rec.add("waiter");
            lock.release();
          }
        : function* waiterGen(): Gen<void> {
            yield* lock.acquire();
            rec.add("waiter");
            lock.release();
          };
    const main: CoroutineLike<void> =
      style === "async"
        ? async () => {
            await lock.acquire();
            const waiter = createTask(waiterBody);
            await waitUntil(() => lock._waiters?.length === 1);
            lock.release();
            // Free, but promised to the woken waiter, which has not run yet: no jumping the queue.
            expect(lock.locked()).toBe(false);
            // then() starts the coroutine at once, before the woken waiter can run.
            await lock.acquire().then(() => {
              rec.add("newcomer");
              lock.release();
            });
            await waiter;
          }
        : function* mainGen(): Gen<void> {
            yield* lock.acquire();
            const waiter = createTask(waiterBody);
            yield* sleep(0);
            lock.release();
            expect(lock.locked()).toBe(false);
            yield* lock.acquire();
            rec.add("newcomer");
            lock.release();
            yield* waiter;
          };
    await runMain(main);
    expect(rec.events).toEqual(["waiter", "newcomer"]);
  });

  it("a free lock whose waiters are all cancelled is taken at once", async () => {
    const lock = new Lock();
    await runMain(async () => {
      await lock.acquire();
      const t = createTask(async () => lock.acquire());
      await sleep(0);
      t.cancel();
      lock.release();
      // t's waiter is cancelled but t has not run yet to remove it: acquire() need not wait for it.
      expect(String(lock)).toBe("<Lock [unlocked, waiters:1]>");
      expect(await lock.acquire()).toBe(true);
      await expect(t).rejects.toThrow(CancelledError);
      lock.release();
    });
  });

  describe.each(STYLES)("cancellation (%s tasks)", (style) => {
    it("cancelling a task waiting in acquire() removes its waiter and leaves the lock alone", async () => {
      // CPython's test_acquire_cancel.
      const lock = new Lock();
      const rec = new Recorder();
      await runMain(async () => {
        await lock.acquire();
        const task = createTask(acquirer(style, lock, rec, "acquired"));
        asyncio.getRunningLoop().callSoon(() => task.cancel());
        await expect(task).rejects.toThrow(CancelledError);
        expect(String(lock)).toBe("<Lock [locked]>");
        expect(rec.events).toEqual([]);
        lock.release();
      });
    });

    it("a waiter cancelled after it was woken passes the lock on to the next waiter", async () => {
      const lock = new Lock();
      const rec = new Recorder();
      await runMain(async () => {
        await lock.acquire();
        const b = createTask(acquirer(style, lock, rec, "B"));
        const c = createTask(acquirer(style, lock, rec, "C"));
        await sleep(0);
        expect(String(lock)).toBe("<Lock [locked, waiters:2]>");
        lock.release(); // wakes B...
        b.cancel(); // ...which is cancelled before it runs
        await c;
        expect(b.cancelled()).toBe(true);
        expect(rec.events).toEqual(["C"]);
        expect(String(lock)).toBe("<Lock [locked]>");
        lock.release();
      });
    });

    it("a waiter cancelled as the lock is released does not block the next one (cancel race)", async () => {
      // CPython's test_cancel_race: A holds the lock, B and C wait; B is cancelled as A releases.
      const lock = new Lock();
      const rec = new Recorder();
      await runMain(async () => {
        const fa = asyncio.getRunningLoop().createFuture<void>();
        const lockit = (name: string, blocker: asyncio.Future<void> | null): CoroutineLike<void> =>
          style === "async"
            ? async () => {
                await lock.acquire();
                try {
                  rec.add(name);
                  if (blocker !== null) await blocker;
                } finally {
                  lock.release();
                }
              }
            : function* lockit(): Gen<void> {
                yield* lock.acquire();
                try {
                  rec.add(name);
                  if (blocker !== null) yield* blocker;
                } finally {
                  lock.release();
                }
              };
        const ta = createTask(lockit("A", fa));
        await sleep(0);
        expect(lock.locked()).toBe(true);
        const tb = createTask(lockit("B", null));
        await sleep(0);
        const tc = createTask(lockit("C", null));
        await sleep(0);
        expect(String(lock)).toBe("<Lock [locked, waiters:2]>");
        fa.setResult(undefined);
        tb.cancel();
        await tc;
        expect(ta.done() && tb.cancelled()).toBe(true);
        expect(rec.events).toEqual(["A", "C"]);
        expect(lock.locked()).toBe(false);
      });
    });

    it("cancelling one waiter and releasing lets exactly one other waiter in", async () => {
      // CPython's test_cancel_release_race (bpo-32734).
      const lock = new Lock();
      const rec = new Recorder();
      await runMain(async () => {
        await lock.acquire();
        const tasks = [1, 2, 3].map((n) => createTask(acquirer(style, lock, rec, n)));
        await sleep(0);
        const [t1, t2, t3] = tasks as [Task<boolean>, Task<boolean>, Task<boolean>];
        asyncio.getRunningLoop().callSoon(() => {
          t1.cancel();
          lock.release();
        });
        await expect(t1).rejects.toThrow(CancelledError);
        await t2;
        expect(rec.events).toEqual([2]);
        t3.cancel();
        await expect(t3).rejects.toThrow(CancelledError);
        expect(rec.events).toEqual([2]);
      });
    });
  });

  it("a Lock made while no loop runs works on whichever loop first waits on it", async () => {
    const lock = new Lock();
    const rec = new Recorder();
    const loop = newFakeClockLoop();
    await runMain(async () => {
      await lock.acquire();
      const t = createTask(acquirer("async", lock, rec, "t"));
      await asyncio.sleep(1);
      lock.release();
      await t;
      lock.release();
    }, loop);
    expect(rec.events).toEqual(["t"]);
  });

  it("waiting on a second loop throws '<Lock ...> is bound to a different event loop'", async () => {
    const lock = new Lock();
    await runMain(async () => {
      await lock.acquire();
      const t = createTask(async () => lock.acquire());
      await sleep(0);
      lock.release();
      await t;
      lock.release();
    });
    const outcome = await runMain(async () => {
      await lock.acquire(); // free: no need of a loop, as in Python
      try {
        await lock.acquire(); // must wait: on a loop other than the first one
        return "acquired";
      } catch (e) {
        return (e as Error).message;
      } finally {
        lock.release();
      }
    });
    expect(outcome).toBe("<Lock [locked]> is bound to a different event loop");
  });
});

describe("Event", () => {
  it("prints as Python's repr: <Event [unset]>, <Event [set]>, <Event [unset, waiters:1]>", async () => {
    const ev = new Event();
    expect(String(ev)).toBe("<Event [unset]>");
    ev.set();
    expect(inspect(ev)).toBe("<Event [set]>");
    ev.clear();
    await runMain(async () => {
      const t = createTask(async () => ev.wait());
      await sleep(0);
      expect(String(ev)).toBe("<Event [unset, waiters:1]>");
      ev.set();
      await t;
    });
  });

  it("set() wakes every waiter in the order they started waiting (async tasks)", async () => {
    const ev = new Event();
    const rec = new Recorder();
    await runMain(async () => {
      expect(ev.isSet()).toBe(false);
      const waiters = [1, 2, 3].map((n) =>
        createTask(async () => {
          const r = await ev.wait();
          rec.add(n);
          return r;
        }),
      );
      await sleep(0);
      expect(rec.events).toEqual([]);
      ev.set();
      await asyncio.gather(...waiters);
      expect(rec.events).toEqual([1, 2, 3]);
      for (const t of waiters) expect(t.result()).toBe(true);
    });
  });

  it("a wait() started after set() returns at once, before the woken waiters run (generator tasks)", async () => {
    // CPython's EventTests.test_wait: c3 starts after c1 and c2 wait, and set() comes before it runs.
    const ev = new Event();
    const rec = new Recorder();
    await runMain(function* main(): Gen<void> {
      const c = (n: number) =>
        function* waiter(): Gen<boolean> {
          const r = yield* ev.wait();
          rec.add(n);
          return r;
        };
      const t1 = createTask(c(1));
      const t2 = createTask(c(2));
      yield* sleep(0);
      expect(rec.events).toEqual([]);
      const t3 = createTask(c(3));
      ev.set();
      yield* sleep(0);
      expect(rec.events).toEqual([3, 1, 2]);
      for (const t of [t1, t2, t3]) expect(t.result()).toBe(true);
    });
  });

  it("wait() on a set event returns true at once", async () => {
    const ev = new Event();
    ev.set();
    await runMain(async () => {
      expect(await ev.wait()).toBe(true);
    });
  });

  it("clear() unsets the flag, but a waiter already woken still returns", async () => {
    // CPython's test_clear and test_clear_with_waiters.
    const ev = new Event();
    const rec = new Recorder();
    await runMain(async () => {
      ev.set();
      expect(ev.isSet()).toBe(true);
      ev.clear();
      expect(ev.isSet()).toBe(false);
      const t = createTask(async () => {
        if (await ev.wait()) rec.add(1);
        return true;
      });
      await sleep(0);
      ev.set();
      ev.clear();
      expect(ev.isSet()).toBe(false);
      ev.set();
      ev.set();
      expect(String(ev)).toBe("<Event [set, waiters:1]>");
      expect(await t).toBe(true);
      expect(rec.events).toEqual([1]);
      expect(String(ev)).toBe("<Event [set]>");
    });
  });

  it.each(STYLES)("cancelling a task waiting in wait() removes its waiter (%s tasks)", async (style) => {
    // CPython's EventTests.test_wait_cancel.
    const ev = new Event();
    await runMain(async () => {
      const wait: CoroutineLike<true> =
        style === "async"
          ? async () => ev.wait()
          : function* waitGen(): Gen<true> {
              return yield* ev.wait();
            };
      const task = createTask(wait);
      asyncio.getRunningLoop().callSoon(() => task.cancel());
      await expect(task).rejects.toThrow(CancelledError);
      expect(String(ev)).toBe("<Event [unset]>");
    });
  });
});

describe("Condition", () => {
  it("prints as Python's repr: <Condition [unlocked]>, <Condition [locked, waiters:2]>", async () => {
    const cond = new Condition();
    expect(String(cond)).toBe("<Condition [unlocked]>");
    await runMain(async () => {
      await cond.acquire();
      expect(inspect(cond)).toBe("<Condition [locked]>");
      const waiters = [1, 2].map(() =>
        createTask(async () => {
          await cond.acquire();
          try {
            return await cond.wait();
          } finally {
            cond.release();
          }
        }),
      );
      cond.release();
      await waitUntil(() => !cond.locked() && cond._waiters.length === 2);
      expect(String(cond)).toBe("<Condition [unlocked, waiters:2]>");
      await cond.acquire();
      cond.notifyAll();
      cond.release();
      await asyncio.gather(...waiters);
    });
  });

  it("notify(n) wakes waiters in FIFO order, each once it re-acquires the lock (async tasks)", async () => {
    // CPython's ConditionTests.test_wait, waiting for each state instead of counting iterations.
    const cond = new Condition();
    const result: number[] = [];
    await runMain(async () => {
      const c = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) result.push(n);
        return true;
      };
      const tasks = [createTask(c(1)), createTask(c(2)), createTask(c(3))];
      await waitUntil(() => cond._waiters.length === 3);
      expect(result).toEqual([]);
      expect(cond.locked()).toBe(false);

      expect(await cond.acquire()).toBe(true);
      cond.notify();
      // The notified task now waits for the lock, which we hold.
      await waitUntil(() => String(cond._lock) === "<Lock [locked, waiters:1]>");
      expect(result).toEqual([]);

      cond.release();
      await waitUntil(() => result.length === 1);
      expect(result).toEqual([1]);
      expect(cond.locked()).toBe(true); // task 1 holds it now

      cond.notify(2);
      await waitUntil(() => String(cond._lock) === "<Lock [locked, waiters:2]>");
      expect(result).toEqual([1]);

      cond.release();
      await waitUntil(() => result.length === 2);
      expect(result).toEqual([1, 2]);
      expect(cond.locked()).toBe(true);

      cond.release();
      await waitUntil(() => result.length === 3);
      expect(result).toEqual([1, 2, 3]);
      expect(cond.locked()).toBe(true);
      for (const t of tasks) expect(await t).toBe(true);
      cond.release();
    });
  });

  it("notify() wakes one waiter at a time in FIFO order, with CPython's iteration counts (generator tasks)", async () => {
    // CPython's ConditionTests.test_wait, step for step.
    const cond = new Condition();
    const result: number[] = [];
    await runMain(function* main(): Gen<void> {
      const c = (n: number) =>
        function* waiter(): Gen<boolean> {
          yield* cond.acquire();
          if (yield* cond.wait()) result.push(n);
          return true;
        };
      const tasks = [createTask(c(1)), createTask(c(2)), createTask(c(3))];
      yield* sleep(0);
      expect(result).toEqual([]);
      expect(cond.locked()).toBe(false);

      expect(yield* cond.acquire()).toBe(true);
      cond.notify();
      yield* sleep(0);
      expect(result).toEqual([]);
      expect(cond.locked()).toBe(true);

      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1]);
      expect(cond.locked()).toBe(true);

      cond.notify(2);
      yield* sleep(0);
      expect(result).toEqual([1]);
      expect(cond.locked()).toBe(true);

      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1, 2]);
      expect(cond.locked()).toBe(true);

      cond.release();
      yield* sleep(0);
      expect(result).toEqual([1, 2, 3]);
      expect(cond.locked()).toBe(true);
      for (const t of tasks) expect(t.result()).toBe(true);
      cond.release();
    });
  });

  it("notify(1) then notify(2048) wake the rest in FIFO order (generator tasks)", async () => {
    const cond = new Condition();
    const rec = new Recorder();
    await runMain(function* main(): Gen<void> {
      const c = (n: number) =>
        function* waiter(): Gen<boolean> {
          yield* cond.acquire();
          try {
            const r = yield* cond.wait();
            rec.add(n);
            return r;
          } finally {
            cond.release();
          }
        };
      const tasks = [1, 2, 3].map((n) => createTask(c(n)));
      yield* sleep(0);
      yield* cond.acquire();
      cond.notify(1);
      cond.release();
      yield* sleep(0);
      expect(rec.events).toEqual([1]);
      yield* cond.acquire();
      cond.notify(1);
      cond.notify(2048);
      cond.release();
      yield* sleep(0);
      expect(rec.events).toEqual([1, 2, 3]);
      for (const t of tasks) expect(t.result()).toBe(true);
    });
  });

  it("notifyAll() wakes every waiter", async () => {
    // CPython's test_notify_all.
    const cond = new Condition();
    const result: number[] = [];
    await runMain(async () => {
      const c = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) {
          result.push(n);
          cond.release();
        }
        return true;
      };
      const tasks = [createTask(c(1)), createTask(c(2))];
      await sleep(0);
      await cond.acquire();
      cond.notifyAll();
      cond.release();
      await asyncio.gather(...tasks);
      expect(result).toEqual([1, 2]);
    });
  });

  it("wait(), notify() and notifyAll() without the lock throw", async () => {
    const cond = new Condition();
    expect(() => cond.notify()).toThrow(new Error("cannot notify on un-acquired lock"));
    expect(() => cond.notifyAll()).toThrow(new Error("cannot notify on un-acquired lock"));
    await runMain(async () => {
      await expect(cond.wait()).rejects.toThrow(new Error("cannot wait on un-acquired lock"));
    });
  });

  it("waitFor(predicate) returns once the predicate is truthy after a notify, with its value", async () => {
    // CPython's test_wait_for.
    const cond = new Condition();
    let presult: string | false = false;
    const result: unknown[] = [];
    await runMain(async () => {
      const t = createTask(async () => {
        await cond.acquire();
        const r = await cond.waitFor(() => presult);
        result.push(r);
        cond.release();
        return true;
      });
      await sleep(0);
      await cond.acquire();
      cond.notify();
      cond.release();
      await sleep(0);
      expect(result).toEqual([]);

      presult = "ready";
      await cond.acquire();
      cond.notify();
      cond.release();
      await sleep(0);
      expect(result).toEqual(["ready"]);
      expect(await t).toBe(true);
    });
  });

  it("waitFor() with a predicate already true needs no lock; otherwise it needs one", async () => {
    // CPython's test_wait_for_unacquired.
    const cond = new Condition();
    await runMain(async () => {
      expect(await cond.waitFor(() => [1, 2, 3])).toEqual([1, 2, 3]);
      await expect(cond.waitFor(() => false)).rejects.toThrow("cannot wait on un-acquired lock");
    });
  });

  it("waitFor() works by yield* in a generator task", async () => {
    const cond = new Condition();
    let ready = 0;
    await runMain(function* main(): Gen<void> {
      const t = createTask(function* consumer(): Gen<number> {
        yield* cond.acquire();
        try {
          return yield* cond.waitFor(() => ready);
        } finally {
          cond.release();
        }
      });
      yield* sleep(0);
      yield* cond.acquire();
      ready = 7;
      cond.notify();
      cond.release();
      expect(yield* t).toBe(7);
    });
  });

  it("waitFor() calls its predicate in the waiting task, with the task's context variables", async () => {
    const cond = new Condition();
    const v = new asyncio.ContextVar<string>("v");
    const seen: unknown[] = [];
    let ready = false;
    await runMain(async () => {
      const t = createTask(async () =>
        v.run("the waiter's", async () => {
          await cond.acquire();
          try {
            return await cond.waitFor(() => {
              seen.push([v.get(), asyncio.currentTask() === t]);
              return ready;
            });
          } finally {
            cond.release();
          }
        }),
      );
      await waitUntil(() => cond._waiters.length === 1);
      await cond.acquire();
      ready = true;
      cond.notify();
      cond.release();
      expect(await t).toBe(true);
      expect(seen).toEqual([
        ["the waiter's", true],
        ["the waiter's", true],
      ]);
    });
  });

  it("shares an explicit lock: locked() and acquire()/release() are the lock's", async () => {
    // CPython's test_explicit_lock.
    const lock = new Lock();
    const cond = new Condition(lock);
    await runMain(async () => {
      await cond.acquire();
      expect(lock.locked()).toBe(true);
      cond.release();
      expect(cond.locked()).toBe(false);
      await lock.acquire();
      expect(cond.locked()).toBe(true);
      lock.release();
    });
  });

  describe.each(STYLES)("cancellation (%s tasks)", (style) => {
    const waitBody = (cond: Condition): CoroutineLike<true> =>
      style === "async"
        ? async () => cond.wait()
        : function* waitGen(): Gen<true> {
            return yield* cond.wait();
          };

    it("a cancelled wait() re-acquires the lock before CancelledError comes out", async () => {
      // CPython's test_wait_cancel.
      const cond = new Condition();
      await runMain(async () => {
        await cond.acquire();
        const wait = createTask(waitBody(cond));
        asyncio.getRunningLoop().callSoon(() => wait.cancel());
        await expect(wait).rejects.toThrow(CancelledError);
        expect(String(cond)).toBe("<Condition [locked]>");
        cond.release();
      });
    });

    it("a wait() that is notified and cancelled while the lock is contested still returns holding the lock", async () => {
      // CPython's test_wait_cancel_contested.
      const cond = new Condition();
      await runMain(async () => {
        await cond.acquire();
        const waitTask = createTask(waitBody(cond));
        await sleep(0);
        expect(cond.locked()).toBe(false);
        await cond.acquire();
        cond.notify();
        const loop = asyncio.getRunningLoop();
        loop.callSoon(() => waitTask.cancel());
        loop.callSoon(() => cond.release());
        try {
          await waitTask;
        } catch (e) {
          expect(e).toBeInstanceOf(CancelledError);
        }
        expect(cond.locked()).toBe(true);
        cond.release();
      });
    });

    it("a wait() cancelled after notify while re-acquiring ends cancelled (bpo-32841)", async () => {
      const cond = new Condition();
      let waited = false;
      await runMain(async () => {
        const waiter = createTask(
          style === "async"
            ? async () => {
                await cond.acquire();
                try {
                  waited = true;
                  await cond.wait();
                } finally {
                  cond.release();
                }
              }
            : function* waitOnCond(): Gen<void> {
                yield* cond.acquire();
                try {
                  waited = true;
                  yield* cond.wait();
                } finally {
                  cond.release();
                }
              },
        );
        await sleep(0);
        await cond.acquire();
        cond.notify();
        await sleep(0);
        waiter.cancel();
        await sleep(0);
        cond.release();
        await expect(waiter).rejects.toThrow(CancelledError);
        expect(waited).toBe(true);
        expect(cond.locked()).toBe(false);
      });
    });

    it("CancelledError from the wait comes out unchanged, with its message", async () => {
      // CPython's test_cancelled_error_wakeup and test_cancelled_error_re_aquire.
      for (const whileReacquiring of [false, true]) {
        const cond = new Condition();
        let wake = false;
        let raised: unknown = null;
        await runMain(async () => {
          const body =
            style === "async"
              ? async () => {
                  await cond.acquire();
                  try {
                    await cond.waitFor(() => wake);
                  } catch (e) {
                    raised = e;
                    throw e;
                  } finally {
                    cond.release();
                  }
                }
              : function* func(): Gen<void> {
                  yield* cond.acquire();
                  try {
                    yield* cond.waitFor(() => wake);
                  } catch (e) {
                    raised = e;
                    throw e;
                  } finally {
                    cond.release();
                  }
                };
          const task = createTask(body);
          await sleep(0);
          if (whileReacquiring) {
            await cond.acquire();
            wake = true;
            cond.notify();
            await sleep(0); // the task now waits to re-acquire the lock
          }
          task.cancel("foo");
          if (whileReacquiring) cond.release();
          const err = await task.then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(CancelledError);
          expect((err as Error).message).toBe("foo");
          expect(err).toBe(raised);
        });
      }
    });

    it("a waiter cancelled as it is notified does not lose the notification (gh-112202)", async () => {
      // CPython's test_cancelled_wakeup (cancelled before it runs) and
      // test_cancelled_wakeup_relock (cancelled while re-acquiring the lock).
      for (const relock of [false, true]) {
        const cond = new Condition();
        let state = 0;
        const consumer = (): CoroutineLike<void> =>
          style === "async"
            ? async () => {
                await cond.acquire();
                try {
                  for (;;) {
                    await cond.waitFor(() => state !== 0);
                    if (state < 0) return;
                    state -= 1;
                  }
                } finally {
                  cond.release();
                }
              }
            : function* consumerGen(): Gen<void> {
                yield* cond.acquire();
                try {
                  for (;;) {
                    yield* cond.waitFor(() => state !== 0);
                    if (state < 0) return;
                    state -= 1;
                  }
                } finally {
                  cond.release();
                }
              };
        await runMain(async () => {
          const c = [createTask(consumer()), createTask(consumer())] as const;
          await sleep(0);
          await cond.acquire();
          try {
            state += 1;
            cond.notify(1);
            if (relock) await sleep(0);
            c[0].cancel();
            try {
              await asyncio.timeout(0.01).run(() => cond.waitFor(() => state === 0));
            } catch (e) {
              if (!(e instanceof TimeoutError)) throw e;
            }
            expect(state).toBe(0);
            state = -1;
            cond.notifyAll();
          } finally {
            cond.release();
          }
          await c[1];
          await expect(c[0]).rejects.toThrow(CancelledError);
        }, newFakeClockLoop());
      }
    });
  });

  it("waitFor() under waitFor(timeout) throws TimeoutError and still returns the lock (test_timeout_in_block)", async () => {
    const cond = new Condition();
    await runMain(async () => {
      await cond.acquire();
      try {
        await expect(asyncio.waitFor(cond.wait(), 0.5)).rejects.toThrow(TimeoutError);
        expect(cond.locked()).toBe(true);
      } finally {
        cond.release();
      }
    }, newFakeClockLoop());
  });

  it("waiting on a second loop throws '<Condition ...> is bound to a different event loop'", async () => {
    const cond = new Condition();
    await runMain(async () => {
      await cond.acquire();
      const t = createTask(async () => {
        await cond.acquire();
        try {
          return await cond.wait();
        } finally {
          cond.release();
        }
      });
      cond.release();
      await sleep(0);
      await cond.acquire();
      cond.notify();
      cond.release();
      await t;
    });
    const message = await runMain(async () => {
      await cond.acquire();
      try {
        await cond.wait();
        return "waited";
      } catch (e) {
        return (e as Error).message;
      } finally {
        cond.release();
      }
    });
    expect(message).toBe("<Condition [locked]> is bound to a different event loop");
  });
});

describe("Semaphore", () => {
  it("prints as Python's repr: <Semaphore [unlocked, value:2]>, <Semaphore [locked, waiters:1]>", async () => {
    const sem = new Semaphore(2);
    expect(String(sem)).toBe("<Semaphore [unlocked, value:2]>");
    expect(inspect(new Semaphore())).toBe("<Semaphore [unlocked, value:1]>");
    await runMain(async () => {
      await sem.acquire();
      await sem.acquire();
      expect(String(sem)).toBe("<Semaphore [locked]>");
      const t = createTask(async () => sem.acquire());
      await sleep(0);
      expect(String(sem)).toBe("<Semaphore [locked, waiters:1]>");
      sem.release();
      await t;
    });
  });

  it("starts locked with value 0 and refuses a negative value", () => {
    expect(new Semaphore(0).locked()).toBe(true);
    expect(() => new Semaphore(-1)).toThrow(new RangeError("Semaphore initial value must be >= 0"));
  });

  it("counts: acquire() takes a slot while one is free, then waits; release() gives one back", async () => {
    // CPython's SemaphoreTests.test_acquire.
    const sem = new Semaphore(3);
    const rec = new Recorder();
    await runMain(async () => {
      expect(await sem.acquire()).toBe(true);
      expect(await sem.acquire()).toBe(true);
      expect(sem.locked()).toBe(false);
      const [t1, t2, t3] = [1, 2, 3].map((n) => createTask(acquirer("async", sem, rec, n))) as [Task<boolean>, Task<boolean>, Task<boolean>];
      await sleep(0);
      expect(rec.events).toEqual([1]);
      expect(sem.locked()).toBe(true);
      expect(String(sem)).toBe("<Semaphore [locked, waiters:2]>");
      const t4 = createTask(acquirer("async", sem, rec, 4));
      sem.release();
      sem.release();
      await asyncio.gather(t2, t3);
      expect(rec.events).toEqual([1, 2, 3]);
      expect(String(sem)).toBe("<Semaphore [locked, waiters:1]>");
      expect(t1.result()).toBe(true);
      sem.release();
      await t4;
      expect(rec.events).toEqual([1, 2, 3, 4]);
    });
  });

  it("serves waiters in FIFO order, also when one re-acquires at once", async () => {
    // CPython's test_acquire_fifo_order and test_acquire_fifo_order_2.
    const sem = new Semaphore(1);
    const result: string[] = [];
    await runMain(async () => {
      const coro = (tag: string) => async () => {
        for (const round of [1, 2]) {
          await sem.acquire();
          result.push(`${tag}_${round}`);
          await asyncio.sleep(0.01);
          sem.release();
        }
      };
      await asyncio.gather(createTask(coro("c1")), createTask(coro("c2")), createTask(coro("c3")));
      expect(result).toEqual(["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]);
    }, newFakeClockLoop());

    const sem2 = new Semaphore(1);
    const order: number[] = [];
    await runMain(async () => {
      const t1 = createTask(async () => {
        await sem2.acquire();
        order.push(1);
      });
      const t2 = createTask(async () => {
        await sem2.acquire();
        order.push(2);
        sem2.release();
        await sem2.acquire();
        order.push(4);
      });
      const t3 = createTask(async () => {
        await sem2.acquire();
        order.push(3);
      });
      await sleep(0);
      sem2.release();
      sem2.release();
      await asyncio.gather(t1, t2, t3);
      expect(order).toEqual([1, 2, 3, 4]);
    });
  });

  it("a successful acquire() wakes the waiters queued behind it while slots are free (test_acquire_fifo_order_4)", async () => {
    const sem = new Semaphore(0);
    const rec = new Recorder();
    await runMain(function* main(): Gen<void> {
      let t4: Task<void> | null = null;
      const t1 = createTask(function* c1(): Gen<void> {
        yield* sem.acquire();
        expect(sem._value).toBe(0); // the others were woken, each with its slot
        t4 = createTask(function* c4(): Gen<void> {
          rec.add(4);
        });
        rec.add(1);
      });
      const t2 = createTask(function* c2(): Gen<void> {
        sem.release();
        sem.release();
        sem.release();
        expect(sem._value).toBe(2);
        expect(sem.locked()).toBe(true); // c1 was woken but has not run yet
        yield* sem.acquire();
        rec.add(2);
      });
      const t3 = createTask(function* c3(): Gen<void> {
        yield* sem.acquire();
        expect(sem.locked()).toBe(true);
        rec.add(3);
      });
      yield* sleep(0);
      expect(sem._value).toBe(2);
      expect(String(sem)).toBe("<Semaphore [locked, waiters:3]>");
      yield* sleep(0);
      yield* asyncio.gather(t1, t2, t3);
      yield* t4 as unknown as Task<void>;
      expect(rec.events).toEqual([1, 2, 3, 4]);
    });
  });

  describe.each(STYLES)("cancellation (%s tasks)", (style) => {
    it("cancelling a task waiting in acquire() leaves no live waiter behind", async () => {
      // CPython's SemaphoreTests.test_acquire_cancel.
      const sem = new Semaphore();
      const rec = new Recorder();
      await runMain(async () => {
        await sem.acquire();
        const acquire = createTask(acquirer(style, sem, rec, "acquired"));
        asyncio.getRunningLoop().callSoon(() => acquire.cancel());
        await expect(acquire).rejects.toThrow(CancelledError);
        expect(String(sem)).toBe("<Semaphore [locked]>");
        sem.release();
        expect(String(sem)).toBe("<Semaphore [unlocked, value:1]>");
      });
    });

    it("waiters cancelled before they are woken do not take the released slot", async () => {
      // CPython's test_acquire_cancel_before_awoken and test_acquire_hang.
      const sem = new Semaphore(0);
      const rec = new Recorder();
      await runMain(async () => {
        const [t1, t2, t3, t4] = [1, 2, 3, 4].map((n) => createTask(acquirer(style, sem, rec, n))) as Task<boolean>[] as [
          Task<boolean>,
          Task<boolean>,
          Task<boolean>,
          Task<boolean>,
        ];
        await sleep(0);
        t1.cancel();
        t2.cancel();
        sem.release();
        await t3;
        await sleep(0);
        expect(t4.done()).toBe(false);
        expect(sem.locked()).toBe(true);
        expect(rec.events).toEqual([3]);
        t4.cancel();
        await asyncio.gather(t1, t2, t4, { returnExceptions: true });
        expect([t1, t2, t4].every((t) => t.cancelled())).toBe(true);
      });
    });

    it("a waiter cancelled after it was woken gives its slot to the next waiter", async () => {
      const sem = new Semaphore(0);
      const rec = new Recorder();
      await runMain(async () => {
        const b = createTask(acquirer(style, sem, rec, "B"));
        const c = createTask(acquirer(style, sem, rec, "C"));
        await sleep(0);
        sem.release(); // hands B the slot...
        b.cancel(); // ...but B is cancelled before it runs
        await c;
        expect(b.cancelled()).toBe(true);
        expect(rec.events).toEqual(["C"]);
        expect(String(sem)).toBe("<Semaphore [locked]>");
      });
    });

    it("a waiter cancelled first does not keep the later ones waiting (test_acquire_fifo_order_3)", async () => {
      const sem = new Semaphore(0);
      const rec = new Recorder();
      await runMain(async () => {
        const tasks = [1, 2, 3].map((n) => createTask(acquirer(style, sem, rec, n)));
        await sleep(0);
        tasks[0]?.cancel();
        await sleep(0);
        sem.release();
        sem.release();
        await asyncio.gather(...tasks, { returnExceptions: true });
        expect(rec.events).toEqual([2, 3]);
      });
    });
  });

  it("a holder that cancels the next waiter does not hang the semaphore (test_acquire_no_hang)", async () => {
    const sem = new Semaphore(1);
    await runMain(async () => {
      let t2: Task<void> | null = null;
      const t1 = createTask(async () => {
        await sem.acquire();
        try {
          await sleep(0);
        } finally {
          sem.release();
        }
        t2?.cancel();
      });
      t2 = createTask(async () => {
        await sem.acquire();
        sem.release();
        throw new Error("must not get the semaphore");
      });
      const [r1, r2] = await asyncio.gather(t1, t2, { returnExceptions: true });
      expect(r1).toBeUndefined();
      expect(r2).toBeInstanceOf(CancelledError);
      expect(await asyncio.waitFor(sem.acquire(), 1)).toBe(true);
    });
  });

  it("waiting on a second loop throws '<Semaphore ...> is bound to a different event loop'", async () => {
    const sem = new Semaphore(0);
    await runMain(async () => {
      const t = createTask(async () => sem.acquire());
      await sleep(0);
      sem.release();
      await t;
    });
    await runMain(async () => {
      await expect(sem.acquire()).rejects.toThrow("<Semaphore [locked]> is bound to a different event loop");
    });
  });
});

describe("BoundedSemaphore", () => {
  it("release() beyond the initial value throws BoundedSemaphoreError", async () => {
    const sem = new BoundedSemaphore(2);
    expect(String(sem)).toBe("<BoundedSemaphore [unlocked, value:2]>");
    expect(() => sem.release()).toThrow(BoundedSemaphoreError);
    expect(() => new BoundedSemaphore().release()).toThrow("BoundedSemaphore released too many times");
    await runMain(async () => {
      await sem.acquire();
      sem.release();
      let err: unknown = null;
      try {
        sem.release();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BoundedSemaphoreError);
      expect((err as BoundedSemaphoreError).code).toBe("ERR_ASYNCIO_BOUNDED_SEMAPHORE");
      expect(String(sem)).toBe("<BoundedSemaphore [unlocked, value:2]>");
    });
  });

  it("is a Semaphore: it counts and makes tasks wait the same way", async () => {
    const sem = new BoundedSemaphore(1);
    const rec = new Recorder();
    await runMain(async () => {
      expect(sem).toBeInstanceOf(Semaphore);
      await sem.acquire();
      const t = createTask(acquirer("async", sem, rec, "second"));
      await sleep(0);
      expect(rec.events).toEqual([]);
      sem.release();
      await t;
      expect(rec.events).toEqual(["second"]);
      sem.release();
    });
  });
});

/** The primitives with Python's `async with`: `await using _ = await x.acquired()`. */
const HOLDABLE = [
  ["Lock", () => new Lock()],
  ["Semaphore", () => new Semaphore(1)],
  ["BoundedSemaphore", () => new BoundedSemaphore(1)],
  ["Condition", () => new Condition()],
] as const;

describe.each(HOLDABLE)("%s with await using (async with)", (name, make) => {
  it("holds it in the block and releases it at the end", async () => {
    await runMain(async () => {
      const lock = make();
      {
        await using held = await lock.acquired();
        expect(lock.locked()).toBe(true);
        expect(typeof held.release).toBe("function");
      }
      expect(lock.locked()).toBe(false);
    });
  });

  it("releases it when the block throws, and the error goes on", async () => {
    await runMain(async () => {
      const lock = make();
      const body = async (): Promise<void> => {
        await using _ = await lock.acquired();
        throw new RangeError("in the block");
      };
      await expect(body()).rejects.toThrow(new RangeError("in the block"));
      expect(lock.locked()).toBe(false);
    });
  });

  it("a second task waits until the first one's block ends", async () => {
    const rec = new Recorder();
    await runMain(async () => {
      const lock = make();
      const worker = (tag: string) => async () => {
        await using _ = await lock.acquired();
        rec.add(`${tag} in`);
        await sleep(0.01);
        rec.add(`${tag} out`);
      };
      await asyncio.gather(createTask(worker("a")), createTask(worker("b")));
      expect(rec.events).toEqual(["a in", "a out", "b in", "b out"]);
      expect(lock.locked()).toBe(false);
    });
  });

  it("using in a generator coroutine releases it when the block ends", async () => {
    await runMain(function* main(): Gen<void> {
      const lock = make();
      {
        using _ = yield* lock.acquired();
        expect(lock.locked()).toBe(true);
      }
      expect(lock.locked()).toBe(false);
    });
  });

  it("release() gives it back early, and the end of the block does not release it again", async () => {
    await runMain(async () => {
      const lock = make();
      {
        await using held = await lock.acquired();
        held.release();
        expect(lock.locked()).toBe(false);
      }
      // A second release would throw ("Lock is not acquired.", BoundedSemaphoreError) or, for a
      // Semaphore, free a slot nobody took.
      expect(lock.locked()).toBe(false);
      await lock.acquire();
      expect(lock.locked()).toBe(true);
      lock.release();
    });
  });

  it(`a task cancelled while waiting in acquired() holds nothing and releases nothing (${name})`, async () => {
    await runMain(async () => {
      const lock = make();
      await lock.acquire();
      const t = createTask(async () => {
        await using _ = await lock.acquired();
      });
      // A Condition's own repr counts waiters in wait(); acquire() waits on its lock.
      await waitUntil(() => String(lock instanceof Condition ? lock._lock : lock).includes("waiters:1"));
      t.cancel();
      await expect(t).rejects.toThrow(CancelledError);
      expect(lock.locked()).toBe(true);
      lock.release();
      expect(lock.locked()).toBe(false);
    });
  });
});

describe("Barrier", () => {
  // CPython's BarrierTests (N = 5), in generator tasks so that its sleep(0) counts and the order
  // in which woken tasks run hold exactly; `async with barrier as i` is `i = yield* barrier.wait()`.
  const N = 5;

  function makeTasks<T>(n: number, body: () => Gen<T>): Task<T>[] {
    return Array.from({ length: n }, () => createTask(body));
  }

  function* gatherTasks<T>(n: number, body: () => Gen<T>): Gen<T[]> {
    return yield* gather(...makeTasks(n, body));
  }

  /** Waits at `barrier`: true when it passed, false when it threw BrokenBarrierError. */
  function* passes(barrier: Barrier): Gen<boolean> {
    try {
      yield* barrier.wait();
      return true;
    } catch (e) {
      if (!(e instanceof BrokenBarrierError)) throw e;
      return false;
    }
  }

  /** No task is left in `barrier`, it is not resetting, and it is broken or not. */
  function expectAtRest(barrier: Barrier, broken: boolean): void {
    expect(barrier.nWaiting).toBe(0);
    expect(String(barrier)).not.toContain("resetting");
    expect(barrier.broken).toBe(broken);
  }

  it("prints as Python's repr: <Barrier [filling, waiters:2/5]>, draining, resetting, <Barrier [broken]>", async () => {
    // CPython's test_barrier and test_repr.
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      expect(String(barrier)).toBe("<Barrier [filling, waiters:0/5]>");
      expect(inspect(barrier)).toBe("<Barrier [filling, waiters:0/5]>");
      const waiters: Task<number>[] = [];
      for (let i = 0; i < 2; i++) waiters.push(createTask(barrier.wait()));
      yield* sleep(0);
      expect(String(barrier)).toBe("<Barrier [filling, waiters:2/5]>");
      // The missing waiters.
      for (let i = barrier.parties - barrier.nWaiting; i > 0; i--) waiters.push(createTask(barrier.wait()));
      yield* sleep(0);
      expect(String(barrier)).toMatch(/^<Barrier \[draining, waiters:0\/5\]>$/);
      for (let i = 0; i < 2; i++) waiters.push(createTask(barrier.wait()));
      yield* sleep(0);
      yield* barrier.reset();
      expect(String(barrier)).toMatch(/^<Barrier \[resetting, waiters:0\/5\]>$/);
      for (let i = 0; i < 2; i++) waiters.push(createTask(barrier.wait()));
      yield* sleep(0);
      yield* barrier.abort();
      expect(String(barrier)).toBe("<Barrier [broken]>");
      expect(barrier.broken).toBe(true);
      yield* gather(...waiters, { returnExceptions: true });
    });
  });

  it("needs at least one party: RangeError 'parties must be >= 1' (test_barrier_parties)", () => {
    expect(() => new Barrier(0)).toThrow(new RangeError("parties must be >= 1"));
    expect(() => new Barrier(-4)).toThrow(RangeError);
    expect(() => new Barrier(Number.NaN)).toThrow(RangeError);
    expect(new Barrier(N).parties).toBe(N);
  });

  it("wait() returns each task's index of arrival, 0 to parties - 1 (test_context_manager)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(3);
      const results: number[] = [];
      yield* gatherTasks(3, function* coro(): Gen<void> {
        results.push(yield* barrier.wait());
      });
      expect(results.sort()).toEqual([0, 1, 2]);
      expectAtRest(barrier, false);
    });
  });

  it("a barrier of one lets each task through at once (test_filling_one_task, test_filling_one_task_twice)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(1);
      expect(yield* barrier.wait()).toBe(0);
      const t1 = createTask(barrier.wait());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(0);
      const t2 = createTask(barrier.wait());
      yield* sleep(0);
      expect(t1.done()).toBe(true);
      expect(t2.done()).toBe(true);
      expect(t1.result()).toBe(t2.result());
      expectAtRest(barrier, false);
    });
  });

  it("counts the tasks waiting until the last one arrives (test_filling_task_by_task)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(3);
      const t1 = createTask(barrier.wait());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(1);
      expect(String(barrier)).toContain("filling");
      const t2 = createTask(barrier.wait());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(2);
      expect(String(barrier)).toContain("filling");
      const t3 = createTask(barrier.wait());
      yield* sleep(0);
      yield* asyncio.wait([t1, t2, t3]);
      expectAtRest(barrier, false);
    });
  });

  it("can be passed again and again by the same tasks (test_filling_tasks_wait_twice, _check_return_value)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      const indexes = yield* gatherTasks(N, function* coro(): Gen<number> {
        yield* barrier.wait();
        results.push(true);
        const i = yield* barrier.wait();
        results.push(false);
        return i;
      });
      expect(results.filter((r) => r).length).toBe(N);
      expect(results.filter((r) => !r).length).toBe(N);
      expect(indexes.sort()).toEqual([0, 1, 2, 3, 4]);
      expectAtRest(barrier, false);
    });
  });

  it("drains until the last task has left, then fills again (test_draining_state)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const results: boolean[] = [];
      yield* gatherTasks(N, function* coro(): Gen<void> {
        yield* barrier.wait();
        // The state goes back to filling when the last task is released.
        results.push(String(barrier).includes("draining"));
      });
      expect(results.length).toBe(N);
      expect(results[N - 1]).toBe(false);
      expect(results.slice(0, N - 1).every((r) => r)).toBe(true);
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("tasks arriving while it drains wait for the next round (test_blocking_tasks_while_draining)", async () => {
    await runMain(function* main(): Gen<void> {
      const rewait = 2;
      const barrier = new Barrier(N);
      const barrierNoWaiting = new Barrier(N - rewait);
      let rewaitN = rewait;
      yield* gatherTasks(N, function* coro(): Gen<void> {
        yield* barrier.wait();
        if (rewaitN > 0) {
          rewaitN--;
          yield* barrier.wait(); // only these wait again at once
        } else {
          yield* barrierNoWaiting.wait(); // the end of draining...
          yield* barrier.wait(); // ...then the others
        }
      });
      // Passing means barrierNoWaiting was waited for exactly N - rewait times.
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("a cancelled waiter leaves the count (test_filling_tasks_cancel_one)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(3);
      const results: boolean[] = [];
      const coro = function* coro(): Gen<void> {
        yield* barrier.wait();
        results.push(true);
      };
      const t1 = createTask(coro);
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(1);
      const t2 = createTask(coro);
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(2);
      t1.cancel();
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(1);
      expect(t1.cancelled()).toBe(true);
      const t3 = createTask(coro);
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(2);
      const t4 = createTask(coro);
      yield* gather(t2, t3, t4);
      expect(results).toEqual([true, true, true]);
      expectAtRest(barrier, false);
    });
  });

  it("reset() of an empty barrier leaves it filling (test_reset_barrier)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(1);
      createTask(barrier.reset());
      yield* sleep(0);
      expectAtRest(barrier, false);
      expect(String(barrier)).toBe("<Barrier [filling, waiters:0/1]>");
    });
  });

  it("reset() makes the waiting tasks throw BrokenBarrierError (test_reset_barrier_while_tasks_waiting)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const errors: unknown[] = [];
      const tasks = makeTasks(N - 1, function* coro(): Gen<void> {
        try {
          yield* barrier.wait();
        } catch (e) {
          errors.push(e);
        }
      });
      yield* sleep(0);
      createTask(function* coroReset(): Gen<void> {
        yield* barrier.reset();
      });
      yield* gather(...tasks);
      expect(errors.length).toBe(N - 1);
      for (const e of errors) {
        expect(e).toBeInstanceOf(BrokenBarrierError);
        expect((e as BrokenBarrierError).message).toBe("Abort or reset of barrier");
        expect((e as BrokenBarrierError).code).toBe("ERR_ASYNCIO_BROKEN_BARRIER");
      }
      expectAtRest(barrier, false);
    });
  });

  it("reset() while half the tasks have left breaks it for the other half (test_reset_barrier_when_tasks_half_draining)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const restOfTasks = Math.floor(N / 2);
      yield* gatherTasks(N, function* coro(): Gen<void> {
        const passed = yield* passes(barrier);
        if (!passed) results1.push(true); // still waiting when reset
        // A task that left: reset when exactly the others are still inside.
        if (passed && restOfTasks === barrier._count) yield* barrier.reset();
      });
      expect(results1).toEqual(Array(restOfTasks).fill(true));
      expectAtRest(barrier, false);
    });
  });

  it("tasks blocked while it resets wait for the next round (test_reset_barrier_when_tasks_half_draining_half_blocking)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(N / 2);
      let count = 0;
      yield* gatherTasks(N, function* coro(): Gen<void> {
        if (!(yield* passes(barrier))) {
          results1.push(true); // the tasks still waiting
          yield* barrier.wait(); // now wait again to reach the parties
          return;
        }
        count++;
        if (count > blockingTasks) {
          yield* barrier.reset(); // BrokenBarrierError for the waiting tasks
          yield* barrier.wait();
        } else if (!(yield* passes(barrier))) {
          results2.push(true); // never: blocked tasks go on waiting
        }
      });
      expect(results1).toEqual(Array(blockingTasks).fill(true));
      expect(results2).toEqual([]);
      expectAtRest(barrier, false);
    });
  });

  it("tasks broken by reset() can wait again and pass (test_reset_barrier_while_tasks_waiting_and_waiting_again)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const tasks = makeTasks(N - 1, function* coro1(): Gen<void> {
        if (!(yield* passes(barrier))) results1.push(true);
        yield* barrier.wait();
        results2.push(true);
      });
      createTask(barrier.reset()); // the N - 1 waiting tasks throw BrokenBarrierError
      yield* sleep(0);
      createTask(function* coro2(): Gen<void> {
        yield* barrier.wait(); // completes the waits in the `finally`
        results2.push(true);
      });
      yield* gather(...tasks);
      expect(barrier.broken).toBe(false);
      expect(results1).toEqual(Array(N - 1).fill(true));
      yield* sleep(0);
      expect(results2).toEqual(Array(N).fill(true));
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("reset() by the last task to leave does not break the next round (test_reset_barrier_while_tasks_draining)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      let count = 0;
      yield* gatherTasks(N, function* coro(): Gen<void> {
        yield* barrier.wait();
        count++;
        if (count === N) {
          yield* barrier.reset(); // the last task out resets...
          yield* barrier.wait(); // ...and waits to reach the parties
        } else {
          try {
            yield* barrier.wait(); // a second wait
            results1.push(true);
          } catch {
            results2.push(true); // never
          }
        }
        yield* barrier.wait(); // the last round must pass too
        results3.push(true);
      });
      expect(barrier.broken).toBe(false);
      expect(results1).toEqual(Array(N - 1).fill(true));
      expect(results2).toEqual([]);
      expect(results3).toEqual(Array(N).fill(true));
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("abort() breaks it: broken is true (test_abort_barrier)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(1);
      createTask(barrier.abort());
      yield* sleep(0);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(true);
      yield* raisesBroken(() => barrier.wait(), "Barrier aborted");
    });
  });

  it("abort() makes waiting and later wait() calls throw BrokenBarrierError (test_abort_barrier_when_tasks_half_draining_half_blocking)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const blockingTasks = Math.floor(N / 2);
      let count = 0;
      yield* gatherTasks(N, function* coro(): Gen<void> {
        if (!(yield* passes(barrier))) {
          results1.push(true); // tasks waiting to drain
          return;
        }
        count++;
        if (count > blockingTasks) yield* barrier.abort();
        else if (!(yield* passes(barrier))) results2.push(true); // tasks blocked (already drained)
      });
      expect(results1).toEqual(Array(blockingTasks).fill(true));
      expect(results2).toEqual(Array(N - blockingTasks - 1).fill(true));
      expectAtRest(barrier, true);
    });
  });

  /**
   * threading's lock_tests pattern: each task passes `barrier` twice, but the one that arrives
   * N/2-th first fails, and aborts the barrier so the others do not wait forever.
   */
  function* passTwiceOrAbort(barrier: Barrier, results1: boolean[], results2: boolean[]): Gen<void> {
    class Failure extends Error {}
    try {
      const i = yield* barrier.wait();
      if (i === Math.floor(N / 2)) throw new Failure();
      yield* barrier.wait();
      results1.push(true);
    } catch (e) {
      if (e instanceof BrokenBarrierError) results2.push(true);
      else if (e instanceof Failure) yield* barrier.abort();
      else throw e;
    }
  }

  it("a task that fails can abort() it so the others do not wait forever (test_abort_barrier_when_exception)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      yield* gatherTasks(N, () => passTwiceOrAbort(barrier, results1, results2));
      expect(barrier.broken).toBe(true);
      expect(results1).toEqual([]);
      expect(results2).toEqual(Array(N - 1).fill(true));
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it("reset() mends a broken barrier (test_abort_barrier_when_exception_then_resetting)", async () => {
    await runMain(function* main(): Gen<void> {
      const barrier1 = new Barrier(N);
      const barrier2 = new Barrier(N);
      const results1: boolean[] = [];
      const results2: boolean[] = [];
      const results3: boolean[] = [];
      yield* gatherTasks(N, function* coro(): Gen<void> {
        yield* passTwiceOrAbort(barrier1, results1, results2);
        // Synchronise and reset barrier1: everyone has left it before the reset, and nobody
        // enters it again before the reset.
        const i = yield* barrier2.wait();
        if (i === Math.floor(N / 2)) yield* barrier1.reset();
        yield* barrier2.wait();
        yield* barrier1.wait();
        results3.push(true);
      });
      expect(barrier1.broken).toBe(false);
      expect(results1).toEqual([]);
      expect(results2).toEqual(Array(N - 1).fill(true));
      expect(results3).toEqual(Array(N).fill(true));
      expect(barrier1.nWaiting).toBe(0);
    });
  });

  describe.each(STYLES)("in %s tasks", (style) => {
    /** A task body in the given style: waits at `barrier` and returns its index. */
    function waiter(barrier: Barrier): CoroutineLike<number> {
      if (style === "async") return async () => barrier.wait();
      return function* waitGen(): Gen<number> {
        return yield* barrier.wait();
      };
    }

    it("the tasks go on together once all parties arrived, each with its own index", async () => {
      await runMain(async () => {
        const barrier = new Barrier(3);
        const t1 = createTask(waiter(barrier));
        const t2 = createTask(waiter(barrier));
        await waitUntil(() => barrier.nWaiting === 2);
        expect(t1.done() || t2.done()).toBe(false);
        const last = await barrier.wait();
        expect(last).toBe(2);
        expect([await t1, await t2].sort()).toEqual([0, 1]);
        expect(barrier.nWaiting).toBe(0);
      });
    });

    it("abort() wakes the waiting tasks with BrokenBarrierError", async () => {
      await runMain(async () => {
        const barrier = new Barrier(3);
        const t = createTask(waiter(barrier));
        await waitUntil(() => barrier.nWaiting === 1);
        await barrier.abort();
        await expect(t).rejects.toThrow(new BrokenBarrierError("Abort or reset of barrier"));
        await expect(barrier.wait()).rejects.toThrow(new BrokenBarrierError("Barrier aborted"));
        await barrier.reset();
        expect(barrier.broken).toBe(false);
      });
    });

    it("a cancelled waiter leaves the count", async () => {
      await runMain(async () => {
        const barrier = new Barrier(2);
        const t = createTask(waiter(barrier));
        await waitUntil(() => barrier.nWaiting === 1);
        t.cancel();
        await expect(t).rejects.toThrow(CancelledError);
        expect(barrier.nWaiting).toBe(0);
        const t2 = createTask(waiter(barrier));
        await waitUntil(() => barrier.nWaiting === 1);
        expect(await barrier.wait()).toBe(1);
        expect(await t2).toBe(0);
      });
    });
  });
});

/** Runs `body` (a `yield*` of a barrier operation) and checks that it throws BrokenBarrierError with `message`. */
function* raisesBroken(body: () => Iterable<unknown>, message: string): Gen<void> {
  try {
    yield* body();
  } catch (e) {
    expect(e).toBeInstanceOf(BrokenBarrierError);
    expect((e as Error).message).toBe(message);
    return;
  }
  throw new Error("BrokenBarrierError not thrown");
}
