// Transports: how bytes are carried, as Python's asyncio/transports.py. These are the
// interfaces a protocol sees; node-events.ts implements them over Node's sockets, pipes and
// processes.

import type { BaseProtocol } from "./protocols.js";

/**
 * Writes to a transport whose connection is lost are dropped; from this many on, each is logged,
 * as Python's `constants.LOG_THRESHOLD_FOR_CONNLOST_WRITES`.
 */
export const LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5;
import type { Address } from "./protocols.js";

/** What every transport offers. */
export interface BaseTransport {
  /** Extra information: `"peername"`, `"sockname"`, `"socket"` (the Node socket), ... */
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  /** True once `close()` (or `abort()`) was called or the connection was lost. */
  isClosing(): boolean;
  /** Closes the transport after the buffered data is sent; `connectionLost(null)` follows. */
  close(): void;
  setProtocol(protocol: BaseProtocol): void;
  getProtocol(): BaseProtocol;
}

/** The reading half of a transport. */
export interface ReadTransport extends BaseTransport {
  isReading(): boolean;
  /** Stops delivering `dataReceived` until `resumeReading()`. */
  pauseReading(): void;
  resumeReading(): void;
}

/** The writing half of a transport, with flow control. */
export interface WriteTransport extends BaseTransport {
  /** Sets the write buffer's high- and low-water marks in bytes (low defaults to high / 4). */
  setWriteBufferLimits(high?: number, low?: number): void;
  getWriteBufferSize(): number;
  /** `[low, high]`. */
  getWriteBufferLimits(): [number, number];
  /** Queues bytes (a string is sent as UTF-8). Never blocks; flow control tells when to stop. */
  write(data: Uint8Array | string): void;
  writelines(list: Iterable<Uint8Array | string>): void;
  /** Sends EOF after the buffered data: the other end reads end of stream. */
  writeEof(): void;
  canWriteEof(): boolean;
  /** Closes at once, dropping buffered data; `connectionLost(null)` follows. */
  abort(): void;
}

/** A bidirectional stream transport (TCP, Unix socket). */
export interface Transport extends ReadTransport, WriteTransport {}

/** A datagram (UDP) transport. */
export interface DatagramTransport extends BaseTransport {
  /** Sends one datagram to `addr`, or to the connected peer when `addr` is omitted. */
  sendto(data: Uint8Array | string, addr?: Address): void;
  abort(): void;
  getWriteBufferSize(): number;
}

/** A child process seen as a transport. */
export interface SubprocessTransport extends BaseTransport {
  getPid(): number | undefined;
  /** The exit code, `-signal` when killed by a signal, or `null` while running. */
  getReturncode(): number | null;
  /** The transport of the child's stdin (0), stdout (1) or stderr (2), if piped. */
  getPipeTransport(fd: number): WriteTransport | ReadTransport | null;
  sendSignal(signal: NodeJS.Signals | number): void;
  terminate(): void;
  kill(): void;
}
