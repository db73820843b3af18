// The loop benchmark's workloads on asyncio-ts (the built library in dist/), in both coroutine
// styles: `--style=async` (async functions, `await`) and `--style=gen` (generator functions,
// `yield*`, the `yield from` of Python 3.4). Each workload mirrors python.py line for line.
// Run by run.mjs in a fresh process; see child.mjs for the protocol.
import * as asyncio from "../../dist/asyncio/index.js";
import { latenessStats, runChild } from "./child.mjs";

/** callSoon workload shape, the same in every runtime: CHAINS chains, each n / CHAINS callbacks long. */
const CHAINS = 1000;
/** Timer workload delay, seconds. */
const TIMER_DELAY = 0.01;

function resolveFut(f) {
  f.setResult(null);
}

/** Sets up the callSoon chains; calling `start` from a callback begins them. */
function callSoonSetup(loop, n) {
  const len = n / CHAINS;
  const done = loop.createFuture();
  let left = CHAINS;
  function tick(k) {
    if (k > 1) loop.callSoon(tick, k - 1);
    else if (--left === 0) done.setResult(null);
  }
  function start() {
    for (let i = 0; i < CHAINS; i++) loop.callSoon(tick, len);
  }
  return { done, start };
}

/** Sets up n timers of TIMER_DELAY; `schedule()` schedules them all at once. */
function timerSetup(loop, n) {
  const due = new Float64Array(n);
  const fired = new Float64Array(n);
  const done = loop.createFuture();
  let left = n;
  function fire(i) {
    fired[i] = loop.time();
    if (--left === 0) done.setResult(null);
  }
  function schedule() {
    for (let i = 0; i < n; i++) due[i] = loop.callLater(TIMER_DELAY, fire, i).when();
  }
  return { done, schedule, stats: () => latenessStats(fired, due, 1000) };
}

function queueClass() {
  if (typeof asyncio.Queue !== "function") throw new Error("asyncio.Queue is not exported by asyncio-ts (src/asyncio/queues.ts missing?)");
  return asyncio.Queue;
}

// -- async/await ------------------------------------------------------------------------------

const asyncWorkloads = {
  async callsoon(loop, n) {
    const { done, start } = callSoonSetup(loop, n);
    const t0 = performance.now();
    loop.callSoon(start);
    await done;
    return { seconds: (performance.now() - t0) / 1000 };
  },

  async future(loop, n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const f = loop.createFuture();
      loop.callSoon(resolveFut, f);
      await f;
    }
    return { seconds: (performance.now() - t0) / 1000 };
  },

  async tasks(loop, n) {
    async function child() {
      await asyncio.sleep(0);
    }
    const t0 = performance.now();
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(loop.createTask(child));
    await asyncio.gather(...tasks);
    return { seconds: (performance.now() - t0) / 1000 };
  },

  async queue(loop, n) {
    const Queue = queueClass();
    const q1 = new Queue();
    const q2 = new Queue();
    async function pinger() {
      for (let i = 0; i < n; i++) {
        await q1.put(i);
        await q2.get();
      }
    }
    async function ponger() {
      for (let i = 0; i < n; i++) {
        const x = await q1.get();
        await q2.put(x);
      }
    }
    const t0 = performance.now();
    await asyncio.gather(loop.createTask(pinger), loop.createTask(ponger));
    return { seconds: (performance.now() - t0) / 1000 };
  },

  async timers(loop, n) {
    const { done, schedule, stats } = timerSetup(loop, n);
    const t0 = performance.now();
    schedule();
    await done;
    return { seconds: (performance.now() - t0) / 1000, lateness: stats() };
  },
};

// -- generators (yield*) ----------------------------------------------------------------------

const genWorkloads = {
  *callsoon(loop, n) {
    const { done, start } = callSoonSetup(loop, n);
    const t0 = performance.now();
    loop.callSoon(start);
    yield* done;
    return { seconds: (performance.now() - t0) / 1000 };
  },

  *future(loop, n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const f = loop.createFuture();
      loop.callSoon(resolveFut, f);
      yield* f;
    }
    return { seconds: (performance.now() - t0) / 1000 };
  },

  *tasks(loop, n) {
    function* child() {
      yield* asyncio.sleep(0);
    }
    const t0 = performance.now();
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(loop.createTask(child()));
    yield* asyncio.gather(...tasks);
    return { seconds: (performance.now() - t0) / 1000 };
  },

  *queue(loop, n) {
    const Queue = queueClass();
    const q1 = new Queue();
    const q2 = new Queue();
    function* pinger() {
      for (let i = 0; i < n; i++) {
        yield* q1.put(i);
        yield* q2.get();
      }
    }
    function* ponger() {
      for (let i = 0; i < n; i++) {
        const x = yield* q1.get();
        yield* q2.put(x);
      }
    }
    const t0 = performance.now();
    yield* asyncio.gather(loop.createTask(pinger()), loop.createTask(ponger()));
    return { seconds: (performance.now() - t0) / 1000 };
  },

  *timers(loop, n) {
    const { done, schedule, stats } = timerSetup(loop, n);
    const t0 = performance.now();
    schedule();
    yield* done;
    return { seconds: (performance.now() - t0) / 1000, lateness: stats() };
  },
};

/** One measurement on a fresh loop, closed afterwards. */
async function measure(workload, n, style) {
  const table = style === "gen" ? genWorkloads : asyncWorkloads;
  const impl = table[workload];
  if (impl === undefined) throw new Error(`unknown workload ${workload}`);
  const loop = asyncio.newEventLoop();
  try {
    // The async form is handed over as a function, so the Task starts it (API.md's recommended
    // form); the generator form as a generator object, as Python 3.4 did.
    const main = style === "gen" ? impl(loop, n) : () => impl(loop, n);
    return await loop.runUntilComplete(main);
  } finally {
    loop.close();
  }
}

await runChild(measure, `node ${process.version}`);
