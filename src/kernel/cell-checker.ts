// Where type intelligence plugs into the TypeScript language (interpreter.ts): checking a cell
// before it runs, completion and inspection from types. The kernel runs without one (NO_CHECKER):
// cells run unchecked, and completion and inspection come from live values (introspection.ts).
// An implementation keeps its compiler out of the loop's thread (a worker or a process): the
// loop keeps serving the cells' timers and servers while it works.

import type { Completion, ErrorContent, Inspection } from "./language.js";

/** A cell as the checker sees it. */
export interface CheckedCell {
  /** Unique for the kernel's life; the cell runs as the script `cell-${id}.js`. */
  readonly id: number;
  /** The cell's TypeScript, as the user wrote it. */
  readonly code: string;
  /** The `n` of `In [n]`. */
  readonly executionCount: number;
}

/** A type error in a cell. */
export interface CellDiagnostic {
  /** 1-based, in the cell. */
  line: number;
  /** 1-based, in UTF-16 units. */
  column: number;
  /** TypeScript's number: 2322 for TS2322. */
  code: number;
  message: string;
}

/**
 * Type intelligence for cells. Completion and inspection offsets are UTF-16 offsets into `code`
 * (the protocol layer converts the wire's code points).
 */
export interface Checker {
  /** Starts what is slow to start (a process, a first program); called once the kernel has answered its first request. */
  start(): void;
  /**
   * Checks a cell against everything earlier committed cells declared; resolves with its errors,
   * none when it may run. Called while the cell compiles; a cell that fails to compile is
   * neither run nor committed.
   */
  check(cell: CheckedCell): Promise<readonly CellDiagnostic[]>;
  /**
   * The cell ran (to its end or not): its declarations are what later cells are checked
   * against. `declared` names its top-level declarations; a later cell's declaration of a name
   * replaces an earlier one's.
   */
  commit(cell: CheckedCell, declared: readonly string[]): void;
  /** Completion at `cursor` from types, or null to leave it to live values. */
  complete(code: string, cursor: number): Promise<Completion | null>;
  /** What is at `cursor` (also inside a call's parentheses), or null to leave it to live values. */
  inspect(code: string, cursor: number, detailLevel: number): Promise<Inspection | null>;
  /** Ends the checker's process or worker. */
  close(): Promise<void>;
}

/** No checking: every cell runs, completion and inspection come from live values. */
export const NO_CHECKER: Checker = {
  start() {},
  check: async () => [],
  commit() {},
  complete: async () => null,
  inspect: async () => null,
  close: async () => {},
};

/**
 * A cell's type errors as the `error` output that replaces running it: each at its line and
 * column, with TypeScript's code, and how to run the cell anyway.
 */
export function diagnosticsError(diagnostics: readonly CellDiagnostic[], label: string): ErrorContent {
  const first = diagnostics[0];
  const evalue = first === undefined ? "" : `TS${first.code}: ${first.message}`;
  const lines = diagnostics.map((d) => `Cell ${label}, line ${d.line}, column ${d.column}: error TS${d.code}: ${d.message}`);
  return {
    ename: "TSError",
    evalue,
    traceback: [...lines, "The cell did not run. To run it unchecked, make `// @ts-nocheck` its first line."],
  };
}
