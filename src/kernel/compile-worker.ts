// A worker thread that compiles large cells, so the kernel's event loop keeps serving (a server
// started in an earlier cell keeps answering) while a cell of thousands of lines is parsed and
// its syntax tree read into JavaScript objects.

import { parentPort } from "node:worker_threads";
import { CellSyntaxError, compileCell } from "./compiler.js";

const port = parentPort;
if (port === null) throw new Error("compile-worker.ts runs as a worker thread");

port.on("message", (m: { id: number; source: string; fileName: string }) => {
  try {
    port.postMessage({ id: m.id, ok: true, cell: compileCell(m.source, m.fileName) });
  } catch (e) {
    const syntax = e instanceof CellSyntaxError ? { line: e.line, column: e.column, message: e.message.replace(/ \(\d+:\d+\)$/, "") } : null;
    port.postMessage({ id: m.id, ok: false, syntax, message: e instanceof Error ? e.message : String(e) });
  }
});
