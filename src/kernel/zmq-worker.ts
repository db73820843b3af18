// The kernel's control thread: it answers heartbeats and owns the control socket, so the
// kernel answers while the main thread runs a cell's synchronous code (issue 11, item 5):
// - kernel_info_request is answered here, from the content the main thread gave at start;
// - interrupt_request raises the interrupt flag (interrupts.ts), which the cell's loops and
//   functions check, is answered here, and the main thread is told (to cancel a cell that waits
//   in an `await`);
// - shutdown_request raises the flag too and goes on to the main thread, which replies and
//   shuts down; if the main thread does not answer within SHUTDOWN_GRACE_MS (a cell stuck
//   where no check reaches), this thread replies and ends the process;
// - anything else goes on to the main thread, whose replies come back to be sent.
// Every message also goes on to the main thread, which publishes busy and idle for it (iopub is
// the main thread's socket) and keeps the one signature history of the session. This thread
// keeps its own as well, so a replayed control message is not answered here either.
// It also watches the process that started the kernel (parent-watch.ts), since a cell that keeps
// the main thread busy would stop a watch there: when that process is gone, this thread does
// what it does for shutdown_request (raise the flag, tell the main thread, end the process
// if the main thread has not within SHUTDOWN_GRACE_MS).

import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { Router } from "zeromq";
import { InterruptFlag } from "./interrupts.js";
import { makeMessage, type Incoming } from "./messages.js";
import { watchParent } from "./parent-watch.js";
import type { KernelIdentity } from "./transport.js";
import { SignatureHistory, Signer, deserialize, serialize } from "./wire.js";

/** What the main thread gives the control thread (zmq-transport.ts). */
export interface ControlThreadData extends KernelIdentity {
  control: string;
  heartbeat: string;
  key: string;
  signatureScheme: string;
  /** The interrupt flag's shared memory. */
  interrupts: SharedArrayBuffer;
  /** The process whose end ends the kernel (JPY_PARENT_PID), or null. */
  parentPid: number | null;
}

/** Messages from the control thread to the main thread. */
export type FromControlThread = { ready: true } | { channel: "control"; frames: Uint8Array[]; answered: boolean } | { interrupt: true } | { parentGone: true };

/** Messages from the main thread to the control thread. */
export type ToControlThread = { frames: Uint8Array[] } | { close: true } | { signature: string };

/** How long ZeroMQ is given to send the control thread's own shutdown_reply before the process ends. */
const REPLY_FLUSH_MS = 200;
/** How long a shutdown request (or the parent's end) waits for the main thread before this thread ends the process. */
const SHUTDOWN_GRACE_MS = 2000;

const data = workerData as ControlThreadData;
const port = parentPort;
if (port === null) throw new Error("zmq-worker.ts runs as a worker thread");

const signer = new Signer(data.key, data.signatureScheme);
const signatures = new SignatureHistory();
const interrupts = new InterruptFlag(data.interrupts);
const control = new Router();
const heartbeat = new Router();
let closing = false;
let chain: Promise<void> = Promise.resolve();
let shutdownWatch: NodeJS.Timeout | null = null;

await Promise.all([control.bind(data.control), heartbeat.bind(data.heartbeat)]);

/** Sends on control after what is queued (zeromq.js refuses overlapping sends). */
function send(frames: readonly Uint8Array[]): Promise<void> {
  chain = chain.then(() => control.send(frames as Uint8Array[])).catch(() => {});
  return chain;
}

function reply(parent: Incoming, msgType: string, content: unknown): Promise<void> {
  return send(serialize(makeMessage(msgType, content, parent, data.session), signer, parent.identities));
}

/** A message from the main thread. */
function fromMain(m: ToControlThread): void {
  // A message the main thread accepted on shell or stdin: its replay on control is refused too.
  if ("signature" in m) {
    signatures.add(m.signature);
    return;
  }
  // The main thread is alive: it will answer the shutdown request itself.
  if (shutdownWatch !== null) {
    clearTimeout(shutdownWatch);
    shutdownWatch = null;
  }
  if ("close" in m) {
    closing = true;
    void chain.then(() => {
      control.linger = 100;
      control.close();
      heartbeat.close();
      process.exit(0);
    });
    return;
  }
  void send(m.frames);
}
port.on("message", fromMain);

port.postMessage({ ready: true } satisfies FromControlThread);

if (data.parentPid !== null) {
  const parentPid = data.parentPid;
  watchParent(parentPid, () => {
    interrupts.request();
    port.postMessage({ parentGone: true } satisfies FromControlThread);
    // Not cleared by the main thread's messages: the main thread ends the process when it is done.
    setTimeout(() => {
      process.stderr.write(
        `[asyncio-ts kernel] the process that started the kernel (pid ${parentPid}) is gone and the main thread did not shut down within ${SHUTDOWN_GRACE_MS} ms: ending the process\n`,
      );
      process.kill(process.pid, "SIGKILL");
    }, SHUTDOWN_GRACE_MS);
  });
}

void (async () => {
  // A ROUTER that sends back every message as it came (ipykernel's heartbeat is the same
  // device): a REP socket's state machine broke for good on one malformed message (a DEALER
  // without the empty envelope frame, bytes over raw TCP), and no ping was answered again.
  try {
    for await (const frames of heartbeat) await heartbeat.send(frames);
  } catch (e) {
    if (!closing) process.stderr.write(`[asyncio-ts kernel] heartbeat socket failed: ${String(e)}\n`);
  }
})();

/** Answers what this thread can answer alone; says whether it did. */
async function answer(msg: Incoming): Promise<boolean> {
  switch (msg.header.msg_type) {
    case "kernel_info_request":
      await reply(msg, "kernel_info_reply", data.kernelInfo);
      return true;
    case "interrupt_request":
      interrupts.request();
      await reply(msg, "interrupt_reply", { status: "ok" });
      port?.postMessage({ interrupt: true } satisfies FromControlThread);
      return true;
    case "shutdown_request": {
      // A cell spinning in a loop stops at its next check; then the main thread shuts down.
      interrupts.request();
      const restart = msg.content["restart"] === true;
      shutdownWatch ??= setTimeout(() => {
        process.stderr.write(`[asyncio-ts kernel] the main thread did not answer shutdown_request within ${SHUTDOWN_GRACE_MS} ms: ending the process\n`);
        // send() resolves once ZeroMQ holds the reply, not once it has left: its I/O thread gets a
        // moment to put it on the wire before the process ends (killed at once, the reply was
        // sometimes lost on a loaded machine, and the client waited in vain).
        void reply(msg, "shutdown_reply", { status: "ok", restart }).finally(() => setTimeout(() => process.kill(process.pid, "SIGKILL"), REPLY_FLUSH_MS));
      }, SHUTDOWN_GRACE_MS);
      return false;
    }
    default:
      return false;
  }
}

try {
  for await (const frames of control) {
    // What the main thread posted before this message came (the signatures it accepted) is read
    // first: its 'message' events and this socket race when both are pending.
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) fromMain(m.message as ToControlThread);
    let answered = false;
    try {
      answered = await answer(deserialize(frames, signer, signatures));
    } catch {
      // Refused here (bad signature, replay, broken frames): the main thread logs why.
    }
    port.postMessage({ channel: "control", frames, answered } satisfies FromControlThread);
  }
} catch (e) {
  if (!closing) process.stderr.write(`[asyncio-ts kernel] control socket failed: ${String(e)}\n`);
}
