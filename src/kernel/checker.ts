// Type checking, completion and inspection of cells with TypeScript 7 (the native compiler),
// through its unstable synchronous API (`typescript/unstable/sync`). This is the only file
// that talks to TypeScript 7: the API is unstable and its version is pinned, so a version bump
// touches this file alone. It knows nothing of Jupyter messages (the kernel makes the replies)
// and nothing of running cells (the interpreter runs them).
//
// Where it runs: the API spawns the compiler as a child process and waits for each answer with
// blocking reads on a pipe, so it lives on a worker thread (this same file, started as a
// worker): the kernel's event loop, its timers and servers never wait on the checker. The
// first answer comes ~0.25 s after start; a typed 10-line cell is checked in ~3.5 ms through
// the worker, ~2 ms of it in TypeScript (bench/README.md, `checker`).
//
// The session as the checker sees it (a virtual project: nothing is written to disk):
//   tsconfig.json   in `.asyncio-ts-checker/` under the notebook's folder (a folder that exists
//                   only in memory, so no name of ours can hide a file of the notebook's),
//                   extending the notebook's tsconfig.json if it has one (but not its `include`:
//                   its whole project would be loaded and checked with every cell), else strict
//                   defaults; `rootDirs` lets cells import the notebook's own files;
//   cell-K.ts       each accepted cell K, a module, ending in `export { every name it declares }`;
//   globals.d.ts    `declare global { export import future = __cell1.future; var n: typeof
//                   __cell3.n; ... }`: each name as the latest cell that declared it, so a cell
//                   that declares a name again replaces it, and a later cell sees the types of
//                   the values made earlier (a `Future<string>`), including generics, enums and
//                   namespaces (an import alias carries every meaning of the name);
//   cell.ts         the cell being checked or completed, a module whose own declarations shadow
//                   the globals (cell-imports.ts for cells with imports, see _scratchFile).
// Cell files are made in blocks of 64 empty slots that globals.d.ts imports in advance, and each
// snapshot update changes one file: TypeScript 7 rebuilds its whole program (~15-25 ms) when a
// file's imports change or when several files change at once, and reuses it (~0.5 ms) otherwise.

import { existsSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { dirname, join, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { API, Checker, Diagnostic, Project, Snapshot, Symbol as TsSymbol, Type } from "typescript/unstable/sync";
import type { Node, SourceFile } from "typescript/unstable/ast";

// -- The public API (main thread) ---------------------------------------------------------------

/** A type error (or warning) in a cell. */
export interface CellDiagnostic {
  /** 1-based line in the cell. */
  line: number;
  /** 1-based column in the line, in Unicode code points. */
  column: number;
  /** TypeScript's code, as it prints it: `"TS2322"`. */
  code: string;
  /** The message, with its chain of reasons indented below it. */
  message: string;
  category: "error" | "warning";
}

/** One completion. */
export interface CompletionMatch {
  /** The name to insert. */
  text: string;
  /** What it is: `method`, `property`, `function`, `class`, `variable`, `module`, `keyword`, ... */
  kind: string;
  /** Its type as TypeScript prints it (`(result: string) => void`), when known. */
  type?: string;
}

/** The completions at a cursor. Offsets are in Unicode code points. */
export interface Completions {
  /** Best first. */
  matches: CompletionMatch[];
  /** Where the text the matches replace starts (the part of the name already typed). */
  cursorStart: number;
  cursorEnd: number;
}

/** What Shift+Tab shows for the name under the cursor (or the function whose call it is in). */
export interface Inspection {
  /** The signature with types: `function asyncio.sleep<T = undefined>(delay: number, result?: T | undefined): CoroutineObject<T>`. */
  signature: string;
  /** The TSDoc: summary and tags (`@throws ...`), as markdown text. */
  documentation: string;
  /** The same as a Jupyter mime bundle (text/plain and text/markdown). */
  data: { "text/plain": string; "text/markdown": string };
}

/** Options of a {@link TypeChecker}. */
export interface TypeCheckerOptions {
  /** The notebook's folder: its tsconfig.json (if any) sets the options, and its node_modules are searched. */
  cwd: string;
  /**
   * Declarations of the globals the kernel gives cells (`display`, `input`, ...), as they go
   * inside `declare global { }`; the library is in scope there as `__asyncio`.
   */
  globals?: string;
}

/** The checker's error when it could not start or stopped (`code` ERR_ASYNCIO_TS_CHECKER). */
export class CheckerError extends Error {
  readonly code = "ERR_ASYNCIO_TS_CHECKER";
  constructor(message: string) {
    super(message);
    this.name = "CheckerError";
  }
}

/** The first line that turns checking off for a cell. */
const NOCHECK = /^\s*\/\/\s*@ts-nocheck\b/;

/**
 * Type checks cells against everything earlier cells declared, the library's types and Node's
 * types, and answers completion and inspection requests, with TypeScript 7 on a worker thread.
 *
 * A cell is *accepted* (its declarations become visible to later cells) when {@link check}
 * finds no error in it, or when it is {@link add}ed without a check. Requests are answered in
 * the order they are made.
 *
 * @example
 * ```ts
 * const checker = new TypeChecker({ cwd: process.cwd() });
 * checker.start();                                   // boots in the background
 * await checker.check('import * as asyncio from "asyncio";\nconst future = new asyncio.Future<string>();', 1);
 * await checker.check("future.setResult(42);", 2);   // [{ line: 1, column: 18, code: "TS2345", ... }]
 * await checker.close();
 * ```
 */
export class TypeChecker {
  private _worker: Worker | null = null;
  private _failure: CheckerError | null = null;
  private _nextId = 0;
  private readonly _pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly _options: TypeCheckerOptions) {}

  /**
   * Starts the checker in the background (a worker thread and TypeScript 7's process) and
   * returns at once: the first request waits for it. Idempotent. Called by the other methods.
   */
  start(): void {
    if (this._worker !== null || this._failure !== null) return;
    const data: BootData = { cwd: resolvePath(this._options.cwd), globals: this._options.globals ?? "", ...locateTypes() };
    const worker = new Worker(workerFile(), { workerData: { [WORKER_MARK]: data } });
    // Neither the worker nor TypeScript's process keeps the kernel alive.
    worker.unref();
    worker.on("message", (r: Reply) => {
      const p = this._pending.get(r.id);
      if (p === undefined) return;
      this._pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new CheckerError(r.message));
    });
    worker.on("error", (e) => this._fail(`the checker failed: ${e.message}`));
    worker.on("exit", () => this._fail("the checker stopped"));
    this._worker = worker;
  }

  /**
   * Checks a cell against the accepted cells. Returns its errors and warnings (none: the cell is
   * accepted). A cell whose first line is `// @ts-nocheck` is not checked, and is accepted.
   * @param cellIndex the cell's execution count. Accepted cells are kept in the order they were
   *   checked, whatever their counts, so a silent execution sharing a count replaces nothing.
   * @throws CheckerError when the checker could not start or stopped.
   */
  async check(cellSource: string, cellIndex: number): Promise<CellDiagnostic[]> {
    const found = (await this._request("check", { source: cellSource, index: cellIndex, report: !NOCHECK.test(cellSource) })) as RawDiagnostic[];
    return found.map((d) => ({ ...lineAndColumn(cellSource, d.pos), code: `TS${d.code}`, message: d.message, category: d.category }));
  }

  /**
   * Accepts a cell without checking it (the session's checking is off): its declarations are
   * known to later cells and to completion.
   */
  async add(cellSource: string, cellIndex: number): Promise<void> {
    await this._request("check", { source: cellSource, index: cellIndex, report: false });
  }

  /**
   * Completions at `cursorPos` (code points) in `code`, a cell not yet run: members by type
   * after a `.` (`future.` lists setResult, done, ...), names in scope (the cell's, earlier
   * cells', the library's and Node's globals, keywords) elsewhere, module names in an import's
   * string. Names starting with `_` only once `_` is typed.
   */
  async complete(code: string, cursorPos: number): Promise<Completions> {
    const r = (await this._request("complete", { code, pos: utf16Offset(code, cursorPos) })) as RawCompletions;
    return { matches: r.matches, cursorStart: codePointOffset(code, r.start), cursorEnd: codePointOffset(code, r.end) };
  }

  /**
   * The signature (with types) and TSDoc of the name at `cursorPos` (code points), or of the
   * function whose call's parentheses the cursor is in (`asyncio.sleep(|`); null when there
   * is nothing to show.
   */
  async inspect(code: string, cursorPos: number): Promise<Inspection | null> {
    return (await this._request("inspect", { code, pos: utf16Offset(code, cursorPos) })) as Inspection | null;
  }

  /** Stops the worker and TypeScript's process. Idempotent. */
  async close(): Promise<void> {
    const w = this._worker;
    this._worker = null;
    this._failure ??= new CheckerError("the checker is closed");
    if (w === null) return;
    const id = this._nextId++;
    // Closing the API ends TypeScript's process; terminating the thread alone would leave it
    // until its pipe closes.
    const closed = new Promise<void>((resolve) => {
      this._pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      w.postMessage({ id, op: "close", args: null } satisfies Request);
    });
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    await w.terminate();
  }

  private _request(op: Request["op"], args: unknown): Promise<unknown> {
    this.start();
    const worker = this._worker;
    if (worker === null) return Promise.reject(this._failure ?? new CheckerError("the checker is closed"));
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args } satisfies Request);
    });
  }

  private _fail(message: string): void {
    this._failure ??= new CheckerError(message);
    this._worker = null;
    for (const p of this._pending.values()) p.reject(this._failure);
    this._pending.clear();
  }
}

// -- Positions ----------------------------------------------------------------------------------

/** The UTF-16 offset of the `codePoints`-th code point of `text` (Jupyter counts code points). */
export function utf16Offset(text: string, codePoints: number): number {
  let offset = 0;
  for (let n = 0; n < codePoints && offset < text.length; n++) offset += (text.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1;
  return offset;
}

/** The number of code points in `text` before the UTF-16 `offset`. */
export function codePointOffset(text: string, offset: number): number {
  let n = 0;
  for (let i = 0; i < offset && i < text.length; n++) i += (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  return n;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: (before.match(/\n/g)?.length ?? 0) + 1, column: codePointOffset(before.slice(lineStart), before.length - lineStart) + 1 };
}

// -- Between the threads --------------------------------------------------------------------------

const WORKER_MARK = "asyncioTsChecker";

interface BootData {
  cwd: string;
  /** The kernel's own globals, declared inside `declare global { }` (TypeCheckerOptions.globals). */
  globals: string;
  /** The library's declarations (`asyncio`, `asyncio-ts` and its subpaths resolve there). */
  library: string;
  /** The folder holding @types/node, or null when it is not installed. */
  typeRoot: string | null;
}

type Request = { id: number; op: "check" | "complete" | "inspect" | "close"; args: unknown };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };
type RawDiagnostic = { pos: number; code: number; message: string; category: "error" | "warning" };
type RawCompletions = { matches: CompletionMatch[]; start: number; end: number };

/**
 * The worker's file: this one. Run from the built package that is dist/kernel/checker.js; run
 * from the sources (the tests, through vite) it is the built copy too, which `npm test` builds.
 */
function workerFile(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../dist/kernel/checker.js", here) : new URL(here);
}

/** Where the library's types and Node's are, seen from this file (built or source). */
function locateTypes(): { library: string; typeRoot: string | null } {
  const here = fileURLToPath(import.meta.url);
  const candidates = [
    join(dirname(here), "..", "asyncio", "index.d.ts"),
    join(dirname(here), "..", "..", "dist", "asyncio", "index.d.ts"),
    join(dirname(here), "..", "asyncio", "index.ts"),
  ];
  const library = candidates.find((c) => existsSync(c)) ?? (candidates[2] as string);
  let typeRoot: string | null = null;
  try {
    typeRoot = dirname(dirname(createRequire(import.meta.url).resolve("@types/node/package.json")));
  } catch {
    // Without @types/node cells are checked without Node's types (`process` is unknown).
  }
  return { library, typeRoot };
}

// -- The worker: the session in TypeScript 7 ------------------------------------------------------

/** Cell files made at once; globals.d.ts imports them all, so accepting a cell changes no import. */
const SLOTS = 64;

/** A name a cell declares, and how globals.d.ts re-declares it. */
interface Declared {
  name: string;
  /** `var` in globals.d.ts (assignable) for variables; an import alias (all meanings) otherwise. */
  variable: boolean;
  kind: string;
}

type SyncModule = typeof import("typescript/unstable/sync");
type AstModule = typeof import("typescript/unstable/ast");

/** The session in TypeScript 7 (on the worker thread): the virtual project described at the top. */
class Session {
  private readonly _files = new Map<string, string>();
  private readonly _changed = new Set<string>();
  private readonly _created = new Set<string>();
  /** Each global name: the latest accepted cell that declared it. */
  private readonly _globals = new Map<string, Declared & { cell: number }>();
  private _accepted = 0;
  private _slots = 0;
  private readonly _api: API;
  private _snapshot: Snapshot;
  private _project: Project;
  private readonly _config: string;
  private readonly _kernelGlobals: string;
  /** Lib and Node globals (completion at `globalThis.`), until globals.d.ts changes. */
  private _libGlobals: CompletionMatch[] | null = null;

  constructor(
    private readonly _ts: SyncModule,
    private readonly _ast: AstModule,
    boot: BootData,
  ) {
    this._config = join(boot.cwd, ".asyncio-ts-checker", "tsconfig.json");
    this._kernelGlobals = boot.globals;
    const files = this._files;
    const dir = dirname(this._config);
    this._api = new _ts.API({
      cwd: boot.cwd,
      // Our files (and their folder) are served from memory; `undefined` lets TypeScript read
      // everything else from disk.
      fs: { readFile: (f) => files.get(f), fileExists: (f) => (files.has(f) ? true : undefined), directoryExists: (d) => (d === dir ? true : undefined) },
    });
    // Files are read when the first snapshot is made: the notebook's tsconfig.json can be read first.
    this._files.set(this._config, JSON.stringify(this._tsconfig(boot)));
    this._files.set(this._path("cell.ts"), "export {};\n");
    this._files.set(this._path("cell-imports.ts"), "export {};\n");
    this._files.set(this._path("probe.ts"), "globalThis.\n");
    this._growSlots();
    this._snapshot = this._api.updateSnapshot({ openProjects: [this._config] });
    this._project = this._projectOf(this._snapshot);
    this._changed.clear();
    this._created.clear();
  }

  /** The virtual file `name`, next to the virtual tsconfig.json. */
  private _path(name: string): string {
    return join(dirname(this._config), name);
  }

  private _tsconfig(boot: BootData): Record<string, unknown> {
    const user = join(boot.cwd, "tsconfig.json");
    const hasUser = existsSync(user);
    let userOptions: { paths?: Record<string, string[]>; pathsBasePath?: string; types?: string[]; typeRoots?: string[]; rootDirs?: string[] } = {};
    if (hasUser) {
      // Read through TypeScript (comments, `extends`), for the options merged below.
      userOptions = this._api.parseConfigFile(user).options as typeof userOptions;
    }
    // The notebook's relative paths, made absolute: the options below are set from another folder.
    const abs = (p: string): string => resolvePath(userOptions.pathsBasePath ?? boot.cwd, p);
    const userPaths = Object.fromEntries(Object.entries(userOptions.paths ?? {}).map(([k, v]) => [k, v.map(abs)]));
    const libDir = dirname(boot.library);
    const ext = boot.library.endsWith(".d.ts") ? ".d.ts" : ".ts";
    const compilerOptions: Record<string, unknown> = {
      // Without the notebook's tsconfig.json: strict, and what Node 20 runs.
      ...(hasUser ? {} : { strict: true, target: "ES2022", lib: ["ES2023", "ESNext.Disposable"] }),
      noEmit: true,
      // Cells are ES modules with top-level await, whatever the notebook's folder says.
      module: "ESNext",
      moduleResolution: "Bundler",
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      // The kernel gives cells the library as "asyncio" and "asyncio-ts".
      paths: { ...userPaths, asyncio: [boot.library], "asyncio-ts": [boot.library], "asyncio-ts/*": [join(libDir, `*/index${ext}`)] },
      types: [...new Set([...(userOptions.types ?? []), ...(boot.typeRoot === null ? [] : ["node"])])],
      ...(boot.typeRoot === null ? {} : { typeRoots: [...(userOptions.typeRoots ?? []).map(abs), boot.typeRoot] }),
      // `import { x } from "./helpers.ts"` in a cell finds the notebook's file.
      rootDirs: [boot.cwd, dirname(this._config), ...(userOptions.rootDirs ?? []).map(abs)],
    };
    return {
      ...(hasUser ? { extends: user } : {}),
      compilerOptions,
      files: [this._path("globals.d.ts"), this._path("cell.ts"), this._path("cell-imports.ts"), this._path("probe.ts")],
      // Not the files of the notebook's own project (its `include`, inherited otherwise).
      include: [],
    };
  }

  private _projectOf(snapshot: Snapshot): Project {
    const p = snapshot.getProject(this._config);
    if (p === undefined) throw new Error("TypeScript did not open the session's project");
    return p;
  }

  private _set(file: string, text: string): void {
    this._files.set(file, text);
    this._changed.add(file);
  }

  private _growSlots(): void {
    for (let k = this._slots + 1; k <= this._slots + SLOTS; k++) {
      this._files.set(this._path(`cell-${k}.ts`), "export {};\n");
      this._created.add(this._path(`cell-${k}.ts`));
    }
    this._slots += SLOTS;
    this._writeGlobals();
  }

  private _writeGlobals(): void {
    const lines: string[] = [];
    for (let k = 1; k <= this._slots; k++) lines.push(`import type * as __cell${k} from "./cell-${k}.ts";`);
    if (this._kernelGlobals !== "") lines.push('import type * as __asyncio from "asyncio";');
    lines.push("declare global {");
    if (this._kernelGlobals !== "") lines.push(this._kernelGlobals);
    for (const [name, g] of this._globals) lines.push(g.variable ? `  var ${name}: typeof __cell${g.cell}.${name};` : `  export import ${name} = __cell${g.cell}.${name};`);
    lines.push("}", "export {};", "");
    this._set(this._path("globals.d.ts"), lines.join("\n"));
    this._libGlobals = null;
  }

  /** Sends the changed files to TypeScript, one per snapshot (see the top of the file). */
  private _flush(): void {
    if (this._changed.size === 0 && this._created.size === 0) return;
    const batches = this._created.size > 0 ? [{ changed: [...this._changed], created: [...this._created] }] : [...this._changed].map((f) => ({ changed: [f] }));
    this._changed.clear();
    this._created.clear();
    for (const fileChanges of batches) {
      const previous = this._snapshot;
      this._snapshot = this._api.updateSnapshot({ fileChanges });
      previous.dispose();
    }
    this._project = this._projectOf(this._snapshot);
  }

  /**
   * The scratch file for a cell: cells with imports get their own, so that a cell without any
   * (most of them) does not change the imports of the file the previous cell was in.
   */
  private _scratchFile(source: string): string {
    return this._path(/\bimport\b|\brequire\b|\/\/\/\s*</.test(source) ? "cell-imports.ts" : "cell.ts");
  }

  private _load(source: string): string {
    const file = this._scratchFile(source);
    // `export {}` makes the cell a module (its names shadow the globals; top-level await).
    this._set(file, `${source}\nexport {};\n`);
    this._flush();
    return file;
  }

  /** Checks a cell; returns its diagnostics and, when it is accepted, the work to do after replying. */
  check(source: string, report: boolean): { value: RawDiagnostic[]; after?: () => void } {
    const file = this._load(source);
    const program = this._project.program;
    const { Error: ERROR, Warning: WARNING } = this._ts.DiagnosticCategory;
    const inCell = (found: readonly Diagnostic[]): RawDiagnostic[] =>
      found
        .filter((d) => d.pos <= source.length && (d.category === ERROR || d.category === WARNING))
        .map((d) => ({ pos: d.pos, code: d.code, message: flatten(d), category: d.category === ERROR ? ("error" as const) : ("warning" as const) }));
    // A cell that does not parse does not run, checked or not.
    const syntax = inCell(program.getSyntacticDiagnostics(file));
    if (syntax.some((d) => d.category === "error")) return { value: syntax };
    const value = report ? [...syntax, ...inCell(program.getSemanticDiagnostics(file))] : syntax;
    if (value.some((d) => d.category === "error")) return { value };
    // The cell's names are read after the reply too (one round trip less while the kernel waits).
    return {
      value,
      after: () => {
        const sf = program.getSourceFile(file);
        this._accept(source, sf === undefined ? [] : this._declaredNames(sf));
      },
    };
  }

  private _accept(source: string, names: Declared[]): void {
    const unique = new Map(names.map((d) => [d.name, d]));
    // A cell that declares nothing (`future.done()`) changes nothing later cells see.
    if (unique.size === 0) return;
    if (this._accepted === this._slots) this._growSlots();
    const n = ++this._accepted;
    this._set(this._path(`cell-${n}.ts`), `${source}\nexport { ${[...unique.keys()].join(", ")} };\n`);
    this._flush();
    for (const d of unique.values()) this._globals.set(d.name, { ...d, cell: n });
    this._writeGlobals();
    this._flush();
  }

  /** What completion calls each named declaration (variables and imports are told apart where they are read). */
  private _declarationKinds(): Map<number, string> {
    const K = this._ast.SyntaxKind;
    return new Map([
      [K.FunctionDeclaration, "function"],
      [K.ClassDeclaration, "class"],
      [K.InterfaceDeclaration, "interface"],
      [K.TypeAliasDeclaration, "type"],
      [K.EnumDeclaration, "enum"],
      [K.ModuleDeclaration, "module"],
      [K.ImportEqualsDeclaration, "module"],
    ]);
  }

  /** The names a cell declares at its top level (what the kernel makes globals, and types). */
  private _declaredNames(sf: SourceFile): Declared[] {
    const { SyntaxKind: K } = this._ast;
    const out: Declared[] = [];
    const binding = (name: Node, kind: string): void => {
      if (name.kind === K.Identifier) out.push({ name: (name as unknown as { text: string }).text, variable: true, kind });
      else
        for (const el of (name as unknown as { elements: readonly { kind: number; name?: Node }[] }).elements)
          if (el.kind !== K.OmittedExpression && el.name !== undefined) binding(el.name, kind);
    };
    const named = (st: { name?: Node }, kind: string): void => {
      if (st.name?.kind === K.Identifier) out.push({ name: (st.name as unknown as { text: string }).text, variable: false, kind });
    };
    const kinds = this._declarationKinds();
    for (const st of sf.statements) {
      const s = st as unknown as Record<string, unknown> & { name?: Node };
      if (st.kind === K.VariableStatement) {
        for (const d of (s["declarationList"] as { declarations: readonly { name: Node }[] }).declarations) binding(d.name, "variable");
      } else if (st.kind === K.ImportDeclaration) {
        const clause = s["importClause"] as { name?: Node; namedBindings?: { kind: number; name?: Node; elements?: readonly { name: Node }[] } } | undefined;
        if (clause === undefined) continue;
        named(clause, "variable");
        const b = clause.namedBindings;
        if (b?.kind === K.NamespaceImport) named(b, "module");
        else for (const el of b?.elements ?? []) named(el, "variable");
      } else {
        const kind = kinds.get(st.kind);
        if (kind !== undefined) named(s, kind);
      }
    }
    return out;
  }

  complete(code: string, pos: number): RawCompletions {
    const before = code.slice(0, pos);
    const moduleName = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"'\n]*)$/.exec(before);
    const prefix = moduleName?.[1] ?? /[\p{ID_Continue}$\u200c\u200d]*$/u.exec(before)?.[0] ?? "";
    const start = pos - prefix.length;
    const file = this._load(code);
    let entries: { name: string; kind: string; sortText: string; symbol?: TsSymbol }[];
    // The API refuses completions where a name (not a member) goes ("completion list needs auto
    // imports"), and asking costs: it first indexes the packages it could import from (~60 MB
    // more in TypeScript's process, ms per request). Those names are put together here: the
    // cell's, the session's, the globals. TypeScript answers after a `.` and in a module name.
    const head = before.slice(0, start);
    // After `x.` or `x?.`, not after a number's `1.` or a spread's `...`.
    const member = moduleName !== null || (/\??\.\s*$/.test(head) && !/\.\.\.\s*$/.test(head) && !/(?:^|[^\p{ID_Continue}$.])\d+\.\s*$/u.test(head));
    entries = member ? this._members(file, pos) : this._namesInScope(file, pos);
    const lower = prefix.toLowerCase();
    const wanted = entries.filter((e) => e.name.toLowerCase().startsWith(lower) && !e.name.startsWith("#") && (prefix.startsWith("_") || !e.name.startsWith("_")));
    // Relevance: TypeScript's sort groups (locals, members, globals, keywords), exact-case prefix first, then by name.
    wanted.sort(
      (a, b) =>
        (a.sortText < b.sortText ? -1 : a.sortText > b.sortText ? 1 : 0) || Number(!b.name.startsWith(prefix)) - Number(!a.name.startsWith(prefix)) || a.name.localeCompare(b.name),
    );
    const seen = new Set<string>();
    const unique = wanted.filter((e) => !seen.has(e.name) && seen.add(e.name) !== undefined);
    return { matches: this._withTypes(unique, file, pos), start, end: pos };
  }

  private _members(file: string, pos: number): { name: string; kind: string; sortText: string; symbol?: TsSymbol }[] {
    try {
      const info = this._project.checker.getCompletionsAtPosition(file, pos, { includeSymbol: true });
      return (info?.entries ?? []).map((e) => ({
        name: e.name,
        kind: completionKind(this._ts, e.kind),
        sortText: e.sortText ?? "",
        ...(e.symbol === undefined ? {} : { symbol: e.symbol }),
      }));
    } catch (e) {
      if (!/auto import/i.test(String(e))) throw e;
      return this._namesInScope(file, pos);
    }
  }

  /** Types for the first matches (each costs a round trip to TypeScript). */
  private _withTypes(entries: { name: string; kind: string; symbol?: TsSymbol }[], file: string, pos: number): CompletionMatch[] {
    const checker = this._project.checker;
    const TYPED = 40;
    return entries.map((e, i) => {
      const m: CompletionMatch = { text: e.name, kind: e.kind };
      if (i >= TYPED || e.kind === "keyword" || e.kind === "module") return m;
      try {
        const symbol = e.symbol ?? checker.resolveName(e.name, this._ts.SymbolFlags.Value, { document: file, position: pos });
        const type = symbol === undefined ? undefined : checker.getTypeOfSymbol(symbol);
        if (type !== undefined && !type.isErrorType()) m.type = checker.typeToString(type);
      } catch {
        // A name TypeScript cannot type here is still a completion.
      }
      return m;
    });
  }

  /** Names that can be typed at `pos`: the cell's own before it (and enclosing functions'), earlier cells', globals, keywords. */
  private _namesInScope(file: string, pos: number): { name: string; kind: string; sortText: string }[] {
    const out: { name: string; kind: string; sortText: string }[] = [];
    const sf = this._project.program.getSourceFile(file);
    if (sf !== undefined) for (const [name, kind] of this._localNames(sf, pos)) out.push({ name, kind, sortText: "10" });
    for (const [name, g] of this._globals) out.push({ name, kind: g.kind, sortText: "11" });
    this._libGlobals ??= this._computeLibGlobals();
    for (const g of this._libGlobals) out.push({ name: g.text, kind: g.kind, sortText: "15" });
    for (const k of KEYWORDS) out.push({ name: k, kind: "keyword", sortText: "17" });
    return out;
  }

  private _computeLibGlobals(): CompletionMatch[] {
    const info = this._project.checker.getCompletionsAtPosition(this._path("probe.ts"), "globalThis.".length, {});
    return (info?.entries ?? []).map((e) => ({ text: e.name, kind: completionKind(this._ts, e.kind) }));
  }

  /** Declarations visible at `pos` in the cell: in every block, function and loop around it. */
  private _localNames(sf: SourceFile, pos: number): Map<string, string> {
    const { SyntaxKind: K } = this._ast;
    const names = new Map<string, string>();
    const kinds = this._declarationKinds();
    const addBinding = (name: Node | undefined, kind: string): void => {
      if (name === undefined) return;
      if (name.kind === K.Identifier) names.set((name as unknown as { text: string }).text, kind);
      else if (name.kind === K.ObjectBindingPattern || name.kind === K.ArrayBindingPattern)
        name.forEachChild((el) => void addBinding((el as unknown as { name?: Node }).name, kind));
    };
    const visit = (node: Node): void => {
      node.forEachChild((child) => {
        const c = child as unknown as { name?: Node; kind: number };
        // Declarations are visible in their scope from anywhere (functions, classes) or once declared.
        const declared = kinds.get(child.kind);
        if (declared !== undefined) addBinding(c.name, declared);
        else if ((child.kind === K.VariableDeclaration || child.kind === K.Parameter || child.kind === K.BindingElement) && child.pos < pos)
          addBinding(c.name, child.kind === K.Parameter ? "param" : "variable");
        else if (child.kind === K.ImportClause || child.kind === K.NamespaceImport || child.kind === K.ImportSpecifier)
          addBinding(c.name, child.kind === K.NamespaceImport ? "module" : "variable");
        if (child.pos <= pos && pos <= child.end) visit(child);
        else if (child.kind === K.VariableStatement || child.kind === K.VariableDeclarationList || child.kind === K.ImportDeclaration || child.kind === K.NamedImports)
          visit(child);
        return undefined;
      });
    };
    visit(sf);
    return names;
  }

  inspect(code: string, pos: number): Inspection | null {
    const file = this._load(code);
    const sf = this._project.program.getSourceFile(file);
    if (sf === undefined) return null;
    const target = this._inspectionTarget(sf, pos);
    if (target === null) return null;
    const checker = this._project.checker;
    let symbol = checker.getSymbolAtPosition(file, target.getStart(sf));
    if (symbol === undefined || symbol.name.startsWith('"')) return null;
    if (symbol.flags & this._ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    // `asyncio.sleep` as written, rather than the bare `sleep`.
    const parent = target.parent;
    const written =
      parent.kind === this._ast.SyntaxKind.PropertyAccessExpression && (parent as unknown as { name: Node }).name === target ? parent.getText(sf) : target.getText(sf);
    const signature = this._signature(checker, symbol, written.replace(/\s+/g, ""));
    // Tags as TypeScript's hover shows them: `*@throws* text`, a multi-line text (an example) below its tag.
    const tag = (t: { name: string; text?: string | undefined }): string =>
      `*@${t.name}*${t.text === undefined || t.text === "" ? "" : t.text.includes("\n") ? `\n${t.text}` : ` ${t.text}`}`;
    const documentation = [checker.getDocumentationCommentOfSymbol(symbol), ...checker.getJsDocTagsOfSymbol(symbol).map(tag)].filter((s) => s !== "").join("\n\n");
    const plain = documentation === "" ? signature : `${signature}\n\n${documentation}`;
    return { signature, documentation, data: { "text/plain": plain, "text/markdown": `\`\`\`ts\n${signature}\n\`\`\`${documentation === "" ? "" : `\n\n${documentation}`}` } };
  }

  /** The name at the cursor, else the callee of the call whose parentheses hold the cursor. */
  private _inspectionTarget(sf: SourceFile, pos: number): Node | null {
    const { SyntaxKind: K } = this._ast;
    const isName = (n: Node | undefined): n is Node => n !== undefined && (n.kind === K.Identifier || n.kind === K.PrivateIdentifier);
    const touching = this._ast.getTouchingPropertyName(sf, pos);
    if (isName(touching)) return touching;
    // Right after a name (`asyncio.sleep|`).
    const preceding = this._ast.findPrecedingToken(sf, pos);
    if (isName(preceding) && preceding.end === pos) return preceding;
    for (let n: Node | undefined = preceding; n !== undefined && n.kind !== K.SourceFile; n = n.parent) {
      if (n.kind === K.CallExpression || n.kind === K.NewExpression) {
        const callee = (n as unknown as { expression: Node }).expression;
        if (callee.end >= pos) continue;
        const name = callee.kind === K.PropertyAccessExpression ? (callee as unknown as { name: Node }).name : callee;
        if (isName(name)) return name;
      }
    }
    return null;
  }

  private _signature(checker: Checker, symbol: TsSymbol, written: string): string {
    const { SymbolFlags: F, SignatureKind } = this._ts;
    const K = this._ast.SyntaxKind;
    const print = (kind: number, sig: Parameters<Checker["signatureToSignatureDeclaration"]>[0]): string => {
      const node = checker.signatureToSignatureDeclaration(sig, kind);
      return node === undefined ? "" : this._project.emitter.printNode(node).replace(/;\s*$/, "");
    };
    const type: Type | undefined = checker.getTypeOfSymbol(symbol);
    if (symbol.flags & F.Class) {
      const declared = checker.typeToString(checker.getDeclaredTypeOfSymbol(symbol));
      const constructors =
        type === undefined ? [] : checker.getSignaturesOfType(type, SignatureKind.Construct).map((s) => print(K.Constructor, s).replace(/^constructor/, `new ${written}`));
      return [`class ${declared}`, ...constructors].join("\n");
    }
    if (symbol.flags & F.Interface) return `interface ${checker.typeToString(checker.getDeclaredTypeOfSymbol(symbol))}`;
    if (symbol.flags & F.TypeAlias) return `type ${written}`;
    if (symbol.flags & (F.Module | F.ValueModule | F.NamespaceModule) && !(symbol.flags & F.Function)) return `module ${written}`;
    if (type === undefined) return written;
    const calls = symbol.flags & (F.Function | F.Method) ? checker.getSignaturesOfType(type, SignatureKind.Call) : [];
    if (calls.length > 0) {
      const label = symbol.flags & F.Method ? "(method)" : "function";
      return calls.map((s) => `${label} ${written}${print(K.FunctionDeclaration, s).replace(/^function\s*/, "")}`).join("\n");
    }
    const label = symbol.flags & F.Property ? "(property)" : symbol.flags & F.EnumMember ? "(enum member)" : "(variable)";
    return `${label} ${written}: ${checker.typeToString(type)}`;
  }

  close(): void {
    // The API ends TypeScript's process with SIGTERM, on which it prints "context canceled" to
    // the kernel's standard error (inherited: the API spawns it so), once per kernel shutdown, in
    // the terminal that runs JupyterLab. Killed first, it says nothing; if the API's internals
    // change, the plain close below still ends it.
    const child = (this._api as unknown as { client?: { channel?: { child?: { kill(signal: string): boolean } } } }).client?.channel?.child;
    child?.kill("SIGKILL");
    this._api.close();
  }
}

/** A diagnostic's message and its chain of reasons, indented as tsc prints them. */
function flatten(d: Pick<Diagnostic, "text" | "messageChain">, depth = 0): string {
  return ["  ".repeat(depth) + d.text, ...(d.messageChain ?? []).map((c) => flatten(c, depth + 1))].join("\n");
}

const KIND_NAMES: Record<string, string> = {
  Method: "method",
  Function: "function",
  Constructor: "constructor",
  Field: "property",
  Property: "property",
  Variable: "variable",
  Constant: "constant",
  Class: "class",
  Interface: "interface",
  Module: "module",
  Enum: "enum",
  EnumMember: "enum member",
  Keyword: "keyword",
  TypeParameter: "type parameter",
  File: "path",
  Folder: "path",
  Struct: "type",
};

function completionKind(ts: SyncModule, kind: number | undefined): string {
  if (kind === undefined) return "text";
  const name = (ts.CompletionItemKind as unknown as Record<number, string>)[kind] ?? "";
  return KIND_NAMES[name] ?? name.toLowerCase();
}

/** Offered where a name goes, after the names in scope. */
const KEYWORDS = [
  "async",
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "interface",
  "let",
  "new",
  "null",
  "return",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "type",
  "typeof",
  "undefined",
  "using",
  "var",
  "void",
  "while",
  "yield",
];

/**
 * TypeScript's process must not share the kernel's process group: jupyter_client interrupts a
 * kernel by signalling its whole group (killpg), and SIGINT ended TypeScript's process, so type
 * checking stopped for the rest of the session after the first interrupt (the browser suite
 * caught it). The API spawns the process itself, without options for it, so `spawn` is wrapped,
 * in this worker thread only (its modules are its own), to start children detached (a session
 * of their own). The process still ends with the kernel: its standard input closes.
 */
function keepChildrenOutOfTheProcessGroup(): void {
  const require = createRequire(import.meta.url);
  const childProcess = require("node:child_process") as typeof import("node:child_process");
  const spawn = childProcess.spawn;
  const detached = ((command: string, args?: readonly string[], options?: import("node:child_process").SpawnOptions) =>
    spawn(command, args ?? [], { ...options, detached: true })) as typeof spawn;
  childProcess.spawn = detached;
  // ES module imports of node:child_process (the API's) see the wrapped function too.
  syncBuiltinESMExports();
}

/** The worker's side: boots the session, then answers requests one at a time. */
async function runWorker(port: NonNullable<typeof parentPort>, boot: BootData): Promise<void> {
  let session: Session | null = null;
  let bootError: Error | null = null;
  // Requests that arrive while TypeScript starts wait in the port's queue.
  try {
    keepChildrenOutOfTheProcessGroup();
    const [ts, ast] = await Promise.all([import("typescript/unstable/sync"), import("typescript/unstable/ast")]);
    session = new Session(ts, ast, boot);
    // Warm up: parse the library's and Node's declarations now rather than in the first cell's check.
    session.check('import * as asyncio from "asyncio";\nasyncio.sleep(0);', true);
  } catch (e) {
    bootError = e instanceof Error ? e : new Error(String(e));
  }
  port.on("message", (req: Request) => {
    if (req.op === "close") {
      session?.close();
      session = null;
      port.postMessage({ id: req.id, ok: true, value: null } satisfies Reply);
      port.close();
      return;
    }
    let after: (() => void) | undefined;
    try {
      if (session === null) throw bootError ?? new Error("the checker is closed");
      const a = req.args as { source: string; index: number; report: boolean; code: string; pos: number };
      let value: unknown;
      if (req.op === "check") ({ value, after } = session.check(a.source, a.report));
      else if (req.op === "complete") value = session.complete(a.code, a.pos);
      else value = session.inspect(a.code, a.pos);
      port.postMessage({ id: req.id, ok: true, value } satisfies Reply);
    } catch (e) {
      port.postMessage({ id: req.id, ok: false, message: e instanceof Error ? e.message : String(e) } satisfies Reply);
    }
    // Accepting a cell updates TypeScript's snapshot after the reply, while the cell runs.
    try {
      after?.();
    } catch (e) {
      process.stderr.write(`[asyncio-ts checker] ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
}

if (!isMainThread && parentPort !== null && (workerData as Record<string, unknown> | null)?.[WORKER_MARK] !== undefined) {
  void runWorker(parentPort, (workerData as Record<string, BootData>)[WORKER_MARK] as BootData);
}
