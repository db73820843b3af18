// `npm run bench -- <name> [options]`: runs one of the side-by-side benchmarks in bench/.
// Each benchmark installs and builds what it needs itself (see install/ensure.mjs), so this
// one command works on a fresh clone. bench/README.md describes them.

/** The benchmarks, by name: each module exports `main(argv)`. */
const BENCHMARKS = {
  loop: { about: "event loop: callSoon, Futures, tasks, Queues, timers vs CPython, uvloop, plain Node", load: () => import("../bench/loop/run.mjs") },
  echo: { about: "echo servers on loopback: asyncio-ts protocols and streams vs CPython, uvloop, node:net", load: () => import("../bench/echo/run.mjs") },
  http: {
    about: "HTTP servers: asyncio-ts low-level, web, REST, multi-process vs node:http, fastify, aiohttp (+ uvloop); wrk and autocannon",
    load: () => import("../bench/http/run.mjs"),
  },
  kernel: { about: "Jupyter kernels: start-up, cell round trip, RSS vs tslab, Deno, ipykernel; echo while a cell compiles", load: () => import("../bench/kernel/run.mjs") },
  interrupt: {
    about: "a busy kernel: control latency and interrupts after an await vs ipykernel, tslab, Deno; the per-iteration cost of the interrupt checks",
    load: () => import("../bench/interrupt/run.mjs"),
  },
  timeline: { about: "what recording a timeline costs the loop: ns per callback and per task step, off vs recording", load: () => import("../bench/timeline/run.mjs") },
  checker: { about: "the kernel's TypeScript 7 checker: first check, typed-cell re-check, completion, inspection, RSS", load: () => import("../bench/checker/run.mjs") },
};

function usage() {
  const names = Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(8)} ${b.about}`);
  return `usage: npm run bench -- <name> [options]   (npm run bench -- <name> --help for its options)\nbenchmarks:\n${names.join("\n")}`;
}

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || name === "--help" || name === "-h") {
  console.log(usage());
  if (name === undefined) process.exitCode = 2;
} else if (!Object.hasOwn(BENCHMARKS, name)) {
  console.error(`unknown benchmark "${name}"; the benchmarks are: ${Object.keys(BENCHMARKS).join(", ")}\n\n${usage()}`);
  process.exitCode = 2;
} else {
  try {
    const mod = await BENCHMARKS[name].load();
    await mod.main(rest);
  } catch (e) {
    console.error(`bench ${name}: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
