// The kernel's sockets over ZeroMQ (the modules that import `zeromq`: this one and its
// worker). Shell and stdin are ROUTER sockets and iopub a PUB socket on the main thread.
// Heartbeat and control live on a worker thread (zmq-worker.ts), so the kernel still answers
// heartbeats, kernel_info and interrupts while a cell keeps the main thread busy.

import { Worker } from "node:worker_threads";
import { Publisher, Router } from "zeromq";
import { endpoint, type ConnectionInfo } from "./connection.js";
import { InterruptFlag } from "./interrupts.js";
import type { Channel, KernelIdentity, KernelTransport, OnFrames } from "./transport.js";
import type { ControlThreadData, FromControlThread, ToControlThread } from "./zmq-worker.js";

/** Options of the ZeroMQ transport. */
export interface ZmqTransportOptions {
  /** The flag the control thread raises on interrupt_request (and shutdown_request). */
  interrupts?: InterruptFlag;
  /** Called on the main thread after the control thread has raised the flag for an interrupt_request. */
  onInterrupt?: () => void;
}

/** ZeroMQ sockets bound where the connection file says. */
export class ZmqTransport implements KernelTransport {
  private readonly _shell = new Router();
  private readonly _stdin = new Router();
  private readonly _iopub = new Publisher();
  private _worker: Worker | null = null;
  private readonly _chains = new Map<Channel, Promise<void>>();
  private _closed = false;

  constructor(
    private readonly _info: ConnectionInfo,
    private readonly _options: ZmqTransportOptions = {},
  ) {}

  async start(onFrames: OnFrames, kernel: KernelIdentity): Promise<void> {
    const info = this._info;
    await Promise.all([
      this._shell.bind(endpoint(info, info.shell_port)),
      this._stdin.bind(endpoint(info, info.stdin_port)),
      this._iopub.bind(endpoint(info, info.iopub_port)),
    ]);
    const workerData: ControlThreadData = {
      control: endpoint(info, info.control_port),
      heartbeat: endpoint(info, info.hb_port),
      key: info.key,
      signatureScheme: info.signature_scheme,
      interrupts: (this._options.interrupts ?? new InterruptFlag()).buffer,
      ...kernel,
    };
    this._worker = new Worker(new URL("./zmq-worker.js", import.meta.url), { workerData });
    this._worker.on("message", (m: FromControlThread) => {
      // Structured clone turns Buffers into Uint8Arrays.
      if ("frames" in m) onFrames("control", m.frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)), m.answered);
      else if ("interrupt" in m) this._options.onInterrupt?.();
    });
    // The worker must not keep a shutting-down kernel alive; the sockets on this thread do.
    this._worker.unref();
    await new Promise<void>((resolve, reject) => {
      const w = this._worker as Worker;
      w.once("error", reject);
      w.once("message", () => {
        w.off("error", reject);
        resolve();
      });
    });
    void this._receive("shell", this._shell, onFrames);
    void this._receive("stdin", this._stdin, onFrames);
  }

  private async _receive(channel: Channel, sock: Router, onFrames: OnFrames): Promise<void> {
    try {
      for await (const frames of sock) onFrames(channel, frames);
    } catch (e) {
      if (!this._closed) process.stderr.write(`[asyncio-ts kernel] ${channel} socket failed: ${String(e)}\n`);
    }
  }

  send(channel: Channel, frames: Buffer[]): Promise<void> {
    // zeromq.js refuses a send while the previous one on the socket is still in progress: chain them.
    const prev = this._chains.get(channel) ?? Promise.resolve();
    const next = prev.then(() => this._sendNow(channel, frames)).catch((e: unknown) => {
      if (!this._closed) process.stderr.write(`[asyncio-ts kernel] send on ${channel} failed: ${String(e)}\n`);
    });
    this._chains.set(channel, next);
    return next;
  }

  private async _sendNow(channel: Channel, frames: Buffer[]): Promise<void> {
    if (this._closed) return;
    switch (channel) {
      case "shell":
        return this._shell.send(frames);
      case "stdin":
        return this._stdin.send(frames);
      case "iopub":
        return this._iopub.send(frames);
      case "control":
        this._worker?.postMessage({ frames } satisfies ToControlThread);
        return;
    }
  }

  async close(): Promise<void> {
    if (this._closed) return;
    // Let what was queued go out first (the shutdown reply, the last idle).
    await Promise.all(this._chains.values());
    this._closed = true;
    const worker = this._worker;
    this._worker = null;
    if (worker !== null) {
      worker.postMessage({ close: true } satisfies ToControlThread);
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => void worker.terminate().then(() => resolve()), 500);
        worker.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    for (const s of [this._shell, this._stdin, this._iopub]) {
      s.linger = 100;
      s.close();
    }
  }
}
