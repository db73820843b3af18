// The protocol layer: Jupyter requests in, replies and broadcasts out (kernel_info, execute,
// is_complete, complete, inspect, history, comm_info, shutdown, interrupt, input). Every
// request is bracketed by busy and idle on iopub; every output of a cell is published before
// its idle; a message with a bad signature or broken frames is logged and dropped, never run.
// It knows no TypeScript: cells, completion, inspection and syntax are the language's
// (language.ts is the seam, interpreter.ts the TypeScript side), as ipykernel's kernelbase
// unpacks `complete_request` and calls `do_complete`.

import { History, type HistoryEntry } from "./history.js";
import type { CellOutput, Completion, ErrorContent, IsCompleteResult, Language, MimeBundle } from "./language.js";
import { PROTOCOL_VERSION, makeMessage, type Incoming, type Message } from "./messages.js";
import { isInstance, safeGet, safeStack, safeText } from "./safe-text.js";
import type { Channel, KernelTransport } from "./transport.js";
import { SignatureHistory, Signer, WireError, deserialize, serialize } from "./wire.js";
import { randomUUID } from "node:crypto";

/** Kernel options. */
export interface KernelOptions {
  transport: KernelTransport;
  signer: Signer;
  /** What runs the cells. */
  language: Language;
  /** Where the kernel logs (never the cells' output). Default: standard error. */
  log?: (line: string) => void;
  /** Called once the kernel has shut down; `restart` says whether a restart was asked for. */
  onShutdown?: (restart: boolean) => void;
  /** `implementation` and `implementation_version` of kernel_info. */
  implementation?: string;
  version?: string;
}

type Handler = (msg: Incoming, channel: Channel) => Promise<void> | void;

/** The content of an `execute_request`, as far as the kernel reads it. */
interface ExecuteContent {
  code?: unknown;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  allow_stdin?: boolean;
  stop_on_error?: boolean;
}

/** A Jupyter kernel: the protocol, for any {@link Language}. */
export class Kernel {
  readonly session = randomUUID();
  readonly language: Language;
  readonly history = new History();
  private readonly _transport: KernelTransport;
  private readonly _signer: Signer;
  /** One history for every channel, as ipykernel's one Session: a replay is refused on any. */
  private readonly _signatures = new SignatureHistory();
  private readonly _log: (line: string) => void;
  private _executionCount = 0;
  private readonly _shellQueue: { msg: Incoming; channel: Channel }[] = [];
  private _shellBusy = false;
  /** Execute requests received up to this sequence number are aborted (stop_on_error). */
  private _abortUntil: number = -1;
  private _received = 0;
  private _pendingInput: { resolve: (line: string) => void; reject: (e: Error) => void; requestId: string } | null = null;
  private _shuttingDown = false;
  /** Set once shutdown_request is answered: whether a restart was asked for. */
  private _shutdownAnswered: boolean | null = null;
  private _warmedUp = false;
  private readonly _handlers: Map<string, Handler>;

  constructor(private readonly _options: KernelOptions) {
    this._transport = _options.transport;
    this._signer = _options.signer;
    this.language = _options.language;
    this._log = _options.log ?? ((line) => process.stderr.write(`[asyncio-ts kernel] ${line}\n`));
    this._handlers = new Map<string, Handler>(
      Object.entries({
        kernel_info_request: async (m, c) => {
          await this._reply(m, c, "kernel_info_reply", this._kernelInfo());
          this._warmUp();
        },
        execute_request: (m, c) => this._execute(m, c),
        is_complete_request: (m, c) => this._isComplete(m, c),
        complete_request: (m, c) => this._complete(m, c),
        inspect_request: (m, c) => this._inspect(m, c),
        history_request: (m, c) => this._reply(m, c, "history_reply", { status: "ok", history: this.history.query(m.content) }),
        comm_info_request: (m, c) => this._reply(m, c, "comm_info_reply", { status: "ok", comms: {} }),
        // No comm targets are registered: the opener is told the comm is closed (the spec's rule,
        // and what ipykernel does), instead of waiting for a comm that never answers.
        comm_open: (m) => {
          this._log(`no such comm target registered: ${logged(String(m.content["target_name"] ?? ""))}`);
          return this._publish("comm_close", { comm_id: m.content["comm_id"] ?? "", data: {} }, m);
        },
        shutdown_request: (m, c) => this._shutdown(m, c),
        interrupt_request: (m, c) => {
          this.interrupt();
          return this._reply(m, c, "interrupt_reply", { status: "ok" });
        },
      }),
    );
  }

  /** What is left to do for a control request the transport answered. */
  private readonly _answered: Handler = (m) => {
    if (m.header.msg_type === "kernel_info_request") this._warmUp();
  };

  /** After the first kernel_info_reply (the first request a front end makes) the language may load what is slow. */
  private _warmUp(): void {
    if (this._warmedUp) return;
    this._warmedUp = true;
    setTimeout(() => this.language.warmUp(), 0).unref();
  }

  /** Starts the language, then listening. */
  async start(): Promise<void> {
    await this.language.start();
    await this._transport.start((channel, frames, answered) => this._onFrames(channel, frames, answered === true), { session: this.session, kernelInfo: this._kernelInfo() });
  }

  /** Interrupts the running cell (message mode; signal mode arrives as SIGINT) and a pending input request. */
  interrupt(): void {
    this.language.interrupt();
    const input = this._pendingInput;
    this._pendingInput = null;
    input?.reject(new Error("interrupted while waiting for input"));
  }

  // -- Incoming ---------------------------------------------------------------------------------

  private _onFrames(channel: Channel, frames: Buffer[], answered: boolean): void {
    let msg: Incoming;
    try {
      msg = deserialize(frames, this._signer, this._signatures);
      // Every reply and broadcast carries the header back as its parent: one that cannot be
      // written again (a 10,000-deep array in it overflows JSON.stringify) could get no reply, so
      // it is dropped here, before any busy, rather than failing halfway through a request.
      JSON.stringify(msg.header);
    } catch (e) {
      const why = e instanceof WireError ? e.message : `its header cannot be serialised (${String(e)})`;
      this._log(`dropped a message on ${channel}: ${why}`);
      return;
    }
    this._received++;
    // The control thread keeps its own history: it learns what was accepted here.
    if (channel !== "control" && msg.signature) this._transport.accepted?.(msg.signature);
    if (channel === "stdin") {
      // Only the answer to the request waiting now: a stale reply still in flight (to an input
      // request an interrupt ended) must not answer the next one. JupyterLab names the request
      // as the reply's parent; jupyter_client's input() names none, and is taken as it comes.
      const input = this._pendingInput;
      const answers = msg.parent_header["msg_id"];
      if (msg.header.msg_type === "input_reply" && input !== null && (answers === undefined || answers === input.requestId)) {
        this._pendingInput = null;
        const value = msg.content["value"];
        // A string, says the spec; anything else (parsed JSON, so plain data) as its JSON.
        input.resolve(typeof value === "string" ? value : (JSON.stringify(value) ?? ""));
      }
      return;
    }
    if (channel === "control") {
      void this._handle(msg, channel, answered);
      return;
    }
    this._shellQueue.push({ msg, channel });
    if (!this._shellBusy) void this._drainShell();
  }

  /** Shell requests run one at a time, in the order they came. */
  private async _drainShell(): Promise<void> {
    this._shellBusy = true;
    try {
      for (let item = this._shellQueue.shift(); item !== undefined; item = this._shellQueue.shift()) {
        // _handle logs its own failures; this catch only keeps one request's failure from
        // stranding the requests queued behind it.
        await this._handle(item.msg, item.channel).catch((e: unknown) => this._log(`error in the shell queue: ${safeText(e)}`));
      }
    } finally {
      this._shellBusy = false;
    }
  }

  /**
   * Runs one request between busy and idle. Never rejects: every request ends with a reply (an
   * error reply when its handler fails) or a logged drop, and idle follows busy whenever busy went out.
   */
  private async _handle(msg: Incoming, channel: Channel, answered = false): Promise<void> {
    const type = msg.header.msg_type;
    const shown = logged(type);
    // A Map, not an object: `constructor`, `toString` or `__proto__` must not find Object.prototype's members.
    // Answered by the transport already: what is left is the bracket (and the warm-up after kernel_info).
    const handler = answered ? this._answered : this._handlers.get(type);
    let busy = false;
    try {
      await this._publish("status", { execution_state: "busy" }, msg);
      busy = true;
      if (handler === undefined) {
        if (!type.startsWith("comm_")) this._log(`unknown message type ${shown} on ${channel}`);
      } else {
        await handler(msg, channel);
      }
    } catch (e) {
      this._log(`error handling ${shown}: ${safeStack(e)}`);
      // A front end waits for the reply: it gets one that says what went wrong (in strings only:
      // `e` may be anything a cell threw).
      if (busy && handler !== undefined && type.endsWith("_request")) {
        const isError = isInstance(e, Error);
        const ename = isError ? safeText(safeGet(e, "name")) : "Error";
        const evalue = isError ? safeText(safeGet(e, "message")) : safeText(e);
        await this._reply(msg, channel, type.replace(/_request$/, "_reply"), { status: "error", ename, evalue, traceback: [] }).catch((e2: unknown) =>
          this._log(`dropped ${shown}: its error reply could not be sent (${safeText(e2)})`),
        );
      } else if (!busy) {
        this._log(`dropped ${shown} on ${channel}: nothing could be sent for it`);
      }
    } finally {
      if (busy) await this._publish("status", { execution_state: "idle" }, msg).catch((e: unknown) => this._log(`could not publish idle for ${shown}: ${safeText(e)}`));
    }
    // A shutdown closes the sockets only now, after its one idle has gone out.
    const restart = this._shutdownAnswered;
    if (restart !== null && type === "shutdown_request") {
      try {
        await this.close();
        this._options.onShutdown?.(restart);
      } catch (e) {
        this._log(`error shutting down: ${safeStack(e)}`);
      }
    }
  }

  // -- Outgoing ---------------------------------------------------------------------------------

  private async _send(channel: Channel, msg: Message<unknown>, identities: Buffer[] = []): Promise<void> {
    await this._transport.send(channel, serialize(msg, this._signer, identities));
  }

  private _publish(msgType: string, content: unknown, parent: Message<unknown> | null): Promise<void> {
    return this._send("iopub", makeMessage(msgType, content, parent, this.session));
  }

  private _reply(parent: Incoming, channel: Channel, msgType: string, content: unknown): Promise<void> {
    return this._send(channel, makeMessage(msgType, content, parent, this.session), parent.identities);
  }

  private _kernelInfo(): Record<string, unknown> {
    return {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: this._options.implementation ?? "asyncio-ts",
      implementation_version: this._options.version ?? "0.0.0",
      language_info: this.language.languageInfo,
      banner: this.language.banner,
      help_links: [],
    };
  }

  // -- Execute ----------------------------------------------------------------------------------

  private async _execute(msg: Incoming, channel: Channel): Promise<void> {
    const content = msg.content as ExecuteContent;
    const code = String(content.code ?? "");
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    if (this._received <= this._abortUntil) {
      await this._reply(msg, channel, "execute_reply", { status: "aborted", execution_count: this._executionCount });
      return;
    }
    if (storeHistory) this._executionCount++;
    const count = this._executionCount;
    const entry: HistoryEntry | null = storeHistory ? this.history.add(count, code) : null;
    if (!silent) await this._publish("execute_input", { code, execution_count: count }, msg);
    const cell = this._cellOutput(msg, count, silent, content.allow_stdin !== false);
    const cellId = typeof msg.metadata?.["cellId"] === "string" ? (msg.metadata["cellId"] as string) : undefined;
    const outcome = await this.language.execute(code, cell, { silent, storeHistory, allowStdin: content.allow_stdin !== false, ...(cellId === undefined ? {} : { cellId }) });
    await cell.flush();
    if (outcome.status === "ok") {
      const userExpressions = await this._userExpressions(content.user_expressions ?? {}, cell);
      if (outcome.result !== null && !silent) {
        if (entry !== null) entry.output = String(outcome.result["text/plain"] ?? "");
        await this._publish("execute_result", { execution_count: count, data: outcome.result, metadata: {} }, msg);
      }
      await this._reply(msg, channel, "execute_reply", { status: "ok", execution_count: count, user_expressions: userExpressions, payload: cell.done() });
    } else {
      const err: ErrorContent = { ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback };
      if (!silent) await this._publish("error", err, msg);
      // Requests already received when a cell fails are aborted (stop_on_error), as ipykernel does.
      if (content.stop_on_error !== false) this._abortUntil = this._received;
      cell.done();
      await this._reply(msg, channel, "execute_reply", { status: "error", execution_count: count, ...err, user_expressions: {}, payload: [] });
    }
  }

  private async _userExpressions(exprs: Record<string, string>, cell: CellOutput): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [name, expr] of Object.entries(exprs)) {
      const r = await this.language.evaluate(String(expr), cell);
      out[name] = r.status === "ok" ? { status: "ok", data: r.data, metadata: {} } : { status: "error", ename: r.ename, evalue: r.evalue, traceback: r.traceback };
    }
    return out;
  }

  /** The output of one cell: everything it starts publishes with its request as parent. */
  private _cellOutput(parent: Incoming, count: number, silent: boolean, allowStdin: boolean): CellOutput & { flush(): Promise<void>; done(): Record<string, unknown>[] } {
    let pending: Promise<void> = Promise.resolve();
    let payload: Record<string, unknown>[] | null = [];
    const publish = (type: string, content: unknown): void => {
      if (silent) return;
      pending = this._publish(type, content, parent);
    };
    return {
      executionCount: count,
      stream(name, text) {
        publish("stream", { name, text });
      },
      display(bundle: MimeBundle, options) {
        const transient = options?.displayId === undefined ? {} : { display_id: options.displayId };
        publish(options?.update ? "update_display_data" : "display_data", { data: bundle, metadata: options?.metadata ?? {}, transient });
      },
      clearOutput(wait) {
        publish("clear_output", { wait });
      },
      error(content) {
        publish("error", content);
      },
      payload(item) {
        payload?.push(item);
      },
      requestInput: (prompt, password) => {
        if (!allowStdin) throw new Error("input() is not available: this front end does not support input requests");
        this._pendingInput?.reject(new Error("a newer input request replaced this one"));
        const request = makeMessage("input_request", { prompt, password }, parent, this.session);
        const answer = new Promise<string>((resolve, reject) => (this._pendingInput = { resolve, reject, requestId: request.header.msg_id }));
        void this._send("stdin", request, parent.identities);
        return answer;
      },
      flush() {
        return pending;
      },
      /** The reply's payload; what comes after it is dropped. */
      done() {
        const items = payload ?? [];
        payload = null;
        return items;
      },
    };
  }

  // -- Completion and inspection ---------------------------------------------------------------

  /** A language that cannot tell (its check failed: a stack overflow on deep code) answers `unknown`, the status the spec has for it. */
  private async _isComplete(msg: Incoming, channel: Channel): Promise<void> {
    let status: IsCompleteResult;
    try {
      status = await this.language.isComplete(String(msg.content["code"] ?? ""));
    } catch (e) {
      this._log(`is_complete failed, answered unknown: ${String(e)}`);
      status = { status: "unknown" };
    }
    await this._reply(msg, channel, "is_complete_reply", status);
  }

  private async _complete(msg: Incoming, channel: Channel): Promise<void> {
    const code = String(msg.content["code"] ?? "");
    const cursor = utf16Offset(code, Number(msg.content["cursor_pos"] ?? code.length));
    const c: Completion = await this.language.complete(code, cursor);
    const metadata: Record<string, unknown> = { ...c.metadata };
    if (c.types !== undefined) {
      metadata["_jupyter_types_experimental"] = c.types.map((t) => ({
        ...t,
        start: codePointOffset(code, t.start ?? c.cursorStart),
        end: codePointOffset(code, t.end ?? c.cursorEnd),
      }));
    }
    await this._reply(msg, channel, "complete_reply", {
      status: "ok",
      matches: c.matches,
      cursor_start: codePointOffset(code, c.cursorStart),
      cursor_end: codePointOffset(code, c.cursorEnd),
      metadata,
    });
  }

  private async _inspect(msg: Incoming, channel: Channel): Promise<void> {
    const code = String(msg.content["code"] ?? "");
    const cursor = utf16Offset(code, Number(msg.content["cursor_pos"] ?? code.length));
    const r = await this.language.inspect(code, cursor, Number(msg.content["detail_level"] ?? 0));
    await this._reply(msg, channel, "inspect_reply", { status: "ok", found: r.found, data: r.data, metadata: r.metadata ?? {} });
  }

  // -- Shutdown ---------------------------------------------------------------------------------

  /** Replies; `_handle` publishes the request's idle, then closes (idle is not published twice). */
  private async _shutdown(msg: Incoming, channel: Channel): Promise<void> {
    const restart = msg.content["restart"] === true;
    await this._reply(msg, channel, "shutdown_reply", { status: "ok", restart });
    this._shutdownAnswered = restart;
  }

  /** Ends the language (and what its cells started), closes the sockets. Idempotent. */
  async close(): Promise<void> {
    if (this._shuttingDown) return;
    this._shuttingDown = true;
    this.interrupt();
    await this.language.close();
    await this._transport.close();
  }
}

/** A message type as the log shows it: quoted, and cut at 100 characters (a 1 MB one is not written whole). */
function logged(type: string): string {
  return type.length > 100 ? `${JSON.stringify(type.slice(0, 100))}... (${type.length} characters)` : JSON.stringify(type);
}

/** The UTF-16 offset of the `codePoints`-th code point of `s` (the wire counts code points, protocol 5.2). */
function utf16Offset(s: string, codePoints: number): number {
  let i = 0;
  for (let n = 0; n < codePoints && i < s.length; n++) i += (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  return i;
}

/** How many code points the first `offset` UTF-16 units of `s` hold. */
function codePointOffset(s: string, offset: number): number {
  let n = 0;
  for (let i = 0; i < offset && i < s.length; n++) i += (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  return n;
}
