// The SIGINT thread (see interrupts.ts): parked in Atomics.wait under vm's breakOnSigint, so
// Node's SIGINT watchdog ends the wait when the signal comes, whatever the main thread is doing.
// It raises the interrupt flag, tells the main thread, and parks again, until told to stop.

import { parentPort, workerData } from "node:worker_threads";
import vm from "node:vm";
import { InterruptFlag, SIGINT_THREAD_SLOT } from "./interrupts.js";

const interrupts = new InterruptFlag(workerData as SharedArrayBuffer);
const port = parentPort;
if (port === null) throw new Error("sigint-worker.ts runs as a worker thread");

// The script reads the array from this thread's global scope (vm scripts see no module scope).
(globalThis as Record<string, unknown>)["__asyncioTsInterruptSlots"] = interrupts.flag;
const park = new vm.Script(`Atomics.wait(__asyncioTsInterruptSlots, ${SIGINT_THREAD_SLOT}, 0)`, { filename: "asyncio-ts-sigint-watch.js" });

while (Atomics.load(interrupts.flag, SIGINT_THREAD_SLOT) === 0) {
  try {
    park.runInThisContext({ breakOnSigint: true });
  } catch (e) {
    // "Script execution was interrupted by `SIGINT`": that is the signal.
    if ((e as { code?: string }).code !== "ERR_SCRIPT_EXECUTION_INTERRUPTED") throw e;
    interrupts.request();
    port.postMessage("SIGINT");
  }
}
