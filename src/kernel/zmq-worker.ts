// The kernel's second thread: it answers heartbeats and owns the control socket, so both work
// while the main thread runs a cell's synchronous code. An interrupt_request with a valid
// signature raises SIGINT at once (which stops synchronous code, through vm's breakOnSigint);
// every control message then goes on to the main thread, whose replies come back to be sent.

import { parentPort, workerData } from "node:worker_threads";
import { Reply, Router } from "zeromq";
import { Signer, deserialize } from "./wire.js";

interface Data {
  control: string;
  heartbeat: string;
  key: string;
  pid: number;
}

const data = workerData as Data;
const port = parentPort;
if (port === null) throw new Error("zmq-worker.ts runs as a worker thread");

const signer = new Signer(data.key);
const control = new Router();
const heartbeat = new Reply();
let closing = false;
let chain: Promise<void> = Promise.resolve();

await Promise.all([control.bind(data.control), heartbeat.bind(data.heartbeat)]);

port.on("message", (m: { frames?: Uint8Array[]; close?: boolean }) => {
  if (m.close === true) {
    closing = true;
    void chain.then(() => {
      control.linger = 100;
      control.close();
      heartbeat.close();
      process.exit(0);
    });
    return;
  }
  if (m.frames !== undefined) {
    const frames = m.frames;
    chain = chain.then(() => control.send(frames)).catch(() => {});
  }
});

port.postMessage({ ready: true });

void (async () => {
  try {
    for await (const [ping] of heartbeat) await heartbeat.send(ping ?? Buffer.alloc(0));
  } catch {
    // closed
  }
})();

try {
  for await (const frames of control) {
    try {
      const msg = deserialize(frames, signer);
      if (msg.header.msg_type === "interrupt_request") process.kill(data.pid, "SIGINT");
    } catch {
      // Refused here too; the main thread logs why.
    }
    port.postMessage({ channel: "control", frames });
  }
} catch (e) {
  if (!closing) process.stderr.write(`[asyncio-ts kernel] control socket failed: ${String(e)}\n`);
}
