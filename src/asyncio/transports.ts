// transports.ts: how bytes are carried, as Python's asyncio/transports.py. These are the
// interfaces a protocol sees; socket-transports.ts (TCP and Unix sockets),
// datagram-transports.ts (UDP) and subprocess-transports.ts (child processes and their pipes)
// implement them over Node's own.

import type { ChildProcess } from "node:child_process";
import type { Socket as DgramSocket } from "node:dgram";
import type { Socket } from "node:net";
import type { BaseProtocol } from "./protocols.js";

/**
 * Writes to a transport whose connection is lost are dropped; from this many on, each is logged,
 * as Python's `constants.LOG_THRESHOLD_FOR_CONNLOST_WRITES`.
 */
export const LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5;
import type { Address } from "./protocols.js";

// What `getExtraInfo(name)` gives, by name, for each kind of transport (the names of Python's
// `get_extra_info`). A transport type carries its map as `E`, so a name it knows is typed and any
// other name is `unknown` (it gives `defaultValue`).

/**
 * The extra information of a stream socket transport. `A` is the address: `Address`
 * (`[host, port]`) for TCP, the path (a string) for a Unix socket; `Address | string` where the
 * kind is not known.
 */
export interface SocketExtraInfo<A extends Address | string = Address | string> {
  /** The peer's address, as it was when the connection was made (`""` for a Unix client). */
  peername: A;
  /** This end's address, as it was when the connection was made. */
  sockname: A;
  /** The `net.Socket`. */
  socket: Socket;
}

/** The extra information of a datagram (UDP) transport. */
export interface DatagramExtraInfo {
  /** The peer of a connected endpoint (made with `remoteAddr`), else `null`. */
  peername: Address | null;
  /** This end's `[host, port]`. */
  sockname: Address;
  /** The `dgram.Socket`. */
  socket: DgramSocket;
}

/** The extra information of a transport over one of a child process's pipes. */
export interface PipeExtraInfo {
  /** The pipe, a `net.Socket`. */
  pipe: Socket;
}

/** The extra information of a subprocess transport. */
export interface SubprocessExtraInfo {
  /** The Node `ChildProcess`. */
  subprocess: ChildProcess;
}

/**
 * What every transport offers. `E` maps the names of its extra information to their types
 * (`SocketExtraInfo`, ...).
 */
export interface BaseTransport<E extends object = object> {
  /**
   * Extra information by name, as Python's `get_extra_info`: a name this transport knows (a
   * key of `E`, such as `"peername"`) gives its value; any other name gives `defaultValue`.
   */
  getExtraInfo<K extends keyof E & string>(name: K, defaultValue?: unknown): E[K];
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  /** True once `close()` (or `abort()`) was called or the connection was lost. */
  isClosing(): boolean;
  /** Closes the transport after the buffered data is sent; `connectionLost(null)` follows. */
  close(): void;
  setProtocol(protocol: BaseProtocol): void;
  getProtocol(): BaseProtocol;
}

/** The reading half of a transport. */
export interface ReadTransport<E extends object = object> extends BaseTransport<E> {
  isReading(): boolean;
  /** Stops delivering `dataReceived` until `resumeReading()`. */
  pauseReading(): void;
  resumeReading(): void;
}

/** The writing half of a transport, with flow control. */
export interface WriteTransport<E extends object = object> extends BaseTransport<E> {
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

/**
 * A bidirectional stream transport (TCP, Unix socket). `loop.createConnection()` gives a
 * `Transport<SocketExtraInfo<Address>>` (TCP), `createUnixConnection()` a
 * `Transport<SocketExtraInfo<string>>`; a protocol that serves both sees `Transport`.
 * @example
 * ```ts
 * const [transport] = await loop.createConnection(asyncio.Protocol, "127.0.0.1", 8888);
 * const [host, port] = transport.getExtraInfo("peername"); // string, number
 * ```
 */
export interface Transport<E extends object = SocketExtraInfo> extends ReadTransport<E>, WriteTransport<E> {}

/** A datagram (UDP) transport. */
export interface DatagramTransport extends BaseTransport<DatagramExtraInfo> {
  /** Sends one datagram to `addr`, or to the connected peer when `addr` is omitted. */
  sendto(data: Uint8Array | string, addr?: Address): void;
  abort(): void;
  getWriteBufferSize(): number;
}

/** A child process seen as a transport. */
export interface SubprocessTransport extends BaseTransport<SubprocessExtraInfo> {
  getPid(): number | undefined;
  /** The exit code, `-signal` when killed by a signal, or `null` while running. */
  getReturncode(): number | null;
  /** The transport of the child's stdin (0), stdout (1) or stderr (2), if piped. */
  getPipeTransport(fd: number): WriteTransport<PipeExtraInfo> | ReadTransport<PipeExtraInfo> | null;
  sendSignal(signal: NodeJS.Signals | number): void;
  terminate(): void;
  kill(): void;
}
