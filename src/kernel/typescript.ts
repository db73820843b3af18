// TypeScript, loaded when first needed and through require(): importing the 9 MB compiler as an
// ES module makes Node 20 scan it for its format and its named exports first (~350 ms more),
// and loading it before the sockets are up would delay the kernel's first reply.

import { createRequire } from "node:module";
import type * as TS from "typescript";

const require = createRequire(import.meta.url);
let loaded: typeof TS | null = null;

/** The TypeScript compiler API (loaded on first use). */
export function typescript(): typeof TS {
  return (loaded ??= require("typescript") as typeof TS);
}

/** TypeScript's version, without loading the compiler. */
export function typescriptVersion(): string {
  return (require("typescript/package.json") as { version: string }).version;
}
