// Output routing by async context: whatever a cell starts (tasks, callbacks, timers, server
// handlers, Node callbacks) runs in the cell's context, so its console output and displays go
// to that cell, also after the cell has finished. Text written outside any cell goes to the
// kernel's own stdout/stderr (the terminal that started it).

import { Console } from "node:console";
import { Writable } from "node:stream";
import { ContextVar } from "../asyncio/index.js";
import type { CellOutput } from "./language.js";

/** The cell whose code runs now (through any number of callbacks and awaits). */
export const cellVar = new ContextVar<CellOutput>("asyncio-ts.cell");

type Write = typeof process.stdout.write;

/**
 * Sends `process.stdout` / `process.stderr` writes made inside a cell's context to that cell.
 * Returns the function that puts the original writers back.
 */
export function routeStdio(): () => void {
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  const patch = (name: "stdout" | "stderr"): Write => {
    const original = originals[name];
    const stream = process[name];
    return function write(this: unknown, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
      const sink = cellVar.get();
      if (sink === undefined) return (original as (...a: unknown[]) => boolean).call(stream, chunk, encoding, cb);
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
      sink.stream(name, text);
      const done = typeof encoding === "function" ? encoding : cb;
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    } as Write;
  };
  process.stdout.write = patch("stdout");
  process.stderr.write = patch("stderr");
  // The global console gets streams of its own that route the same way, so console output is
  // routed whatever else has replaced the process's streams (a test runner does).
  const originalConsole = globalThis.console;
  const routed = (name: "stdout" | "stderr"): Writable =>
    new Writable({
      decodeStrings: false,
      write(chunk: unknown, _encoding, done) {
        const sink = cellVar.get();
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
        if (sink === undefined) (originals[name] as (s: string) => boolean).call(process[name], text);
        else sink.stream(name, text);
        done();
      },
    });
  const console = new Console({ stdout: routed("stdout"), stderr: routed("stderr") });
  globalThis.console = console;
  return () => {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
    globalThis.console = originalConsole;
  };
}
