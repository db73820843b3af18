// `npm run bench -- interrupt`: what makes a busy kernel reachable (issue 11, items 5 and 6),
// and what it costs.
// 1. Control while a cell busy-loops: kernel_info_request on the control channel while a cell
//    spins in synchronous code, timed to its reply (p50/max over N samples), and interrupts of
//    synchronous code after an await (interrupt to the cell's execute_reply), for asyncio-ts
//    side by side with ipykernel (and tslab and Deno), every kernel driven by the same client
//    (jupyter_client, bench/kernel/driver.py `busy`).
// 2. The loop cost: the checks the compiler puts in every loop and function body of a cell,
//    each workload compiled with and without them and run alternately on Node 20 and 24
//    (loops.mjs): nanoseconds per iteration and the ratio. The asyncio event loop itself (the
//    library) has no checks: `npm run bench -- loop` is unchanged by them.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { root } from "../../install/ensure.mjs";
import { fmtRatio, median, nodesText, table } from "../harness.mjs";
import { drive, machineInfo, setUp } from "../kernel/run.mjs";
import { setUpNodes } from "../runtimes.mjs";
import { LOOPS } from "./workloads.mjs";

const ROWS = ["asyncio-ts", "ipykernel", "tslab", "deno"];

const USAGE = `usage: npm run bench -- interrupt [options]
options:
  --quick        3 samples, shorter loops: a smoke test, not a result
  --rows=A,B     only these kernels: ${ROWS.join(", ")} (default: all)
  --no-loops     skip the loop-cost part
  --help`;

function parseArgs(argv) {
  const opts = { quick: false, rows: ROWS, loops: true, help: false };
  for (const a of argv) {
    if (a === "--quick") opts.quick = true;
    else if (a === "--no-loops") opts.loops = false;
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (a.startsWith("--rows=")) opts.rows = a.slice(7).split(",");
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  for (const r of opts.rows) if (!ROWS.includes(r)) throw new Error(`unknown row "${r}"; rows: ${ROWS.join(", ")}`);
  opts.samples = opts.quick ? 3 : 10;
  return opts;
}

const ms = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : "-");
const ns = (x) => (Number.isFinite(x) ? x.toFixed(2) : "-");

function busyPart(opts) {
  const setup = setUp({ rows: opts.rows });
  try {
    console.log(machineInfo(setup));
    const rows = [];
    for (const row of setup.rows) {
      if (row.error) {
        rows.push([row.label, row.error, "", "", "", ""]);
        continue;
      }
      process.stderr.write(`[bench interrupt] ${row.label}: control while busy, interrupts after an await\n`);
      const r = drive(setup, ["busy", row.spec, row.lang, String(opts.samples)], 300_000);
      if (r.error) {
        rows.push([row.label, `failed: ${r.error}`, "", "", "", ""]);
        continue;
      }
      const answeredWhileBusy = r.control_ms.length - r.control_late;
      const interrupted = r.interrupt_failed === null ? `${r.interrupt_ms.length}/${opts.samples}` : `${r.interrupt_ms.length}/${opts.samples} (${r.interrupt_failed})`;
      rows.push([
        row.label,
        `${answeredWhileBusy}/${r.control_ms.length}`,
        ms(median(r.control_ms)),
        ms(Math.max(...r.control_ms)),
        interrupted,
        r.interrupt_ms.length ? `${ms(median(r.interrupt_ms))} / ${ms(Math.max(...r.interrupt_ms))}` : "-",
      ]);
    }
    console.log(`\n## Control while a cell busy-loops, and interrupts after an await`);
    console.log(`A cell spins in synchronous code (TypeScript: while (Date.now() - t0 < ms) {}; Python: the same with time.time());`);
    console.log(`${opts.samples} kernel_info_requests go to the control channel 0.2 s apart, each timed to its reply ("answered while busy":`);
    console.log(`the cell had not ended yet). Then ${opts.samples} cells each await a 10 ms timer and spin (while (true) {} / while True: pass)`);
    console.log(`and are interrupted as jupyter_client does it for the kernelspec (asyncio-ts, ipykernel, tslab: SIGINT;`);
    console.log(`Deno: interrupt_request on control), timed from the interrupt to the cell's execute_reply.\n`);
    console.log(table(["kernel", "answered while busy", "control p50 ms", "max ms", "interrupted after await", "interrupt p50 / max ms"], rows, ["l", "r", "r", "r", "r", "r"]));
  } finally {
    rmSync(setup.prefix, { recursive: true, force: true });
  }
}

function loopsPart(opts) {
  const nodes = setUpNodes(["20", "24"]);
  console.log(`\n## The cost of the interrupt checks per loop iteration`);
  console.log(`Each workload is a cell compiled twice, with the checks (\`if (flag[0]) raise();\` at the top of every loop and function`);
  console.log(`body) and without; the two run alternately in one process per Node (1 warm-up, then ${opts.quick ? 3 : 7} runs each; medians).`);
  console.log(`Top-level names of a cell are globals, as in the kernel. Node: ${nodesText(nodes)}.\n`);
  const rows = [];
  for (const node of nodes) {
    if (node.error) continue;
    process.stderr.write(`[bench interrupt] loop cost on Node ${node.version}\n`);
    const r = spawnSync(node.bin, [join(root, "bench", "interrupt", "loops.mjs"), ...(opts.quick ? ["--quick"] : [])], { encoding: "utf8", maxBuffer: 16 * 2 ** 20 });
    if (r.status !== 0) {
      rows.push([node.version, `failed: ${(r.stderr ?? "").trim().split("\n").slice(-2).join(" | ")}`, "", "", "", ""]);
      continue;
    }
    const out = JSON.parse(r.stdout.trim().split("\n").pop());
    for (const w of out.results) {
      const c = median(w.checked) / w.iterations;
      const u = median(w.unchecked) / w.iterations;
      rows.push([out.node, w.name, ns(u), ns(c), ns(c - u), fmtRatio(c / u)]);
    }
  }
  console.log(table(["node", "workload", "ns/iteration without", "with checks", "added", "ratio"], rows, ["l", "l", "r", "r", "r", "r"]));
  console.log(`\n${LOOPS.map((l) => `- ${l.name}: ${l.title}`).join("\n")}`);
}

/** Runs the benchmark with the command-line arguments after `interrupt`. */
export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  console.log(`# asyncio-ts: control and interrupts while a cell is busy${opts.quick ? " (--quick: smoke test, not a result)" : ""}\n`);
  busyPart(opts);
  if (opts.loops) loopsPart(opts);
}
