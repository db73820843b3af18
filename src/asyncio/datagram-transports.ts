// UDP endpoints over node:dgram: `loop.createDatagramEndpoint()` (called from node-events.ts)
// and the datagram transport it makes, the counterpart of Python's
// base_events.create_datagram_endpoint and selector_events._SelectorDatagramTransport.
//
// A datagram transport delivers its protocol's callbacks in Python's order:
// `connectionMade [-> datagramReceived | errorReceived]* -> connectionLost`. Datagrams are
// delivered only after `connectionMade` has run (those that arrive earlier wait for it), and
// none after `close()`. A failed send or receive is not fatal: `errorReceived(exc)` reports it
// and the endpoint stays open, as in Python.

import { createSocket, type RemoteInfo, type Socket as DgramSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { BaseEventLoop } from "./base-events.js";
import { copyContext, type Context } from "./context.js";
import { OSError, toOSError } from "./exceptions.js";
import { DEFAULT_HIGH_WATER, writeBufferLimits } from "./flow-control.js";
import { Future } from "./futures.js";
import { NodeTransport, waitStarted } from "./node-transport.js";
import type { Address, BaseProtocol, DatagramProtocol } from "./protocols.js";
import { bindError, connectError, makeProtocol, type ProtocolFactory } from "./socket-transports.js";
import type { DatagramExtraInfo, DatagramTransport } from "./transports.js";

/** Options of `loop.createDatagramEndpoint()`. */
export interface CreateDatagramEndpointOptions {
  /** `[host, port]` to bind to; port 0 picks a free port. Without it the socket is bound on first send. */
  localAddr?: [string, number];
  /** `[host, port]` of the peer: the socket is connected to it and `sendto(data)` sends there. */
  remoteAddr?: [string, number];
  /** IPv4 (4) or IPv6 (6) only; required when neither address is given. */
  family?: 0 | 4 | 6;
  /** Let other sockets bind the same address and port (SO_REUSEADDR). */
  reuseAddress?: boolean;
  /** Allow sending to broadcast addresses (SO_BROADCAST); `remoteAddr` is then not connected. */
  allowBroadcast?: boolean;
}

/** Python counts a datagram's header in the write buffer size, so that empty datagrams count too. */
const DATAGRAM_HEADER = 8;

function formatAddress(addr: Address): string {
  return `('${addr[0]}', ${addr[1]})`;
}

/**
 * A UDP endpoint over a `dgram.Socket`.
 *
 * - `sendto(data, addr)` sends one datagram; on an endpoint made with `remoteAddr`, `addr` may
 *   be left out and any other address is an error.
 * - `close()` stops receiving at once and calls `connectionLost(null)` once the queued
 *   datagrams are sent; `abort()` drops them.
 * @internal Made by `loop.createDatagramEndpoint()`; users see it as a `DatagramTransport`.
 */
export class DatagramSocketTransport extends NodeTransport<DatagramExtraInfo> implements DatagramTransport {
  private readonly _sock: DgramSocket;
  private readonly _address: Address | null;
  private readonly _connected: boolean;
  private readonly _family: 4 | 6;
  /** The address the socket was last seen bound to; an unbound socket's is the wildcard, port 0. */
  private _socknameSeen: Address;
  private _closing = false;
  /** connectionLost is scheduled (or called): Python's `_conn_lost` being non-zero. */
  private _lostScheduled = false;
  private _lostCalled = false;
  private _dropped = false;
  /** Datagrams that arrived before reading started: Node receives as soon as the socket is bound. */
  private _early: [Buffer, Address][] | null = [];
  private _bufferSize = 0;
  private _protocolPaused = false;
  private _high = DEFAULT_HIGH_WATER;
  private _low = DEFAULT_HIGH_WATER / 4;

  constructor(
    loop: BaseEventLoop,
    sock: DgramSocket,
    family: 4 | 6,
    protocol: BaseProtocol,
    address: Address | null,
    connected: boolean,
    waiter: Future<void> | null,
    context: Context | undefined,
  ) {
    // getExtraInfo is this class's own: the socket's name changes once it is bound.
    super(loop, protocol, {}, context);
    this._family = family;
    this._socknameSeen = [family === 6 ? "::" : "0.0.0.0", 0];
    this._sock = sock;
    this._address = address;
    this._connected = connected;
    this._sockname();
    sock.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
      const addr: Address = [rinfo.address, rinfo.port];
      if (this._early !== null) this._early.push([msg, addr]);
      else this._io(this._datagramReceived, msg, addr);
    });
    sock.on("error", (err: Error) => this._io(this._errorReceived, toOSError(err)));
    this._start(waiter, true);
  }

  protected override _startReading(): void {
    const early = this._early ?? [];
    this._early = null;
    if (this._closing) return;
    for (const [msg, addr] of early) this._datagramReceived(msg, addr);
  }

  private readonly _datagramReceived = (data: Buffer, addr: Address): void => {
    if (this._closing || this._lostCalled) return;
    (this._protocol as DatagramProtocol).datagramReceived(data, addr);
  };

  private readonly _errorReceived = (exc: Error): void => {
    if (this._lostCalled) return;
    (this._protocol as DatagramProtocol).errorReceived(exc);
  };

  // -- BaseTransport ----------------------------------------------------------------------------

  /** `"sockname"` (`[host, port]`), `"peername"` (`[host, port]` when connected, else `null`), `"socket"` (the `dgram.Socket`). */
  override getExtraInfo<K extends keyof DatagramExtraInfo & string>(name: K, defaultValue?: unknown): DatagramExtraInfo[K];
  override getExtraInfo(name: string, defaultValue?: unknown): unknown;
  override getExtraInfo(name: string, defaultValue?: unknown): unknown {
    switch (name) {
      case "sockname":
        return this._sockname();
      case "peername":
        return this._connected ? this._address : null;
      case "socket":
        return this._sock;
      default:
        return defaultValue;
    }
  }

  private _sockname(): Address {
    try {
      const a = this._sock.address();
      this._socknameSeen = [a.address, a.port];
    } catch {
      // Not bound yet (nothing sent), or closed: what getsockname() said last.
    }
    return this._socknameSeen;
  }

  isClosing(): boolean {
    return this._closing;
  }

  /**
   * Stops receiving at once; `connectionLost(null)` follows once the datagrams already queued
   * are sent. Idempotent.
   */
  close(): void {
    if (this._closing) return;
    this._closing = true;
    if (this._bufferSize === 0) {
      this._lostScheduled = true;
      this._callSoon(this._callConnectionLost, null);
    }
  }

  /** Closes at once, dropping queued datagrams; `connectionLost(null)` follows. */
  abort(): void {
    this._forceClose(null);
  }

  private _forceClose(exc: Error | null): void {
    if (this._lostScheduled) return;
    this._dropped = true;
    this._bufferSize = 0;
    this._closing = true;
    this._lostScheduled = true;
    this._callSoon(this._callConnectionLost, exc);
  }

  private readonly _callConnectionLost = (exc: Error | null): void => {
    if (this._lostCalled) return;
    this._lostCalled = true;
    try {
      this._protocol.connectionLost(exc);
    } finally {
      try {
        this._sock.close();
      } catch {
        // Already closed by Node (a socket that failed); nothing to release.
      }
    }
  };

  // -- DatagramTransport --------------------------------------------------------------------------

  /** Bytes handed to the socket and not yet sent, plus 8 per datagram. */
  getWriteBufferSize(): number {
    return this._bufferSize;
  }

  /** `[low, high]`: flow control's water marks in bytes. */
  getWriteBufferLimits(): [number, number] {
    return [this._low, this._high];
  }

  /** Sets the high- and low-water marks of the write buffer (low defaults to high / 4). */
  setWriteBufferLimits(high?: number, low?: number): void {
    [this._high, this._low] = writeBufferLimits(high, low);
  }

  /**
   * Sends one datagram (a string as UTF-8) to `addr`, or to the endpoint's `remoteAddr`. A send
   * that fails goes to the protocol's `errorReceived()`.
   * @throws TypeError when `data` is not bytes or a string, or `addr` is missing on an
   *   endpoint without `remoteAddr`; Error "Invalid address: must be null or ('h', p)" when
   *   `addr` differs from the endpoint's `remoteAddr`.
   */
  sendto(data: Uint8Array | string, addr?: Address | null): void {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) throw new TypeError(`data argument must be a bytes-like object or a string, not ${typeof data}`);
    let target: Address;
    if (this._address !== null) {
      if (addr !== undefined && addr !== null && !(addr[0] === this._address[0] && addr[1] === this._address[1])) {
        throw new Error(`Invalid address: must be null or ${formatAddress(this._address)}`);
      }
      target = this._address;
    } else {
      if (addr === undefined || addr === null) throw new TypeError("sendto() needs an address: this endpoint was made without remoteAddr");
      target = addr;
    }
    if (this._lostScheduled) {
      if (this._address !== null) {
        // As Python: sends on a closed connected endpoint are dropped, and logged once they pile up.
        this._dropWrite("socket.send() raised exception.");
      } else {
        (this._protocol as DatagramProtocol).errorReceived(new OSError("[Errno 9] Bad file descriptor", "EBADF"));
      }
      return;
    }
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    const size = buf.length + DATAGRAM_HEADER;
    const done = (err: Error | null): void => this._io(this._sent, size, err);
    if (this._connected) this._sock.send(buf, done);
    else this._sock.send(buf, target[1], target[0], done);
    this._bufferSize += size;
    this._maybePauseProtocol();
  }

  private readonly _sent = (size: number, err: Error | null): void => {
    // After abort() the buffer was dropped: its sends no longer count.
    if (this._lostCalled || this._dropped) return;
    this._bufferSize -= size;
    if (err !== null) (this._protocol as DatagramProtocol).errorReceived(toOSError(err));
    this._maybeResumeProtocol();
    if (this._closing && this._bufferSize === 0 && !this._lostScheduled) {
      this._lostScheduled = true;
      this._callConnectionLost(null);
    }
  };

  private _maybePauseProtocol(): void {
    if (this._protocolPaused || this._bufferSize <= this._high) return;
    this._protocolPaused = true;
    try {
      this._protocol.pauseWriting();
    } catch (exc) {
      this._loop.callExceptionHandler({ message: "protocol.pauseWriting() failed", exception: exc, transport: this, protocol: this._protocol });
    }
  }

  private _maybeResumeProtocol(): void {
    if (!this._protocolPaused || this._bufferSize > this._low) return;
    this._protocolPaused = false;
    try {
      this._protocol.resumeWriting();
    } catch (exc) {
      this._loop.callExceptionHandler({ message: "protocol.resumeWriting() failed", exception: exc, transport: this, protocol: this._protocol });
    }
  }

  override toString(): string {
    const state = this._lostCalled ? "closed" : this._closing ? "closing" : "open";
    return `<DatagramSocketTransport ${state} sockname=${JSON.stringify(this._sockname())}>`;
  }
}

/** The addresses `host` stands for, in the resolver's order, with their IP version. */
async function resolve(addr: [string, number], family: 0 | 4 | 6): Promise<{ address: string; family: 4 | 6 }[]> {
  if (!Array.isArray(addr) || addr.length !== 2) throw new TypeError("2-tuple is expected");
  const [host] = addr;
  const v = isIP(host);
  if (v !== 0) return family === 0 || family === v ? [{ address: host, family: v as 4 | 6 }] : [];
  const found = await lookup(host, { all: true, family });
  return found.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
}

function bind(sock: DgramSocket, port: number, address: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind({ port, address, exclusive: true }, () => {
      sock.off("error", reject);
      resolve();
    });
  });
}

function connect(sock: DgramSocket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.connect(port, address, (err?: Error) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * @internal What `loop.createDatagramEndpoint()` does: resolves the addresses, makes a socket
 * of the first family both resolve to, binds and connects it, and wraps it in a transport for
 * the factory's protocol; resolves once `connectionMade` has run.
 */
export async function createDatagramEndpoint<P extends BaseProtocol>(
  loop: BaseEventLoop,
  protocolFactory: ProtocolFactory<P>,
  options: CreateDatagramEndpointOptions = {},
): Promise<[DatagramTransport, P]> {
  const { localAddr, remoteAddr, family = 0, reuseAddress = false, allowBroadcast = false } = options;
  // Pair the local and remote addresses by family, as Python's (family, proto) pairs.
  const candidates: { family: 4 | 6; local: string | null; remote: string | null }[] = [];
  if (localAddr === undefined && remoteAddr === undefined) {
    if (family === 0) throw new Error("unexpected address family");
    candidates.push({ family, local: null, remote: null });
  } else {
    const locals = localAddr !== undefined ? await resolve(localAddr, family) : null;
    const remotes = remoteAddr !== undefined ? await resolve(remoteAddr, family) : null;
    for (const fam of new Set([...(locals ?? []), ...(remotes ?? [])].map((a) => a.family))) {
      const local = locals?.find((a) => a.family === fam)?.address ?? null;
      const remote = remotes?.find((a) => a.family === fam)?.address ?? null;
      if ((locals !== null && local === null) || (remotes !== null && remote === null)) continue;
      candidates.push({ family: fam, local, remote });
    }
    if (candidates.length === 0) throw new Error("can not get address information");
  }

  const errors: Error[] = [];
  for (const c of candidates) {
    const sock = createSocket({ type: c.family === 6 ? "udp6" : "udp4", reuseAddr: reuseAddress });
    try {
      if (c.local !== null && localAddr !== undefined) {
        await bind(sock, localAddr[1], c.local).catch((err: unknown) => {
          throw bindError(err, c.local as string, localAddr[1]);
        });
      } else if (allowBroadcast) {
        // Node sets SO_BROADCAST only on a bound socket.
        await bind(sock, 0, undefined);
      }
      if (allowBroadcast) sock.setBroadcast(true);
      let address: Address | null = null;
      let connected = false;
      if (c.remote !== null && remoteAddr !== undefined) {
        address = [c.remote, remoteAddr[1]];
        // A broadcast endpoint stays unconnected so that it can also hear other peers.
        if (!allowBroadcast) {
          await connect(sock, remoteAddr[1], c.remote).catch((err: unknown) => {
            throw connectError(err, c.remote as string, remoteAddr[1]);
          });
          connected = true;
        }
      }
      return await makeTransport(loop, sock, c.family, protocolFactory, address, connected);
    } catch (err) {
      closeQuietly(sock);
      if (!(err instanceof OSError)) throw err;
      errors.push(err);
    }
  }
  throw errors[0] as Error;
}

async function makeTransport<P extends BaseProtocol>(
  loop: BaseEventLoop,
  sock: DgramSocket,
  family: 4 | 6,
  protocolFactory: ProtocolFactory<P>,
  address: Address | null,
  connected: boolean,
): Promise<[DatagramTransport, P]> {
  const protocol = makeProtocol(protocolFactory);
  const waiter = new Future<void>({ loop });
  const transport = new DatagramSocketTransport(loop, sock, family, protocol, address, connected, waiter, copyContext());
  await waitStarted(transport, waiter);
  return [transport, protocol];
}

function closeQuietly(sock: DgramSocket): void {
  try {
    sock.close();
  } catch {
    // Never bound, or already closed: nothing to release.
  }
}
