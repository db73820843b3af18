// The public types as a user's project sees them (issue 7, items 13-15): the fixtures in
// test/types/fixtures are compiled against the built package (dist/*.d.ts, which
// test/global-setup.ts keeps up to date) as a dependency named "asyncio-ts", with the project's
// TypeScript under strict settings. `expectType` lines must hold exactly, and every
// `// @ts-expect-error` line must fail to compile (tsc reports one that does not).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

/** A consumer's settings: strict, Node's ES modules, ES2022 output, only @types/node for globals. */
const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitReturns: true,
    verbatimModuleSyntax: true,
    types: ["node"],
    outDir: "out",
    rootDir: ".",
  },
  include: ["*.ts"],
};

let project = "";
/** What tsc said about the fixtures ("" when they compiled); they are compiled once, into out/. */
let diagnostics = "";

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "asyncio-ts-types-"));
  mkdirSync(join(project, "node_modules"));
  symlinkSync(root, join(project, "node_modules", "asyncio-ts"), "dir");
  symlinkSync(join(root, "node_modules", "@types"), join(project, "node_modules", "@types"), "dir");
  writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module", dependencies: { "asyncio-ts": "*" } }));
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG));
  cpSync(join(root, "test", "types", "fixtures"), project, { recursive: true });
  diagnostics = compile();
});

afterAll(() => {
  if (project !== "") rmSync(project, { recursive: true, force: true });
});

/** Runs tsc on the project; returns its diagnostics ("" when it compiled). */
function compile(...flags: string[]): string {
  try {
    execFileSync(process.execPath, [tsc, "-p", project, "--pretty", "false", ...flags], { cwd: project, encoding: "utf8" });
    return "";
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

describe("The package's types, in a strict project that depends on it", () => {
  /** tsc's diagnostics about one fixture file. */
  const about = (file: string): string[] => diagnostics.split("\n").filter((line) => line.startsWith(`${file}(`));

  it("transports, streams and servers type getExtraInfo() and getsockname() by the socket's kind; isCancelledError is exported (extra-info.ts)", () => {
    expect(about("extra-info.ts")).toEqual([]);
  });

  it("gather, wait and asCompleted take awaitables of mixed types; returnExceptions keeps the tuple (tasks.ts)", () => {
    expect(about("tasks.ts")).toEqual([]);
  });

  it("internals are not published: `_` members (Task._mustCancel, _futWaiter, _step, protected hooks) are not on the types; public names of the three entry points resolve (internals.ts)", () => {
    expect(about("internals.ts")).toEqual([]);
  });

  it("Future.getLoop(), getEventLoop() and friends return AbstractEventLoop, with createFuture, createTask, stop and networking; asyncio-ts/testing's MockClock is a loop clock (loop.ts)", () => {
    expect(about("loop.ts")).toEqual([]);
  });

  it("every fixture compiles, with nothing else to say", () => {
    expect(diagnostics).toBe("");
  });

  it("a wrong type is caught: the expectType helper and @ts-expect-error really check", () => {
    writeFileSync(
      join(project, "wrong.ts"),
      [
        `import * as asyncio from "asyncio-ts";`,
        `import { expectType } from "./expect-type.js";`,
        `export async function f(loop: asyncio.EventLoop) {`,
        `  const [t] = await loop.createConnection(asyncio.Protocol, "h", 1);`,
        `  expectType<string>()(t.getExtraInfo("peername"));`,
        `  // @ts-expect-error`,
        `  const ok: asyncio.Address = t.getExtraInfo("peername");`,
        `}`,
      ].join("\n"),
    );
    try {
      const out = compile("--noEmit");
      expect(out).toMatch(/wrong\.ts\(5,\d+\): error TS\d+/);
      expect(out).toMatch(/wrong\.ts\(6,\d+\): error TS2578: Unused '@ts-expect-error' directive/);
      expect(out.trim().split("\n")).toHaveLength(2);
    } finally {
      rmSync(join(project, "wrong.ts"));
    }
  });

  it("known TypeScript 7.0.2 difference: `for await` over asCompleted types the loop variable as the result, though the loop gives the Future", () => {
    // TypeScript 6 types it as the async iterator's value (Future<T>), as the spec runs it (the
    // values of an async iterator are not awaited; TypeScript PR #24474); 7.0.2 awaits it. When
    // this fails, TypeScript agrees with the run time again: check `f` in fixtures/tasks.ts.
    writeFileSync(
      join(project, "for-await.ts"),
      [
        `import * as asyncio from "asyncio-ts";`,
        `export async function f() {`,
        `  for await (const f of asyncio.asCompleted([asyncio.sleep(0.1, "a")])) {`,
        `    const isFuture: asyncio.Future<string> = f;`,
        `  }`,
        `}`,
      ].join("\n"),
    );
    try {
      expect(compile("--noEmit")).toMatch(/^for-await\.ts\(4,11\): error TS2322: Type 'string' is not assignable to type 'Future<string>'\.$/m);
    } finally {
      rmSync(join(project, "for-await.ts"));
    }
  });

  it("await using, lowered by TypeScript for ES2022, releases locks on this Node", () => {
    expect(diagnostics).toBe("");
    const out = execFileSync(process.execPath, [join(project, "out", "await-using.js")], { cwd: project, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual([
      "a in",
      "a out",
      "b in",
      "b out",
      "s1 in",
      "c1 in",
      "s1 out",
      "c1 out",
      "caught in the block, locked=false",
      "generator in, locked=true",
      "after generator, locked=false",
    ]);
  });
});
