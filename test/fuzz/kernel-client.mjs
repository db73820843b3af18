// The fuzzer's side of the wire: starts a real kernel process (a connection file with a fresh
// key and free ports on 127.0.0.1, then `node dist/cli/main.js kernel -f FILE`), connects to its
// five sockets as a front end does, signs what it sends with its own HMAC code (not the kernel's
// wire.ts, so that a bug there is not shared), checks the signature of everything the kernel
// sends back, and keeps, per request id, what came back for it. Which messages to send is
// cases.mjs's; what to check and when is fuzzer.mjs's.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { closeSync, openSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Dealer, Request, Subscriber, XSubscriber } from "zeromq";

export const DELIMITER = Buffer.from("<IDS|MSG>");
export const IP = "127.0.0.1";

/** The hex HMAC-SHA256 of `parts` with `key`, as the messaging spec signs the four JSON frames. */
export function sign(key, parts) {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

/**
 * A JSON frame: a Buffer is taken as it is (deep or broken JSON is written as text by the cases,
 * since JSON.stringify itself overflows on 10,000 levels), anything else is stringified.
 * @param {unknown} v
 */
export function jsonFrame(v) {
  return Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v), "utf8");
}

/**
 * The frames of a message after the routing identities: delimiter, signature, four JSON frames,
 * buffers. `key` signs; `signature` (a Buffer) replaces the right one (forgeries).
 * @param {Buffer} key
 * @param {{ header: unknown, parent?: unknown, metadata?: unknown, content?: unknown, buffers?: Buffer[], signature?: Buffer }} m
 */
export function messageFrames(key, m) {
  // `null` is a value to send here (a parent_header that is not an object), not "no parent".
  const parts = [m.header, "parent" in m ? m.parent : {}, "metadata" in m ? m.metadata : {}, "content" in m ? m.content : {}].map(jsonFrame);
  const signature = m.signature ?? Buffer.from(sign(key, parts), "ascii");
  return [DELIMITER, signature, ...parts, ...(m.buffers ?? [])];
}

/** `n` ports that were free on 127.0.0.1 a moment ago (as jupyter_client picks them). */
export async function freePorts(n) {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, IP, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Writes a connection file in `dir` and starts `node dist/cli/main.js kernel -f FILE` there, its
 * stdout and stderr appended to `logFile`.
 * @param {{ root: string, dir: string, logFile: string, key: Buffer, node?: string, env?: NodeJS.ProcessEnv }} o
 */
export async function startKernel(o) {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5);
  const info = {
    transport: "tcp",
    ip: IP,
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: o.key.toString("utf8"),
    signature_scheme: "hmac-sha256",
    kernel_name: "asyncio-ts",
  };
  const file = join(o.dir, "kernel-fuzz.json");
  writeFileSync(file, JSON.stringify(info, null, 2));
  const log = openSync(o.logFile, "a");
  const child = spawn(o.node ?? process.execPath, [join(o.root, "dist", "cli", "main.js"), "kernel", "-f", file], {
    cwd: o.dir,
    stdio: ["ignore", log, log],
    env: o.env ?? process.env,
  });
  closeSync(log);
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  /**
   * Ends the kernel and what it started. A kernel that dies or is killed leaves its type checker
   * (TypeScript 7's `tsc --api`, in a session of its own) running; that process is found by the
   * folder it was started for (`--cwd DIR`, the kernel's working folder, made for this run alone).
   */
  const alive = () => child.exitCode === null && child.signalCode === null;
  const killAll = () => {
    // The kernel's own id only while it runs: once it exited, the id may be another process's.
    const pids = [...(alive() ? [child.pid] : []), ...processesNaming(o.dir)];
    for (const pid of new Set(pids)) {
      try {
        if (pid !== undefined && pid !== process.pid) process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
  };
  return { child, info, exited, killAll, alive };
}

/** The ids of the processes whose command line names the folder `dir` (Linux's /proc; none elsewhere). */
function processesNaming(dir) {
  let entries = [];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const pids = [];
  for (const e of entries) {
    try {
      // The arguments are NUL-separated: the folder itself, or a path in it.
      const cmdline = readFileSync(`/proc/${e}/cmdline`, "latin1");
      if (cmdline.includes(`${dir}\0`) || cmdline.includes(`${dir}/`)) pids.push(Number(e));
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return pids;
}

/**
 * What came back for one request the fuzzer sent, by its msg_id.
 * @typedef {{ cls: string, channel: string, type: string, expect: { reply: "none" | "one" | "any", iopub: "none" | "any" },
 *   keep: boolean, sentAt: number, replies: { channel: string, type: string, content: any }[], iopub: { type: string, content: any }[], busy: number }} Tracked
 */

/** A front end on the kernel's five sockets, signing with `key`. */
export class KernelClient {
  /**
   * @param {{ ip: string, shell_port: number, iopub_port: number, stdin_port: number, control_port: number, hb_port: number }} info
   * @param {Buffer} key
   * @param {string} identity the routing id of shell and stdin (the same, so input_request finds stdin)
   */
  constructor(info, key, identity) {
    this.info = info;
    this.key = key;
    this.identity = identity;
    /** @type {Map<string, Tracked>} */
    this.tracked = new Map();
    /** Messages received per channel. */
    this.received = { shell: 0, control: 0, stdin: 0, iopub: 0 };
    /** What the kernel sent that no front end should accept: unsigned, badly signed, not JSON. */
    this.badOutgoing = [];
    /** input_request messages, by the msg_id of the execute that asked. */
    this.inputRequests = new Map();
    /** @type {{ pred: () => boolean, resolve: () => void }[]} */
    this._waiters = [];
    this._closed = false;
    /** @type {Dealer | undefined} A DEALER on the heartbeat port, made when first asked for. */
    this._hbDealer = undefined;
    /** @type {XSubscriber | undefined} An XSUB on iopub, made when first asked for. */
    this._xsub = undefined;
  }

  /** @param {string} port */
  url(port) {
    return `tcp://${this.info.ip}:${this.info[port]}`;
  }

  async connect() {
    // Receiving never limited (the kernel's ROUTER and PUB drop what a full pipe cannot take,
    // which would look like a missing reply); sending times out, so a kernel that stops reading
    // shows as a failure instead of a fuzzer that hangs.
    const opts = { linger: 0, receiveHighWaterMark: 0, sendTimeout: 60_000 };
    this.shell = new Dealer({ ...opts, routingId: this.identity });
    this.stdin = new Dealer({ ...opts, routingId: this.identity });
    this.control = new Dealer({ ...opts, routingId: `${this.identity}-control` });
    this.iopub = new Subscriber({ linger: 0, receiveHighWaterMark: 0 });
    this.iopub.subscribe();
    // Ready once each socket has shaken hands with the kernel: a DEALER that connected before
    // the kernel bound retries 100 ms later, and a ROUTER drops what is sent to an identity it
    // does not know yet (the input_request of a cell run meanwhile).
    const handshakes = ["shell", "stdin", "control", "iopub"].map((c) => /** @type {Promise<void>} */ (new Promise((resolve) => this[c].events.on("handshake", () => resolve()))));
    this.ready = Promise.all(handshakes);
    this.shell.connect(this.url("shell_port"));
    this.stdin.connect(this.url("stdin_port"));
    this.control.connect(this.url("control_port"));
    this.iopub.connect(this.url("iopub_port"));
    for (const channel of ["shell", "stdin", "control", "iopub"]) void this._pump(channel, this[channel]);
  }

  async _pump(channel, sock) {
    try {
      for await (const frames of sock) this._onMessage(channel, frames);
    } catch (e) {
      if (!this._closed) this.badOutgoing.push(`the fuzzer's ${channel} socket failed: ${String(e)}`);
    }
  }

  _onMessage(channel, frames) {
    this.received[channel]++;
    const i = frames.findIndex((f) => f.equals(DELIMITER));
    if (i < 0 || frames.length < i + 6) {
      this.badOutgoing.push(`${channel}: a message of ${frames.length} frames without the wire format`);
      return;
    }
    const parts = frames.slice(i + 2, i + 6);
    if (frames[i + 1].toString("latin1") !== sign(this.key, parts)) {
      this.badOutgoing.push(`${channel}: a message with a wrong signature`);
      return;
    }
    let header, parent, content;
    try {
      [header, parent, , content] = parts.map((p) => JSON.parse(p.toString("utf8")));
    } catch (e) {
      this.badOutgoing.push(`${channel}: a message that is not JSON (${String(e)})`);
      return;
    }
    const type = header?.msg_type;
    const pid = typeof parent?.msg_id === "string" ? parent.msg_id : undefined;
    if (channel === "stdin" && type === "input_request" && pid !== undefined) this.inputRequests.set(pid, content);
    const t = pid === undefined ? undefined : this.tracked.get(pid);
    if (t !== undefined) {
      if (channel === "iopub") {
        if (type === "status" && content?.execution_state === "busy") t.busy++;
        t.iopub.push({ type, content: t.keep ? content : { execution_state: content?.execution_state } });
      } else if (type !== "input_request") {
        t.replies.push({ channel, type, content: t.keep ? content : { status: content?.status } });
      }
    }
    if (this._waiters.length > 0) this.wake();
  }

  /** Re-evaluates what is waited for (on each message, and when the caller knows something changed). */
  wake() {
    this._waiters = this._waiters.filter((w) => {
      if (!w.pred()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves true once `pred()` holds, false after `ms`. */
  waitFor(pred, ms) {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = { pred, resolve: () => (clearTimeout(timer), resolve(true)) };
      const timer = setTimeout(() => {
        this._waiters = this._waiters.filter((x) => x !== w);
        resolve(false);
      }, ms);
      this._waiters.push(w);
    });
  }

  /**
   * Records what is expected for the message with `id` and returns its record.
   * @param {string} id
   * @param {Omit<Tracked, "replies" | "iopub" | "busy">} what
   */
  track(id, what) {
    const t = { ...what, replies: [], iopub: [], busy: 0 };
    this.tracked.set(id, t);
    return t;
  }

  /** Sends raw frames on a channel's socket. */
  async send(channel, frames) {
    await this[channel].send(frames);
  }

  /**
   * A heartbeat: `payload` must come back unchanged within `ms`. A REQ socket of its own each
   * time, so a lost answer cannot leave the next ping stuck behind it.
   */
  async heartbeat(payload, ms = 5000) {
    const req = new Request({ linger: 0, receiveTimeout: ms, sendTimeout: ms });
    try {
      req.connect(this.url("hb_port"));
      await req.send(payload);
      const [echo] = await req.receive();
      return echo !== undefined && Buffer.from(echo).equals(payload);
    } catch {
      return false;
    } finally {
      req.close();
    }
  }

  /** A DEALER on the heartbeat port, for frames a REQ socket would never send. */
  heartbeatDealer() {
    this._hbDealer ??= this._sideSocket(new Dealer({ linger: 0, sendTimeout: 5000, receiveHighWaterMark: 0 }), "hb_port");
    return this._hbDealer;
  }

  /** An XSUB on iopub, for subscription frames a SUB socket would never send. */
  iopubXsub() {
    this._xsub ??= this._sideSocket(new XSubscriber({ linger: 0, sendTimeout: 5000, receiveHighWaterMark: 0 }), "iopub_port");
    return this._xsub;
  }

  /** `sock` connected to `port`, what it receives read and thrown away (the main sockets check what the kernel sends). */
  _sideSocket(sock, port) {
    sock.connect(this.url(port));
    void (async () => {
      try {
        for await (const _ of sock) {
          // thrown away
        }
      } catch {
        // closed
      }
    })();
    return sock;
  }

  close() {
    this._closed = true;
    for (const s of [this.shell, this.stdin, this.control, this.iopub, this._hbDealer, this._xsub]) s?.close();
  }
}
