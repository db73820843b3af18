// `npm run slides`: runs every lesson notebook through the kernel and writes its reveal.js deck
// to .cache/slides/ (with the pictures the decks show). `npm run slides -- 03-event-loop` builds
// only the lessons named.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { build, cacheDir, ensureNodeModules, ensureVenv, jupyterPrefixEnv, root } from "../install/ensure.mjs";

ensureNodeModules();
build();
// What executing a notebook and converting it needs (the same packages npm test's notebook tests use).
const python = ensureVenv(["jupyter_client", "nbclient", "nbconvert", "nbformat"]);

// The kernelspec goes into a prefix of the project's own, which Jupyter is pointed at: the decks
// are made with the kernel built from this checkout, whatever else the user has installed.
const prefix = join(cacheDir, "jupyter");
run(process.execPath, [join(root, "dist", "cli", "main.js"), "install", "--prefix", prefix]);
const env = {
  ...process.env,
  ...jupyterPrefixEnv(prefix),
  PATH: `${join(process.execPath, "..")}:${process.env.PATH}`,
};

const notebooks = join(root, "notebooks");
const wanted = process.argv.slice(2);
const files = readdirSync(notebooks)
  .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
const out = join(cacheDir, "slides");
mkdirSync(out, { recursive: true });
if (existsSync(join(notebooks, "images"))) cpSync(join(notebooks, "images"), join(out, "images"), { recursive: true });

let failed = 0;
for (const file of files) {
  process.stderr.write(`[slides] ${file}\n`);
  // --execute runs it top to bottom in the notebook's folder, as JupyterLab would; cells tagged
  // raises-exception may fail, any other error fails the deck.
  const r = spawnSync(
    python,
    [
      "-m",
      "nbconvert",
      "--to",
      "slides",
      "--execute",
      "--ExecutePreprocessor.kernel_name=asyncio-ts",
      "--ExecutePreprocessor.timeout=300",
      "--output-dir",
      out,
      join(notebooks, file),
    ],
    { stdio: "inherit", cwd: notebooks, env },
  );
  if (r.status !== 0) failed++;
}
process.stderr.write(`[slides] ${files.length - failed} of ${files.length} decks in ${out}\n`);
process.exit(failed === 0 ? 0 : 1);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
