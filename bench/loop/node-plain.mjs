// The loop benchmark's workloads in plain Node, without asyncio-ts: the idiomatic equivalent of
// each asyncio operation, so the table shows what the library costs over Node itself.
//   callSoon(cb, ...args)          -> setImmediate(cb, ...args)   (FIFO; scheduled during a turn,
//                                     runs next turn: the same contract as call_soon)
//   create_future + call_soon(set_result) + await
//                                  -> new Promise + setImmediate(resolve) + await   (`future`)
//                                     new Promise + queueMicrotask(resolve) + await (`future-microtask`,
//                                     shown for reference: the cheapest await Node has)
//   create_task(child) + gather    -> child() (an async function) + Promise.all
//   sleep(0)                       -> await new Promise((r) => setImmediate(r))
//   asyncio.Queue                  -> a 20-line Promise queue (below)
//   call_later(0.01, cb)           -> setTimeout(cb, 10)
// Run by run.mjs in a fresh process; see child.mjs for the protocol.
import { latenessStats, runChild } from "./child.mjs";

const CHAINS = 1000;
const TIMER_DELAY_MS = 10;

/** An unbounded FIFO queue of Promises: what a Node programmer writes instead of asyncio.Queue. */
class PromiseQueue {
  #items = [];
  #getters = [];
  put(x) {
    const getter = this.#getters.shift();
    if (getter !== undefined) getter(x);
    else this.#items.push(x);
  }
  async get() {
    if (this.#items.length > 0) return this.#items.shift();
    return new Promise((resolve) => this.#getters.push(resolve));
  }
}

const workloads = {
  callsoon(n) {
    return new Promise((resolveDone) => {
      const len = n / CHAINS;
      let left = CHAINS;
      let t0 = 0;
      function tick(k) {
        if (k > 1) setImmediate(tick, k - 1);
        else if (--left === 0) resolveDone({ seconds: (performance.now() - t0) / 1000 });
      }
      function start() {
        for (let i = 0; i < CHAINS; i++) setImmediate(tick, len);
      }
      t0 = performance.now();
      setImmediate(start);
    });
  },

  async future(n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      let resolve;
      const p = new Promise((r) => {
        resolve = r;
      });
      setImmediate(resolve, null);
      await p;
    }
    return { seconds: (performance.now() - t0) / 1000 };
  },

  async "future-microtask"(n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      let resolve;
      const p = new Promise((r) => {
        resolve = r;
      });
      queueMicrotask(() => resolve(null));
      await p;
    }
    return { seconds: (performance.now() - t0) / 1000 };
  },

  async tasks(n) {
    async function child() {
      await new Promise((r) => setImmediate(r));
    }
    const t0 = performance.now();
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(child());
    await Promise.all(tasks);
    return { seconds: (performance.now() - t0) / 1000 };
  },

  async queue(n) {
    const q1 = new PromiseQueue();
    const q2 = new PromiseQueue();
    async function pinger() {
      for (let i = 0; i < n; i++) {
        q1.put(i);
        await q2.get();
      }
    }
    async function ponger() {
      for (let i = 0; i < n; i++) {
        const x = await q1.get();
        q2.put(x);
      }
    }
    const t0 = performance.now();
    await Promise.all([pinger(), ponger()]);
    return { seconds: (performance.now() - t0) / 1000 };
  },

  timers(n) {
    return new Promise((resolveDone) => {
      // Node's timer clock is libuv's cached millisecond clock, so due and fire times are read
      // from performance.now(), the real clock (as the asyncio-ts loop's time() is).
      const due = new Float64Array(n);
      const fired = new Float64Array(n);
      let left = n;
      let t0 = 0;
      function fire(i) {
        fired[i] = performance.now();
        if (--left === 0) resolveDone({ seconds: (performance.now() - t0) / 1000, lateness: latenessStats(fired, due, 1) });
      }
      t0 = performance.now();
      for (let i = 0; i < n; i++) {
        due[i] = performance.now() + TIMER_DELAY_MS;
        setTimeout(fire, TIMER_DELAY_MS, i);
      }
    });
  },
};

async function measure(workload, n) {
  const impl = workloads[workload];
  if (impl === undefined) throw new Error(`unknown workload ${workload}`);
  return impl(n);
}

await runChild(measure, `node ${process.version}`);
