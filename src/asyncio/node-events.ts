// node-events.ts: EventLoop, the loop users get (the `AbstractEventLoop` that `newEventLoop()`
// makes): BaseEventLoop plus networking over Node's own sockets:
// createServer / createConnection (TCP, IPv4 and IPv6), their Unix-socket variants. The
// datagram and subprocess methods are thin: their work is done by their own modules
// (datagram-transports.ts, subprocess-transports.ts).

import { lookup } from "node:dns/promises";
import { createConnection as netConnect, createServer as netCreateServer, type Server as NetServer, type Socket } from "node:net";
import { BaseEventLoop } from "./base-events.js";
import { copyContext, runClean } from "./context.js";
import { CoroutineObject } from "./coroutines.js";
import { _setDefaultLoopClass, type AbstractEventLoop, type CreateConnectionOptions, type CreateServerOptions } from "./events.js";
import { Future } from "./futures.js";
import { waitStarted } from "./node-transport.js";
import type { Address, BaseProtocol } from "./protocols.js";
import { Server, SocketTransport, bindError, connectError, makeProtocol, type ProtocolFactory } from "./socket-transports.js";
import type { DatagramTransport, SocketExtraInfo, SubprocessTransport, Transport } from "./transports.js";
import { createDatagramEndpoint, type CreateDatagramEndpointOptions } from "./datagram-transports.js";
import { makeSubprocessTransport, type SubprocessOptions } from "./subprocess-transports.js";

/**
 * An asyncio event loop with Node's networking: what `newEventLoop()` and `getEventLoop()`
 * give.
 */
export class EventLoop extends BaseEventLoop implements AbstractEventLoop {
  /**
   * Listens on `host`:`port` (every address `host` resolves to; all interfaces when `host` is
   * null) and makes a protocol for each connection. A coroutine: await it for the Server.
   * `port` 0 picks a free port, the same for every address.
   * @throws OSError "error while attempting to bind on address ...: address already in use".
   * @example
   * ```ts
   * const server = await loop.createServer(SimpleEchoProtocol, "127.0.0.1", 0);
   * const [host, port] = server.sockets[0]!.getsockname();
   * ```
   */
  override createServer<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    host?: string | string[] | null,
    port?: number | null,
    options?: CreateServerOptions,
  ): CoroutineObject<Server<Address>> {
    return new CoroutineObject<Server<Address>>("createServer", {
      async: async () => {
        const hosts = host === null || host === undefined ? [null] : Array.isArray(host) ? host : [host];
        const addrs: (string | null)[] = [];
        for (const h of hosts) {
          if (h === null || h === "") addrs.push(null);
          else addrs.push(...(await resolveAll(h, options?.family ?? 0)));
        }
        let chosenPort = port ?? 0;
        const servers: NetServer[] = [];
        // Connections are kept from the moment a socket listens: in a node:cluster worker the
        // primary may hand one over in the same turn as the news that the worker listens, before
        // the Server below is there to take it.
        const early: Socket[] = [];
        const keep = (sock: Socket): void => void early.push(sock);
        try {
          for (const addr of dedupe(addrs)) {
            const s = runClean(() => netCreateServer({ allowHalfOpen: true, pauseOnConnect: false }));
            s.on("connection", keep);
            await listen(s, {
              host: addr ?? undefined,
              port: chosenPort,
              backlog: options?.backlog ?? 100,
              ipv6Only: options?.ipv6Only ?? (addr !== null && addr.includes(":")),
            }).catch((err: unknown) => {
              throw bindError(err, addr ?? "0.0.0.0", chosenPort);
            });
            servers.push(s);
            if (chosenPort === 0) {
              const a = s.address();
              if (a !== null && typeof a === "object") chosenPort = a.port;
            }
          }
        } catch (err) {
          for (const s of servers) s.close();
          for (const sock of early) sock.destroy();
          throw err;
        }
        const server = new Server<Address>(this, servers, protocolFactory as ProtocolFactory);
        for (const s of servers) s.off("connection", keep);
        if (options?.startServing ?? true) server._startServing();
        for (const sock of early) servers[0]?.emit("connection", sock);
        return server;
      },
    });
  }

  /**
   * Connects to `host`:`port` and makes a protocol for the connection. A coroutine: await it
   * for `[transport, protocol]`, once `connectionMade` has run.
   * @throws ConnectionRefusedError "Connect call failed ('127.0.0.1', 4242): connection refused".
   */
  override createConnection<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    host: string,
    port: number,
    options?: CreateConnectionOptions,
  ): CoroutineObject<[Transport<SocketExtraInfo<Address>>, P]> {
    return new CoroutineObject<[Transport<SocketExtraInfo<Address>>, P]>("createConnection", {
      async: async () => {
        const sock = await connect(() =>
          runClean(() => netConnect({ host, port, allowHalfOpen: true, family: options?.family ?? 0, localAddress: options?.localAddr?.[0], localPort: options?.localAddr?.[1] })),
        ).catch((err: unknown) => {
          throw connectError(err, host, port);
        });
        return await this._makeTransport<Address, P>(sock, protocolFactory);
      },
    });
  }

  /** As `createServer`, on a Unix socket at `path`. */
  override createUnixServer<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    path: string,
    options?: Pick<CreateServerOptions, "backlog" | "startServing">,
  ): CoroutineObject<Server<string>> {
    return new CoroutineObject<Server<string>>("createUnixServer", {
      async: async () => {
        const s = runClean(() => netCreateServer({ allowHalfOpen: true }));
        await listen(s, { path, backlog: options?.backlog ?? 100 }).catch((err: unknown) => {
          throw bindError(err, path, "");
        });
        const server = new Server<string>(this, [s], protocolFactory as ProtocolFactory);
        if (options?.startServing ?? true) server._startServing();
        return server;
      },
    });
  }

  /** As `createConnection`, to a Unix socket at `path`. */
  override createUnixConnection<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, path: string): CoroutineObject<[Transport<SocketExtraInfo<string>>, P]> {
    return new CoroutineObject<[Transport<SocketExtraInfo<string>>, P]>("createUnixConnection", {
      async: async () => {
        const sock = await connect(() => runClean(() => netConnect({ path, allowHalfOpen: true }))).catch((err: unknown) => {
          throw connectError(err, path, "");
        });
        (sock as unknown as { _asyncioPath: string })._asyncioPath = path;
        return await this._makeTransport<string, P>(sock, protocolFactory);
      },
    });
  }

  /**
   * Opens a UDP endpoint and makes a protocol for it. A coroutine: await it for
   * `[transport, protocol]`, once `connectionMade` has run. With `localAddr` the socket is bound
   * there (port 0 picks a free port); with `remoteAddr` it is connected, and
   * `transport.sendto(data)` sends to that peer.
   * @throws OSError "error while attempting to bind on address ...: address already in use";
   *   Error "unexpected address family" when neither address nor `family` is given.
   * @example
   * ```ts
   * class EchoServerProtocol extends asyncio.DatagramProtocol {
   *   transport!: asyncio.DatagramTransport;
   *   override connectionMade(transport: asyncio.DatagramTransport) { this.transport = transport; }
   *   override datagramReceived(data: Buffer, addr: asyncio.Address) { this.transport.sendto(data, addr); }
   * }
   * const [transport] = await loop.createDatagramEndpoint(EchoServerProtocol, { localAddr: ["127.0.0.1", 9999] });
   * ```
   */
  override createDatagramEndpoint<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, options?: CreateDatagramEndpointOptions): CoroutineObject<[DatagramTransport, P]> {
    return new CoroutineObject<[DatagramTransport, P]>("createDatagramEndpoint", {
      async: async () => await createDatagramEndpoint(this, protocolFactory, options),
    });
  }

  /**
   * Runs `program` with `args` (no shell) as a child process and makes a protocol for it. A
   * coroutine: await it for `[transport, protocol]`, once `connectionMade` has run. Each of
   * stdin, stdout and stderr is a pipe unless the options say otherwise.
   * @throws FileNotFoundError "[Errno 2] No such file or directory: 'prog'" when `program`
   *   does not exist; PermissionError when it is not executable.
   * @example
   * ```ts
   * const [transport, protocol] = await loop.subprocessExec(MyProtocol, "ls", ["-l"]);
   * ```
   */
  override subprocessExec<P extends BaseProtocol>(
    protocolFactory: ProtocolFactory<P>,
    program: string,
    args: readonly string[] = [],
    options?: SubprocessOptions,
  ): CoroutineObject<[SubprocessTransport, P]> {
    return new CoroutineObject<[SubprocessTransport, P]>("subprocessExec", {
      async: async () => {
        for (const a of [program, ...args]) if (typeof a !== "string") throw new TypeError(`program and arguments must be strings, not ${typeof a}`);
        const protocol = makeProtocol(protocolFactory);
        return [await makeSubprocessTransport(this, protocol, program, args, false, options), protocol];
      },
    });
  }

  /**
   * Runs `cmd` through the shell (`/bin/sh -c` on POSIX) as `subprocessExec` does. A command
   * the shell cannot find is not an error here: the child exits with status 127.
   * @throws Error "cmd must be a string".
   */
  override subprocessShell<P extends BaseProtocol>(protocolFactory: ProtocolFactory<P>, cmd: string, options?: SubprocessOptions): CoroutineObject<[SubprocessTransport, P]> {
    return new CoroutineObject<[SubprocessTransport, P]>("subprocessShell", {
      async: async () => {
        if (typeof cmd !== "string") throw new Error("cmd must be a string");
        const protocol = makeProtocol(protocolFactory);
        return [await makeSubprocessTransport(this, protocol, cmd, [], true, options), protocol];
      },
    });
  }

  private async _makeTransport<A extends Address | string, P extends BaseProtocol>(sock: Socket, protocolFactory: ProtocolFactory<P>): Promise<[Transport<SocketExtraInfo<A>>, P]> {
    let protocol: P;
    try {
      protocol = makeProtocol(protocolFactory);
    } catch (err) {
      sock.destroy();
      throw err;
    }
    const waiter = new Future<void>({ loop: this });
    const transport = new SocketTransport<A>(this, sock, protocol, {}, waiter, null, copyContext());
    await waitStarted(transport, waiter);
    return [transport, protocol];
  }
}

async function resolveAll(host: string, family: 0 | 4 | 6): Promise<string[]> {
  if (/^[\d.]+$/.test(host) || host.includes(":")) return [host];
  const found = await lookup(host, { all: true, family });
  return found.map((a) => a.address);
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function listen(server: NetServer, options: { host?: string; port?: number; path?: string; backlog: number; ipv6Only?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // Listening makes the handle whose context every accepted socket inherits: keep it clean.
    runClean(() =>
      server.listen(options, () => {
        server.off("error", reject);
        resolve();
      }),
    );
  });
}

function connect(make: () => Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = make();
    const onError = (err: Error): void => {
      sock.destroy();
      reject(err);
    };
    sock.once("error", onError);
    sock.once("connect", () => {
      sock.off("error", onError);
      resolve(sock);
    });
  });
}

// newEventLoop() (events.ts) makes this class; see there why it is named from here.
_setDefaultLoopClass(EventLoop);
