// `npm start` as a new user runs it, on a fresh copy of the repository: the tracked files (as in
// this work tree) without dist/, .cache/ or the venv's fence and kernelspec; node_modules and the
// venv's packages come from this checkout (a folder of links and a hard-linked copy of .venv, so
// the test takes seconds, and nothing it writes reaches this checkout's files). The copy's
// `npm start` builds, fences the venv, registers the kernel in the copy's venv, starts JupyterLab
// and prints the URL; Ctrl+C (SIGINT to its process group, as a terminal sends it) must leave no
// process and no bound port. Also the instructor mode, Notebook 7, and the flags' errors.
// install/jupyterlab.mjs is the module under test; test/clients/test_start_console.py covers
// `npm start -- console`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { descendants, ensureJupyter, KERNEL_NAME, root } from "../../install/jupyterlab.mjs";
import { alive, portBound } from "./helpers.js";

const PYTHON3 = spawnSync("python3", ["--version"]).status === 0 || existsSync(join(root, ".venv", "bin", "python"));
/** What a terminal must never show on start (issue 12): Node loading JupyterLab's scripts as ESM, Python errors. */
const NOISE = /Dynamic require of|require is not defined|Traceback \(most recent call last\)|goroutine \d+|^\[E /m;

let copy = "";

/** A copy of the repository as a fresh clone has it, sharing this checkout's installed packages. */
function freshCopy(): string {
  const dir = join(root, ".cache", "test-start", `copy-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" }).stdout.split("\0").filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(root, file))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(root, file), join(dir, file));
  }
  // node_modules: a link per package, and the stamp ensureNodeModules compares, for the copy's own
  // package.json (so `npm ci` does not run; if it did, it would only remove these links).
  mkdirSync(join(dir, "node_modules"));
  for (const entry of readdirSync(join(root, "node_modules"))) {
    if (entry !== ".asyncio-ts-stamp") symlinkSync(join(root, "node_modules", entry), join(dir, "node_modules", entry));
  }
  const hash = createHash("sha256");
  for (const f of ["package.json", "package-lock.json"]) if (existsSync(join(dir, f))) hash.update(readFileSync(join(dir, f)));
  writeFileSync(join(dir, "node_modules", ".asyncio-ts-stamp"), hash.digest("hex"));
  // The venv, hard-linked (same packages, no copying); what npm start writes there is removed
  // first, so the copy proves it writes them, and files written in place are unlinked from ours.
  // The venv's real folder: a work tree whose .venv links to another checkout's must not have the
  // copy's link point into that venv (what is removed below would be removed there).
  const cp = spawnSync("cp", ["-al", realpathSync(join(root, ".venv")), join(dir, ".venv")]);
  if (cp.status !== 0) throw new Error(`cp -al .venv failed: ${cp.stderr}`);
  rmSync(join(dir, ".venv", "package.json"), { force: true });
  rmSync(join(dir, ".venv", "share", "jupyter", "kernels", KERNEL_NAME), { recursive: true, force: true });
  const stamp = join(dir, ".venv", ".asyncio-ts-packages");
  const packages = readFileSync(stamp);
  unlinkSync(stamp);
  writeFileSync(stamp, packages);
  return dir;
}

interface Started {
  child: ChildProcess;
  url: URL;
  token: string;
  base: string;
  out: () => string;
  exited: Promise<number | null>;
}

/** `npm start -- ARGS` in `cwd`, in a process group of its own (a terminal's foreground job); resolves once it prints the URL. */
async function npmStart(cwd: string, args: string[]): Promise<Started> {
  const child = spawn("npm", ["start", "--", ...args], {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // The project's venv even where a Jupyter is on PATH: the test registers nothing for the user.
    env: { ...process.env, ASYNCIO_TS_JUPYTER: "venv", BROWSER: "true" },
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*token=(\w+))/.exec(out);
    if (m !== null) {
      const url = new URL(m[1] as string);
      return { child, url, token: m[2] as string, base: `${url.origin}/`, out: () => out, exited };
    }
    if (done || Date.now() > deadline) {
      stopGroup(child);
      throw new Error(`npm start ${args.join(" ")} printed no URL:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

/** The command line of a process (Linux), "" once it is gone. */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

async function api(s: Started, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${s.base}${path}`, { ...init, headers: { Authorization: `token ${s.token}`, "Content-Type": "application/json", ...init.headers } });
}

/**
 * Ctrl+C as a terminal sends it (SIGINT to the foreground process group: npm, its shell, node);
 * then every process npm start started must end, and the port be free. npm and its shell die of
 * the signal (npm's exit code is null) while scripts/start.mjs stops JupyterLab and its kernels.
 */
async function ctrlC(s: Started): Promise<number[]> {
  const family = descendants(s.child.pid as number);
  stopGroup(s.child, "SIGINT");
  await s.exited;
  const deadline = Date.now() + 20_000;
  while (family.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return family;
}

describe.skipIf(!PYTHON3 || process.platform !== "linux")("npm start on a fresh copy of the repository", () => {
  beforeAll(() => {
    // This checkout's venv gets what npm start needs first (pip, once): the copy only links to it.
    ensureJupyter({ venv: true });
    copy = freshCopy();
  }, 900_000);

  afterAll(() => {
    if (copy !== "") rmSync(copy, { recursive: true, force: true });
  });

  test("prints a URL whose server answers with the token, lists asyncio-ts as the default kernel, and Ctrl+C leaves no process and no port", async () => {
    const t0 = Date.now();
    const s = await npmStart(copy, ["--no-browser", "--port", "0"]);
    const startMs = Date.now() - t0;
    try {
      expect(s.url.pathname).toBe("/lab/tree/00-welcome.ipynb");
      expect((await api(s, "api/status")).status).toBe(200);
      expect((await fetch(`${s.base}api/status`)).status).toBe(403); // the token is needed
      const specs = (await (await api(s, "api/kernelspecs")).json()) as { default: string; kernelspecs: Record<string, { spec: { argv: string[] } }> };
      expect(specs.default).toBe(KERNEL_NAME);
      // Registered in the copy's own venv, running the copy's own build.
      expect(specs.kernelspecs[KERNEL_NAME]?.spec.argv[1]).toBe(join(copy, "dist", "cli", "main.js"));
      expect(existsSync(join(copy, ".venv", "share", "jupyter", "kernels", KERNEL_NAME, "kernel.json"))).toBe(true);
      expect(JSON.parse(readFileSync(join(copy, ".venv", "package.json"), "utf8"))).toEqual({ type: "commonjs" });
      // A kernel, as opening a notebook starts one, so that Ctrl+C has one to end.
      const kernel = (await (await api(s, "api/kernels", { method: "POST", body: JSON.stringify({ name: KERNEL_NAME }) })).json()) as { id: string };
      expect(kernel.id).toBeTruthy();
      const deadline = Date.now() + 30_000;
      while (!descendants(s.child.pid as number).some((pid) => cmdline(pid).includes(join(copy, "dist", "cli", "main.js")))) {
        if (Date.now() > deadline) throw new Error("no kernel process under npm start");
        await new Promise((r) => setTimeout(r, 100));
      }
      const family = await ctrlC(s);
      expect(s.out()).toContain("[start] stopping JupyterLab (Ctrl+C)");
      expect(family.length).toBeGreaterThanOrEqual(3); // node start.mjs, jupyter, the kernel (and npm's shell)
      expect(family.filter(alive).map((pid) => `${pid} ${cmdline(pid)}`)).toEqual([]);
      expect(await portBound(Number(s.url.port))).toBe(false);
      expect(s.out()).not.toMatch(NOISE);
      expect(
        s
          .out()
          .split("\n")
          .filter((l) => l.length > 500),
      ).toEqual([]); // no minified JavaScript
      console.log(`npm start on a fresh copy (build, fence, register, start): URL after ${startMs} ms`);
    } finally {
      stopGroup(s.child);
    }
  }, 300_000);

  test("--demo 05-futures starts the lesson's kernel (idle, nothing run) before the URL is printed, in presentation mode with larger fonts", async () => {
    const s = await npmStart(copy, ["--no-browser", "--demo", "05-futures"]);
    try {
      expect(s.url.pathname).toBe("/lab/tree/05-futures.ipynb");
      const sessions = (await (await api(s, "api/sessions")).json()) as { path: string; kernel: { name: string; execution_state: string } }[];
      expect(sessions.map((x) => [x.path, x.kernel.name, x.kernel.execution_state])).toEqual([["05-futures.ipynb", KERNEL_NAME, "idle"]]);
      // The theme's font sizes, from the demo's own settings folder (not the user's).
      const themes = (await (await api(s, "lab/api/settings/@jupyterlab/apputils-extension:themes")).json()) as { raw: string };
      expect(JSON.parse(themes.raw).overrides["code-font-size"]).toMatch(/^\d+px$/);
      // The extension that turns presentation mode on is served to this JupyterLab.
      const entry = await (await api(s, "lab/extensions/asyncio-ts-presentation/static/remoteEntry.js")).text();
      expect(entry).toContain("application:toggle-presentation-mode");
      expect(entry).not.toContain("__PRESENTATION_FONT_SIZE__");
      const family = await ctrlC(s);
      expect(family.filter(alive)).toEqual([]);
      expect(await portBound(Number(s.url.port))).toBe(false);
      expect(s.out()).not.toMatch(NOISE);
    } finally {
      stopGroup(s.child);
    }
  }, 300_000);

  test("--notebook opens the welcome lesson in Jupyter Notebook 7", async () => {
    const s = await npmStart(copy, ["--no-browser", "--notebook"]);
    try {
      expect(s.url.pathname).toBe("/notebooks/00-welcome.ipynb");
      const page = await api(s, "notebooks/00-welcome.ipynb");
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("jupyter-config-data");
      const family = await ctrlC(s);
      expect(family.filter(alive)).toEqual([]);
      expect(await portBound(Number(s.url.port))).toBe(false);
    } finally {
      stopGroup(s.child);
    }
  }, 300_000);

  test("--dir DIR without 00-welcome.ipynb opens the folder; --Class.trait=value goes to Jupyter", async () => {
    const dir = join(copy, ".cache", "own-notebooks");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "mine.ipynb"), JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    const s = await npmStart(copy, ["--no-browser", "--dir", dir, "--ServerApp.base_url=/course/"]);
    try {
      expect(s.url.pathname).toBe("/course/lab");
      const contents = (await (await api(s, "course/api/contents")).json()) as { content: { name: string }[] };
      expect(contents.content.map((c) => c.name)).toEqual(["mine.ipynb"]);
      const family = await ctrlC(s);
      expect(family.filter(alive)).toEqual([]);
    } finally {
      stopGroup(s.child);
    }
  }, 300_000);

  test("--port N of a port in use says so and exits 1; an unknown flag prints the usage and exits 2", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = spawnSync("node", [join(copy, "scripts", "start.mjs"), "--no-browser", "--port", String(port)], {
        cwd: copy,
        encoding: "utf8",
        env: { ...process.env, ASYNCIO_TS_JUPYTER: "venv" },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`port ${port} is in use`);
    } finally {
      busy.close();
    }
    const bad = spawnSync("node", [join(copy, "scripts", "start.mjs"), "--bogus"], { cwd: copy, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown argument "--bogus"');
    expect(bad.stderr).toContain("--demo LESSON");
  }, 120_000);
});
