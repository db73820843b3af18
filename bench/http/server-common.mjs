// What the http benchmark's JavaScript servers share: the page they answer, the echo servers'
// command line and way of ending (../echo/server-common.mjs), the line that tells the harness
// the port, and loading an asyncio-ts entry point from dist/ when it is there. A module or name
// that is not built yet is not a failure: the server prints {"unavailable": why} and exits, and
// the harness shows "not available: why" in that row and goes on.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export { serverArgs, serveUntilTold } from "../echo/server-common.mjs";

/** The class's basic server's page (18 bytes; aiorest's `{"hello": "world"}` has the same size). */
export const IT_WORKS = "<h1>It Works!</h1>";

/** Tells the harness the server listens: one JSON line on stdout. */
export function ready(port, extra = {}) {
  process.stdout.write(JSON.stringify({ port, runtime: `node ${process.version}`, ...extra }) + "\n");
}

/** Tells the harness this row cannot run yet, and exits. */
export function unavailable(why) {
  process.stdout.write(JSON.stringify({ unavailable: why }) + "\n");
  process.exit(0);
}

/**
 * The built asyncio-ts entry point `asyncio-ts/<name>` (dist/asyncio/<name>/index.js), once it
 * has every export in `names` ("web.Application": a member of an export); otherwise the row is
 * reported unavailable and the process exits.
 * @param {string} name "http" or "rest"
 * @param {string[]} names
 */
export async function asyncioTs(name, names) {
  const file = fileURLToPath(new URL(`../../dist/asyncio/${name}/index.js`, import.meta.url));
  if (!existsSync(file)) unavailable(`asyncio-ts/${name} is not built (no dist/asyncio/${name}/index.js)`);
  let mod;
  try {
    mod = await import(file);
  } catch (e) {
    unavailable(`asyncio-ts/${name} does not load: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const missing = names.filter((dotted) => dotted.split(".").reduce((o, key) => (o == null ? undefined : o[key]), mod) === undefined);
  if (missing.length > 0) unavailable(`asyncio-ts/${name} has no ${missing.join(", ")} yet`);
  return mod;
}
