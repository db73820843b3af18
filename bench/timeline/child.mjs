// One measurement of the timeline benchmark, in a fresh process: a workload run in rounds on
// asyncio-ts (the built library in dist/), either plainly (`off`) or with each round recorded
// by its own `timeline()` (`on`), after a warm-up of the same shape. Run by run.mjs.
//
// Command line: child.mjs <workload> <opsPerRound> <rounds> <off|on>
// Output (last line of stdout): {"ok":true,"seconds":..,"ops":..,"spans":..,"buildSeconds":..}
//                                or {"ok":false,"error":".."}. `seconds` leaves out `buildSeconds`, the time
//                                spent making the recorded spans into TimelineSpan objects afterwards.
import * as asyncio from "../../dist/asyncio/index.js";
import { timeline } from "../../dist/asyncio/timeline.js";

/** Tasks (or callback chains) running side by side, so that each iteration runs a batch of them, as in real programs. */
const WIDTH = 100;

/** The workloads: each runs `ops` operations on the running loop and resolves when they are done. */
const WORKLOADS = {
  /** `ops` callbacks: WIDTH chains, each callback schedules the next with callSoon. */
  callsoon(loop, ops) {
    const done = loop.createFuture();
    let left = WIDTH;
    function tick(k) {
      if (k > 1) loop.callSoon(tick, k - 1);
      else if (--left === 0) done.setResult(null);
    }
    for (let i = 0; i < WIDTH; i++) loop.callSoon(tick, ops / WIDTH);
    return done;
  },
  /** `ops` generator task steps: WIDTH tasks, each `yield* sleep(0)` (one Task.step handle per step). */
  gen(loop, ops) {
    const per = ops / WIDTH;
    function* worker() {
      for (let i = 0; i < per; i++) yield* asyncio.sleep(0);
    }
    return asyncio.gather(...Array.from({ length: WIDTH }, () => loop.createTask(worker())));
  },
  /** `ops` async-function task steps: WIDTH tasks, each `await sleep(0)` (a callback, a wake-up, a resume). */
  async(loop, ops) {
    const per = ops / WIDTH;
    async function worker() {
      for (let i = 0; i < per; i++) await asyncio.sleep(0);
    }
    return asyncio.gather(...Array.from({ length: WIDTH }, () => loop.createTask(worker)));
  },
};

async function measure(workload, ops, rounds, mode) {
  const run = WORKLOADS[workload];
  if (run === undefined) throw new Error(`unknown workload ${workload}`);
  return asyncio.run(async () => {
    const loop = asyncio.getRunningLoop();
    let spans = 0;
    let building = 0;
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) {
      if (mode === "on") {
        const tl = await timeline(() => run(loop, ops));
        // The spans are made when first asked for: timed apart, since the loop does not wait for it.
        const b0 = performance.now();
        spans += tl.spans.length;
        building += performance.now() - b0;
      } else await run(loop, ops);
    }
    return { seconds: (performance.now() - t0 - building) / 1000, spans, buildSeconds: building / 1000 };
  });
}

const [workload, opsArg, roundsArg, mode] = process.argv.slice(2);
try {
  const ops = Number(opsArg);
  const rounds = Number(roundsArg);
  if (mode !== "on" && mode !== "off") throw new Error("usage: child.mjs <workload> <opsPerRound> <rounds> <off|on>");
  // The warm-up has the measured pass's shape, a third as many rounds, so the JIT has seen both.
  await measure(workload, ops, Math.max(1, Math.floor(rounds / 3)), mode);
  const r = await measure(workload, ops, rounds, mode);
  process.stdout.write(JSON.stringify({ ok: true, ops: ops * rounds, ...r }) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }) + "\n");
  process.exitCode = 1;
}
