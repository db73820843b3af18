// `asyncio-ts kernel -f CONNECTION_FILE`: what kernel.json runs. Boots the shared loop, makes
// the TypeScript language on it and the protocol layer around that, binds the sockets where
// the connection file says, and runs until a shutdown request, a signal that ends it, or the
// end of the process that started it (JPY_PARENT_PID).

import { readFileSync } from "node:fs";
import { setEventLoop } from "../asyncio/index.js";
import { readConnectionFile } from "../kernel/connection.js";
import { TypeScript7Checker } from "../kernel/cell-checker.js";
import { CELL_GLOBALS_DECLARATIONS, TypeScriptInterpreter } from "../kernel/interpreter.js";
import { Kernel } from "../kernel/kernel.js";
import { InterruptFlag, watchSigint } from "../kernel/interrupts.js";
import { KernelEventLoop } from "../kernel/kernel-loop.js";
import { parentPidFromEnv } from "../kernel/parent-watch.js";
import { safeText } from "../kernel/safe-text.js";
import { Signer } from "../kernel/wire.js";
import { ZmqTransport } from "../kernel/zmq-transport.js";

/** Runs the kernel until it is shut down; resolves with the exit code. */
export async function runKernel(connectionFile: string): Promise<number> {
  const info = readConnectionFile(connectionFile);
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  const loop = new KernelEventLoop();
  setEventLoop(loop);
  void loop.boot();
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const log = (line: string): void => void process.stderr.write(`[asyncio-ts kernel] ${line}\n`);
  // Cells are type-checked by TypeScript 7 (on a worker thread, started after the first
  // kernel_info_reply). ASYNCIO_TS_CHECK=0 in the kernel's environment starts the session with
  // checking off (a cell can turn it on again: `kernel.typeCheck = true`); completion and
  // inspection still come from types.
  const typeCheck = !/^(0|false|no|off)$/i.test(process.env["ASYNCIO_TS_CHECK"] ?? "");
  const checker = new TypeScript7Checker({ cwd: process.cwd(), globals: CELL_GLOBALS_DECLARATIONS, log });
  // One flag for every way an interrupt comes (interrupts.ts): the control thread raises it on
  // interrupt_request, the SIGINT thread on the signal; then this thread is told, and cancels
  // a cell waiting in an `await` unless the cell's own code has already thrown for it.
  const interrupts = new InterruptFlag();
  const onInterrupt = (): void => {
    if (interrupts.take()) kernel.interrupt();
  };
  const language = new TypeScriptInterpreter({ loop, cwd: process.cwd(), checker, typeCheck, log, interrupts });
  // A front end that dies without a shutdown request (a closed terminal running `jupyter
  // console`) leaves no one to end the kernel: as ipykernel, the kernel ends with the process
  // that started it. Watched on the control thread (parent-watch.ts), which also interrupts a
  // busy cell and ends the process if this thread cannot close the kernel in time.
  const parentPid = parentPidFromEnv();
  const onParentGone = (): void => {
    log(`the process that started the kernel (pid ${parentPid}) is gone: shutting down`);
    void kernel
      .close()
      .catch((e: unknown) => log(`closing the kernel failed: ${safeText(e)}`))
      .finally(() => finish(1));
  };
  const kernel: Kernel = new Kernel({
    transport: new ZmqTransport(info, { interrupts, onInterrupt, parentPid, onParentGone }),
    signer: new Signer(info.key, info.signature_scheme),
    language,
    version: pkg.version,
    onShutdown: () => finish(0),
  });
  // Signal-mode interrupts arrive as SIGINT, on the SIGINT thread; a signal that slips past it
  // (while that thread starts, or between two signals) comes here, and never ends the kernel.
  process.on("SIGINT", () => {
    interrupts.request();
    onInterrupt();
  });
  const stopSigintWatch = watchSigint(interrupts, onInterrupt);
  // No SIGTERM handler: as with ipykernel, SIGTERM ends the process at once, even while a cell
  // keeps this thread busy (a handler here would wait for the cell).
  // A user's mistake never takes the kernel down: what nobody caught is shown in a cell.
  // Nothing may escape these handlers: an exception thrown there ends the process (and, thrown
  // while zeromq's native code has called into JavaScript, aborts it with Napi::Error).
  const reportUncaught = (err: unknown, kind: "uncaughtException" | "unhandledRejection"): void => {
    try {
      language.reportUncaught(err, kind);
    } catch (e) {
      log(`${kind}: ${safeText(err)} (and showing it failed: ${safeText(e)})`);
    }
  };
  process.on("uncaughtException", (err) => reportUncaught(err, "uncaughtException"));
  process.on("unhandledRejection", (reason) => reportUncaught(reason, "unhandledRejection"));
  // ZeroMQ's sockets do not hold Node's event loop open; this does, until shutdown.
  const keepAlive = setInterval(() => {}, 1 << 30);
  await kernel.start();
  try {
    return await finished;
  } finally {
    stopSigintWatch();
    clearInterval(keepAlive);
  }
}
