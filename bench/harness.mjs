// What the side-by-side benchmarks share: medians, ratios and plain-text tables, the header
// lines that say where a run was made, the server processes (started fresh, told to stop,
// killed on the way out whatever happens), and a process's CPU time read from /proc. Each
// benchmark (bench/*/run.mjs) keeps its own rows, workloads and targets.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import { root } from "../install/ensure.mjs";

// -- The command line -----------------------------------------------------------------------------

/**
 * Parses the command line of a benchmark that runs workloads over rows (loop, echo): workload
 * names (none: all), `--quick`, `--runs=N`, `--rows=A,B` (of `families`), `--node=20,24`,
 * `--json=FILE`, `--help`. `defaultRuns(quick)` is the runs per cell when `--runs` is not given.
 * @throws Error naming the unknown option, workload or row, with `usage`.
 */
export function parseWorkloadArgs(argv, { workloads, families, usage, defaultRuns }) {
  const opts = { workloads: [], quick: false, runs: null, rows: families, nodes: ["20", "24"], json: null, help: false };
  for (const a of argv) {
    if (a === "--quick") opts.quick = true;
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (a.startsWith("--runs=")) opts.runs = Number(a.slice(7));
    else if (a.startsWith("--rows=")) opts.rows = a.slice(7).split(",");
    else if (a.startsWith("--node=")) opts.nodes = a.slice(7).split(",");
    else if (a.startsWith("--json=")) opts.json = a.slice(7);
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}\n${usage}`);
    else opts.workloads.push(a);
  }
  for (const w of opts.workloads) {
    if (!workloads.some((x) => x.name === w)) throw new Error(`unknown workload "${w}"; workloads: ${workloads.map((x) => x.name).join(", ")}`);
  }
  for (const r of opts.rows) if (!families.includes(r)) throw new Error(`unknown row "${r}"; rows: ${families.join(", ")}`);
  if (opts.runs !== null && !(Number.isInteger(opts.runs) && opts.runs >= 1)) throw new Error("--runs wants a whole number >= 1");
  if (opts.runs === null) opts.runs = defaultRuns(opts.quick);
  return opts;
}

/** A benchmark's progress log, on stderr (stdout is the report): `[bench NAME] message`. */
export function progressLog(name) {
  return (msg) => process.stderr.write(`[bench ${name}] ${msg}\n`);
}

// -- Numbers and tables ---------------------------------------------------------------------------

/** The median of a non-empty list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A ratio as `1.23x` (`12.3x` from 10 on), `-` when it is not a number. */
export function fmtRatio(x) {
  if (!Number.isFinite(x)) return "-";
  return x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`;
}

/** A share of one core (or any fraction) as `97%`. */
export const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : "-");

/** Microseconds: one decimal below 100. */
export const us = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : "-");

/** A rate per second as `81.5 k/s` or `1.23 M/s`. */
export const fmtRate = (x) => (!Number.isFinite(x) ? "-" : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(1)} k/s`);

/** A result row's name: its label, and the runtime when the row runs on several. */
export function rowName(s) {
  return `${s.row.label}${s.row.runtime ? `, ${s.row.runtime}` : ""}`;
}

/** The first result of a row family with numbers, on the given Node version when one is given. */
export function findRef(results, family, nodeVersion) {
  return results.find((s) => s.row.family === family && s.error === undefined && (nodeVersion === undefined || s.row.nodeVersion === nodeVersion));
}

/**
 * A plain-text table: a header line, a rule, one line per row.
 * @param {string[]} headers
 * @param {string[][]} rows cells already formatted
 * @param {("l" | "r")[]} align per column
 */
export function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => (align[i] === "r" ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

// -- Where the run was made -----------------------------------------------------------------------

/** The date, the machine and its load at start: the first lines of every benchmark's header. */
export function machineLines() {
  const cpus = os.cpus();
  return [
    `date:     ${new Date().toISOString()}`,
    `machine:  ${cpus[0]?.model ?? "unknown cpu"}, ${os.availableParallelism?.() ?? cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()} ${os.arch()}`,
    `load:     ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} (1/5/15 min averages at start; other work on the machine skews results)`,
  ];
}

/** How a list of Node runtimes is shown: `v20.20.2 (the machine's node), v24.21.0 (/path)`. */
export function nodesText(nodes) {
  return nodes.map((n) => (n.error ? n.error : `${n.version} (${n.bin === process.execPath ? "the machine's node" : n.bin})`)).join(", ");
}

/** `library:` line: the commit dist/ was built from, and whether src/ has uncommitted changes; null outside git. */
export function libraryLine() {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" });
  if (head.status !== 0) return null;
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" }).stdout.trim() !== "";
  return `library:  asyncio-ts at ${head.stdout.trim()}${dirty ? " + uncommitted changes in src/" : ""} (dist/ built from src/ just now)`;
}

/** `python:` line: the venv's Python and the versions of the given modules (`uvloop 0.23.0`, `uvloop not installed`). */
export function pythonLine(python, modules = ["uvloop"]) {
  const probe = ["import platform, importlib", "out = [platform.python_implementation() + ' ' + platform.python_version()]"];
  for (const m of modules) probe.push(`try:\n  out.append('${m} ' + importlib.import_module('${m}').__version__)\nexcept Exception:\n  out.append('${m} not installed')`);
  probe.push("print(' | '.join(out))");
  const r = spawnSync(python, ["-c", probe.join("\n")], { encoding: "utf8" });
  return `python:   ${(r.stdout || r.stderr).trim()} (${python})`;
}

// -- CPU time from /proc --------------------------------------------------------------------------

/** The kernel's clock ticks per second (what /proc/<pid>/stat counts CPU time in). */
export function clockTicks() {
  const clk = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  return clk.status === 0 && Number(clk.stdout.trim()) > 0 ? Number(clk.stdout.trim()) : 100;
}

/** The fields of /proc/<pid>/stat after the command name (which is in parentheses and may hold spaces). */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/**
 * A process's user + system CPU time in seconds, all its threads (V8's GC and compiler threads
 * included); null without /proc or once the process is gone. With `tree`, its live descendants'
 * too (a supervisor and its workers): they are found by their parent pid in /proc.
 * @param {number} pid
 * @param {number} clkTck from clockTicks()
 * @param {{ tree?: boolean }} [options]
 */
export function cpuSeconds(pid, clkTck, options = {}) {
  // utime and stime are the 14th and 15th fields of the line; the 4th is the parent pid.
  const cpuOf = (f) => (Number(f[11]) + Number(f[12])) / clkTck;
  let total;
  try {
    total = cpuOf(statFields(pid));
  } catch {
    return null;
  }
  if (!options.tree) return total;
  const childrenOf = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const f = statFields(name);
      const ppid = Number(f[1]);
      childrenOf.set(ppid, [...(childrenOf.get(ppid) ?? []), { pid: Number(name), cpu: cpuOf(f) }]);
    } catch {
      // it ended while /proc was read
    }
  }
  const pending = [pid];
  while (pending.length > 0) {
    for (const child of childrenOf.get(pending.pop()) ?? []) {
      total += child.cpu;
      pending.push(child.pid);
    }
  }
  return total;
}

// -- Server processes -----------------------------------------------------------------------------

/** Every child still alive, killed on the way out whatever happens. */
const children = new Set();

/** Kills (SIGKILL) every child started through `track` that is still alive. */
export function killAll() {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  children.clear();
}

/** Registers a child process so that `killAll` (and the end of `withCleanup`) kills it. */
export function track(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Waits for the child to exit, at most `ms`; kills it (SIGKILL) after that. Resolves to its exit code. */
export function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** The last `n` lines of a process's output, on one line. */
export function tail(text, n = 3) {
  return text.trim().split("\n").slice(-n).join(" | ");
}

/**
 * Starts a server process and resolves once it printed its first line, a JSON object
 * (`{"port": .., "runtime": ..}`), to `{ child, info, port, runtime, stderr() }`. Servers run
 * with asyncio's debug mode off. Rejects if the process fails, exits or stays silent for 20 s.
 * @param {string} cmd
 * @param {string[]} args
 */
export function startServer(cmd, args) {
  const child = track(spawn(cmd, args, { cwd: root, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ASYNCIO_DEBUG: "", PYTHONASYNCIODEBUG: "" } }));
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => {
    if (err.length < 100_000) err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail("did not print its port within 20 s"), 20_000);
    function fail(why) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`server ${why}: ${tail(err)}`));
    }
    child.once("error", (e) => fail(e.message));
    child.once("exit", (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`));
    child.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl === -1) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      try {
        const info = JSON.parse(out.slice(0, nl));
        resolve({ child, info, port: info.port, runtime: info.runtime, stderr: () => err });
      } catch {
        fail(`printed ${JSON.stringify(out.slice(0, 200))}`);
      }
    });
  });
}

/** Stops a server: stdin closed and SIGTERM; SIGKILL if it is still there 3 s later. */
export async function stopServer(server) {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin.end();
  child.kill("SIGTERM");
  await waitExit(child, 3000);
}

/** Runs `body`, killing every tracked child when it ends, fails, or the run is interrupted. */
export async function withCleanup(body) {
  const onSignal = () => {
    killAll();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("exit", killAll);
  try {
    return await body();
  } finally {
    killAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
