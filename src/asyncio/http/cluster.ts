// The class's multi-process server (aiohttp's examples/mpsrv.py) on node:cluster: a supervisor
// forks workers, each serving the same listening port on its own asyncio-ts loop (Node's cluster
// hands the port's connections out to them), restarts a worker that dies and stops them all on
// SIGINT/SIGTERM. What a worker serves is the low-level server's (server.ts) or a web
// application's (web/runner.ts).
//
// Life of the primary: start -> fork N -> [a worker exits -> (back-off) -> fork one]* ->
//   SIGINT/SIGTERM or close() -> ask every worker to stop -> (killTimeout) kill those left -> closed
// Life of a worker: start -> listen -> tell the primary -> serve -> (shutdown message, SIGINT or
//   SIGTERM) -> stop listening, finish the requests in flight -> disconnect -> exit

import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { logger } from "../log.js";
import { _getRunningLoop, getRunningLoop } from "../events.js";
import type { Address } from "../protocols.js";
import { run } from "../runners.js";
import type { ProtocolFactory, Server } from "../socket-transports.js";
import { gather } from "../tasks.js";
import { ServerHttpProtocol } from "./server.js";
import type { Application } from "./web/app.js";
import { AppRunner, ShutdownSignal, TCPSite, type AppRunnerOptions } from "./web/runner.js";

/** Options of a Supervisor. */
export interface SupervisorOptions extends AppRunnerOptions {
  /** How many workers (default: `os.availableParallelism()`). */
  workers?: number;
  /** The host to listen on (default `"127.0.0.1"`, as mpsrv.py; null: every interface). */
  host?: string | null;
  /** The port (default 8080); 0 picks a free port, the same for every worker. */
  port?: number;
  /** The listen backlog. */
  backlog?: number;
  /** What each worker serves, the low-level way: the protocol factory for `loop.createServer`. */
  protocolFactory?: ProtocolFactory;
  /** What each worker serves, the web way: an application (or a function making it, in the worker). */
  app?: Application | (() => Application | PromiseLike<Application>);
  /** Seconds between asking a worker to stop and killing it (default: shutdownTimeout + 5). */
  killTimeout?: number;
  /**
   * Seconds before restarting a worker that died within 5 seconds of starting (default 0.5);
   * doubled each time it happens again in a row, up to `maxRestartDelay`. A worker that ran
   * longer is restarted at once.
   */
  restartDelay?: number;
  /** The longest wait before a restart, in seconds (default 30). */
  maxRestartDelay?: number;
}

/** What the primary and its workers say to each other, next to Node's own cluster messages. */
const TAG = "asyncio-ts:supervisor";
type SupervisorMessage = { tag: typeof TAG; kind: "listening"; addresses: (Address | string)[] } | { tag: typeof TAG; kind: "shutdown" };

function isOurs(msg: unknown): msg is SupervisorMessage {
  return typeof msg === "object" && msg !== null && (msg as { tag?: unknown }).tag === TAG;
}

/** A worker that died within this many seconds of starting is restarted after a back-off. */
const MIN_UPTIME = 5;

/** One place for a worker: the worker in it now, and its back-off. */
interface Slot {
  worker: Worker | null;
  startedAt: number;
  listening: boolean;
  /** The back-off before the next restart (0: none). */
  delay: number;
  restartTimer: NodeJS.Timeout | null;
  killTimer: NodeJS.Timeout | null;
}

/**
 * The multi-process server (the class's `mpsrv.py`, its `Supervisor`): run the same script in
 * the primary and in every worker (node:cluster runs the script again in each worker) and call
 * `start()` in each. In the primary it forks `workers` workers and watches them; in a worker it
 * serves `protocolFactory` (the low-level way) or `app` (a web application) on the shared port,
 * on its own asyncio-ts loop.
 *
 * - A worker that exits is replaced: at once if it ran for 5 seconds or more, else after a
 *   back-off (`restartDelay`, doubling up to `maxRestartDelay`) so a crashing worker does not spin.
 * - SIGINT or SIGTERM to the primary (or `close()`) stops it: each worker stops listening,
 *   finishes its requests in flight (cancelled after `shutdownTimeout`) and exits; one still
 *   running after `killTimeout` is killed. A worker stops the same way on its own SIGINT/SIGTERM
 *   (and is then replaced, unless the primary is stopping).
 * - Workers exit with the primary if it dies. A worker finds its place (0 to workers - 1) in
 *   `process.env.ASYNCIO_TS_WORKER`.
 * - Node's cluster hands each connection to a worker over IPC (round-robin): a connection
 *   handed to a worker in the instant it dies, before the primary hears of it, is lost (its
 *   client times out); every other one is answered.
 *
 * `web.runApp(app, { workers })` is this, with aiohttp's banner.
 * @example
 * ```ts
 * // mpsrv.ts: node mpsrv.js
 * const supervisor = new aiohttp.Supervisor({
 *   workers: 2, host: "127.0.0.1", port: 8080,
 *   protocolFactory: () => new HttpRequestHandler({ keepAlive: 75 }),
 * });
 * await supervisor.start();
 * if (cluster.isPrimary) console.log("serving on", supervisor.addresses);
 * await supervisor.waitClosed();
 * ```
 */
export class Supervisor {
  /** How many workers the primary keeps. */
  readonly workers: number;
  private readonly _options: SupervisorOptions;
  private readonly _slots: Slot[] = [];
  private _started = false;
  private _closing = false;
  private _addresses: (Address | string)[] = [];
  private _startWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private readonly _closed: Promise<void>;
  private _resolveClosed!: () => void;
  /** In a worker: stops serving. */
  private _stopWorker: (() => void) | null = null;

  /** @throws RangeError for a number of workers below 1; TypeError without `protocolFactory` or `app`, or with both. */
  constructor(options: SupervisorOptions) {
    this.workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new RangeError(`workers must be a whole number of at least 1, not ${options.workers}`);
    if ((options.protocolFactory === undefined) === (options.app === undefined)) throw new TypeError("Supervisor needs one of protocolFactory and app");
    this._options = options;
    this._closed = new Promise((resolve) => (this._resolveClosed = resolve));
  }

  /** True in the primary (the supervising process), false in a worker. */
  get isPrimary(): boolean {
    return cluster.isPrimary;
  }

  /**
   * Where the workers listen, `[host, port]` pairs (the real port when 0 was asked for);
   * empty before `start()` settles.
   */
  get addresses(): (Address | string)[] {
    return this._addresses;
  }

  /** The process ids of the workers running now (in the primary; empty in a worker). */
  workerPids(): number[] {
    const pids: number[] = [];
    for (const s of this._slots) if (s.worker?.process.pid !== undefined) pids.push(s.worker.process.pid);
    return pids;
  }

  /**
   * Starts: in the primary, forks the workers and settles once every one listens; in a worker,
   * starts serving and settles once it listens.
   * @throws Error (rejects) when called twice, or when a worker exits before it listens
   *   (the others are then stopped); in a worker, the error that kept it from listening.
   */
  start(): Promise<void> {
    if (this._started) return Promise.reject(new Error("Supervisor.start() was already called"));
    this._started = true;
    if (!cluster.isPrimary) return this._startWorker();
    process.on("SIGINT", this._onSignal);
    process.on("SIGTERM", this._onSignal);
    for (let i = 0; i < this.workers; i++) {
      this._slots.push({ worker: null, startedAt: 0, listening: false, delay: 0, restartTimer: null, killTimer: null });
      this._fork(i);
    }
    return new Promise((resolve, reject) => (this._startWaiter = { resolve, reject }));
  }

  /**
   * Stops gracefully (see the class): in the primary every worker, in a worker this one.
   * Idempotent; `waitClosed()` waits for the end.
   */
  close(): void {
    if (!cluster.isPrimary) {
      this._stopWorker?.();
      return;
    }
    if (this._closing) return;
    this._closing = true;
    process.off("SIGINT", this._onSignal);
    process.off("SIGTERM", this._onSignal);
    this._failStart(new Error("Supervisor was closed before its workers listened"));
    const killTimeout = this._options.killTimeout ?? (this._options.shutdownTimeout ?? 60) + 5;
    for (const slot of this._slots) {
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
      const worker = slot.worker;
      if (worker === null) continue;
      // A closed channel is a worker on its way out already (the kill below makes sure).
      worker.send({ tag: TAG, kind: "shutdown" } satisfies SupervisorMessage, ignoreError);
      slot.killTimer = setTimeout(() => worker.process.kill("SIGKILL"), killTimeout * 1000);
    }
    this._checkClosed();
  }

  /** Settles once stopped: in the primary, when every worker has exited; in a worker, when it stopped serving. */
  waitClosed(): Promise<void> {
    return this._closed;
  }

  private readonly _onSignal = (signal: NodeJS.Signals): void => {
    logger.info(`Supervisor: ${signal}, stopping the workers`);
    this.close();
  };

  private _fork(index: number): void {
    const slot = this._slots[index] as Slot;
    const worker = cluster.fork({ ASYNCIO_TS_WORKER: String(index) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.listening = false;
    worker.on("message", (msg: unknown) => {
      if (!isOurs(msg) || msg.kind !== "listening" || slot.worker !== worker) return;
      slot.listening = true;
      this._addresses = msg.addresses;
      if (this._startWaiter !== null && this._slots.every((s) => s.listening)) {
        this._startWaiter.resolve();
        this._startWaiter = null;
      }
    });
    worker.on("exit", (code: number | null, signal: NodeJS.Signals | null) => this._onExit(index, worker, code, signal));
    // A failed fork or message: its exit (or its absence) is what counts, and the primary goes on.
    worker.on("error", (err: Error) => logger.warning(`Supervisor: worker ${worker.process.pid}: ${err.message}`));
    logger.info(`Supervisor: started worker ${worker.process.pid}`);
  }

  private _onExit(index: number, worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const slot = this._slots[index] as Slot;
    if (slot.worker !== worker) return;
    slot.worker = null;
    if (slot.killTimer !== null) clearTimeout(slot.killTimer);
    slot.killTimer = null;
    if (this._closing) {
      this._checkClosed();
      return;
    }
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    if (this._startWaiter !== null && !slot.listening) {
      // A worker that cannot start now would not start after a restart either.
      this._failStart(new Error(`Supervisor: worker ${worker.process.pid} exited with ${how} before it listened`));
      this.close();
      return;
    }
    const uptime = (Date.now() - slot.startedAt) / 1000;
    const first = this._options.restartDelay ?? 0.5;
    slot.delay = uptime >= MIN_UPTIME ? 0 : slot.delay === 0 ? first : Math.min(slot.delay * 2, this._options.maxRestartDelay ?? 30);
    logger.warning(`Supervisor: worker ${worker.process.pid} exited with ${how}; starting another${slot.delay > 0 ? ` in ${slot.delay} s` : ""}`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (!this._closing) this._fork(index);
    }, slot.delay * 1000);
  }

  private _failStart(err: Error): void {
    const waiter = this._startWaiter;
    this._startWaiter = null;
    waiter?.reject(err);
  }

  private _checkClosed(): void {
    if (this._slots.every((s) => s.worker === null)) this._resolveClosed();
  }

  // -- In a worker -------------------------------------------------------------------------------

  private _startWorker(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      const serve = async (): Promise<void> => {
        const loop = getRunningLoop();
        const signal = new ShutdownSignal(loop);
        const onMessage = (msg: unknown): void => {
          if (isOurs(msg) && msg.kind === "shutdown") signal.stop();
        };
        process.on("message", onMessage);
        this._stopWorker = () => signal.stop();
        try {
          const shutdown = await this._listen();
          listening = true;
          process.send?.({ tag: TAG, kind: "listening", addresses: this._addresses } satisfies SupervisorMessage);
          resolve();
          try {
            await signal.future;
          } finally {
            await shutdown();
          }
        } finally {
          signal.dispose();
          process.off("message", onMessage);
        }
      };
      // On the loop running (a script's own asyncio.run) as a task, else on a loop of its own.
      const loop = _getRunningLoop();
      const served: PromiseLike<void> = loop !== null ? loop.createTask(serve) : run(serve);
      served.then(
        () => this._endWorker(0),
        (err: unknown) => {
          if (listening) logger.error("Supervisor: the worker failed", err);
          else reject(err);
          this._endWorker(1);
        },
      );
    });
  }

  /** Listens as the options say; returns how to stop gracefully. */
  private async _listen(): Promise<() => Promise<void>> {
    const options = this._options;
    const host = options.host === undefined ? "127.0.0.1" : options.host;
    const port = options.port ?? 8080;
    if (options.app !== undefined) {
      const app = typeof options.app === "function" ? await options.app() : options.app;
      // What is left once the supervisor's own options are taken out is the runner's.
      const { workers: _w, host: _h, port: _p, backlog, protocolFactory: _f, app: _a, killTimeout: _k, restartDelay: _r, maxRestartDelay: _m, ...runnerOptions } = options;
      const runner = new AppRunner(app, runnerOptions);
      await runner.setup();
      try {
        await new TCPSite(runner, host, port, { backlog }).start();
      } catch (err) {
        await runner.cleanup();
        throw err;
      }
      this._addresses = runner.addresses;
      return async () => await runner.cleanup();
    }
    const srv = await getRunningLoop().createServer(options.protocolFactory as ProtocolFactory, host, port, { backlog: options.backlog });
    this._addresses = srv.sockets.map((s) => s.getsockname());
    return async () => await closeGracefully(srv, options.shutdownTimeout ?? 60);
  }

  private _endWorker(exitCode: number): void {
    if (exitCode !== 0) process.exitCode = exitCode;
    this._resolveClosed();
    // Leaving the cluster closes the IPC channel, which is all that keeps the process alive now.
    if (cluster.worker?.isConnected()) cluster.worker.disconnect();
  }

  toString(): string {
    return cluster.isPrimary ? `<Supervisor ${this.workerPids().length}/${this.workers} workers>` : `<Supervisor worker ${process.pid}>`;
  }
}

function ignoreError(): void {}

/**
 * Stops a low-level server gracefully: no new connections; each HTTP connection ends after
 * the response it is busy with (ServerHttpProtocol.shutdown), any other closes now.
 */
async function closeGracefully(srv: Server, timeout: number): Promise<void> {
  srv.close();
  const waits = [];
  for (const transport of srv._transports) {
    const protocol = transport.getProtocol();
    if (protocol instanceof ServerHttpProtocol) waits.push(protocol.shutdown(timeout));
    else transport.close();
  }
  await gather(...waits);
  await srv.waitClosed();
}
