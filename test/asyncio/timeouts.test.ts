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
    expect(rec.events).toEqual([
      ["body got", "CancelledError", 1],
      ["expired?", true],
    ]);
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
    const outcome = loop.createFuture();
    loop.callSoon(() => {
      Promise.resolve(asyncio.timeout(1).run(() => 1)).then(
        (v) => outcome.setResult(v),
        (e: unknown) => outcome.setResult(e),
      );
    });
    expect(String(await loop.runUntilComplete(outcome))).toBe("Error: Timeout should be used inside a task");
    loop.close();
  });
});

// Translated from CPython's test_timeouts.py: the block waits for its body, whatever the body
// does once it is cancelled, in both coroutine styles.
describe("timeout: the body finishes before the block exits", () => {
  class ZeroDivisionError extends Error {
    override name = "ZeroDivisionError";
  }

  it("an async body's own error raised after the deadline comes out of the block (test_foreign_exception_on_timeout)", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const err = await loop.runUntilComplete(async () => {
      try {
        await asyncio.timeout(0.01).run(async () => {
          try {
            await asyncio.sleep(1);
          } finally {
            await asyncio.sleep(0); // still cleaning up when the deadline's cancellation arrives
            rec.add("body cleaned up");
            // What the test is about: an error thrown while the cancellation unwinds.
            // oxlint-disable-next-line no-unsafe-finally
            throw new ZeroDivisionError("division by zero");
          }
        });
        return null;
      } catch (e) {
        rec.add("block exited");
        return e;
      }
    });
    expect(err).toBeInstanceOf(ZeroDivisionError);
    expect(rec.events).toEqual(["body cleaned up", "block exited"]);
    loop.close();
  });

  it("a generator body's own error raised after the deadline comes out of the block", async () => {
    const loop = newFakeClockLoop();
    function* main(): Generator<unknown, unknown, unknown> {
      try {
        yield* asyncio.timeout(0.01).run(function* () {
          try {
            yield* asyncio.sleep(1);
          } finally {
            yield* asyncio.sleep(0);
            // What the test is about: an error thrown while the cancellation unwinds.
            // oxlint-disable-next-line no-unsafe-finally
            throw new ZeroDivisionError("division by zero");
          }
        });
        return null;
      } catch (e) {
        return e;
      }
    }
    expect(await loop.runUntilComplete(main())).toBeInstanceOf(ZeroDivisionError);
    loop.close();
  });

  it("nested timeouts: the outer deadline passes first, the inner block lets it through, the outer raises TimeoutError (test_nested_timeouts_concurrent)", async () => {
    const loop = newFakeClockLoop();
    const rec = new Recorder();
    const err = await loop.runUntilComplete(async () => {
      try {
        await asyncio.timeout(0.002).run(async () => {
          try {
            await asyncio.timeout(0.1).run(async () => {
              loop.clock.jump(0.01); // crunch numbers past the outer deadline
              await asyncio.sleep(1);
            });
          } catch (e) {
            rec.add(["inner block", (e as Error).name]);
            throw e;
          }
        });
        return null;
      } catch (e) {
        return e;
      }
    });
    expect(err).toBeInstanceOf(TimeoutError);
    expect(rec.events).toEqual([["inner block", "CancelledError"]]);
    loop.close();
  });

  it("nested timeouts: the inner deadline passes first and only the inner block raises TimeoutError", async () => {
    const loop = newFakeClockLoop();
    const r = await loop.runUntilComplete(async () =>
      asyncio.timeout(10).run(async () => {
        try {
          await asyncio.timeout(0.5).run(async () => {
            try {
              await asyncio.sleep(5);
            } finally {
              await asyncio.sleep(0.1); // the body's clean-up awaits
            }
          });
          return "no timeout";
        } catch (e) {
          return `inner ${(e as Error).name} at ${(loop.time() - 1000).toFixed(3)}`;
        }
      }),
    );
    expect(r).toBe("inner TimeoutError at 0.600");
    loop.close();
  });

  it("the task is left with no cancellation requested after the deadline", async () => {
    const loop = newFakeClockLoop();
    const cancelling = await loop.runUntilComplete(async () => {
      await expect(Promise.resolve(asyncio.timeout(0.1).run(() => asyncio.sleep(0.2)))).rejects.toThrow(TimeoutError);
      return asyncio.currentTask()?.cancelling();
    });
    expect(cancelling).toBe(0);
    loop.close();
  });
});
