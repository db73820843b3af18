// `npm run fuzz -- [options]`: the kernel's frame fuzzer (test/fuzz/fuzzer.mjs; `--help` lists its
// options and message classes). Runs the kernel built in dist/: builds it first when src/ is newer.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { build, ensureNodeModules, root } from "../install/ensure.mjs";

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) t = Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs);
  return t;
}

ensureNodeModules();
const built = join(root, "dist", "cli", "main.js");
if (!existsSync(built) || statSync(built).mtimeMs < newest(join(root, "src"))) build();
const { main } = await import("../test/fuzz/fuzzer.mjs");
try {
  await main(process.argv.slice(2));
} catch (e) {
  console.error(`fuzz: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
