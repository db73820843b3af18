// aiohttp's `web_runner`: starting and stopping a web application by hand. `AppRunner` prepares
// the application (start-up hooks, the protocol factory) and shuts it down gracefully; sites
// (`TCPSite`, `UnixSite`) listen through the loop's own createServer. `runApp` (run-app.ts) is
// these with signal handling.

import { CoroutineObject } from "../../coroutines.js";
import { getRunningLoop, type AbstractEventLoop } from "../../events.js";
import type { Address } from "../../protocols.js";
import type { Server } from "../../socket-transports.js";
import type { ServerHttpProtocolOptions } from "../server.js";
import type { Application } from "./app.js";
import { AppServer, type RequestHandler } from "./protocol.js";
import { hostPort } from "./request.js";

/** Options of an AppRunner: the connections' (ServerHttpProtocol's) and the shutdown's. */
export interface AppRunnerOptions extends ServerHttpProtocolOptions {
  /**
   * Seconds `cleanup()` lets requests in flight run before cancelling them (default 60, as
   * aiohttp).
   */
  shutdownTimeout?: number;
}

/**
 * Runs a web application on sites of your choosing (aiohttp's `web.AppRunner`): `setup()` runs
 * its start-up hooks and freezes it; each site started then serves it; `cleanup()` stops them
 * gracefully. Both are coroutines (await them, or `yield*` them).
 *
 * `cleanup()` stops listening, runs the `onShutdown` hooks, lets the requests in flight finish
 * (for up to `shutdownTimeout` seconds, then cancels them) while idle kept-alive connections
 * close at once, and last runs the `onCleanup` hooks.
 * @example
 * ```ts
 * const runner = new web.AppRunner(app);
 * await runner.setup();
 * const site = new web.TCPSite(runner, "127.0.0.1", 0);
 * await site.start();
 * const [host, port] = runner.addresses[0]!;
 * // ... serve ...
 * await runner.cleanup();
 * ```
 */
export class AppRunner {
  /** The application it runs. */
  readonly app: Application;
  /** Seconds cleanup() waits for requests in flight. */
  readonly shutdownTimeout: number;
  private readonly _protocolOptions: ServerHttpProtocolOptions;
  private _server: AppServer | null = null;
  /** @internal The started sites. */ readonly _sites: BaseSite[] = [];

  constructor(app: Application, options?: AppRunnerOptions) {
    const { shutdownTimeout, ...protocolOptions } = options ?? {};
    this.app = app;
    this.shutdownTimeout = shutdownTimeout ?? 60;
    this._protocolOptions = protocolOptions;
  }

  /**
   * The protocol factory serving the application (aiohttp's `runner.server`), for
   * `loop.createServer(runner.server!, host, port)`; null before `setup()` and after `cleanup()`.
   */
  get server(): (() => RequestHandler) | null {
    return this._server?.factory ?? null;
  }

  /** The started sites. */
  get sites(): readonly BaseSite[] {
    return this._sites;
  }

  /** The addresses the sites listen on: `[host, port]` for TCP (the real port when 0 was asked for), a path for Unix. */
  get addresses(): (Address | string)[] {
    const out: (Address | string)[] = [];
    for (const site of this._sites) for (const sock of site.server?.sockets ?? []) out.push(sock.getsockname());
    return out;
  }

  /**
   * Runs the application's `onStartup` hooks and freezes it (routes and middlewares can no
   * longer change).
   * @throws Error when already set up.
   */
  setup(): CoroutineObject<void> {
    return new CoroutineObject<void>("setup", {
      async: async () => {
        if (this._server !== null) throw new Error("AppRunner is already set up");
        this.app._freeze();
        await this.app._runHooks(this.app.onStartup);
        this._server = new AppServer(this.app, this._protocolOptions);
      },
    });
  }

  /** Stops every site and the application, gracefully (see the class). Does nothing before `setup()`. */
  cleanup(): CoroutineObject<void> {
    return new CoroutineObject<void>("cleanup", {
      async: async () => {
        const server = this._server;
        if (server === null) return;
        this._server = null;
        // New connections are refused from now; those already made finish what they began.
        const listening = this._sites.splice(0);
        for (const site of listening) site._closeListening();
        await this.app._runHooks(this.app.onShutdown);
        await server.shutdown(this.shutdownTimeout);
        for (const site of listening) await site._waitClosed();
        await this.app._runHooks(this.app.onCleanup);
      },
    });
  }

  /** @internal The protocol factory, for a site starting. */
  _factory(): () => RequestHandler {
    const server = this._server;
    if (server === null) throw new Error("Call runner.setup() before making sites");
    return server.factory;
  }

  toString(): string {
    return `<AppRunner ${this._server === null ? "not set up" : `${this._sites.length} sites`}>`;
  }
}

/**
 * Where a runner serves (aiohttp's `BaseSite`): `start()` listens, `stop()` stops listening and
 * lets the runner's connections through it end. Subclasses say how to listen.
 */
export abstract class BaseSite {
  /** The runner it serves. */
  readonly runner: AppRunner;
  /** The listen backlog. */
  readonly backlog: number;
  /** The listening server, once started. */
  server: Server | null = null;

  constructor(runner: AppRunner, options?: { backlog?: number }) {
    this.runner = runner;
    this.backlog = options?.backlog ?? 128;
  }

  /** The URL it serves (`http://127.0.0.1:8080`), as runApp prints it. */
  abstract get name(): string;

  /** @internal Listens with `factory`. */
  protected abstract _listen(factory: () => RequestHandler): PromiseLike<Server>;

  /**
   * Starts listening. A coroutine.
   * @throws Error before `runner.setup()` or when already started; OSError when the address
   *   cannot be listened on.
   */
  start(): CoroutineObject<void> {
    return new CoroutineObject<void>("start", {
      async: async () => {
        if (this.server !== null) throw new Error(`${this} is already started`);
        this.server = await this._listen(this.runner._factory());
        this.runner._sites.push(this);
      },
    });
  }

  /** Stops listening; connections already made go on (`runner.cleanup()` ends them). A coroutine. */
  stop(): CoroutineObject<void> {
    return new CoroutineObject<void>("stop", {
      async: async () => {
        const i = this.runner._sites.indexOf(this);
        if (i !== -1) this.runner._sites.splice(i, 1);
        this._closeListening();
      },
    });
  }

  /** @internal */
  _closeListening(): void {
    this.server?.close();
  }

  /** @internal Waits until the server is closed and its connections are gone. */
  async _waitClosed(): Promise<void> {
    if (this.server !== null) await this.server.waitClosed();
  }

  toString(): string {
    return `<${this.constructor.name} ${this.name}>`;
  }
}

/**
 * A site on a TCP host and port (aiohttp's `web.TCPSite`). Host null (the default) listens on
 * every interface; port 0 picks a free port (read it from `runner.addresses`).
 * @example
 * ```ts
 * const site = new web.TCPSite(runner, "127.0.0.1", 8080);
 * await site.start();
 * ```
 */
export class TCPSite extends BaseSite {
  /** The host given (null: every interface). */
  readonly host: string | null;
  /** The port given. */
  readonly port: number;

  constructor(runner: AppRunner, host: string | null = null, port = 8080, options?: { backlog?: number }) {
    super(runner, options);
    this.host = host;
    this.port = port;
  }

  get name(): string {
    const sock = this.server?.sockets[0];
    const port = sock === undefined ? this.port : (sock.getsockname() as Address)[1];
    return `http://${hostPort(this.host ?? "0.0.0.0", port)}`;
  }

  /** @internal */
  protected override async _listen(factory: () => RequestHandler): Promise<Server> {
    return await getRunningLoop().createServer(factory, this.host, this.port, { backlog: this.backlog });
  }
}

/** A site on a Unix socket (aiohttp's `web.UnixSite`). */
export class UnixSite extends BaseSite {
  /** The socket's path. */
  readonly path: string;

  constructor(runner: AppRunner, path: string, options?: { backlog?: number }) {
    super(runner, options);
    this.path = path;
  }

  get name(): string {
    return `http://unix:${this.path}:`;
  }

  /** @internal */
  protected override async _listen(factory: () => RequestHandler): Promise<Server> {
    return await getRunningLoop().createUnixServer(factory, this.path, { backlog: this.backlog });
  }
}

/**
 * @internal A future that `SIGINT` or `SIGTERM` (or `stop()`) settles: how runApp and the
 * multi-process server's workers learn it is time to shut down. `dispose()` removes the signal
 * listeners, so that a second signal during the shutdown ends the process at once (Node's
 * default), as a second Ctrl+C should.
 */
export class ShutdownSignal {
  /** Settles with the signal's name (or `"stop"`). */
  readonly future;
  private readonly _onSignal = (signal: NodeJS.Signals | "stop"): void => {
    if (!this.future.done() && !this._loop.isClosed()) this.future.setResult(signal);
  };

  constructor(private readonly _loop: AbstractEventLoop) {
    this.future = _loop.createFuture<NodeJS.Signals | "stop">();
    process.on("SIGINT", this._onSignal);
    process.on("SIGTERM", this._onSignal);
  }

  /** Settles the future as a signal would. */
  stop(): void {
    this._onSignal("stop");
  }

  /** Removes the signal listeners. */
  dispose(): void {
    process.off("SIGINT", this._onSignal);
    process.off("SIGTERM", this._onSignal);
  }
}
