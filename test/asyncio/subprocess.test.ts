// asyncio.subprocess (subprocess.ts) on real processes (node -e scripts): Process (readline,
// stdin echo, communicate), return codes and signals, DEVNULL/STDOUT routing, large outputs,
// starting errors; after CPython's test_subprocess.py. The protocol level
// (loop.subprocessExec, SubprocessProtocol, the pipe transports) is subprocess-transports.test.ts.
import { realpathSync } from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { FileNotFoundError, OSError, ProcessLookupError, type SubprocessTransport } from "../../src/asyncio/index.js";
import { newLoop, onCleanup, onNewLoop } from "../helpers.js";

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
      const proc = await node(
        `let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { process.stdout.write("got:" + s); process.stderr.write("len:" + s.length); });`,
      );
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
      const proc = await node(
        `let n = 0, sum = 0; process.stdin.on("data", (d) => { n += d.length; for (const b of d) sum = (sum + b) % 1000003; }).on("end", () => console.log(n + " " + sum));`,
      );
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
    const err = await onNewLoop(async () =>
      node(`0`, { stdout: STDOUT }).then(
        () => null,
        (e: unknown) => e,
      ),
    );
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
    const err = await onNewLoop(async () =>
      asyncio.createSubprocessExec(program, "x").then(
        () => null,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(FileNotFoundError);
    expect(err).toBeInstanceOf(OSError);
    expect((err as FileNotFoundError).message).toBe(`[Errno 2] No such file or directory: '${program}'`);
    expect((err as FileNotFoundError).code).toBe("ENOENT");
    expect((err as FileNotFoundError).errno).toBe(osConstants.errno.ENOENT);
  });

  it("a missing working directory throws FileNotFoundError naming the directory", async () => {
    const err = await onNewLoop(async () =>
      node(`0`, { cwd: "/nonexistent/asyncio-ts-dir" }).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(FileNotFoundError);
    expect((err as Error).message).toBe("[Errno 2] No such file or directory: '/nonexistent/asyncio-ts-dir'");
  });

  it("an argument that is not a string is a TypeError, not an OSError", async () => {
    const err = await onNewLoop(async () =>
      asyncio.createSubprocessExec(NODE, 42 as unknown as string).then(
        () => null,
        (e: unknown) => e,
      ),
    );
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
