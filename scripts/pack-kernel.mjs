// `npm run pack:kernel`: packs the Jupyter kernel as its own package, asyncio-ts-kernel, from
// this repository's build, as `npm pack` packs the library. Arguments go to `npm pack`
// (`--pack-destination DIR`, `--json`, `--dry-run`); `--ignore-scripts` also skips the build,
// as it skips the library's prepack build.
//
// Why a second package: the library (package.json, `files`: dist/asyncio) needs nothing at run
// time, while the kernel needs oxc (parsing and transforming cells, native addons, with the one
// runtime helper cells may call) and ZeroMQ (Jupyter's wire, a native addon). Its manifest is
// made here from package.json, so the version, engines and the dependencies' ranges have one
// source. It carries the library's build (dist/asyncio)
// instead of depending on asyncio-ts: the kernel imports the library by relative path, so one
// tarball installs and runs alone, with no publish order between the two packages.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, root } from "../install/ensure.mjs";

/**
 * What only the kernel needs at run time: oxc compiles cells (and lends `using` its helper),
 * TypeScript 7 checks them against Node's types (@types/node, loaded by path: no import names
 * it), ZeroMQ carries Jupyter's messages.
 */
const KERNEL_DEPENDENCIES = ["@oxc-project/runtime", "oxc-parser", "oxc-transform", "typescript", "@types/node", "zeromq"];

const args = process.argv.slice(2);
if (!args.includes("--ignore-scripts")) build();

const lib = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
// The kernel runs where oxc's native parser runs, a narrower range than the library's.
const oxcEngines = JSON.parse(readFileSync(join(root, "node_modules", "oxc-parser", "package.json"), "utf8")).engines;
const manifest = {
  name: "asyncio-ts-kernel",
  version: lib.version,
  description: "A Jupyter kernel for TypeScript that keeps one asyncio-ts event loop running across cells (with the asyncio-ts library it runs them on).",
  type: "module",
  license: lib.license,
  engines: oxcEngines,
  // A command, not a module: nothing to import but the manifest.
  exports: { "./package.json": "./package.json" },
  bin: { "asyncio-ts-kernel": "./dist/cli/main.js" },
  // The sources ship so that the source maps in dist/ resolve.
  files: ["dist/asyncio", "dist/kernel", "dist/cli", "src/asyncio", "src/kernel", "src/cli", "kernel", "README.md"],
  dependencies: Object.fromEntries(KERNEL_DEPENDENCIES.map((name) => [name, lib.devDependencies[name]])),
};

const stage = mkdtempSync(join(tmpdir(), "asyncio-ts-kernel-pack-"));
try {
  // The package's folder: this checkout's build, sources and kernelspec under the kernel's
  // manifest; npm picks the files from them by the manifest's `files`.
  for (const path of ["dist", "src", "kernel", "README.md"]) cpSync(join(root, path), join(stage, path), { recursive: true });
  writeFileSync(join(stage, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
  const destination = args.includes("--pack-destination") ? [] : ["--pack-destination", process.cwd()];
  const r = spawnSync("npm", ["pack", stage, ...destination, ...args], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(stage, { recursive: true, force: true });
}
