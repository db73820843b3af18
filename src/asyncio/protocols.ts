// Protocols: what bytes to send and when, as Python's asyncio/protocols.py. A protocol is a set
// of callbacks that a transport calls; subclass one and override the methods you need.

import type { BaseTransport, DatagramTransport, SubprocessTransport, Transport } from "./transports.js";

/**
 * The callbacks every protocol has.
 *
 * State machine: `connectionMade` once, at the start; `connectionLost` once, at the end.
 * `pauseWriting` and `resumeWriting` come in pairs between them, when the transport's write
 * buffer goes over its high-water mark and back under its low-water mark.
 */
export class BaseProtocol {
  /** The connection is up; `transport` is how to write to it. */
  connectionMade(_transport: BaseTransport): void {}
  /** The connection is gone: `exc` is `null` on a clean close (or EOF), the error otherwise. */
  connectionLost(_exc: Error | null): void {}
  /** The transport's write buffer went over the high-water mark: stop writing for now. */
  pauseWriting(): void {}
  /** The write buffer drained under the low-water mark: writing may go on. */
  resumeWriting(): void {}
}

/**
 * A stream protocol (TCP, Unix sockets, pipes).
 *
 * State machine:
 * `start -> connectionMade [-> dataReceived]* [-> eofReceived]? -> connectionLost -> end`
 *
 * @example
 * ```ts
 * class SimpleEchoProtocol extends asyncio.Protocol {
 *   transport!: asyncio.Transport;
 *   override connectionMade(transport: asyncio.Transport) { this.transport = transport; }
 *   override dataReceived(data: Buffer) { this.transport.write("echo:"); this.transport.write(data); }
 * }
 * ```
 */
export class Protocol extends BaseProtocol {
  override connectionMade(_transport: Transport): void {}
  /** Some bytes arrived. How the stream was cut into chunks carries no meaning. */
  dataReceived(_data: Buffer): void {}
  /**
   * The other end will send no more. Return `true` to keep the connection half-open (and
   * close it yourself later); otherwise the transport closes itself.
   */
  eofReceived(): boolean | void {}
}

/**
 * A stream protocol that supplies its own receive buffer, so bytes are read into it without a
 * copy.
 *
 * State machine:
 * `start -> connectionMade [-> getBuffer -> bufferUpdated]* [-> eofReceived]? -> connectionLost -> end`
 */
export class BufferedProtocol extends BaseProtocol {
  override connectionMade(_transport: Transport): void {}
  /** A buffer to receive into, of at least `sizeHint` bytes when it is positive. */
  getBuffer(sizeHint: number): Uint8Array {
    return Buffer.allocUnsafe(Math.max(sizeHint, 65536));
  }
  /** `nbytes` bytes were written at the start of the buffer `getBuffer` returned. */
  bufferUpdated(_nbytes: number): void {}
  /** As `Protocol.eofReceived`. */
  eofReceived(): boolean | void {}
}

/** A peer's address: `[host, port]`. */
export type Address = [host: string, port: number];

/**
 * A datagram protocol (UDP).
 *
 * State machine: `start -> connectionMade [-> datagramReceived | errorReceived]* -> connectionLost -> end`
 */
export class DatagramProtocol extends BaseProtocol {
  override connectionMade(_transport: DatagramTransport): void {}
  /** A datagram arrived from `addr`. */
  datagramReceived(_data: Buffer, _addr: Address): void {}
  /** A send or receive failed (the endpoint stays open). */
  errorReceived(_exc: Error): void {}
}

/**
 * A protocol for a child process and its pipes (fd 0, 1, 2).
 *
 * State machine: `start -> connectionMade [-> pipeDataReceived]* [-> pipeConnectionLost]* -> processExited -> connectionLost -> end`
 */
export class SubprocessProtocol extends BaseProtocol {
  override connectionMade(_transport: SubprocessTransport): void {}
  /** The child wrote `data` to its stdout (fd 1) or stderr (fd 2). */
  pipeDataReceived(_fd: number, _data: Buffer): void {}
  /** One of the child's pipes closed. */
  pipeConnectionLost(_fd: number, _exc: Error | null): void {}
  /** The child exited; `transport.getReturncode()` says how. */
  processExited(): void {}
}
