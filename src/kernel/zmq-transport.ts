// The kernel's sockets over ZeroMQ (the modules that import `zeromq`: this one and its
// worker). Shell and stdin are ROUTER sockets and iopub an XPUB socket on the main thread:
// each subscription it hears of is greeted with an `iopub_welcome` message (JEP 65, as
// ipykernel 7 and xeus do), so a client knows when its subscription is live.
// Heartbeat and control live on a worker thread (zmq-worker.ts), so the kernel still answers
// heartbeats, kernel_info and interrupts while a cell keeps the main thread busy.

import { Worker } from "node:worker_threads";
import { Router, XPublisher } from "zeromq";
import { endpoint, type ConnectionInfo } from "./connection.js";
import { InterruptFlag } from "./interrupts.js";
import { makeMessage } from "./messages.js";
import type { Channel, KernelIdentity, KernelTransport, OnFrames } from "./transport.js";
import { Signer, serialize } from "./wire.js";
import type { ControlThreadData, FromControlThread, ToControlThread } from "./zmq-worker.js";

/** Options of the ZeroMQ transport. */
export interface ZmqTransportOptions {
  /** The flag the control thread raises on interrupt_request (and shutdown_request). */
  interrupts?: InterruptFlag;
  /** Called on the main thread after the control thread has raised the flag for an interrupt_request. */
  onInterrupt?: () => void;
  /** The process whose end ends the kernel (JPY_PARENT_PID), watched on the control thread. */
  parentPid?: number | null;
  /** Called on the main thread once that process is gone (the flag is up); the process must end within 2 s. */
  onParentGone?: () => void;
}

/** ZeroMQ sockets bound where the connection file says. */
export class ZmqTransport implements KernelTransport {
  private readonly _shell = new Router();
  private readonly _stdin = new Router();
  private readonly _iopub = new XPublisher();
  private _worker: Worker | null = null;
  private readonly _chains = new Map<Channel, Promise<void>>();
  private _closed = false;

  constructor(
    private readonly _info: ConnectionInfo,
    private readonly _options: ZmqTransportOptions = {},
  ) {
    // Every subscription, not only the first to a topic: each new client is welcomed (xeus
    // sets XPUB_VERBOSE too; ipykernel leaves it off, so a second client subscribing to ""
    // hears nothing there).
    this._iopub.verbosity = "allSubs";
  }

  async start(onFrames: OnFrames, kernel: KernelIdentity): Promise<void> {
    const info = this._info;
    await Promise.all([this._shell.bind(endpoint(info, info.shell_port)), this._stdin.bind(endpoint(info, info.stdin_port)), this._iopub.bind(endpoint(info, info.iopub_port))]);
    void this._welcome(kernel.session);
    const workerData: ControlThreadData = {
      control: endpoint(info, info.control_port),
      heartbeat: endpoint(info, info.hb_port),
      key: info.key,
      signatureScheme: info.signature_scheme,
      interrupts: (this._options.interrupts ?? new InterruptFlag()).buffer,
      parentPid: this._options.parentPid ?? null,
      ...kernel,
    };
    this._worker = new Worker(new URL("./zmq-worker.js", import.meta.url), { workerData });
    this._worker.on("message", (m: FromControlThread) => {
      // Structured clone turns Buffers into Uint8Arrays.
      if ("frames" in m)
        onFrames(
          "control",
          m.frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)),
          m.answered,
        );
      else if ("interrupt" in m) this._options.onInterrupt?.();
      else if ("parentGone" in m) this._options.onParentGone?.();
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

  /**
   * Answers each subscription (a frame of byte 1 and the topic) with an `iopub_welcome` whose
   * content is `{subscription: topic}`, prefixed by the topic as ipykernel does, so that only
   * subscribers to that topic receive it. Unsubscriptions (byte 0) are ignored.
   */
  private async _welcome(session: string): Promise<void> {
    const signer = new Signer(this._info.key, this._info.signature_scheme);
    try {
      for await (const [frame] of this._iopub) {
        if (frame === undefined || frame[0] !== 1) continue;
        const topic = frame.subarray(1);
        const msg = makeMessage("iopub_welcome", { subscription: topic.toString("utf8") }, null, session);
        void this.send("iopub", topic.length > 0 ? [Buffer.from(topic), ...serialize(msg, signer)] : serialize(msg, signer));
      }
    } catch (e) {
      if (!this._closed) process.stderr.write(`[asyncio-ts kernel] iopub socket failed: ${String(e)}\n`);
    }
  }

  accepted(signature: string): void {
    this._worker?.postMessage({ signature } satisfies ToControlThread);
  }

  send(channel: Channel, frames: Buffer[]): Promise<void> {
    // zeromq.js refuses a send while the previous one on the socket is still in progress: chain them.
    const prev = this._chains.get(channel) ?? Promise.resolve();
    const next = prev
      .then(() => this._sendNow(channel, frames))
      .catch((e: unknown) => {
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
