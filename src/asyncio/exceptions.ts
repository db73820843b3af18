// The error types of asyncio-ts: Python's asyncio.exceptions, with the same names and messages.
// Each carries a stable `code` so programs can test for it without matching messages.

/** Base class of the errors asyncio-ts defines itself; `code` is stable across releases. */
export class AsyncioError extends Error {
  /** A stable identifier such as `ERR_ASYNCIO_INVALID_STATE`. */
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
 * An operating-system error from a socket, pipe or process, as Python's `OSError`: `errno`
 * is Node's code for it (`EADDRINUSE`, `ECONNRESET`, ...).
 */
export class OSError extends AsyncioError {
  /** Node's error code (`ECONNREFUSED`, ...), or an empty string. */
  readonly errno: string;
  constructor(message: string, errno = "", options?: ErrorOptions, code = "ERR_ASYNCIO_OS_ERROR") {
    super(message, code, options);
    this.errno = errno;
  }
}

/** Base of the connection errors, as Python's `ConnectionError`. */
export class ConnectionError extends OSError {
  constructor(message: string, errno = "", options?: ErrorOptions, code = "ERR_ASYNCIO_CONNECTION") {
    super(message, errno, options, code);
  }
}

/** Nothing listens where a connection was attempted. */
export class ConnectionRefusedError extends ConnectionError {
  constructor(message: string, errno = "ECONNREFUSED", options?: ErrorOptions) {
    super(message, errno, options, "ERR_ASYNCIO_CONNECTION_REFUSED");
  }
}

/** The peer reset the connection. */
export class ConnectionResetError extends ConnectionError {
  constructor(message: string, errno = "ECONNRESET", options?: ErrorOptions) {
    super(message, errno, options, "ERR_ASYNCIO_CONNECTION_RESET");
  }
}

/** The connection was aborted on this side. */
export class ConnectionAbortedError extends ConnectionError {
  constructor(message: string, errno = "ECONNABORTED", options?: ErrorOptions) {
    super(message, errno, options, "ERR_ASYNCIO_CONNECTION_ABORTED");
  }
}

/** Writing to a connection whose other end is gone. */
export class BrokenPipeError extends ConnectionError {
  constructor(message: string, errno = "EPIPE", options?: ErrorOptions) {
    super(message, errno, options, "ERR_ASYNCIO_BROKEN_PIPE");
  }
}

/** A file or program does not exist (`ENOENT`), as Python's `FileNotFoundError`. */
export class FileNotFoundError extends OSError {
  constructor(message: string, errno = "ENOENT", options?: ErrorOptions) {
    super(message, errno, options, "ERR_ASYNCIO_FILE_NOT_FOUND");
  }
}

/** The operating system refused the operation (`EACCES`, `EPERM`), as Python's `PermissionError`. */
export class PermissionError extends OSError {
  constructor(message: string, errno = "EACCES", options?: ErrorOptions) {
    super(message, errno, options, "ERR_ASYNCIO_PERMISSION");
  }
}

/**
 * No such process (`ESRCH`), as Python's `ProcessLookupError`: what signalling a child whose
 * transport is already finished throws.
 */
export class ProcessLookupError extends OSError {
  constructor(message = "", errno = "ESRCH", options?: ErrorOptions) {
    super(message, errno, options, "ERR_ASYNCIO_PROCESS_LOOKUP");
  }
}

/**
 * Turns a Node error from a socket or pipe into the matching OSError subclass, keeping the
 * original as `cause` and adding `what` (such as "Connect call failed ('127.0.0.1', 1)").
 */
export function toOSError(err: unknown, what?: string): Error {
  if (err instanceof OSError || !(err instanceof Error)) return err as Error;
  const errno = String((err as { code?: unknown }).code ?? "");
  const reason = err.message.replace(/^\w+ (E[A-Z]+)\b.*$/, "$1");
  const message = what !== undefined ? `${what}: ${describeErrno(errno) ?? reason}` : err.message;
  switch (errno) {
    case "ECONNREFUSED":
      return new ConnectionRefusedError(message, errno, { cause: err });
    case "ECONNRESET":
      return new ConnectionResetError(message, errno, { cause: err });
    case "ECONNABORTED":
      return new ConnectionAbortedError(message, errno, { cause: err });
    case "EPIPE":
      return new BrokenPipeError(message, errno, { cause: err });
    case "ENOENT":
      return new FileNotFoundError(message, errno, { cause: err });
    case "EACCES":
    case "EPERM":
      return new PermissionError(message, errno, { cause: err });
    case "ESRCH":
      return new ProcessLookupError(message, errno, { cause: err });
    default:
      return new OSError(message, errno, { cause: err });
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
