// The kernel's frame fuzzer (`npm run fuzz`, which builds dist/ first; `node test/fuzz/fuzzer.mjs`
// runs it on dist/ as it is; test/fuzz/fuzz.test.ts runs a short one in `npm test`). Starts a real kernel process from dist/, sends it every class of malformed, forged
// and pathological message on every socket (cases.mjs), and every few hundred messages checks
// through properly signed requests that it still answers correctly: heartbeat echo, kernel_info
// on shell and control, `1 + 1` giving 2, no forged code run, no replayed cell run twice, every
// message answered as its class requires. The kernel process must never die. Prints the messages
// sent per class and the checks passed and failed; ends non-zero on any failure.
//
//   npm run fuzz -- [--count 10000] [--seconds 300] [--seed N] [--check-every 250] [--huge N]
//                   [--only a,b] [--known] [--no-type-check] [--log FILE] [--json FILE]
//
// Everything binds and connects on 127.0.0.1. The kernel's stderr (it logs every message it
// drops: expected here) goes to the log file, kept when the run fails.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { CASES, CHECK_EXPRESSIONS, FORGED_CODE, KNOWN_CASES } from "./cases.mjs";
import { DELIMITER, KernelClient, messageFrames, sign, startKernel } from "./kernel-client.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const USAGE = `usage: npm run fuzz -- [options]
options:
  --count N          messages to send (default 10000)
  --seconds S        stop sending after S seconds, whatever the count (default 300)
  --seed N           the random seed (default: from the clock; printed, so a run can be repeated)
  --check-every N    health checks every N messages (default 250)
  --huge N           10 MB messages to send at most (default: 1 per 2,000 messages, 1 to 5)
  --only A,B         only these classes (names as the report prints them)
  --known            also the classes of kernel bugs found and not fixed yet (they fail until fixed)
  --no-type-check    start the kernel with ASYNCIO_TS_CHECK=0 (cells unchecked)
  --log FILE         the kernel's stderr (default: a file in a temporary folder, kept on failure)
  --json FILE        also write the summary as JSON
  --quiet            print only the summary`;

/** Reads the command line; throws on an unknown option. */
export function parseArgs(argv) {
  const o = {
    count: 10_000,
    seconds: 300,
    seed: Date.now() % 2 ** 31,
    checkEvery: 250,
    huge: undefined,
    only: undefined,
    known: false,
    typeCheck: true,
    log: undefined,
    json: undefined,
    quiet: false,
    help: false,
  };
  const num = (name, v) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${name} needs a number, not ${JSON.stringify(v)}\n\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--count":
        o.count = Math.floor(num(flag, value()));
        break;
      case "--seconds":
        o.seconds = num(flag, value());
        break;
      case "--seed":
        o.seed = Math.floor(num(flag, value()));
        break;
      case "--check-every":
        o.checkEvery = Math.max(1, Math.floor(num(flag, value())));
        break;
      case "--huge":
        o.huge = Math.floor(num(flag, value()));
        break;
      case "--only":
        o.only = String(value()).split(",").filter(Boolean);
        break;
      case "--known":
        o.known = true;
        break;
      case "--no-type-check":
        o.typeCheck = false;
        break;
      case "--log":
        o.log = value();
        break;
      case "--json":
        o.json = value();
        break;
      case "--quiet":
        o.quiet = true;
        break;
      case "--help":
      case "-h":
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  return o;
}

/** A small seeded generator (mulberry32): the same seed makes the same messages. */
export function makeRng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    bytes(n) {
      const b = Buffer.allocUnsafe(n);
      let i = 0;
      for (; i + 4 <= n; i += 4) b.writeUInt32LE((next() * 2 ** 32) >>> 0, i);
      for (; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    hex: (n) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(next() * 16)]).join(""),
  };
}

/** Writes `bytes` on a plain TCP connection to `port`, then drops it. */
function rawTcp(host, port, bytes) {
  return /** @type {Promise<void>} */ (
    new Promise((resolve) => {
      const s = connect({ host, port });
      const done = () => {
        s.destroy();
        resolve();
      };
      s.setTimeout(1000, done);
      s.once("error", done);
      s.once("close", done);
      s.once("connect", () => s.write(bytes, () => setTimeout(done, 5)));
    })
  );
}

/**
 * Runs the fuzzer; resolves with its summary (never rejects for what the kernel does: that is a
 * failure in the summary).
 * @param {ReturnType<typeof parseArgs>} o
 * @param {(line: string) => void} [say] progress lines
 */
export async function runFuzz(o, say = () => {}) {
  const started = Date.now();
  const cases = [...CASES, ...(o.known || o.only?.some((n) => n.startsWith("known-")) ? KNOWN_CASES : [])].filter((c) => o.only === undefined || o.only.includes(c.name));
  if (o.only !== undefined) {
    const all = [...CASES, ...KNOWN_CASES].map((c) => c.name);
    const unknown = o.only.filter((n) => !all.includes(n));
    if (unknown.length > 0) throw new Error(`no such class: ${unknown.join(", ")}; the classes are: ${all.join(", ")}`);
  }
  const rng = makeRng(o.seed);
  const key = Buffer.from(rng.hex(64), "ascii");
  const otherKey = Buffer.from(rng.hex(64), "ascii");
  const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-fuzz-"));
  const logFile = o.log ?? join(dir, "kernel.log");
  const env = { ...process.env, ...(o.typeCheck ? {} : { ASYNCIO_TS_CHECK: "0" }) };
  const kernel = await startKernel({ root: ROOT, dir, logFile, key, env });
  // Whatever happens to the fuzzer, nothing of the kernel's outlives it.
  const onExit = () => kernel.killAll();
  const onSigint = () => {
    kernel.killAll();
    process.exit(130);
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSigint);
  const client = new KernelClient(kernel.info, key, `fuzz-${o.seed}`);
  await client.connect();
  // A wait ends when the kernel dies: nothing more will come.
  const waitFor = (pred, ms) => client.waitFor(() => pred() || !kernel.alive(), ms);
  kernel.child.once("exit", () => client.wake());

  const perClass = Object.fromEntries(cases.map((c) => [c.name, 0]));
  const checks = { passed: 0, failed: 0 };
  /** @type {string[]} */
  const failures = [];
  const reported = new Set();
  let sent = 0;
  let forgedRuns = 0;
  let seq = 0;
  let hugeLeft = o.huge ?? Math.min(5, Math.max(1, Math.round(o.count / 2000)));
  /** Signed messages that may be sent again, once the kernel has read them. */
  const ring = [];
  const counted = new Set();
  let lastInputReply = null;
  let fatal = false;

  const fail = (what) => {
    failures.push(what);
    say(`FAIL ${what}`);
  };
  const check = (name, ok, detail = "") => {
    if (ok) checks.passed++;
    else {
      checks.failed++;
      fail(`${name}${detail ? `: ${detail}` : ""}`);
    }
    return ok;
  };
  const totalWeight = cases.reduce((s, c) => s + c.weight, 0);
  const pickCase = () => {
    let r = rng.next() * totalWeight;
    for (const c of cases) if ((r -= c.weight) < 0) return c;
    return cases[cases.length - 1];
  };
  // The main thread has read (and recorded the signature of) a message once it published busy
  // for it; a reply alone may be the control thread's (kernel_info, interrupt), which keeps a
  // signature history of its own.
  const processed = (t) => t.busy > 0;

  /** What cases.mjs builds messages with. */
  const g = {
    rng,
    key,
    otherKey,
    DELIMITER,
    counted,
    id: (kind) => `${kind}-${o.seed}-${++seq}`,
    header: (type, id) => ({ msg_id: id, session: `fuzz-session-${o.seed}`, username: "fuzz", date: new Date().toISOString(), msg_type: type, version: "5.3" }),
    frames: (m, k) => messageFrames(k, m),
    sign: (parts) => sign(key, parts),
    channel: () => rng.pick(["shell", "control", "stdin"]),
    takeHuge: () => hugeLeft > 0 && hugeLeft-- > 0,
    /** A request that must not run or be answered, of a type that would do harm if it were. */
    forgedMessage(k) {
      const id = g.id("forged");
      const type = rng.pick(["execute_request", "execute_request", "execute_request", "shutdown_request", "interrupt_request", "kernel_info_request", "input_reply"]);
      const content =
        type === "execute_request"
          ? { code: FORGED_CODE, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false }
          : type === "input_reply"
            ? { value: "forged", status: "ok" }
            : { restart: false };
      return { id, frames: messageFrames(k, { header: g.header(type, id), content }) };
    },
    pickReplay() {
      const ready = ring.filter((r) => processed(r.tracked));
      return ready.length === 0 ? undefined : rng.pick(ready);
    },
    /**
     * Another channel for a replay. Not control for a kernel_info/interrupt first sent elsewhere:
     * the control thread answers those from a history of its own (KNOWN_CASES, --known).
     */
    replayChannel(r) {
      const others = ["shell", "control", "stdin"].filter(
        (c) => c !== r.channel && (c !== "control" || o.known || !["kernel_info_request", "interrupt_request", "shutdown_request"].includes(r.type)),
      );
      return rng.pick(others);
    },
  };

  /** Sends one message of class `cls` on a channel, tracking what it expects. */
  async function sendTracked(cls, step) {
    let t;
    if (step.id !== undefined && step.expect !== undefined) {
      t = client.track(step.id, { cls, channel: step.channel, type: step.type ?? "", expect: step.expect, keep: step.keep === true, sentAt: sent });
    }
    await client.send(step.channel, step.frames);
    sent++;
    perClass[cls]++;
    if (step.remember && t !== undefined && step.frames.reduce((n, f) => n + f.length, 0) < 200_000) {
      let type = "";
      try {
        type = JSON.parse(step.frames[2].toString("utf8")).msg_type;
      } catch {
        // not JSON: never replayed to control anyway
      }
      ring.push({ id: step.id, channel: step.channel, type, frames: step.frames, tracked: t });
      if (ring.length > 64) ring.shift();
    }
    return t;
  }

  /** The exchanges a case drives itself. */
  const ctx = {
    /**
     * A cell waits in input(); forged, replayed and misrouted answers go first, then the signed
     * one with `value`; the cell must give back String(value).
     */
    async inputExchange(cls, value) {
      // What was sent before (an input_reply of input-no-waiter among it) is read before the
      // input_request goes out: the kernel reads stdin as it comes, and a stale answer still in
      // flight would be taken for this one (ipykernel flushes stdin before asking; this kernel
      // does not, nor can it match answers to requests: jupyter_client sends input_reply without
      // a parent).
      await request("shell", "kernel_info_request", {}, 60_000);
      const id = g.id("signed");
      const t = await sendTracked(cls, {
        channel: "shell",
        id,
        keep: true,
        expect: { reply: "one", iopub: "any" },
        frames: messageFrames(key, {
          header: g.header("execute_request", id),
          content: { code: "// @ts-nocheck\nawait input('fuzz> ')", silent: false, store_history: false, user_expressions: {}, allow_stdin: true, stop_on_error: false },
        }),
      });
      const asked = await waitFor(() => client.inputRequests.has(id) || t.replies.length > 0, 60_000);
      if (!kernel.alive()) return;
      if (!asked) return check("input(): an input_request comes", false, `no input_request and no reply for ${id} within 60 s`);
      // Aborted (an earlier cell failed) or interrupted before input(): nothing to answer.
      if (t.replies.length > 0) return;
      const forgedReply = (k, kind = "forged") => {
        const fid = g.id(kind);
        return { id: fid, frames: messageFrames(k, { header: g.header("input_reply", fid), content: { value: `forged-${fid}`, status: "ok" } }) };
      };
      const wrong = [];
      for (const k of [otherKey, key, key, key]) wrong.push(forgedReply(k));
      wrong[1].frames[1] = Buffer.from(rng.hex(64));
      wrong[2].frames[1] = Buffer.alloc(0);
      wrong[3].frames = wrong[3].frames.slice(1);
      for (const w of wrong) await sendTracked(cls, { channel: "stdin", id: w.id, expect: { reply: "none", iopub: "none" }, frames: w.frames });
      if (lastInputReply !== null) await sendTracked(cls, { channel: "stdin", frames: lastInputReply });
      for (const channel of ["shell", "control"]) {
        const w = forgedReply(key, "signed");
        await sendTracked(cls, { channel, id: w.id, expect: { reply: "none", iopub: "any" }, frames: w.frames });
      }
      await sleep(20);
      const rid = g.id("signed");
      const answer = messageFrames(key, { header: g.header("input_reply", rid), content: { value, status: "ok" } });
      await sendTracked(cls, { channel: "stdin", id: rid, expect: { reply: "none", iopub: "none" }, frames: answer });
      lastInputReply = answer;
      const done = await waitFor(() => t.replies.length > 0 && t.iopub.some((m) => m.type === "status" && m.content.execution_state === "idle"), 30_000);
      if (!kernel.alive()) return;
      if (!done) {
        // Free the shell queue for what follows: an interrupt ends the wait.
        const iid = g.id("signed");
        await sendTracked(cls, { channel: "control", id: iid, expect: { reply: "one", iopub: "any" }, frames: messageFrames(key, { header: g.header("interrupt_request", iid) }) });
        return check("input(): the cell gets the signed answer", false, `no execute_reply within 30 s after the signed input_reply (${id})`);
      }
      const reply = t.replies[0].content;
      if (reply.status === "error" && reply.ename === "KeyboardInterrupt") return; // an interrupt of the fuzz got there first
      const result = t.iopub.find((m) => m.type === "execute_result")?.content?.data?.["text/plain"];
      // A value that is not a string comes back as its JSON (kernel.ts, input_reply).
      const expected = inspect(typeof value === "string" ? value : JSON.stringify(value));
      return check(
        "input(): the cell gets the signed answer",
        reply.status === "ok" && result === expected,
        `${id}: reply ${reply.status}${reply.ename ? ` ${reply.ename}: ${reply.evalue}` : ""}, result ${result}, expected ${expected}`,
      );
    },
  };

  /** Runs one step of a case. */
  async function runStep(cls, step) {
    if (step.action !== undefined) return step.action(ctx, cls);
    if (step.socket === "heartbeat") await client.heartbeatDealer().send(step.frames);
    else if (step.socket === "iopub") await client.iopubXsub().send(step.frames);
    else if (step.socket === "tcp") await rawTcp(kernel.info.ip, kernel.info[step.port], step.bytes);
    else {
      const t = await sendTracked(cls, step);
      if (step.waitProcessed && t !== undefined) await waitFor(() => processed(t), 30_000);
      return;
    }
    sent++;
    perClass[cls]++;
  }

  /** A signed request on `channel`; resolves with what came back, or null after `ms`. */
  async function request(channel, type, content, ms) {
    const id = g.id("check");
    const t = client.track(id, { cls: "check", channel, type, expect: { reply: "one", iopub: "any" }, keep: true, sentAt: sent });
    await client.send(channel, messageFrames(key, { header: g.header(type, id), content }));
    const ok = await waitFor(() => t.replies.length > 0 && (channel === "stdin" || t.iopub.some((m) => m.type === "status" && m.content.execution_state === "idle")), ms);
    return ok && t.replies.length > 0 ? t : null;
  }

  /** Evaluates every tracked message against its class's expectation; each problem is reported once. */
  function checkExpectations(upTo) {
    let bad = 0;
    for (const [id, t] of client.tracked) {
      if (t.cls === "check") continue;
      const problems = [];
      if (t.replies.length > 1) problems.push(`${t.replies.length} replies (${t.replies.map((r) => `${r.channel}:${r.type}`).join(", ")})`);
      if (t.busy > 1) problems.push(`${t.busy} busy statuses`);
      if (t.sentAt < upTo) {
        if (t.expect.reply === "none" && t.replies.length > 0) problems.push(`answered (${t.replies.map((r) => `${r.channel}:${r.type}`).join(", ")}) though it must be dropped`);
        if (t.expect.iopub === "none" && t.iopub.length > 0) problems.push(`named as parent on iopub (${t.iopub.map((m) => m.type).join(", ")}) though it must be dropped`);
        if (t.expect.reply === "one" && t.replies.length === 0) problems.push("no reply");
      }
      for (const p of problems) {
        const k = `${id} ${p}`;
        if (reported.has(k)) continue;
        reported.add(k);
        bad++;
        fail(`${t.cls} ${id} on ${t.channel}: ${p}`);
      }
    }
    return bad;
  }

  /** The health check: the kernel alive and answering, nothing forged run, every message as expected. */
  async function healthCheck(label) {
    const upTo = sent;
    say(`check ${label}: ${sent} messages sent, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!check("kernel process alive", kernel.alive(), `exit code ${kernel.child.exitCode}, signal ${kernel.child.signalCode} (log: ${logFile})`)) {
      fatal = true;
      return;
    }
    // Shell requests run in order: this reply comes after every earlier shell message's.
    const shellInfo = await request("shell", "kernel_info_request", {}, 60_000);
    const gone = () => (kernel.alive() ? "" : `; the kernel died (exit code ${kernel.child.exitCode}, signal ${kernel.child.signalCode}; log: ${logFile})`);
    if (
      !check(
        "kernel_info_request on shell",
        shellInfo?.replies[0]?.content.status === "ok" && shellInfo.replies[0].type === "kernel_info_reply",
        shellInfo === null ? `no reply and idle within 60 s${gone()}` : JSON.stringify(shellInfo.replies[0]).slice(0, 200),
      )
    ) {
      fatal = !kernel.alive() || shellInfo === null;
      if (fatal) return;
    }
    const controlInfo = await request("control", "kernel_info_request", {}, 10_000);
    check(
      "kernel_info_request on control",
      controlInfo?.replies[0]?.content.status === "ok",
      controlInfo === null ? "no reply within 10 s" : JSON.stringify(controlInfo.replies[0]).slice(0, 200),
    );
    const ping = rng.bytes(16);
    check("heartbeat echoes", await client.heartbeat(ping, 5000), "no echo within 5 s");
    let exec;
    for (let attempt = 0; attempt < 2; attempt++) {
      exec = await request(
        "shell",
        "execute_request",
        { code: "1 + 1", silent: false, store_history: true, user_expressions: CHECK_EXPRESSIONS, allow_stdin: false, stop_on_error: false },
        60_000,
      );
      // An interrupt the fuzz sent may land on this cell: once more then.
      if (exec?.replies[0]?.content.ename !== "KeyboardInterrupt") break;
    }
    const reply = exec?.replies[0]?.content;
    const result = exec?.iopub.find((m) => m.type === "execute_result")?.content?.data?.["text/plain"];
    check(
      "execute 1 + 1 gives 2",
      reply?.status === "ok" && result === "2",
      exec === null ? "no reply and idle within 60 s" : `reply ${JSON.stringify(reply).slice(0, 300)}, result ${result}`,
    );
    const expr = (name) => {
      const e = reply?.user_expressions?.[name];
      return e?.status === "ok" ? Number(e.data["text/plain"]) : NaN;
    };
    if (reply?.status === "ok") {
      const pwned = expr("pwned");
      if (Number.isFinite(pwned)) forgedRuns = pwned;
      check("no forged, misrouted or broken message ran", pwned === 0, `globalThis.__fuzzPwned is ${pwned}`);
      check("no replayed cell ran twice", expr("dup") === 0, `${expr("dup")} counted cells ran more than once`);
      const outcomes = [...counted].map((id) => client.tracked.get(id)?.replies[0]?.content.status);
      const ok = outcomes.filter((s) => s === "ok").length;
      const failed = outcomes.filter((s) => s === "error").length;
      const runs = expr("runs");
      check("the signed counted cells ran", runs >= ok && runs <= ok + failed, `${runs} ran, ${ok} replied ok and ${failed} error`);
    }
    if (o.typeCheck) {
      // A checked cell with a type error is refused: the type checker is still there.
      const typed = await request(
        "shell",
        "execute_request",
        { code: 'const __fuzzTyped: number = "not a number";', silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
        60_000,
      );
      const r = typed?.replies[0]?.content;
      check(
        "the type checker still refuses a type error",
        r?.status === "error" && r.ename === "TSError",
        typed === null ? "no reply within 60 s" : `reply ${JSON.stringify(r).slice(0, 200)}`,
      );
    }
    // Control requests are handled beside the shell queue: their replies may trail a moment.
    await waitFor(() => [...client.tracked.values()].every((t) => t.expect.reply !== "one" || t.sentAt >= upTo || t.replies.length > 0), 10_000);
    check("every message answered or dropped as its class requires", checkExpectations(upTo) === 0, "see the lines above");
    const bad = client.badOutgoing.splice(0);
    check("every message from the kernel signed and well formed", bad.length === 0, bad.slice(0, 5).join("; "));
    check("kernel process alive after the checks", kernel.alive());
  }

  say(`seed ${o.seed}; kernel pid ${kernel.child.pid}; log ${logFile}`);
  // The kernel is up once every socket is connected and it answers on shell (the first
  // kernel_info also starts its warm-up).
  const connected = await Promise.race([client.ready.then(() => true), sleep(60_000, false, { ref: false })]);
  let up = null;
  for (let i = 0; i < 60 && connected && up === null && kernel.alive(); i++) up = await request("shell", "kernel_info_request", {}, 1000);
  if (!check("kernel starts and answers kernel_info", up !== null, `${connected ? "no reply" : "sockets not connected"} within 60 s (log: ${logFile})`)) fatal = true;

  const deadline = started + o.seconds * 1000;
  let nextCheck = o.checkEvery;
  while (!fatal && sent < o.count && Date.now() < deadline) {
    const c = pickCase();
    for (const step of c.make(g)) {
      await runStep(c.name, step);
      // Let the receiving loops run between sends.
      await nextTurn();
    }
    if (!kernel.alive()) {
      check("kernel process alive", false, `died after a ${c.name} message (exit code ${kernel.child.exitCode}, signal ${kernel.child.signalCode}; log: ${logFile})`);
      fatal = true;
    } else if (sent >= nextCheck) {
      await healthCheck(`after ${sent}`);
      nextCheck = sent + o.checkEvery;
    }
  }
  if (!fatal) await healthCheck("final");
  const counts = Object.fromEntries(Object.entries(perClass).filter(([, n]) => n > 0));

  // A clean end: shutdown_request on control, shutdown_reply, the process exits 0.
  let exit = null;
  if (kernel.alive()) {
    const bye = await request("control", "shutdown_request", { restart: false }, 10_000);
    check("shutdown_request answered", bye?.replies[0]?.type === "shutdown_reply");
    exit = await Promise.race([kernel.exited, sleep(10_000, null, { ref: false })]);
    check("kernel exits 0 after shutdown", exit?.code === 0, exit === null ? "still running 10 s after shutdown_request" : `exit code ${exit.code}, signal ${exit.signal}`);
  }
  client.close();
  if (kernel.alive()) kernel.killAll();
  exit ??= await kernel.exited;
  // Its type checker's process too, if the kernel left it behind.
  kernel.killAll();
  process.off("exit", onExit);
  process.off("SIGINT", onSigint);

  let log = "";
  try {
    log = readFileSync(logFile, "utf8");
  } catch {
    // no log written
  }
  const summary = {
    seed: o.seed,
    messages: sent,
    seconds: (Date.now() - started) / 1000,
    perClass: counts,
    received: client.received,
    checks,
    failures,
    forgedRuns,
    kernelExit: exit,
    droppedLogged: (log.match(/dropped a message/g) ?? []).length,
    logFile,
  };
  if (failures.length === 0 && o.log === undefined) {
    rmSync(dir, { recursive: true, force: true });
    summary.logFile = null;
  }
  return summary;
}

/** The summary as the report prints it. */
export function formatSummary(s) {
  const width = Math.max(...Object.keys(s.perClass).map((k) => k.length), 5);
  const lines = [
    `fuzz: ${s.messages} messages in ${s.seconds.toFixed(1)} s (seed ${s.seed})`,
    "",
    `${"class".padEnd(width)}  messages`,
    ...Object.entries(s.perClass).map(([k, n]) => `${k.padEnd(width)}  ${String(n).padStart(8)}`),
    "",
    `received from the kernel: shell ${s.received.shell}, control ${s.received.control}, stdin ${s.received.stdin}, iopub ${s.received.iopub}; drops it logged: ${s.droppedLogged}`,
    `forged cells run: ${s.forgedRuns}`,
    `kernel exit: ${s.kernelExit === null ? "-" : `code ${s.kernelExit.code}${s.kernelExit.signal ? `, signal ${s.kernelExit.signal}` : ""}`}`,
    `checks: ${s.checks.passed} passed, ${s.checks.failed} failed`,
  ];
  if (s.failures.length > 0)
    lines.push("", "failures:", ...s.failures.slice(0, 30).map((f) => `  ${f}`), ...(s.failures.length > 30 ? [`  ... and ${s.failures.length - 30} more`] : []));
  if (s.logFile !== null) lines.push(`kernel log: ${s.logFile}`);
  return lines.join("\n");
}

/** `npm run fuzz -- ...` (scripts/fuzz.mjs). Sets process.exitCode: 0 when every check passed. */
export async function main(argv) {
  const o = parseArgs(argv);
  if (o.help) {
    console.log(`${USAGE}\n\nclasses:\n${CASES.map((c) => `  ${c.name}: ${c.about}`).join("\n")}\nwith --known:\n${KNOWN_CASES.map((c) => `  ${c.name}: ${c.about}`).join("\n")}`);
    return;
  }
  const summary = await runFuzz(o, o.quiet ? undefined : (line) => process.stderr.write(`[fuzz] ${line}\n`));
  console.log(formatSummary(summary));
  if (o.json !== undefined) writeFileSync(o.json, JSON.stringify(summary, null, 2) + "\n");
  process.exitCode = summary.failures.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
