// The TypeScript language: runs cells on the kernel's persistent loop and global scope. Each
// cell is compiled (compiler.ts), checked when a checker is plugged in (checker.ts), and run as
// a Task on the loop in the cell's output context; its last expression is its result (a
// Promise is awaited first; a Future or Task is shown as it is). Knows nothing of the Jupyter
// protocol (kernel.ts does); implements the Language that the protocol layer calls.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import * as asyncio from "../asyncio/index.js";
import { Future, type LogHandler, type LogRecord, type Task } from "../asyncio/index.js";
import { noteWait, startObserving } from "../asyncio/host.js";
import { NO_CHECKER, diagnosticsError, type CellDiagnostic, type CheckedCell, type Checker } from "./cell-checker.js";
import { CompileService } from "./compile-service.js";
import { CellSyntaxError, HELPERS_GLOBAL, IMPORT_FUNCTION, INTERRUPT_GLOBAL, RESULT_KEY, isComplete, type CompiledCell } from "./compiler.js";
import { InterruptFlag, KeyboardInterrupt } from "./interrupts.js";
import { mimeBundle, richOutput } from "./display.js";
import { LiveDisplays } from "./notebook-host.js";
import { completeFromGlobals, inspectFromGlobals, livePriority } from "./introspection.js";
import type { KernelEventLoop } from "./kernel-loop.js";
import type { CellOutput, Completion, ErrorContent, Evaluation, ExecuteOptions, ExecuteOutcome, Inspection, IsCompleteResult, Language, LanguageInfo } from "./language.js";
import { cellVar, routeStdio } from "./output.js";
import { isInstance, safeStack, safeText } from "./safe-text.js";
import { StackFormatter } from "./stacks.js";

/** Options of the TypeScript language. */
export interface TypeScriptInterpreterOptions {
  /** The loop every cell shares, booted by the caller. */
  loop: KernelEventLoop;
  /** Where npm packages of the notebook are looked up (`node_modules` next to the notebook, then up). */
  cwd: string;
  /** Type checking, type-aware completion and inspection. Default: none (NO_CHECKER). */
  checker?: Checker;
  /** Where the language logs what has no cell to go to. Default: standard error. */
  log?: (line: string) => void;
  /** Whether cells are type-checked at start (a cell can change it: `kernel.typeCheck = false`). Default true. */
  typeCheck?: boolean;
  /**
   * The flag the cells' loops and functions check (interrupts.ts); other threads raise it. Default:
   * a flag of this interpreter's own.
   */
  interrupts?: InterruptFlag;
}

/**
 * The globals the kernel gives cells (installed by _installGlobals), as the checker sees them:
 * declarations inside `declare global { }`, with the library as `__asyncio`.
 */
export const CELL_GLOBALS_DECLARATIONS = `
  interface KernelDisplayOptions { displayId?: string; metadata?: Record<string, unknown> }
  /** Shows a value under the cell (its mime bundle); display.html(...) and the others build the bundle first. */
  var display: ((value: unknown, options?: KernelDisplayOptions) => void) & {
    html(html: string, options?: KernelDisplayOptions): void;
    markdown(markdown: string, options?: KernelDisplayOptions): void;
    svg(svg: string, options?: KernelDisplayOptions): void;
    png(data: Uint8Array | string, options?: KernelDisplayOptions): void;
    json(value: unknown, options?: KernelDisplayOptions): void;
    mime(bundle: Record<string, unknown>, options?: KernelDisplayOptions): void;
  };
  /** Replaces the output displayed with the same displayId. */
  var updateDisplay: (value: unknown, options: { displayId: string }) => void;
  /** Clears the cell's output (at the next output when wait is true). */
  var clearOutput: (wait?: boolean) => void;
  /** Shows text in the front end's pager. */
  var page: (text: unknown) => void;
  /** Asks the user for a line of input. */
  var input: (prompt?: string, options?: { password?: boolean }) => __asyncio.Future<string>;
  /** The kernel's settings: \`kernel.typeCheck = false\` runs the next cells unchecked. */
  var kernel: { typeCheck: boolean };
`;

/**
 * The TypeScript whose syntax cells are written in: 7.0, whose syntax is 5.9's and 6.0's, which
 * oxc-parser parses. (The kernel loads no TypeScript to run cells; a checker brings its own.)
 */
const TYPESCRIPT_SYNTAX = "7.0";

/**
 * oxc's runtime helpers a compiled cell may call (`babelHelpers.x`): what Node 20 lacks.
 * Listed one by one so that each is a plain import of the package the kernel depends on.
 */
const HELPER_MODULES: Record<string, () => Promise<{ default: unknown }>> = {
  usingCtx: () => import("@oxc-project/runtime/helpers/usingCtx"),
};

/** A cell that ran, or how it failed. */
type Ran = { status: "ok"; value: unknown; hasResult: boolean } | ({ status: "error" } & ErrorContent);

/** Runs TypeScript cells: the Language the kernel's protocol layer calls. */
export class TypeScriptInterpreter implements Language {
  readonly loop: KernelEventLoop;
  readonly cwd: string;
  /** Compiles cells; large ones on a worker thread, so the loop keeps serving meanwhile. */
  readonly compiler = new CompileService();
  readonly languageInfo: LanguageInfo = {
    name: "typescript",
    version: TYPESCRIPT_SYNTAX,
    mimetype: "text/typescript",
    file_extension: ".ts",
    // A plain string, the form every client parses (runtimed's Rust jupyter-protocol accepts a
    // string or {name, version} only, issue 11): JupyterLab 4 and 3 both find their TypeScript
    // mode by this name (CodeMirror's language list names it "TypeScript", matched case-insensitively).
    codemirror_mode: "typescript",
    pygments_lexer: "typescript",
  };
  readonly banner = `asyncio-ts: TypeScript on one persistent asyncio event loop (Node ${process.version})`;
  private readonly _checker: Checker;
  /** The cells' `kernel` global: its `typeCheck` turns checking off and on for the session. */
  private readonly _settings: { typeCheck: boolean };
  private readonly _log: (line: string) => void;
  /** Read by every loop and function body of the cells: an interrupt for code that never awaits. */
  readonly interrupts: InterruptFlag;
  private readonly _stacks = new StackFormatter();
  private readonly _require: NodeRequire;
  private readonly _helpers: Record<string, unknown> = {};
  private _nextId = 0;
  private _current: Task<unknown> | null = null;
  private readonly _live = new LiveDisplays();
  private _interrupted = false;
  private _onInterrupt: (() => void) | null = null;
  private _restoreStdio: (() => void) | null = null;
  /** The last cell that showed output: errors nobody caught and that belong to no cell go there. */
  private _lastCell: CellOutput | null = null;
  /** Where the `asyncio` logger wrote before `start()`, put back by `close()`. */
  private _previousLastResort: LogHandler | null = null;

  constructor(options: TypeScriptInterpreterOptions) {
    this.loop = options.loop;
    this.cwd = options.cwd;
    this._checker = options.checker ?? NO_CHECKER;
    this._settings = { typeCheck: options.typeCheck ?? true };
    this.interrupts = options.interrupts ?? new InterruptFlag();
    this._log = options.log ?? ((line) => process.stderr.write(`[asyncio-ts kernel] ${line}\n`));
    this._require = createRequire(join(this.cwd, "__notebook__.js"));
  }

  /**
   * Installs the cells' globals (display, input, the importer), the output routing, and where the
   * `asyncio` logger writes when it has no handlers: the loop's reports (an exception in a
   * callback, a protocol's or a task's, slow callbacks, exceptions never retrieved) are logged in
   * the context of the code that failed, so they appear under the cell that scheduled it.
   */
  start(): void {
    this._restoreStdio = routeStdio();
    this._installGlobals();
    // The loop monitor sees what tasks wait for and where from the first cell on (observe.ts).
    startObserving();
    this._live.install();
    this.loop.onCloseRequest = () => process.stderr.write("(The kernel's event loop stays open: every cell shares it. Restart the kernel for a fresh one.)\n");
    this._previousLastResort = asyncio.logger.lastResort;
    asyncio.logger.lastResort = this._logRecord;
  }

  /** Starts the checker (which may take a while) once the kernel has answered its first request. */
  warmUp(): void {
    this._checker.start();
  }

  /** Imports what a cell imports: the library under both its names, Node's built-ins, the notebook's packages. */
  async importModule(spec: string): Promise<unknown> {
    if (spec === "asyncio" || spec === "asyncio-ts") return asyncio;
    if (spec.startsWith("node:")) return await import(spec);
    let resolved: string;
    try {
      resolved = this._require.resolve(spec);
    } catch (e) {
      // An ESM-only package has no "require" entry: find its ESM entry from the notebook's folder.
      const code = (e as { code?: string }).code;
      if (code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && code !== "MODULE_NOT_FOUND") throw e;
      const esm = resolveEsmPackage(spec, this.cwd);
      if (esm === null) throw new Error(`Cannot find module '${spec}' (looked in ${this.cwd} and its parents' node_modules)`);
      resolved = esm;
    }
    if (!resolved.includes("/")) return await import(resolved); // a Node built-in without "node:"
    return await import(pathToFileURL(resolved).href);
  }

  /** The task of the cell running now, or null. */
  get currentTask(): Task<unknown> | null {
    return this._current;
  }

  /**
   * Interrupts the running cell: a cell waiting in an `await` is cancelled. (A cell that keeps
   * this thread busy cannot be reached from here: another thread raises `interrupts`, which the
   * cell's own loops and functions check.)
   */
  interrupt(): void {
    const t = this._current;
    if (t === null || t.done()) return;
    this._interrupted = true;
    t.cancel("interrupted");
    this._onInterrupt?.();
  }

  /** Runs one cell in `cell`'s output context. `exit` / `quit` asks a console to leave (IPython's ask_exit). */
  async execute(code: string, cell: CellOutput, options: ExecuteOptions): Promise<ExecuteOutcome> {
    if (/^(exit|quit)(\(\))?;?$/.test(code.trim())) {
      cell.payload({ source: "ask_exit", keepkernel: false });
      return { status: "ok", result: null };
    }
    if (!options.silent) this._lastCell = cell;
    this._live.cellStarted(cell, options.cellId);
    const label = `In[${cell.executionCount}]`;
    const r = await this._run(code, cell, label, true);
    if (r.status === "error") return r;
    if (!r.hasResult || r.value === undefined) return { status: "ok", result: null };
    // Showing the result runs the user's code too (a getter, a Proxy's trap, _repr_mimebundle_).
    try {
      // IPython's protocol for an object that shows itself (the loop monitor is on show already).
      const own = r.value !== null && typeof r.value === "object" ? (r.value as { _ipython_display_?: unknown })._ipython_display_ : undefined;
      if (typeof own === "function") {
        cellVar.run(cell, () => own.call(r.value));
        return { status: "ok", result: null };
      }
      return { status: "ok", result: mimeBundle(r.value) };
    } catch (e) {
      return this._failure(e, label);
    }
  }

  /** Evaluates one of `user_expressions`, unchecked, in `cell`'s context. */
  async evaluate(expression: string, cell: CellOutput): Promise<Evaluation> {
    const label = `In[${cell.executionCount}] (user expression)`;
    const r = await this._run(`(${expression})`, cell, label, false);
    if (r.status === "error") return r;
    try {
      return { status: "ok", data: mimeBundle(r.value) };
    } catch (e) {
      return this._failure(e, label);
    }
  }

  /**
   * Completion by type (the checker's, best first) followed by what live values add over the
   * same range (a property set at run time, a name the checker does not know). Private `_`
   * names only once `_` is typed, as the checker does.
   */
  async complete(code: string, cursor: number): Promise<Completion> {
    const c = await this._complete(code, cursor);
    const first = livePriority(code, cursor);
    return first === null ? c : rankFirst(c, first);
  }

  private async _complete(code: string, cursor: number): Promise<Completion> {
    const typed = await this._checker.complete(code, cursor);
    const live = completeFromGlobals(code, cursor);
    if (typed === null) return live;
    if (live.cursorStart !== typed.cursorStart || live.cursorEnd !== typed.cursorEnd) return typed;
    const prefix = code.slice(typed.cursorStart, typed.cursorEnd);
    const known = new Set(typed.matches);
    const extra = live.matches.filter((m) => !known.has(m) && (prefix.startsWith("_") || !m.startsWith("_")));
    if (extra.length === 0) return typed;
    return {
      ...typed,
      matches: [...typed.matches, ...extra],
      ...(typed.types === undefined ? {} : { types: [...typed.types, ...extra.map((text) => ({ text, type: "value" }))] }),
    };
  }

  async inspect(code: string, cursor: number, detailLevel: number): Promise<Inspection> {
    return (await this._checker.inspect(code, cursor, detailLevel)) ?? inspectFromGlobals(code, cursor);
  }

  isComplete(code: string): IsCompleteResult {
    return isComplete(code);
  }

  /**
   * An error nobody caught (a Node callback that threw, a rejected Promise nobody awaited):
   * shown under the cell whose code it came from, else under the last cell; the kernel goes on.
   */
  reportUncaught(err: unknown, kind: "uncaughtException" | "unhandledRejection"): void {
    const cell = cellVar.get() ?? this._lastCell;
    const message = kind === "unhandledRejection" ? "Unhandled promise rejection" : "Uncaught exception";
    if (cell === null) this._log(`${message}: ${safeStack(err)}`);
    else cell.error(this._backgroundError(err, message));
  }

  /** An error as Jupyter shows it: name, message, and a traceback whose frames name cell lines. */
  formatError(e: unknown): ErrorContent {
    return this._stacks.format(e);
  }

  /** Stops the running cell, the compile worker, the checker and the loop; puts stdio back. */
  async close(): Promise<void> {
    this.interrupt();
    await this.compiler.close();
    await this._checker.close();
    await this.loop.shutdown();
    if (this._previousLastResort !== null && asyncio.logger.lastResort === this._logRecord) asyncio.logger.lastResort = this._previousLastResort;
    this._previousLastResort = null;
    this._restoreStdio?.();
    this._restoreStdio = null;
  }

  /**
   * A record of the `asyncio` logger (with no handlers of its own) under the cell whose code
   * logged it, as a stderr stream (as ipykernel shows Python's logging): the logger's
   * `LEVEL:asyncio:message`, then the error's traceback at cell lines. Outside any cell, where
   * it went before (the kernel's terminal).
   */
  private readonly _logRecord = (record: LogRecord): void => {
    const cell = cellVar.get();
    if (cell === undefined) {
      this._previousLastResort?.(record);
      return;
    }
    const e = record.exception;
    const detail = e === undefined ? [] : isInstance(e, Error) ? this._stacks.format(e).traceback : [safeText(e)];
    cell.stream("stderr", [`${record.levelName}:${record.name}:${record.message}`, ...detail, ""].join("\n"));
  };

  // -- Running a cell ---------------------------------------------------------------------------

  private async _run(code: string, cell: CellOutput, label: string, checked: boolean): Promise<Ran> {
    const id = this._nextId++;
    const file = `cell-${id}.js`;
    const info: CheckedCell = { id, code, executionCount: cell.executionCount };
    // `// @ts-nocheck` as the first line: the cell runs unchecked (its declarations still count).
    const check = checked && this._settings.typeCheck !== false && !/^\s*\/\/\s*@ts-nocheck\b/.test(code);
    // Compiled and checked at once: the checker works outside this thread meanwhile.
    const diagnostics = check ? this._checker.check(info).catch((e: unknown) => this._checkerFailed(e)) : Promise.resolve([]);
    let compiled: CompiledCell;
    try {
      compiled = await this.compiler.compile(code, `cell-${id}.ts`);
    } catch (e) {
      return this._failure(e, label);
    }
    const errors = await diagnostics;
    if (errors.length > 0) return { status: "error", ...diagnosticsError(errors, label) };
    this._stacks.addCell(file, label, compiled.sourceMap);
    this._live.addCell(`cell-${id}.ts`, label);
    for (const name of compiled.declared) if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = undefined;
    try {
      await this._loadHelpers(compiled.helpers);
      return await this._runTask(compiled, file, label, cell);
    } catch (e) {
      return this._failure(e, label);
    } finally {
      if (checked) this._checker.commit(info, compiled.declared);
    }
  }

  private async _runTask(compiled: CompiledCell, file: string, label: string, cell: CellOutput): Promise<Ran> {
    this._interrupted = false;
    // An interrupt asked for before this cell began was for what ran then, not for this cell.
    this.interrupts.take();
    const task = cellVar.run(cell, () =>
      this.loop.createTask(
        async (): Promise<{ value: unknown; failed?: true }> => {
          try {
            // No breakOnSigint: the kernel's SIGINT thread owns the signal (interrupts.ts).
            const boxed = await (vm.runInThisContext(compiled.code, { filename: file }) as Promise<Record<string, unknown> | undefined>);
            let value = boxed?.[RESULT_KEY];
            // A Promise is awaited, as a script would; a Future, Task or coroutine is shown as it is.
            if (value instanceof Promise) value = await value;
            // Boxed again: the task's own Promise would otherwise adopt a Future it returns.
            return { value };
          } catch (e) {
            // Only a cancellation ends the task as one; whatever else the cell threw comes out
            // boxed, so the task machinery never handles it (a Proxy whose traps throw would
            // leave the task pending forever).
            if (isCancellation(e)) throw e;
            return { value: e, failed: true };
          }
        },
        // Named as the cell's prompt: the loop monitor and the call graph show it so.
        { name: label },
      ),
    );
    this._current = task as Task<unknown>;
    // A cell awaiting a native Promise that never settles cannot be reached by cancel(); after
    // an interrupt it is given a moment to end by itself, then the cell ends without it (the
    // task stays cancelled-pending and ends at its next library await).
    const interrupted = new Promise<never>((_, reject) => {
      this._onInterrupt = () => setTimeout(() => reject(new KeyboardInterrupt()), INTERRUPT_GRACE_MS);
    });
    interrupted.catch(() => {});
    try {
      const { value, failed } = (await Promise.race([task, interrupted])) as { value: unknown; failed?: true };
      if (failed) throw value;
      return { status: "ok", value, hasResult: compiled.hasResult };
    } catch (e) {
      // Raised by the cell's own code, it says where the cell was; a cancellation does not.
      throw isInstance(e, KeyboardInterrupt) || !isInterrupt(e, this._interrupted) ? e : new KeyboardInterrupt();
    } finally {
      this._current = null;
      this._onInterrupt = null;
    }
  }

  private async _loadHelpers(names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (name in this._helpers) continue;
      const load = HELPER_MODULES[name];
      if (load === undefined) throw new Error(`This cell needs oxc's runtime helper '${name}', which the kernel does not provide`);
      this._helpers[name] = (await load()).default;
    }
  }

  private _checkerFailed(e: unknown): CellDiagnostic[] {
    // A checker that fails must not keep cells from running: they run unchecked.
    this._log(`the checker failed, the cell runs unchecked: ${safeStack(e)}`);
    return [];
  }

  private _failure(e: unknown, label: string): { status: "error" } & ErrorContent {
    if (isInstance(e, CellSyntaxError)) {
      return { status: "error", ename: "SyntaxError", evalue: e.message, traceback: [`SyntaxError: ${e.message}`, `    at Cell ${label}, line ${e.line}`] };
    }
    return { status: "error", ...this._stacks.format(e) };
  }

  private _backgroundError(err: unknown, message?: string): ErrorContent {
    const f = this._stacks.format(err);
    const head = message !== undefined && message !== "" ? [message] : [];
    return { ename: f.ename, evalue: f.evalue, traceback: [...head, ...f.traceback] };
  }

  // -- The cells' globals -----------------------------------------------------------------------

  private _installGlobals(): void {
    const g = globalThis as Record<string, unknown>;
    const hidden = (name: string, value: unknown): void => {
      Object.defineProperty(g, name, { value, configurable: true, writable: true, enumerable: false });
    };
    hidden(IMPORT_FUNCTION, (spec: string) => this.importModule(spec));
    hidden(HELPERS_GLOBAL, this._helpers);
    hidden(INTERRUPT_GLOBAL, { flag: this.interrupts.flag, raise: this.interrupts.raise, site: this._live.site });
    const display = (value: unknown, options?: { displayId?: string; metadata?: Record<string, unknown> }): void => {
      const cell = cellVar.get();
      if (cell === undefined) throw new Error("display() works in a cell");
      cell.display(mimeBundle(value), options);
    };
    // display.html(...), display.markdown(...), ...: build the bundle and display it at once.
    for (const [kind, make] of Object.entries(richOutput)) {
      (display as unknown as Record<string, unknown>)[kind] = (data: never, options?: { displayId?: string }) => display(make(data), options);
    }
    g["display"] = display;
    g["updateDisplay"] = (value: unknown, options: { displayId: string }): void => {
      const cell = cellVar.get();
      if (cell === undefined) throw new Error("updateDisplay() works in a cell");
      cell.display(mimeBundle(value), { ...options, update: true });
    };
    g["clearOutput"] = (wait = false): void => cellVar.get()?.clearOutput(wait);
    g["kernel"] = this._settings;
    // page(text): shown in the front end's pager (a payload of the execute reply), as IPython's.
    g["page"] = (text: unknown): void => {
      cellVar.get()?.payload({ source: "page", data: { "text/plain": String(text) }, start: 0 });
    };
    // input(): a Future, so that an interrupt cancels the cell waiting for the answer.
    g["input"] = (prompt = "", options?: { password?: boolean }): Future<string> => {
      const cell = cellVar.get();
      if (cell === undefined) throw new Error("input() works in a cell");
      const answer = cell.requestInput(String(prompt), options?.password === true);
      const fut = new Future<string>({ loop: this.loop });
      noteWait(fut, { kind: "input()" });
      answer.then(
        (line) => fut.done() || fut.setResult(line),
        () => fut.done() || fut.cancel("interrupted"),
      );
      return fut;
    };
  }
}

/**
 * The file an `import` of a bare package name loads, for packages that only export ESM (so
 * `require.resolve` refuses them): the "import" (or "default") condition of the package's
 * exports for the subpath, else its "module" or "main" field. Looked up from `dir` upwards.
 */
export function resolveEsmPackage(spec: string, dir: string): string | null {
  const parts = spec.split("/");
  const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec);
  const subpath = "." + spec.slice(name.length);
  for (let d = resolve(dir); ; d = dirname(d)) {
    const pkgDir = join(d, "node_modules", name);
    const pkgFile = join(pkgDir, "package.json");
    if (existsSync(pkgFile)) {
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { exports?: unknown; module?: string; main?: string };
      const target = exportTarget(pkg.exports, subpath) ?? (subpath === "." ? (pkg.module ?? pkg.main ?? "index.js") : subpath);
      return join(pkgDir, target);
    }
    if (dirname(d) === d) return null;
  }
}

function exportTarget(exports: unknown, subpath: string): string | null {
  if (exports === undefined || exports === null) return null;
  if (typeof exports === "string") return subpath === "." ? exports : null;
  const map = exports as Record<string, unknown>;
  const entry = Object.keys(map).some((k) => k.startsWith(".")) ? map[subpath] : subpath === "." ? map : undefined;
  return pickCondition(entry);
}

function pickCondition(entry: unknown): string | null {
  if (typeof entry === "string") return entry;
  if (Array.isArray(entry)) return entry.map(pickCondition).find((x) => x !== null) ?? null;
  if (entry !== null && typeof entry === "object") {
    for (const cond of ["node", "import", "default"]) {
      const t = pickCondition((entry as Record<string, unknown>)[cond]);
      if (t !== null) return t;
    }
  }
  return null;
}

/** How long an interrupted cell may take to end by itself before the kernel ends it. */
const INTERRUPT_GRACE_MS = 200;

/** A cancellation, as the library tells one; false for a value that throws when asked. */
function isCancellation(e: unknown): boolean {
  try {
    return asyncio.isCancelledError(e);
  } catch {
    return false;
  }
}

/** An interrupt raised in the cell's code, or the cancellation an interrupt caused. */
function isInterrupt(e: unknown, interrupted: boolean): boolean {
  if (isInstance(e, KeyboardInterrupt)) return true;
  return interrupted && isInstance(e, asyncio.CancelledError);
}

/** `c` with the matches named in `first` moved to the front, in that order (their types too). */
function rankFirst(c: Completion, first: readonly string[]): Completion {
  const rank = (m: string): number => {
    const i = first.indexOf(m);
    return i < 0 ? first.length : i;
  };
  // Array.prototype.sort is stable: the others keep their order.
  const matches = [...c.matches].sort((a, b) => rank(a) - rank(b));
  const types = c.types === undefined ? undefined : [...c.types].sort((a, b) => rank(a.text) - rank(b.text));
  return { ...c, matches, ...(types === undefined ? {} : { types }) };
}
