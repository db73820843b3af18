// Setting up the runtimes the benchmarks compare, shared by bench/*/run.mjs: the machine's Node
// and Node 24 (from npm), and the project venv's CPython with uvloop where it installs. A runtime
// that cannot be had is returned with the reason, so its rows print "not installable" and the
// run goes on.
import { spawnSync } from "node:child_process";
import { build, ensureNode24, ensureNodeModules, ensureVenv, nodeVersion } from "../install/ensure.mjs";

/**
 * What a benchmark that compares runtimes does first: node_modules as the lock file says, a fresh
 * dist/, the Node versions in `nodes` (see setUpNodes) and the venv's Python as `wanted` says
 * (see setUpPython). Returns `{ nodes, python, pythonError, uvloopError }`.
 */
export function setUpRuntimes(nodes, wanted, log) {
  ensureNodeModules();
  log("building dist/ (tsc -p tsconfig.build.json)");
  build();
  return { nodes: setUpNodes(nodes), ...setUpPython(wanted, log) };
}

/** The Node runtimes asked for ("20": this Node, "24": Node 24): `{ bin, version, error? }`. */
export function setUpNodes(wanted) {
  const nodes = [];
  if (wanted.includes("20")) nodes.push({ bin: process.execPath, version: process.version });
  if (wanted.includes("24")) {
    try {
      const bin = ensureNode24();
      const version = nodeVersion(bin);
      if (!nodes.some((n) => n.version === version)) nodes.push({ bin, version });
    } catch (e) {
      nodes.push({ bin: null, version: "v24", error: `Node 24: not installable (${e.message})` });
    }
  }
  return nodes;
}

/**
 * The venv's python, with uvloop installed when asked for and any other pip `packages` the rows
 * need (the http benchmark's aiohttp): `{ python, pythonError, uvloopError }` (python is null
 * when neither was asked for or the venv, or one of `packages`, cannot be had).
 * @param {{ python: boolean, uvloop: boolean, packages?: string[] }} wanted
 */
export function setUpPython({ python: wantsPython, uvloop: wantsUvloop, packages = [] }, log) {
  let python = null;
  let pythonError = null;
  let uvloopError = null;
  if (!wantsPython && !wantsUvloop) return { python, pythonError, uvloopError };
  const noVenv = (e) => `CPython: no venv${packages.length ? ` with ${packages.join(", ")}` : ""} (${e.message})`;
  try {
    python = ensureVenv(wantsUvloop ? [...packages, "uvloop"] : packages);
  } catch (e) {
    if (!wantsUvloop) return { python: null, pythonError: noVenv(e), uvloopError };
    uvloopError = "uvloop: not installable";
    log(`${uvloopError} (${e.message}); going on without it`);
    try {
      python = ensureVenv(packages);
    } catch (e2) {
      return { python: null, pythonError: noVenv(e2), uvloopError };
    }
  }
  if (python !== null && uvloopError === null && wantsUvloop) {
    const probe = spawnSync(python, ["-c", "import uvloop"], { encoding: "utf8" });
    if (probe.status !== 0) uvloopError = "uvloop: not installable";
  }
  return { python, pythonError, uvloopError };
}
