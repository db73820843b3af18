// The kernel's event loop: one loop, started at boot, running until shutdown. Cells use it as
// the class's scripts use theirs: `loop.runUntilComplete(task)` waits for the task (the loop
// is already running, so it just waits), `loop.runForever()` waits until `loop.stop()`, and
// `loop.close()` leaves the shared loop open.

import { EventLoop, ensureFuture, type Future } from "../asyncio/index.js";
import type { CoroutineLike } from "../asyncio/tasks.js";

/** The loop every cell shares. */
export class KernelEventLoop extends EventLoop {
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
