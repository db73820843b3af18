// How the kernel meets its front ends: frames in, frames out, per channel. The protocol layer
// (kernel.ts) depends only on this; zmq-transport.ts implements it over ZeroMQ, and tests use
// the in-memory transport below.

/** The channels a kernel receives on and sends to (the heartbeat is the transport's own). */
export type Channel = "shell" | "control" | "stdin" | "iopub";

/** The kernel's side of the sockets. */
export interface KernelTransport {
  /** Starts delivering incoming frames to `onFrames`. */
  start(onFrames: (channel: Channel, frames: Buffer[]) => void): Promise<void>;
  /** Sends one message's frames; sends on one channel never overlap and keep their order. */
  send(channel: Channel, frames: Buffer[]): Promise<void>;
  close(): Promise<void>;
}

/** A transport in memory: tests push frames in and read what the kernel sent. */
export class InMemoryTransport implements KernelTransport {
  readonly sent: { channel: Channel; frames: Buffer[] }[] = [];
  private _deliver: ((channel: Channel, frames: Buffer[]) => void) | null = null;
  private readonly _listeners: ((channel: Channel, frames: Buffer[]) => void)[] = [];
  closed = false;

  async start(onFrames: (channel: Channel, frames: Buffer[]) => void): Promise<void> {
    this._deliver = onFrames;
  }

  async send(channel: Channel, frames: Buffer[]): Promise<void> {
    this.sent.push({ channel, frames });
    for (const l of this._listeners) l(channel, frames);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Delivers frames to the kernel as if a front end had sent them. */
  receive(channel: Channel, frames: Buffer[]): void {
    if (this._deliver === null) throw new Error("transport not started");
    this._deliver(channel, frames);
  }

  /** Calls `fn` for every message the kernel sends from now on. */
  onSend(fn: (channel: Channel, frames: Buffer[]) => void): void {
    this._listeners.push(fn);
  }
}
