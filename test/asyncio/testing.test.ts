// asyncio-ts/testing: MockClock, the virtual clock a loop runs on through its documented clock
// hook (LoopClock): time stands still while the loop works and jumps to the next timer when it
// has nothing else to do, as Trio's MockClock with autojump.
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { MockClock } from "../../src/asyncio/testing.js";
import { Recorder, trackedLoops } from "../helpers.js";

/** A loop on `clock`, checked after the test as every test loop is. */
function loopOn(clock: MockClock): asyncio.EventLoop {
  const loop = new asyncio.EventLoop({ clock });
  trackedLoops.push(loop);
  return loop;
}

describe("MockClock", () => {
  it("starts at 0, or at the time given", () => {
    expect(new MockClock().time()).toBe(0);
    expect(new MockClock({ start: 1000 }).time()).toBe(1000);
  });

  it("is the loop's clock: loop.time() reads it", () => {
    const clock = new MockClock({ start: 5 });
    const loop = loopOn(clock);
    expect(loop.time()).toBe(5);
    clock.jump(2.5);
    expect(loop.time()).toBe(7.5);
    loop.close();
  });

  it("runs a timer an hour away at once, at exactly its time", async () => {
    const clock = new MockClock();
    const loop = loopOn(clock);
    let firedAt = -1;
    loop.callLater(3600, () => {
      firedAt = loop.time();
      loop.stop();
    });
    const t0 = performance.now();
    await loop.runForever();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(firedAt).toBe(3600);
    loop.close();
  });

  it("runs timers in deadline order, each at its own time; equal deadlines in the order made", async () => {
    const loop = loopOn(new MockClock());
    const rec = new Recorder();
    for (const [delay, name] of [
      [3, "c"],
      [1, "a"],
      [2, "b1"],
      [2, "b2"],
    ] as const)
      loop.callLater(delay, () => rec.add([name, loop.time()]));
    loop.callLater(4, () => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual([
      ["a", 1],
      ["b1", 2],
      ["b2", 2],
      ["c", 3],
    ]);
    loop.close();
  });

  it("stands still while the loop has work: callbacks and task steps take no virtual time", async () => {
    const loop = loopOn(new MockClock());
    const times: number[] = [];
    await loop.runUntilComplete(async () => {
      for (let i = 0; i < 5; i++) {
        await asyncio.sleep(0);
        times.push(loop.time());
      }
      await asyncio.sleep(0.5);
      times.push(loop.time());
    });
    expect(times).toEqual([0, 0, 0, 0, 0, 0.5]);
    loop.close();
  });

  it("jump() moves time by hand: a timer it passes runs at the loop's next look", async () => {
    const clock = new MockClock();
    const loop = loopOn(clock);
    const rec = new Recorder();
    loop.callLater(10, () => rec.add(["timer", loop.time()]));
    loop.callSoon(() => {
      clock.jump(20); // a callback that "takes" 20 virtual seconds
      rec.add(["callback", loop.time()]);
    });
    loop.callLater(30, () => loop.stop());
    await loop.runForever();
    expect(rec.events).toEqual([
      ["callback", 20],
      ["timer", 20],
    ]);
    loop.close();
  });

  it("refuses to go backwards", () => {
    expect(() => new MockClock().jump(-1)).toThrow(RangeError);
  });

  it("asyncio.timeout() and waitFor() expire on virtual time", async () => {
    const loop = loopOn(new MockClock());
    const result = await loop.runUntilComplete(async () => {
      try {
        await asyncio.waitFor(asyncio.sleep(100), 30);
        return "finished";
      } catch (e) {
        return e instanceof asyncio.TimeoutError ? `timed out at ${loop.time()}` : String(e);
      }
    });
    expect(result).toBe("timed out at 30");
    loop.close();
  });
});

describe("A loop without a clock", () => {
  it("keeps real time (performance.now(), in seconds)", () => {
    const loop = new asyncio.EventLoop();
    trackedLoops.push(loop);
    const t = loop.time();
    expect(Math.abs(t - performance.now() / 1000)).toBeLessThan(0.05);
    loop.close();
  });
});
