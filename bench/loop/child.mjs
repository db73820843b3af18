// What every JavaScript child of the loop benchmark shares: reading its command line, the
// warm-up-then-measure protocol, lateness statistics, and the one JSON line it prints.
// The workloads themselves live in asyncio-ts.mjs and node-plain.mjs; python.py mirrors this.
//
// Command line: <script> <workload> <n> <warmupN> [--style=async|gen]
// Output (last line of stdout): {"ok":true,"seconds":..,"ops":..,"lateness":{..}?,"runtime":".."}
//                            or {"ok":false,"error":".."} with exit code 1.

/** Parses argv into { workload, n, warmup, style }. */
export function parseChildArgs(argv = process.argv.slice(2)) {
  const [workload, n, warmup] = argv;
  const style = (argv.find((a) => a.startsWith("--style=")) ?? "--style=async").slice("--style=".length);
  if (workload === undefined || n === undefined || warmup === undefined) throw new Error("usage: <workload> <n> <warmupN> [--style=async|gen]");
  return { workload, n: Number(n), warmup: Number(warmup), style };
}

/** p-th percentile (0..100) of a sorted array, nearest rank. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Lateness statistics in milliseconds from fire times and due times (same clock, any unit * scale). */
export function latenessStats(fired, due, scaleToMs) {
  const late = new Float64Array(fired.length);
  for (let i = 0; i < fired.length; i++) late[i] = (fired[i] - due[i]) * scaleToMs;
  late.sort();
  return { p50: percentile(late, 50), p99: percentile(late, 99), max: late[late.length - 1], min: late[0] };
}

/**
 * Runs `measure(n)` once on `warmup` items (JIT warm-up, result thrown away), then on `n`, and
 * prints the JSON line. `measure` resolves to { seconds, lateness? }.
 */
export async function runChild(measure, runtime) {
  let args;
  try {
    args = parseChildArgs();
    if (args.warmup > 0) await measure(args.workload, args.warmup, args.style);
    const r = await measure(args.workload, args.n, args.style);
    process.stdout.write(JSON.stringify({ ok: true, ops: args.n, runtime, ...r }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }) + "\n");
    process.exitCode = 1;
  }
}
