// How the kernel meets its front ends: frames in, frames out, per channel. The protocol layer
// (kernel.ts) depends only on this; zmq-transport.ts implements it over ZeroMQ, and tests use
// the in-memory transport below.

/** The channels a kernel receives on and sends to (the heartbeat is the transport's own). */
export type Channel = "shell" | "control" | "stdin" | "iopub";

/**
 * Delivers a message's frames to the kernel. `answered` is true for a control request the
 * transport has already replied to itself (kernel_info, interrupt: see zmq-worker.ts): the kernel
 * brackets it with busy and idle and replies no more.
 */
export type OnFrames = (channel: Channel, frames: Buffer[], answered?: boolean) => void;

/** What a transport that answers control requests itself needs to know of the kernel. */
export interface KernelIdentity {
  /** The session every message of the kernel carries. */
  session: string;
  /** The content of kernel_info_reply. */
  kernelInfo: Record<string, unknown>;
}

/** The kernel's side of the sockets. */
export interface KernelTransport {
  /** Starts delivering incoming frames to `onFrames`. */
  start(onFrames: OnFrames, kernel: KernelIdentity): Promise<void>;
  /**
   * Told the signature of every verified message the kernel accepted on shell or stdin, when the
   * transport answers control requests itself: a replay of one on control is refused there too.
   */
  accepted?(signature: string): void;
  /** Sends one message's frames; sends on one channel never overlap and keep their order. */
  send(channel: Channel, frames: Buffer[]): Promise<void>;
  close(): Promise<void>;
}

/** A transport in memory: tests push frames in and read what the kernel sent. */
export class InMemoryTransport implements KernelTransport {
  readonly sent: { channel: Channel; frames: Buffer[] }[] = [];
  private _deliver: OnFrames | null = null;
  private readonly _listeners: ((channel: Channel, frames: Buffer[]) => void)[] = [];
  closed = false;

  async start(onFrames: OnFrames, kernel: KernelIdentity): Promise<void> {
    this._deliver = onFrames;
    this.kernel = kernel;
  }

  async send(channel: Channel, frames: Buffer[]): Promise<void> {
    this.sent.push({ channel, frames });
    for (const l of this._listeners) l(channel, frames);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The identity the kernel gave at start (what a control thread would answer with). */
  kernel: KernelIdentity | null = null;

  /** Delivers frames to the kernel as if a front end had sent them (`answered`: as if this transport had replied already). */
  receive(channel: Channel, frames: Buffer[], answered = false): void {
    if (this._deliver === null) throw new Error("transport not started");
    this._deliver(channel, frames, answered);
  }

  /** Calls `fn` for every message the kernel sends from now on. */
  onSend(fn: (channel: Channel, frames: Buffer[]) => void): void {
    this._listeners.push(fn);
  }
}
