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
