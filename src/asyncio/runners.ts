// `asyncio.run(main)`: a new loop, the main coroutine as a task on it, then an orderly
// shutdown (remaining tasks cancelled and awaited, the loop closed), as Python's runners.py.
// Called while a loop runs, it throws, as Python's does, unless that loop says it can run
// `main` itself (`HostsRun`: the Jupyter kernel's loop, whose cells are scripts started on a
// loop that is already running).

import { _getRunningLoop, newEventLoop, setEventLoop, type AbstractEventLoop } from "./events.js";
import { allTasks, gather, type CoroutineLike, type Task } from "./tasks.js";

/** Options of `run()`. */
export interface RunOptions {
  /** Turns the loop's debug mode on or off (by default: whether `ASYNCIO_DEBUG` is set). */
  debug?: boolean;
}

/**
 * A running loop that can take `run(main)` itself instead of refusing it: it runs `main` on
 * itself and returns its result, cleaning up after it as `run` would without closing itself.
 * @internal The kernel's loop implements it; no loop of the library does.
 */
export interface HostsRun {
  _hostRun<T>(main: CoroutineLike<T>, options?: RunOptions): Promise<T>;
}

function hostsRun(loop: object): loop is HostsRun {
  return typeof (loop as Partial<HostsRun>)._hostRun === "function";
}

/**
 * Runs `main` (a coroutine, a Promise, or a function returning one) on a new event loop and
 * returns its result, then cancels the tasks still running and closes the loop. Pass the
 * function (`run(main)`) to have it start inside the loop, so it can call `createTask` and
 * `getRunningLoop` before its first `await`.
 * @throws Error "asyncio.run() cannot be called from a running event loop" (unless that loop
 * hosts the run: the kernel's loop runs `main` on itself).
 * @example
 * ```ts
 * await asyncio.run(async () => {
 *   await asyncio.sleep(0.1);
 *   return "done";
 * });
 * ```
 */
export async function run<T>(main: CoroutineLike<T>, options?: RunOptions): Promise<T> {
  const running = _getRunningLoop();
  if (running !== null) {
    if (hostsRun(running)) return await running._hostRun(main, options);
    throw new Error("asyncio.run() cannot be called from a running event loop");
  }
  const loop = newEventLoop();
  setEventLoop(loop);
  if (options?.debug !== undefined) loop.setDebug(options.debug);
  try {
    const task = loop.createTask(main);
    return await loop.runUntilComplete(task);
  } finally {
    try {
      await cancelAllTasks(loop);
    } finally {
      setEventLoop(null);
      loop.close();
    }
  }
}

async function cancelAllTasks(loop: AbstractEventLoop): Promise<void> {
  await _cancelTasks(loop, allTasks(loop));
}

/**
 * @internal Cancels `toCancel` and waits for them; reports those that fail instead of ending
 * (`run`'s shutdown, and a loop that hosts a run for the tasks its `main` left).
 */
export async function _cancelTasks(loop: AbstractEventLoop, toCancel: Set<Task<unknown>>): Promise<void> {
  if (toCancel.size === 0) return;
  for (const task of toCancel) task.cancel();
  await loop.runUntilComplete(gather(...toCancel, { returnExceptions: true }));
  for (const task of toCancel) {
    if (task.cancelled()) continue;
    const exc = task.exception();
    if (exc !== null) loop.callExceptionHandler({ message: "unhandled exception during asyncio.run() shutdown", exception: exc, task });
  }
}
