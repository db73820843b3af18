// A short tour of the library for `asyncio-ts-kernel demo`:
// the class's Future exercise, task_demo, run_task, and the two coroutine styles side by side.

import * as asyncio from "../asyncio/index.js";

/** Runs the demo, writing each line with `print`. */
export async function runDemo(print: (line: string) => void): Promise<void> {
  print("== The Future exercise ==");
  const future = new asyncio.Future<string>();
  print(`future.done()              -> ${future.done()}`);
  try {
    future.result();
  } catch (e) {
    print(`future.result()            -> ${(e as Error).name}: ${(e as Error).message}`);
  }
  future.setResult("Your Name");
  print(`future.setResult("Your Name"); future.result() -> ${JSON.stringify(future.result())}`);
  print(`String(future)             -> ${String(future)}`);

  print("\n== task_demo: a 3.4-style coroutine run by a Task ==");
  const myCoro = asyncio.coroutine(function* myCoro() {
    print("Hello, YOUR NAME");
  });
  const task = new asyncio.Task(myCoro());
  print(`before the loop runs: ${String(task)}`);
  const loop = asyncio.getEventLoop();
  await loop.runUntilComplete(task);
  print(`after runUntilComplete: ${String(task)}`);

  print("\n== run_task: a done callback ==");
  const sleeper = new asyncio.Task(asyncio.sleep(0.2));
  sleeper.addDoneCallback((t) => print(`Task is done: ${t.getName()}`));
  await loop.runUntilComplete(sleeper);
  loop.close();
  asyncio.setEventLoop(null);

  print("\n== Both coroutine styles, one loop ==");
  function* countdown(name: string, n: number): Generator<unknown, string, unknown> {
    for (let i = n; i > 0; i--) {
      print(`${name}: ${i}`);
      yield* asyncio.sleep(0.05);
    }
    return `${name} done`;
  }
  async function countup(name: string, n: number): Promise<string> {
    for (let i = 1; i <= n; i++) {
      print(`${name}: ${i}`);
      await asyncio.sleep(0.05);
    }
    return `${name} done`;
  }
  const results = await asyncio.run(async () => asyncio.gather(countdown("generator", 3), countup("async", 3)));
  print(`gather -> ${JSON.stringify(results)}`);
  print("(The async function printed first: calling it started it at once, up to its first await,");
  print(" while the generator waited for the Task that gather made for it. JavaScript's rule, not Python's.)");
}
