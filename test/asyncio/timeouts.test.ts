// asyncio.timeout: a deadline for a block of code in the current task.
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { CancelledError, TimeoutError } from "../../src/asyncio/index.js";
import { Recorder, newFakeClockLoop } from "../helpers.js";

describe("timeout", () => {
  it("passes the body's result through when it finishes in time", async () => {
    const loop = newFakeClockLoop();
    expect(await loop.runUntilComplete(async () => await asyncio.timeout(2).run(() => asyncio.sleep(1, "in time")))).toBe("in time");
    loop.close();
  });

  it("cancels the body where it waits and throws TimeoutError at the deadline", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const t0 = loop.time();
    const outcome = await loop.runUntilComplete(async () => {
      try {
        await asyncio.timeout(1).run(async (tm) => {
          try {
            await asyncio.sleep(10);
          } catch (e) {
            rec.add(["body got", (e as Error).name, loop.time() - t0]);
            throw e;
          } finally {
            rec.add(["expired?", tm.expired()]);
          }
        });
        return "no timeout";
      } catch (e) {
        return (e as Error).name;
      }
    });
    expect(outcome).toBe("TimeoutError");
    expect(rec.events).toEqual([["body got", "CancelledError", 1], ["expired?", true]]);
    loop.close();
  });

  it("works in a generator coroutine with a generator body", async () => {
    const loop = newFakeClockLoop();
    function* main(): Generator<unknown, string, unknown> {
      try {
        yield* asyncio.timeout(0.5).run(function* () {
          yield* asyncio.sleep(5);
        });
        return "no timeout";
      } catch (e) {
        return e instanceof TimeoutError ? "timed out" : String(e);
      }
    }
    expect(await loop.runUntilComplete(main())).toBe("timed out");
    loop.close();
  });

  it("reschedule() moves the deadline; null removes it", async () => {
    const loop = newFakeClockLoop();
    const r = await loop.runUntilComplete(async () =>
      asyncio.timeout(1).run(async (tm) => {
        tm.reschedule(null);
        expect(tm.when()).toBeNull();
        await asyncio.sleep(2);
        tm.reschedule(loop.time() + 10);
        await asyncio.sleep(1);
        return "survived";
      }),
    );
    expect(r).toBe("survived");
    loop.close();
  });

  it("a cancellation from elsewhere passes through as CancelledError", async () => {
    const loop = newFakeClockLoop();
    const task = loop.createTask(async () => asyncio.timeout(10).run(() => asyncio.sleep(5)));
    loop.callLater(1, () => task.cancel());
    await expect(loop.runUntilComplete(task)).rejects.toThrow(CancelledError);
    loop.close();
  });

  it("must be used inside a task", async () => {
    const loop = newFakeClockLoop();
    const orphan = asyncio.timeout(1).run(() => 1);
    await expect(Promise.resolve(orphan)).rejects.toThrow("Timeout should be used inside a task");
    loop.close();
  });
});
