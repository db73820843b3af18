// Helpers shared by the HTTP server tests (test/asyncio/http/, test/asyncio/rest/).
import * as asyncio from "../../../src/asyncio/index.js";
import type { LogRecord } from "../../../src/asyncio/index.js";
import { onCleanup } from "../../helpers.js";

/** The port a server listens on. */
export function portOf(server: asyncio.Server): number {
  return (server.sockets[0]!.getsockname() as [string, number])[1];
}

/** Captures what the `asyncio` logger reports during the test (and keeps it off stderr). */
export function captureLog(): LogRecord[] {
  const records: LogRecord[] = [];
  const handler = (r: LogRecord): void => {
    records.push(r);
  };
  asyncio.logger.addHandler(handler);
  onCleanup(() => asyncio.logger.removeHandler(handler));
  return records;
}

/** Closes a server and the connections it kept alive, and waits until they are gone. */
export async function closeServer(loop: asyncio.EventLoop, srv: asyncio.Server): Promise<void> {
  srv.close();
  srv.closeClients();
  await loop.runUntilComplete(srv.waitClosed());
}
