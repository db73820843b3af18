// `npm run bench -- checker`: the kernel's TypeScript 7 checker (src/kernel/checker.ts) on its
// own, as the kernel uses it: start-up, the first check, re-checking a typed 10-line cell as the
// session grows, a 300-line cell, completion and inspection, TypeScript's process RSS, and the
// longest the calling thread's event loop waited meanwhile (the checker runs on a worker thread).
// Times are measured from the calling thread, so they include the worker's message hops.
import { readFileSync, readdirSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, ensureNodeModules, root } from "../../install/ensure.mjs";
import { libraryLine, machineLines, median, table } from "../harness.mjs";

const USAGE = `usage: npm run bench -- checker [options]
options:
  --quick        sessions of 10 and 50 cells, 20 samples: a smoke test, not a result
  --runs=N       fresh checkers to take medians over (default 3)
  --help`;

/** The targets (for the kernel end to end; the checker's share must leave room). */
const TARGETS = { typedCellMs: 8, completionMs: 10, firstCheckMs: 1000, checkerRssMb: 60 };

const SETUP = 'import * as asyncio from "asyncio";\nconst future = new asyncio.Future<string>();\nconst loop = asyncio.getEventLoop();';

/** A typed 10-line cell, different each time (new names, so each is accepted and grows the session). */
const cell10 = (i) =>
  `async function work${i}(n: number): Promise<string> {\n  await asyncio.sleep(0.01);\n  return "w" + n;\n}\nconst t${i} = loop.createTask(work${i}(${i}));\nconst results${i}: string[] = [];\nfor (let k = 0; k < 3; k++) {\n  results${i}.push(String(k));\n}\nconsole.log(results${i}.length, t${i}.done());`;

/** A 300-line cell: 30 ten-line blocks. */
const cell300 = (i) => Array.from({ length: 30 }, (_, k) => cell10(`${i}_${k}`)).join("\n");

function parseArgs(argv) {
  const opts = { quick: false, runs: 3, help: false };
  for (const a of argv) {
    if (a === "--quick") opts.quick = true;
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (a.startsWith("--runs=")) opts.runs = Number(a.slice(7));
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  opts.sizes = opts.quick ? [10, 50] : [10, 100, 500];
  opts.samples = opts.quick ? 20 : 50;
  return opts;
}

function log(msg) {
  process.stderr.write(`[bench checker] ${msg}\n`);
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/** RSS (MB) of this process's child running TypeScript 7 (the native `tsc`), read from /proc. */
function tsRssMb() {
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let status;
    try {
      status = readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // Closed checkers' processes stay as zombies (no VmRSS) until this process ends.
    const rss = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    if (rss !== undefined && /^Name:\s+tsc$/m.test(status) && new RegExp(`^PPid:\\s+${process.pid}$`, "m").test(status)) return Number(rss) / 1024;
  }
  return NaN;
}

async function timeIt(fn) {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** One fresh checker through a whole session. */
async function oneRun(TypeChecker, opts, cwd) {
  const r = {};
  // The calling thread's event loop, watched while TypeScript starts (its process parses the
  // libraries on both cores), then while the checker works (not while /proc is read).
  const booting = monitorEventLoopDelay({ resolution: 1 });
  booting.enable();
  const t0 = performance.now();
  const checker = new TypeChecker({ cwd });
  checker.start();
  r.startCallMs = performance.now() - t0;
  const first = await checker.check(SETUP, 0);
  r.firstCheckMs = performance.now() - t0;
  booting.disable();
  r.bootMaxLoopDelayMs = booting.max / 1e6;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  if (first.length > 0) throw new Error(`the set-up cell has errors: ${JSON.stringify(first)}`);
  let accepted = 1;
  r.sizes = [];
  for (const size of opts.sizes) {
    // Grow the session to `size` cells, then sample.
    while (accepted < size - opts.samples) await checker.check(cell10(accepted++), accepted);
    const checks = [];
    while (accepted < size) {
      const { ms, value } = await timeIt(() => checker.check(cell10(accepted), accepted + 1));
      if (value.length > 0) throw new Error(`cell ${accepted} has errors: ${JSON.stringify(value)}`);
      checks.push(ms);
      accepted++;
    }
    const trivial = [];
    for (let i = 0; i < opts.samples; i++) trivial.push((await timeIt(() => checker.check("1", accepted))).ms);
    const members = [];
    for (let i = 0; i < opts.samples; i++) members.push((await timeIt(() => checker.complete("future.", 7))).ms);
    const scope = [];
    for (let i = 0; i < opts.samples; i++) scope.push((await timeIt(() => checker.complete("fut", 3))).ms);
    const inspect = [];
    for (let i = 0; i < opts.samples; i++) inspect.push((await timeIt(() => checker.inspect("await asyncio.sleep(", 20))).ms);
    const big = [];
    for (let i = 0; i < 3; i++) big.push((await timeIt(() => checker.check(cell300(`${size}_${i}`), accepted))).ms);
    delay.disable();
    r.sizes.push({ size, checks, trivial, members, scope, inspect, big, rssMb: tsRssMb() });
    delay.enable();
  }
  delay.disable();
  r.maxLoopDelayMs = delay.max / 1e6;
  r.p99LoopDelayMs = delay.percentile(99) / 1e6;
  // The same watch over an idle second: what the machine's other work alone does to the loop.
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  idle.disable();
  r.idleMaxLoopDelayMs = idle.max / 1e6;
  r.idleP99LoopDelayMs = idle.percentile(99) / 1e6;
  r.rssMb = tsRssMb();
  await checker.close();
  return r;
}

export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  ensureNodeModules();
  log("building dist/ (tsc -p tsconfig.build.json)");
  build();
  const { TypeChecker } = await import(pathToFileURL(join(root, "dist", "kernel", "checker.js")).href);
  const tsVersion = JSON.parse(readFileSync(join(root, "node_modules", "typescript", "package.json"), "utf8")).version;
  const runs = [];
  for (let i = 0; i < opts.runs; i++) {
    log(`run ${i + 1}/${opts.runs}`);
    runs.push(await oneRun(TypeChecker, opts, root));
  }
  const med = (pick) => median(runs.map(pick));
  const fmt = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(2)) : "-");
  const header = [
    ...machineLines(),
    libraryLine(),
    `checker:  TypeScript ${tsVersion} (unstable sync API on a worker thread), Node ${process.version}; ${opts.runs} fresh checkers, medians of their p50/p90`,
  ].filter((l) => l !== null);
  console.log(header.join("\n"));
  console.log("");
  console.log(
    table(
      ["", "value", "target"],
      [
        ["start() call (calling thread busy)", `${fmt(med((r) => r.startCallMs))} ms`, ""],
        ["first check after start()", `${fmt(med((r) => r.firstCheckMs))} ms`, `< ${TARGETS.firstCheckMs} ms (first typed cell)`],
        ["calling thread's event loop while TypeScript starts: longest wait", `${fmt(med((r) => r.bootMaxLoopDelayMs))} ms`, ""],
        ["calling thread's event loop while the checker works: p99 / longest wait", `${fmt(med((r) => r.p99LoopDelayMs))} / ${fmt(med((r) => r.maxLoopDelayMs))} ms`, ""],
        ["the same loop idle for 1 s (the machine's noise): p99 / longest wait", `${fmt(med((r) => r.idleP99LoopDelayMs))} / ${fmt(med((r) => r.idleMaxLoopDelayMs))} ms`, ""],
        ["TypeScript 7 process RSS at the end", `${fmt(med((r) => r.rssMb))} MB`, `< ~${TARGETS.checkerRssMb} MB per kernel`],
      ],
      ["l", "r", "l"],
    ),
  );
  console.log("");
  const rows = opts.sizes.map((size, k) => {
    const at = (pick, q) => med((r) => quantile(pick(r.sizes[k]), q));
    return [
      String(size),
      `${fmt(at((s) => s.checks, 0.5))} / ${fmt(at((s) => s.checks, 0.9))}`,
      fmt(at((s) => s.trivial, 0.5)),
      fmt(at((s) => s.members, 0.5)),
      fmt(at((s) => s.scope, 0.5)),
      fmt(at((s) => s.inspect, 0.5)),
      fmt(at((s) => s.big, 0.5)),
      fmt(med((r) => r.sizes[k].rssMb)),
    ];
  });
  console.log(
    table(["cells", "typed 10-line cell p50/p90 ms", "cell `1` p50", "complete `future.` p50", "complete `fut` p50", "inspect `sleep(` p50", "300-line cell", "TS RSS MB"], rows, [
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
  console.log(`\ntargets: typed 10-line cell under ${TARGETS.typedCellMs} ms end to end (the kernel adds its own share), completion under ${TARGETS.completionMs} ms`);
}
