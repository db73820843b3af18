// The child of `npm run bench -- interrupt`'s loop-cost part: compiles each workload as a cell
// twice, with the interrupt checks the kernel puts in every loop and function body and without
// them (compileCell's `interruptChecks: false`, for this measurement only), runs each in turn
// on this Node (a warm-up run, then RUNS measured runs, alternating), and prints one JSON line.
import vm from "node:vm";
import { INTERRUPT_GLOBAL, RESULT_KEY, compileCell } from "../../dist/kernel/compiler.js";
import { InterruptFlag } from "../../dist/kernel/interrupts.js";
import { LOOPS } from "./workloads.mjs";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 3 : 7;

const flag = new InterruptFlag();
globalThis[INTERRUPT_GLOBAL] = { flag: flag.flag, raise: flag.raise };

async function timeCell(code) {
  const t0 = process.hrtime.bigint();
  const box = await vm.runInThisContext(code);
  const ns = Number(process.hrtime.bigint() - t0);
  return { ns, iterations: box[RESULT_KEY] };
}

const results = [];
for (const w of LOOPS) {
  const n = quick ? Math.max(1, Math.floor(w.n / 10)) : w.n;
  const source = w.code(n);
  const checked = compileCell(source, "loop.ts");
  // Top-level names are globals, as in the kernel (a cell's `let s` is a global property).
  for (const name of checked.declared) globalThis[name] = undefined;
  const variants = { checked: checked.code, unchecked: compileCell(source, "loop.ts", { interruptChecks: false }).code };
  const ns = { checked: [], unchecked: [] };
  let iterations = 0;
  for (const v of ["checked", "unchecked"]) await timeCell(variants[v]);
  for (let r = 0; r < RUNS; r++) {
    for (const v of r % 2 === 0 ? ["checked", "unchecked"] : ["unchecked", "checked"]) {
      const t = await timeCell(variants[v]);
      ns[v].push(t.ns);
      iterations = t.iterations;
    }
  }
  results.push({ name: w.name, title: w.title, iterations, checked: ns.checked, unchecked: ns.unchecked });
}
process.stdout.write(JSON.stringify({ node: process.version, results }) + "\n");
