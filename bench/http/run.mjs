// `npm run bench -- http`: the HTTP server benchmark. The class's basic server ("It Works!")
// written as asyncio-ts low-level (ServerHttpProtocol), asyncio-ts web, asyncio-ts REST and the
// asyncio-ts multi-process server, next to plain node:http, fastify, and Python's aiohttp on the
// default loop and on uvloop, each in a fresh process on loopback. Two load generators drive
// every row: wrk (Debian's, installed when missing and possible) and autocannon (npm). Prints
// req/s, p50/p99 latency and the server's CPU time per request (/proc), with ratios to node:http
// and the issue's targets. See bench/README.md.
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { build, ensureNodeModules, root } from "../../install/ensure.mjs";
import {
  clockTicks,
  cpuSeconds,
  findRef,
  fmtRate,
  fmtRatio,
  libraryLine,
  machineLines,
  median,
  nodesText,
  pct,
  pythonLine,
  rowName,
  startServer,
  stopServer,
  table,
  tail,
  track,
  us,
  waitExit,
  withCleanup,
} from "../harness.mjs";
import { setUpNodes, setUpPython } from "../runtimes.mjs";

const here = join(root, "bench", "http");

const IT_WORKS = "<h1>It Works!</h1>";

/**
 * The rows, in the order they are printed. `target`: the issue's bound on server CPU per request
 * as a multiple of node:http's; `ts`: an asyncio-ts row (the req/s target against aiohttp +
 * uvloop applies); `tree`: CPU counted over the process and its descendants (`workers` of them);
 * `json`: answers aiorest's {"hello": "world"} instead of the page.
 */
const ROWS = [
  { family: "ts-lowlevel", label: "asyncio-ts low-level (async)", script: "server-asyncio-ts-lowlevel.mjs", args: ["--style=async"], ts: true, target: 1.1, short: "low-level" },
  {
    family: "ts-lowlevel-gen",
    label: "asyncio-ts low-level (yield*)",
    script: "server-asyncio-ts-lowlevel.mjs",
    args: ["--style=gen"],
    ts: true,
    target: 1.1,
    short: "low-level (yield*)",
  },
  { family: "ts-web", label: "asyncio-ts web", script: "server-asyncio-ts-web.mjs", args: [], ts: true, target: 1.25, short: "web" },
  { family: "ts-rest", label: "asyncio-ts REST", script: "server-asyncio-ts-rest.mjs", args: [], ts: true, target: 1.3, short: "REST", json: true },
  {
    family: "ts-cluster-1",
    label: "asyncio-ts multi-process, 1 worker",
    script: "server-asyncio-ts-cluster.mjs",
    args: ["--workers=1"],
    ts: true,
    tree: true,
    workers: 1,
    short: "multi-process x1",
  },
  {
    family: "ts-cluster-2",
    label: "asyncio-ts multi-process, 2 workers",
    script: "server-asyncio-ts-cluster.mjs",
    args: ["--workers=2"],
    ts: true,
    tree: true,
    workers: 2,
    short: "multi-process x2",
  },
  { family: "node", label: "node:http", script: "server-node-http.mjs", args: [] },
  { family: "fastify", label: "fastify", script: "server-fastify.mjs", args: [] },
  { family: "aiohttp", label: "aiohttp (default loop)", python: true, args: [] },
  { family: "aiohttp-uvloop", label: "aiohttp + uvloop", python: true, args: ["--uvloop"] },
];
const FAMILIES = ROWS.map((r) => r.family);

/** The issue's throughput bound: every asyncio-ts row at least this many times aiohttp + uvloop's req/s. */
const VS_UVLOOP = 1.5;

const LOADS = ["wrk", "autocannon"];

const USAGE = `usage: npm run bench -- http [options]
options:
  --quick          1 s of warm-up and 2 s measured per run: a smoke test, not a result
  --seconds=N      seconds measured per run (default 5; whole seconds, as wrk takes them)
  --warmup=N       seconds of load before each measured run, not counted (default 2)
  --runs=N         runs per row and load generator (default 1; with more, the median is shown)
  --rows=A,B       only these rows: ${FAMILIES.join(", ")}
  --load=A,B       only these load generators: ${LOADS.join(", ")} (default both)
  --connections=N  connections of each load generator (default 100)
  --threads=N      wrk's threads (default 2)
  --node=20,24     which Node versions run the Node servers (default both: the machine's node and Node 24)
  --json=FILE      also write every measurement to FILE
  --help`;

function parseArgs(argv) {
  const opts = { quick: false, seconds: 5, warmup: 2, runs: 1, rows: FAMILIES, loads: LOADS, connections: 100, threads: 2, nodes: ["20", "24"], json: null, help: false };
  let seconds = null;
  let warmup = null;
  const int = (a, name, min) => {
    const n = Number(a.slice(name.length + 3));
    if (!(Number.isInteger(n) && n >= min)) throw new Error(`--${name} wants a whole number >= ${min}`);
    return n;
  };
  for (const a of argv) {
    if (a === "--quick") opts.quick = true;
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (a.startsWith("--seconds=")) seconds = int(a, "seconds", 1);
    else if (a.startsWith("--warmup=")) warmup = int(a, "warmup", 0);
    else if (a.startsWith("--runs=")) opts.runs = int(a, "runs", 1);
    else if (a.startsWith("--connections=")) opts.connections = int(a, "connections", 1);
    else if (a.startsWith("--threads=")) opts.threads = int(a, "threads", 1);
    else if (a.startsWith("--rows=")) opts.rows = a.slice(7).split(",");
    else if (a.startsWith("--load=")) opts.loads = a.slice(7).split(",");
    else if (a.startsWith("--node=")) opts.nodes = a.slice(7).split(",");
    else if (a.startsWith("--json=")) opts.json = a.slice(7);
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  for (const r of opts.rows) if (!FAMILIES.includes(r)) throw new Error(`unknown row "${r}"; rows: ${FAMILIES.join(", ")}`);
  for (const l of opts.loads) if (!LOADS.includes(l)) throw new Error(`unknown load generator "${l}"; load generators: ${LOADS.join(", ")}`);
  opts.seconds = seconds ?? (opts.quick ? 2 : 5);
  opts.warmup = warmup ?? (opts.quick ? 1 : 2);
  return opts;
}

function log(msg) {
  process.stderr.write(`[bench http] ${msg}\n`);
}

// -- Setting up -----------------------------------------------------------------------------------

/**
 * Debian's wrk: `{ bin, version }`, or `{ error }` when it is not installed and cannot be. As
 * root, `apt-get install -y wrk` (non-interactive; once more after `apt-get update` if need be).
 */
function ensureWrk() {
  const find = () => {
    for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/local/bin"])) {
      try {
        accessSync(join(dir, "wrk"), constants.X_OK);
        return join(dir, "wrk");
      } catch {
        // not there
      }
    }
    return null;
  };
  let bin = find();
  if (bin === null && process.platform === "linux" && process.getuid?.() === 0) {
    const apt = (args) =>
      spawnSync("apt-get", args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 300_000 }).status === 0;
    log("wrk is missing: apt-get install -y wrk");
    if (!apt(["install", "-y", "-q", "wrk"]) && apt(["update", "-q"])) apt(["install", "-y", "-q", "wrk"]);
    bin = find();
  }
  if (bin === null) {
    const why = process.getuid?.() === 0 ? "apt-get install wrk failed" : "not installed, and installing it needs root";
    return { error: `wrk: not available (${why}); autocannon only` };
  }
  // `wrk -v` prints its version line and exits with 1.
  const v = spawnSync(bin, ["-v"], { encoding: "utf8" });
  return { bin, version: ((v.stdout || v.stderr || "").split("\n")[0] ?? "").replace(/ Copyright.*/, "").trim() || "wrk" };
}

function setUp(opts) {
  ensureNodeModules();
  log("building dist/ (tsc -p tsconfig.build.json)");
  let buildNote = null;
  try {
    build();
  } catch (e) {
    // tsc still writes dist/ when src/ has type errors (another change under way): the rows
    // run what was emitted, and the header says so.
    buildNote = `tsc reported errors (${e.message}); dist/ is what it emitted anyway`;
    log(buildNote);
  }

  const wrk = opts.loads.includes("wrk") ? ensureWrk() : null;
  const loads = opts.loads.filter((l) => l !== "wrk" || (wrk !== null && wrk.error === undefined));
  if (wrk?.error) {
    log(wrk.error);
    if (!loads.includes("autocannon")) loads.push("autocannon");
  }

  const nodes = setUpNodes(opts.nodes);
  const wantsPython = opts.rows.some((r) => r.startsWith("aiohttp"));
  const { python, pythonError, uvloopError } = setUpPython({ python: wantsPython, uvloop: opts.rows.includes("aiohttp-uvloop"), packages: ["aiohttp"] }, log);

  const rows = [];
  for (const node of nodes) {
    for (const r of ROWS) {
      if (r.python || !opts.rows.includes(r.family)) continue;
      rows.push({ ...r, runtime: `Node ${node.version}`, nodeVersion: node.version, cmd: node.bin, args: [join(here, r.script), ...r.args], error: node.error ?? null });
    }
  }
  for (const r of ROWS) {
    if (!r.python || !opts.rows.includes(r.family)) continue;
    const error = pythonError ?? (r.family === "aiohttp-uvloop" ? uvloopError : null);
    rows.push({ ...r, runtime: "", cmd: python, args: [join(here, "server_aiohttp.py"), ...r.args], error });
  }
  return { rows, nodes, python, wrk, loads, buildNote, clkTck: clockTicks() };
}

function machineInfo(setup, opts) {
  const autocannonVersion = (() => {
    try {
      return spawnSync(process.execPath, ["-p", "require('autocannon/package.json').version"], { cwd: root, encoding: "utf8" }).stdout.trim();
    } catch {
      return "?";
    }
  })();
  const lines = [...machineLines(), `servers:  Node ${nodesText(setup.nodes)}`];
  const library = libraryLine();
  if (library !== null) lines.push(library);
  if (setup.buildNote !== null) lines.push(`build:    ${setup.buildNote}`);
  if (setup.python !== null) lines.push(pythonLine(setup.python, ["aiohttp", "uvloop"]));
  const loadLines = [];
  if (setup.wrk?.bin) loadLines.push(`${setup.wrk.version} (${setup.wrk.bin}) -t${opts.threads} -c${opts.connections}`);
  else if (setup.wrk?.error) loadLines.push(setup.wrk.error);
  if (setup.loads.includes("autocannon")) loadLines.push(`autocannon ${autocannonVersion} -c${opts.connections} (API, one process on the machine's Node)`);
  lines.push(`load:     ${loadLines.join("; ")}`);
  lines.push(`each run: a fresh server; ${opts.warmup} s of load (not counted), then ${opts.seconds} s measured; loopback 127.0.0.1`);
  lines.push(
    `cpu time: the server's user+system time from /proc/<pid>/stat (${setup.clkTck} ticks/s) over the measured ${opts.seconds} s (multi-process rows: the supervisor and its workers)`,
  );
  return lines.join("\n");
}

// -- Measuring ------------------------------------------------------------------------------------

/** GET / once (its own connection); resolves to null when the answer is right, else what is wrong. */
function checkAnswer(row, port) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        const type = res.headers["content-type"] ?? "";
        if (res.statusCode !== 200) return resolve(`GET / answered ${res.statusCode}: ${body.slice(0, 80)}`);
        if (row.json) {
          let parsed;
          try {
            parsed = JSON.parse(body);
          } catch {
            parsed = null;
          }
          if (!/json/i.test(type) || parsed?.hello !== "world") return resolve(`GET / answered ${type} ${JSON.stringify(body.slice(0, 80))}, not {"hello": "world"} as JSON`);
        } else if (!/^text\/html/i.test(type) || body !== IT_WORKS) {
          return resolve(`GET / answered ${type} ${JSON.stringify(body.slice(0, 80))}, not the page as text/html`);
        }
        resolve(null);
      });
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", (e) => resolve(`GET / failed: ${e.message}`));
  });
}

/** Runs a child to its end (killed after `limitS`); resolves to its stdout, stderr and exit code. */
async function runChild(cmd, args, limitS) {
  const child = track(spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] }));
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => {
    if (err.length < 100_000) err += d;
  });
  const code = await waitExit(child, limitS * 1000);
  return { out, err, code };
}

/** wrk against the server for `seconds`; resolves to the run's numbers or `{ error }`. */
async function runWrk(setup, opts, port, seconds) {
  const args = [`-t${opts.threads}`, `-c${opts.connections}`, `-d${seconds}s`, "-s", join(here, "wrk-report.lua"), `http://127.0.0.1:${port}/`];
  const { out, err, code } = await runChild(setup.wrk.bin, args, seconds + 30);
  const line = out.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (line === undefined) return { error: `wrk exited with code ${code}: ${tail(err || out)}` };
  const r = JSON.parse(line.slice(9));
  const e = r.errors;
  return {
    requests: r.requests,
    seconds: r.duration_us / 1e6,
    p50Ms: r.latency_us.p50 / 1000,
    p99Ms: r.latency_us.p99 / 1000,
    errors: e.connect + e.read + e.write + e.timeout,
    timeouts: e.timeout,
    non2xx: e.status,
  };
}

/** One measurement: a fresh server, its answer checked, warm-up load, the measured load, the server stopped. */
async function runOnce(row, load, setup, opts) {
  let server;
  try {
    server = await startServer(row.cmd, [...row.args, "--max-seconds=600"]);
  } catch (e) {
    return { error: e.message };
  }
  try {
    if (server.info.unavailable) return { unavailable: server.info.unavailable };
    const wrong = await checkAnswer(row, server.port);
    if (wrong !== null) return { error: wrong };
    const pid = server.child.pid;
    let r;
    if (load === "wrk") {
      if (opts.warmup > 0) {
        const w = await runWrk(setup, opts, server.port, opts.warmup);
        if (w.error) return w;
      }
      const cpu0 = cpuSeconds(pid, setup.clkTck, { tree: row.tree });
      r = await runWrk(setup, opts, server.port, opts.seconds);
      const cpu1 = cpuSeconds(pid, setup.clkTck, { tree: row.tree });
      r.serverCpu = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
    } else {
      const args = [
        join(here, "autocannon.mjs"),
        `http://127.0.0.1:${server.port}/`,
        String(pid),
        `--connections=${opts.connections}`,
        `--seconds=${opts.seconds}`,
        `--warmup=${opts.warmup}`,
        `--clk-tck=${setup.clkTck}`,
        ...(row.tree ? ["--tree"] : []),
      ];
      const { out, err, code } = await runChild(process.execPath, args, opts.warmup + opts.seconds + 30);
      try {
        r = JSON.parse(out.trim().split("\n").pop() ?? "");
        if (!r.ok) r = { error: `autocannon: ${r.error}` };
      } catch {
        r = { error: `autocannon exited with code ${code}: ${tail(err)}` };
      }
    }
    if (r.error) return r;
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      return { error: `server died during the run (${server.child.signalCode ?? `code ${server.child.exitCode}`}): ${tail(server.stderr())}` };
    }
    return { ...r, runtime: server.runtime };
  } finally {
    await stopServer(server);
  }
}

// -- Results --------------------------------------------------------------------------------------

/** The per-run numbers: req/s, server CPU µs per request, the server's share of a core. */
function derive(r) {
  return {
    rate: r.requests / r.seconds,
    cpuPerReq: r.serverCpu === null || r.requests === 0 ? NaN : (r.serverCpu / r.requests) * 1e6,
    serverLoad: r.serverCpu === null ? NaN : r.serverCpu / r.seconds,
    p50: r.p50Ms,
    p99: r.p99Ms,
  };
}

function summarize(row, runs) {
  const unavailable = runs.find((r) => r.unavailable !== undefined);
  if (unavailable) return { row, error: `not available: ${unavailable.unavailable}` };
  const ok = runs.filter((r) => r.error === undefined);
  const failed = runs.find((r) => r.error !== undefined);
  if (ok.length === 0) return { row, error: failed?.error ?? "no run" };
  const d = ok.map(derive);
  const pick = (k) => median(d.map((x) => x[k]));
  const rates = d.map((x) => x.rate);
  const s = {
    row,
    runs: ok,
    runtime: ok[0].runtime,
    rate: pick("rate"),
    rateMin: Math.min(...rates),
    rateMax: Math.max(...rates),
    cpuPerReq: pick("cpuPerReq"),
    serverLoad: pick("serverLoad"),
    p50: pick("p50"),
    p99: pick("p99"),
  };
  const notes = [];
  if (failed) notes.push(`${runs.length - ok.length} run(s) failed: ${failed.error}`);
  const errors = ok.reduce((n, r) => n + r.errors, 0);
  const non2xx = ok.reduce((n, r) => n + r.non2xx, 0);
  if (errors > 0) notes.push(`${errors} socket error(s) or timeout(s) in the measured run(s)`);
  if (non2xx > 0) notes.push(`${non2xx} answer(s) not 2xx/3xx`);
  if (notes.length) s.note = notes.join("; ");
  return s;
}

const fmtMs = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : "-");

/** Below this share of a core (of each worker's core), a server was not what limited the row. */
const NOT_BOUND = 0.9;

function notServerBound(s) {
  return Number.isFinite(s.serverLoad) && s.serverLoad < NOT_BOUND * (s.row.workers ?? 1);
}

/** The req/s cell of a row without numbers; why goes to a note under the table. */
function errorCell(s) {
  s.note = s.note ?? s.error;
  return s.error.startsWith("not available") ? "not available" : "failed";
}

function loadTitle(load, opts) {
  return load === "wrk" ? `wrk -t${opts.threads} -c${opts.connections}` : `autocannon -c${opts.connections}`;
}

function printLoad(load, results, opts) {
  let starred = false;
  const body = results.map((s) => {
    if (s.error !== undefined) return [rowName(s), errorCell(s), "", "", "", "", "", "", "", "", ""];
    const node = s.row.family !== "node" ? findRef(results, "node", s.row.nodeVersion ?? process.version) : undefined;
    const uv = s.row.family !== "aiohttp-uvloop" ? findRef(results, "aiohttp-uvloop") : undefined;
    const star = notServerBound(s) ? "*" : "";
    if (star) starred = true;
    return [
      rowName(s),
      `${fmtRate(s.rate)}${star}`,
      s.runs.length > 1 ? `${fmtRate(s.rateMin)} .. ${fmtRate(s.rateMax)}` : "",
      fmtMs(s.p50),
      fmtMs(s.p99),
      us(s.cpuPerReq),
      pct(s.serverLoad),
      node ? fmtRatio(s.rate / node.rate) : "",
      node ? fmtRatio(s.cpuPerReq / node.cpuPerReq) : "",
      uv ? fmtRatio(s.rate / uv.rate) : "",
      uv ? fmtRatio(s.cpuPerReq / uv.cpuPerReq) : "",
    ];
  });
  const method = opts.runs === 1 ? "1 run per row (a fresh server process)" : `median of ${opts.runs} runs per row, each a fresh server process`;
  console.log(`\n## ${loadTitle(load, opts)}: GET / (the "It Works!" page; REST: {"hello": "world"})`);
  console.log(`${opts.seconds} s measured after ${opts.warmup} s of warm-up; ${method}`);
  console.log("req/s: higher is better. p50/p99: latency of a request as the load generator saw it. CPU µs/req: the server's CPU time per request;");
  console.log("server CPU: as a share of one core (100% = one core busy). Ratios: req/s this ÷ that (above 1x: this is faster), CPU/req this ÷ that (below 1x: this is cheaper)\n");
  const headers = [
    "server",
    "req/s",
    "min .. max",
    "p50",
    "p99",
    "CPU µs/req",
    "server CPU",
    "req/s vs node:http",
    "CPU/req vs node:http",
    "req/s vs aiohttp+uvloop",
    "CPU/req vs aiohttp+uvloop",
  ];
  const keep = headers.map((_, i) => i !== 2 || opts.runs > 1);
  console.log(
    table(
      headers.filter((_, i) => keep[i]),
      body.map((r) => r.filter((_, i) => keep[i])),
      headers.filter((_, i) => keep[i]).map((_, i) => (i === 0 ? "l" : "r")),
    ),
  );
  console.log(
    `(node:http: the node:http row on the same Node version, for aiohttp the machine's Node)${load === "autocannon" ? "; autocannon measures latency in whole milliseconds" : ""}`,
  );
  if (starred)
    console.log(
      `* server below ${NOT_BOUND * 100}% of a core (multi-process: of a core per worker): not server-bound (the load generator or the machine's other work held it back); compare its CPU per request`,
    );
  for (const s of results) if (s.note) console.log(`note: ${rowName(s)}: ${s.note}`);
}

function printTargets(all, opts) {
  const columns = [];
  for (const [load, results] of Object.entries(all)) {
    const versions = [...new Set(results.filter((s) => s.row.nodeVersion).map((s) => s.row.nodeVersion))];
    for (const v of versions) columns.push({ load, results, nodeVersion: v, title: `${load}, ${v}` });
  }
  const tsFamilies = ROWS.filter((r) => r.ts && opts.rows.includes(r.family));
  if (columns.length === 0 || tsFamilies.length === 0) return;
  // A ratio that rounds to the bound but misses it is shown with one more decimal (1.104x, not 1.10x MISSED).
  const cell = (ok, x, bound) => `${fmtRatio(x) === fmtRatio(bound) && !ok ? `${x.toFixed(3)}x` : fmtRatio(x)} ${ok ? "met" : "MISSED"}`;
  const lines = [];
  const find = (col, family) => col.results.find((s) => s.row.family === family && s.row.nodeVersion === col.nodeVersion);
  for (const r of tsFamilies.filter((x) => x.target !== undefined)) {
    lines.push([
      `${r.short}: CPU/req within ${r.target.toFixed(2)}x of node:http's`,
      ...columns.map((col) => {
        const s = find(col, r.family);
        const node = findRef(col.results, "node", col.nodeVersion);
        if (!s || s.error !== undefined) return s?.error?.startsWith("not available") ? "not available" : "n/a";
        if (!node) return "n/a";
        const x = s.cpuPerReq / node.cpuPerReq;
        return Number.isFinite(x) ? cell(x <= r.target, x, r.target) : "n/a";
      }),
    ]);
  }
  for (const r of tsFamilies) {
    lines.push([
      `${r.short}: req/s >= ${VS_UVLOOP}x aiohttp + uvloop`,
      ...columns.map((col) => {
        const s = find(col, r.family);
        const uv = findRef(col.results, "aiohttp-uvloop");
        if (!s || s.error !== undefined) return s?.error?.startsWith("not available") ? "not available" : "n/a";
        if (!uv) return "n/a";
        return `${cell(s.rate / uv.rate >= VS_UVLOOP, s.rate / uv.rate, VS_UVLOOP)}${notServerBound(s) || notServerBound(uv) ? "*" : ""}`;
      }),
    ]);
  }
  console.log("\n## Targets (from the issue)\n");
  console.log(table(["target", ...columns.map((c) => c.title)], lines, ["l", ...columns.map(() => /** @type {const} */ ("r"))]));
  console.log("CPU/req: this row's server CPU per request ÷ node:http's on the same Node version (at most the bound: met).");
  console.log(`req/s: this row ÷ aiohttp + uvloop (at least ${VS_UVLOOP}x: met). *: this row or aiohttp + uvloop was not server-bound.`);
}

// -- Main -----------------------------------------------------------------------------------------

/** Runs the benchmark with the command-line arguments after `http`. */
export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  await withCleanup(async () => {
    const setup = setUp(opts);
    console.log(`# asyncio-ts http benchmark${opts.quick ? " (--quick: smoke test, not a result)" : ""}\n`);
    console.log(machineInfo(setup, opts));

    const all = {};
    const record = [];
    for (const load of setup.loads) {
      const runs = setup.rows.map(() => []);
      // Runs are interleaved (run 1 of every row, then run 2, ...) so that a change in the
      // machine's load hits every row alike. A row found unavailable is not started again.
      for (let k = 0; k < opts.runs; k++) {
        for (const [i, row] of setup.rows.entries()) {
          if (row.error || runs[i].some((r) => r.unavailable !== undefined)) continue;
          const r = await runOnce(row, load, setup, opts);
          runs[i].push(r);
          record.push({ load, row: rowName({ row }), run: k + 1, ...r });
          const shown =
            r.unavailable !== undefined
              ? `not available: ${r.unavailable}`
              : (r.error ?? `${fmtRate(derive(r).rate)}, p99 ${fmtMs(r.p99Ms)}, ${us(derive(r).cpuPerReq)} µs CPU/req, server CPU ${pct(derive(r).serverLoad)}`);
          log(`${load} run ${k + 1}/${opts.runs}: ${rowName({ row })}: ${shown}`);
        }
      }
      const results = setup.rows.map((row, i) => (row.error ? { row, error: row.error } : summarize(row, runs[i])));
      all[load] = results;
      printLoad(load, results, opts);
    }
    printTargets(all, opts);
    if (opts.json) {
      writeFileSync(
        opts.json,
        JSON.stringify({ date: new Date().toISOString(), quick: opts.quick, runs: opts.runs, seconds: opts.seconds, warmup: opts.warmup, measurements: record }, null, 2),
      );
      log(`measurements written to ${opts.json}`);
    }
  });
}
