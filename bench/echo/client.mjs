// The echo benchmark's load generator: the same client for every server, one process (the
// machine's Node), loopback only. It reads the server's CPU time from /proc/<pid>/stat at the
// start and the end of its measured window, and its own with process.cpuUsage().
//
//   node client.mjs rr <port> <serverPid> --conns=50 --seconds=10 --warmup=1 --size=64
//     closed loop: each connection sends one line (size-1 bytes of "x" and "\n") and sends the
//     next only when the whole echo is back; counts completed round trips in the window of
//     `seconds` that starts after `warmup` seconds.
//   node client.mjs stream <port> <serverPid> --bytes=N --warmup-bytes=W
//     one connection writes W + N bytes as fast as the socket takes them (64 KiB writes,
//     waiting for "drain" when Node's buffer is full) while it reads the echo; the window runs
//     from when W bytes have come back until all W + N have.
//
// Reads use `onread` with one reused buffer and writes reuse one Buffer, so the client
// allocates nothing per message. Prints one JSON line:
//   {"ok":true,"ops":..,"bytes":..,"seconds":..,"serverCpu":..,"clientCpu":..}  (CPU in seconds)
// Every phase is bounded: a time limit (--limit=, seconds) ends the run with an error.
import net from "node:net";
import { cpuSeconds } from "../harness.mjs";

const [workload, portArg, pidArg, ...rest] = process.argv.slice(2);
const opt = (name, dflt) => Number((rest.find((a) => a.startsWith(`--${name}=`)) ?? `--${name}=${dflt}`).slice(name.length + 3));
const port = Number(portArg);
const serverPid = Number(pidArg);
const CLK_TCK = opt("clk-tck", 100);
const HOST = "127.0.0.1";

/** The server's user + system CPU time in seconds (null without /proc). */
function serverCpu() {
  return cpuSeconds(serverPid, CLK_TCK);
}

function clientCpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function done(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(result.ok ? 0 : 1);
}

function fail(message) {
  done({ ok: false, error: message });
}

function connect(onread) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port, noDelay: true, onread });
    sock.once("error", reject);
    sock.once("connect", () => {
      sock.off("error", reject);
      sock.on("error", (e) => fail(`client socket: ${e.message}`));
      resolve(sock);
    });
  });
}

async function requestResponse() {
  const conns = opt("conns", 50);
  const seconds = opt("seconds", 10);
  const warmup = opt("warmup", 1);
  const size = opt("size", 64);
  const limit = opt("limit", warmup + seconds + 30);
  setTimeout(() => fail(`time limit of ${limit} s reached`), limit * 1000).unref();

  const line = Buffer.alloc(size, "x");
  line[size - 1] = 0x0a;
  const readBuf = Buffer.allocUnsafe(65536);
  let completed = 0;
  let stopping = false;
  let inFlight = 0;
  let onIdle = null;

  const socks = [];
  for (let i = 0; i < conns; i++) {
    let got = 0;
    let sock = null;
    const onread = {
      buffer: readBuf,
      callback(n, buf) {
        got += n;
        if (got > size) fail(`got ${got} bytes for a ${size}-byte line`);
        if (got < size) return;
        if (buf[n - 1] !== 0x0a) fail("the echo does not end with the line's newline");
        got = 0;
        completed++;
        if (stopping) {
          if (--inFlight === 0) onIdle?.();
        } else {
          sock.write(line);
        }
      },
    };
    sock = await connect(onread);
    socks.push(sock);
  }

  for (const s of socks) s.write(line);
  inFlight = conns;
  await new Promise((r) => setTimeout(r, warmup * 1000));
  const c0 = completed;
  const s0 = serverCpu();
  const k0 = clientCpu();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c1 = completed;
  const s1 = serverCpu();
  const k1 = clientCpu();
  const t1 = performance.now();
  stopping = true;
  // Let the lines in flight come back, then close.
  await new Promise((r) => {
    onIdle = r;
    setTimeout(r, 2000);
  });
  for (const s of socks) s.destroy();
  done({ ok: true, ops: c1 - c0, bytes: (c1 - c0) * size, seconds: (t1 - t0) / 1000, serverCpu: s0 === null ? null : s1 - s0, clientCpu: k1 - k0, connections: conns });
}

async function stream() {
  const bytes = opt("bytes", 2 ** 30);
  const warmupBytes = opt("warmup-bytes", 32 * 2 ** 20);
  const total = bytes + warmupBytes;
  const limit = opt("limit", 30 + total / 5e6); // fails below 5 MB/s
  setTimeout(() => fail(`time limit of ${limit.toFixed(0)} s reached`), limit * 1000).unref();

  const CHUNK = 65536;
  const chunk = Buffer.alloc(CHUNK, "y");
  let received = 0;
  let s0 = null;
  let k0 = 0;
  let t0 = 0;
  let finish = null;
  const finished = new Promise((r) => (finish = r));
  const sock = await connect({
    buffer: Buffer.allocUnsafe(CHUNK * 4),
    callback(n) {
      const before = received;
      received += n;
      if (before < warmupBytes && received >= warmupBytes) {
        s0 = serverCpu();
        k0 = clientCpu();
        t0 = performance.now();
      }
      if (received >= total) finish();
    },
  });

  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      if (!sock.write(n === CHUNK ? chunk : chunk.subarray(0, n))) {
        sock.once("drain", pump);
        return;
      }
    }
  };
  pump();
  await finished;
  const s1 = serverCpu();
  const k1 = clientCpu();
  const t1 = performance.now();
  if (received !== total) fail(`received ${received} bytes, sent ${total}`);
  sock.destroy();
  done({ ok: true, ops: bytes, bytes, seconds: (t1 - t0) / 1000, serverCpu: s0 === null ? null : s1 - s0, clientCpu: k1 - k0 });
}

try {
  if (!(port > 0)) throw new Error("usage: client.mjs rr|stream <port> <serverPid> [--options]");
  if (workload === "rr") await requestResponse();
  else if (workload === "stream") await stream();
  else throw new Error(`unknown workload ${workload}`);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
