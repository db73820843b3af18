// Child processes on real processes (node -e scripts): the SubprocessProtocol's callback order,
// the pipe transports and their flow control, return codes and signals, and asyncio.subprocess's
// Process (readline, stdin echo, communicate, DEVNULL/STDOUT routing, large outputs); after
// CPython's test_subprocess.py.
import { realpathSync } from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import {
  FileNotFoundError,
  OSError,
  ProcessLookupError,
  SubprocessProtocol,
  type EventLoop,
  type ReadTransport,
  type SubprocessTransport,
  type WriteTransport,
} from "../../src/asyncio/index.js";
import { newLoop, onCleanup, onNewLoop, Recorder } from "../helpers.js";

const { PIPE, STDOUT, DEVNULL } = asyncio.subprocess;
const NODE = process.execPath;



/** Kills the child after the test if it is still around (a failed test must not leak it). */
function killLater(transport: SubprocessTransport | asyncio.subprocess.Process): void {
  const t = transport instanceof asyncio.subprocess.Process ? (transport as unknown as { _transport: SubprocessTransport })._transport : transport;
  const child = t.getExtraInfo("subprocess") as { kill(sig: string): boolean };
  onCleanup(() => child.kill("SIGKILL"));
}

/** `node -e script` with piped streams by default, as a Process. */
async function node(script: string, options: asyncio.CreateSubprocessOptions = {}): Promise<asyncio.subprocess.Process> {
  const proc = await asyncio.createSubprocessExec(NODE, "-e", script, { stdin: PIPE, stdout: PIPE, stderr: PIPE, ...options });
  killLater(proc);
  return proc;
}

describe("Process: reading and writing through streams", () => {
  it("reads the child's output line by line with stdout.readline(), then an empty line at EOF", async () => {
    const lines = await onNewLoop(async () => {
      const proc = await node(`console.log("one"); console.log("two"); console.log("three");`);
      const got: string[] = [];
      for (;;) {
        const line = await proc.stdout!.readline();
        got.push(line.toString());
        if (line.length === 0) break;
      }
      expect(await proc.wait()).toBe(0);
      return got;
    });
    expect(lines).toEqual(["one\n", "two\n", "three\n", ""]);
  });

  it("feeds stdin and reads the child's echo of each line before sending the next", async () => {
    const echoes = await onNewLoop(async () => {
      const proc = await node(`require("readline").createInterface({ input: process.stdin }).on("line", (l) => console.log(l.toUpperCase()));`);
      const got: string[] = [];
      for (const word of ["hello", "world"]) {
        proc.stdin!.write(`${word}\n`);
        await proc.stdin!.drain();
        got.push((await proc.stdout!.readline()).toString());
      }
      proc.stdin!.close();
      expect(await proc.wait()).toBe(0);
      return got;
    });
    expect(echoes).toEqual(["HELLO\n", "WORLD\n"]);
  });

  it("communicate(input) writes the input, closes stdin, and returns [stdout, stderr] once the child exited", async () => {
    const [out, err, code] = await onNewLoop(async () => {
      const proc = await node(`let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { process.stdout.write("got:" + s); process.stderr.write("len:" + s.length); });`);
      const [o, e] = await proc.communicate("abc");
      return [o?.toString(), e?.toString(), proc.returncode];
    });
    expect([out, err, code]).toEqual(["got:abc", "len:3", 0]);
  });

  it("communicate() gives null for a stream that is not piped", async () => {
    const result = await onNewLoop(async () => {
      const proc = await node(`process.stdout.write("x")`, { stdin: DEVNULL, stderr: DEVNULL });
      expect(proc.stdin).toBeNull();
      expect(proc.stderr).toBeNull();
      return await proc.communicate();
    });
    expect(result).toEqual([Buffer.from("x"), null]);
  });

  it("communicate() ignores a child that exits without reading its input (broken pipe)", async () => {
    const [out, code] = await onNewLoop(async () => {
      const proc = await node(`process.exit(0)`);
      const [o] = await proc.communicate(Buffer.alloc(1024 * 1024, 1));
      return [o?.length, proc.returncode];
    });
    expect([out, code]).toEqual([0, 0]);
  });

  it("reads 5 MB of output without losing or reordering a byte", async () => {
    const size = 5 * 1024 * 1024;
    const out = await onNewLoop(async () => {
      const proc = await node(`const b = Buffer.alloc(${size}); for (let i = 0; i < b.length; i++) b[i] = i % 251; process.stdout.write(b);`);
      const data = await proc.stdout!.read();
      expect(await proc.wait()).toBe(0);
      return data;
    });
    expect(out.length).toBe(size);
    const expected = Buffer.alloc(size);
    for (let i = 0; i < size; i++) expected[i] = i % 251;
    expect(out.equals(expected)).toBe(true);
  });

  it("writes 5 MB to stdin with drain() and the child receives every byte", async () => {
    const size = 5 * 1024 * 1024;
    const reply = await onNewLoop(async () => {
      const proc = await node(`let n = 0, sum = 0; process.stdin.on("data", (d) => { n += d.length; for (const b of d) sum = (sum + b) % 1000003; }).on("end", () => console.log(n + " " + sum));`);
      // Chunks over the 64 KiB high-water mark, so that drain() has to wait for the child.
      const chunk = Buffer.alloc(256 * 1024);
      for (let i = 0; i < chunk.length; i++) chunk[i] = i % 256;
      for (let sent = 0; sent < size; sent += chunk.length) {
        proc.stdin!.write(chunk);
        await proc.stdin!.drain();
      }
      proc.stdin!.close();
      const line = (await proc.stdout!.readline()).toString();
      await proc.wait();
      return line;
    });
    let sum = 0;
    for (let i = 0; i < size; i++) sum = (sum + (i % 256)) % 1000003;
    expect(reply).toBe(`${size} ${sum}\n`);
  });

  it("stdin.waitClosed() returns once the stdin pipe is closed", async () => {
    await onNewLoop(async () => {
      const proc = await node(`process.stdin.resume()`);
      proc.stdin!.close();
      await proc.stdin!.waitClosed();
      expect(proc.stdin!.isClosing()).toBe(true);
      expect(await proc.wait()).toBe(0);
    });
  });
});

describe("Process: return codes and signals", () => {
  it("wait() returns the exit code, also a non-zero one, and returncode is null until then", async () => {
    const codes = await onNewLoop(async () => {
      const proc = await node(`process.stdin.on("end", () => process.exit(7)).resume()`);
      const before = proc.returncode;
      proc.stdin!.close();
      const waited = await proc.wait();
      return [before, waited, proc.returncode];
    });
    expect(codes).toEqual([null, 7, 7]);
  });

  it("kill() ends the child with SIGKILL: the return code is -9", async () => {
    const code = await onNewLoop(async () => {
      const proc = await node(`setInterval(() => {}, 1000); console.log("ready")`);
      await proc.stdout!.readline();
      proc.kill();
      return await proc.wait();
    });
    expect(code).toBe(-9);
  });

  it("terminate() ends the child with SIGTERM: the return code is -15", async () => {
    const code = await onNewLoop(async () => {
      const proc = await node(`setInterval(() => {}, 1000); console.log("ready")`);
      await proc.stdout!.readline();
      proc.terminate();
      return await proc.wait();
    });
    expect(code).toBe(-15);
  });

  it("sendSignal() delivers the signal the child handles", async () => {
    const [line, code] = await onNewLoop(async () => {
      const proc = await node(`process.on("SIGUSR1", () => { console.log("usr1"); process.exit(5); }); setInterval(() => {}, 1000); console.log("ready")`);
      await proc.stdout!.readline();
      proc.sendSignal("SIGUSR1");
      return [(await proc.stdout!.readline()).toString(), await proc.wait()];
    });
    expect([line, code]).toEqual(["usr1\n", 5]);
  });

  it("signalling a child whose transport has finished throws ProcessLookupError", async () => {
    const err = await onNewLoop(async () => {
      const proc = await node(`0`);
      await proc.communicate();
      try {
        proc.kill();
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(ProcessLookupError);
    expect(err).toBeInstanceOf(OSError);
    expect((err as ProcessLookupError).code).toBe("ESRCH");
    expect((err as ProcessLookupError).errno).toBe(osConstants.errno.ESRCH);
  });
});

describe("Process: where the streams go", () => {
  it("stdout DEVNULL discards the output and leaves proc.stdout null", async () => {
    const [stdout, err] = await onNewLoop(async () => {
      const proc = await node(`console.log("lost"); console.error("kept")`, { stdout: DEVNULL });
      const [o, e] = await proc.communicate();
      return [o, e?.toString()];
    });
    expect([stdout, err]).toEqual([null, "kept\n"]);
  });

  it("stderr STDOUT sends stderr into the stdout pipe, in the order written", async () => {
    const [out, err, stderr] = await onNewLoop(async () => {
      const fs = `const fs = require("fs");`;
      const proc = await node(`${fs} fs.writeSync(1, "1 out\\n"); fs.writeSync(2, "2 err\\n"); fs.writeSync(1, "3 out\\n");`, { stderr: STDOUT });
      const [o, e] = await proc.communicate();
      return [o?.toString(), e, proc.stderr];
    });
    expect([out, err, stderr]).toEqual(["1 out\n2 err\n3 out\n", null, null]);
  });

  it("stderr STDOUT with stdout DEVNULL discards both", async () => {
    const result = await onNewLoop(async () => {
      const proc = await node(`console.log("a"); console.error("b")`, { stdout: DEVNULL, stderr: STDOUT });
      return [proc.stdout, proc.stderr, await proc.communicate(), proc.returncode];
    });
    expect(result).toEqual([null, null, [null, null], 0]);
  });

  it("STDOUT is refused for stdout", async () => {
    const err = await onNewLoop(async () => node(`0`, { stdout: STDOUT }).then(() => null, (e: unknown) => e));
    expect(String(err)).toMatch(/STDOUT can only be used for stderr/);
  });

  it("cwd and env set the child's working directory and environment", async () => {
    const dir = realpathSync(tmpdir());
    const out = await onNewLoop(async () => {
      const proc = await node(`console.log(process.cwd() + " " + process.env.ASYNCIO_TS_GREETING)`, { cwd: dir, env: { ASYNCIO_TS_GREETING: "hi" } });
      return (await proc.communicate())[0]?.toString();
    });
    expect(out).toBe(`${dir} hi\n`);
  });
});

describe("Starting a process", () => {
  it("a missing program throws FileNotFoundError naming it, as Python's", async () => {
    const program = "/nonexistent/asyncio-ts-no-such-program";
    const err = await onNewLoop(async () => asyncio.createSubprocessExec(program, "x").then(() => null, (e: unknown) => e));
    expect(err).toBeInstanceOf(FileNotFoundError);
    expect(err).toBeInstanceOf(OSError);
    expect((err as FileNotFoundError).message).toBe(`[Errno 2] No such file or directory: '${program}'`);
    expect((err as FileNotFoundError).code).toBe("ENOENT");
    expect((err as FileNotFoundError).errno).toBe(osConstants.errno.ENOENT);
  });

  it("a missing working directory throws FileNotFoundError naming the directory", async () => {
    const err = await onNewLoop(async () => node(`0`, { cwd: "/nonexistent/asyncio-ts-dir" }).then(() => null, (e: unknown) => e));
    expect(err).toBeInstanceOf(FileNotFoundError);
    expect((err as Error).message).toBe("[Errno 2] No such file or directory: '/nonexistent/asyncio-ts-dir'");
  });

  it("an argument that is not a string is a TypeError, not an OSError", async () => {
    const err = await onNewLoop(async () => asyncio.createSubprocessExec(NODE, 42 as unknown as string).then(() => null, (e: unknown) => e));
    expect(err).toBeInstanceOf(TypeError);
    expect(err).not.toBeInstanceOf(OSError);
  });

  it("createSubprocessShell runs the command through the shell", async () => {
    const out = await onNewLoop(async () => {
      const proc = await asyncio.createSubprocessShell(`echo "$ASYNCIO_TS_X" | tr a-z A-Z; exit 3`, { stdout: PIPE, env: { ...process.env, ASYNCIO_TS_X: "shell" } });
      killLater(proc);
      const [o] = await proc.communicate();
      return [o?.toString(), proc.returncode];
    });
    expect(out).toEqual(["SHELL\n", 3]);
  });

  it("a command the shell cannot find is exit status 127, not an error", async () => {
    const code = await onNewLoop(async () => {
      const proc = await asyncio.createSubprocessShell("asyncio-ts-no-such-command", { stderr: DEVNULL });
      killLater(proc);
      return await proc.wait();
    });
    expect(code).toBe(127);
  });

  it("works from a generator coroutine with yield*", async () => {
    const loop = newLoop();
    const out = await loop.runUntilComplete(
      asyncio.coroutine(function* main() {
        const proc = (yield* asyncio.createSubprocessExec(NODE, "-e", `console.log("gen")`, { stdout: PIPE })) as asyncio.subprocess.Process;
        const [o] = (yield* proc.communicate()) as [Buffer | null, Buffer | null];
        return o?.toString();
      })(),
    );
    loop.close();
    expect(out).toBe("gen\n");
  });
});

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
      const [transport, protocol] = await loop.subprocessExec(() => new RecordingProtocol(loop), NODE, ["-e", "setInterval(() => {}, 1000)"], { stdin: DEVNULL, stdout: DEVNULL, stderr: DEVNULL });
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
    expect(events).toEqual(["connectionMade", "pipeConnectionLost(0, null)", "processExited(0)", "resumeReading", 'pipeDataReceived(1, "held")', "pipeConnectionLost(1, null)", "connectionLost(null)"]);
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
      const e = await loop.subprocessExec(() => protocol, "asyncio-ts-no-such-program").then(() => null, (x: unknown) => x);
      await asyncio.sleep(0);
      return [e, protocol.rec.events];
    });
    expect(err).toBeInstanceOf(FileNotFoundError);
    expect((err as Error).message).toBe("[Errno 2] No such file or directory: 'asyncio-ts-no-such-program'");
    expect(events).toEqual([]);
  });
});
