// The error types: Python's names and messages, a stable `code` for ours, and for errors from the
// operating system Node's `code` with the numeric `errno` Python shows.
import { constants as osConstants } from "node:os";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { toOSError } from "../../src/asyncio/exceptions.js";

/** A Node system error as `net` makes them: `code` "ECONNREFUSED", a negative `errno`, `syscall`. */
function nodeError(code: string, message = `connect ${code} 127.0.0.1:1`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, errno: -(osConstants.errno as Record<string, number>)[code]!, syscall: "connect" });
}

describe("OSError and its subclasses", () => {
  it("keep Node's code and the positive errno of os.constants.errno", () => {
    const err = new asyncio.OSError("error while attempting to bind on address ('127.0.0.1', 80): address already in use", "EADDRINUSE");
    expect(err.code).toBe("EADDRINUSE");
    expect(err.errno).toBe(osConstants.errno.EADDRINUSE);
    expect(err.name).toBe("OSError");
    expect(err).toBeInstanceOf(asyncio.AsyncioError);
  });

  it("a subclass made without a code takes the one its name stands for", () => {
    const cases: [asyncio.OSError, string][] = [
      [new asyncio.ConnectionRefusedError("x"), "ECONNREFUSED"],
      [new asyncio.ConnectionResetError("Connection lost"), "ECONNRESET"],
      [new asyncio.ConnectionAbortedError("x"), "ECONNABORTED"],
      [new asyncio.BrokenPipeError("[Errno 32] Broken pipe"), "EPIPE"],
      [new asyncio.FileNotFoundError("x"), "ENOENT"],
      [new asyncio.PermissionError("x"), "EACCES"],
      [new asyncio.ProcessLookupError(), "ESRCH"],
    ];
    for (const [err, code] of cases) {
      expect([err.name, err.code, err.errno]).toEqual([err.constructor.name, code, (osConstants.errno as Record<string, number>)[code]]);
      expect(err).toBeInstanceOf(asyncio.OSError);
    }
    expect(new asyncio.PermissionError("x", "EPERM").code).toBe("EPERM");
    expect(new asyncio.ConnectionResetError("x")).toBeInstanceOf(asyncio.ConnectionError);
  });

  it("OSError and ConnectionError made without a code have a stable ERR_ASYNCIO code and no errno", () => {
    expect([new asyncio.OSError("x").code, new asyncio.OSError("x").errno]).toEqual(["ERR_ASYNCIO_OS_ERROR", undefined]);
    expect([new asyncio.ConnectionError("x").code, new asyncio.ConnectionError("x").errno]).toEqual(["ERR_ASYNCIO_CONNECTION", undefined]);
  });

  it("a code that is not an errno (a DNS failure) keeps the code, errno undefined", () => {
    const err = toOSError(
      Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), { code: "ENOTFOUND", errno: -3008 }),
      "Connect call failed ('nowhere.invalid', 80)",
    ) as asyncio.OSError;
    expect(err).toBeInstanceOf(asyncio.OSError);
    expect(err.message).toBe("Connect call failed ('nowhere.invalid', 80): name or service not known");
    expect(err.code).toBe("ENOTFOUND");
    expect(err.errno).toBeUndefined();
  });

  it("a Node error becomes the subclass Python raises, with Python's message, Node's code and the original as cause", () => {
    const cause = nodeError("ECONNREFUSED");
    const err = toOSError(cause, "Connect call failed ('127.0.0.1', 1)") as asyncio.OSError;
    expect(err).toBeInstanceOf(asyncio.ConnectionRefusedError);
    expect(err.message).toBe("Connect call failed ('127.0.0.1', 1): connection refused");
    expect(err.code).toBe("ECONNREFUSED");
    expect(err.errno).toBe(osConstants.errno.ECONNREFUSED);
    expect(err.cause).toBe(cause);
    expect(toOSError(nodeError("EPIPE", "write EPIPE"))).toBeInstanceOf(asyncio.BrokenPipeError);
    expect(toOSError(nodeError("EPERM", "kill EPERM"))).toBeInstanceOf(asyncio.PermissionError);
  });
});

describe("isCancelledError", () => {
  it("is exported and tells a CancelledError, also one from another copy of the library", () => {
    expect(asyncio.isCancelledError(new asyncio.CancelledError("stop"))).toBe(true);
    const foreign = Object.assign(new Error("stop"), { code: "ERR_ASYNCIO_CANCELLED" });
    expect(asyncio.isCancelledError(foreign)).toBe(true);
    expect(asyncio.isCancelledError(new asyncio.TimeoutError())).toBe(false);
    expect(asyncio.isCancelledError("ERR_ASYNCIO_CANCELLED")).toBe(false);
  });
});

describe("Errors that are not OS errors", () => {
  it("keep their stable ERR_ASYNCIO code", () => {
    expect(new asyncio.CancelledError().code).toBe("ERR_ASYNCIO_CANCELLED");
    expect(new asyncio.TimeoutError().code).toBe("ERR_ASYNCIO_TIMEOUT");
    expect(new asyncio.InvalidStateError().code).toBe("ERR_ASYNCIO_INVALID_STATE");
    expect(new asyncio.QueueEmpty().code).toBe("ERR_ASYNCIO_QUEUE_EMPTY");
    expect(new asyncio.BrokenBarrierError().code).toBe("ERR_ASYNCIO_BROKEN_BARRIER");
    expect(new asyncio.IncompleteReadError(Buffer.from("ab"), 3).code).toBe("ERR_ASYNCIO_INCOMPLETE_READ");
  });
});
