// Child processes as transports, over node:child_process: the counterpart of Python's
// base_subprocess.py and of the pipe transports of unix_events.py. `loop.subprocessExec()` and
// `loop.subprocessShell()` (node-events.ts) call into this module; the stream-level API
// (`Process`, `createSubprocessExec`) is subprocess.ts's.
//
// A subprocess transport delivers its protocol's callbacks in Python's order:
// `connectionMade [-> pipeDataReceived(fd, data) | pipeConnectionLost(fd, exc) | processExited]*
// -> connectionLost(null)`. `processExited` comes when the child exits, which may be before or
// after its pipes close (as in Python: they are separate events); `connectionLost` comes once,
// last, when the child has exited AND every pipe is closed. Callbacks that happen before
// `connectionMade` has been scheduled wait in `_pendingCalls`, so nothing overtakes it.

import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection as netConnect, createServer as netCreateServer, type Socket } from "node:net";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { BaseEventLoop } from "./base-events.js";
import { copyContext, type Context } from "./context.js";
import { BrokenPipeError, ProcessLookupError, osErrorClass, toOSError } from "./exceptions.js";
import { WriteFlowControl, type FlowControlled } from "./flow-control.js";
import { Future, _setResultUnlessCancelled } from "./futures.js";
import { logger } from "./log.js";
import { NodeTransport } from "./node-transport.js";
import { BaseProtocol, type Protocol, type SubprocessProtocol } from "./protocols.js";
import type { PipeExtraInfo, ReadTransport, SubprocessExtraInfo, SubprocessTransport, WriteTransport } from "./transports.js";

/** Python's `subprocess.PIPE`: connect the child's stream to a pipe the transport reads or writes. */
export const PIPE = -1;
/** Python's `subprocess.STDOUT`: for `stderr` only, send the child's stderr where its stdout goes. */
export const STDOUT = -2;
/** Python's `subprocess.DEVNULL`: connect the child's stream to the null device. */
export const DEVNULL = -3;

/**
 * Where one of the child's standard streams goes: `PIPE`, `DEVNULL`, `STDOUT` (stderr only),
 * `"inherit"` or `null` (the parent's own stream, Python's `None`), or an open file descriptor.
 */
export type StdioSpec = number | "inherit" | null;

/** Options of `loop.subprocessExec()` and `loop.subprocessShell()`. */
export interface SubprocessOptions {
  /** The child's stdin: `PIPE` (the default), `DEVNULL`, `"inherit"`/`null` or a file descriptor. */
  stdin?: StdioSpec;
  /** The child's stdout: `PIPE` (the default), `DEVNULL`, `"inherit"`/`null` or a file descriptor. */
  stdout?: StdioSpec;
  /** The child's stderr: `PIPE` (the default), `STDOUT`, `DEVNULL`, `"inherit"`/`null` or a file descriptor. */
  stderr?: StdioSpec;
  /** The child's working directory (default: the parent's). */
  cwd?: string;
  /** The child's whole environment (default: the parent's). */
  env?: Record<string, string | undefined>;
}

// -- Pipe transports ------------------------------------------------------------------------------

/**
 * The read end of a pipe (a child's stdout or stderr), as Python's `_UnixReadPipeTransport`.
 * Protocol: `connectionMade [-> dataReceived]* [-> eofReceived]? -> connectionLost`.
 * @internal Users meet it as `subprocessTransport.getPipeTransport(1)`.
 */
export class ReadPipeTransport extends NodeTransport<PipeExtraInfo> implements ReadTransport<PipeExtraInfo> {
  private readonly _stream: Socket;
  private _closing = false;
  private _paused = false;
  private _reading = false;
  private _lostScheduled = false;
  private _lostExc: Error | null = null;

  constructor(loop: BaseEventLoop, stream: Socket, protocol: BaseProtocol, context: Context | undefined) {
    super(loop, protocol, { pipe: stream }, context);
    this._stream = stream;
    stream.on("end", () => this._io(this._onEof));
    stream.on("error", (err: Error) => {
      this._lostExc ??= toOSError(err);
    });
    stream.on("close", () => this._io(this._onClose));
    this._start(null, true);
  }

  protected override _startReading(): void {
    if (this._closing) return;
    this._reading = true;
    this._stream.on("data", (chunk: Buffer) => this._io(this._dataReceived, chunk));
    // A 'data' listener switches the stream to flowing; a pauseReading() made before stays.
    if (this._paused) this._stream.pause();
    else this._stream.resume();
  }

  private readonly _dataReceived = (chunk: Buffer): void => {
    if (this._lostScheduled) return;
    (this._protocol as Protocol).dataReceived(chunk);
  };

  private readonly _onEof = (): void => {
    if (this._lostScheduled) return;
    if (this._loop.getDebug()) logger.info(`${this} was closed by peer`);
    this._closing = true;
    this._lostScheduled = true;
    this._callSoon(this._eofReceived);
    this._callSoon(this._callConnectionLost, null);
  };

  private readonly _eofReceived = (): void => {
    (this._protocol as Protocol).eofReceived?.();
  };

  private readonly _onClose = (): void => {
    // Closed without EOF: a read error, or the pipe was destroyed under us.
    if (this._lostScheduled) return;
    this._closing = true;
    this._lostScheduled = true;
    this._callConnectionLost(this._lostExc);
  };

  private readonly _callConnectionLost = (exc: Error | null): void => {
    try {
      this._protocol.connectionLost(exc);
    } finally {
      this._stream.destroy();
    }
  };

  isClosing(): boolean {
    return this._closing;
  }

  /** Stops reading and closes the pipe; `connectionLost(null)` follows. */
  close(): void {
    if (this._closing) return;
    this._closing = true;
    this._lostScheduled = true;
    this._stream.pause();
    this._callSoon(this._callConnectionLost, null);
  }

  isReading(): boolean {
    return !this._paused && !this._closing;
  }

  /** Stops delivering data; the pipe fills up and the child blocks on its writes. */
  pauseReading(): void {
    if (!this.isReading()) return;
    this._paused = true;
    if (this._reading) this._stream.pause();
    if (this._loop.getDebug()) logger.debug(`${this} pauses reading`);
  }

  resumeReading(): void {
    if (this._closing || !this._paused) return;
    this._paused = false;
    if (this._reading) this._stream.resume();
    if (this._loop.getDebug()) logger.debug(`${this} resumes reading`);
  }

  override toString(): string {
    const state = this._lostScheduled ? "closed" : this._paused ? "paused" : "open";
    return `<ReadPipeTransport ${state}>`;
  }
}

/**
 * The write end of a pipe (a child's stdin), as Python's `_UnixWritePipeTransport`, with flow
 * control: writes past the high-water mark call `pauseWriting()`, and `resumeWriting()` follows
 * once the pipe has drained to the low-water mark.
 * Protocol: `connectionMade [-> pauseWriting -> resumeWriting]* -> connectionLost`.
 * @internal Users meet it as `subprocessTransport.getPipeTransport(0)`.
 */
export class WritePipeTransport extends NodeTransport<PipeExtraInfo> implements WriteTransport<PipeExtraInfo>, FlowControlled {
  private readonly _stream: Socket;
  private _closing = false;
  private _lostCalled = false;
  private _lostExc: Error | null = null;
  private readonly _flow: WriteFlowControl;

  constructor(loop: BaseEventLoop, stream: Socket, protocol: BaseProtocol, context: Context | undefined) {
    super(loop, protocol, { pipe: stream }, context);
    this._stream = stream;
    this._flow = new WriteFlowControl(stream, loop, this);
    stream.on("error", (err: Error) => {
      this._lostExc ??= toOSError(err);
    });
    stream.on("close", () => this._io(this._onClose));
    this._start(null, false);
  }

  private readonly _onClose = (): void => {
    if (this._lostCalled) return;
    let exc = this._lostExc;
    // Node destroys a child's stdin when the child exits; bytes still queued then are lost,
    // which Python reports as a broken pipe.
    if (exc === null && !this._closing && this._stream.writableLength > 0) exc = new BrokenPipeError("[Errno 32] Broken pipe", "EPIPE");
    this._closing = true;
    this._callConnectionLost(exc);
  };

  private _callConnectionLost(exc: Error | null): void {
    this._lostCalled = true;
    this._protocol.connectionLost(exc);
  }

  isClosing(): boolean {
    return this._closing;
  }

  /** Closes the pipe once the buffered data is written (as `writeEof()`); `connectionLost(null)` follows. */
  close(): void {
    if (!this._closing) this.writeEof();
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    this._flow.setLimits(high, low);
  }

  getWriteBufferSize(): number {
    return this._stream.writableLength;
  }

  getWriteBufferLimits(): [number, number] {
    return [this._flow.low, this._flow.high];
  }

  /**
   * Queues bytes for the child (a string as UTF-8). After the pipe closed, data is dropped (and
   * logged once it piles up), as Python does.
   */
  write(data: Uint8Array | string): void {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) throw new TypeError(`data argument must be a bytes-like object or a string, not ${typeof data}`);
    if (this._closing || this._lostCalled || this._stream.destroyed) {
      this._dropWrite("pipe closed by peer or os.write(pipe, data) raised exception.");
      return;
    }
    if (data.length === 0) return;
    this._stream.write(data);
    this._flow.maybePause();
  }

  writelines(list: Iterable<Uint8Array | string>): void {
    this._stream.cork();
    try {
      for (const data of list) this.write(data);
    } finally {
      this._stream.uncork();
    }
  }

  /** Closes the pipe after the buffered data: the child reads end of file. */
  writeEof(): void {
    if (this._closing) return;
    this._closing = true;
    // A write-only socket is destroyed once end() has flushed it: 'close' brings connectionLost.
    this._stream.end();
  }

  canWriteEof(): boolean {
    return true;
  }

  /** Closes the pipe at once, dropping buffered data; `connectionLost(null)` follows. */
  abort(): void {
    if (this._lostCalled) return;
    this._closing = true;
    this._stream.destroy();
  }

  /** @internal */
  _isLost(): boolean {
    return this._lostCalled;
  }

  override toString(): string {
    const state = this._lostCalled ? "closed" : this._closing ? "closing" : "open";
    return `<WritePipeTransport ${state} bufsize=${this._stream.writableLength}>`;
  }
}

// -- The subprocess transport -----------------------------------------------------------------------

/** The protocol of a child's stdin pipe: tells the subprocess transport when it closes. */
class WriteSubprocessPipeProto extends BaseProtocol {
  pipe: WritePipeTransport | ReadPipeTransport | null = null;
  disconnected = false;

  constructor(
    protected readonly _proc: BaseSubprocessTransport,
    readonly fd: number,
  ) {
    super();
  }

  override connectionLost(exc: Error | null): void {
    this.disconnected = true;
    this._proc._pipeConnectionLost(this.fd, exc);
  }

  // The stdin pipe's flow control is the subprocess protocol's, as in Python.
  override pauseWriting(): void {
    this._proc.getProtocol().pauseWriting();
  }

  override resumeWriting(): void {
    this._proc.getProtocol().resumeWriting();
  }
}

/** The protocol of a child's stdout or stderr pipe: forwards data to the subprocess transport. */
class ReadSubprocessPipeProto extends WriteSubprocessPipeProto {
  dataReceived(data: Buffer): void {
    this._proc._pipeDataReceived(this.fd, data);
  }

  eofReceived(): void {}
}

/**
 * A running child process and its pipes, as Python's `BaseSubprocessTransport`.
 *
 * - `getReturncode()` is `null` until the child exits, then its exit code, or `-signal` when a
 *   signal killed it.
 * - `close()` closes the pipes and kills the child (SIGKILL) if it is still running.
 * - `sendSignal()`, `terminate()` and `kill()` do nothing once the child has exited, and throw
 *   `ProcessLookupError` once the transport has finished (after `connectionLost`).
 * @internal Made by `loop.subprocessExec()`/`subprocessShell()`; users see a `SubprocessTransport`.
 */
export class BaseSubprocessTransport extends NodeTransport<SubprocessExtraInfo> implements SubprocessTransport {
  private _proc: ChildProcess | null;
  private readonly _pid: number | undefined;
  private _returncode: number | null = null;
  private _exitWaiters: Future<number>[] | null = [];
  /** Protocol callbacks made before connectionMade was scheduled, each as a call to make later. */
  private _pendingCalls: (() => void)[] | null = [];
  private readonly _pipes = new Map<number, WriteSubprocessPipeProto>();
  private _finished = false;
  private _closed = false;

  /** @internal `stdout` is the read end of the child's stdout when it is piped (maybe merged with stderr). */
  constructor(loop: BaseEventLoop, protocol: BaseProtocol, proc: ChildProcess, stdout: Socket | null, waiter: Future<void>, context: Context | undefined) {
    super(loop, protocol, { subprocess: proc }, context);
    this._proc = proc;
    this._pid = proc.pid;
    proc.on("exit", (code: number | null, signal: NodeJS.Signals | null) => this._io(this._processExited, returncodeOf(code, signal)));
    // An error after a successful spawn is a failed kill(): report it, do not crash.
    proc.on("error", (err: Error) => loop.callExceptionHandler({ message: "Error in subprocess", exception: err, transport: this }));
    if (proc.stdin !== null) this._connectPipe(0, new WritePipeTransport(loop, proc.stdin as Socket, new WriteSubprocessPipeProto(this, 0), context));
    if (stdout !== null) this._connectPipe(1, new ReadPipeTransport(loop, stdout, new ReadSubprocessPipeProto(this, 1), context));
    if (proc.stderr !== null) this._connectPipe(2, new ReadPipeTransport(loop, proc.stderr as Socket, new ReadSubprocessPipeProto(this, 2), context));
    if (loop.getDebug()) logger.debug(`process ${JSON.stringify(proc.spawnfile)} created: pid ${this._pid}`);
    // The pipes' connectionMade calls were scheduled first; the protocol's comes after them (its
    // start-up is not NodeTransport's _start: the calls queued meanwhile go between the two).
    this._callSoon(this._pipesConnected, waiter);
  }

  private _connectPipe(fd: number, pipe: WritePipeTransport | ReadPipeTransport): void {
    const proto = pipe.getProtocol() as WriteSubprocessPipeProto;
    proto.pipe = pipe;
    this._pipes.set(fd, proto);
  }

  private readonly _pipesConnected = (waiter: Future<void>): void => {
    this._callSoon(this._connectionMade);
    for (const schedule of this._pendingCalls ?? []) schedule();
    this._pendingCalls = null;
    // The waiter is told after connectionMade has run, as the socket transports do: an
    // `await waiter` asks for the result a microtask after it is reached, and the loop may run
    // an iteration meanwhile, so a waiter done now could resume before connectionMade (the
    // Process would then have no stdout).
    this._callSoon(_setResultUnlessCancelled<void>, waiter, undefined);
  };

  private readonly _connectionMade = (): void => {
    this._protocol.connectionMade(this);
  };

  private readonly _protoPipeDataReceived = (fd: number, data: Buffer): void => {
    (this._protocol as SubprocessProtocol).pipeDataReceived(fd, data);
  };

  private readonly _protoPipeConnectionLost = (fd: number, exc: Error | null): void => {
    (this._protocol as SubprocessProtocol).pipeConnectionLost(fd, exc);
  };

  private readonly _protoProcessExited = (): void => {
    (this._protocol as SubprocessProtocol).processExited();
  };

  /** Schedules a protocol callback, or queues it while `connectionMade` is not yet scheduled. */
  private _call<A extends unknown[]>(cb: (...args: A) => void, ...args: A): void {
    const schedule = (): void => void this._loop._callSoonCtx(cb, args, this._context);
    if (this._pendingCalls !== null) this._pendingCalls.push(schedule);
    else schedule();
  }

  /** @internal */
  _pipeConnectionLost(fd: number, exc: Error | null): void {
    this._call(this._protoPipeConnectionLost, fd, exc);
    this._tryFinish();
  }

  /** @internal */
  _pipeDataReceived(fd: number, data: Buffer): void {
    this._call(this._protoPipeDataReceived, fd, data);
  }

  private readonly _processExited = (returncode: number): void => {
    if (this._returncode !== null) return;
    if (this._loop.getDebug()) logger.info(`${this} exited with return code ${returncode}`);
    this._returncode = returncode;
    this._call(this._protoProcessExited);
    this._tryFinish();
  };

  private _tryFinish(): void {
    if (this._finished || this._returncode === null) return;
    for (const p of this._pipes.values()) if (!p.disconnected) return;
    this._finished = true;
    this._call(this._callConnectionLost, null);
  }

  private readonly _callConnectionLost = (exc: Error | null): void => {
    try {
      this._protocol.connectionLost(exc);
    } finally {
      // Python 3.12 wakes wait() here: once the child has exited and every pipe is closed.
      for (const w of this._exitWaiters ?? []) if (!w.cancelled()) w.setResult(this._returncode as number);
      this._exitWaiters = null;
      this._proc = null;
    }
  };

  /**
   * @internal Waits until the child has exited and the transport has finished (Python's
   * `_wait()`, what `Process.wait()` uses); at once when the return code is already known.
   */
  _wait(): Future<number> {
    const w = new Future<number>({ loop: this._loop });
    if (this._returncode !== null) w.setResult(this._returncode);
    else (this._exitWaiters ??= []).push(w);
    return w;
  }

  isClosing(): boolean {
    return this._closed;
  }

  /** Closes the pipes and kills the child (SIGKILL) when it is still running. Idempotent. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    for (const p of this._pipes.values()) p.pipe?.close();
    const proc = this._proc;
    if (proc !== null && this._returncode === null && proc.exitCode === null && proc.signalCode === null) {
      if (this._loop.getDebug()) logger.warning(`Close running child process: kill ${this}`);
      // kill() answers a child that is already gone with false, not an error.
      proc.kill("SIGKILL");
    }
  }

  /** The child's process id. */
  getPid(): number | undefined {
    return this._pid;
  }

  /** The exit code, `-signal` when killed by a signal, or `null` while the child runs. */
  getReturncode(): number | null {
    return this._returncode;
  }

  /** The transport of the child's stdin (0: a WriteTransport), stdout (1) or stderr (2), or null when not piped. */
  getPipeTransport(fd: number): WriteTransport<PipeExtraInfo> | ReadTransport<PipeExtraInfo> | null {
    return this._pipes.get(fd)?.pipe ?? null;
  }

  /**
   * Sends `signal` to the child; nothing happens when it has already exited.
   * @throws ProcessLookupError once the transport has finished.
   */
  sendSignal(signal: NodeJS.Signals | number): void {
    if (this._proc === null) throw new ProcessLookupError("[Errno 3] No such process");
    this._proc.kill(signal);
  }

  /** Sends SIGTERM. @throws ProcessLookupError once the transport has finished. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** Sends SIGKILL. @throws ProcessLookupError once the transport has finished. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  override toString(): string {
    const info = ["BaseSubprocessTransport"];
    if (this._closed) info.push("closed");
    if (this._pid !== undefined) info.push(`pid=${this._pid}`);
    if (this._returncode !== null) info.push(`returncode=${this._returncode}`);
    else info.push("running");
    for (const [fd, name] of [
      [0, "stdin"],
      [1, "stdout"],
      [2, "stderr"],
    ] as const) {
      const p = this._pipes.get(fd)?.pipe;
      if (p) info.push(`${name}=${p}`);
    }
    return `<${info.join(" ")}>`;
  }
}

/** Python's return code: the exit status, or minus the number of the signal that killed the child. */
function returncodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : (osConstants.signals as Record<string, number>)[signal];
  return n === undefined ? -1 : -n;
}

// -- Making one -----------------------------------------------------------------------------------------

type NodeStdio = StdioPipe | StdioNull | number | Socket;

/** Maps one of Python's stdio arguments to Node's; `which` names it in errors. */
function nodeStdio(spec: StdioSpec | undefined, which: "stdin" | "stdout" | "stderr"): NodeStdio {
  if (spec === undefined || spec === PIPE) return "pipe";
  if (spec === null || spec === "inherit") return "inherit";
  if (spec === DEVNULL) return "ignore";
  if (spec === STDOUT) throw new Error(`STDOUT can only be used for stderr, not for ${which}`);
  if (Number.isInteger(spec) && spec >= 0) return spec;
  throw new TypeError(`invalid ${which} argument: ${String(spec)} (use PIPE, DEVNULL, STDOUT, "inherit", null or a file descriptor)`);
}

/**
 * A connected pair of stream sockets: Node has no pipe(2), and a child's stderr can join its
 * stdout only if both are given one descriptor before the child starts. Made through a Unix
 * socket (a named pipe on Windows) that lives only until the pair is connected.
 */
async function socketPair(): Promise<[Socket, Socket]> {
  const dir = process.platform === "win32" ? null : mkdtempSync(join(tmpdir(), "asyncio-ts-"));
  const path = dir === null ? `\\\\.\\pipe\\asyncio-ts-${process.pid}-${randomUUID()}` : join(dir, "stdout.sock");
  const server = netCreateServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
    const client = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect(path);
      s.once("error", reject);
      s.once("connect", () => {
        s.off("error", reject);
        resolve(s);
      });
    });
    return [await accepted, client];
  } finally {
    server.close();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

/** Python's strerror() words for the errors spawning meets. */
const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENOTDIR: "Not a directory",
  EAGAIN: "Resource temporarily unavailable",
  EMFILE: "Too many open files",
};

/** The error a failed spawn throws, as Python's: `[Errno 2] No such file or directory: 'prog'`. */
function spawnError(err: unknown, program: string): Error {
  // Only system errors become OSErrors; a bad argument (Node's TypeError) stays what it is.
  if (!(err instanceof Error) || typeof (err as { errno?: unknown }).errno !== "number") return err as Error;
  const code = String((err as { code?: unknown }).code ?? "");
  const n = (osConstants.errno as Record<string, number>)[code];
  const text = STRERROR[code];
  if (n === undefined || text === undefined) return toOSError(err);
  return new (osErrorClass(code))(`[Errno ${n}] ${text}: '${program}'`, code, { cause: err });
}

/**
 * @internal Starts a child and wraps it in a subprocess transport for `protocol`; resolves
 * once the protocol's `connectionMade` has run. What `loop.subprocessExec()` and
 * `loop.subprocessShell()` do.
 * @throws FileNotFoundError / PermissionError when the program cannot be started.
 */
export async function makeSubprocessTransport(
  loop: BaseEventLoop,
  protocol: BaseProtocol,
  file: string,
  args: readonly string[],
  shell: boolean,
  options: SubprocessOptions | undefined,
): Promise<BaseSubprocessTransport> {
  const stdin = nodeStdio(options?.stdin, "stdin");
  let stdout = nodeStdio(options?.stdout, "stdout");
  const mergeStderr = options?.stderr === STDOUT;
  let stderr: NodeStdio = mergeStderr ? "pipe" : nodeStdio(options?.stderr, "stderr");
  let pair: [Socket, Socket] | null = null;
  if (mergeStderr) {
    if (stdout === "pipe") {
      pair = await socketPair();
      stdout = stderr = pair[1];
    } else {
      // The child's stderr goes where its stdout goes: the null device, a file, or the parent's stdout.
      stderr = stdout === "inherit" ? 1 : stdout;
    }
  }
  let proc: ChildProcess;
  try {
    proc = spawn(file, [...args], { stdio: [stdin, stdout, stderr], cwd: options?.cwd, env: options?.env, shell, windowsHide: true });
  } catch (err) {
    pair?.[0].destroy();
    throw spawnError(err, file);
  } finally {
    // The child has its own copy of the write end; the parent's would keep the pipe from ending.
    pair?.[1].destroy();
  }
  if (proc.pid === undefined) {
    pair?.[0].destroy();
    const err = await new Promise<unknown>((resolve) => proc.once("error", resolve));
    // A missing working directory fails the same way as a missing program: name the right one.
    const cwd = options?.cwd;
    throw spawnError(err, cwd !== undefined && !existsSync(cwd) ? cwd : file);
  }
  // Node resumes a child's unread stdio streams when it exits ("flushStdio"), which would
  // undo pauseReading() and drop data read before the transport starts reading: the pipe
  // transports own these streams, so Node is not given them to flush.
  (proc as { stdio: unknown }).stdio = [null, null, null];
  const context = copyContext();
  const waiter = new Future<void>({ loop });
  const transport = new BaseSubprocessTransport(loop, protocol, proc, pair !== null ? pair[0] : (proc.stdout as Socket | null), waiter, context);
  try {
    await waiter;
  } catch (err) {
    transport.close();
    await transport._wait();
    throw err;
  }
  return transport;
}
