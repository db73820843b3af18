// Python's asyncio.subprocess: child processes through streams. `createSubprocessExec` and
// `createSubprocessShell` give a `Process` whose stdin is a StreamWriter and whose stdout and
// stderr are StreamReaders. The transports underneath are subprocess-transports.ts's.
//
// Every export of this module is public: index.ts re-exports it whole as `asyncio.subprocess`
// (Python's `asyncio.subprocess.PIPE`), so nothing internal may be exported from here.

import { _currentLoop, CoroutineObject } from "./coroutines.js";
import { BrokenPipeError, ConnectionResetError } from "./exceptions.js";
import type { AbstractEventLoop } from "./events.js";
import { logger } from "./log.js";
import { SubprocessProtocol } from "./protocols.js";
import { DEFAULT_LIMIT, StreamReader, StreamReaderProtocol, StreamWriter } from "./streams.js";
import { DEVNULL, PIPE, STDOUT, type BaseSubprocessTransport, type StdioSpec } from "./subprocess-transports.js";
import { gather } from "./tasks.js";
import type { PipeExtraInfo, ReadTransport, SubprocessTransport, Transport } from "./transports.js";

export { DEVNULL, PIPE, STDOUT };

/** Options of `createSubprocessExec()` and `createSubprocessShell()`. */
export interface CreateSubprocessOptions {
  /** The child's stdin: `PIPE`, `DEVNULL`, a file descriptor, or `null`/`"inherit"` (the default, as Python's `None`). */
  stdin?: StdioSpec;
  /** The child's stdout: `PIPE`, `DEVNULL`, a file descriptor, or `null`/`"inherit"` (the default). */
  stdout?: StdioSpec;
  /** The child's stderr: `PIPE`, `STDOUT`, `DEVNULL`, a file descriptor, or `null`/`"inherit"` (the default). */
  stderr?: StdioSpec;
  /** The buffer limit of the stdout and stderr StreamReaders (default 64 KiB). */
  limit?: number;
  /** The child's working directory. */
  cwd?: string;
  /** The child's whole environment. */
  env?: Record<string, string | undefined>;
}

/**
 * The protocol between a subprocess transport and a Process's streams, as Python's
 * `SubprocessStreamProtocol`: stdout and stderr feed StreamReaders, stdin is a StreamWriter
 * whose `drain()` follows the stdin pipe's flow control. It closes the transport once the
 * child has exited and its output pipes are closed.
 */
export class SubprocessStreamProtocol extends SubprocessProtocol {
  /** The child's stdin, when piped. */
  stdin: StreamWriter<PipeExtraInfo> | null = null;
  /** The child's stdout, when piped. */
  stdout: StreamReader | null = null;
  /** The child's stderr, when piped. */
  stderr: StreamReader | null = null;
  private readonly _limit: number;
  private readonly _loop: AbstractEventLoop;
  private _transport: SubprocessTransport | null = null;
  private _processExited = false;
  private readonly _pipeFds: number[] = [];
  // StreamWriter takes its drain() and waitClosed() from a StreamReaderProtocol; this one
  // stands for the stdin pipe (Python's FlowControlMixin and `_stdin_closed`).
  private _stdinProtocol: StreamReaderProtocol | null = null;

  constructor(limit: number = DEFAULT_LIMIT, loop: AbstractEventLoop = _currentLoop()) {
    super();
    this._limit = limit;
    this._loop = loop;
  }

  override connectionMade(transport: SubprocessTransport): void {
    this._transport = transport;
    const stdoutTransport = transport.getPipeTransport(1);
    if (stdoutTransport !== null) {
      this.stdout = new StreamReader({ limit: this._limit, loop: this._loop });
      // StreamReader asks for a full Transport but only pauses and resumes reading.
      this.stdout.setTransport(stdoutTransport as ReadTransport as Transport);
      this._pipeFds.push(1);
    }
    const stderrTransport = transport.getPipeTransport(2);
    if (stderrTransport !== null) {
      this.stderr = new StreamReader({ limit: this._limit, loop: this._loop });
      this.stderr.setTransport(stderrTransport as ReadTransport as Transport);
      this._pipeFds.push(2);
    }
    const stdinTransport = transport.getPipeTransport(0);
    if (stdinTransport !== null) {
      // StreamWriter and StreamReaderProtocol type their transport as a full socket Transport;
      // they use only the writing half, and the writer's extra information is the pipe's.
      const t = stdinTransport as Transport<PipeExtraInfo>;
      // The reader is never fed: StreamReaderProtocol requires one.
      this._stdinProtocol = new StreamReaderProtocol(new StreamReader({ loop: this._loop }));
      this._stdinProtocol.connectionMade(stdinTransport as Transport);
      this.stdin = new StreamWriter(t, this._stdinProtocol, null);
    }
  }

  override pipeDataReceived(fd: number, data: Buffer): void {
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    reader?.feedData(data);
  }

  override pipeConnectionLost(fd: number, exc: Error | null): void {
    if (fd === 0) {
      this.stdin?.close();
      // Wakes drain() and waitClosed() of the stdin writer.
      this._stdinProtocol?.connectionLost(exc);
      return;
    }
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    if (reader !== null) {
      if (exc === null) reader.feedEof();
      else reader.setException(exc);
    }
    const i = this._pipeFds.indexOf(fd);
    if (i !== -1) this._pipeFds.splice(i, 1);
    this._maybeCloseTransport();
  }

  override processExited(): void {
    this._processExited = true;
    this._maybeCloseTransport();
  }

  override pauseWriting(): void {
    this._stdinProtocol?.pauseWriting();
  }

  override resumeWriting(): void {
    this._stdinProtocol?.resumeWriting();
  }

  private _maybeCloseTransport(): void {
    if (this._pipeFds.length === 0 && this._processExited && this._transport !== null) {
      this._transport.close();
      this._transport = null;
    }
  }

  override toString(): string {
    const info = ["SubprocessStreamProtocol"];
    if (this.stdin !== null) info.push(`stdin=${this.stdin}`);
    if (this.stdout !== null) info.push(`stdout=${this.stdout}`);
    if (this.stderr !== null) info.push(`stderr=${this.stderr}`);
    return `<${info.join(" ")}>`;
  }
}

/**
 * A child process started by `createSubprocessExec()` or `createSubprocessShell()`, as
 * Python's `asyncio.subprocess.Process`.
 *
 * - `stdin`, `stdout`, `stderr` are streams when the matching option was `PIPE`, else `null`.
 * - `returncode` is `null` while the child runs, then its exit code, or `-signal` when a
 *   signal killed it.
 * - `wait()` waits for the exit; with piped output, read it first (or use `communicate()`),
 *   or a child that fills its pipe never exits.
 *
 * @example
 * ```ts
 * const proc = await asyncio.createSubprocessExec("ls", "-l", { stdout: asyncio.subprocess.PIPE });
 * const [out] = await proc.communicate();
 * console.log(proc.returncode, out?.toString());
 * ```
 */
export class Process {
  /** The child's process id. */
  readonly pid: number | undefined;
  /** The child's stdin (a StreamWriter) when it was piped. */
  readonly stdin: StreamWriter<PipeExtraInfo> | null;
  /** The child's stdout (a StreamReader) when it was piped. */
  readonly stdout: StreamReader | null;
  /** The child's stderr (a StreamReader) when it was piped. */
  readonly stderr: StreamReader | null;
  private readonly _transport: BaseSubprocessTransport;
  private readonly _loop: AbstractEventLoop;

  /** @internal Made by `createSubprocessExec()` / `createSubprocessShell()`. */
  constructor(transport: SubprocessTransport, protocol: SubprocessStreamProtocol, loop: AbstractEventLoop) {
    this._transport = transport as BaseSubprocessTransport;
    this._loop = loop;
    this.stdin = protocol.stdin;
    this.stdout = protocol.stdout;
    this.stderr = protocol.stderr;
    this.pid = transport.getPid();
  }

  /** The exit code, `-signal` when killed by a signal, or `null` while the child runs. */
  get returncode(): number | null {
    return this._transport.getReturncode();
  }

  /** Waits until the child exits (and its pipes are closed); returns the return code. */
  wait(): CoroutineObject<number> {
    return new CoroutineObject<number>("wait", {
      async: async () => await this._transport._wait(),
    });
  }

  /**
   * Sends `signal` (a name such as `"SIGINT"` or a number) to the child.
   * @throws ProcessLookupError once the child has exited and its transport has finished.
   */
  sendSignal(signal: NodeJS.Signals | number): void {
    this._transport.sendSignal(signal);
  }

  /** Sends SIGTERM. @throws ProcessLookupError as `sendSignal`. */
  terminate(): void {
    this._transport.terminate();
  }

  /** Sends SIGKILL. @throws ProcessLookupError as `sendSignal`. */
  kill(): void {
    this._transport.kill();
  }

  /**
   * Sends `input` to stdin (then closes it), reads stdout and stderr to the end, and waits for
   * the child to exit. Returns `[stdout, stderr]`: each a Buffer, or `null` when not piped.
   * A child that exits without reading its input is not an error (the broken pipe is ignored).
   * @example
   * ```ts
   * const proc = await asyncio.createSubprocessExec("sort", { stdin: PIPE, stdout: PIPE });
   * const [out] = await proc.communicate("b\na\n");
   * ```
   */
  communicate(input?: Uint8Array | string | null): CoroutineObject<[Buffer | null, Buffer | null]> {
    return new CoroutineObject<[Buffer | null, Buffer | null]>("communicate", {
      async: async () => {
        const [, stdout, stderr] = await gather(
          this.stdin !== null ? this._feedStdin(this.stdin, input) : noop(),
          this.stdout !== null ? this._readStream(1, this.stdout) : noop(),
          this.stderr !== null ? this._readStream(2, this.stderr) : noop(),
        );
        await this.wait();
        return [stdout, stderr];
      },
    });
  }

  private _feedStdin(stdin: StreamWriter<PipeExtraInfo>, input: Uint8Array | string | null | undefined): CoroutineObject<null> {
    return new CoroutineObject<null>("_feedStdin", {
      async: async () => {
        const debug = this._loop.getDebug();
        if (input !== null && input !== undefined) {
          stdin.write(input);
          if (debug) logger.debug(`${this} communicate: feed stdin (${input.length} bytes)`);
        }
        try {
          await stdin.drain();
        } catch (exc) {
          // As Python: a child that does not read its input is not communicate()'s error.
          if (!(exc instanceof BrokenPipeError || exc instanceof ConnectionResetError)) throw exc;
          if (debug) logger.debug(`${this} communicate: stdin got ${String(exc)}`);
        }
        if (debug) logger.debug(`${this} communicate: close stdin`);
        stdin.close();
        return null;
      },
    });
  }

  private _readStream(fd: 1 | 2, stream: StreamReader): CoroutineObject<Buffer> {
    return new CoroutineObject<Buffer>("_readStream", {
      async: async () => {
        const name = fd === 1 ? "stdout" : "stderr";
        if (this._loop.getDebug()) logger.debug(`${this} communicate: read ${name}`);
        const output = await stream.read();
        if (this._loop.getDebug()) logger.debug(`${this} communicate: close ${name}`);
        this._transport.getPipeTransport(fd)?.close();
        return output;
      },
    });
  }

  toString(): string {
    return `<Process ${this.pid}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function noop(): CoroutineObject<null> {
  return new CoroutineObject<null>("_noop", { async: async () => null });
}

/** Splits `createSubprocessExec`'s trailing options object off its arguments. */
function splitOptions(args: readonly (string | CreateSubprocessOptions)[]): [string[], CreateSubprocessOptions] {
  const last = args[args.length - 1];
  if (last !== undefined && typeof last === "object") return [args.slice(0, -1) as string[], last];
  return [args as string[], {}];
}

function loopOptions(options: CreateSubprocessOptions): CreateSubprocessOptions {
  // Python's create_subprocess_* default each stream to None: the parent's own.
  return { stdin: options.stdin ?? null, stdout: options.stdout ?? null, stderr: options.stderr ?? null, cwd: options.cwd, env: options.env };
}

/**
 * Runs `program` with `args` (no shell) and returns a `Process`. The trailing options object
 * says where stdin, stdout and stderr go (`PIPE` for streams; by default the parent's own).
 * @throws FileNotFoundError "[Errno 2] No such file or directory: 'prog'" when `program` does not exist.
 * @example
 * ```ts
 * const proc = await asyncio.createSubprocessExec("node", "-e", "console.log(42)", { stdout: asyncio.subprocess.PIPE });
 * const line = await proc.stdout!.readline(); // <Buffer 34 32 0a>
 * await proc.wait();                          // 0
 * ```
 */
export function createSubprocessExec(program: string, ...args: string[] | [...string[], CreateSubprocessOptions]): CoroutineObject<Process> {
  const [argv, options] = splitOptions(args);
  return new CoroutineObject<Process>("createSubprocessExec", {
    async: async () => {
      const loop = _currentLoop();
      const [transport, protocol] = await loop.subprocessExec(() => new SubprocessStreamProtocol(options.limit, loop), program, argv, loopOptions(options));
      return new Process(transport, protocol, loop);
    },
  });
}

/**
 * Runs `cmd` through the shell (`/bin/sh -c` on POSIX) and returns a `Process`, as
 * `createSubprocessExec`. Quote anything that comes from outside the program.
 * @example
 * ```ts
 * const proc = await asyncio.createSubprocessShell("echo $HOME", { stdout: asyncio.subprocess.PIPE });
 * const [out] = await proc.communicate();
 * ```
 */
export function createSubprocessShell(cmd: string, options: CreateSubprocessOptions = {}): CoroutineObject<Process> {
  return new CoroutineObject<Process>("createSubprocessShell", {
    async: async () => {
      const loop = _currentLoop();
      const [transport, protocol] = await loop.subprocessShell(() => new SubprocessStreamProtocol(options.limit, loop), cmd, loopOptions(options));
      return new Process(transport, protocol, loop);
    },
  });
}
