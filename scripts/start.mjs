// `npm start`: installs what is missing, builds, registers the kernel and opens JupyterLab on
// the lessons (notebooks/). A JupyterLab already on PATH is used; otherwise a project-local one
// is installed into .venv. Arguments after `--` go to JupyterLab (`npm start -- --no-browser`).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { build, ensureNodeModules, ensureVenv, root } from "./ensure.mjs";

ensureNodeModules();
build();

const cli = join(root, "dist", "cli", "main.js");
const onPath = spawnSync("jupyter-lab", ["--version"], { encoding: "utf8" });
let lab;
if (onPath.status === 0) {
  lab = "jupyter-lab";
  run(process.execPath, [cli, "install", "--user"]);
} else {
  const python = ensureVenv(["jupyterlab"]);
  lab = join(python, "..", "jupyter-lab");
  // Into the venv's own prefix: that JupyterLab finds it, and nothing outside the project changes.
  run(process.execPath, [cli, "install", "--prefix", join(root, ".venv")]);
}

const notebooks = join(root, "notebooks");
mkdirSync(notebooks, { recursive: true });
process.stderr.write(`[start] opening JupyterLab on ${notebooks} (Ctrl-C to stop)\n`);
// JupyterLab refuses to run as root unless told to (containers and CI machines run as root).
const rootFlag = process.getuid?.() === 0 && !process.argv.includes("--allow-root") ? ["--allow-root"] : [];
const child = spawn(lab, [`--ServerApp.root_dir=${notebooks}`, ...rootFlag, ...process.argv.slice(2)], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
