// The error types of asyncio-ts: Python's asyncio.exceptions, with the same names and messages.
// Each carries a stable `code` so programs can test for it without matching messages: ours
// (`ERR_ASYNCIO_...`), or for errors from the operating system Node's (`ECONNREFUSED`).

import { constants as osConstants } from "node:os";

/** Base class of the errors asyncio-ts defines itself; `code` is stable across releases. */
export class AsyncioError extends Error {
  /** A stable identifier such as `ERR_ASYNCIO_INVALID_STATE`; Node's code (`ECONNREFUSED`) for an `OSError`. */
  readonly code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The operation was cancelled: thrown into a coroutine at the point where it waits when its
 * Task is cancelled, and by `result()` of a cancelled Future.
 */
export class CancelledError extends AsyncioError {
  constructor(message = "", options?: ErrorOptions) {
    super(message, "ERR_ASYNCIO_CANCELLED", options);
  }
}

/** A Future or Task was asked for something its state does not allow ("Result is not ready."). */
export class InvalidStateError extends AsyncioError {
  constructor(message = "Invalid internal state", options?: ErrorOptions) {
    super(message, "ERR_ASYNCIO_INVALID_STATE", options);
  }
}

/** A deadline passed: `waitFor`, `timeout` and `wait`-style helpers throw it. */
export class TimeoutError extends AsyncioError {
  constructor(message = "", options?: ErrorOptions) {
    super(message, "ERR_ASYNCIO_TIMEOUT", options);
  }
}

/** The stream ended before the expected number of bytes arrived; `partial` holds what did. */
export class IncompleteReadError extends AsyncioError {
  /** The bytes read before the end of the stream. */
  readonly partial: Buffer;
  /** How many bytes were expected, or `null` when reading up to a separator. */
  readonly expected: number | null;
  constructor(partial: Buffer, expected: number | null) {
    const r = expected === null ? "undefined" : String(expected);
    super(`${partial.length} bytes read on a total of ${r} expected bytes`, "ERR_ASYNCIO_INCOMPLETE_READ");
    this.partial = partial;
    this.expected = expected;
  }
}

/** A separator was not found within the reader's buffer limit. */
export class LimitOverrunError extends AsyncioError {
  /** How many bytes must be consumed to get past the data seen so far. */
  readonly consumed: number;
  constructor(message: string, consumed: number) {
    super(message, "ERR_ASYNCIO_LIMIT_OVERRUN");
    this.consumed = consumed;
  }
}

/** `Queue.getNowait()` on an empty queue. */
export class QueueEmpty extends AsyncioError {
  constructor(message = "") {
    super(message, "ERR_ASYNCIO_QUEUE_EMPTY");
  }
}

/** `Queue.putNowait()` on a full queue. */
export class QueueFull extends AsyncioError {
  constructor(message = "") {
    super(message, "ERR_ASYNCIO_QUEUE_FULL");
  }
}

/**
 * `put()` or `get()` on a queue that was shut down (Python 3.13's `QueueShutDown`): puts at
 * once, gets once the queue is empty (at once after `shutdown({ immediate: true })`).
 */
export class QueueShutDown extends AsyncioError {
  constructor(message = "") {
    super(message, "ERR_ASYNCIO_QUEUE_SHUT_DOWN");
  }
}

/**
 * A `Barrier` was aborted, or reset while tasks waited on it ("Barrier aborted", "Abort or
 * reset of barrier"), as Python's `BrokenBarrierError`.
 */
export class BrokenBarrierError extends AsyncioError {
  constructor(message = "") {
    super(message, "ERR_ASYNCIO_BROKEN_BARRIER");
  }
}

/** A `BoundedSemaphore` was released more often than it was acquired. */
export class BoundedSemaphoreError extends AsyncioError {
  constructor(message = "BoundedSemaphore released too many times") {
    super(message, "ERR_ASYNCIO_BOUNDED_SEMAPHORE");
  }
}

/**
 * Several errors at once, as Python's `ExceptionGroup`: what a `TaskGroup` throws when its
 * tasks fail. `exceptions` lists them in the order they happened.
 */
export class ExceptionGroup extends AggregateError {
  readonly code = "ERR_ASYNCIO_EXCEPTION_GROUP";
  readonly exceptions: readonly unknown[];
  constructor(message: string, exceptions: readonly unknown[]) {
    const n = exceptions.length;
    super(exceptions, `${message} (${n} sub-exception${n === 1 ? "" : "s"})`);
    this.name = "ExceptionGroup";
    this.exceptions = exceptions;
  }
}

/** True for a `CancelledError`, also one from another copy of this library. */
export function isCancelledError(e: unknown): e is CancelledError {
  return e instanceof CancelledError || (e instanceof Error && (e as { code?: unknown }).code === "ERR_ASYNCIO_CANCELLED");
}

/**
 * An operating-system error from a socket, pipe or process, as Python's `OSError`, carrying
 * what Node's own errors carry:
 * - `code` is Node's code for it (`"ECONNREFUSED"`, `"EADDRINUSE"`, `"ENOENT"`, ...), so the
 *   check every Node program makes, `err.code === "ECONNREFUSED"`, works;
 * - `errno` is the number Python shows as `[Errno 111]`: `os.constants.errno[code]` (111 for
 *   ECONNREFUSED on Linux), `undefined` when the code is not an errno (`ENOTFOUND`).
 * A subclass made without a code takes the one its name stands for (`ConnectionResetError`:
 * `"ECONNRESET"`); `OSError` and `ConnectionError` made without one have `ERR_ASYNCIO_OS_ERROR`
 * and `ERR_ASYNCIO_CONNECTION`. The message is Python's ("Connect call failed ('127.0.0.1',
 * 4242): connection refused"); Node's original error, when there is one, is the `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await asyncio.openConnection("127.0.0.1", 1);
 * } catch (e) {
 *   if (e instanceof asyncio.OSError && e.code === "ECONNREFUSED") console.log("nobody listens");
 * }
 * ```
 */
export class OSError extends AsyncioError {
  /** The errno (`os.constants.errno[code]`, positive as Python shows it), or `undefined`. */
  readonly errno: number | undefined;
  constructor(message: string, code?: string, options?: ErrorOptions) {
    super(message, code === undefined || code === "" ? new.target._defaultCode : code, options);
    this.errno = ERRNO[this.code];
  }

  /** @internal The code when none is given. */
  static _defaultCode = "ERR_ASYNCIO_OS_ERROR";
}

// `os.constants.errno` without a prototype, so that only real errno names map to numbers.
const ERRNO: Record<string, number | undefined> = Object.assign(Object.create(null) as object, osConstants.errno);

/** Base of the connection errors, as Python's `ConnectionError`. */
export class ConnectionError extends OSError {
  /** @internal */ static override _defaultCode = "ERR_ASYNCIO_CONNECTION";
}

/** Nothing listens where a connection was attempted (`ECONNREFUSED`). */
export class ConnectionRefusedError extends ConnectionError {
  /** @internal */ static override _defaultCode = "ECONNREFUSED";
}

/** The peer reset the connection (`ECONNRESET`). */
export class ConnectionResetError extends ConnectionError {
  /** @internal */ static override _defaultCode = "ECONNRESET";
}

/** The connection was aborted on this side (`ECONNABORTED`). */
export class ConnectionAbortedError extends ConnectionError {
  /** @internal */ static override _defaultCode = "ECONNABORTED";
}

/** Writing to a connection whose other end is gone (`EPIPE`). */
export class BrokenPipeError extends ConnectionError {
  /** @internal */ static override _defaultCode = "EPIPE";
}

/** A file or program does not exist (`ENOENT`), as Python's `FileNotFoundError`. */
export class FileNotFoundError extends OSError {
  /** @internal */ static override _defaultCode = "ENOENT";
}

/** The operating system refused the operation (`EACCES`, `EPERM`), as Python's `PermissionError`. */
export class PermissionError extends OSError {
  /** @internal */ static override _defaultCode = "EACCES";
}

/**
 * No such process (`ESRCH`), as Python's `ProcessLookupError`: what signalling a child whose
 * transport is already finished throws.
 */
export class ProcessLookupError extends OSError {
  constructor(message = "", code?: string, options?: ErrorOptions) {
    super(message, code, options);
  }

  /** @internal */ static override _defaultCode = "ESRCH";
}

/**
 * Turns a Node error from a socket or pipe into the matching OSError subclass, keeping the
 * original as `cause` and adding `what` (such as "Connect call failed ('127.0.0.1', 1)").
 */
export function toOSError(err: unknown, what?: string): Error {
  if (err instanceof OSError || !(err instanceof Error)) return err as Error;
  const code = String((err as { code?: unknown }).code ?? "");
  const reason = err.message.replace(/^\w+ (E[A-Z]+)\b.*$/, "$1");
  const message = what !== undefined ? `${what}: ${describeErrno(code) ?? reason}` : err.message;
  return new (osErrorClass(code))(message, code, { cause: err });
}

/**
 * @internal The OSError subclass Python raises for `code` (the part of Python's errno-to-class
 * table that sockets, pipes and processes meet).
 */
export function osErrorClass(code: string): typeof OSError {
  switch (code) {
    case "ECONNREFUSED":
      return ConnectionRefusedError;
    case "ECONNRESET":
      return ConnectionResetError;
    case "ECONNABORTED":
      return ConnectionAbortedError;
    case "EPIPE":
      return BrokenPipeError;
    case "ENOENT":
      return FileNotFoundError;
    case "EACCES":
    case "EPERM":
      return PermissionError;
    case "ESRCH":
      return ProcessLookupError;
    default:
      return OSError;
  }
}

function describeErrno(errno: string): string | undefined {
  const words: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ECONNRESET: "connection reset by peer",
    ECONNABORTED: "connection aborted",
    EPIPE: "broken pipe",
    EADDRINUSE: "address already in use",
    EADDRNOTAVAIL: "cannot assign requested address",
    EACCES: "permission denied",
    ENOENT: "no such file or directory",
    EPERM: "operation not permitted",
    ESRCH: "no such process",
    EMSGSIZE: "message too long",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "no route to host",
    ENOTFOUND: "name or service not known",
  };
  return words[errno];
}
