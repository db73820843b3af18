// `npm run bench -- timeline`: what recording a timeline costs the loop (issue 13). Three
// workloads (callSoon callbacks, generator task steps, async-function task steps), each run in
// rounds with the timeline off and with each round recorded by `timeline()`, on Node 20 and 24;
// each measurement is a fresh process (child.mjs: a warm-up, then the measured rounds), the two
// modes run alternately, and each cell is the median of the runs. Printed: nanoseconds per
// operation off and recording, the difference (the recording's cost per operation) and the
// ratio, plus the cost of making the recorded spans into objects afterwards. See bench/README.md.
// The loop with no timeline set is `npm run bench -- loop`: the hook costs it one field test
// per iteration.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { build, ensureNodeModules, root } from "../../install/ensure.mjs";
import { fmtRatio, libraryLine, machineLines, median, nodesText, table } from "../harness.mjs";
import { setUpNodes } from "../runtimes.mjs";

const here = join(root, "bench", "timeline");

/**
 * The workloads. `ops` per round stays under the timeline's 200,000 kept spans (an async step
 * is about four spans: the sleep's callback, the future's wake-up, the resume, a done callback),
 * so every span of the measured rounds is really recorded.
 */
export const WORKLOADS = [
  { name: "callsoon", title: "callSoon callbacks: 100 chains, each callback schedules the next", unit: "callback", ops: 20_000, rounds: 30, quickRounds: 6 },
  { name: "gen", title: "generator task steps: 100 tasks, each `yield* sleep(0)` in a loop (one Task.step handle a step)", unit: "step", ops: 20_000, rounds: 30, quickRounds: 6 },
  {
    name: "async",
    title: "async-function task steps: 100 tasks, each `await sleep(0)` in a loop (a callback, a wake-up, a resume)",
    unit: "step",
    ops: 20_000,
    rounds: 30,
    quickRounds: 6,
  },
];

const USAGE = `usage: npm run bench -- timeline [workload ...] [options]
workloads: ${WORKLOADS.map((w) => w.name).join(", ")} (default: all)
options:
  --quick        1/5 of the rounds, 1 run: a smoke test, not a result
  --runs=N       runs per cell (default 5; the median is shown)
  --node=20,24   which Node versions run (default both: the machine's node and Node 24)
  --help`;

function parseArgs(argv) {
  const opts = { workloads: [], quick: false, runs: null, nodes: ["20", "24"], help: false };
  for (const a of argv) {
    if (a === "--quick") opts.quick = true;
    else if (a === "--help" || a === "-h") opts.help = true;
    else if (a.startsWith("--runs=")) opts.runs = Number(a.slice(7));
    else if (a.startsWith("--node=")) opts.nodes = a.slice(7).split(",");
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}\n${USAGE}`);
    else opts.workloads.push(a);
  }
  for (const w of opts.workloads) if (!WORKLOADS.some((x) => x.name === w)) throw new Error(`unknown workload "${w}"; workloads: ${WORKLOADS.map((x) => x.name).join(", ")}`);
  if (opts.runs !== null && !(Number.isInteger(opts.runs) && opts.runs >= 1)) throw new Error("--runs wants a whole number >= 1");
  if (opts.runs === null) opts.runs = opts.quick ? 1 : 5;
  return opts;
}

function log(msg) {
  process.stderr.write(`[bench timeline] ${msg}\n`);
}

function runOnce(node, workload, rounds, mode) {
  const r = spawnSync(node.bin, [join(here, "child.mjs"), workload.name, String(workload.ops), String(rounds), mode], {
    encoding: "utf8",
    cwd: root,
    timeout: 600_000,
    env: { ...process.env, ASYNCIO_DEBUG: "" },
  });
  const last = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(last);
    return parsed.ok ? parsed : { error: parsed.error };
  } catch {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    return { error: `${why}: ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}` };
  }
}

const ns = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : "-");

/** Runs the benchmark with the command-line arguments after `timeline`. */
export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  ensureNodeModules();
  log("building dist/ (tsc -p tsconfig.build.json)");
  build();
  const nodes = setUpNodes(opts.nodes);
  const workloads = opts.workloads.length > 0 ? WORKLOADS.filter((w) => opts.workloads.includes(w.name)) : WORKLOADS;

  console.log(`# asyncio-ts timeline benchmark${opts.quick ? " (--quick: smoke test, not a result)" : ""}\n`);
  const header = [...machineLines(), `node:     ${nodesText(nodes)}`];
  const library = libraryLine();
  if (library !== null) header.push(library);
  console.log(header.join("\n"));
  console.log(
    `\nns per operation, lower is better; median of ${opts.runs} run(s), each a fresh process (a warm-up of a third of the rounds, then the measured rounds),` +
      "\nthe two modes run alternately. off: no timeline; recording: each round inside `await timeline(...)`. `spans` is the" +
      "\ncost, per span, of making the recorded spans into objects when `tl.spans` is first read (not part of the recording).\n",
  );

  const rows = [];
  for (const workload of workloads) {
    const rounds = opts.quick ? workload.quickRounds : workload.rounds;
    for (const node of nodes) {
      const label = `${workload.name}, Node ${node.version}`;
      if (node.error) {
        rows.push([label, node.error, "", "", "", "", ""]);
        continue;
      }
      const off = [];
      const on = [];
      let error = null;
      for (let k = 0; k < opts.runs && error === null; k++) {
        // Alternate which mode goes first, so a drift in the machine's load hits both alike.
        for (const mode of k % 2 === 0 ? ["off", "on"] : ["on", "off"]) {
          const r = runOnce(node, workload, rounds, mode);
          if (r.error !== undefined) {
            error = r.error;
            break;
          }
          (mode === "off" ? off : on).push(r);
          log(`${label} run ${k + 1}/${opts.runs} ${mode}: ${r.seconds.toFixed(3)} s`);
        }
      }
      if (error !== null) {
        rows.push([label, `failed: ${error.slice(0, 60)}`, "", "", "", "", ""]);
        continue;
      }
      const offNs = median(off.map((r) => (r.seconds * 1e9) / r.ops));
      const onNs = median(on.map((r) => (r.seconds * 1e9) / r.ops));
      const spansPerOp = median(on.map((r) => r.spans / r.ops));
      const buildNs = median(on.map((r) => (r.buildSeconds * 1e9) / r.spans));
      rows.push([label, ns(offNs), ns(onNs), ns(onNs - offNs), fmtRatio(onNs / offNs), spansPerOp.toFixed(2), ns(buildNs)]);
    }
  }
  console.log(table(["workload", "off ns/op", "recording ns/op", "cost ns/op", "ratio", "spans/op", "spans ns/span"], rows, ["l", "r", "r", "r", "r", "r", "r"]));
  for (const w of workloads) console.log(`- ${w.name}: ${w.title}; ${w.ops.toLocaleString("en-US")} ${w.unit}s a round`);
}
