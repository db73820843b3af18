// The asyncio-ts kernel driven by @jupyterlab/services (the client JupyterLab itself uses) through
// a real `jupyter server`; the server comes from the project's venv, which scripts/test.mjs makes
// and names in ASYNCIO_TS_PYTHON. Without it (plain `npx vitest`) the file is skipped.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KernelManager, KernelMessage, ServerConnection, SessionManager, type Kernel, type Session } from "@jupyterlab/services";
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PYTHON = process.env.ASYNCIO_TS_PYTHON;
/** Every wait in this file ends within this many milliseconds. */
const TIMEOUT = 30_000;
const SKIP_REASON = "skipped: ASYNCIO_TS_PYTHON is not set (run `npm test`, which makes the venv with jupyter_server and sets it)";

if (PYTHON === undefined) console.warn(`test/clients/jupyterlab-services.test.ts ${SKIP_REASON}`);

/** `promise`, or a rejection naming `what` once `ms` have passed. */
async function within<T>(promise: Promise<T>, what: string, ms = TIMEOUT): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `check()` is true; rejects naming `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = TIMEOUT): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A port that was free a moment ago: jupyter server cannot be told to bind port 0. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A `jupyter server` on 127.0.0.1 that sees only the kernelspec built from this checkout. */
class JupyterServer {
  readonly token = randomBytes(24).toString("hex");
  log = "";
  port = 0;
  private _process: ChildProcess | undefined;
  private _exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly _python: string,
    private readonly _dir: string,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async start(): Promise<void> {
    const prefix = join(this._dir, "prefix");
    const install = spawnSync(process.execPath, [join(ROOT, "dist", "cli", "main.js"), "install", "--prefix", prefix], { encoding: "utf8" });
    if (install.status !== 0) throw new Error(`asyncio-ts install failed: ${install.stderr}`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Nothing of the user's Jupyter set-up may leak in: their paths, config and runtime files.
    for (const name of Object.keys(env)) if (name.startsWith("JUPYTER")) delete env[name];
    Object.assign(env, {
      JUPYTER_PATH: join(prefix, "share", "jupyter"),
      JUPYTER_DATA_DIR: join(this._dir, "data"),
      JUPYTER_RUNTIME_DIR: join(this._dir, "runtime"),
      JUPYTER_CONFIG_DIR: join(this._dir, "config"),
      JUPYTER_PLATFORM_DIRS: "1",
    });
    const rootDir = join(this._dir, "notebooks");
    await mkdir(rootDir, { recursive: true });
    // The port was free when picked; another process may take it before the server binds it,
    // so a server that dies of it is started again on another port.
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      this.log = "";
      const child = spawn(
        this._python,
        [
          "-m",
          "jupyter_server",
          "--ServerApp.ip=127.0.0.1",
          `--ServerApp.port=${this.port}`,
          "--ServerApp.port_retries=0",
          `--IdentityProvider.token=${this.token}`,
          "--ServerApp.open_browser=False",
          `--ServerApp.root_dir=${rootDir}`,
          // A container's CI often runs as root, which jupyter server refuses unless told.
          ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
        ],
        // Its own process group, so that stop() ends it and anything it started, whatever happens.
        { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
      );
      this._process = child;
      this._exited = new Promise((resolve) => child.once("exit", () => resolve()));
      child.stdout?.on("data", (d: Buffer) => (this.log += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (this.log += d.toString()));
      if (await this._answers()) return;
      await this.stop();
      if (attempt === 3 || !/address already in use/i.test(this.log)) throw new Error(`jupyter server did not start:\n${this.log}`);
    }
  }

  /** True once /api/status answers; false if the server exits first. */
  private async _answers(): Promise<boolean> {
    let exited = false;
    void this._exited.then(() => (exited = true));
    const deadline = Date.now() + TIMEOUT;
    while (!exited && Date.now() < deadline) {
      try {
        const r = await fetch(`${this.baseUrl}api/status`, { headers: { Authorization: `token ${this.token}` }, signal: AbortSignal.timeout(2000) });
        if (r.ok) return true;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  /** Ends the server's process group: SIGTERM (it shuts its kernels down), then SIGKILL. */
  async stop(): Promise<void> {
    const child = this._process;
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const group = -child.pid;
    try {
      process.kill(group, "SIGTERM");
    } catch {
      return;
    }
    const ended = await Promise.race([this._exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!ended) {
      try {
        process.kill(group, "SIGKILL");
      } catch {
        // already gone
      }
      await within(this._exited, "jupyter server to die of SIGKILL", 5000);
    }
  }
}

interface Ran {
  reply: KernelMessage.IExecuteReplyMsg;
  outputs: KernelMessage.IIOPubMessage[];
}

/** Runs a cell as a notebook does and waits for its reply and idle; returns the reply and outputs. */
async function run(kernel: Kernel.IKernelConnection, code: string): Promise<Ran> {
  const future = kernel.requestExecute({ code });
  const outputs: KernelMessage.IIOPubMessage[] = [];
  future.onIOPub = (msg) => {
    if (msg.header.msg_type !== "status" && msg.header.msg_type !== "execute_input") outputs.push(msg);
  };
  const reply = await within(future.done, `the reply to ${JSON.stringify(code)}`);
  return { reply, outputs };
}

/** The text/plain of each execute_result. */
function results(outputs: KernelMessage.IIOPubMessage[]): unknown[] {
  return outputs.filter(KernelMessage.isExecuteResultMsg).map((m) => m.content.data["text/plain"]);
}

/** The kernel's process id, asked of the kernel itself, so cleanup can prove it is gone. */
async function kernelPid(kernel: Kernel.IKernelConnection): Promise<number> {
  const [text] = results((await run(kernel, "process.pid")).outputs);
  const pid = Number(text);
  expect(pid).toBeGreaterThan(0);
  return pid;
}

describe.skipIf(PYTHON === undefined)(`@jupyterlab/services through a real jupyter server${PYTHON === undefined ? ` (${SKIP_REASON})` : ""}`, () => {
  let dir = "";
  let server: JupyterServer | undefined;
  let kernels: KernelManager | undefined;
  let sessions: SessionManager | undefined;
  let session: Session.ISessionConnection | undefined;
  /** Every kernel process a test saw; each must be gone once its session is shut down. */
  let pids: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "asyncio-ts-jlab-"));
    server = new JupyterServer(PYTHON ?? "", dir);
    await server.start();
    const serverSettings = ServerConnection.makeSettings({
      baseUrl: server.baseUrl,
      wsUrl: server.baseUrl.replace(/^http/, "ws"),
      token: server.token,
      appendToken: true,
      // In Node the client talks to kernels through `ws` (what it picks itself when there is no
      // window); named here so the test does not rest on that guess. The cast: `ws` and the DOM's
      // WebSocket differ only in types the client does not touch.
      WebSocket: WebSocket as unknown as ServerConnection.ISettings["WebSocket"],
    });
    kernels = new KernelManager({ serverSettings });
    sessions = new SessionManager({ serverSettings, kernelManager: kernels });
    await within(sessions.ready, "the session manager to be ready");
  }, 2 * TIMEOUT);

  afterAll(async () => {
    try {
      sessions?.dispose();
      kernels?.dispose();
      await server?.stop();
    } finally {
      if (dir !== "") await rm(dir, { recursive: true, force: true });
    }
  }, 2 * TIMEOUT);

  /** A notebook's session with a fresh asyncio-ts kernel, as JupyterLab opens one. */
  beforeEach(async () => {
    pids = [];
    session = await within(
      sessions!.startNew({ path: `lesson-${Date.now()}.ipynb`, type: "notebook", name: "lesson.ipynb", kernel: { name: "asyncio-ts" } }),
      "a session with an asyncio-ts kernel",
    );
    const kernel = session.kernel;
    if (kernel === null) throw new Error("the session has no kernel");
    await within(kernel.info, "kernel_info from the kernel");
    pids.push(await kernelPid(kernel));
  }, 2 * TIMEOUT);

  afterEach(async () => {
    const s = session;
    session = undefined;
    const left = () => pids.filter(isAlive);
    try {
      if (s !== undefined) await within(s.shutdown(), "the session to shut down");
      // Shutdown from the front end leaves no kernel process behind.
      await until(() => left().length === 0, "the kernel processes to exit after shutdown", 10_000);
    } finally {
      for (const pid of left()) process.kill(pid, "SIGKILL");
    }
  }, 2 * TIMEOUT);

  function kernelOf(): Kernel.IKernelConnection {
    const kernel = session?.kernel;
    if (kernel == null) throw new Error("no kernel");
    return kernel;
  }

  test("the kernel is listed by the server and answers kernel_info as typescript", async () => {
    const specs = await within(
      fetch(`${server!.baseUrl}api/kernelspecs`, { headers: { Authorization: `token ${server!.token}` } }).then(
        (r) => r.json() as Promise<{ kernelspecs: Record<string, unknown> }>,
      ),
      "the kernelspecs",
    );
    expect(Object.keys(specs.kernelspecs)).toContain("asyncio-ts");
    const info = await within(kernelOf().info, "kernel_info");
    expect(info.language_info.name).toBe("typescript");
    expect(info.status).toBe("ok");
  });

  test("the class's Future exercise gives the results a learner expects, cell by cell", async () => {
    const kernel = kernelOf();
    const first = await run(kernel, 'import * as asyncio from "asyncio";\nconst future = new asyncio.Future<string>();');
    expect(first.reply.content.status).toBe("ok");
    expect(results((await run(kernel, "future.done()")).outputs)).toEqual(["false"]);

    const failed = await run(kernel, "future.result()");
    expect(failed.reply.content.status).toBe("error");
    const content = failed.reply.content as KernelMessage.IReplyErrorContent;
    expect([content.ename, content.evalue]).toEqual(["InvalidStateError", "Result is not ready."]);
    const errors = failed.outputs.filter(KernelMessage.isErrorMsg).map((m) => [m.content.ename, m.content.evalue]);
    expect(errors).toEqual([["InvalidStateError", "Result is not ready."]]);

    expect((await run(kernel, 'future.setResult("Your Name")')).reply.content.status).toBe("ok");
    expect(results((await run(kernel, "future.done()")).outputs)).toEqual(["true"]);
    expect(results((await run(kernel, "future.result()")).outputs)).toEqual(["'Your Name'"]);
  });

  test("output a background task prints after its cell finished arrives on that cell's future", async () => {
    const kernel = kernelOf();
    // As JupyterLab's OutputArea does: the cell's future is kept (disposeOnDone false), so
    // output that comes after the reply still reaches the cell.
    const firstFuture = kernel.requestExecute(
      { code: 'import * as asyncio from "asyncio";\nasyncio.createTask(async () => { await asyncio.sleep(0.3); console.log("late") });' },
      false,
    );
    const firstStreams: KernelMessage.IStreamMsg[] = [];
    firstFuture.onIOPub = (msg) => {
      if (KernelMessage.isStreamMsg(msg)) firstStreams.push(msg);
    };
    try {
      expect((await within(firstFuture.done, "the first cell's reply")).content.status).toBe("ok");
      expect(firstStreams).toEqual([]);
      const second = await run(kernel, "1 + 1");
      expect(results(second.outputs)).toEqual(["2"]);
      await until(() => firstStreams.some((m) => m.content.text.includes("late")), "the late line on the first cell's future", 10_000);
      const late = firstStreams.find((m) => m.content.text.includes("late"))!;
      expect(late.content.name).toBe("stdout");
      expect(late.parent_header).toMatchObject({ msg_id: firstFuture.msg.header.msg_id });
      expect(second.outputs.filter(KernelMessage.isStreamMsg)).toEqual([]);
    } finally {
      firstFuture.dispose();
    }
  });

  test("interrupt ends a cell stuck in synchronous code with KeyboardInterrupt and keeps the state", async () => {
    const kernel = kernelOf();
    expect((await run(kernel, 'const kept = "still here";')).reply.content.status).toBe("ok");
    const future = kernel.requestExecute({ code: "while (true) {}" });
    let started = false;
    future.onIOPub = (msg) => {
      if (msg.header.msg_type === "execute_input") started = true;
    };
    await until(() => started, "the stuck cell to start");
    // execute_input comes before the cell runs; give it time to be inside the loop.
    await new Promise((r) => setTimeout(r, 1000));
    await within(kernel.interrupt(), "the server to accept the interrupt");
    const reply = await within(future.done, "the stuck cell's reply after the interrupt");
    expect(reply.content.status).toBe("error");
    expect((reply.content as KernelMessage.IReplyErrorContent).ename).toBe("KeyboardInterrupt");
    expect(results((await run(kernel, "kept")).outputs)).toEqual(["'still here'"]);
  });

  test("restart gives a fresh kernel: a new process, counting from 1, with the old state gone", async () => {
    const kernel = kernelOf();
    expect((await run(kernel, '(globalThis as any).marker = "old";')).reply.content.status).toBe("ok");
    const oldPid = pids[0]!;
    await within(kernel.restart(), "the kernel to restart");
    const after = await run(kernel, "typeof (globalThis as any).marker");
    expect(after.reply.content.status).toBe("ok");
    expect(after.reply.content.execution_count).toBe(1);
    expect(results(after.outputs)).toEqual(["'undefined'"]);
    const newPid = await kernelPid(kernel);
    pids.push(newPid);
    expect(newPid).not.toBe(oldPid);
    await until(() => !isAlive(oldPid), "the old kernel process to exit on restart", 10_000);
  });
});
