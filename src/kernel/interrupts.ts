// How an interrupt reaches a cell that keeps the main thread busy. A signal handler or a
// message handler on the main thread cannot run while a cell spins in `while (true) {}` (nor
// in the synchronous code after an `await`, which vm's breakOnSigint never covered), so the
// request is written into shared memory by another thread, and the cell's own code reads it:
// the compiler puts a check at the top of every loop body and every function body of a cell
// (compiler.ts), which throws KeyboardInterrupt when the flag is up. Who raises the flag:
// - the control thread (zmq-worker.ts), on interrupt_request (message mode) and shutdown_request;
// - the SIGINT thread below (signal mode): a worker parked in `Atomics.wait` inside
//   `vm.runInThisContext(..., { breakOnSigint: true })`, so that Node's SIGINT watchdog wakes it
//   (Node 24 has no other way for a thread to see a signal while the main thread is busy).
// The main thread is told as well, so that a cell waiting in an `await` is cancelled; if a
// check already threw for that request, it was delivered there and the notice is dropped, as
// one Ctrl+C in Python raises one KeyboardInterrupt.
//
// Measured (`npm run bench -- interrupt`): the check costs the tightest loop there is (an empty
// loop over locals) ~2.4 ns an iteration, loops that do any work 0-12%, and nothing to code that
// neither loops nor calls.

import { Worker } from "node:worker_threads";

/** Slots of the shared array. */
const PENDING = 0;
/** The slot the SIGINT thread waits on (sigint-worker.ts); 1 tells it to stop. */
export const SIGINT_THREAD_SLOT = 1;

/** The error an interrupted cell ends with, as Python's KeyboardInterrupt. */
export class KeyboardInterrupt extends Error {
  constructor() {
    super("");
    this.name = "KeyboardInterrupt";
  }
}

/**
 * The interrupt flag every thread of the kernel shares. `flag[0]` is 1 while an interrupt waits
 * to be delivered; compiled cells read it with a plain load (an `Atomics.load` costs an empty
 * loop ~4 ns an iteration; V8 does not hoist the plain load out of a loop, checked on Node 20
 * and 24 by test/kernel/interrupts.test.ts).
 */
export class InterruptFlag {
  readonly buffer: SharedArrayBuffer;
  /** The shared slots: [pending, stop the SIGINT thread]. */
  readonly flag: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) {
    this.buffer = buffer;
    this.flag = new Int32Array(buffer);
  }

  /** Raises the flag (any thread). */
  request(): void {
    Atomics.store(this.flag, PENDING, 1);
  }

  /** Lowers the flag; true if it was up (an interrupt had not been delivered yet). */
  take(): boolean {
    return Atomics.exchange(this.flag, PENDING, 0) === 1;
  }

  /** Whether an interrupt waits to be delivered. */
  get pending(): boolean {
    return Atomics.load(this.flag, PENDING) === 1;
  }

  /**
   * What compiled cells call when they see the flag up: lowers it and throws KeyboardInterrupt
   * in the code that was running. (Lowered first: the throw is the delivery.)
   */
  readonly raise = (): void => {
    if (this.take()) throw new KeyboardInterrupt();
  };
}

/**
 * Watches for SIGINT on a thread of its own, so that a signal-mode interrupt reaches a cell
 * that keeps the main thread busy: the flag goes up at once, then `onSignal` runs on the main
 * thread when it is free. Returns a function that stops the watch.
 *
 * While the watch runs, Node's SIGINT watchdog owns the signal and `process.on("SIGINT")`
 * listeners are not called; nothing else in the kernel may use vm's `breakOnSigint` (two
 * watchdogs on two threads at once end the process on the next SIGINT, measured on Node 20 and 24).
 */
export function watchSigint(interrupts: InterruptFlag, onSignal: () => void): () => void {
  // execArgv: none of the process's (`--input-type`, say, which a worker refuses) is of use here.
  const worker = new Worker(new URL("./sigint-worker.js", import.meta.url), { workerData: interrupts.buffer, execArgv: [] });
  worker.on("message", () => onSignal());
  worker.on("error", (e) => process.stderr.write(`[asyncio-ts kernel] the SIGINT thread failed: ${String(e)}\n`));
  // It must never keep a shutting-down kernel alive.
  worker.unref();
  return () => {
    Atomics.store(interrupts.flag, SIGINT_THREAD_SLOT, 1);
    Atomics.notify(interrupts.flag, SIGINT_THREAD_SLOT);
  };
}
