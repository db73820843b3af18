// Completion and inspection from what the kernel holds now: the global names and the properties
// of values reached by a dotted path (`asyncio.sl` -> `asyncio.sleep`). What types say (members
// of a declared type, signatures, TSDoc) is the checker's (checker.ts); this is what remains
// when there is no checker, or when it has nothing to say.

import * as asyncio from "../asyncio/index.js";
import { mimeBundle } from "./display.js";
import type { Completion, Inspection } from "./language.js";

const IDENT_PATH = /[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.?$/;

/**
 * The text before `cursor` that IDENT_PATH looks at: its last 1,000 characters. The expression
 * is tried at every start, so on a long run of letters ending in `!` it is quadratic (the
 * fuzzer's 200,000 `a`s held the main thread for minutes); no dotted name is that long.
 */
function tail(code: string, cursor: number): string {
  return code.slice(Math.max(0, cursor - 1000), cursor);
}

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

/** Completion of the dotted name before `cursor` (a UTF-16 offset) from live values. */
export function completeFromGlobals(code: string, cursor: number): Completion {
  const m = IDENT_PATH.exec(tail(code, cursor));
  if (m === null) return { matches: [], cursorStart: cursor, cursorEnd: cursor };
  const parts = m[0].split(".");
  const prefix = parts.pop() ?? "";
  const owner = parts.length === 0 ? globalThis : resolvePath(parts);
  const matches = propertyNames(owner).filter((k) => k.startsWith(prefix) && /^[A-Za-z_$][\w$]*$/.test(k));
  return { matches, cursorStart: cursor - prefix.length, cursorEnd: cursor };
}

/** Inspection of the dotted name at `cursor` from its live value, as text. */
export function inspectFromGlobals(code: string, cursor: number): Inspection {
  const after = /^[\w$]*/.exec(code.slice(cursor))?.[0] ?? "";
  const m = IDENT_PATH.exec(tail(code, cursor) + after.slice(0, 1000));
  if (m === null) return { found: false, data: {} };
  const path = m[0].replace(/\.$/, "").split(".");
  const owner = path.length === 1 ? globalThis : resolvePath(path.slice(0, -1));
  if (owner === null || owner === undefined || !(path.at(-1)! in Object(owner))) return { found: false, data: {} };
  const value = resolvePath(path);
  const kind = typeof value === "function" ? (/^class\b/.test(Function.prototype.toString.call(value)) ? "class" : "function") : typeof value;
  const text =
    typeof value === "function"
      ? `${kind} ${path.join(".")}\n\n${Function.prototype.toString.call(value).split("\n")[0]}`
      : `${kind} ${path.join(".")}\n\n${String(mimeBundle(value)["text/plain"])}`;
  return { found: true, data: { "text/plain": text } };
}

/**
 * For a live Future or Task before the cursor (`future.`), the members most likely wanted next,
 * by its state, as the REPL exercise goes: a pending Future is resolved (`setResult`), a done one
 * read (`result`); a pending Task is waited on or cancelled (its `setResult` throws). Null for
 * anything else. Completion puts these first, in this order; the rest keep the checker's.
 */
export function livePriority(code: string, cursor: number): readonly string[] | null {
  const m = IDENT_PATH.exec(tail(code, cursor));
  if (m === null) return null;
  const parts = m[0].split(".");
  if (parts.length < 2) return null;
  const value = resolvePath(parts.slice(0, -1));
  if (!(value instanceof asyncio.Future)) return null;
  if (value.done()) return ["result", "exception", "done", "cancelled", "addDoneCallback"];
  if (value instanceof asyncio.Task) return ["cancel", "done", "addDoneCallback", "getName", "getCoro"];
  return ["setResult", "setException", "cancel", "addDoneCallback", "done"];
}
