// coroutine(), lazy coroutine objects, generator coroutines awaited from async functions, and
// the async context that handles and tasks run in.
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { ContextVar } from "../../src/asyncio/context.js";
import { Recorder, collectGarbage, newLoop } from "../helpers.js";

describe("coroutine()", () => {
  it("makes calls lazy: the body runs only when awaited or run by a Task", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const lazyAsync = asyncio.coroutine(async function lazyAsync() {
      rec.add("async body");
      return 1;
    });
    const lazyGen = asyncio.coroutine(function* lazyGen() {
      rec.add("generator body");
      return 2;
    });
    const a = lazyAsync();
    const g = lazyGen();
    expect(rec.events).toEqual([]);
    expect(String(a)).toBe("<coroutine object lazyAsync()>");
    expect(await loop.runUntilComplete(async () => [await a, await g])).toEqual([1, 2]);
    expect(rec.events).toEqual(["async body", "generator body"]);
    loop.close();
  });

  it("a plain async function is eager, unlike a generator (the lessons point this out)", () => {
    const rec = new Recorder();
    async function eager(): Promise<void> {
      rec.add("eager ran");
    }
    function* lazy(): Generator<unknown, void, unknown> {
      rec.add("lazy ran");
    }
    void eager();
    lazy();
    expect(rec.events).toEqual(["eager ran"]);
  });

  it("recognises coroutine functions and coroutine objects", () => {
    const co = asyncio.coroutine(function* named() {});
    expect(asyncio.isCoroutineFunction(co)).toBe(true);
    expect(asyncio.isCoroutineFunction(async () => {})).toBe(true);
    expect(asyncio.isCoroutineFunction(function* () {})).toBe(true);
    expect(asyncio.isCoroutineFunction(() => 1)).toBe(false);
    expect(co.name).toBe("named");
    expect(asyncio.isCoroutine(co())).toBe(true);
    expect(asyncio.isCoroutine(42)).toBe(false);
  });

  it("wraps a plain function: its result is the coroutine's result", async () => {
    const loop = newLoop();
    const plain = asyncio.coroutine((x: number) => x * 2);
    expect(await loop.runUntilComplete(plain(21))).toBe(42);
    loop.close();
  });

  it("reports 'coroutine ... was never awaited' in debug mode", async () => {
    const loop = newLoop();
    loop.setDebug(true);
    const seen: string[] = [];
    loop.setExceptionHandler((_l, ctx) => seen.push(String(ctx.message)));
    const forgotten = asyncio.coroutine(function* forgotten() {});
    await loop.runUntilComplete(async () => {
      (() => {
        forgotten();
      })();
    });
    await collectGarbage();
    expect(seen.some((m) => m.startsWith("coroutine 'forgotten' was never awaited"))).toBe(true);
    loop.close();
  });
});

describe("Generator coroutines awaited from async functions", () => {
  it("run inline in the awaiting task: currentTask() is the same", async () => {
    const loop = newLoop();
    const r = await loop.runUntilComplete(async () => {
      const outer = asyncio.currentTask();
      // (Returning the task itself would not do: a Promise resolved with a thenable adopts it.)
      const inner = asyncio.coroutine(function* inner() {
        yield* asyncio.sleep(0);
        return asyncio.currentTask() === outer;
      });
      return await inner();
    });
    expect(r).toBe(true);
    loop.close();
  });

  it("a bare yield lets the loop run once; errors are thrown back where it yielded", async () => {
    const loop = newLoop();
    const rec = new Recorder();
    const g = asyncio.coroutine(function* g() {
      rec.add("g1");
      yield;
      rec.add("g2");
      try {
        yield* asyncio.ensureFuture(
          (async () => {
            throw new Error("inner");
          })(),
        );
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    });
    loop.callSoon(() => rec.add("callback"));
    expect(await loop.runUntilComplete(async () => await g())).toBe("inner");
    expect(rec.events).toEqual(["callback", "g1", "g2"]);
    loop.close();
  });
});

describe("The async context", () => {
  it("a callback runs in the context it was scheduled in, as Python's handles do", async () => {
    const loop = newLoop();
    const cell = new ContextVar<string>("cell");
    const seen: unknown[] = [];
    cell.run("cell-1", () => loop.callSoon(() => seen.push(cell.get())));
    cell.run("cell-2", () => loop.callLater(0.001, () => seen.push(cell.get())));
    loop.callSoon(() => seen.push(cell.get()));
    await loop.runUntilComplete(asyncio.sleep(0.01));
    expect(seen).toEqual(["cell-1", undefined, "cell-2"]);
    loop.close();
  });

  it("a task runs in a copy of the context it was made in, across awaits", async () => {
    const loop = newLoop();
    const cell = new ContextVar<string>("cell");
    const task = cell.run("made here", () =>
      loop.createTask(async () => {
        await asyncio.sleep(0);
        await new Promise((r) => setTimeout(r, 1));
        return cell.get();
      }),
    );
    expect(await loop.runUntilComplete(task)).toBe("made here");
    loop.close();
  });

  it("a callback scheduled from a task does not run as part of that task", async () => {
    const loop = newLoop();
    const seen = await loop.runUntilComplete(async () => {
      const f = asyncio.getRunningLoop().createFuture<unknown>();
      asyncio.getRunningLoop().callSoon(() => f.setResult(asyncio.currentTask()));
      return await f;
    });
    expect(seen).toBeNull();
    loop.close();
  });
});
