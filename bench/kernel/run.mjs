// `npm run bench -- kernel`: the Jupyter kernel benchmark. asyncio-ts's kernel (with its
// kernelspec as installed, and with lean V8 flags), tslab, Deno's kernel and ipykernel, side by
// side in one run, all driven by the same client (jupyter_client from .venv, driver.py): start-up
// to the first kernel_info_reply, the round trip of a trivial cell, RSS after many cells, and,
// for asyncio-ts, how an echo server running in the kernel answers while a big cell compiles;
// for the TypeScript kernels, typed cells (asyncio-ts and tslab check them, Deno does not).
// Every measurement is a fresh kernel (and a fresh driver process). See bench/README.md.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { build, cacheDir, ensureNodeModules, ensureVenv, jupyterPrefixEnv, root } from "../../install/ensure.mjs";
import { median, table } from "../harness.mjs";

const here = join(root, "bench", "kernel");
const driver = join(here, "driver.py");

/** The Deno release the peer row runs; npm's `deno` package ships its binary. Pinned so runs are repeatable. */
export const DENO_VERSION = "2.9.6";

/** The issue's targets for asyncio-ts. */
const TARGETS = { p50Ms: 2, startupS: 0.8, rssMb: 150, echoWorstMs: 20, typedP50Ms: 8, firstTypedS: 1, completeP50Ms: 10 };

/** V8 flags of the "lean flags" row (NOTES.md, Memory): they keep RSS down; this row measures their speed cost. */
const LEAN_FLAGS = ["--single-threaded", "--max-semi-space-size=1"];

const ROWS = ["asyncio-ts", "asyncio-ts-lean", "tslab", "deno", "ipykernel", "floor"];

const USAGE = `usage: npm run bench -- kernel [options]
options:
  --quick        2 starts, 50 round trips, RSS after 100 cells, 1 big cell: a smoke test, not a result
  --rows=A,B     only these rows: ${ROWS.join(", ")} (default: all)
  --json=FILE    also write every measurement to FILE
  --help`;

function parseArgs(argv) {
  const opts = { quick: false, rows: ROWS, json: null, help: false };
  for (const a of argv) {
    if (a === "--quick") opts.quick = true;
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (a.startsWith("--rows=")) opts.rows = a.slice(7).split(",");
    else if (a.startsWith("--json=")) opts.json = a.slice(7);
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  for (const r of opts.rows) if (!ROWS.includes(r)) throw new Error(`unknown row "${r}"; rows: ${ROWS.join(", ")}`);
  opts.plan = opts.quick
    ? { starts: 2, warmup: 5, cells: 50, rssCells: 100, bigLines: 3000, bigRepeats: 1, idleS: 1, typedCells: 30 }
    : { starts: 5, warmup: 20, cells: 200, rssCells: 500, bigLines: 3000, bigRepeats: 3, idleS: 2, typedCells: 100 };
  return opts;
}

function log(msg) {
  process.stderr.write(`[bench kernel] ${msg}\n`);
}

// -- Setting up the kernels ------------------------------------------------------------------------

/** Path of the deno binary, from npm's `deno` package installed under .cache/ when missing. */
function ensureDeno() {
  const prefix = join(cacheDir, `deno-${DENO_VERSION}`);
  // The `deno` package's postinstall links its platform package's binary next to bin.cjs; the
  // platform package (an optional dependency) holds the same binary either way.
  const candidates = [join(prefix, "node_modules", "deno", "deno"), join(prefix, "node_modules", "@deno", `${process.platform}-${process.arch}-glibc`, "deno")];
  const found = () => candidates.find((c) => existsSync(c));
  if (found()) return found();
  log(`installing Deno ${DENO_VERSION} from npm (deno)`);
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, "package.json"), JSON.stringify({ private: true }));
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--prefix", prefix, `deno@${DENO_VERSION}`], { stdio: "inherit", cwd: root });
  if (r.status !== 0) throw new Error(`npm install deno@${DENO_VERSION} failed with exit code ${r.status}`);
  if (!found()) throw new Error(`no deno binary for ${process.platform}-${process.arch} in npm's deno@${DENO_VERSION}`);
  return found();
}

function writeSpec(prefix, name, spec) {
  const dir = join(prefix, "share", "jupyter", "kernels", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
}

function versionOf(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      .trim()
      .split("\n")[0];
  } catch {
    return "?";
  }
}

/**
 * Installs what is missing and writes every kernelspec into a temporary prefix; returns the rows
 * (an unavailable peer carries the reason) and the environment the driver runs in.
 */
export function setUp(opts) {
  ensureNodeModules();
  log("building dist/ (tsc -p tsconfig.build.json)");
  build();
  const python = ensureVenv(["jupyter_client", "ipykernel"]);
  const prefix = mkdtempSync(join(os.tmpdir(), "asyncio-ts-bench-kernel-"));
  const notebookDir = join(prefix, "notebook");
  mkdirSync(notebookDir);
  const env = {
    ...process.env,
    ...jupyterPrefixEnv(prefix),
    BENCH_KERNEL_CWD: notebookDir,
    DENO_DIR: join(cacheDir, "deno-dir"),
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
    ASYNCIO_DEBUG: "",
    PYTHONASYNCIODEBUG: "",
  };
  const rows = [];
  const versions = {};
  const want = (key) => opts.rows.includes(key);

  // asyncio-ts: the kernelspec exactly as `asyncio-ts install` writes it.
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  versions["asyncio-ts"] = `${pkg.version} on Node ${process.version}`;
  execFileSync(process.execPath, [join(root, "dist", "cli", "main.js"), "install", "--prefix", prefix], { stdio: "ignore" });
  const tsSpec = JSON.parse(readFileSync(join(prefix, "share", "jupyter", "kernels", "asyncio-ts", "kernel.json"), "utf8"));
  if (want("asyncio-ts")) rows.push({ key: "asyncio-ts", label: "asyncio-ts", spec: "asyncio-ts", lang: "ts", ours: true });
  writeSpec(prefix, "asyncio-ts-lean", { ...tsSpec, argv: [tsSpec.argv[0], ...LEAN_FLAGS, ...tsSpec.argv.slice(1)], display_name: "TypeScript (asyncio-ts, lean flags)" });
  if (want("asyncio-ts-lean")) rows.push({ key: "asyncio-ts-lean", label: "asyncio-ts (lean flags)", spec: "asyncio-ts-lean", lang: "ts", ours: true });

  // tslab: a devDependency; its kernelspec written by hand with absolute paths (what
  // `tslab install --prefix` writes, except that it would run `tslab` from PATH).
  if (want("tslab")) {
    const bin = join(root, "node_modules", "tslab", "bin", "tslab");
    if (existsSync(bin)) {
      versions.tslab = JSON.parse(readFileSync(join(root, "node_modules", "tslab", "package.json"), "utf8")).version;
      writeSpec(prefix, "tslab", { argv: [process.execPath, bin, "kernel", "--config-path", "{connection_file}"], display_name: "TypeScript (tslab)", language: "typescript" });
      rows.push({ key: "tslab", label: "tslab", spec: "tslab", lang: "ts" });
    } else {
      rows.push({ key: "tslab", label: "tslab", error: "not installable: node_modules/tslab is missing (a devDependency: npm ci)" });
    }
  }

  // Deno: the binary from npm's `deno`; the kernelspec `deno jupyter --install` would write,
  // written here into the temporary prefix instead of the user's folder.
  if (want("deno")) {
    try {
      const deno = ensureDeno();
      versions.deno = versionOf(deno, ["--version"]);
      writeSpec(prefix, "deno", { argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"], display_name: "Deno", language: "typescript" });
      rows.push({ key: "deno", label: "Deno", spec: "deno", lang: "ts" });
    } catch (e) {
      rows.push({ key: "deno", label: "Deno", error: `not installable: ${e.message}` });
    }
  }

  // ipykernel, for reference: the venv's Python.
  if (want("ipykernel")) {
    const probe = spawnSync(
      python,
      [
        "-c",
        "import ipykernel, jupyter_client, platform; print(f'ipykernel {ipykernel.__version__}, jupyter_client {jupyter_client.__version__}, {platform.python_implementation()} {platform.python_version()}')",
      ],
      { encoding: "utf8" },
    );
    if (probe.status === 0) {
      versions.ipykernel = probe.stdout.trim();
      writeSpec(prefix, "bench-ipykernel", { argv: [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name: "Python 3 (ipykernel)", language: "python" });
      rows.push({ key: "ipykernel", label: "ipykernel (Python)", spec: "bench-ipykernel", lang: "python" });
    } else {
      rows.push({ key: "ipykernel", label: "ipykernel (Python)", error: "not installable: ipykernel does not import in .venv" });
    }
  }
  // The calibration row: a Python kernel that runs nothing and answers at once (null_kernel.py),
  // so its round trip is the client's and the wire's own cost.
  if (want("floor")) {
    writeSpec(prefix, "bench-null", { argv: [python, join(here, "null_kernel.py"), "-f", "{connection_file}"], display_name: "null kernel", language: "text" });
    rows.push({ key: "floor", label: "client floor (null kernel)", spec: "bench-null", lang: "python", floor: true });
  }
  const client = spawnSync(
    python,
    ["-c", "import jupyter_client, platform; print(f'jupyter_client {jupyter_client.__version__} on {platform.python_implementation()} {platform.python_version()}')"],
    { encoding: "utf8" },
  );
  versions.client = client.stdout.trim();
  return { rows, python, env, prefix, versions };
}

export function machineInfo(setup) {
  const cpus = os.cpus();
  const lines = [
    `date:     ${new Date().toISOString()}`,
    `machine:  ${cpus[0]?.model ?? "unknown cpu"}, ${os.availableParallelism?.() ?? cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()} ${os.arch()}`,
    `load:     ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} (1/5/15 min averages at start; other work on the machine skews results)`,
  ];
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" });
  const dirty = head.status === 0 && spawnSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" }).stdout.trim() !== "";
  lines.push(
    `asyncio-ts: ${setup.versions["asyncio-ts"]}${head.status === 0 ? `, commit ${head.stdout.trim()}${dirty ? " + uncommitted changes in src/" : ""}` : ""} (dist/ built just now)`,
  );
  if (setup.versions.tslab) lines.push(`tslab:    ${setup.versions.tslab} on Node ${process.version}`);
  if (setup.versions.deno) lines.push(`deno:     ${setup.versions.deno}`);
  if (setup.versions.ipykernel) lines.push(`python:   ${setup.versions.ipykernel}`);
  lines.push(`client:   ${setup.versions.client} (${setup.python})`);
  return lines.join("\n");
}

// -- Measuring -----------------------------------------------------------------------------------

export function drive(setup, args, timeoutMs = 600_000) {
  const r = spawnSync(setup.python, [driver, ...args], { encoding: "utf8", env: setup.env, cwd: root, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
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

function measure(setup, opts) {
  const { plan } = opts;
  const record = [];
  const res = new Map(setup.rows.map((row) => [row.key, { row, starts: [], errors: [] }]));
  // A kernel that cannot start is left out of what follows; one that failed a later measure is not.
  const live = () => setup.rows.filter((row) => !row.error && !res.get(row.key).errors.some((e) => e.startsWith("start-up")));

  // Start-up: one unmeasured start per kernel (disk caches, Deno's cache folder), then the
  // measured starts, interleaved (start 1 of every kernel, then start 2, ...).
  for (let k = 0; k <= plan.starts; k++) {
    for (const row of live()) {
      const r = drive(setup, ["startup", row.spec], 120_000);
      const s = res.get(row.key);
      if (r.error) s.errors.push(`start-up: ${r.error}`);
      else if (k > 0) s.starts.push(r.seconds);
      else s.implementation = r.implementation;
      if (k > 0 || r.error) record.push({ measure: "startup", row: row.key, start: k, ...r });
      log(
        `start ${k === 0 ? "(warm-up)" : `${k}/${plan.starts}`}: ${row.label}: ${r.error ?? `${r.seconds.toFixed(3)} s${r.resent ? ` (kernel_info sent ${r.resent + 1} times)` : ""}`}`,
      );
    }
  }
  for (const row of live()) {
    const r = drive(setup, ["roundtrip", row.spec, String(plan.warmup), String(plan.cells)]);
    const s = res.get(row.key);
    if (r.error) s.errors.push(`round trip: ${r.error}`);
    else s.rt = r;
    record.push({ measure: "roundtrip", row: row.key, ...r });
    log(`round trips: ${row.label}: ${r.error ?? `p50 ${r.p50.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms`}`);
  }
  for (const row of live()) {
    const r = drive(setup, ["rss", row.spec, row.lang, String(plan.rssCells)]);
    const s = res.get(row.key);
    if (r.error) s.errors.push(`RSS: ${r.error}`);
    else s.rss = r;
    record.push({ measure: "rss", row: row.key, ...r });
    log(`RSS: ${row.label}: ${r.error ?? `${r.before.rss_mb.toFixed(0)} MB at start, ${r.after.rss_mb.toFixed(0)} MB after ${r.cells} cells (${r.after.processes} process(es))`}`);
  }
  for (const row of live().filter((x) => x.ours)) {
    const r = drive(setup, ["responsive", row.spec, String(plan.bigLines), String(plan.bigRepeats), String(plan.idleS)]);
    const s = res.get(row.key);
    if (r.error) s.errors.push(`echo while compiling: ${r.error}`);
    else s.resp = r;
    record.push({ measure: "responsive", row: row.key, ...r });
    log(
      `echo while compiling: ${row.label}: ${r.error ?? `idle max ${r.idle.max.toFixed(2)} ms, compiling max ${r.compile.max.toFixed(2)} ms, cells ${r.compile_ms.map((x) => x.toFixed(0)).join("/")} ms`}`,
    );
  }
  // Typed cells: the TypeScript kernels but the lean-flags row (the same kernel).
  for (const row of live().filter((x) => x.lang === "ts" && x.key !== "asyncio-ts-lean")) {
    const r = drive(setup, ["typed", row.spec, "10", String(plan.typedCells)]);
    const s = res.get(row.key);
    if (r.error) s.errors.push(`typed cells: ${r.error}`);
    else s.typed = r;
    record.push({ measure: "typed", row: row.key, ...r });
    log(
      `typed cells: ${row.label}: ${r.error ?? `first ${r.first_s.toFixed(2)} s after start, p50 ${r.p50.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, completion p50 ${r.complete_p50.toFixed(2)} ms`}`,
    );
  }
  return { results: [...res.values()], record };
}

// -- Printing -------------------------------------------------------------------------------------

const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : "-");
const sec = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : "-");
const mb = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MB` : "-");
const ratio = (x) => (Number.isFinite(x) ? (x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`) : "-");

function summary(s) {
  return {
    startup: s.starts.length ? median(s.starts) : NaN,
    p50: s.rt?.p50 ?? NaN,
    p95: s.rt?.p95 ?? NaN,
    rss: s.rss?.after.rss_mb ?? NaN,
  };
}

function printResults(results, opts) {
  const { plan } = opts;
  const notes = [];
  const floor = results.find((s) => s.row.floor && s.rt)?.rt.p50;
  const body = results.map((s) => {
    if (s.row.error) return [s.row.label, s.row.error, "", "", "", "", "", "", ""];
    const v = summary(s);
    if (s.errors.length) notes.push(`${s.row.label}: ${s.errors.join("; ")}`);
    const lost = (s.rt?.lost_idle ?? 0) + (s.rss?.lost_idle ?? 0);
    if (lost)
      notes.push(
        `${s.row.label}: ${lost} cell(s) never sent their idle status (${s.rt?.lost_idle ?? 0} of the ${plan.cells} timed, ${s.rss?.lost_idle ?? 0} of the ${plan.rssCells} printing; the driver waits 5 s after the reply, then leaves the cell out)`,
      );
    if (s.rss?.output_after_idle)
      notes.push(
        `${s.row.label}: ${s.rss.output_after_idle} of ${s.rss.cells} printing cells sent their line after their idle status (a client that stops reading at idle loses it; the driver waits for it)`,
      );
    // A kernel of several processes (asyncio-ts: TypeScript 7's checker process) shows its main process apart.
    const procs = s.rss && s.rss.after.processes > 1 ? ` (${s.rss.after.processes} procs, main ${mb(s.rss.after.main_rss_mb)})` : "";
    return [
      s.row.label,
      sec(v.startup),
      s.starts.length > 1 ? `${sec(Math.min(...s.starts))} .. ${sec(Math.max(...s.starts))}` : "",
      ms(v.p50),
      ms(v.p95),
      floor !== undefined && !s.row.floor ? ms(v.p50 - floor) : "",
      s.rss ? mb(s.rss.before.rss_mb) : "-",
      s.rss ? `${mb(v.rss)}${procs}` : "-",
      s.rss ? ms((s.rss.seconds * 1000) / s.rss.cells) : "-",
    ];
  });
  console.log(`\n## Kernels side by side`);
  console.log(`start-up: KernelManager.start_kernel to the first kernel_info_reply, median of ${plan.starts} starts (after 1 unmeasured start)`);
  console.log(`cell: execute_request of \`1\` to execute_reply and idle, p50/p95 of ${plan.cells} (after ${plan.warmup} warm-ups)`);
  console.log(`RSS: VmRSS of the kernel's process tree at start and after ${plan.rssCells} cells each printing a line (console.log / print), in a fresh kernel;`);
  console.log(`     the last column is the mean time per printing cell. Lower is better everywhere.`);
  console.log(`p50 - floor: the cell p50 less the client floor's (a kernel that runs nothing), i.e. the kernel's own share.\n`);
  console.log(
    table(["kernel", "start-up", "min .. max", "cell p50", "cell p95", "p50 - floor", "RSS at start", `RSS after ${plan.rssCells} cells`, "per printing cell"], body, [
      "l",
      "r",
      "r",
      "r",
      "r",
      "r",
      "r",
      "r",
      "r",
    ]),
  );
  for (const n of notes) console.log(`note: ${n}`);

  // Ratios: each asyncio-ts row against every other row.
  const ours = results.filter((s) => s.row.ours && !s.row.error);
  const ratioRows = [];
  for (const a of ours) {
    const va = summary(a);
    for (const b of results) {
      if (b === a || b.row.error || b.row.floor) continue;
      const vb = summary(b);
      ratioRows.push([`${a.row.label} ÷ ${b.row.label}`, ratio(va.startup / vb.startup), ratio(va.p50 / vb.p50), ratio(va.p95 / vb.p95), ratio(va.rss / vb.rss)]);
    }
  }
  if (ratioRows.length) {
    console.log(`\n## Ratios (asyncio-ts ÷ the other kernel: below 1.00x asyncio-ts is faster / smaller)\n`);
    console.log(table(["", "start-up", "cell p50", "cell p95", `RSS after ${plan.rssCells}`], ratioRows, ["l", "r", "r", "r", "r"]));
  }

  const resp = results.filter((s) => s.resp);
  if (resp.length) {
    const r0 = resp[0].resp;
    console.log(`\n## Echo server in the kernel while a cell compiles`);
    console.log(`A cell starts an asyncio-ts echo server (asyncio.startServer, 127.0.0.1 port 0); a client process pings it every 5 ms`);
    console.log(`(one connection, "ping\\n" and its echo). Idle: ${plan.idleS} s with no cell running. Compiling: pings in flight while`);
    console.log(`${plan.bigRepeats} cell(s) of ${r0.lines} lines of typed declarations (interfaces, type aliases, typed functions, constants) run.\n`);
    const rb = resp.map((s) => [
      s.row.label,
      `${s.resp.idle.n}`,
      ms(s.resp.idle.p50),
      ms(s.resp.idle.p99),
      ms(s.resp.idle.max),
      `${s.resp.compile.n}`,
      ms(s.resp.compile.p50),
      ms(s.resp.compile.p99),
      ms(s.resp.compile.max),
      s.resp.compile_ms.map((x) => x.toFixed(0)).join(" / "),
    ]);
    console.log(
      table(["kernel", "idle pings", "p50", "p99", "max", "compiling pings", "p50", "p99", "max", "big cell ms (each)"], rb, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r"]),
    );
  }

  const typed = results.filter((s) => s.typed);
  if (typed.length) {
    console.log(`\n## Typed cells`);
    console.log(`A fresh kernel: the first typed 10-line cell sent at kernel_info_reply (start_kernel to its execute_reply), then`);
    console.log(`${plan.typedCells} typed 10-line cells (interface, function, typed constants, a generic class; new names each time) after 10`);
    console.log(`warm-ups, then ${plan.typedCells} completions of a typed value's members (\`q.\`). asyncio-ts and tslab type-check each cell; Deno does not.`);
    console.log(`RSS at the end: the kernel's process tree (asyncio-ts: the kernel and TypeScript 7's process).\n`);
    const tb = typed.map((s) => [
      s.row.label,
      sec(s.typed.first_s),
      ms(s.typed.p50),
      ms(s.typed.p95),
      ms(s.typed.complete_p50),
      s.typed.complete_finds_members ? "yes" : "no",
      `${mb(s.typed.rss.rss_mb)}${s.typed.rss.processes > 1 ? ` (main ${mb(s.typed.rss.main_rss_mb)}, others ${mb(s.typed.rss.rss_mb - s.typed.rss.main_rss_mb)})` : ""}`,
    ]);
    console.log(
      table(["kernel", "first typed cell", "typed cell p50", "p95", "completion p50", "finds members", `RSS after ${plan.typedCells + 11} typed cells`], tb, [
        "l",
        "r",
        "r",
        "r",
        "r",
        "r",
        "r",
      ]),
    );
  }

  // Targets.
  if (ours.length) {
    const cell = (ok, text) => (text === null ? "n/a" : `${text} ${ok ? "met" : "MISSED"}`);
    const lines = [
      [`trivial cell p50 < ${TARGETS.p50Ms} ms`, ...ours.map((s) => (s.rt ? cell(s.rt.p50 < TARGETS.p50Ms, ms(s.rt.p50)) : "n/a"))],
      ...(floor !== undefined ? [[`  (for reference: p50 - client floor ${ms(floor)})`, ...ours.map((s) => (s.rt ? ms(s.rt.p50 - floor) : "n/a"))]] : []),
      [`start-up < ${TARGETS.startupS} s`, ...ours.map((s) => (s.starts.length ? cell(median(s.starts) < TARGETS.startupS, sec(median(s.starts))) : "n/a"))],
      [
        `RSS after ${plan.rssCells} cells < ${TARGETS.rssMb} MB${plan.rssCells !== 500 ? " (the target is for 500)" : ""}`,
        ...ours.map((s) => (s.rss ? cell(s.rss.after.rss_mb < TARGETS.rssMb, mb(s.rss.after.rss_mb)) : "n/a")),
      ],
      [
        `echo worst response while compiling < ${TARGETS.echoWorstMs} ms`,
        ...ours.map((s) => (s.resp ? cell(s.resp.compile.max < TARGETS.echoWorstMs, ms(s.resp.compile.max)) : "n/a")),
      ],
      [`typed 10-line cell p50 < ${TARGETS.typedP50Ms} ms`, ...ours.map((s) => (s.typed ? cell(s.typed.p50 < TARGETS.typedP50Ms, ms(s.typed.p50)) : "n/a"))],
      [`first typed cell < ${TARGETS.firstTypedS} s after start`, ...ours.map((s) => (s.typed ? cell(s.typed.first_s < TARGETS.firstTypedS, sec(s.typed.first_s)) : "n/a"))],
      [`completion p50 < ${TARGETS.completeP50Ms} ms`, ...ours.map((s) => (s.typed ? cell(s.typed.complete_p50 < TARGETS.completeP50Ms, ms(s.typed.complete_p50)) : "n/a"))],
    ];
    console.log(`\n## Targets (from the issue)\n`);
    console.log(table(["target", ...ours.map((s) => s.row.label)], lines, ["l", ...ours.map(() => "r")]));
  }
}

// -- Main -----------------------------------------------------------------------------------------

/** Runs the benchmark with the command-line arguments after `kernel`. */
export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const setup = setUp(opts);
  try {
    console.log(`# asyncio-ts kernel benchmark${opts.quick ? " (--quick: smoke test, not a result)" : ""}\n`);
    console.log(machineInfo(setup));
    const { results, record } = measure(setup, opts);
    printResults(results, opts);
    if (opts.json) {
      writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), quick: opts.quick, plan: opts.plan, versions: setup.versions, measurements: record }, null, 2));
      log(`measurements written to ${opts.json}`);
    }
  } finally {
    rmSync(setup.prefix, { recursive: true, force: true });
  }
}
