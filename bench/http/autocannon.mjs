// The http benchmark's second load generator: autocannon (npm), driven through its API so that
// one warm process does the warm-up and then the measured run, and so that the server's CPU
// time is read at the measured run's edges (as the echo benchmark's client does), not at the
// process's. One Node process on the machine's Node.
//
//   node autocannon.mjs <url> <serverPid> --connections=100 --seconds=5 --warmup=2 --clk-tck=100 [--tree]
//
// --tree counts the server's descendants' CPU too (a supervisor and its workers). Prints one
// JSON line: {"ok":true,"requests":..,"seconds":..,"p50Ms":..,"p99Ms":..,"errors":..,"timeouts":..,
// "non2xx":..,"serverCpu":..} (CPU in seconds, null without /proc), or {"ok":false,"error":..}.
import autocannon from "autocannon";
import { cpuSeconds } from "../harness.mjs";

const [url, pidArg, ...rest] = process.argv.slice(2);
const opt = (name, dflt) => Number((rest.find((a) => a.startsWith(`--${name}=`)) ?? `--${name}=${dflt}`).slice(name.length + 3));
const serverPid = Number(pidArg);
const clkTck = opt("clk-tck", 100);
const tree = rest.includes("--tree");

/** One autocannon run; resolves to its results object. */
function load(seconds) {
  return autocannon({ url, connections: opt("connections", 100), duration: seconds });
}

function done(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(result.ok ? 0 : 1);
}

try {
  if (!url || !(serverPid > 0)) throw new Error("usage: autocannon.mjs <url> <serverPid> [--options]");
  const warmup = opt("warmup", 2);
  if (warmup > 0) await load(warmup);
  const cpu0 = cpuSeconds(serverPid, clkTck, { tree });
  const r = await load(opt("seconds", 5));
  const cpu1 = cpuSeconds(serverPid, clkTck, { tree });
  done({
    ok: true,
    requests: r.requests.total,
    seconds: r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    serverCpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
  });
} catch (e) {
  done({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
