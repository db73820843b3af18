// The protocol layer: Jupyter requests in, replies and broadcasts out (kernel_info, execute,
// is_complete, complete, inspect, history, comm_info, shutdown, interrupt, input). Every
// request is bracketed by busy and idle on iopub; every output of a cell is published before
// its idle; a message with a bad signature or broken frames is logged and dropped, never run.
// The TypeScript itself is the interpreter's business (interpreter.ts).

import { typescript, typescriptVersion } from "./typescript.js";
import { Future } from "../asyncio/index.js";
import { mimeBundle, richOutput, type MimeBundle } from "./display.js";
import { Interpreter } from "./interpreter.js";
import type { KernelEventLoop } from "./kernel-loop.js";
import { PROTOCOL_VERSION, makeMessage, type Incoming, type Message } from "./messages.js";
import { cellVar, routeStdio, type CellSink } from "./output.js";
import type { Channel, KernelTransport } from "./transport.js";
import { Signer, WireError, deserialize, serialize } from "./wire.js";
import { randomUUID } from "node:crypto";

/** Kernel options. */
export interface KernelOptions {
  transport: KernelTransport;
  signer: Signer;
  loop: KernelEventLoop;
  /** Where the notebook's packages are looked up. */
  cwd: string;
  /** Where the kernel logs (never the cells' output). Default: standard error. */
  log?: (line: string) => void;
  /** Called once the kernel has shut down; `restart` says whether a restart was asked for. */
  onShutdown?: (restart: boolean) => void;
  /** The package version, for kernel_info. */
  version?: string;
}

type Handler = (msg: Incoming, channel: Channel) => Promise<void> | void;

/** A Jupyter kernel for TypeScript cells on one persistent asyncio loop. */
export class Kernel {
  readonly session = randomUUID();
  readonly interpreter: Interpreter;
  private readonly _transport: KernelTransport;
  private readonly _signer: Signer;
  private readonly _log: (line: string) => void;
  private _executionCount = 0;
  /** Inputs and (plain-text) outputs of this session, by execution count. */
  private readonly _history: { line: number; input: string; output: string | null }[] = [];
  private _payload: Record<string, unknown>[] = [];
  private readonly _shellQueue: { msg: Incoming; channel: Channel }[] = [];
  private _shellBusy = false;
  private _abortUntil: number = -1;
  private _received = 0;
  private _restoreStdio: (() => void) | null = null;
  private _pendingInput: Future<string> | null = null;
  private _shuttingDown = false;
  private _lastSink: CellSink | null = null;
  private readonly _handlers: Record<string, Handler>;

  constructor(private readonly _options: KernelOptions) {
    this._transport = _options.transport;
    this._signer = _options.signer;
    this._log = _options.log ?? ((line) => process.stderr.write(`[asyncio-ts kernel] ${line}\n`));
    this.interpreter = new Interpreter(_options.loop, _options.cwd);
    this._handlers = {
      kernel_info_request: async (m, c) => {
        await this._reply(m, c, "kernel_info_reply", this._kernelInfo());
        // The first request a front end makes: answered, now load the compiler for the first cell.
        setTimeout(() => typescript(), 0).unref();
      },
      execute_request: (m, c) => this._execute(m, c),
      is_complete_request: (m, c) => this._reply(m, c, "is_complete_reply", isComplete(String(m.content["code"] ?? ""))),
      complete_request: (m, c) => this._reply(m, c, "complete_reply", completeFromGlobals(String(m.content["code"] ?? ""), Number(m.content["cursor_pos"] ?? 0))),
      inspect_request: (m, c) => this._reply(m, c, "inspect_reply", inspectFromGlobals(String(m.content["code"] ?? ""), Number(m.content["cursor_pos"] ?? 0))),
      history_request: (m, c) => this._reply(m, c, "history_reply", { status: "ok", history: this._historyFor(m.content) }),
      comm_info_request: (m, c) => this._reply(m, c, "comm_info_reply", { status: "ok", comms: {} }),
      shutdown_request: (m, c) => this._shutdown(m, c),
      interrupt_request: (m, c) => {
        this.interrupt();
        return this._reply(m, c, "interrupt_reply", { status: "ok" });
      },
    };
  }

  /** Starts listening; installs the output routing and the cells' globals. */
  async start(): Promise<void> {
    this._restoreStdio = routeStdio();
    this._installGlobals();
    this._options.loop.onCloseRequest = () => process.stderr.write("(The kernel's event loop stays open: every cell shares it. Restart the kernel for a fresh one.)\n");
    this._options.loop.setExceptionHandler((loop, context) => {
      const sink = cellVar.get();
      if (sink === undefined) loop.defaultExceptionHandler(context);
      else sink.backgroundError(context.exception, context.message);
    });
    await this._transport.start((channel, frames) => this._onFrames(channel, frames));
  }

  /**
   * An error nobody caught (a Node callback that threw, a rejected Promise nobody awaited):
   * shown under the cell whose code it came from, else under the last cell; the kernel goes on.
   */
  reportUncaught(err: unknown, kind: "uncaughtException" | "unhandledRejection"): void {
    const sink = cellVar.get() ?? this._lastSink;
    const message = kind === "unhandledRejection" ? "Unhandled promise rejection" : "Uncaught exception";
    if (sink === null) this._log(`${message}: ${err instanceof Error ? err.stack : String(err)}`);
    else sink.backgroundError(err, message);
  }

  /** Interrupts the running cell (message mode; signal mode arrives as SIGINT). */
  interrupt(): void {
    this.interpreter.interrupt();
    if (this._pendingInput !== null && !this._pendingInput.done()) this._pendingInput.cancel("interrupted");
  }

  // -- Incoming ---------------------------------------------------------------------------------

  private _onFrames(channel: Channel, frames: Buffer[]): void {
    let msg: Incoming;
    try {
      msg = deserialize(frames, this._signer);
    } catch (e) {
      const why = e instanceof WireError ? e.message : String(e);
      this._log(`dropped a message on ${channel}: ${why}`);
      return;
    }
    this._received++;
    if (channel === "stdin") {
      if (msg.header.msg_type === "input_reply" && this._pendingInput !== null && !this._pendingInput.done()) this._pendingInput.setResult(String(msg.content["value"] ?? ""));
      return;
    }
    if (channel === "control") {
      void this._handle(msg, channel);
      return;
    }
    this._shellQueue.push({ msg, channel });
    if (!this._shellBusy) void this._drainShell();
  }

  private async _drainShell(): Promise<void> {
    this._shellBusy = true;
    try {
      for (let item = this._shellQueue.shift(); item !== undefined; item = this._shellQueue.shift()) {
        await this._handle(item.msg, item.channel);
      }
    } finally {
      this._shellBusy = false;
    }
  }

  private async _handle(msg: Incoming, channel: Channel): Promise<void> {
    const type = msg.header.msg_type;
    const handler = this._handlers[type];
    await this._publish("status", { execution_state: "busy" }, msg);
    try {
      if (handler === undefined) {
        if (!type.startsWith("comm_")) this._log(`unknown message type ${type} on ${channel}`);
      } else {
        await handler(msg, channel);
      }
    } catch (e) {
      this._log(`error handling ${type}: ${e instanceof Error ? e.stack : String(e)}`);
    } finally {
      await this._publish("status", { execution_state: "idle" }, msg);
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
      implementation: "asyncio-ts",
      implementation_version: this._options.version ?? "0.0.0",
      language_info: {
        name: "typescript",
        version: typescriptVersion(),
        mimetype: "text/typescript",
        file_extension: ".ts",
        codemirror_mode: { name: "javascript", typescript: true },
        pygments_lexer: "typescript",
      },
      banner: `asyncio-ts: TypeScript on one persistent asyncio event loop (Node ${process.version})`,
      help_links: [],
    };
  }

  // -- Execute ----------------------------------------------------------------------------------

  private async _execute(msg: Incoming, channel: Channel): Promise<void> {
    const content = msg.content as { code?: unknown; silent?: boolean; store_history?: boolean; user_expressions?: Record<string, string>; allow_stdin?: boolean; stop_on_error?: boolean };
    const code = String(content.code ?? "");
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    const seq = this._received;
    if (seq <= this._abortUntil) {
      await this._reply(msg, channel, "execute_reply", { status: "aborted", execution_count: this._executionCount });
      return;
    }
    if (storeHistory) this._executionCount++;
    const count = this._executionCount;
    // `exit` / `quit` in a console: the front end leaves (IPython's ask_exit payload).
    if (/^(exit|quit)(\(\))?;?$/.test(code.trim())) {
      if (!silent) await this._publish("execute_input", { code, execution_count: count }, msg);
      await this._reply(msg, channel, "execute_reply", { status: "ok", execution_count: count, user_expressions: {}, payload: [{ source: "ask_exit", keepkernel: false }] });
      return;
    }
    const entry = storeHistory ? { line: count, input: code, output: null as string | null } : null;
    if (entry !== null) this._history.push(entry);
    this._payload = [];
    if (!silent) await this._publish("execute_input", { code, execution_count: count }, msg);
    const sink = this._sink(msg, count, silent, content.allow_stdin !== false);
    if (!silent) this._lastSink = sink;
    const outcome = await this.interpreter.execute(code, sink);
    await sink.flush();
    const userExpressions = outcome.status === "ok" ? await this._userExpressions(content.user_expressions ?? {}, sink) : {};
    if (outcome.status === "ok") {
      if (outcome.hasResult && !silent) {
        const data = mimeBundle(outcome.value);
        if (entry !== null) entry.output = String(data["text/plain"] ?? "");
        await this._publish("execute_result", { execution_count: count, data, metadata: {} }, msg);
      }
      await this._reply(msg, channel, "execute_reply", { status: "ok", execution_count: count, user_expressions: userExpressions, payload: this._payload });
    } else {
      const err = { ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback };
      if (!silent) await this._publish("error", err, msg);
      if (content.stop_on_error !== false) this._abortUntil = this._received;
      await this._reply(msg, channel, "execute_reply", { status: "error", execution_count: count, ...err, user_expressions: {}, payload: [] });
    }
  }

  private async _userExpressions(exprs: Record<string, string>, sink: CellSink): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [name, expr] of Object.entries(exprs)) {
      const r = await this.interpreter.execute(`(${expr})`, sink);
      out[name] = r.status === "ok" ? { status: "ok", data: mimeBundle(r.value), metadata: {} } : { status: "error", ename: r.ename, evalue: r.evalue, traceback: r.traceback };
    }
    return out;
  }

  /** The output context of one cell: everything it starts publishes with its request as parent. */
  private _sink(parent: Incoming, count: number, silent: boolean, allowStdin: boolean): CellSink & { flush(): Promise<void>; requestInput(prompt: string, password: boolean): Future<string> } {
    let pending: Promise<void> = Promise.resolve();
    const publish = (type: string, content: unknown): void => {
      if (silent) return;
      pending = this._publish(type, content, parent);
    };
    const self = this;
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
      backgroundError(err, message) {
        const f = self.interpreter.formatError(err);
        const head = message !== undefined && message !== "" ? [`${message}`] : [];
        publish("error", { ename: f.ename, evalue: f.evalue, traceback: [...head, ...f.traceback] });
      },
      flush() {
        return pending;
      },
      requestInput(prompt, password) {
        if (!allowStdin) throw new Error("input() is not available: this front end does not support input requests");
        const fut = new Future<string>({ loop: self._options.loop });
        self._pendingInput = fut;
        void self._send("stdin", makeMessage("input_request", { prompt, password }, parent, self.session), parent.identities);
        return fut;
      },
    };
  }

  private _installGlobals(): void {
    const g = globalThis as Record<string, unknown>;
    const display = (value: unknown, options?: { displayId?: string; metadata?: Record<string, unknown> }): void => {
      const sink = cellVar.get();
      if (sink === undefined) throw new Error("display() works in a cell");
      sink.display(mimeBundle(value), options);
    };
    // display.html(...), display.markdown(...), ...: build the bundle and display it at once.
    for (const [kind, make] of Object.entries(richOutput)) {
      (display as unknown as Record<string, unknown>)[kind] = (data: never, options?: { displayId?: string }) => display(make(data), options);
    }
    g["display"] = display;
    g["updateDisplay"] = (value: unknown, options: { displayId: string }): void => {
      const sink = cellVar.get();
      if (sink === undefined) throw new Error("updateDisplay() works in a cell");
      sink.display(mimeBundle(value), { ...options, update: true });
    };
    g["clearOutput"] = (wait = false): void => cellVar.get()?.clearOutput(wait);
    // page(text): shown in the front end's pager (a payload of the execute reply), as IPython's.
    g["page"] = (text: unknown): void => {
      this._payload.push({ source: "page", data: { "text/plain": String(text) }, start: 0 });
    };
    g["input"] = (prompt = "", options?: { password?: boolean }): Future<string> => {
      const sink = cellVar.get() as (CellSink & { requestInput?: (p: string, pw: boolean) => Future<string> }) | undefined;
      if (sink?.requestInput === undefined) throw new Error("input() works in a cell");
      return sink.requestInput(String(prompt), options?.password === true);
    };
  }

  /** history_request: `tail`, `range` and `search` (a glob pattern, `unique`, `n`), with or without output. */
  private _historyFor(content: Record<string, unknown>): unknown[] {
    const SESSION = 0; // this kernel keeps one session in memory; 0 is "the current session"
    let items = this._history.slice();
    const n = typeof content["n"] === "number" ? content["n"] : null;
    switch (content["hist_access_type"]) {
      case "range": {
        const start = typeof content["start"] === "number" ? content["start"] : 0;
        const stop = typeof content["stop"] === "number" ? content["stop"] : Infinity;
        items = items.filter((h) => h.line >= start && h.line < stop);
        break;
      }
      case "search": {
        const pattern = String(content["pattern"] ?? "*");
        const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");
        items = items.filter((h) => re.test(h.input));
        if (content["unique"] === true) {
          const seen = new Set<string>();
          items = items.reverse().filter((h) => !seen.has(h.input) && seen.add(h.input) !== undefined).reverse();
        }
        if (n !== null) items = items.slice(-n);
        break;
      }
      default:
        if (n !== null) items = items.slice(-n);
    }
    const output = content["output"] === true;
    return items.map((h) => [SESSION, h.line, output ? [h.input, h.output] : h.input]);
  }

  // -- Shutdown ---------------------------------------------------------------------------------

  private async _shutdown(msg: Incoming, channel: Channel): Promise<void> {
    const restart = msg.content["restart"] === true;
    await this._reply(msg, channel, "shutdown_reply", { status: "ok", restart });
    await this._publish("status", { execution_state: "idle" }, msg);
    await this.close();
    this._options.onShutdown?.(restart);
  }

  /** Stops the loop, closes the sockets, puts stdio back. Idempotent. */
  async close(): Promise<void> {
    if (this._shuttingDown) return;
    this._shuttingDown = true;
    this.interpreter.interrupt();
    await this.interpreter.compiler.close();
    await this._options.loop.shutdown();
    await this._transport.close();
    this._restoreStdio?.();
    this._restoreStdio = null;
  }
}

/** `is_complete` for a console: complete, incomplete (with an indent), or invalid. */
export function isComplete(code: string): { status: "complete" | "incomplete" | "invalid"; indent?: string } {
  if (code.trim() === "") return { status: "complete" };
  const ts = typescript();
  const sf = ts.createSourceFile("c.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diags = (sf as unknown as { parseDiagnostics?: { start?: number }[] }).parseDiagnostics ?? [];
  if (diags.length === 0) return { status: "complete" };
  // An error at the very end of the input means the input stops early: more is coming.
  const atEnd = diags.some((d) => (d.start ?? 0) >= code.trimEnd().length);
  if (atEnd) {
    const lastLine = code.split("\n").at(-1) ?? "";
    const indent = (/^\s*/.exec(lastLine)?.[0] ?? "") + (/[{([]\s*$/.test(code.trimEnd()) ? "  " : "");
    return { status: "incomplete", indent };
  }
  return { status: "invalid" };
}

const IDENT_PATH = /[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.?$/;

function resolvePath(path: string[]): unknown {
  let v: unknown = globalThis;
  for (const part of path) {
    if (v === null || v === undefined) return undefined;
    try {
      v = (v as Record<string, unknown>)[part];
    } catch {
      return undefined;
    }
  }
  return v;
}

function propertyNames(v: unknown): string[] {
  const names = new Set<string>();
  for (let o: unknown = v; o !== null && o !== undefined && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) if (!k.startsWith("__") && k !== "constructor") names.add(k);
  }
  return [...names].sort();
}

/**
 * Completion from what the kernel holds now: the global names and the properties of values
 * reached by a dotted path (`asyncio.sl` -> `asyncio.sleep`). Type-aware completion is the
 * TypeScript language service's job (a later issue).
 */
export function completeFromGlobals(code: string, cursor: number): Record<string, unknown> {
  const before = code.slice(0, cursor);
  const m = IDENT_PATH.exec(before);
  if (m === null) return { status: "ok", matches: [], cursor_start: cursor, cursor_end: cursor, metadata: {} };
  const parts = m[0].split(".");
  const prefix = parts.pop() ?? "";
  const owner = parts.length === 0 ? globalThis : resolvePath(parts);
  const matches = propertyNames(owner).filter((k) => k.startsWith(prefix) && /^[A-Za-z_$][\w$]*$/.test(k));
  return { status: "ok", matches, cursor_start: cursor - prefix.length, cursor_end: cursor, metadata: {} };
}

/** Inspection from what the kernel holds now: the value under the cursor, as text. */
export function inspectFromGlobals(code: string, cursor: number): Record<string, unknown> {
  const after = /^[\w$]*/.exec(code.slice(cursor))?.[0] ?? "";
  const m = IDENT_PATH.exec(code.slice(0, cursor) + after);
  if (m === null) return { status: "ok", found: false, data: {}, metadata: {} };
  const path = m[0].replace(/\.$/, "").split(".");
  const owner = path.length === 1 ? globalThis : resolvePath(path.slice(0, -1));
  if (owner === null || owner === undefined || !(path.at(-1)! in Object(owner))) return { status: "ok", found: false, data: {}, metadata: {} };
  const value = resolvePath(path);
  const kind = typeof value === "function" ? (/^class\b/.test(Function.prototype.toString.call(value)) ? "class" : "function") : typeof value;
  const text = typeof value === "function" ? `${kind} ${path.join(".")}\n\n${Function.prototype.toString.call(value).split("\n")[0]}` : `${kind} ${path.join(".")}\n\n${String(mimeBundle(value)["text/plain"])}`;
  return { status: "ok", found: true, data: { "text/plain": text }, metadata: {} };
}
