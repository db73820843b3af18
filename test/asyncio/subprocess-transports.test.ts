// The subprocess transports (subprocess-transports.ts) on real processes (node -e scripts):
// loop.subprocessExec / subprocessShell with a SubprocessProtocol, the callback order CPython
// gives, the pipe transports and their flow control. The stream level (asyncio.subprocess's
// Process) is subprocess.test.ts.
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { FileNotFoundError, SubprocessProtocol, type EventLoop, type ReadTransport, type SubprocessTransport, type WriteTransport } from "../../src/asyncio/index.js";
import { onCleanup, onNewLoop, Recorder } from "../helpers.js";

const { PIPE, DEVNULL } = asyncio.subprocess;
const NODE = process.execPath;

/** Kills the child after the test if it is still around (a failed test must not leak it). */
function killLater(transport: SubprocessTransport): void {
  const child = transport.getExtraInfo("subprocess") as { kill(sig: string): boolean };
  onCleanup(() => child.kill("SIGKILL"));
}

/** A SubprocessProtocol that records its callbacks as text. */
class RecordingProtocol extends SubprocessProtocol {
  readonly rec = new Recorder();
  transport!: SubprocessTransport;
  readonly done: asyncio.Future<void>;
  constructor(loop: EventLoop) {
    super();
    this.done = loop.createFuture<void>();
  }
  override connectionMade(transport: SubprocessTransport): void {
    this.transport = transport;
    this.rec.add("connectionMade");
  }
  override pipeDataReceived(fd: number, data: Buffer): void {
    this.rec.add(`pipeDataReceived(${fd}, ${JSON.stringify(data.toString())})`);
  }
  override pipeConnectionLost(fd: number, exc: Error | null): void {
    this.rec.add(`pipeConnectionLost(${fd}, ${exc === null ? "null" : exc.name})`);
  }
  override processExited(): void {
    this.rec.add(`processExited(${this.transport.getReturncode()})`);
  }
  override connectionLost(exc: Error | null): void {
    this.rec.add(`connectionLost(${exc})`);
    this.done.setResult(undefined);
  }
}

describe("loop.subprocessExec and SubprocessProtocol", () => {
  it("calls back in CPython's order: connectionMade, pipe data and pipe closes, processExited, connectionLost last", async () => {
    // Each step waits for the previous one, so that the order is the protocol's, not chance's.
    const script = `const fs = require("fs");
      fs.writeSync(1, "out\\n"); fs.closeSync(1);
      process.stdin.on("data", (d) => { if (String(d) === "go\\n") { fs.writeSync(2, "err\\n"); fs.closeSync(2); } });
      process.stdin.on("end", () => process.exit(3));`;
    const events = await onNewLoop(async (loop) => {
      class Stepping extends RecordingProtocol {
        override pipeConnectionLost(fd: number, exc: Error | null): void {
          super.pipeConnectionLost(fd, exc);
          const stdin = this.transport.getPipeTransport(0) as WriteTransport;
          if (fd === 1) stdin.write("go\n");
          if (fd === 2) stdin.close();
        }
      }
      const [transport, protocol] = await loop.subprocessExec(() => new Stepping(loop), NODE, ["-e", script]);
      killLater(transport);
      expect(protocol.rec.events[0]).toBe("connectionMade");
      await protocol.done;
      return protocol.rec.events;
    });
    expect(events).toEqual([
      "connectionMade",
      'pipeDataReceived(1, "out\\n")',
      "pipeConnectionLost(1, null)",
      'pipeDataReceived(2, "err\\n")',
      "pipeConnectionLost(2, null)",
      "pipeConnectionLost(0, null)",
      "processExited(3)",
      "connectionLost(null)",
    ]);
  });

  it("resolves once connectionMade has run, with the pid and a transport for each piped stream", async () => {
    await onNewLoop(async (loop) => {
      const [transport, protocol] = await loop.subprocessExec(() => new RecordingProtocol(loop), NODE, ["-e", "process.stdin.resume()"], { stderr: DEVNULL });
      killLater(transport);
      expect(protocol.transport).toBe(transport);
      expect(transport.getPid()).toBeGreaterThan(0);
      expect(transport.getReturncode()).toBeNull();
      const stdin = transport.getPipeTransport(0) as WriteTransport;
      const stdout = transport.getPipeTransport(1) as ReadTransport;
      expect(typeof stdin.write).toBe("function");
      expect(stdin.canWriteEof()).toBe(true);
      expect(stdout.isReading()).toBe(true);
      expect(transport.getPipeTransport(2)).toBeNull();
      stdin.writeEof();
      await protocol.done;
      expect(transport.getReturncode()).toBe(0);
    });
  });

  it("resolves after connectionMade every time, so a Process always has its piped streams (40 children in a row)", async () => {
    // The waiter used to be done before connectionMade ran; an `await` resuming in between (the
    // loop can turn between reaching `await waiter` and its `then`) found no stdout, ~15% of runs.
    const missing = await onNewLoop(async (loop) => {
      let missed = 0;
      for (let i = 0; i < 40; i++) {
        let made = false;
        class Watching extends SubprocessProtocol {
          override connectionMade(): void {
            made = true;
          }
        }
        const [transport] = await loop.subprocessShell(() => new Watching(), "exit 0", { stdout: PIPE });
        if (!made) missed++;
        transport.close();
        await (transport as unknown as { _wait(): PromiseLike<number> })._wait();
        const proc = await asyncio.createSubprocessShell("echo hi", { stdout: PIPE });
        if (proc.stdout === null) missed++;
        await proc.communicate();
      }
      return missed;
    });
    expect(missing).toBe(0);
  });

  it("close() kills a running child (as Python) and connectionLost follows", async () => {
    const events = await onNewLoop(async (loop) => {
      const [transport, protocol] = await loop.subprocessExec(() => new RecordingProtocol(loop), NODE, ["-e", "setInterval(() => {}, 1000)"], {
        stdin: DEVNULL,
        stdout: DEVNULL,
        stderr: DEVNULL,
      });
      killLater(transport);
      transport.close();
      expect(transport.isClosing()).toBe(true);
      await protocol.done;
      return protocol.rec.events;
    });
    expect(events).toEqual(["connectionMade", "processExited(-9)", "connectionLost(null)"]);
  });

  it("pauseReading() on stdout holds the data back until resumeReading()", async () => {
    const events = await onNewLoop(async (loop) => {
      const exited = loop.createFuture<void>();
      class Paused extends RecordingProtocol {
        override connectionMade(t: SubprocessTransport): void {
          super.connectionMade(t);
          (t.getPipeTransport(1) as ReadTransport).pauseReading();
          // The child writes only once its stdin ends: after the pause.
          (t.getPipeTransport(0) as WriteTransport).close();
        }
        override processExited(): void {
          super.processExited();
          exited.setResult(undefined);
        }
      }
      const script = `process.stdin.on("end", () => process.stdout.write("held")).resume()`;
      const [transport, protocol] = await loop.subprocessExec(() => new Paused(loop), NODE, ["-e", script], { stderr: DEVNULL });
      killLater(transport);
      await exited;
      // Give data that should not come a chance to arrive.
      await asyncio.sleep(0.05);
      protocol.rec.add("resumeReading");
      (transport.getPipeTransport(1) as ReadTransport).resumeReading();
      await protocol.done;
      return protocol.rec.events;
    });
    expect(events).toEqual([
      "connectionMade",
      "pipeConnectionLost(0, null)",
      "processExited(0)",
      "resumeReading",
      'pipeDataReceived(1, "held")',
      "pipeConnectionLost(1, null)",
      "connectionLost(null)",
    ]);
  });

  it("a big write to stdin pauses the protocol's writing, and resumes it once the child has read it", async () => {
    const events = await onNewLoop(async (loop) => {
      class Writer extends RecordingProtocol {
        override connectionMade(t: SubprocessTransport): void {
          super.connectionMade(t);
          const stdin = t.getPipeTransport(0) as WriteTransport;
          stdin.write(Buffer.alloc(1024 * 1024));
          this.rec.add(`buffered > high: ${stdin.getWriteBufferSize() > stdin.getWriteBufferLimits()[1]}`);
        }
        override pauseWriting(): void {
          this.rec.add("pauseWriting");
        }
        override resumeWriting(): void {
          this.rec.add("resumeWriting");
          (this.transport.getPipeTransport(0) as WriteTransport).close();
        }
      }
      const script = `let n = 0; process.stdin.on("data", (d) => (n += d.length)).on("end", () => process.stdout.write(String(n)));`;
      const [transport, protocol] = await loop.subprocessExec(() => new Writer(loop), NODE, ["-e", script], { stderr: DEVNULL });
      killLater(transport);
      await protocol.done;
      return protocol.rec.events;
    });
    expect(events.slice(0, 6)).toEqual([
      "connectionMade",
      "pauseWriting",
      "buffered > high: true",
      "resumeWriting",
      "pipeConnectionLost(0, null)",
      `pipeDataReceived(1, "${1024 * 1024}")`,
    ]);
    // The stdout pipe's close and the exit are separate events: only their set is certain.
    expect(events.slice(6, 8).sort()).toEqual(["pipeConnectionLost(1, null)", "processExited(0)"]);
    expect(events[8]).toBe("connectionLost(null)");
  });

  it("subprocessShell runs a shell command line", async () => {
    const events = await onNewLoop(async (loop) => {
      const [transport, protocol] = await loop.subprocessShell(() => new RecordingProtocol(loop), "echo shell; exit 2", { stdin: DEVNULL, stderr: DEVNULL });
      killLater(transport);
      await protocol.done;
      return protocol.rec.events;
    });
    // The pipe closes and the exit are separate events: only their set is certain.
    expect(events[0]).toBe("connectionMade");
    expect(events[1]).toBe('pipeDataReceived(1, "shell\\n")');
    expect(events.slice(2, 4).sort()).toEqual(["pipeConnectionLost(1, null)", "processExited(2)"]);
    expect(events[4]).toBe("connectionLost(null)");
  });

  it("a missing program throws FileNotFoundError and makes no protocol callback", async () => {
    const [err, events] = await onNewLoop(async (loop) => {
      const protocol = new RecordingProtocol(loop);
      const e = await loop
        .subprocessExec(() => protocol, "asyncio-ts-no-such-program")
        .then(
          () => null,
          (x: unknown) => x,
        );
      await asyncio.sleep(0);
      return [e, protocol.rec.events];
    });
    expect(err).toBeInstanceOf(FileNotFoundError);
    expect((err as Error).message).toBe("[Errno 2] No such file or directory: 'asyncio-ts-no-such-program'");
    expect(events).toEqual([]);
  });
});
