// Turns a TypeScript cell into JavaScript that runs as one async function on the kernel's
// persistent global scope, as a REPL needs:
// - top-level `const`/`let`/`var`, classes and functions become globals, so later cells see
//   them and may declare them again;
// - `import` becomes an awaited dynamic import bound to the same globals;
// - `await` works at the top level;
// - the last expression statement is the cell's result.
// Types are stripped with TypeScript's own transpiler; the rewrite keeps every statement on the
// lines it came from, so a stack frame's line maps back through the transpiler's source map.
// Type checking is not done here (issue "TypeScript intelligence").

import type * as TS from "typescript";
import { typescript } from "./typescript.js";

/** A cell ready to run. */
export interface CompiledCell {
  /** JavaScript: an expression whose value is the Promise of the cell's result, boxed as `{ [RESULT_KEY]: value }`. */
  code: string;
  /** Names the cell declares as globals (variables and classes): the kernel defines them first. */
  declared: string[];
  /** The transpiler's source map (JS -> TS), for mapping stack frames back to cell lines. */
  sourceMap: string | undefined;
  /** True when the cell ends with an expression, so it has a result to show. */
  hasResult: boolean;
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

/** The key of the box a cell's result comes back in. */
export const RESULT_KEY = "__asyncioTsResult";

/** The name of the function the kernel provides for `import` in cells. */
export const IMPORT_FUNCTION = "__asyncioTsImport";

/**
 * Compiles a cell.
 * @throws CellSyntaxError when the cell does not parse.
 */
export function compileCell(source: string, fileName = "cell.ts"): CompiledCell {
  const ts = typescript();
  const out = ts.transpileModule(source, {
    fileName,
    // The transpiler's own (syntactic) diagnostics: no separate parse just to find syntax errors.
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
      sourceMap: true,
      inlineSources: false,
      removeComments: false,
      experimentalDecorators: false,
    },
  });
  // Syntax errors are the diagnostics of the file (option diagnostics have none).
  const first = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error && d.file !== undefined);
  if (first !== undefined) {
    const pos = first.file !== undefined && first.start !== undefined ? first.file.getLineAndCharacterOfPosition(first.start) : { line: 0, character: 0 };
    throw new CellSyntaxError(ts.flattenDiagnosticMessageText(first.messageText, "\n"), pos.line + 1, pos.character + 1);
  }
  // The transpiler's "use strict" prologue goes (the wrapper is strict), its line stays, so the
  // source map's line numbers still hold.
  const js = out.outputText.replace(/^"use strict";/, "").replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
  return rewrite(js, out.sourceMapText);
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** `import("x")` anywhere goes through the kernel's importer too (a pass of its own, first). */
function rewriteDynamicImports(js: string): string {
  // Most cells have none: skip the extra parse.
  if (!/\bimport\s*\(/.test(js)) return js;
  const ts = typescript();
  const sf = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      edits.push({ start: node.expression.getStart(sf), end: node.expression.end, text: IMPORT_FUNCTION });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edits.length === 0 ? js : applyEdits(js, edits);
}

function rewrite(transpiled: string, sourceMap: string | undefined): CompiledCell {
  const ts = typescript();
  const js = rewriteDynamicImports(transpiled);
  const sf = ts.createSourceFile("cell.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  const declared = new Set<string>();
  const functions: string[] = [];
  let importCount = 0;
  const statements = sf.statements;
  let hasResult = false;

  statements.forEach((stmt, index) => {
    const isLast = index === statements.length - 1;
    if (ts.isImportDeclaration(stmt)) {
      edits.push({ start: stmt.getStart(sf), end: stmt.end, text: importText(stmt, `__asyncioTsModule${importCount++}`, declared, sf) });
    } else if (ts.isVariableStatement(stmt)) {
      edits.push({ start: stmt.getStart(sf), end: stmt.end, text: variableText(stmt, declared, sf) });
    } else if (ts.isFunctionDeclaration(stmt)) {
      if (stmt.name !== undefined) functions.push(stmt.name.text);
      stripExport(stmt, edits, sf);
    } else if (ts.isClassDeclaration(stmt)) {
      if (stmt.name !== undefined) {
        declared.add(stmt.name.text);
        const start = classStart(stmt, sf);
        edits.push({ start, end: start, text: `${stmt.name.text} = ` });
        edits.push({ start: stmt.end, end: stmt.end, text: ";" });
      }
      stripExport(stmt, edits, sf);
    } else if (ts.isExportDeclaration(stmt)) {
      edits.push({ start: stmt.getStart(sf), end: stmt.end, text: "" });
    } else if (ts.isExportAssignment(stmt)) {
      const expr = stmt.expression.getText(sf);
      edits.push({ start: stmt.getStart(sf), end: stmt.end, text: isLast ? `return { ${RESULT_KEY}: (${expr}) };` : `${expr};` });
      hasResult ||= isLast;
    } else if (isLast && ts.isExpressionStatement(stmt)) {
      hasResult = true;
      // Boxed: an async function returning a Future (a thenable) would resolve to its result.
      edits.push({ start: stmt.getStart(sf), end: stmt.getStart(sf), text: `return { ${RESULT_KEY}: (` });
      const exprEnd = stmt.expression.end;
      edits.push({ start: exprEnd, end: stmt.end, text: ") };" });
    }
  });

  let body = applyEdits(js, edits);
  const prologue = functions.map((f) => `globalThis[${JSON.stringify(f)}] = ${f};`).join(" ");
  // Everything added goes on the first line or after the last, so lines keep their numbers.
  body = `(async function () { "use strict"; ${prologue}${body}\n})()`;
  return { code: body, declared: [...declared], sourceMap, hasResult };
}

/** Keeps the original line breaks of the replaced text, so later lines keep their numbers. */
function padLines(original: string, text: string): string {
  const want = (original.match(/\n/g) ?? []).length;
  const have = (text.match(/\n/g) ?? []).length;
  return want > have ? text + "\n".repeat(want - have) : text;
}

function applyEdits(js: string, edits: Edit[]): string {
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  let out = "";
  let pos = 0;
  for (const e of edits) {
    out += js.slice(pos, e.start) + padLines(js.slice(e.start, e.end), e.text);
    pos = e.end;
  }
  return out + js.slice(pos);
}

function bindingNames(name: TS.BindingName, into: Set<string>): void {
  const ts = typescript();
  if (ts.isIdentifier(name)) into.add(name.text);
  else
    for (const el of name.elements) {
      if (ts.isOmittedExpression(el)) continue;
      bindingNames(el.name, into);
    }
}

function variableText(stmt: TS.VariableStatement, declared: Set<string>, sf: TS.SourceFile): string {
  const ts = typescript();
  const isVar = (stmt.declarationList.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) === 0;
  const parts: string[] = [];
  for (const decl of stmt.declarationList.declarations) {
    bindingNames(decl.name, declared);
    const target = decl.name.getText(sf);
    if (decl.initializer !== undefined) {
      // A destructuring pattern is an assignment pattern once in parentheses.
      parts.push(ts.isIdentifier(decl.name) ? `${target} = ${decl.initializer.getText(sf)}` : `(${target} = ${decl.initializer.getText(sf)})`);
    } else if (!isVar) {
      // `let x;` declares x anew: undefined. `var x;` leaves a value in place, as JavaScript does.
      parts.push(`${target} = undefined`);
    }
  }
  return parts.length === 0 ? "" : `${parts.join(", ")};`;
}

function importText(stmt: TS.ImportDeclaration, temp: string, declared: Set<string>, sf: TS.SourceFile): string {
  const ts = typescript();
  const spec = (stmt.moduleSpecifier as TS.StringLiteral).text;
  const clause = stmt.importClause;
  const load = `await ${IMPORT_FUNCTION}(${JSON.stringify(spec)})`;
  if (clause === undefined) return `${load};`;
  const parts: string[] = [`const ${temp} = ${load};`];
  if (clause.name !== undefined) {
    declared.add(clause.name.text);
    // A CommonJS module's default export is the module itself.
    parts.push(`${clause.name.text} = ("default" in ${temp}) ? ${temp}.default : ${temp};`);
  }
  const bindings = clause.namedBindings;
  if (bindings !== undefined) {
    if (ts.isNamespaceImport(bindings)) {
      declared.add(bindings.name.text);
      parts.push(`${bindings.name.text} = ${temp};`);
    } else {
      for (const el of bindings.elements) {
        if (el.isTypeOnly) continue;
        const local = el.name.text;
        const imported = (el.propertyName ?? el.name).getText(sf);
        declared.add(local);
        // A name that is only a type has no value: it reads as undefined, never an error.
        parts.push(`${local} = ${temp}[${JSON.stringify(imported.replace(/^["']|["']$/g, ""))}];`);
      }
    }
  }
  return parts.join(" ");
}

function classStart(stmt: TS.ClassDeclaration, sf: TS.SourceFile): number {
  const ts = typescript();
  const mods = ts.getModifiers(stmt) ?? [];
  const last = mods.filter((m) => m.kind === ts.SyntaxKind.ExportKeyword || m.kind === ts.SyntaxKind.DefaultKeyword).at(-1);
  if (last === undefined) return stmt.getStart(sf);
  return last.end + sf.text.slice(last.end).search(/\S/);
}

function stripExport(stmt: TS.FunctionDeclaration | TS.ClassDeclaration, edits: Edit[], sf: TS.SourceFile): void {
  const ts = typescript();
  for (const m of ts.getModifiers(stmt) ?? []) {
    if (m.kind === ts.SyntaxKind.ExportKeyword || m.kind === ts.SyntaxKind.DefaultKeyword) edits.push({ start: m.getStart(sf), end: m.end, text: "" });
  }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * For each line of the compiled JavaScript (0-based), the cell line (0-based) it came from,
 * read from the transpiler's source map; `-1` where a line maps to nothing.
 */
export function lineTable(sourceMap: string | undefined): number[] {
  if (sourceMap === undefined) return [];
  const mappings = (JSON.parse(sourceMap) as { mappings: string }).mappings;
  const table: number[] = [];
  let srcLine = 0;
  for (const line of mappings.split(";")) {
    let first = -1;
    for (const seg of line.split(",")) {
      if (seg === "") continue;
      const fields = decodeVlq(seg);
      // Fields: generated column, source index, source line delta, source column, name.
      if (fields.length >= 3) {
        srcLine += fields[2] as number;
        if (first < 0) first = srcLine;
      }
    }
    table.push(first);
  }
  return table;
}

function decodeVlq(seg: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of seg) {
    const digit = BASE64.indexOf(ch);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}
