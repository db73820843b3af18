// The language layer: runs TypeScript cells on the kernel's persistent loop and global scope.
// Each cell runs as a Task on the loop, in the cell's output context; its last expression is
// its result (a Promise is awaited first; a Future or Task is shown as it is). Knows nothing
// of the Jupyter protocol (kernel.ts does).

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import * as asyncio from "../asyncio/index.js";
import type { Task } from "../asyncio/index.js";
import { CompileService } from "./compile-service.js";
import { CellSyntaxError, IMPORT_FUNCTION, RESULT_KEY, lineTable, type CompiledCell } from "./compiler.js";
import { cellVar, type CellSink } from "./output.js";
import type { KernelEventLoop } from "./kernel-loop.js";

/** How a cell ended. */
export type CellOutcome =
  | { status: "ok"; hasResult: boolean; value: unknown }
  | { status: "error"; ename: string; evalue: string; traceback: string[]; error: unknown };

/** Marks a cell's error as an interruption, as Python's KeyboardInterrupt. */
export class KeyboardInterrupt extends Error {
  constructor() {
    super("");
    this.name = "KeyboardInterrupt";
  }
}

/**
 * Runs cells. `cwd` is where npm packages of the notebook are looked up (`node_modules` next
 * to the notebook, then up).
 */
export class Interpreter {
  private _count = 0;
  private readonly _lineTables = new Map<string, number[]>();
  private _current: Task<unknown> | null = null;
  private _interrupted = false;
  private _onInterrupt: (() => void) | null = null;
  private readonly _require: NodeRequire;
  /** Compiles cells; large ones on a worker thread, so the loop keeps serving meanwhile. */
  readonly compiler = new CompileService();

  constructor(
    readonly loop: KernelEventLoop,
    readonly cwd: string,
  ) {
    this._require = createRequire(join(cwd, "__notebook__.js"));
    (globalThis as Record<string, unknown>)[IMPORT_FUNCTION] = (spec: string) => this.importModule(spec);
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
   * Interrupts the running cell: a cell waiting in an `await` is cancelled. (A cell stuck in
   * synchronous code is stopped by SIGINT itself, through vm's breakOnSigint.)
   */
  interrupt(): boolean {
    const t = this._current;
    if (t === null || t.done()) return false;
    this._interrupted = true;
    const delivered = t.cancel("interrupted");
    this._onInterrupt?.();
    return delivered;
  }

  /** Runs one cell in `sink`'s output context. */
  async execute(code: string, sink: CellSink): Promise<CellOutcome> {
    const n = ++this._count;
    const filename = `cell-${n}.ts`;
    let compiled: CompiledCell;
    try {
      compiled = await this.compiler.compile(code, filename);
    } catch (e) {
      return this._failure(e, filename);
    }
    this._lineTables.set(`cell-${n}.js`, lineTable(compiled.sourceMap));
    for (const name of compiled.declared) if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = undefined;
    const script = compiled.code;
    this._interrupted = false;
    const task = cellVar.run(sink, () =>
      this.loop.createTask(
        async () => {
          const boxed = await (vm.runInThisContext(script, { filename: `cell-${n}.js`, breakOnSigint: true }) as Promise<Record<string, unknown> | undefined>);
          let value = boxed?.[RESULT_KEY];
          // A Promise is awaited, as a script would; a Future, Task or coroutine is shown as it is.
          if (value instanceof Promise) value = await value;
          // Boxed again: the task's own Promise would otherwise adopt a Future it returns.
          return { value };
        },
        { name: `Cell-${n}` },
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
      const { value } = (await Promise.race([task, interrupted])) as { value: unknown };
      return { status: "ok", hasResult: compiled.hasResult && value !== undefined, value };
    } catch (e) {
      if (isInterrupt(e, this._interrupted)) return this._failure(new KeyboardInterrupt(), filename);
      return this._failure(e, filename);
    } finally {
      this._current = null;
      this._onInterrupt = null;
    }
  }

  /** An error as Jupyter shows it: name, message, and a traceback whose frames name cell lines. */
  formatError(e: unknown): { ename: string; evalue: string; traceback: string[] } {
    if (!(e instanceof Error)) return { ename: "Error", evalue: String(e), traceback: [`Uncaught ${String(e)}`] };
    const ename = e.name;
    const evalue = e.message;
    const stack = (e.stack ?? `${ename}: ${evalue}`).split("\n");
    let frames = stack.slice(1).map((l) => this._mapFrame(l));
    // What ran the cell (the kernel, vm, the task machinery) is noise: stop at the last cell frame.
    const lastCell = frames.findLastIndex((l) => l.includes("In ["));
    if (lastCell >= 0) frames = frames.slice(0, lastCell + 1);
    frames = frames.filter((l) => !/In \[\d+\]:\d+:\d+/.test(l) && !/node:internal|node:vm/.test(l));
    const head = evalue === "" ? ename : `${ename}: ${evalue}`;
    return { ename, evalue, traceback: [head, ...frames] };
  }

  private _mapFrame(line: string): string {
    return line.replace(/(cell-(\d+))\.js:(\d+):(\d+)/, (_all, _base: string, num: string, l: string, c: string) => {
      const table = this._lineTables.get(`cell-${num}.js`);
      const mapped = table?.[Number(l) - 1];
      return mapped !== undefined && mapped >= 0 ? `In [${num}], line ${mapped + 1}` : `In [${num}]:${l}:${c}`;
    });
  }

  private _failure(e: unknown, filename: string): CellOutcome {
    if (e instanceof CellSyntaxError) {
      return { status: "error", ename: "SyntaxError", evalue: e.message, traceback: [`SyntaxError: ${e.message} in ${filename}`], error: e };
    }
    return { status: "error", ...this.formatError(e), error: e };
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

/** SIGINT during synchronous code, or the cancellation an interrupt caused. */
function isInterrupt(e: unknown, interrupted: boolean): boolean {
  if (!(e instanceof Error)) return false;
  if (e instanceof KeyboardInterrupt) return true;
  if ((e as { code?: string }).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") return true;
  return interrupted && e instanceof asyncio.CancelledError;
}
