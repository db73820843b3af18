// asyncio.run: a fresh loop, the result back, the tasks left behind cancelled, the loop closed.
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { CancelledError, type AbstractEventLoop } from "../../src/asyncio/index.js";

describe("asyncio.run", () => {
  it("returns main's result and closes its loop", async () => {
    let loop: AbstractEventLoop | null = null;
    const r = await asyncio.run(async () => {
      loop = asyncio.getRunningLoop();
      return 42;
    });
    expect(r).toBe(42);
    expect(loop!.isClosed()).toBe(true);
  });

  it("throws main's error", async () => {
    await expect(
      asyncio.run(async () => {
        throw new RangeError("main failed");
      }),
    ).rejects.toThrow("main failed");
  });

  it("cancels the tasks still running when main returns, and lets them clean up", async () => {
    const log: string[] = [];
    await asyncio.run(async () => {
      asyncio.createTask(async () => {
        try {
          await asyncio.sleep(100);
        } catch (e) {
          log.push(`background got ${(e as Error).name}`);
          throw e;
        }
      });
      await asyncio.sleep(0);
    });
    expect(log).toEqual(["background got CancelledError"]);
  });

  it("reports a task that fails while being cancelled at shutdown", async () => {
    const messages: string[] = [];
    await asyncio.run(async () => {
      asyncio.getRunningLoop().setExceptionHandler((_l, ctx) => messages.push(String(ctx.message)));
      asyncio.createTask(async () => {
        try {
          await asyncio.sleep(100);
        } catch {
          throw new Error("cleanup failed");
        }
      });
      await asyncio.sleep(0);
    });
    expect(messages).toEqual(["unhandled exception during asyncio.run() shutdown"]);
  });

  it("cannot be called from a running event loop", async () => {
    await asyncio.run(async () => {
      await expect(asyncio.run(async () => 1)).rejects.toThrow("asyncio.run() cannot be called from a running event loop");
    });
  });

  it("takes a generator coroutine too", async () => {
    function* main(): Generator<unknown, string, unknown> {
      yield* asyncio.sleep(0);
      return "gen main";
    }
    expect(await asyncio.run(main())).toBe("gen main");
  });

  it("a cancelled main makes run throw CancelledError", async () => {
    await expect(
      asyncio.run(async () => {
        asyncio.currentTask()!.cancel();
        await asyncio.sleep(1);
      }),
    ).rejects.toThrow(CancelledError);
  });
});
