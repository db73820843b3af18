// How values look in a notebook: the mime bundle of a cell's result or of `display(x)`.
// Futures and Tasks show their Python repr (`<Future pending>`) and a small HTML badge of their
// state; plain values show Node's inspect; objects may bring their own bundle.

import { inspect } from "node:util";
import { isFuture, type Future } from "../asyncio/index.js";
import type { MimeBundle } from "./language.js";
import { safeText } from "./safe-text.js";

/** An object that renders itself: return a mime bundle. */
export interface RichDisplay {
  _repr_mimebundle_?(): MimeBundle;
}

const BADGE_COLORS: Record<string, string> = { pending: "#b58900", cancelling: "#cb4b16", finished: "#2aa198", cancelled: "#6c71c4", failed: "#dc322f" };

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function futureState(f: Future<unknown>): string {
  if (f.cancelled()) return "cancelled";
  if (!f.done()) return String(f).startsWith("<Task cancelling") ? "cancelling" : "pending";
  return (f as unknown as { _hasException: boolean })._hasException ? "failed" : "finished";
}

/** The bundle for a value. */
export function mimeBundle(value: unknown): MimeBundle {
  if (value !== null && typeof value === "object") {
    // May throw (a getter, a Proxy's trap): the caller shows that as the cell's error.
    const own = (value as RichDisplay)._repr_mimebundle_;
    if (typeof own === "function") return plainBundle(own.call(value));
  }
  if (isFuture(value)) {
    const text = String(value);
    const state = futureState(value);
    const color = BADGE_COLORS[state] ?? "#888";
    const html = `<span style="display:inline-block;padding:0 0.5em;border-radius:0.7em;background:${color};color:white;font-family:sans-serif;font-size:0.8em">${state}</span> <code>${escapeHtml(text)}</code>`;
    return { "text/plain": text, "text/html": html };
  }
  return { "text/plain": textRepr(value) };
}

/** A copy in plain JSON of the bundle an object made: one that cannot be sent fails here, as the cell's error. */
function plainBundle(bundle: unknown): MimeBundle {
  const copy: unknown = JSON.parse(JSON.stringify(bundle) ?? "null");
  if (copy === null || typeof copy !== "object" || Array.isArray(copy)) throw new TypeError("_repr_mimebundle_() must return an object of mime types");
  return copy as MimeBundle;
}

/** Node's inspect of a value; what safeText makes of it when inspect throws (a custom inspect that fails). */
function textRepr(value: unknown): string {
  try {
    return typeof value === "string" ? inspect(value) : inspect(value, { depth: 4, colors: false });
  } catch {
    return safeText(value);
  }
}

/** Helpers to build bundles for `display()`, as IPython.display's classes. */
export const richOutput = {
  html: (html: string): RichDisplay => ({ _repr_mimebundle_: () => ({ "text/html": html, "text/plain": "<HTML>" }) }),
  markdown: (md: string): RichDisplay => ({ _repr_mimebundle_: () => ({ "text/markdown": md, "text/plain": md }) }),
  svg: (svg: string): RichDisplay => ({ _repr_mimebundle_: () => ({ "image/svg+xml": svg, "text/plain": "<SVG>" }) }),
  png: (data: Uint8Array | string): RichDisplay => ({
    _repr_mimebundle_: () => ({ "image/png": typeof data === "string" ? data : Buffer.from(data).toString("base64"), "text/plain": "<PNG>" }),
  }),
  json: (obj: unknown): RichDisplay => ({ _repr_mimebundle_: () => ({ "application/json": obj, "text/plain": inspect(obj, { depth: 4 }) }) }),
  mime: (bundle: MimeBundle): RichDisplay => ({ _repr_mimebundle_: () => bundle }),
};
