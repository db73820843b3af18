// TaskGroup: structured concurrency; the group waits for its tasks and reports failures together.
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { CancelledError, ExceptionGroup, TaskGroup } from "../../src/asyncio/index.js";
import { Recorder, newFakeClockLoop } from "../helpers.js";

describe("TaskGroup", () => {
  it("waits for every task it holds before run() returns", async () => {
    const loop = newFakeClockLoop();
    const t0 = loop.time();
    const [a, b] = await loop.runUntilComplete(async () => {
      let ta!: asyncio.Task<string>;
      let tb!: asyncio.Task<string>;
      await new TaskGroup().run(async (tg) => {
        ta = tg.createTask(asyncio.sleep(1, "a"));
        tb = tg.createTask(asyncio.sleep(2, "b"));
      });
      return [ta.result(), tb.result()];
    });
    expect([a, b]).toEqual(["a", "b"]);
    expect(loop.time() - t0).toBe(2);
    loop.close();
  });

  it("a failing task cancels its siblings and the body; errors come out as an ExceptionGroup", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const err = await loop.runUntilComplete(async () => {
      try {
        await new TaskGroup().run(async (tg) => {
          tg.createTask(async () => {
            await asyncio.sleep(1);
            throw new Error("task failed");
          });
          tg.createTask(async () => {
            try {
              await asyncio.sleep(10);
            } catch (e) {
              rec.add(["sibling", (e as Error).name]);
              throw e;
            }
          });
          try {
            await asyncio.sleep(10);
          } catch (e) {
            rec.add(["body", (e as Error).name]);
            throw e;
          }
        });
        return null;
      } catch (e) {
        return e;
      }
    });
    expect(err).toBeInstanceOf(ExceptionGroup);
    expect((err as ExceptionGroup).message).toBe("unhandled errors in a TaskGroup (1 sub-exception)");
    expect(((err as ExceptionGroup).exceptions[0] as Error).message).toBe("task failed");
    expect(rec.events).toContainEqual(["sibling", "CancelledError"]);
    expect(rec.events).toContainEqual(["body", "CancelledError"]);
    loop.close();
  });

  it("works from a generator coroutine with a generator body", async () => {
    const loop = newFakeClockLoop();
    function* main(): Generator<unknown, number, unknown> {
      const tasks: asyncio.Task<number>[] = [];
      yield* new TaskGroup().run(function* (tg) {
        for (let i = 0; i < 3; i++) tasks.push(tg.createTask(asyncio.sleep(i, i * 10)));
      });
      return tasks.reduce((s, t) => s + t.result(), 0);
    }
    expect(await loop.runUntilComplete(main())).toBe(30);
    loop.close();
  });

  it("refuses new tasks before it is entered and after it is finished", async () => {
    const loop = newFakeClockLoop();
    const tg = new TaskGroup();
    expect(() => tg.createTask(asyncio.sleep(0))).toThrow("has not been entered");
    await loop.runUntilComplete(async () => tg.run(() => undefined));
    const late = asyncio.sleep(0);
    expect(() => tg.createTask(late)).toThrow("is finished");
    await loop.runUntilComplete(late);
    loop.close();
  });

  it("cancelling the parent cancels the group's tasks", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const parent = loop.createTask(async () =>
      new TaskGroup().run(async (tg) => {
        tg.createTask(async () => {
          try {
            await asyncio.sleep(10);
          } catch (e) {
            rec.add((e as Error).name);
            throw e;
          }
        });
      }),
    );
    loop.callLater(1, () => parent.cancel());
    await expect(loop.runUntilComplete(parent)).rejects.toThrow(CancelledError);
    expect(rec.events).toEqual(["CancelledError"]);
    loop.close();
  });
});

// Translated from CPython's test_taskgroups.py, with async bodies (the form the README shows):
// the group waits for its body however the body ends, and nested groups nest their errors.
describe("TaskGroup: async bodies and nesting", () => {
  class MyExc extends Error {
    override name = "MyExc";
  }
  const crashAfter = async (t: number): Promise<never> => {
    await asyncio.sleep(t);
    throw new RangeError(String(t));
  };
  const errorTypes = (eg: unknown): string[] => [...new Set((eg as ExceptionGroup).exceptions.map((e) => (e as Error).name))];

  it("an inner group's failure comes out nested in the outer group's ExceptionGroup (test_taskgroup_14)", async () => {
    const loop = newFakeClockLoop();
    const err = await loop.runUntilComplete(async () => {
      try {
        await new TaskGroup().run(async (g1) => {
          g1.createTask(crashAfter(10));
          await new TaskGroup().run(async (g2) => {
            g2.createTask(crashAfter(0.1));
          });
        });
        return null;
      } catch (e) {
        return e;
      }
    });
    expect(err).toBeInstanceOf(ExceptionGroup);
    expect(errorTypes(err)).toEqual(["ExceptionGroup"]);
    expect(errorTypes((err as ExceptionGroup).exceptions[0])).toEqual(["RangeError"]);
    loop.close();
  });

  it("a body that turns its cancellation into another error gets that error in the group (test_taskgroup_18)", async () => {
    const loop = newFakeClockLoop();
    let num = 0;
    const r = loop.createTask(async () => {
      await new TaskGroup().run(async () => {
        try {
          await asyncio.sleep(10);
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
          num += 10;
          throw new MyExc();
        }
      });
    });
    loop.callLater(0.1, () => r.cancel());
    const err = await loop.runUntilComplete(r).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExceptionGroup);
    expect(errorTypes(err)).toEqual(["MyExc"]);
    expect(num).toBe(10);
    loop.close();
  });

  it("the body's clean-up runs to its end before run() returns", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const r = loop.createTask(async () => {
      await new TaskGroup().run(async (tg) => {
        tg.createTask(crashAfter(0.1));
        try {
          await asyncio.sleep(10);
        } finally {
          await asyncio.sleep(0.5);
          rec.add("body cleaned up");
        }
      });
    });
    await loop.runUntilComplete(r).catch(() => rec.add("group raised"));
    expect(rec.events).toEqual(["body cleaned up", "group raised"]);
    loop.close();
  });

  it("after a nested group's child fails, the parent task has no cancellation left (cancelling() is 0)", async () => {
    const loop = newFakeClockLoop();
    const counts = await loop.runUntilComplete(async () => {
      const task = asyncio.currentTask() as asyncio.Task<unknown>;
      try {
        await new TaskGroup().run(async (g1) => {
          g1.createTask(asyncio.sleep(10));
          await new TaskGroup().run(async (g2) => {
            g2.createTask(crashAfter(0.1));
          });
        });
      } catch {
        // the ExceptionGroup is expected
      }
      const afterGroups = task.cancelling();
      await asyncio.sleep(0.1); // and the task is not cancelled at its next await
      return [afterGroups, task.cancelling()];
    });
    expect(counts).toEqual([0, 0]);
    loop.close();
  });

  it("a cancellation from outside is not lost when the group also has errors: the task still ends cancelled", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const r = loop.createTask(async () => {
      try {
        await new TaskGroup().run(async (tg) => {
          tg.createTask(async () => {
            try {
              await asyncio.sleep(10);
            } finally {
              // What the test is about: the task fails while being cancelled.
              // oxlint-disable-next-line no-unsafe-finally
              throw new MyExc();
            }
          });
          await asyncio.sleep(10);
        });
      } catch (e) {
        rec.add([(e as Error).name, asyncio.currentTask()?.cancelling()]);
      }
      return "returned";
    });
    loop.callLater(0.1, () => r.cancel());
    await expect(loop.runUntilComplete(r)).rejects.toThrow(CancelledError);
    expect(rec.events).toEqual([["ExceptionGroup", 1]]);
    loop.close();
  });
});
