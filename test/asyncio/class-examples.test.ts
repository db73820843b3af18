// The class's own examples ("Using asyncio in Python 3.4"), translated line by line by
// API.md's rule, with the answers to the class's questions.
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { InvalidStateError } from "../../src/asyncio/index.js";
import { Recorder, newLoop } from "../helpers.js";

describe('Back to basics: "yield"', () => {
  it("yield_example runs up to each yield, one next() at a time", () => {
    const printed: string[] = [];
    const print = (s: string): number => printed.push(s);
    function* yieldExample(): Generator<undefined, void, unknown> {
      print("start");
      yield;
      print("continue");
      yield;
      print("stop");
    }
    const generator = yieldExample();
    expect(printed).toEqual([]); // calling a generator function runs nothing yet
    generator.next();
    expect(printed).toEqual(["start"]);
    generator.next();
    expect(printed).toEqual(["start", "continue"]);
    expect(generator.next().done).toBe(true);
    expect(printed).toEqual(["start", "continue", "stop"]);
  });

  it("return_yield_example yields the squares, and a generator is iterated only once", () => {
    function* returnYieldExample(): Generator<number, void, unknown> {
      for (let i = 0; i < 5; i++) yield i * i;
    }
    const gen = returnYieldExample();
    expect([...gen]).toEqual([0, 1, 4, 9, 16]);
    expect([...gen]).toEqual([]);
  });
});

describe('"yield from" is yield*', () => {
  it("passes sent values, thrown errors and the return value through, as PEP 380's expansion says", () => {
    const log: unknown[] = [];
    function* inner(): Generator<string, string, unknown> {
      const got = yield "inner-1";
      log.push(["inner got", got]);
      try {
        yield "inner-2";
      } catch (e) {
        log.push(["inner caught", (e as Error).message]);
      }
      return "inner result";
    }
    function* outer(): Generator<string, string, unknown> {
      const r = yield* inner();
      log.push(["outer got the return value", r]);
      return "outer result";
    }
    const g = outer();
    expect(g.next().value).toBe("inner-1");
    expect(g.next("sent").value).toBe("inner-2");
    const end = g.throw(new Error("thrown"));
    expect(end).toEqual({ done: true, value: "outer result" });
    expect(log).toEqual([
      ["inner got", "sent"],
      ["inner caught", "thrown"],
      ["outer got the return value", "inner result"],
    ]);
  });

  it("close() reaches the inner generator's finally (GeneratorExit)", () => {
    const log: string[] = [];
    function* inner(): Generator<number, void, unknown> {
      try {
        yield 1;
      } finally {
        log.push("inner closed");
      }
    }
    function* outer(): Generator<number, void, unknown> {
      yield* inner();
    }
    const g = outer();
    g.next();
    g.return();
    expect(log).toEqual(["inner closed"]);
  });
});

describe("Future exercise (the REPL session)", () => {
  it("done, result, setResult, cancelled, cancel, as the class types them", () => {
    const future = new asyncio.Future<string>();
    expect(future.done()).toBe(false);
    expect(() => future.result()).toThrow(new InvalidStateError("Result is not ready."));
    expect(future.cancelled()).toBe(false);
    future.setResult("Your Name");
    expect(future.done()).toBe(true);
    expect(future.result()).toBe("Your Name");
    expect(future.cancel()).toBe(false);
    expect(String(future)).toBe("<Future finished result='Your Name'>");

    const other = new asyncio.Future();
    expect(other.cancel()).toBe(true);
    expect(other.cancelled()).toBe(true);
    expect(String(other)).toBe("<Future cancelled>");
  });
});

describe("task_demo.py", () => {
  it("runs my_coro when the loop runs the task", async () => {
    const printed = new Recorder();
    const myCoro = asyncio.coroutine(function* myCoro() {
      printed.add("Hello, YOUR NAME");
    });
    const task = new asyncio.Task(myCoro());
    const loop = newLoop();
    await loop.runUntilComplete(task);
    expect(printed.events).toEqual(["Hello, YOUR NAME"]);
    loop.close();
  });

  it("What happens if you comment out the last line? Nothing runs.", async () => {
    const printed = new Recorder();
    const myCoro = asyncio.coroutine(function* myCoro() {
      printed.add("Hello, YOUR NAME");
    });
    const task = new asyncio.Task(myCoro());
    const loop = newLoop();
    // loop.runUntilComplete(task)  -- commented out
    await new Promise((r) => setTimeout(r, 30));
    expect(printed.events).toEqual([]);
    expect(task.done()).toBe(false);
    expect(String(task)).toMatch(/^<Task pending name='Task-\d+' coro=<myCoro\(\) running>>$/);
    // (the test's own cleanup: run it so nothing is left pending)
    await loop.runUntilComplete(task);
    loop.close();
  });

  it("works the same with a plain generator function and with an async function", async () => {
    const printed = new Recorder();
    function* genCoro(): Generator<unknown, void, unknown> {
      printed.add("generator");
    }
    async function asyncCoro(): Promise<void> {
      printed.add("async");
    }
    const loop = newLoop();
    await loop.runUntilComplete(new asyncio.Task(genCoro()));
    await loop.runUntilComplete(new asyncio.Task(asyncCoro));
    expect(printed.events).toEqual(["generator", "async"]);
    loop.close();
  });
});

describe("run_task.py", () => {
  it("the done callback announces the task when it finishes", async () => {
    const printed = new Recorder();
    const loop = newLoop();
    const task = new asyncio.Task(asyncio.sleep(0.05));
    const announceTaskDone = (t: asyncio.Task<unknown>): void => printed.add(`Task is done: ${t.getName()}`);
    task.addDoneCallback(announceTaskDone);
    const t0 = loop.time();
    await asyncio.getEventLoop().runUntilComplete(task);
    expect(loop.time() - t0).toBeGreaterThanOrEqual(0.05);
    expect(printed.events).toEqual([`Task is done: ${task.getName()}`]);
    loop.close();
  });

  it("What if you omit the last line? Neither the sleep nor the callback happens.", async () => {
    const printed = new Recorder();
    const loop = newLoop();
    const task = new asyncio.Task(asyncio.sleep(0.01));
    task.addDoneCallback(() => printed.add("done"));
    await new Promise((r) => setTimeout(r, 40));
    expect(printed.events).toEqual([]);
    task.cancel();
    await loop.runUntilComplete(task).catch(() => {});
    loop.close();
  });

  it("What if you duplicate the last line? The second run returns at once; the callback ran once.", async () => {
    const printed = new Recorder();
    const loop = newLoop();
    const task = new asyncio.Task(asyncio.sleep(0.05, "slept"));
    task.addDoneCallback(() => printed.add("Task is done"));
    expect(await asyncio.getEventLoop().runUntilComplete(task)).toBe("slept");
    const t0 = loop.time();
    expect(await asyncio.getEventLoop().runUntilComplete(task)).toBe("slept");
    expect(loop.time() - t0).toBeLessThan(0.04);
    expect(printed.events).toEqual(["Task is done"]);
    loop.close();
  });
});

describe("asyncio.run with a plain async main", () => {
  it("asyncio.run(main()) works: sleep made before the loop runs belongs to it", async () => {
    async function main(): Promise<string> {
      await asyncio.sleep(0.01);
      return "main done";
    }
    expect(await asyncio.run(main())).toBe("main done");
  });

  it("before the first await of main() there is no running loop; the function form has one", async () => {
    let error = "";
    async function main(): Promise<void> {
      try {
        asyncio.getRunningLoop();
      } catch (e) {
        error = (e as Error).message;
      }
      await asyncio.sleep(0);
    }
    await asyncio.run(main());
    expect(error).toBe("no running event loop");
    const loopInside = await asyncio.run(async () => asyncio.getRunningLoop().isRunning());
    expect(loopInside).toBe(true);
  });

  it("loop.runUntilComplete(main()) works too", async () => {
    const loop = newLoop();
    async function main(): Promise<number> {
      await asyncio.sleep(0.01);
      return 3;
    }
    expect(await loop.runUntilComplete(main())).toBe(3);
    loop.close();
  });
});
