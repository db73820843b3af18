// Turns a TypeScript cell into JavaScript that runs as one async function on the kernel's
// persistent global scope, as a REPL needs, and says whether a console's input is complete.
// - top-level `const`/`let`/`var` and imports become assignments to globals, so later cells see
//   them and may declare them again;
// - functions, classes, enums and namespaces stay declarations in the cell and are published
//   as globals (functions before the cell's first line runs, as hoisting would; the others once
//   declared);
// - `import` becomes an awaited call of the kernel's importer, `import()` too;
// - `await` works at the top level; `using` declarations are disposed when the cell ends;
// - the last expression statement is the cell's result.
// The cell is parsed with oxc-parser, rewritten in place (every edit keeps the line breaks it
// replaces, so the rewritten TypeScript has the cell's lines), then stripped of types by
// oxc-transform, whose source map leads a stack frame back to the cell's line. No type checking
// here (checker.ts).

import { Visitor, parseSync, type BindingPattern, type Program, type Statement } from "oxc-parser";
import { transformSync, type HelperMode } from "oxc-transform";

/** An error as oxc-parser and oxc-transform report it (each package declares its own type). */
interface OxcProblem {
  severity: string;
  message: string;
  labels: readonly { start: number }[];
}

/** How a cell's JavaScript maps back to the cell: a source map (v3 `mappings`) and the wrapper's offset. */
export interface CellSourceMap {
  /** The `mappings` of the transform's source map, from the unwrapped JavaScript to the cell. */
  mappings: string;
  /** Columns the wrapper adds before the JavaScript's first line (its other lines are as mapped). */
  firstLineOffset: number;
  /** The wrapper's last line (1-based), which calls the cell's function: no line of the cell. */
  wrapperLine: number;
}

/** A cell ready to run. */
export interface CompiledCell {
  /** JavaScript: an expression whose value is the Promise of the cell's result, boxed as `{ [RESULT_KEY]: value }`. */
  code: string;
  /** Names the cell declares at its top level: the kernel defines them as globals first. */
  declared: string[];
  /** For mapping stack frames back to cell lines. */
  sourceMap: CellSourceMap;
  /** True when the cell ends with an expression, so it has a result to show. */
  hasResult: boolean;
  /** The runtime helpers the code calls as `babelHelpers.name` (`usingCtx` for `using`), see HELPERS_GLOBAL. */
  helpers: string[];
}

/** A syntax error in a cell, with its line and column (1-based) in the cell. */
export class CellSyntaxError extends SyntaxError {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`${message} (${line}:${column})`);
    this.name = "SyntaxError";
    this.line = line;
    this.column = column;
  }
}

/** The key of the box a cell's result comes back in (and the cell's local that holds it). */
export const RESULT_KEY = "__asyncioTsResult";

/** The name of the function the kernel provides for `import` in cells. */
export const IMPORT_FUNCTION = "__asyncioTsImport";

/** The global the kernel puts oxc's runtime helpers on; a cell that needs one sees it as `babelHelpers`. */
export const HELPERS_GLOBAL = "__asyncioTsHelpers";

/**
 * The global the kernel puts the interrupt flag on (interrupts.ts): `{ flag, raise }`. Every loop
 * body and function body of a cell starts with `if (flag[0]) raise();`, so that an interrupt
 * reaches synchronous code on the main thread wherever it runs, after an `await` too.
 */
export const INTERRUPT_GLOBAL = "__asyncioTsInterrupt";

/** The check at the top of a loop or function body (the wrapper binds both names)... */
const INTERRUPT_CHECK = "if (__asyncioTsFlag[0]) __asyncioTsRaise();";
/** ...and before an arrow function's expression body. */
const INTERRUPT_CHECK_EXPRESSION = "__asyncioTsFlag[0] && __asyncioTsRaise()";

/**
 * What the cell is lowered to: what Node 20, the oldest Node the kernel runs on, can run.
 * (`using` declarations are rewritten for it; TC39 decorators are not, see `decoratorIn`.)
 */
const TARGET = "node20";

/** Options of {@link compileCell}. */
export interface CompileOptions {
  /** Whether loop and function bodies check the interrupt flag (default true; the benchmark of their cost turns them off). */
  interruptChecks?: boolean;
  /** Whether every `await` and `yield*` first notes its line for the loop monitor (default true). */
  waitSites?: boolean;
}

/**
 * Compiles a cell.
 * @throws CellSyntaxError when the cell does not parse, or uses what cannot run (decorators).
 */
export function compileCell(source: string, fileName = "cell.ts", options: CompileOptions = {}): CompiledCell {
  // Deeper than this, oxc-parser overflows the native stack and the kernel process dies (no try
  // can catch it): such a cell is refused before it is parsed. Brackets only, without `<`: type
  // arguments crash only at ~20,000 levels, and `<` comparisons never close.
  const nesting = bracketDepth(source, false).max;
  if (nesting > MAX_COMPILE_DEPTH) {
    throw new CellSyntaxError(
      `This cell nests brackets ${nesting} levels deep; the kernel compiles at most ${MAX_COMPILE_DEPTH} levels (deeper would overflow the parser's stack)`,
      1,
      1,
    );
  }
  const parsed = parseSync(fileName, source, { lang: "ts", sourceType: "module" });
  const parseError = parsed.errors.find((e) => e.severity === "Error");
  if (parseError !== undefined) throw syntaxError(parseError, source);
  const program = parsed.program;
  const decorator = source.includes("@") ? decoratorIn(program) : -1;
  if (decorator >= 0) {
    const { line, column } = position(source, decorator);
    throw new CellSyntaxError("Decorators cannot run in a cell yet: oxc-transform leaves them as they are, and Node does not run them", line, column);
  }
  const rewrite = rewriteCell(source, program, parsed.module.dynamicImports);
  if (options.interruptChecks !== false) interruptChecks(program, rewrite.edits);
  if (options.waitSites !== false) waitSites(program, source, rewrite.edits);
  const rewritten = applyEdits(source, rewrite.edits);
  const out = transformSync(fileName, rewritten, {
    lang: "ts",
    sourceType: "module",
    target: TARGET,
    sourcemap: true,
    // Helpers as `babelHelpers.x` (bound by the wrapper below), not `import`s of a runtime package.
    helpers: { mode: "External" as HelperMode },
    // `import { T }` of a type is kept as a value import (it reads as undefined), as tsc's
    // verbatimModuleSyntax does; the rewrite has turned imports into calls anyway.
    typescript: { onlyRemoveTypeImports: true },
  });
  const transformError = out.errors.find((e) => e.severity === "Error");
  if (transformError !== undefined) throw syntaxError(transformError, rewritten);
  const helpers = Object.keys(out.helpersUsed);
  // Everything added goes on the first line or after the last, so lines keep their numbers.
  // Without the kernel's flag (a test running compiled code by itself) the checks read a 0.
  const interrupts = `const __asyncioTsI = globalThis.${INTERRUPT_GLOBAL} ?? { flag: [0] }, __asyncioTsFlag = __asyncioTsI.flag, __asyncioTsRaise = __asyncioTsI.raise, __asyncioTsAt = (l) => __asyncioTsI.site?.(${JSON.stringify(fileName)}, l);`;
  const prefix = `(async function () { "use strict"; let ${RESULT_KEY}; ${interrupts}${helpers.length > 0 ? ` const babelHelpers = ${HELPERS_GLOBAL};` : ""} ${rewrite.prologue}`;
  const body = prefix + out.code;
  const code = `${body}\nreturn { ${RESULT_KEY} }; })()`;
  let wrapperLine = 2;
  for (let i = body.indexOf("\n"); i >= 0; i = body.indexOf("\n", i + 1)) wrapperLine++;
  return {
    code,
    declared: rewrite.declared,
    sourceMap: { mappings: out.map?.mappings ?? "", firstLineOffset: prefix.length, wrapperLine },
    hasResult: rewrite.hasResult,
    helpers,
  };
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

interface Rewritten {
  /** The edits that make the cell TypeScript that assigns globals instead of declaring locals (the same lines). */
  edits: Edit[];
  /** What publishes the cell's functions, before anything else runs. */
  prologue: string;
  declared: string[];
  hasResult: boolean;
}

/** Statements with no run-time effect: they neither run nor end a cell with a result. */
function isTypeOnly(stmt: Statement): boolean {
  switch (stmt.type) {
    case "TSInterfaceDeclaration":
    case "TSTypeAliasDeclaration":
    case "TSDeclareFunction":
    case "TSNamespaceExportDeclaration":
      return true;
    case "ImportDeclaration":
      return stmt.importKind === "type";
    case "ExportAllDeclaration":
      return stmt.exportKind === "type";
    case "ExportNamedDeclaration":
      return stmt.exportKind === "type" || (stmt.declaration !== null && isTypeOnly(stmt.declaration as Statement));
    default:
      return "declare" in stmt && stmt.declare === true;
  }
}

function rewriteCell(source: string, program: Program, dynamicImports: readonly { start: number }[]): Rewritten {
  const edits: Edit[] = [];
  const declared = new Set<string>();
  const functions: string[] = [];
  let imports = 0;
  const body = program.body as Statement[];
  const last = body.findLast((s) => !isTypeOnly(s));
  let hasResult = false;

  /** `expr` becomes the cell's result: `__asyncioTsResult = (expr)`. */
  const result = (start: number, end: number): void => {
    hasResult = true;
    edits.push({ start, end: start, text: `${RESULT_KEY} = (` }, { start: end, end, text: ")" });
  };
  /** Published once declared: later cells see it; in this cell it stays a declaration. */
  const publishAfter = (name: string, end: number): void => {
    declared.add(name);
    edits.push({ start: end, end, text: `;globalThis.${name} = ${name};` });
  };

  for (const stmt of body) {
    const isLast = stmt === last;
    let node: Statement = stmt;
    // Type-only imports and exports go here, not in the transform: it would leave `export {}`.
    if ((stmt.type === "ImportDeclaration" || stmt.type === "ExportNamedDeclaration" || stmt.type === "ExportAllDeclaration") && isTypeOnly(stmt)) {
      edits.push({ start: stmt.start, end: stmt.end, text: "" });
      continue;
    }
    if (stmt.type === "ExportNamedDeclaration" || stmt.type === "ExportAllDeclaration") {
      // Cells are not modules: `export` is accepted and ignored; re-exports mean nothing.
      if (stmt.type === "ExportAllDeclaration" || stmt.declaration === null) {
        edits.push({ start: stmt.start, end: stmt.end, text: "" });
        continue;
      }
      edits.push({ start: stmt.start, end: stmt.declaration.start, text: "" });
      node = stmt.declaration as Statement;
    } else if (stmt.type === "ExportDefaultDeclaration" || stmt.type === "TSExportAssignment") {
      const decl = stmt.type === "ExportDefaultDeclaration" ? stmt.declaration : stmt.expression;
      edits.push({ start: stmt.start, end: decl.start, text: "" });
      if ((decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") && decl.id !== null) {
        node = decl as Statement;
      } else if (decl.type === "TSInterfaceDeclaration") {
        continue;
      } else {
        // An expression (or an anonymous function or class): parenthesized, so that `{` or
        // `function` do not start a statement; `;` so that `(` does not call the line before.
        if (isLast) result(decl.start, decl.end);
        else edits.push({ start: decl.start, end: decl.start, text: ";(" }, { start: decl.end, end: decl.end, text: ")" });
        continue;
      }
    }
    if (isTypeOnly(node)) continue;
    switch (node.type) {
      case "ImportDeclaration":
        edits.push({ start: stmt.start, end: stmt.end, text: importText(node, `__asyncioTsModule${imports++}`, declared) });
        break;
      case "TSImportEqualsDeclaration":
        // `import x = require("m")`: the module itself, as a default import of CommonJS gives it.
        if (node.importKind !== "type" && node.moduleReference.type === "TSExternalModuleReference") {
          const temp = `__asyncioTsModule${imports++}`;
          declared.add(node.id.name);
          const load = `const ${temp} = await ${IMPORT_FUNCTION}(${JSON.stringify(node.moduleReference.expression.value)});`;
          edits.push({ start: stmt.start, end: stmt.end, text: `${load} ${node.id.name} = ("default" in ${temp}) ? ${temp}.default : ${temp};` });
        }
        break;
      case "VariableDeclaration": {
        // `using` and `await using` stay local: their resources are disposed when the cell ends.
        if (node.kind === "using" || node.kind === "await using") break;
        const first = node.declarations[0];
        if (first === undefined) break;
        edits.push({ start: node.start, end: first.start, text: "" });
        for (const d of node.declarations) {
          bindingNames(d.id, declared);
          const id = d.id;
          if (id.type === "Identifier") {
            // `x: T` and `x!: T` become `x`.
            if (id.typeAnnotation != null || d.definite === true) edits.push({ start: id.start, end: id.end, text: id.name });
            // `let x;` declares x anew: undefined. `var x;` leaves a value in place, as JavaScript does.
            if (d.init === null && node.kind !== "var") edits.push({ start: id.end, end: id.end, text: " = undefined" });
          } else if (d.init !== null) {
            // A destructuring pattern is an assignment pattern once in parentheses.
            const annotation = "typeAnnotation" in id ? id.typeAnnotation : null;
            if (annotation != null) edits.push({ start: annotation.start, end: id.end, text: "" });
            edits.push({ start: id.start, end: id.start, text: ";(" }, { start: d.end, end: d.end, text: ")" });
          }
        }
        break;
      }
      case "FunctionDeclaration":
        if (node.id !== null && node.body !== null) {
          declared.add(node.id.name);
          functions.push(node.id.name);
        }
        break;
      case "ClassDeclaration":
      case "TSEnumDeclaration":
        if (node.id !== null) publishAfter(node.id.name, stmt.end);
        break;
      case "TSModuleDeclaration": {
        // `namespace A.B {}` declares A.
        let id = node.id;
        while (id.type === "TSQualifiedName") id = id.left as typeof id;
        if (id.type === "Identifier") publishAfter(id.name, stmt.end);
        break;
      }
      case "ExpressionStatement":
        if (isLast) result(node.expression.start, node.expression.end);
        break;
      default:
        break;
    }
  }
  for (const d of dynamicImports) edits.push({ start: d.start, end: d.start + "import".length, text: IMPORT_FUNCTION });
  return {
    edits,
    prologue: functions.map((f) => `globalThis.${f} = ${f};`).join(" "),
    declared: [...declared],
    hasResult,
  };
}

/**
 * Puts the interrupt check at the top of every loop body and function body (after its
 * directives): a loop or a recursion that never awaits can still be interrupted. A body that
 * is one statement becomes a block, an arrow's expression body a comma expression. Insertions
 * only: they keep every line where it was.
 */
function interruptChecks(program: Program, edits: Edit[]): void {
  const insert = (at: number, text: string): void => void edits.push({ start: at, end: at, text });
  const loopBody = (body: Statement): void => {
    if (body.type === "BlockStatement") insert(body.start + 1, INTERRUPT_CHECK);
    else {
      insert(body.start, `{ ${INTERRUPT_CHECK} `);
      insert(body.end, " }");
    }
  };
  const functionBody = (body: FunctionBodyLike | null): void => {
    if (body === null) return;
    let at = body.start + 1;
    for (const s of body.body) {
      if (s.type !== "ExpressionStatement" || !("directive" in s) || typeof s.directive !== "string") break;
      at = s.end;
    }
    insert(at, INTERRUPT_CHECK);
  };
  const handlers = {
    WhileStatement: (n: { body: Statement }) => loopBody(n.body),
    DoWhileStatement: (n: { body: Statement }) => loopBody(n.body),
    ForStatement: (n: { body: Statement }) => loopBody(n.body),
    ForInStatement: (n: { body: Statement }) => loopBody(n.body),
    ForOfStatement: (n: { body: Statement }) => loopBody(n.body),
    FunctionDeclaration: (n: { body: FunctionBodyLike | null }) => functionBody(n.body),
    FunctionExpression: (n: { body: FunctionBodyLike | null }) => functionBody(n.body),
    ArrowFunctionExpression: (n: { body: FunctionBodyLike | { type: string; start: number; end: number } }) => {
      if (n.body.type === "BlockStatement") functionBody(n.body as FunctionBodyLike);
      else {
        insert(n.body.start, `(${INTERRUPT_CHECK_EXPRESSION}, `);
        insert(n.body.end, ")");
      }
    },
  };
  // Not oxc's Visitor: it recurses, and a cell nested a few thousand deep overflows it. This
  // walk costs the same (a 3,000-function cell compiles in ~52 ms either way).
  walkIteratively(program, handlers as unknown as Record<string, (node: unknown) => void>);
}

/**
 * Puts a note of its line before what every `await` and `yield*` waits for:
 * `await (__asyncioTsAt(7), x)`. The note runs before the awaited expression, so a call that
 * waits deeper in the cell notes its own line after its caller's: the last note is the
 * innermost wait, the line the loop monitor shows. Insertions only, as the interrupt checks.
 */
function waitSites(program: Program, source: string, edits: Edit[]): void {
  const lineStarts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const note = (n: { start: number }, argument: { start: number; end: number } | null): void => {
    if (argument === null) return;
    edits.push({ start: argument.start, end: argument.start, text: `(__asyncioTsAt(${lineOf(n.start)}), ` }, { start: argument.end, end: argument.end, text: ")" });
  };
  walkIteratively(program, {
    AwaitExpression: (n) => note(n as { start: number }, (n as { argument: { start: number; end: number } }).argument),
    YieldExpression: (n) => {
      const y = n as { start: number; delegate: boolean; argument: { start: number; end: number } | null };
      if (y.delegate) note(y, y.argument);
    },
  });
}

/** The body of a function as the checks see it. */
interface FunctionBodyLike {
  type: string;
  start: number;
  end: number;
  body: readonly Statement[];
}

/** Calls `handlers[node.type]` for every node under `root`, in no particular order, with a stack of its own. */
function walkIteratively(root: object, handlers: Record<string, (node: unknown) => void>): void {
  const stack: unknown[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (const child of node) stack.push(child);
      continue;
    }
    const type = (node as { type?: unknown }).type;
    if (typeof type === "string") handlers[type]?.(node);
    for (const key in node) {
      const child = (node as Record<string, unknown>)[key];
      if (child !== null && typeof child === "object") stack.push(child);
    }
  }
}

/** Keeps the original line breaks of the replaced text, so later lines keep their numbers. */
function padLines(original: string, text: string): string {
  let want = 0;
  for (let i = original.indexOf("\n"); i >= 0; i = original.indexOf("\n", i + 1)) want++;
  return want === 0 ? text : text + "\n".repeat(want);
}

function applyEdits(source: string, edits: Edit[]): string {
  if (edits.length === 0) return source;
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  let out = "";
  let pos = 0;
  for (const e of edits) {
    out += source.slice(pos, e.start) + padLines(source.slice(e.start, e.end), e.text);
    pos = e.end;
  }
  return out + source.slice(pos);
}

function bindingNames(pattern: BindingPattern | { type: "RestElement"; argument: BindingPattern }, into: Set<string>): void {
  switch (pattern.type) {
    case "Identifier":
      into.add(pattern.name);
      break;
    case "ObjectPattern":
      for (const p of pattern.properties) bindingNames(p.type === "Property" ? p.value : p, into);
      break;
    case "ArrayPattern":
      for (const el of pattern.elements) if (el !== null) bindingNames(el, into);
      break;
    case "AssignmentPattern":
      bindingNames(pattern.left, into);
      break;
    case "RestElement":
      bindingNames(pattern.argument, into);
      break;
  }
}

function importText(stmt: Extract<Statement, { type: "ImportDeclaration" }>, temp: string, declared: Set<string>): string {
  const load = `await ${IMPORT_FUNCTION}(${JSON.stringify(stmt.source.value)})`;
  if (stmt.specifiers.length === 0) return `${load};`;
  const parts: string[] = [`const ${temp} = ${load};`];
  for (const s of stmt.specifiers) {
    const local = s.local.name;
    if (s.type === "ImportSpecifier" && s.importKind === "type") continue;
    declared.add(local);
    if (s.type === "ImportDefaultSpecifier") {
      // A CommonJS module's default export is the module itself.
      parts.push(`${local} = ("default" in ${temp}) ? ${temp}.default : ${temp};`);
    } else if (s.type === "ImportNamespaceSpecifier") {
      parts.push(`${local} = ${temp};`);
    } else {
      const imported = s.imported.type === "Identifier" ? s.imported.name : String(s.imported.value);
      // A name that is only a type has no value: it reads as undefined, never an error.
      parts.push(`${local} = ${temp}[${JSON.stringify(imported)}];`);
    }
  }
  return parts.join(" ");
}

/** Where the cell's first decorator is, or -1. */
function decoratorIn(program: Program): number {
  let at = -1;
  new Visitor({
    Decorator(node) {
      if (at < 0 || node.start < at) at = node.start;
    },
  }).visit(program);
  return at;
}

/** The 1-based line and column of a UTF-16 offset. */
function position(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf("\n"); i >= 0 && i < offset; i = source.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function syntaxError(e: OxcProblem, source: string): CellSyntaxError {
  const { line, column } = position(source, e.labels[0]?.start ?? 0);
  return new CellSyntaxError(e.message, line, column);
}

// -- is_complete ----------------------------------------------------------------------------------

/** `is_complete` for a console: complete, incomplete (with an indent), invalid, or unknown. */
export interface CompleteStatus {
  status: "complete" | "incomplete" | "invalid" | "unknown";
  indent?: string;
}

/**
 * Whether `code` is complete, incomplete (more lines can complete it) or invalid (no more lines
 * can). The rule, on oxc-parser's errors:
 * - no error: complete;
 * - a string literal or a regular expression left open: invalid (neither may span lines);
 * - a block comment or a template literal left open: incomplete (both may);
 * - every error at the end of the input (`function f() {`, `const x =`, `1 +`): incomplete;
 * - otherwise the input goes on with a probe line (`_`): if its first error moves or goes away,
 *   the error was the input stopping early (`const f = (a) =>` is reported before the arrow):
 *   incomplete; if it stays (`}`, `const = 1;`), invalid.
 */
export function isComplete(code: string): CompleteStatus {
  const end = code.trimEnd().length;
  if (end === 0) return { status: "complete" };
  // oxc-parser recurses on the native stack: 10,000 nested brackets end the kernel process (a
  // segmentation fault no try can catch). Deeper than the parser safely goes, the answer comes
  // from counting brackets, without parsing: brackets left open need more lines; otherwise the
  // kernel cannot tell, and says so.
  const depth = bracketDepth(code);
  if (depth.max > MAX_PARSE_DEPTH) return depth.open > 0 ? incomplete(code) : { status: "unknown" };
  const errors = parseErrors(code);
  const first = errors[0];
  if (first === undefined) return { status: "complete" };
  const at = first.labels[0]?.start ?? 0;
  if (/^Unterminated (string|regular expression)/.test(first.message)) {
    return code[at] === "`" ? incomplete(code) : { status: "invalid" };
  }
  if (first.message.startsWith("Unterminated multiline comment")) return incomplete(code);
  if (errors.every((e) => (e.labels[0]?.start ?? 0) >= end)) return incomplete(code);
  const probed = parseErrors(`${code}\n_`)[0];
  return probed === undefined || (probed.labels[0]?.start ?? 0) !== at ? incomplete(code) : { status: "invalid" };
}

/**
 * How deep `code` parses safely: measured (issue 11, item 4) on the main thread, 5,000 nested `[`,
 * `(`, `{` or `A<` parse, 10,000 `[` or 20,000 `A<` crash; compiler.test.ts parses each kind at this depth.
 */
export const MAX_PARSE_DEPTH = 2000;

/**
 * How deep a cell's `(`, `[` and `{` may nest for `compileCell`. Measured with every form the
 * fuzzer found (`x[`, `f(`, `({a:`, `` `${ ``): 3,000 parse on the main thread, `x[` 3,500 and
 * `({a:` 2,000 (4,000 brackets) crashed on the compile worker before its stack was raised;
 * 2,500 parse on both (compiler.test.ts).
 */
export const MAX_COMPILE_DEPTH = 2500;

/**
 * The deepest and the final bracket nesting of `code`, counted iteratively; `<` and `>` count as
 * brackets (type arguments nest too) unless `angles` is false. Brackets in strings and comments, and `<` comparisons, count
 * too: an overestimate only sends more code to the fallback; a closing one never takes the count below zero.
 */
export function bracketDepth(code: string, angles = true): { max: number; open: number } {
  let open = 0;
  let max = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b || (angles && c === 0x3c)) {
      if (++open > max) max = open;
    } else if ((c === 0x29 || c === 0x5d || c === 0x7d || (angles && c === 0x3e && code.charCodeAt(i - 1) !== 0x3d)) && open > 0) {
      // (The `>` of an arrow `=>` closes nothing: `(x => (x => ...` nests.)
      open--;
    }
  }
  return { max, open };
}

function parseErrors(code: string): OxcProblem[] {
  return parseSync("input.ts", code, { lang: "ts", sourceType: "module" }).errors.filter((e) => e.severity === "Error");
}

/** The next line's indent: the last line's, one level deeper after an opening bracket. */
function incomplete(code: string): CompleteStatus {
  const lastLine = code.split("\n").at(-1) ?? "";
  const indent = (/^\s*/.exec(lastLine)?.[0] ?? "") + (/[{([]\s*$/.test(code.trimEnd()) ? "  " : "");
  return { status: "incomplete", indent };
}
