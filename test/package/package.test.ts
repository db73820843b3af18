// The two packages as users get them: the library (`npm pack`) and the kernel
// (scripts/pack-kernel.mjs), each packed from this checkout's build and installed into a
// temporary project. The library must install alone, offline, with no install script; the
// kernel must run from its own tarball.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Visitor, parseSync } from "oxc-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dealer } from "zeromq";
import type { ConnectionInfo } from "../../src/kernel/connection.js";
import { makeMessage } from "../../src/kernel/messages.js";
import { deserialize, serialize, Signer } from "../../src/kernel/wire.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;

interface Manifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** What `npm pack --json` reports of one tarball. */
interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

let work: string;
let library: Packed;
let kernel: Packed;

beforeAll(() => {
  // dist/ is built once, before any test, by test/global-setup.ts (`npm test` builds first).
  work = mkdtempSync(join(tmpdir(), "asyncio-ts-package-"));
  // --ignore-scripts: pack the build that is there instead of rebuilding it (prepack).
  library = packed(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work], root));
  kernel = packed(
    execFileSync(process.execPath, [join(root, "scripts", "pack-kernel.mjs"), "--json", "--ignore-scripts", "--pack-destination", work], { cwd: root, encoding: "utf8" }),
  );
}, 60_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe("The library package (asyncio-ts)", () => {
  let project: string;
  beforeAll(() => {
    project = newProject("library");
    // The tarball has no dependencies, so nothing may need the network.
    npm(["install", "--offline", "--no-audit", "--no-fund", join(work, library.filename)], project);
  }, 60_000);

  it("holds the library's build and its sources, and nothing of the kernel", () => {
    const paths = library.files.map((f) => f.path);
    expect(paths.filter((p) => !/^(package\.json|README\.md|dist\/asyncio\/|src\/asyncio\/)/.test(p))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(["dist/asyncio/index.js", "dist/asyncio/index.d.ts", "src/asyncio/index.ts"]));
  });

  // The package ships its TypeScript sources and source maps (stack traces and "go to definition"
  // land in readable code): 1.84 MB unpacked with the HTTP layer (issue 8), 2.06 MB and 463 kB
  // packed with the loop monitor and the timeline (issue 13). The bound tells a library from a
  // package that drags the kernel's dependencies along, not kilobytes apart.
  it("stays in the size class of a library: under 2.5 MB unpacked (it pulled ~65 MB of kernel dependencies before)", () => {
    expect(library.unpackedSize).toBeLessThan(2_500_000);
    expect(library.size).toBeLessThan(600_000);
  });

  it("installs alone: node_modules holds asyncio-ts and nothing else, and no install script runs", () => {
    expect(readdirSync(join(project, "node_modules")).filter((n) => n !== ".package-lock.json")).toEqual(["asyncio-ts"]);
    const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
    expect(Object.keys(lock.packages)).toEqual(["", "node_modules/asyncio-ts"]);
    expect(lock.packages["node_modules/asyncio-ts"]?.hasInstallScript).toBeUndefined();
    const installed = readManifest(join(project, "node_modules", "asyncio-ts"));
    expect([installed.dependencies, installed.peerDependencies, installed.optionalDependencies]).toEqual([undefined, undefined, undefined]);
    // npm runs these on install (and node-gyp when a binding.gyp is there).
    expect(Object.keys(installed.scripts ?? {}).filter((s) => ["preinstall", "install", "postinstall", "prepare"].includes(s))).toEqual([]);
    expect(existsSync(join(project, "node_modules", "asyncio-ts", "binding.gyp"))).toBe(false);
  });

  it("runs a program that imports it as 'asyncio-ts'", () => {
    writeFileSync(
      join(project, "main.js"),
      `import * as asyncio from "asyncio-ts";\nconsole.log(await asyncio.run(async () => { await asyncio.sleep(0.01); return "slept"; }));\n`,
    );
    expect(execFileSync(process.execPath, ["main.js"], { cwd: project, encoding: "utf8" }).trim()).toBe("slept");
  });

  it("runs a program that imports its fake clock as 'asyncio-ts/testing': an hour's sleep returns at once, at exactly the hour", () => {
    writeFileSync(
      join(project, "clock.js"),
      [
        `import * as asyncio from "asyncio-ts";`,
        `import { MockClock } from "asyncio-ts/testing";`,
        `const clock = new MockClock();`,
        `const loop = new asyncio.EventLoop({ clock });`,
        `const t0 = performance.now();`,
        `await loop.runUntilComplete(asyncio.sleep(3600));`,
        `loop.close();`,
        `console.log(clock.time(), performance.now() - t0 < 1000);`,
      ].join("\n"),
    );
    expect(execFileSync(process.execPath, ["clock.js"], { cwd: project, encoding: "utf8" }).trim()).toBe("3600 true");
  });

  it("type-checks a strict TypeScript consumer against the installed declarations", () => {
    writeFileSync(
      join(project, "consumer.ts"),
      `import * as asyncio from "asyncio-ts";\nconst fut: asyncio.Future<number> = new asyncio.Future<number>();\nconst done: boolean = fut.done();\nexport const slept: Promise<string> = asyncio.run(async () => { await asyncio.sleep(0.01); return String(done); });\n`,
    );
    const options = {
      strict: true,
      noEmit: true,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      types: ["node"],
      typeRoots: [join(root, "node_modules", "@types")],
    };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: options, files: ["consumer.ts"] }));
    const r = tsc(["-p", project]);
    expect(r).toBe("");
  }, 60_000);

  it("has source maps that resolve to sources shipped in the package", () => {
    const dir = join(project, "node_modules", "asyncio-ts");
    const maps = listFiles(dir).filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    expect(unresolvedSources(maps)).toEqual([]);
  });
});

describe("The kernel package (asyncio-ts-kernel)", () => {
  let unpacked: string;
  beforeAll(() => {
    unpacked = join(work, "kernel-tarball");
    mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", join(work, kernel.filename), "-C", unpacked]);
    unpacked = join(unpacked, "package");
  });

  it("holds the kernel, its command, the kernelspec and the library it runs cells on, at the library's version", () => {
    const manifest = readManifest(unpacked);
    expect(manifest.name).toBe("asyncio-ts-kernel");
    expect(manifest.version).toBe(rootManifest.version);
    expect(manifest.bin).toEqual({ "asyncio-ts-kernel": "./dist/cli/main.js" });
    const paths = kernel.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "dist/cli/main.js",
        "dist/kernel/kernel.js",
        "dist/kernel/zmq-transport.js",
        "dist/kernel/zmq-worker.js",
        "dist/kernel/compile-worker.js",
        "dist/asyncio/index.js",
        "kernel/kernel.json",
        "kernel/logo-32x32.png",
        "kernel/logo-64x64.png",
        "kernel/logo-svg.svg",
      ]),
    );
    expect(paths.filter((p) => !/^(package\.json|README\.md|(dist|src)\/(asyncio|kernel|cli)\/|kernel\/)/.test(p))).toEqual([]);
    expect(unresolvedSources(listFiles(unpacked).filter((f) => f.endsWith(".map")))).toEqual([]);
  });

  it("declares exactly the packages its code imports, at the ranges this repository builds and tests with", () => {
    const imported = new Set<string>();
    for (const file of listFiles(join(unpacked, "dist")).filter((f) => f.endsWith(".js"))) {
      for (const fileName of importedModules(file)) {
        if (fileName.startsWith(".") || isBuiltin(fileName)) continue;
        imported.add(fileName.startsWith("@") ? fileName.split("/").slice(0, 2).join("/") : (fileName.split("/")[0] as string));
      }
    }
    // Node's types are loaded by the checker by path (src/kernel/checker.ts), named by no import.
    const loadedByPath = ["@types/node"];
    const { dependencies } = readManifest(unpacked);
    expect(Object.keys(dependencies ?? {}).sort()).toEqual([...imported, ...loadedByPath].sort());
    for (const [name, range] of Object.entries(dependencies ?? {})) expect(range, name).toBe(rootManifest.devDependencies?.[name]);
  });

  it("installed from its tarball alone, registers itself and runs a cell that imports asyncio", async () => {
    const project = newProject("kernel");
    // oxc, TypeScript 7 (the checker) and ZeroMQ come from npm's cache when `npm ci` put them there.
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", join(work, kernel.filename)], project);
    expect(
      readdirSync(join(project, "node_modules"))
        .filter((n) => !n.startsWith("."))
        .sort(),
    ).toEqual(expect.arrayContaining(["asyncio-ts-kernel", "oxc-parser", "oxc-transform", "typescript", "zeromq"]));

    const prefix = join(project, "prefix");
    execFileSync(join(project, "node_modules", ".bin", "asyncio-ts-kernel"), ["install", "--prefix", prefix], { encoding: "utf8" });
    const spec = JSON.parse(readFileSync(join(prefix, "share", "jupyter", "kernels", "asyncio-ts", "kernel.json"), "utf8")) as { argv: string[] };
    expect(spec.argv.slice(1)).toEqual([join(project, "node_modules", "asyncio-ts-kernel", "dist", "cli", "main.js"), "kernel", "-f", "{connection_file}"]);

    // As Jupyter starts it, over IPC endpoints (no ports to pick).
    const info: ConnectionInfo = {
      transport: "ipc",
      ip: join(project, "kernel"),
      shell_port: 1,
      iopub_port: 2,
      stdin_port: 3,
      control_port: 4,
      hb_port: 5,
      key: "secret",
      signature_scheme: "hmac-sha256",
    };
    const connectionFile = join(project, "connection.json");
    writeFileSync(connectionFile, JSON.stringify(info));
    const [command, ...args] = spec.argv.map((a) => (a === "{connection_file}" ? connectionFile : a)) as [string, ...string[]];
    const child = spawn(command, args, { cwd: project, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const shell = new Dealer({ receiveTimeout: 30_000 });
    try {
      shell.connect(`ipc://${info.ip}-${info.shell_port}`);
      const signer = new Signer(info.key, info.signature_scheme);
      const request = makeMessage(
        "execute_request",
        {
          code: `import * as asyncio from "asyncio";\nconst slept = await asyncio.sleep(0.01, "slept");`,
          silent: false,
          store_history: true,
          user_expressions: { r: "slept" },
          allow_stdin: false,
          stop_on_error: true,
        },
        null,
        "package-test",
      );
      await shell.send(serialize(request, signer));
      const reply = deserialize(await shell.receive(), signer);
      expect(reply.header.msg_type, stderr).toBe("execute_reply");
      expect(reply.content, stderr).toMatchObject({ status: "ok", user_expressions: { r: { status: "ok", data: { "text/plain": expect.stringContaining("slept") } } } });
    } finally {
      shell.close();
      await stop(child);
    }
  }, 120_000);
});

/** Ends the kernel as Jupyter does (SIGTERM), and makes sure it is gone before its folder is. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function packed(json: string): Packed {
  return (JSON.parse(json) as Packed[])[0] as Packed;
}

function newProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `${name}-consumer`, private: true, type: "module" }));
  return dir;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Each source a map names that is neither a file next to it nor embedded, as "map -> source". */
function unresolvedSources(maps: string[]): string[] {
  const missing: string[] = [];
  for (const map of maps) {
    const m = JSON.parse(readFileSync(map, "utf8")) as { sourceRoot?: string; sources: string[]; sourcesContent?: (string | null)[] };
    m.sources.forEach((source, i) => {
      if (typeof m.sourcesContent?.[i] === "string") return;
      if (!existsSync(resolve(dirname(map), m.sourceRoot ?? "", source))) missing.push(`${relative(work, map)} -> ${source}`);
    });
  }
  return missing;
}

/** What a module imports: import/export-from, import() and require() of string literals (comments skipped: it is parsed). */
function importedModules(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const parsed = parseSync(file, source, { lang: "js", sourceType: "module" });
  const found = parsed.module.staticImports.map((i) => i.moduleRequest.value);
  for (const e of parsed.module.staticExports) for (const entry of e.entries) if (entry.moduleRequest !== null) found.push(entry.moduleRequest.value);
  const literal = (node: { type: string; value?: unknown } | undefined): void => {
    if (node?.type === "Literal" && typeof node.value === "string") found.push(node.value);
  };
  new Visitor({
    ImportExpression: (node) => literal(node.source),
    CallExpression: (node) => {
      if (node.callee.type === "Identifier" && node.callee.name === "require") literal(node.arguments[0]);
    },
  }).visit(parsed.program);
  return found;
}

/** Runs the repository's tsc; returns its diagnostics ("" when there are none). */
function tsc(args: string[]): string {
  try {
    return execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), ...args], { encoding: "utf8" });
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}
