// `npm run bench -- echo`: the echo-server benchmark. The class's echo server written with
// asyncio-ts protocols and streams, the same in CPython asyncio (default loop and uvloop), and
// a naive node:net echo, side by side on loopback. Each server runs in its own fresh process;
// one load generator (client.mjs, on the machine's Node) drives every row, and measures the
// server's CPU time from /proc. Two workloads: 50 connections doing request/response with
// 64-byte lines (messages/s), and one connection streaming 1 GiB (MB/s). See bench/README.md.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../../install/ensure.mjs";
import {
  clockTicks,
  findRef,
  fmtRate as fmtPerSecond,
  fmtRatio,
  libraryLine,
  machineLines,
  median,
  nodesText,
  parseWorkloadArgs,
  pct,
  progressLog,
  pythonLine,
  rowName,
  startServer as startProcess,
  stopServer,
  table,
  tail,
  track,
  us,
  waitExit,
  withCleanup,
} from "../harness.mjs";
import { setUpRuntimes } from "../runtimes.mjs";

const here = join(root, "bench", "echo");

const MiB = 2 ** 20;

/** The workloads, in the order they are run and printed. */
export const WORKLOADS = [
  {
    name: "rr",
    title: "request/response: 50 connections, each sends a 64-byte line (63 bytes + \\n) and waits for its echo before the next",
    unit: "messages/s",
    conns: 50,
    seconds: 10,
    warmup: 1,
    quickSeconds: 2,
    quickWarmup: 0.5,
  },
  {
    name: "stream",
    title: "streaming: one connection writes 1 GiB as fast as it can while reading the echo concurrently",
    unit: "MB/s",
    bytes: 1024 * MiB,
    warmupBytes: 32 * MiB,
    quickBytes: 64 * MiB,
    quickWarmupBytes: 8 * MiB,
  },
];

/**
 * The rows. `mode` tells a streams server how to echo in each workload: line by line
 * (readline) for request/response, in 64 KiB chunks (read(65536)) for the stream.
 */
const FAMILIES = ["ts-protocol", "ts-streams", "ts-streams-gen", "node", "cpython-protocol", "cpython-streams", "uvloop-protocol", "uvloop-streams"];
const TS_FAMILIES = ["ts-protocol", "ts-streams", "ts-streams-gen"];

const USAGE = `usage: npm run bench -- echo [workload ...] [options]
workloads: ${WORKLOADS.map((w) => w.name).join(", ")} (default: both)
  rr       50 connections, closed-loop request/response with 64-byte lines, 10 s (messages/s)
  stream   one connection streaming 1 GiB through the echo (MB/s)
options:
  --quick          rr for 2 s, stream of 64 MiB: a smoke test, not a result
  --runs=N         runs per cell (default 1; with more, the median is shown)
  --rows=A,B       only these rows: ${FAMILIES.join(", ")}
  --node=20,24     which Node versions run the Node servers (default both: the machine's node and Node 24)
  --json=FILE      also write every measurement to FILE
  --help`;

function parseArgs(argv) {
  return parseWorkloadArgs(argv, { workloads: WORKLOADS, families: FAMILIES, usage: USAGE, defaultRuns: () => 1 });
}

const log = progressLog("echo");

// -- Setting up the runtimes ----------------------------------------------------------------------

function setUp(opts) {
  const { nodes, python, pythonError, uvloopError } = setUpRuntimes(
    opts.nodes,
    { python: opts.rows.some((r) => r.startsWith("cpython") || r.startsWith("uvloop")), uvloop: opts.rows.some((r) => r.startsWith("uvloop")) },
    log,
  );

  const rows = [];
  for (const node of nodes) {
    const v = `Node ${node.version}`;
    const nodeRow = (family, label, script, args, streams = false) => {
      if (!opts.rows.includes(family)) return;
      rows.push({ family, label, runtime: v, nodeVersion: node.version, cmd: node.bin, args: [join(here, script), ...args], streams, error: node.error ?? null });
    };
    nodeRow("ts-protocol", "asyncio-ts protocols", "server-asyncio-ts.mjs", ["--api=protocol"]);
    nodeRow("ts-streams", "asyncio-ts streams (async/await)", "server-asyncio-ts.mjs", ["--api=streams"], true);
    nodeRow("ts-streams-gen", "asyncio-ts streams (generators, yield*)", "server-asyncio-ts.mjs", ["--api=streams-gen"], true);
    nodeRow("node", "node:net, naive", "server-node.mjs", []);
  }
  const pyRow = (family, label, args, streams = false) => {
    if (!opts.rows.includes(family)) return;
    const error = pythonError ?? (family.startsWith("uvloop") ? uvloopError : null);
    rows.push({ family, label, runtime: "", cmd: python, args: [join(here, "server.py"), ...args], streams, error });
  };
  pyRow("cpython-protocol", "CPython asyncio protocols", ["--api=protocol"]);
  pyRow("cpython-streams", "CPython asyncio streams", ["--api=streams"], true);
  pyRow("uvloop-protocol", "uvloop protocols", ["--api=protocol", "--uvloop"]);
  pyRow("uvloop-streams", "uvloop streams", ["--api=streams", "--uvloop"], true);

  return { rows, nodes, python, clkTck: clockTicks() };
}

function machineInfo(setup) {
  const lines = [
    ...machineLines(),
    `servers:  Node ${nodesText(setup.nodes)}`,
    `client:   Node ${process.version} (the machine's node), one process for every row; loopback 127.0.0.1`,
  ];
  const library = libraryLine();
  if (library !== null) lines.push(library);
  if (setup.python !== null) lines.push(pythonLine(setup.python));
  lines.push(`cpu time: the server's user+system time from /proc/<pid>/stat (${setup.clkTck} ticks/s), read by the client at the start and end of its measured window`);
  return lines.join("\n");
}

// -- Processes ------------------------------------------------------------------------------------

/** Starts a server for the workload's mode; resolves once it printed its port (see harness.mjs). */
function startServer(row, mode) {
  return startProcess(row.cmd, [...row.args, ...(row.streams ? [`--mode=${mode}`] : []), "--max-seconds=600"]);
}

/** Runs the client against a server; resolves to its JSON result. */
async function runClient(workload, server, setup, quick) {
  const args = [join(here, "client.mjs"), workload.name, String(server.port), String(server.child.pid), `--clk-tck=${setup.clkTck}`];
  let limit;
  if (workload.name === "rr") {
    const seconds = quick ? workload.quickSeconds : workload.seconds;
    const warmup = quick ? workload.quickWarmup : workload.warmup;
    limit = warmup + seconds + 30;
    args.push(`--conns=${workload.conns}`, `--seconds=${seconds}`, `--warmup=${warmup}`, "--size=64", `--limit=${limit}`);
  } else {
    const bytes = quick ? workload.quickBytes : workload.bytes;
    const warmupBytes = quick ? workload.quickWarmupBytes : workload.warmupBytes;
    limit = 30 + (bytes + warmupBytes) / 5e6; // gives up below 5 MB/s
    args.push(`--bytes=${bytes}`, `--warmup-bytes=${warmupBytes}`, `--limit=${limit}`);
  }
  const child = track(spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] }));
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => {
    if (err.length < 100_000) err += d;
  });
  const code = await waitExit(child, (limit + 15) * 1000);
  const last = out.trim().split("\n").pop() ?? "";
  try {
    const r = JSON.parse(last);
    return r.ok ? r : { error: `client: ${r.error}` };
  } catch {
    return { error: `client exited with code ${code}: ${tail(err)}` };
  }
}

/** One measurement: a fresh server process, the client against it, the server stopped. */
async function runOnce(row, workload, setup, quick) {
  let server;
  try {
    server = await startServer(row, workload.name === "rr" ? "lines" : "chunks");
  } catch (e) {
    return { error: e.message };
  }
  try {
    const r = await runClient(workload, server, setup, quick);
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      return { error: `server died during the run (${server.child.signalCode ?? `code ${server.child.exitCode}`}): ${tail(server.stderr())}` };
    }
    return { ...r, runtime: server.runtime };
  } finally {
    await stopServer(server);
  }
}

// -- Results --------------------------------------------------------------------------------------

/** The per-run numbers: throughput in the workload's unit, server CPU per message or per MB. */
function derive(workload, r) {
  const perUnit = workload.name === "rr" ? r.ops : r.bytes / 1e6;
  return {
    rate: workload.name === "rr" ? r.ops / r.seconds : r.bytes / 1e6 / r.seconds,
    serverCpuPer: r.serverCpu === null ? NaN : (r.serverCpu / perUnit) * 1e6,
    serverLoad: r.serverCpu === null ? NaN : r.serverCpu / r.seconds,
    clientLoad: r.clientCpu / r.seconds,
    clientCpuPer: (r.clientCpu / perUnit) * 1e6,
  };
}

function summarize(workload, row, runs) {
  const ok = runs.filter((r) => r.error === undefined);
  const failed = runs.find((r) => r.error !== undefined);
  if (ok.length === 0) return { row, error: failed?.error ?? "no run" };
  const d = ok.map((r) => derive(workload, r));
  const pick = (k) => median(d.map((x) => x[k]));
  const rates = d.map((x) => x.rate);
  const s = {
    row,
    runs: ok,
    rate: pick("rate"),
    rateMin: Math.min(...rates),
    rateMax: Math.max(...rates),
    serverCpuPer: pick("serverCpuPer"),
    serverLoad: pick("serverLoad"),
    clientLoad: pick("clientLoad"),
    clientCpuPer: pick("clientCpuPer"),
  };
  if (failed) s.note = `${runs.length - ok.length} run(s) failed: ${failed.error}`;
  return s;
}

function fmtRate(workload, x) {
  if (workload.name === "stream") return Number.isFinite(x) ? `${x.toFixed(0)} MB/s` : "-";
  return fmtPerSecond(x);
}

function errorCell(s) {
  if (s.error.length <= 40) return s.error;
  s.note = s.note ?? s.error;
  return "failed (see the note below)";
}

function printWorkload(workload, results, opts, method) {
  const py = findRef(results, "cpython-protocol");
  const perLabel = workload.name === "rr" ? "server CPU µs/msg" : "server CPU µs/MB";
  let starred = false;
  const body = results.map((s) => {
    if (s.error !== undefined) return [rowName(s), errorCell(s), "", "", "", "", "", "", "", ""];
    const node = s.row.nodeVersion !== undefined && s.row.family !== "node" ? findRef(results, "node", s.row.nodeVersion) : undefined;
    const pyRef = py && s.row.family !== "cpython-protocol" ? py : undefined;
    const star = notServerBound(s) ? "*" : "";
    if (star) starred = true;
    return [
      rowName(s),
      `${fmtRate(workload, s.rate)}${star}`,
      s.runs.length > 1 ? `${fmtRate(workload, s.rateMin)} .. ${fmtRate(workload, s.rateMax)}` : "",
      us(s.serverCpuPer),
      pct(s.serverLoad),
      pct(s.clientLoad),
      node ? fmtRatio(s.rate / node.rate) : "",
      pyRef ? fmtRatio(s.rate / pyRef.rate) : "",
      node ? fmtRatio(node.serverCpuPer / s.serverCpuPer) : "",
      pyRef ? fmtRatio(pyRef.serverCpuPer / s.serverCpuPer) : "",
    ];
  });
  const amount =
    workload.name === "rr"
      ? `${workload.conns} connections, ${opts.quick ? workload.quickSeconds : workload.seconds} s measured after ${opts.quick ? workload.quickWarmup : workload.warmup} s of warm-up on the same connections`
      : `${((opts.quick ? workload.quickBytes : workload.bytes) / MiB).toLocaleString("en-US")} MiB measured after ${(opts.quick ? workload.quickWarmupBytes : workload.warmupBytes) / MiB} MiB of warm-up on the same connection; MB = 10^6 bytes`;
  console.log(`\n## ${workload.name}: ${workload.title}`);
  console.log(`${amount}; ${workload.unit}, higher is better; ${method}`);
  console.log("server CPU / client CPU: each process's CPU time over the measured window, as a share of one core (100% = saturated)");
  console.log(`ratios: throughput, and (CPU) server CPU per ${workload.name === "rr" ? "message" : "MB"} of the reference over this row's (above 1x: this row is cheaper)\n`);
  const headers = [
    "server",
    workload.unit,
    ...(opts.runs > 1 ? ["min .. max"] : []),
    perLabel,
    "server CPU",
    "client CPU",
    "vs node:net",
    "vs CPython prot.",
    "CPU vs node:net",
    "CPU vs CPython prot.",
  ];
  const rows = body.map((r) => (opts.runs > 1 ? r : [...r.slice(0, 2), ...r.slice(3)]));
  console.log(
    table(
      headers,
      rows,
      headers.map((_, i) => (i === 0 ? "l" : "r")),
    ),
  );
  console.log("(node:net: the naive node:net echo on the same Node version; CPython prot.: CPython asyncio protocols)");
  if (starred)
    console.log(
      `* server below ${NOT_BOUND * 100}% of a core: not server-bound (the machine's other load or the client held it back); compare its CPU per ${workload.name === "rr" ? "message" : "MB"}`,
    );
  for (const s of results) if (s.note) console.log(`note: ${rowName(s)}: ${s.note}`);
}

/** Below this share of a core, a single-threaded server was not what limited the row. */
const NOT_BOUND = 0.9;

function notServerBound(s) {
  return Number.isFinite(s.serverLoad) && s.serverLoad < NOT_BOUND;
}

function printTargets(all) {
  const tsRows = [];
  for (const res of Object.values(all)) for (const s of res) if (TS_FAMILIES.includes(s.row.family) && !tsRows.includes(s.row)) tsRows.push(s.row);
  if (tsRows.length === 0) return;
  const cell = (ok, text) => `${text} ${ok ? "met" : "MISSED"}`;
  const forRow = (res, row) => res?.find((s) => s.row === row && s.error === undefined);
  const lines = [];
  for (const name of ["rr", "stream"]) {
    const res = all[name];
    if (!res) continue;
    lines.push([
      `${name}: >= 1.0x node:net (protocols), >= 0.8x (streams)`,
      ...tsRows.map((row) => {
        const s = forRow(res, row);
        const node = s && findRef(res, "node", row.nodeVersion);
        if (!s || !node) return "n/a";
        const want = row.family === "ts-protocol" ? 1.0 : 0.8;
        return `${cell(s.rate / node.rate >= want, fmtRatio(s.rate / node.rate))}${notServerBound(s) || notServerBound(node) ? "*" : ""} (CPU ${fmtRatio(node.serverCpuPer / s.serverCpuPer)})`;
      }),
    ]);
  }
  for (const name of ["rr", "stream"]) {
    const res = all[name];
    if (!res) continue;
    const py = findRef(res, "cpython-protocol");
    lines.push([
      `${name}: protocols > CPython asyncio protocols`,
      ...tsRows.map((row) => {
        const s = forRow(res, row);
        if (!s || !py) return "n/a";
        // The target is for the protocol server; the streams rows show the ratio for reference.
        const cpu = `(CPU ${fmtRatio(py.serverCpuPer / s.serverCpuPer)})`;
        const star = notServerBound(s) || notServerBound(py) ? "*" : "";
        return row.family === "ts-protocol" ? `${cell(s.rate > py.rate, fmtRatio(s.rate / py.rate))}${star} ${cpu}` : `[${fmtRatio(s.rate / py.rate)}${star} ${cpu}]`;
      }),
    ]);
  }
  console.log("\n## Targets (from the issue)\n");
  const short = (row) => `${row.label.replace("asyncio-ts ", "").replace(" (generators, yield*)", " (yield*)").replace(" (async/await)", "")}, ${row.runtime.replace("Node ", "")}`;
  console.log(table(["target", ...tsRows.map(short)], lines, ["l", ...tsRows.map(() => /** @type {const} */ ("r"))]));
  console.log("met/MISSED: on throughput, as the issue sets them. (CPU x): the same ratio of server CPU per message or per MB,");
  console.log("which the machine's other load disturbs less. [..]: streams rows against the protocol target, for reference.");
  console.log(`*: this row or its reference was not server-bound (server below ${NOT_BOUND * 100}% of a core)`);
}

// -- Main -----------------------------------------------------------------------------------------

export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  await withCleanup(async () => {
    const setup = setUp(opts);
    const workloads = opts.workloads.length > 0 ? WORKLOADS.filter((w) => opts.workloads.includes(w.name)) : WORKLOADS;
    const method = opts.runs === 1 ? "1 run per row (a fresh server process)" : `median of ${opts.runs} runs per row, each a fresh server process`;

    console.log(`# asyncio-ts echo benchmark${opts.quick ? " (--quick: smoke test, not a result)" : ""}\n`);
    console.log(machineInfo(setup));

    const all = {};
    const record = [];
    for (const workload of workloads) {
      const runs = setup.rows.map(() => []);
      // Runs are interleaved (run 1 of every row, then run 2, ...) so that a change in the
      // machine's load hits every row alike.
      for (let k = 0; k < opts.runs; k++) {
        for (const [i, row] of setup.rows.entries()) {
          if (row.error) continue;
          const r = await runOnce(row, workload, setup, opts.quick);
          runs[i].push(r);
          record.push({ workload: workload.name, row: rowName({ row }), run: k + 1, ...r });
          const shown =
            r.error ?? `${fmtRate(workload, derive(workload, r).rate)}, server CPU ${pct(derive(workload, r).serverLoad)}, client CPU ${pct(derive(workload, r).clientLoad)}`;
          log(`${workload.name} run ${k + 1}/${opts.runs}: ${rowName({ row })}: ${shown}`);
        }
      }
      const results = setup.rows.map((row, i) => (row.error ? { row, error: row.error } : summarize(workload, row, runs[i])));
      all[workload.name] = results;
      printWorkload(workload, results, opts, method);
    }
    printTargets(all);
    if (opts.json) {
      writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), quick: opts.quick, runs: opts.runs, measurements: record }, null, 2));
      log(`measurements written to ${opts.json}`);
    }
  });
}
