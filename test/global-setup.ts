// Runs once before the suite: builds dist/ when it is missing or older than a source file, so that
// tests which run the built package (child-process scripts, packing, the compile worker) see
// today's code also when one test file is run alone. `npm test` builds first, and then this only
// compares file times.
import { build } from "../install/ensure.mjs";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const built = join(root, "dist", "asyncio", "index.js");
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource(join(root, "src"))) return;
  build();
}
