// Where type intelligence plugs into the TypeScript language (interpreter.ts): checking a cell
// before it runs, completion and inspection from types. The kernel runs without one (NO_CHECKER):
// cells run unchecked, and completion and inspection come from live values (introspection.ts).
// An implementation keeps its compiler out of the loop's thread (a worker or a process): the
// loop keeps serving the cells' timers and servers while it works.
//
// TypeScript7Checker, at the end, is the kernel's: it adapts checker.ts (the one module that
// talks to TypeScript 7, in Unicode code points) to this interface (UTF-16 offsets, as
// JavaScript strings count).

import { TypeChecker, codePointOffset, utf16Offset } from "./checker.js";
import { MAX_PARSE_DEPTH, bracketDepth } from "./compiler.js";
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
   * The cell ran (to its end or not), checked or not: its declarations are what later cells are
   * checked against. `declared` names its top-level declarations; a later cell's declaration of
   * a name replaces an earlier one's.
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

/** How a cell's type check can be skipped, as the error says. */
export const OPT_OUT_HINT =
  "The cell did not run. To run it unchecked, make `// @ts-nocheck` its first line; to stop checking for the session, run `kernel.typeCheck = false` (or start the kernel with ASYNCIO_TS_CHECK=0).";

/**
 * A cell's type errors as the `error` output that replaces running it: each at its line and
 * column, with TypeScript's code, and how to run the cell anyway.
 */
export function diagnosticsError(diagnostics: readonly CellDiagnostic[], label: string): ErrorContent {
  const first = diagnostics[0];
  const evalue = first === undefined ? "" : `TS${first.code}: ${first.message}`;
  const lines = diagnostics.map((d) => `Cell ${label}, line ${d.line}, column ${d.column}: error TS${d.code}: ${d.message}`);
  return { ename: "TSError", evalue, traceback: [...lines, OPT_OUT_HINT] };
}

/** Options of {@link TypeScript7Checker}. */
export interface TypeScript7CheckerOptions {
  /** The notebook's folder (its tsconfig.json, its node_modules). */
  cwd: string;
  /** The kernel's own globals, declared inside `declare global { }` (see TypeCheckerOptions). */
  globals?: string;
  /** Where failures and slowness are logged. */
  log: (line: string) => void;
  /**
   * How long a cell waits for its check before it runs unchecked (a checker that is stuck or
   * slow to start must not hold cells back). Default 10 s: the first check on a busy machine
   * takes a second or two.
   */
  checkTimeoutMs?: number;
  /** The same for completion and inspection, which then come from live values. Default 2 s. */
  requestTimeoutMs?: number;
}

/** The kernel's checker: TypeScript 7 (checker.ts) behind the {@link Checker} interface. */
export class TypeScript7Checker implements Checker {
  private readonly _checker: TypeChecker;
  private readonly _log: (line: string) => void;
  private readonly _checkTimeout: number;
  private readonly _requestTimeout: number;
  /** Cells the checker accepted when it checked them (checker.ts accepts a cell without errors). */
  private readonly _accepted = new Set<number>();
  /** Set once the checker failed: cells run unchecked from then on, said once in the log. */
  private _failed = false;

  constructor(options: TypeScript7CheckerOptions) {
    this._checker = new TypeChecker({ cwd: options.cwd, globals: options.globals });
    this._log = options.log;
    this._checkTimeout = options.checkTimeoutMs ?? 10_000;
    this._requestTimeout = options.requestTimeoutMs ?? 2_000;
  }

  start(): void {
    this._checker.start();
  }

  async check(cell: CheckedCell): Promise<readonly CellDiagnostic[]> {
    const code = forTypeScript(cell.code);
    if (this._failed || code === null) return [];
    const found = await this._within(this._checker.check(code, cell.executionCount), this._checkTimeout, "check");
    if (found === null) return [];
    const errors = found.filter((d) => d.category === "error");
    if (errors.length === 0) this._accepted.add(cell.id);
    return errors.map((d) => ({ line: d.line, column: utf16Column(cell.code, d.line, d.column), code: Number(d.code.replace(/^TS/, "")), message: d.message }));
  }

  commit(cell: CheckedCell): void {
    // A checked cell was accepted by its check; one that ran unchecked (`// @ts-nocheck`, the
    // session's checking off, a check that timed out) is added so later cells know its names.
    const code = forTypeScript(cell.code);
    if (this._accepted.delete(cell.id) || this._failed || code === null) return;
    this._checker.add(code, cell.executionCount).catch((e: unknown) => this._failure(e));
  }

  async complete(given: string, cursor: number): Promise<Completion | null> {
    const code = forTypeScript(given);
    if (this._failed || code === null) return null;
    const r = await this._within(this._checker.complete(code, codePointOffset(code, cursor)), this._requestTimeout, "completion");
    if (r === null || r.matches.length === 0) return null;
    const cursorStart = utf16Offset(code, r.cursorStart);
    const cursorEnd = utf16Offset(code, r.cursorEnd);
    return {
      matches: r.matches.map((m) => m.text),
      cursorStart,
      cursorEnd,
      // JupyterLab shows `type` as the match's kind (its icon) and `signature` beside it.
      types: r.matches.map((m) => ({ text: m.text, type: m.kind, ...(m.type === undefined ? {} : { signature: m.type }), start: cursorStart, end: cursorEnd })),
    };
  }

  async inspect(given: string, cursor: number): Promise<Inspection | null> {
    const code = forTypeScript(given);
    if (this._failed || code === null) return null;
    const r = await this._within(this._checker.inspect(code, codePointOffset(code, cursor)), this._requestTimeout, "inspection");
    return r === null ? null : { found: true, data: { ...r.data } };
  }

  async close(): Promise<void> {
    await this._checker.close();
  }

  /** The answer, or null when the checker failed or took longer than `ms` (logged). */
  private async _within<T>(request: Promise<T>, ms: number, what: string): Promise<T | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        this._log(`the checker took over ${ms} ms for a ${what}: going on without it`);
        resolve(null);
      }, ms);
    });
    try {
      return await Promise.race([request, late]);
    } catch (e) {
      this._failure(e);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private _failure(e: unknown): void {
    if (this._failed) return;
    this._failed = true;
    this._log(`the checker failed; cells run unchecked from now on: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A 1-based column in code points on `line` of `code`, as a 1-based column in UTF-16 units. */
function utf16Column(code: string, line: number, column: number): number {
  const text = code.split("\n")[line - 1] ?? "";
  return utf16Offset(text, column - 1) + 1;
}

/** Longer code than this is not given to TypeScript (it took minutes on 200,000 characters). */
const MAX_CHECKED_LENGTH = 100_000;

/**
 * Code as TypeScript 7 can take it, or null when it cannot (the cell then runs unchecked, and
 * completion and inspection come from live values). What the fuzzer found ending type checking
 * for the session: a lone UTF-16 surrogate (TypeScript's JSON decoder panics: it becomes U+FFFD,
 * one unit as well, so offsets hold), nesting past MAX_PARSE_DEPTH (a stack overflow; `A<`
 * 10,000 deep kept its process busy for minutes, at 6 GB), and very long code.
 */
function forTypeScript(code: string): string | null {
  if (code.length > MAX_CHECKED_LENGTH || bracketDepth(code).max > MAX_PARSE_DEPTH) return null;
  return (code as string & { toWellFormed(): string }).toWellFormed();
}
