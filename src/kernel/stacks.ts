// Errors as a notebook shows them: name, message, and the stack a learner can read. A frame in a
// cell becomes `Cell In[3], line 2` (through the cell's source map, as ipykernel names cells);
// a frame in the library becomes `asyncio-ts/futures.ts:86` (through the library's own source
// maps, dist/asyncio/*.js.map, which point at the sources the package ships); the kernel's own
// frames, Node's internals and whatever ran the cell after its last frame are left out.

import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import { types } from "node:util";
import type { CellSourceMap } from "./compiler.js";
import type { ErrorContent } from "./language.js";
import { isInstance, safeGet, safeText } from "./safe-text.js";

/** Where the library's modules are: dist/asyncio/ when built, src/asyncio/ when run from sources. */
const LIBRARY_DIR = fileURLToPath(new URL("../asyncio/", import.meta.url));
/** The kernel's own code (the kernel and its command): frames there are never the user's business. */
const KERNEL_DIRS = [fileURLToPath(new URL("../kernel/", import.meta.url)), fileURLToPath(new URL("../cli/", import.meta.url))];

/** `    at name (location:line:col)` or `    at location:line:col`. */
const FRAME = /^(\s*at )(?:(.*) \()?(.*?):(\d+):(\d+)\)?$/;

interface CellEntry {
  label: string;
  map: CellSourceMap;
  /** Parsed on the first error that needs it. */
  parsed?: SourceMap;
}

/** Formats errors; knows each cell's file name, label and source map. */
export class StackFormatter {
  private readonly _cells = new Map<string, CellEntry>();
  private readonly _libraryMaps = new Map<string, SourceMap | null>();

  /** A compiled cell: frames in `file` are shown as `Cell ${label}, line N`. */
  addCell(file: string, label: string, map: CellSourceMap): void {
    this._cells.set(file, { label, map });
  }

  /** An error as Jupyter shows it: name, message, and a traceback whose frames name cell lines. */
  format(e: unknown): ErrorContent {
    // isNativeError: an error made in another realm (a vm context) is one too. Whatever the
    // value does when read (a Proxy's traps, a `stack` getter), only strings come out.
    if (!isInstance(e, Error) && !types.isNativeError(e)) {
      const text = safeText(e);
      return { ename: "Error", evalue: text, traceback: [`Uncaught ${text}`] };
    }
    const name = safeGet(e, "name");
    const message = safeGet(e, "message");
    const stack = safeGet(e, "stack");
    const ename = name === undefined ? "Error" : safeText(name);
    const evalue = message === undefined ? "" : safeText(message);
    // The stack's first lines are the message (which may span lines); frames start with "at".
    const raw = (typeof stack === "string" ? stack : "").split("\n").filter((l) => /^\s+at /.test(l));
    let frames: { text: string; cell: boolean }[] = [];
    for (const line of raw) {
      const f = this._frame(line);
      if (f !== null) frames.push(f);
    }
    // What ran the cell (the task machinery) comes after its last frame: noise.
    const lastCell = frames.findLastIndex((f) => f.cell);
    if (lastCell >= 0) frames = frames.slice(0, lastCell + 1);
    const head = evalue === "" ? ename : `${ename}: ${evalue}`;
    return { ename, evalue, traceback: [head, ...frames.map((f) => f.text)] };
  }

  /** One frame as shown, or null when it is hidden. */
  private _frame(line: string): { text: string; cell: boolean } | null {
    const m = FRAME.exec(line);
    if (m === null) return { text: line, cell: false };
    const [, at = "    at ", name, location = "", l, c] = m;
    const lineNo = Number(l);
    const column = Number(c);
    const show = (where: string): string => (name === undefined ? `${at}${where}` : `${at}${name} (${where})`);
    const cell = this._cells.get(location);
    // The script's last line calls the cell's function: what ran the cell, not the cell.
    if (cell !== undefined && lineNo === cell.map.wrapperLine) return null;
    if (cell !== undefined) return { text: show(`Cell ${cell.label}, line ${this._cellLine(cell, lineNo, column) ?? "?"}`), cell: true };
    if (location.startsWith("node:") || location.startsWith("evalmachine")) return null;
    const path = location.startsWith("file://") ? fileURLToPath(location) : location;
    if (KERNEL_DIRS.some((d) => path.startsWith(d))) return null;
    if (path.startsWith(LIBRARY_DIR)) return { text: show(this._libraryLocation(path, lineNo, column)), cell: false };
    return { text: line, cell: false };
  }

  private _cellLine(cell: CellEntry, line: number, column: number): number | undefined {
    cell.parsed ??= new SourceMap({ version: 3, file: "cell.js", sources: ["cell.ts"], sourcesContent: [], names: [], mappings: cell.map.mappings, sourceRoot: "" });
    // V8 counts from 1; the wrapper's prefix sits before the first line's code.
    const col = line === 1 ? Math.max(0, column - 1 - cell.map.firstLineOffset) : column - 1;
    const entry = cell.parsed.findEntry(line - 1, col) as { originalLine?: number };
    return entry.originalLine === undefined ? undefined : entry.originalLine + 1;
  }

  /** `asyncio-ts/futures.ts:86` for a frame in the library's build (or its sources, run directly). */
  private _libraryLocation(path: string, line: number, column: number): string {
    const relative = path.slice(LIBRARY_DIR.length);
    if (!relative.endsWith(".js")) return `asyncio-ts/${relative}:${line}`;
    let map = this._libraryMaps.get(path);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8")));
      } catch {
        map = null;
      }
      this._libraryMaps.set(path, map);
    }
    const entry = (map?.findEntry(line - 1, column - 1) ?? {}) as { originalSource?: string; originalLine?: number };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return `asyncio-ts/${relative}:${line}`;
    // The map names the source relative to the build (`../../src/asyncio/futures.ts`), or as a URL.
    const source = entry.originalSource.replace(/^.*\/src\/asyncio\//, "");
    return `asyncio-ts/${source}:${entry.originalLine + 1}`;
  }
}
