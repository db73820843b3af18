// The kernel's event loop: one loop, started at boot, running until shutdown. Cells use it as
// the class's scripts use theirs: `loop.runUntilComplete(task)` waits for the task (the loop
// is already running, so it just waits), `loop.runForever()` waits until `loop.stop()`,
// `loop.close()` leaves the shared loop open, and `asyncio.run(main)` runs `main` on this loop.

import { _cancelTasks, type HostsRun } from "../asyncio/host.js";
import { ContextVar, EventLoop, allTasks, ensureFuture, type CoroutineLike, type Future, type RunOptions } from "../asyncio/index.js";

/** Set (to a token of its own) for the tasks of one `asyncio.run(main)` in a cell: `main` and what it starts. */
const hostedRun = new ContextVar<object>("asyncio-ts.run");

/** The loop every cell shares. */
export class KernelEventLoop extends EventLoop implements HostsRun {
  private _nestedRuns: (() => void)[] = [];
  private _booted = false;
  private _run: Promise<void> | null = null;
  /** Called when a cell asks to close the loop (the kernel says why it stays open). */
  onCloseRequest: (() => void) | null = null;

  /** Starts the loop for the kernel's lifetime. */
  boot(): Promise<void> {
    this._booted = true;
    this._run = super.runForever();
    return this._run;
  }

  /** Inside the kernel: waits for `future` on the running loop and returns its result. */
  override async runUntilComplete<T>(future: CoroutineLike<T> | Future<T> | PromiseLike<T>): Promise<T> {
    if (!this._booted || !this.isRunning()) return super.runUntilComplete(future);
    const fut = ensureFuture(future as CoroutineLike<T>, { loop: this });
    return await fut;
  }

  /**
   * Inside the kernel, `asyncio.run(main)` (which refuses to run on a running loop anywhere
   * else, as Python's does): `main` runs as a task on this loop in the caller's context (the
   * cell's: its output goes there, an interrupt cancels it), and its result comes back. Then,
   * as `run` does, the tasks `main` started and left running are cancelled and awaited; the
   * other cells' tasks go on and the loop stays open. `debug` holds while `main` runs.
   * (`run(main())` with an async function: what it starts before its first `await` ran in the
   * cell's context already, so it is not cancelled at the end. `run(main)` has no such gap.)
   */
  async _hostRun<T>(main: CoroutineLike<T>, options?: RunOptions): Promise<T> {
    if (!this._booted) throw new Error("asyncio.run() cannot be called from a running event loop");
    const token = {};
    const debug = this.getDebug();
    if (options?.debug !== undefined) this.setDebug(options.debug);
    try {
      return await hostedRun.run(token, () => this.createTask(main));
    } finally {
      try {
        const left = [...allTasks(this)].filter((t) => t.getContext()?.get(hostedRun as ContextVar<unknown>) === token);
        await _cancelTasks(this, new Set(left));
      } finally {
        if (options?.debug !== undefined) this.setDebug(debug);
      }
    }
  }

  /** Inside the kernel: waits until a cell calls `stop()`; the shared loop goes on. */
  override runForever(): Promise<void> {
    if (!this._booted) return super.runForever();
    return new Promise<void>((resolve) => this._nestedRuns.push(resolve));
  }

  /** Inside the kernel: ends the cells' `runForever()` waits; the shared loop goes on. */
  override stop(): void {
    if (!this._booted) {
      super.stop();
      return;
    }
    const runs = this._nestedRuns.splice(0);
    // Python's stop() lets the current iteration finish first; so do the waiters here.
    if (runs.length > 0) this.callSoon(() => runs.forEach((r) => r()));
  }

  /** Inside the kernel: the shared loop stays open. */
  override close(): void {
    if (!this._booted) {
      super.close();
      return;
    }
    this.onCloseRequest?.();
  }

  /** Stops and closes the loop for good, at kernel shutdown. */
  async shutdown(): Promise<void> {
    this._booted = false;
    for (const r of this._nestedRuns.splice(0)) r();
    if (this.isRunning()) {
      super.stop();
      await this._run;
    }
    super.close();
  }
}
