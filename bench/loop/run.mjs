// `npm run bench -- loop`: the event-loop benchmark. Five workloads, each written the same way
// for asyncio-ts (async/await and generator tasks), CPython's asyncio, uvloop and plain Node,
// run side by side; each measurement is a fresh child process (warm-up pass, then the measured
// pass), and each cell of the tables is the median of the runs. See bench/README.md.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "../../install/ensure.mjs";
import { fmtRatio, libraryLine, machineLines, median, nodesText, parseWorkloadArgs, progressLog, pythonLine, table } from "../harness.mjs";
import { setUpRuntimes } from "../runtimes.mjs";

const here = join(root, "bench", "loop");

/** The workloads, in the order they are run and printed. `n` must be a multiple of 1000 (callsoon's chains). */
export const WORKLOADS = [
  {
    name: "callsoon",
    title: "1,000 chains of callbacks, each callback schedules the next (callSoon(tick, k - 1))",
    n: 1_000_000,
    quickN: 100_000,
    unit: "callbacks/s",
    plain: "setImmediate(tick, k - 1)",
  },
  {
    name: "future",
    title: "round trips in one task: f = createFuture(); callSoon(resolve, f); await f",
    n: 200_000,
    quickN: 20_000,
    unit: "round trips/s",
    plain: "p = new Promise(r => resolve = r); setImmediate(resolve); await p (and, for reference, queueMicrotask(resolve))",
  },
  {
    name: "tasks",
    title: "createTask(child) x n, each child awaits sleep(0); then gather(...tasks)",
    n: 100_000,
    quickN: 10_000,
    unit: "tasks/s",
    plain: "n calls of an async child() that awaits new Promise(r => setImmediate(r)); Promise.all",
  },
  {
    name: "queue",
    title: "ping-pong between two tasks, two Queues; pinger put(i) then get(), ponger get() then put(x)",
    n: 200_000,
    quickN: 20_000,
    unit: "round trips/s",
    plain: "a minimal Promise queue (put() plain, get() async)",
  },
  {
    name: "timers",
    title: "callLater(0.01, cb) scheduled all at once; lateness = fire time - due time",
    n: 10_000,
    quickN: 10_000,
    unit: "timers",
    plain: "setTimeout(cb, 10)",
    latency: true,
  },
];

const FAMILIES = ["ts-async", "ts-gen", "node", "cpython", "uvloop"];

const USAGE = `usage: npm run bench -- loop [workload ...] [options]
workloads: ${WORKLOADS.map((w) => w.name).join(", ")} (default: all)
options:
  --quick          1/10 of the work (timers: the same 10,000), 1 run: a smoke test, not a result
  --runs=N         runs per cell (default 3; the median is shown)
  --rows=A,B       only these rows: ${FAMILIES.join(", ")}
  --node=20,24     which Node versions run the Node rows (default both: the machine's node and Node 24)
  --json=FILE      also write every measurement to FILE
  --help`;

function parseArgs(argv) {
  return parseWorkloadArgs(argv, { workloads: WORKLOADS, families: FAMILIES, usage: USAGE, defaultRuns: (quick) => (quick ? 1 : 3) });
}

const log = progressLog("loop");

// -- Setting up the runtimes ----------------------------------------------------------------------

/** Installs and builds what is missing; returns the rows to run (unavailable ones carry a reason). */
function setUp(opts) {
  const { nodes, python, pythonError, uvloopError } = setUpRuntimes(
    opts.nodes,
    { python: opts.rows.includes("cpython") || opts.rows.includes("uvloop"), uvloop: opts.rows.includes("uvloop") },
    log,
  );

  const rows = [];
  for (const node of nodes) {
    const v = `Node ${node.version}`;
    const nodeRow = (family, label, script, args = [], extra = {}) => {
      if (!opts.rows.includes(family)) return;
      rows.push({ family, label, runtime: v, nodeVersion: node.version, cmd: node.bin, args: [join(here, script), ...args], error: node.error ?? null, ...extra });
    };
    nodeRow("ts-async", "asyncio-ts async/await", "asyncio-ts.mjs", ["--style=async"]);
    nodeRow("ts-gen", "asyncio-ts generators (yield*)", "asyncio-ts.mjs", ["--style=gen"]);
    nodeRow("node", "plain Node", "node-plain.mjs");
    // Only for the Future workload: the cheapest await Node has, for reference.
    nodeRow("node", "plain Node, queueMicrotask", "node-plain.mjs", [], { variant: "microtask", only: ["future"], rename: { future: "future-microtask" } });
  }
  const pyRow = (family, label, args) => {
    if (!opts.rows.includes(family)) return;
    const error = pythonError ?? (family === "uvloop" ? uvloopError : null);
    rows.push({ family, label, runtime: "", cmd: python, args: [join(here, "python.py"), ...args], error });
  };
  pyRow("cpython", "CPython asyncio (default loop)", []);
  pyRow("uvloop", "uvloop", ["--uvloop"]);
  return { rows, nodes, python };
}

function machineInfo(setup) {
  const lines = [...machineLines(), `node:     ${nodesText(setup.nodes)}`];
  const library = libraryLine();
  if (library !== null) lines.push(library);
  if (setup.python !== null) lines.push(pythonLine(setup.python));
  return lines.join("\n");
}

// -- Measuring -----------------------------------------------------------------------------------

function runOnce(row, workload, n, warmup) {
  const name = row.rename?.[workload.name] ?? workload.name;
  const r = spawnSync(row.cmd, [...row.args.slice(0, 1), name, String(n), String(warmup), ...row.args.slice(1)], {
    encoding: "utf8",
    cwd: root,
    timeout: 600_000,
    env: { ...process.env, ASYNCIO_DEBUG: "", PYTHONASYNCIODEBUG: "" },
    maxBuffer: 16 * 2 ** 20,
  });
  const last = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(last);
    if (!parsed.ok) return { error: parsed.error };
    return parsed;
  } catch {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    return { error: `${why}: ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}` };
  }
}

function summarize(row, runs) {
  const ok = runs.filter((r) => r.error === undefined);
  const failed = runs.find((r) => r.error !== undefined);
  if (ok.length === 0) return { row, error: failed?.error ?? "no run" };
  const rates = ok.map((r) => r.ops / r.seconds);
  const s = { row, runs: ok, rate: median(rates), rateMin: Math.min(...rates), rateMax: Math.max(...rates), seconds: median(ok.map((r) => r.seconds)) };
  if (ok[0].lateness) {
    s.p50 = median(ok.map((r) => r.lateness.p50));
    s.p99 = median(ok.map((r) => r.lateness.p99));
    s.max = median(ok.map((r) => r.lateness.max));
  }
  if (failed) s.note = `${runs.length - ok.length} run(s) failed: ${failed.error}`;
  return s;
}

// -- Printing -------------------------------------------------------------------------------------

function fmtRate(x) {
  if (!Number.isFinite(x)) return "-";
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k/s`;
  return `${x.toFixed(0)} /s`;
}

/** The cell text for a row that has no numbers; a long error goes to a note under the table. */
function errorCell(s) {
  if (s.error.length <= 40) return s.error;
  s.note = s.note ?? s.error;
  return "failed (see the note below)";
}

function rowName(s) {
  return `${s.row.label}${s.row.runtime ? `, ${s.row.runtime}` : ""}`;
}

const isTs = (s) => s.row.family === "ts-async" || s.row.family === "ts-gen";

function findRef(results, family, nodeVersion, variant) {
  return results.find((s) => s.row.family === family && s.error === undefined && (nodeVersion === undefined || s.row.nodeVersion === nodeVersion) && s.row.variant === variant);
}

function printThroughput(workload, n, results, method) {
  const uv = findRef(results, "uvloop");
  const py = findRef(results, "cpython");
  const body = results.map((s) => {
    if (s.error !== undefined) return [rowName(s), errorCell(s), "", "", "", ""];
    const node = isTs(s) ? findRef(results, "node", s.row.nodeVersion) : undefined;
    return [
      rowName(s),
      fmtRate(s.rate),
      s.runs.length > 1 ? `${fmtRate(s.rateMin)} .. ${fmtRate(s.rateMax)}` : "",
      isTs(s) && uv ? fmtRatio(s.rate / uv.rate) : "",
      isTs(s) && py ? fmtRatio(s.rate / py.rate) : "",
      node ? fmtRatio(s.rate / node.rate) : "",
    ];
  });
  console.log(`\n## ${workload.name}: ${workload.title}`);
  console.log(`plain Node: ${workload.plain}`);
  console.log(`n = ${n.toLocaleString("en-US")}; ${workload.unit}, higher is better; ${method}\n`);
  console.log(table(["runtime", `median ${workload.unit}`, "min .. max", "vs uvloop", "vs CPython", "vs plain Node"], body, ["l", "r", "r", "r", "r", "r"]));
  for (const s of results) if (s.note) console.log(`note: ${rowName(s)}: ${s.note}`);
}

function printLatency(workload, n, results, method) {
  const py = findRef(results, "cpython");
  const ms = (x) => (Number.isFinite(x) ? x.toFixed(2) : "-");
  const body = results.map((s) => {
    if (s.error !== undefined) return [rowName(s), errorCell(s), "", "", "", ""];
    return [
      rowName(s),
      ms(s.seconds * 1000),
      ms(s.p50),
      ms(s.p99),
      ms(s.max),
      isTs(s) && py ? `${fmtRatio(s.p99 / py.p99)} (${s.p99 - py.p99 >= 0 ? "+" : ""}${ms(s.p99 - py.p99)} ms)` : "",
    ];
  });
  console.log(`\n## ${workload.name}: ${workload.title}`);
  console.log(`plain Node: ${workload.plain}`);
  console.log(`n = ${n.toLocaleString("en-US")} timers of 10 ms; times in ms, lower is better; ${method}`);
  console.log("asyncio-ts and CPython read both times from loop.time(); uvloop and plain Node, whose loop clocks are cached");
  console.log("millisecond clocks, from time.monotonic() / performance.now() (due = clock at callLater + 10 ms).\n");
  console.log(table(["runtime", "total ms", "p50 late", "p99 late", "max late", "p99 vs CPython"], body, ["l", "r", "r", "r", "r", "r"]));
  for (const s of results) if (s.note) console.log(`note: ${rowName(s)}: ${s.note}`);
}

function printTargets(all) {
  const tsRows = [];
  for (const res of Object.values(all)) for (const s of res) if (isTs(s) && !tsRows.some((r) => r.label === s.row.label && r.runtime === s.row.runtime)) tsRows.push(s.row);
  if (tsRows.length === 0) return;
  const cell = (ok, text) => `${text} ${ok ? "met" : "MISSED"}`;
  const lines = [];
  const forRow = (res, row) => res?.find((s) => s.row === row && s.error === undefined);
  for (const name of ["callsoon", "future", "tasks", "queue"]) {
    const res = all[name];
    if (!res) continue;
    const uv = findRef(res, "uvloop");
    lines.push([
      `${name}: >= 5x uvloop`,
      ...tsRows.map((row) => {
        const s = forRow(res, row);
        return s && uv ? cell(s.rate / uv.rate >= 5, fmtRatio(s.rate / uv.rate)) : "n/a";
      }),
    ]);
  }
  if (all.future) {
    const res = all.future;
    lines.push([
      "future: >= 1/3 of plain Node (setImmediate)",
      ...tsRows.map((row) => {
        const s = forRow(res, row);
        const node = s && findRef(res, "node", row.nodeVersion);
        return s && node ? cell(s.rate / node.rate >= 1 / 3, fmtRatio(s.rate / node.rate)) : "n/a";
      }),
    ]);
    lines.push([
      "  (for reference: vs plain Node queueMicrotask)",
      ...tsRows.map((row) => {
        const s = forRow(res, row);
        const node = s && findRef(res, "node", row.nodeVersion, "microtask");
        return s && node ? `${fmtRatio(s.rate / node.rate)}` : "n/a";
      }),
    ]);
  }
  if (all.timers) {
    const res = all.timers;
    const py = findRef(res, "cpython");
    lines.push([
      "timers: p99 lateness <= CPython's",
      ...tsRows.map((row) => {
        const s = forRow(res, row);
        return s && py ? cell(s.p99 <= py.p99, `${s.p99.toFixed(2)} vs ${py.p99.toFixed(2)} ms`) : "n/a";
      }),
    ]);
  }
  console.log("\n## Targets (from the issue)\n");
  console.log(table(["target", ...tsRows.map((r) => `${r.label.replace("asyncio-ts ", "")}, ${r.runtime}`)], lines, ["l", ...tsRows.map(() => /** @type {const} */ ("r"))]));
}

// -- Main -----------------------------------------------------------------------------------------

/** Runs the benchmark with the command-line arguments after `loop`. */
export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const setup = setUp(opts);
  const workloads = opts.workloads.length > 0 ? WORKLOADS.filter((w) => opts.workloads.includes(w.name)) : WORKLOADS;
  const method =
    opts.runs === 1
      ? "1 run (a fresh process: a warm-up pass of 1/10 of the work, then the measured pass)"
      : `median of ${opts.runs} runs, each a fresh process (a warm-up pass of 1/10 of the work, then the measured pass)`;

  console.log(`# asyncio-ts loop benchmark${opts.quick ? " (--quick: smoke test, not a result)" : ""}\n`);
  console.log(machineInfo(setup));

  const all = {};
  const record = [];
  for (const workload of workloads) {
    const n = opts.quick ? workload.quickN : workload.n;
    const warmup = Math.max(1000, Math.floor(n / 10 / 1000) * 1000);
    const rows = setup.rows.filter((r) => r.only === undefined || r.only.includes(workload.name));
    const runs = rows.map(() => []);
    // Runs are interleaved (run 1 of every row, then run 2, ...) so that a change in the
    // machine's load during the benchmark hits every row alike.
    for (let k = 0; k < opts.runs; k++) {
      rows.forEach((row, i) => {
        if (row.error) return;
        const r = runOnce(row, workload, n, warmup);
        runs[i].push(r);
        record.push({ workload: workload.name, n, row: `${row.label}${row.runtime ? `, ${row.runtime}` : ""}`, run: k + 1, ...r });
        log(`${workload.name} run ${k + 1}/${opts.runs}: ${row.label}${row.runtime ? ` (${row.runtime})` : ""}: ${r.error ?? `${r.seconds.toFixed(3)} s`}`);
      });
    }
    const results = rows.map((row, i) => (row.error ? { row, error: row.error } : summarize(row, runs[i])));
    all[workload.name] = results;
    if (workload.latency) printLatency(workload, n, results, method);
    else printThroughput(workload, n, results, method);
  }
  printTargets(all);
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), quick: opts.quick, runs: opts.runs, measurements: record }, null, 2));
    log(`measurements written to ${opts.json}`);
  }
}
