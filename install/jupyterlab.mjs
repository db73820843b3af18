// The project's JupyterLab: makes sure one is there (the user's own on PATH, or a project-local
// one in .venv), registers the asyncio-ts kernel with it, and starts JupyterLab (or Jupyter
// Notebook 7) on the lessons with a token, the kernel as the default, a quiet terminal, and a
// stop() that leaves nothing running. `npm start` (scripts/start.mjs) is a thin front to this;
// the browser tests start their JupyterLab through it too. Installing npm packages and building
// dist/ are left to install/ensure.mjs.
//
// Plain ESM JavaScript with JSDoc, like scripts/*.mjs: it runs with plain node once dist/ is built.

import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureVenv } from "./ensure.mjs";

/** The repository's root folder. */
export const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** The kernelspec's name, as `jupyter kernelspec list` shows it and notebooks name it. */
export const KERNEL_NAME = "asyncio-ts";
/** The lessons, JupyterLab's root folder unless told otherwise. */
export const LESSONS_DIR = join(root, "notebooks");
/** The lesson JupyterLab opens on. */
export const WELCOME = "00-welcome.ipynb";
/** Where JupyterLab's state for this project lives (workspaces, the instructor mode's settings). */
export const STATE_DIR = join(root, ".cache", "jupyterlab");
/** The instructor mode's JupyterLab extension (install/labextensions/asyncio-ts-presentation). */
const LABEXTENSIONS = join(root, "install", "labextensions");

/** What the venv gets: JupyterLab 4 and Jupyter Notebook 7 (the `notebook` package). */
const JUPYTER_PACKAGES = ["jupyterlab", "notebook"];

/**
 * The instructor mode's font sizes: JupyterLab's theme overrides (the whole interface), and the
 * presentation mode's own sizes for notebook text and code (the extension sets those).
 */
export const DEMO_FONT_SIZES = { "ui-font-size1": "16px", "code-font-size": "18px", "content-font-size1": "18px", presentation: "24px" };

/**
 * @typedef {object} Jupyter  What ensureJupyter found or installed.
 * @property {"path" | "venv"} source  the user's Jupyter on PATH, or the project's .venv
 * @property {string} python  the Python that runs that Jupyter
 * @property {{ lab: string[], notebook: string[], console: string[] | null }} commands
 *   argv prefixes that start `jupyter lab`, `jupyter notebook` and (when asked for) `jupyter console`
 * @property {Record<string, string>} env  what to add to the environment of those commands
 * @property {string} kernelspec  the folder the asyncio-ts kernelspec was written to
 */

/**
 * Makes sure a JupyterLab 4 and a Jupyter Notebook 7 (and `jupyter console` when `console` is
 * true) are there, and registers the asyncio-ts kernel with them.
 *
 * The user's own Jupyter on PATH is used when it has all of them (the kernel is then registered
 * for the user, `install --user`); otherwise, or when `venv` is true (the default when
 * ASYNCIO_TS_JUPYTER=venv), the project-local venv in .venv, made and filled from PyPI when
 * something is missing, and fenced off from this package's `"type": "module"` with a package.json
 * of its own (install/ensure.mjs, fenceVenv). The kernel is registered into that venv's prefix
 * (`install --prefix .venv`), so nothing outside the project changes.
 *
 * Synchronous (it runs pip and the installer to completion); `await` on it works too.
 * Needs dist/ built (the kernelspec points at dist/cli/main.js).
 * @param {{ console?: boolean, venv?: boolean }} [options]
 * @returns {Jupyter}
 * @throws {Error} when Python 3 or its venv module is missing, or pip fails; the message says what to install.
 */
export function ensureJupyter({ console = false, venv = process.env.ASYNCIO_TS_JUPYTER === "venv" } = {}) {
  const nodeDir = dirname(process.execPath);
  const env = { PATH: [nodeDir, process.env.PATH ?? ""].join(delimiter) };
  if (!venv) {
    const found = jupyterOnPath(console);
    // The project's own venv on PATH (activated) is still the project's: fenced, registered there.
    if (found !== null && !found.python.startsWith(join(root, ".venv") + "/")) {
      const kernelspec = registerKernel(["--user"]);
      return { source: "path", python: found.python, commands: found.commands, env, kernelspec };
    }
  }
  const python = ensureProjectVenv(console ? [...JUPYTER_PACKAGES, "jupyter_console"] : JUPYTER_PACKAGES);
  const prefix = join(root, ".venv");
  const kernelspec = registerKernel(["--prefix", prefix]);
  // `python -m` rather than .venv/bin/jupyter-*: those scripts name the python of the venv they
  // were installed in, and this one also runs from a copy of the venv.
  const commands = {
    lab: [python, "-m", "jupyterlab"],
    notebook: [python, "-m", "notebook"],
    console: console ? [python, "-m", "jupyter_console"] : null,
  };
  return { source: "venv", python, commands, env, kernelspec };
}

/**
 * The user's JupyterLab >= 4 and Notebook >= 7 (and console) on PATH, or null when one is missing.
 * @param {boolean} console
 * @returns {{ python: string, commands: Jupyter["commands"] } | null}
 */
function jupyterOnPath(console) {
  const major = (cmd) => {
    const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
    return r.status === 0 ? Number(/(\d+)\./.exec(r.stdout)?.[1] ?? 0) : 0;
  };
  if (major("jupyter-lab") < 4 || major("jupyter-notebook") < 7) return null;
  if (console && major("jupyter-console") < 6) return null;
  // `python -m module` with the script's own Python where its #! line names one (so the server
  // runs under the parent watch, see launch), else the script itself.
  const command = (script, module) => {
    const python = pythonOf(script);
    return python !== null ? [python, "-m", module] : [script];
  };
  return {
    python: pythonOf("jupyter-lab") ?? "python3",
    commands: {
      lab: command("jupyter-lab", "jupyterlab"),
      notebook: command("jupyter-notebook", "notebook"),
      console: console ? command("jupyter-console", "jupyter_console") : null,
    },
  };
}

/** The Python a script on PATH runs with (its #! line), or null when that cannot be told. */
function pythonOf(command) {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const file = join(dir, command);
    if (!existsSync(file)) continue;
    const first = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
    const m = /^#!\s*(\S+)/.exec(first);
    return m !== null && m[1] !== undefined && !m[1].endsWith("/env") && existsSync(m[1]) ? m[1] : null;
  }
  return null;
}

/** ensureVenv, with what a user needs to know when Python or its venv module is missing. */
function ensureProjectVenv(packages) {
  if (!existsSync(join(root, ".venv", "bin", "python"))) {
    const py = spawnSync("python3", ["-c", "import venv, ensurepip"], { encoding: "utf8" });
    if (py.error !== undefined) {
      throw new Error(
        "Python 3 was not found (python3 on PATH). npm start installs JupyterLab into a project-local venv with it: install Python 3 (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python), or put a JupyterLab 4 with Notebook 7 on your PATH.",
      );
    }
    if (py.status !== 0) {
      throw new Error(
        `python3 cannot make a venv (${py.stderr.trim().split("\n").at(-1)}). Install its venv module (Debian/Ubuntu: apt-get install python3-venv), or put a JupyterLab 4 with Notebook 7 on your PATH.`,
      );
    }
  }
  return ensureVenv(packages);
}

/** Runs `node dist/cli/main.js install ARGS`; returns the kernelspec folder it wrote. */
function registerKernel(args) {
  const cli = join(root, "dist", "cli", "main.js");
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm run build)`);
  const r = spawnSync(process.execPath, [cli, "install", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`registering the kernel failed: ${r.stderr || r.stdout}`);
  return r.stdout.trim().replace(/^.* in /, "");
}

/**
 * The lesson file a `--demo` argument names in `dir`: "05-futures", "05", "05-futures.ipynb" or a
 * path to it.
 * @param {string} lesson
 * @param {string} [dir]
 * @returns {string} the file's name in `dir`
 * @throws {Error} naming the lessons there when none matches
 */
export function resolveLesson(lesson, dir = LESSONS_DIR) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  const want = basename(lesson).replace(/\.ipynb$/, "");
  const match = files.find((f) => f === `${want}.ipynb`) ?? files.find((f) => f.startsWith(`${want}-`));
  if (match === undefined) throw new Error(`no lesson ${JSON.stringify(lesson)} in ${dir}; the lessons are: ${files.map((f) => f.replace(/\.ipynb$/, "")).join(", ")}`);
  return match;
}

/**
 * @typedef {object} RunningJupyter
 * @property {string} url  the page to open, token included (`.../lab/tree/00-welcome.ipynb?token=...`)
 * @property {string} token
 * @property {string} baseUrl  `http://127.0.0.1:PORT/` (with the base path when one is given in args)
 * @property {number} port
 * @property {import("node:child_process").ChildProcess} process  the server (its own process group)
 * @property {{ id: string, kernel: { id: string, name: string } } | null} session
 *   the instructor mode's session for its lesson (kernel started and idle), else null
 * @property {() => string} output  everything the server printed so far
 * @property {() => Promise<void>} stop  ends the server and everything it started (kernels too)
 */

/**
 * Starts `jupyter lab` (or `jupyter notebook`) on `host` with a token, on the lessons, opening
 * 00-welcome.ipynb (the folder when `dir` has no such file), with the asyncio-ts kernel as the
 * default kernel and a quiet terminal (log level WARN). Resolves once the server answers
 * `/api/status`. JupyterLab keeps its workspaces under .cache/jupyterlab/, not in the user's
 * ~/.jupyter; the user's own settings are left as they are.
 *
 * With `demo` (a lesson: "05-futures", "05" or the file name), the instructor mode: JupyterLab on
 * that lesson alone, in presentation mode, one document at a time, larger fonts, the file browser
 * closed, and the lesson's kernel started and idle before the promise resolves (a session made
 * through `/api/sessions`; nothing is run). Its settings and workspace live in
 * .cache/jupyterlab/demo/TOKEN/, made at start and removed by stop().
 *
 * `stop()` ends the server's process group and any process it started (kernels run in sessions of
 * their own), first with SIGTERM (jupyter shuts its kernels down), then SIGKILL after 10 s.
 * @param {object} [options]
 * @param {"lab" | "notebook"} [options.app]  JupyterLab, or Jupyter Notebook 7
 * @param {string} [options.dir]  the root folder (default: notebooks/)
 * @param {number} [options.port]  0 (the default): a free port
 * @param {string} [options.host]
 * @param {boolean} [options.open]  open the URL in the user's browser (Python's webbrowser)
 * @param {string | null} [options.demo]  the instructor mode's lesson
 * @param {string} [options.token]  default: 48 random hex digits
 * @param {Record<string, string>} [options.env]  added to the server's environment
 * @param {string[]} [options.args]  more arguments for jupyter (`--ServerApp.foo=bar`)
 * @param {Jupyter} [options.jupyter]  ensureJupyter()'s result (called when not given)
 * @param {NodeJS.WritableStream | null} [options.log]  where the server's output goes (default stderr)
 * @returns {Promise<RunningJupyter>}
 * @throws {Error} when the server exits or does not answer within 120 s (its output in the message),
 *   or the port asked for is in use
 */
export async function startJupyter({
  app = "lab",
  dir = LESSONS_DIR,
  port = 0,
  host = "127.0.0.1",
  open = true,
  demo = null,
  token = randomBytes(24).toString("hex"),
  env = {},
  args = [],
  jupyter = undefined,
  log = process.stderr,
} = {}) {
  if (app !== "lab" && app !== "notebook") throw new Error(`app must be "lab" or "notebook", not ${JSON.stringify(app)}`);
  if (demo !== null && app !== "lab") throw new Error("the instructor mode (demo) runs in JupyterLab, not Jupyter Notebook");
  dir = resolve(dir);
  if (!existsSync(dir)) throw new Error(`${dir} does not exist`);
  const lesson = demo !== null ? resolveLesson(demo, dir) : null;
  const found = jupyter ?? ensureJupyter();
  const command = found.commands[app];

  const serverArgs = [
    `--ServerApp.ip=${host}`,
    "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`,
    "--ServerApp.open_browser=False",
    `--ServerApp.root_dir=${dir}`,
    `--MappingKernelManager.default_kernel_name=${KERNEL_NAME}`,
    // Warnings and errors only: no banner of INFO lines, no extension list (the URL is ours to print).
    "--ServerApp.log_level=WARN",
    // No websocket pings: a server on 127.0.0.1 needs no keep-alive. jupyter_server's defaults
    // (timeout 90 s > interval 30 s) make Tornado >= 6.5 warn on every connection, and a timeout
    // of 30 s made jupyter_server's own pinger close every kernel connection 30 s after it
    // opened (the browser suite caught it).
    '--ServerApp.tornado_settings={"ws_ping_interval": 0}',
    // Containers and CI machines run as root, which Jupyter refuses unless told.
    ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ];
  // The applications' own logs (JupyterLab's "extension loaded from ..." lines) have their own
  // levels; Notebook 7 loads JupyterLab's server extension too.
  serverArgs.push("--LabApp.log_level=WARN");
  if (app === "notebook") serverArgs.push("--JupyterNotebookApp.log_level=WARN");
  // The instructor mode's folder is this server's own (two may run at once), removed by stop().
  const demoDir = lesson !== null ? join(STATE_DIR, "demo", token.slice(0, 16)) : null;
  if (app === "lab") serverArgs.push(...labStateArgs(demoDir));
  if (dir === LESSONS_DIR) serverArgs.push(...trustLessons(found.python, dir));
  serverArgs.push(...args);

  const fixedPort = port !== 0;
  for (let attempt = 1; ; attempt++) {
    const chosen = fixedPort ? port : await freePort(host);
    if (fixedPort && !(await portIsFree(chosen, host)))
      throw new Error(`port ${chosen} is in use on ${host}: stop what uses it, or choose another (--port N; --port 0 picks a free one)`);
    try {
      const running = await launch(command, [...serverArgs, `--ServerApp.port=${chosen}`], { env: { ...process.env, ...found.env, ...env }, host, port: chosen, token, log });
      const stopServer = running.stop;
      running.stop = async () => {
        await stopServer();
        if (demoDir !== null) rmSync(demoDir, { recursive: true, force: true });
      };
      const base = running.baseUrl;
      const file = lesson ?? (existsSync(join(dir, WELCOME)) ? WELCOME : null);
      let url;
      if (app === "lab") url = `${base}lab${file !== null ? `/tree/${encodeURI(file)}` : ""}?token=${token}`;
      else url = `${base}${file !== null ? `notebooks/${encodeURI(file)}` : "tree"}?token=${token}`;
      if (lesson !== null) {
        try {
          running.session = await warmSession(base, token, lesson);
        } catch (err) {
          await running.stop();
          throw err;
        }
      }
      if (open) openBrowser(found.python, url);
      return { ...running, url };
    } catch (err) {
      // A free port another process took before jupyter bound it: try another one.
      if (!fixedPort && attempt < 3 && /address already in use|port \d+ is not available/i.test(String(err))) continue;
      if (demoDir !== null) rmSync(demoDir, { recursive: true, force: true });
      throw err;
    }
  }
}

/**
 * JupyterLab's workspaces in the project (not ~/.jupyter/lab/workspaces); for the instructor mode
 * (`demoDir`) also its own settings (the theme's font sizes, no news pop-ups) and the extension
 * that turns on presentation mode, in a folder made anew so an earlier layout does not come back.
 * @param {string | null} demoDir
 */
function labStateArgs(demoDir) {
  if (demoDir === null) {
    mkdirSync(join(STATE_DIR, "workspaces"), { recursive: true });
    return [`--LabApp.workspaces_dir=${join(STATE_DIR, "workspaces")}`];
  }
  rmSync(demoDir, { recursive: true, force: true });
  const settings = join(demoDir, "settings");
  const { presentation, ...theme } = DEMO_FONT_SIZES;
  writeSettings(settings, "@jupyterlab/apputils-extension/themes", { overrides: theme });
  writeSettings(settings, "@jupyterlab/apputils-extension/notification", { fetchNews: "false", checkForUpdates: false });
  // The extension reads the presentation font size from its own copy, written with the settings.
  const extension = join(demoDir, "labextensions", "asyncio-ts-presentation");
  cpSync(join(LABEXTENSIONS, "asyncio-ts-presentation"), extension, { recursive: true });
  const entry = join(extension, "static", "remoteEntry.js");
  writeFileSync(entry, readFileSync(entry, "utf8").replaceAll("__PRESENTATION_FONT_SIZE__", presentation));
  mkdirSync(join(demoDir, "workspaces"), { recursive: true });
  return [
    `--LabApp.user_settings_dir=${settings}`,
    `--LabApp.workspaces_dir=${join(demoDir, "workspaces")}`,
    `--LabApp.extra_labextensions_path=${join(demoDir, "labextensions")}`,
  ];
}

/**
 * Signs the lessons (ours, so their HTML and SVG outputs show) in a notary database of the
 * project's own, which the server is pointed at: Jupyter then neither warns "Notebook ... is not
 * trusted" at each one opened nor writes to the user's own database. Only lessons changed since
 * the last signing are signed again (~0.5 s).
 * @returns {string[]} the server's arguments for that database
 */
function trustLessons(python, dir) {
  const notary = join(STATE_DIR, "notary");
  const stamp = join(notary, "signed");
  const since = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const changed = readdirSync(dir).filter((f) => f.endsWith(".ipynb") && statSync(join(dir, f)).mtimeMs > since);
  if (changed.length > 0) {
    mkdirSync(notary, { recursive: true });
    // NotebookNotary itself: `jupyter trust` ignores --NotebookNotary.data_dir (its notary takes
    // the app's own data dir, the user's).
    const sign =
      "import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nwith NotebookNotary(data_dir=sys.argv[1]) as notary:\n    for path in sys.argv[2:]:\n        notary.sign(nbformat.read(path, nbformat.NO_CONVERT))\n";
    const r = spawnSync(python, ["-c", sign, notary, ...changed.map((f) => join(dir, f))], { encoding: "utf8" });
    if (r.status === 0) writeFileSync(stamp, new Date().toISOString() + "\n");
  }
  return [`--NotebookNotary.data_dir=${notary}`];
}

function writeSettings(dir, plugin, value) {
  const file = join(dir, `${plugin}.jupyterlab-settings`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + "\n");
}

/** Runs the module named in argv[1] as `python -m` would, and SIGTERMs it when its parent dies. */
const WATCH_PARENT = `import os, runpy, signal, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=watch, daemon=True).start()
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
`;

/**
 * Spawns the server in a process group of its own (Ctrl+C in the terminal reaches the caller,
 * which stops it: jupyter's own SIGINT handler would ask "Shutdown this Jupyter server (y/[n])?")
 * and waits until `/api/status` answers.
 */
async function launch(command, args, { env, host, port, token, log }) {
  const [cmd, ...pre] = command;
  // `python -m app` runs under a watch that stops the server (SIGTERM: it shuts its kernels down)
  // when its parent dies, so a caller that is killed (SIGKILL, a crashed test) leaves no server.
  const argv = pre[0] === "-m" ? ["-c", WATCH_PARENT, ...pre.slice(1), ...args] : [...pre, ...args];
  const child = spawn(/** @type {string} */ (cmd), argv, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let stopping = false;
  /** @param {Buffer} chunk */
  const take = (chunk) => {
    const text = chunk.toString("utf8");
    output += text;
    // Once stop() has begun, the server's goodbye ("received signal 15, stopping") is not news.
    if (!stopping) log?.write(text);
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => {
    child.once("error", (err) => {
      output += `${err.message}\n`;
      resolve(127);
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal !== null ? 128 : null)));
  });
  let done = false;
  void exited.then(() => (done = true));

  const stop = async () => {
    if (child.pid === undefined) return;
    stopping = true;
    const family = [child.pid, ...descendants(child.pid)];
    if (!done) {
      kill(-child.pid, "SIGTERM");
      const timer = new Promise((r) => setTimeout(r, 10_000, "timeout"));
      if ((await Promise.race([exited, timer])) === "timeout") kill(-child.pid, "SIGKILL");
      await exited;
    }
    // Kernels run in sessions of their own: jupyter shuts them down on SIGTERM, and they exit when
    // their parent dies; whatever is still there now is ended here.
    for (const pid of [...family, ...family.flatMap(descendants)]) kill(pid, "SIGKILL");
  };

  const hostPart = host.includes(":") ? `[${host}]` : host;
  // A base URL given among the arguments (`--ServerApp.base_url=/x/`, the last one wins as in Jupyter).
  const given = args.findLast((a) => /^--(ServerApp\.)?base_url=/.test(a))?.replace(/^[^=]*=/, "") ?? "/";
  const path = `/${given}/`.replace(/\/{2,}/g, "/");
  const baseUrl = `http://${hostPart}:${port}${path}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (done) {
      await stop();
      throw new Error(`jupyter ended before it answered (exit code ${await exited}):\n${output.trim().split("\n").slice(-20).join("\n")}`);
    }
    if (await answers(`${baseUrl}api/status?token=${token}`)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyter did not answer on ${baseUrl} within 120 s:\n${output.trim().split("\n").slice(-20).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { token, baseUrl, port, process: child, session: null, output: () => output, stop };
}

/**
 * Starts the lesson's kernel through the REST API (the session JupyterLab joins when it opens the
 * notebook) and asks it for its kernel_info over the session's websocket, so the kernel is up and
 * has answered once (the server shows it as idle from then on) and the first cell an instructor
 * runs does not wait for it. Nothing is run.
 * @returns {Promise<{ id: string, kernel: { id: string, name: string } }>}
 */
async function warmSession(baseUrl, token, lesson) {
  const headers = { Authorization: `token ${token}`, "Content-Type": "application/json" };
  const res = await fetch(`${baseUrl}api/sessions`, {
    method: "POST",
    headers,
    body: JSON.stringify({ path: lesson, name: lesson, type: "notebook", kernel: { name: KERNEL_NAME } }),
  });
  if (!res.ok) throw new Error(`starting the kernel for ${lesson} failed: ${res.status} ${await res.text()}`);
  const session = /** @type {{ id: string, kernel: { id: string, name: string } }} */ (await res.json());
  await kernelInfo(baseUrl, token, session.kernel.id);
  // The session as the server sees it now (its kernel "idle"; the POST's answer said "starting").
  const now = await fetch(`${baseUrl}api/sessions/${session.id}`, { headers });
  return now.ok ? /** @type {typeof session} */ (await now.json()) : session;
}

/**
 * Sends kernel_info_request on the kernel's channels websocket (jupyter_server's JSON protocol)
 * and resolves with the reply's content; rejects after 60 s. `ws` comes from the project's
 * node_modules (Node 20 has no WebSocket of its own without a flag).
 * @returns {Promise<Record<string, unknown>>}
 */
export async function kernelInfo(baseUrl, token, kernelId, timeoutMs = 60_000) {
  const { default: WebSocket } = await import("ws");
  const session = randomBytes(16).toString("hex");
  const msgId = randomBytes(16).toString("hex");
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}api/kernels/${kernelId}/channels?session_id=${session}&token=${token}`);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${KERNEL_NAME} kernel did not answer kernel_info within ${timeoutMs / 1000} s`)), timeoutMs);
      ws.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.once("open", () => {
        const header = { msg_id: msgId, msg_type: "kernel_info_request", username: "asyncio-ts", session, date: new Date().toISOString(), version: "5.3" };
        ws.send(JSON.stringify({ header, parent_header: {}, metadata: {}, content: {}, channel: "shell", buffers: [] }));
      });
      ws.on("message", (data) => {
        const msg = JSON.parse(String(data));
        if (msg.msg_type === "kernel_info_reply" && msg.parent_header?.msg_id === msgId) {
          clearTimeout(timer);
          resolve(msg.content);
        }
      });
    });
  } finally {
    ws.close();
  }
}

async function answers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Opens `url` in the user's browser the way Jupyter does (Python's webbrowser: $BROWSER, xdg-open, open). */
function openBrowser(python, url) {
  const child = spawn(python, ["-c", "import sys, webbrowser; sys.exit(0 if webbrowser.open(sys.argv[1], new=2) else 1)", url], { stdio: "ignore", detached: true });
  child.on("error", () => {});
  child.on("exit", (code) => {
    if (code !== 0) process.stderr.write("[start] no browser could be opened: open the URL above yourself\n");
  });
  child.unref();
}

/** A port that was free on `host` a moment ago (jupyter is then told to take exactly that one). */
async function freePort(host) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve(undefined));
  });
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

async function portIsFree(port, host) {
  const server = createServer();
  const ok = await new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (ok) await new Promise((r) => server.close(r));
  return ok;
}

function kill(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Every process below `pid` (Linux /proc; elsewhere none are found and stop() relies on jupyter's
 * own shutdown and the kernel's parent watch).
 * @param {number} pid
 * @returns {number[]}
 */
export function descendants(pid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid ...; comm may hold spaces, so split after its last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // ended while we looked
    }
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(/** @type {number} */ (queue.shift())) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * `jupyter console --kernel asyncio-ts` in this terminal (stdio inherited); resolves with its exit
 * code. Ctrl+C belongs to the console (it interrupts the kernel) while it runs, so the caller
 * should ignore SIGINT meanwhile.
 * @param {Jupyter} jupyter  ensureJupyter({ console: true })'s result
 * @param {{ env?: Record<string, string>, args?: string[] }} [options]
 * @returns {Promise<number>}
 */
export function startConsole(jupyter, { env = {}, args = [] } = {}) {
  if (jupyter.commands.console === null) throw new Error("jupyter console is not installed: call ensureJupyter({ console: true })");
  const [cmd, ...pre] = jupyter.commands.console;
  const child = spawn(/** @type {string} */ (cmd), [...pre, "--kernel", KERNEL_NAME, ...args], { stdio: "inherit", env: { ...process.env, ...jupyter.env, ...env } });
  return new Promise((resolve) => {
    child.once("error", (err) => {
      process.stderr.write(`[start] jupyter console failed to start: ${err.message}\n`);
      resolve(127);
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + (signal === "SIGKILL" ? 9 : 15))));
  });
}
