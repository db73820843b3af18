// Write-side flow control shared by the transports, as Python's `_FlowControlMixin`: the
// protocol is paused once the write buffer goes over the high-water mark and resumed once it is
// back down to the low-water mark.

import type { BaseEventLoop } from "./base-events.js";
import type { BaseProtocol } from "./protocols.js";

/** Python's default write-buffer high-water mark (64 KiB); the low mark defaults to a quarter. */
export const DEFAULT_HIGH_WATER = 64 * 1024;

/**
 * Checks and completes write-buffer limits as `setWriteBufferLimits` takes them.
 * @returns `[high, low]`.
 * @throws RangeError unless high >= low >= 0.
 */
export function writeBufferLimits(high?: number, low?: number): [number, number] {
  if (high === undefined) high = low === undefined ? DEFAULT_HIGH_WATER : 4 * low;
  if (low === undefined) low = Math.floor(high / 4);
  if (!(high >= low && low >= 0)) throw new RangeError(`high (${high}) must be >= low (${low}) must be >= 0`);
  return [high, low];
}

/** What the flow control needs of the transport that owns it. */
export interface FlowControlled {
  getProtocol(): BaseProtocol;
  /** @internal Runs a callback for an I/O event in the transport's loop and context. */
  _runIO(cb: () => void): void;
  /** @internal True once connectionLost was called: nothing is resumed after it. */
  _isLost(): boolean;
}

/**
 * Pauses and resumes a transport's protocol by the size of a Node stream's write buffer.
 *
 * State machine: running -> (size > high) paused -> (flushed to <= low) running.
 */
export class WriteFlowControl {
  high = DEFAULT_HIGH_WATER;
  low = DEFAULT_HIGH_WATER / 4;
  private _paused = false;
  private _watching = false;

  constructor(
    private readonly _stream: NodeJS.WritableStream & { writableLength: number; destroyed: boolean },
    private readonly _loop: BaseEventLoop,
    private readonly _owner: FlowControlled,
  ) {}

  /** Sets the marks (see writeBufferLimits) and pauses at once if the buffer is already over. */
  setLimits(high?: number, low?: number): void {
    [this.high, this.low] = writeBufferLimits(high, low);
    this.maybePause();
  }

  /** After a write: pauses the protocol when the buffer went over the high-water mark. */
  maybePause(): void {
    if (this._paused || this._stream.writableLength <= this.high) return;
    this._paused = true;
    this._call("pauseWriting");
    this._watchDrain();
  }

  private _watchDrain(): void {
    if (this._watching) return;
    this._watching = true;
    // An empty write's callback runs once everything queued before it is flushed, whatever the
    // stream's own highWaterMark (its 'drain' event would not come if it never filled).
    this._stream.write(EMPTY, () => {
      this._watching = false;
      this._owner._runIO(this._maybeResume);
    });
  }

  private readonly _maybeResume = (): void => {
    if (!this._paused || this._owner._isLost()) return;
    if (this._stream.writableLength > this.low && !this._stream.destroyed) {
      this._watchDrain();
      return;
    }
    this._paused = false;
    this._call("resumeWriting");
  };

  private _call(method: "pauseWriting" | "resumeWriting"): void {
    const protocol = this._owner.getProtocol();
    try {
      protocol[method]();
    } catch (exc) {
      this._loop.callExceptionHandler({ message: `protocol.${method}() failed`, exception: exc, transport: this._owner, protocol });
    }
  }
}

const EMPTY = Buffer.alloc(0);
