// Where cells are compiled: small ones on the main thread (a worker round trip would cost more
// than the compile), large ones on a worker thread so the event loop is not blocked meanwhile.
// oxc parses and transforms in native code, but reading its syntax tree into JavaScript objects
// costs ~0.17 µs per character of the cell on the thread that asks (~2 ms for 300 typed lines,
// ~50 ms for 3,000): a cell that would hold the loop longer than a couple of milliseconds goes
// to the worker.

import { Worker } from "node:worker_threads";
import { CellSyntaxError, compileCell, type CompiledCell } from "./compiler.js";

/** Cells longer than this (characters) are compiled off the main thread (~2 ms of compiling on it). */
export const WORKER_THRESHOLD = 10_000;

type Reply = { id: number; ok: true; cell: CompiledCell } | { id: number; ok: false; syntax: { line: number; column: number; message: string } | null; message: string };

/**
 * The worker's file. Run from the built package it sits next to this one; run from the sources
 * (the tests, through vite) it is the built copy in dist/, which `npm test` builds first.
 */
function workerFile(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../dist/kernel/compile-worker.js", here) : new URL("./compile-worker.js", here);
}

/** Compiles cells, large ones on a worker thread made on first need. */
export class CompileService {
  private _worker: Worker | null = null;
  private _nextId = 0;
  private readonly _pending = new Map<number, { resolve: (c: CompiledCell) => void; reject: (e: Error) => void }>();

  constructor(private readonly _threshold = WORKER_THRESHOLD) {}

  /** Compiles `source`. @throws CellSyntaxError as compileCell does. */
  async compile(source: string, fileName: string): Promise<CompiledCell> {
    if (source.length < this._threshold) return compileCell(source, fileName);
    const worker = this._ensureWorker();
    const id = this._nextId++;
    return await new Promise<CompiledCell>((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      worker.postMessage({ id, source, fileName });
    });
  }

  private _ensureWorker(): Worker {
    if (this._worker !== null) return this._worker;
    // oxc-parser recurses on the native stack; a worker's default (4 MB) overflowed on cells the
    // main thread compiles (`{a:` 2,000 deep, `A<` 5,000 deep: a segmentation fault that ends
    // the kernel). 32 MB: `A<` 19,000 deep parses, as on the main thread.
    const worker = new Worker(workerFile(), { resourceLimits: { stackSizeMb: 32 } });
    worker.unref();
    worker.on("message", (r: Reply) => {
      const p = this._pending.get(r.id);
      if (p === undefined) return;
      this._pending.delete(r.id);
      if (r.ok) p.resolve(r.cell);
      else p.reject(r.syntax !== null ? new CellSyntaxError(r.syntax.message, r.syntax.line, r.syntax.column) : new Error(r.message));
    });
    worker.on("error", (e) => this._failAll(e));
    worker.on("exit", () => {
      this._worker = null;
      this._failAll(new Error("the compile worker stopped"));
    });
    this._worker = worker;
    return worker;
  }

  private _failAll(e: Error): void {
    for (const p of this._pending.values()) p.reject(e);
    this._pending.clear();
  }

  /** Stops the worker, if one was made. */
  async close(): Promise<void> {
    const w = this._worker;
    this._worker = null;
    if (w !== null) await w.terminate();
  }
}
