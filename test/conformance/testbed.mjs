// `npm run testbed`: runs runtimed's kernel-testbed (the Jupyter protocol conformance suite,
// a Rust program named jupyter-kernel-test) against the asyncio-ts kernel built from this
// checkout, and against ipykernel from the project's venv for comparison, and prints the score
// test by test. Not part of `npm test`.
//
// The testbed is not on crates.io and its source is not fetched or built here: give the path of
// a jupyter-kernel-test binary with --bin or ASYNCIO_TS_TESTBED, or put it at
// .cache/kernel-testbed/jupyter-kernel-test. Its snippets (the code it runs) are chosen by
// language_info.name: for "typescript" they are Deno's (`Deno.jupyter.broadcast`, `prompt`).
//
//   npm run testbed [-- [--bin PATH] [--json FILE] [--timeout MS] [--tier N]... [KERNEL...]]
//
// KERNEL is asyncio-ts, asyncio-ts-message (interrupts as messages) or ipykernel; the default
// is asyncio-ts and ipykernel. The exit code is 0 when every kernel was tested, whatever its
// score, and 1 when the testbed could not run.
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, cacheDir, ensureNodeModules, ensureVenv, jupyterPrefixEnv, root } from "../../install/ensure.mjs";

const KERNELS = ["asyncio-ts", "asyncio-ts-message", "ipykernel"];
const DEFAULT_BIN = join(cacheDir, "kernel-testbed", "jupyter-kernel-test");
const STATUS = { pass: "pass", partial_pass: "partial", unsupported: "skip", fail: "FAIL", timeout: "TIMEOUT" };

class UsageError extends Error {}

/** The options from the command line. */
export function parseArgs(argv) {
  const opts = { bin: process.env.ASYNCIO_TS_TESTBED || DEFAULT_BIN, json: null, timeout: null, tiers: [], kernels: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--bin") opts.bin = value();
    else if (a === "--json") opts.json = value();
    else if (a === "--timeout") opts.timeout = value();
    else if (a === "--tier") opts.tiers.push(value());
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (KERNELS.includes(a)) opts.kernels.push(a);
    else throw new UsageError(`unknown argument ${JSON.stringify(a)} (kernels: ${KERNELS.join(", ")})`);
  }
  if (opts.kernels.length === 0) opts.kernels = ["asyncio-ts", "ipykernel"];
  return opts;
}

/** Why the testbed binary at `bin` cannot be run, or null. */
export function missingBinary(bin) {
  try {
    accessSync(bin, constants.X_OK);
    return null;
  } catch {
    return (
      `no kernel-testbed binary at ${bin}.\n` +
      "The testbed (runtimed's kernel-testbed, a Rust program named jupyter-kernel-test) is not on crates.io, " +
      "and this script neither fetches nor builds it: build it yourself, then pass its path with --bin " +
      `or ASYNCIO_TS_TESTBED, or copy it to ${DEFAULT_BIN}.`
    );
  }
}

/** Installs the kernelspecs the run asks for into `prefix`. */
function installKernels(prefix, kernels) {
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${r.status}`);
  };
  run(process.execPath, [join(root, "dist", "cli", "main.js"), "install", "--prefix", prefix]);
  if (kernels.includes("asyncio-ts-message")) {
    const dir = join(prefix, "share", "jupyter", "kernels");
    const spec = JSON.parse(readFileSync(join(dir, "asyncio-ts", "kernel.json"), "utf8"));
    run("mkdir", ["-p", join(dir, "asyncio-ts-message")]);
    writeFileSync(join(dir, "asyncio-ts-message", "kernel.json"), JSON.stringify({ ...spec, interrupt_mode: "message" }));
  }
  if (kernels.includes("ipykernel")) {
    const python = ensureVenv(["ipykernel"]);
    run(python, ["-m", "ipykernel", "install", "--prefix", prefix, "--name", "ipykernel"]);
  }
}

/** Runs the testbed on one kernel; its report (the testbed's JSON). */
function runTestbed(opts, kernel, env) {
  const args = [kernel, "--format", "json"];
  if (opts.timeout !== null) args.push("--timeout", opts.timeout);
  for (const t of opts.tiers) args.push("--tier", t);
  const r = spawnSync(opts.bin, args, { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
  if (r.error) throw new Error(`${opts.bin}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`the testbed exited with ${r.status ?? r.signal} on ${kernel}:\n${r.stderr}`);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`the testbed printed no JSON report for ${kernel}:\n${r.stdout}\n${r.stderr}`);
  }
}

/** A report as text: one line per test, then the score as the testbed counts it (a partial pass counts as passed). */
export function formatReport(report) {
  const lines = [`${report.kernel_name} (${report.implementation}, ${report.language}, protocol ${report.protocol_version})`];
  if (report.startup_error) lines.push(`  the kernel did not start: ${report.startup_error}`);
  let tier = null;
  // By tier, in the testbed's order within each (it runs shutdown_reply, a tier 1 test, last).
  const byTier = [...report.results].sort((x, y) => x.category.localeCompare(y.category));
  for (const t of byTier) {
    if (t.category !== tier) {
      tier = t.category;
      lines.push(`  ${tier}`);
    }
    const r = t.result;
    const why = r.reason ?? r.notes ?? "";
    lines.push(`    ${(STATUS[r.status] ?? r.status).padEnd(8)}${t.name}${why ? `  (${why})` : ""}`);
  }
  lines.push(`  Total: ${passed(report)}/${report.results.length}`);
  return lines.join("\n");
}

function passed(report) {
  return report.results.filter((t) => t.result.status === "pass" || t.result.status === "partial_pass").length;
}

export async function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`testbed: ${e.message}`);
    return 2;
  }
  if (opts.help) {
    console.log(
      readFileSync(new URL(import.meta.url), "utf8")
        .split("\n")
        .filter((l) => l.startsWith("//"))
        .map((l) => l.slice(3))
        .join("\n"),
    );
    return 0;
  }
  const missing = missingBinary(opts.bin);
  if (missing !== null) {
    console.error(`testbed: ${missing}`);
    return 1;
  }
  ensureNodeModules();
  build();
  const prefix = mkdtempSync(join(tmpdir(), "asyncio-ts-testbed-"));
  try {
    installKernels(prefix, opts.kernels);
    const env = { ...process.env, ...jupyterPrefixEnv(prefix) };
    const reports = [];
    for (const kernel of opts.kernels) {
      process.stderr.write(`[testbed] ${kernel}\n`);
      const report = runTestbed(opts, kernel, env);
      reports.push(report);
      console.log(formatReport(report) + "\n");
    }
    console.log(reports.map((r) => `${r.kernel_name}: ${passed(r)}/${r.results.length}`).join(", "));
    if (opts.json !== null) writeFileSync(opts.json, JSON.stringify(reports, null, 2) + "\n");
    return 0;
  } catch (e) {
    console.error(`testbed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}
