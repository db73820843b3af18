// aiohttp's `web.run_app`: serve an application until SIGINT or SIGTERM, then shut it down
// gracefully; in one process (runner.ts) or in several (../cluster.ts).

import cluster from "node:cluster";
import { _getRunningLoop, getRunningLoop } from "../../events.js";
import type { Address } from "../../protocols.js";
import { run } from "../../runners.js";
import { Supervisor } from "../cluster.js";
import type { Application } from "./app.js";
import { hostPort } from "./request.js";
import { AppRunner, ShutdownSignal, TCPSite, UnixSite, type AppRunnerOptions } from "./runner.js";

/** Options of runApp (aiohttp's keyword arguments, camelCased), and the runner's. */
export interface RunAppOptions extends AppRunnerOptions {
  /** The host (default null: every interface). */
  host?: string | null;
  /** The port (default 8080; 0 picks a free one, printed in the banner). */
  port?: number;
  /** A Unix socket's path to serve on instead of a host and port. */
  path?: string;
  /** The listen backlog (default 128). */
  backlog?: number;
  /** Prints the banner (default `console.log`); null prints nothing. */
  printFn?: ((text: string) => void) | null;
  /**
   * Stop on SIGINT and SIGTERM (default: true when runApp makes its own loop; false inside a
   * running loop, such as a notebook's, where cancelling the awaiting task stops it).
   */
  handleSignals?: boolean;
  /**
   * Serve from this many processes on node:cluster (see `Supervisor`): the script runs again in
   * each worker, where `runApp` serves. Not with `path`.
   */
  workers?: number;
}

/**
 * Serves `app` until SIGINT or SIGTERM (Ctrl+C), then shuts it down gracefully (the requests in
 * flight finish, see AppRunner.cleanup) and settles (aiohttp's `web.run_app`). Prints
 * `======== Running on http://host:port ========` first.
 *
 * Outside a running loop it runs on a loop of its own (`asyncio.run`); inside one (a notebook's
 * cell, a task) it serves on that loop until the awaiting task is cancelled.
 * @throws OSError when the address cannot be listened on; TypeError for `workers` with `path`.
 * @example
 * ```ts
 * const app = new web.Application();
 * app.router.addGet("/", async () => new web.Response({ text: "Hello, world" }));
 * await web.runApp(app, { host: "127.0.0.1", port: 8080 });
 * ```
 */
export async function runApp(app: Application | PromiseLike<Application>, options: RunAppOptions = {}): Promise<void> {
  const { host = null, port = 8080, path, backlog, printFn = console.log, handleSignals, workers, ...runnerOptions } = options;
  const print = printFn ?? ((): void => {});
  if (workers !== undefined) {
    if (path !== undefined) throw new TypeError("runApp(): workers serve a host and port, not a Unix socket's path");
    const supervisor = new Supervisor({ ...runnerOptions, workers, host, port, backlog, app: async () => await app });
    await supervisor.start();
    if (cluster.isPrimary) print(banner(supervisor.addresses.map((a) => urlOf(host, a))));
    await supervisor.waitClosed();
    return;
  }
  const serve = async (signals: boolean): Promise<void> => {
    const runner = new AppRunner(await app, runnerOptions);
    await runner.setup();
    const shutdown = signals ? new ShutdownSignal(getRunningLoop()) : null;
    try {
      const site = path !== undefined ? new UnixSite(runner, path, { backlog }) : new TCPSite(runner, host, port, { backlog });
      await site.start();
      print(banner(runner.sites.map((s) => s.name)));
      await (shutdown?.future ?? getRunningLoop().createFuture());
    } finally {
      shutdown?.dispose();
      await runner.cleanup();
    }
  };
  if (_getRunningLoop() !== null) await serve(handleSignals ?? false);
  else await run(() => serve(handleSignals ?? true));
}

function banner(names: string[]): string {
  return names.map((name) => `======== Running on ${name} ========`).join("\n") + "\n(Press CTRL+C to quit)";
}

function urlOf(host: string | null, address: Address | string): string {
  return typeof address === "string" ? `http://unix:${address}:` : `http://${hostPort(host ?? address[0], address[1])}`;
}
