// The public surface: a name added to or lost from `asyncio-ts` must be a decision, so this list
// changes with it. Also proves the package's `exports` work from inside the repo and from a
// project that depends on it.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const PUBLIC_NAMES = [
  "ALL_COMPLETED",
  "AsCompleted",
  "AsyncioError",
  "BaseEventLoop",
  "BaseProtocol",
  "BoundedSemaphore",
  "BoundedSemaphoreError",
  "BrokenPipeError",
  "BufferedProtocol",
  "CancelledError",
  "Condition",
  "ConnectionAbortedError",
  "ConnectionError",
  "ConnectionRefusedError",
  "ConnectionResetError",
  "ContextVar",
  "CoroutineObject",
  "DEFAULT_LIMIT",
  "DatagramProtocol",
  "Event",
  "EventLoop",
  "ExceptionGroup",
  "FIRST_COMPLETED",
  "FIRST_EXCEPTION",
  "Future",
  "Handle",
  "IncompleteReadError",
  "InvalidStateError",
  "LifoQueue",
  "LimitOverrunError",
  "Lock",
  "LogLevel",
  "Logger",
  "OSError",
  "PriorityQueue",
  "Protocol",
  "Queue",
  "QueueEmpty",
  "QueueFull",
  "Semaphore",
  "Server",
  "ServerSocket",
  "StreamReader",
  "StreamReaderProtocol",
  "StreamWriter",
  "SubprocessProtocol",
  "Task",
  "TaskGroup",
  "Timeout",
  "TimeoutError",
  "TimerHandle",
  "allTasks",
  "asCompleted",
  "copyContext",
  "coroutine",
  "createTask",
  "currentTask",
  "ensureFuture",
  "formatRecord",
  "gather",
  "getEventLoop",
  "getRunningLoop",
  "isCoroutine",
  "isCoroutineFunction",
  "isFuture",
  "logger",
  "newEventLoop",
  "openConnection",
  "openUnixConnection",
  "run",
  "setEventLoop",
  "shield",
  "sleep",
  "startServer",
  "startUnixServer",
  "timeout",
  "timeoutAt",
  "wait",
  "waitFor",
  "wrapPromise",
  "FileNotFoundError",
  "PermissionError",
  "ProcessLookupError",
  "createSubprocessExec",
  "createSubprocessShell",
  "subprocess",
  "Barrier",
  "BrokenBarrierError",
  "QueueShutDown",
  "isCancelledError",
  "Monitor",
  "captureCallGraph",
  "formatCallGraph",
  "loopSnapshot",
  "monitor",
  "printCallGraph",
  "Timeline",
  "timeline",
];

/** `asyncio.subprocess`: Python's asyncio.subprocess module. */
const SUBPROCESS_NAMES = ["DEVNULL", "PIPE", "Process", "STDOUT", "SubprocessStreamProtocol", "createSubprocessExec", "createSubprocessShell"];

describe("The public API", () => {
  it("is exactly the intended list of names", () => {
    expect(Object.keys(asyncio).sort()).toEqual([...PUBLIC_NAMES].sort());
  });

  it("asyncio.subprocess is exactly Python's asyncio.subprocess names", () => {
    expect(Object.keys(asyncio.subprocess).sort()).toEqual([...SUBPROCESS_NAMES].sort());
  });

  it("imports as 'asyncio-ts' from inside the repo and from a dependent project", () => {
    // dist/ is built once, before any test, by test/global-setup.ts.
    const script = `import * as asyncio from "asyncio-ts"; console.log(await asyncio.run(async () => { await asyncio.sleep(0); return String(new asyncio.Future()); }));`;
    const inside = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(inside.trim()).toBe("<Future pending>");

    const project = mkdtempSync(join(tmpdir(), "asyncio-ts-dependent-"));
    try {
      mkdirSync(join(project, "node_modules"));
      symlinkSync(root, join(project, "node_modules", "asyncio-ts"), "dir");
      writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module", dependencies: { "asyncio-ts": "*" } }));
      writeFileSync(join(project, "main.js"), script);
      const outside = execFileSync(process.execPath, ["main.js"], { cwd: project, encoding: "utf8" });
      expect(outside.trim()).toBe("<Future pending>");
      const bin = execFileSync(process.execPath, [join(project, "node_modules", "asyncio-ts", "dist", "cli", "main.js"), "--version"], { encoding: "utf8" });
      expect(bin).toMatch(/^asyncio-ts \d+\.\d+\.\d+/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("each public entry loads first in a fresh process (no import cycle evaluates a subclass before its base), and with it alone a loop is made on demand", () => {
    // events.ts's newEventLoop() makes the class node-events.ts names when it is loaded: every
    // entry that can need a loop must load it. An unbound future's getLoop() makes one.
    const futures = JSON.stringify(join(root, "dist", "asyncio", "futures.js"));
    for (const entry of ["asyncio-ts", "asyncio-ts/http", "asyncio-ts/rest"]) {
      const script = `await import(${JSON.stringify(entry)}); const { Future } = await import(${futures}); const loop = new Future().getLoop(); console.log(loop.constructor.name, typeof loop.createFuture, typeof loop.createTask, typeof loop.stop);`;
      const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
      expect(out.trim(), entry).toBe("EventLoop function function function");
    }
    // The fake clock needs no loop of its own.
    const clock = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", `const { MockClock } = await import("asyncio-ts/testing"); console.log(new MockClock({ start: 2 }).time());`],
      { cwd: root, encoding: "utf8" },
    );
    expect(clock.trim()).toBe("2");
  });
});
