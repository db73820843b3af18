// `asyncio.run(main)`: a new loop, the main coroutine as a task on it, then an orderly
// shutdown (remaining tasks cancelled and awaited, the loop closed), as Python's runners.py.

import type { BaseEventLoop } from "./base-events.js";
import { newEventLoop } from "./node-events.js";
import { _getRunningLoop, setEventLoop } from "./events.js";
import { allTasks, gather, type CoroutineLike } from "./tasks.js";

/** Options of `run()`. */
export interface RunOptions {
  /** Turns the loop's debug mode on or off (by default: whether `ASYNCIO_DEBUG` is set). */
  debug?: boolean;
}

/**
 * Runs `main` (a coroutine, a Promise, or a function returning one) on a new event loop and
 * returns its result, then cancels the tasks still running and closes the loop. Pass the
 * function (`run(main)`) to have it start inside the loop, so it can call `createTask` and
 * `getRunningLoop` before its first `await`.
 * @throws Error "asyncio.run() cannot be called from a running event loop".
 * @example
 * ```ts
 * await asyncio.run(async () => {
 *   await asyncio.sleep(0.1);
 *   return "done";
 * });
 * ```
 */
export async function run<T>(main: CoroutineLike<T>, options?: RunOptions): Promise<T> {
  if (_getRunningLoop() !== null) throw new Error("asyncio.run() cannot be called from a running event loop");
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

async function cancelAllTasks(loop: BaseEventLoop): Promise<void> {
  const toCancel = allTasks(loop);
  if (toCancel.size === 0) return;
  for (const task of toCancel) task.cancel();
  await loop.runUntilComplete(gather(...toCancel, { returnExceptions: true }));
  for (const task of toCancel) {
    if (task.cancelled()) continue;
    const exc = task.exception();
    if (exc !== null) loop.callExceptionHandler({ message: "unhandled exception during asyncio.run() shutdown", exception: exc, task });
  }
}
