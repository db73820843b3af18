// Text forms as Python prints them: `repr()` of values (with reprlib's length limits, as
// asyncio's reprs use), callbacks as `name(args)`, and creation sites from stack traces.

import { inspect } from "node:util";

const MAX_STRING = 30;
const MAX_OTHER = 30;

function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  // reprlib keeps both ends, so the quotes of a string stay visible.
  const i = Math.max(0, Math.floor((max - 3) / 2));
  const j = Math.max(0, max - 3 - i);
  return s.slice(0, i) + "..." + s.slice(s.length - j);
}

/** A string as Python's `repr()` writes it: single quotes unless the text holds one. */
export function quote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    if (ch === "\\") out += "\\\\";
    else if (ch === q) out += "\\" + q;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch < " ") out += "\\x" + ch.charCodeAt(0).toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + q;
}

/** A value's full text form: Python's repr for strings and errors, Node's inspect otherwise. */
export function repr(value: unknown): string {
  if (typeof value === "string") return quote(value);
  if (value instanceof Error) return `${value.name}(${quote(value.message)})`;
  if (value !== null && typeof value === "object" && typeof (value as { _repr?: unknown })._repr === "function") {
    return (value as { _repr(): string })._repr();
  }
  if (typeof value === "function") return `<function ${value.name || "<anonymous>"}>`;
  return inspect(value, { depth: 2, breakLength: Infinity, colors: false });
}

/** A value's short text form, cut as Python's `reprlib.repr` cuts it. */
export function shortRepr(value: unknown): string {
  return truncate(repr(value), typeof value === "string" ? MAX_STRING : MAX_OTHER);
}

// The library's own callbacks, by their function names, as Python's reprs name them. Naming them
// here rather than labelling each closure keeps the closures cheap to make.
const INTERNAL_NAMES: Record<string, string> = {
  taskStep: "Task.step",
  taskWakeup: "Task.wakeup",
  waker: "Task.wakeup",
};

/** A callback's name for reprs: `name`, or `Task.step` for a task's own steps. */
export function callbackName(cb: unknown): string {
  if (typeof cb !== "function") return String(cb);
  const label = (cb as { _asyncioLabel?: unknown })._asyncioLabel;
  if (typeof label === "string") return label;
  const name = cb.name.replace(/^bound /, "");
  return INTERNAL_NAMES[name] ?? (name || "<anonymous>");
}

/** A call as Python's format helpers show it: `name(arg1, arg2)`. */
export function formatCallback(cb: unknown, args: readonly unknown[]): string {
  return `${callbackName(cb)}(${args.map(shortRepr).join(", ")})`;
}

/**
 * The user's frames of a stack captured with `new Error()`, without this library's own
 * frames, so "created at" points at the line a learner wrote.
 */
export function extractStack(skip = 1): string[] {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  Error.captureStackTrace(holder, extractStack);
  Error.stackTraceLimit = limit;
  const lines = (holder.stack ?? "")
    .split("\n")
    .slice(1)
    .map((l) => l.trim().replace(/^at /, ""));
  const own = lines.filter((l) => !isLibraryFrame(l));
  return (own.length > 0 ? own : lines).slice(skip - 1);
}

const here = import.meta.url.replace(/^file:\/\//, "").replace(/\/[^/]*$/, "/");

function isLibraryFrame(line: string): boolean {
  return line.includes(here) || line.includes("node:internal");
}

/** `file:line` of the first frame of a captured stack, for "created at" notes. */
export function creationSite(stack: readonly string[] | null | undefined): string | null {
  const first = stack?.[0];
  if (!first) return null;
  const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):\d+\)?$/.exec(first);
  return m ? `${m[1]}:${m[2]}` : first;
}
