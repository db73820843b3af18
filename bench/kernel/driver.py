"""The kernel benchmark's client: one jupyter_client session per process, the same code for
every kernel. run.mjs starts it with JUPYTER_PATH pointing at a temporary prefix that holds the
kernelspecs, and reads the one JSON line it prints last.

    driver.py startup    KERNEL                  one start: start_kernel -> first kernel_info_reply
    driver.py roundtrip  KERNEL WARMUP N         N execute_requests of `1` (after WARMUP of them)
    driver.py rss        KERNEL LANG CELLS       RSS at start and after CELLS cells printing a line
    driver.py responsive KERNEL LINES REPEATS IDLE_S
                                                 echo-server ping latency while a big cell compiles
    driver.py typed      KERNEL WARMUP N         a fresh kernel: start -> its first typed cell answered, then
                                                 N typed 10-line cells (after WARMUP) and N completions
    driver.py busy       KERNEL LANG N           while a cell busy-loops: N kernel_info_requests on control (each
                                                 timed to its reply), then N cells interrupted in synchronous code
                                                 after an await (interrupt to execute_reply); bench/interrupt
    driver.py ping       HOST PORT INTERVAL_MS   (internal) the pinger process of `responsive`

Times come from time.monotonic() (CLOCK_MONOTONIC: the same clock in the driver and the pinger).
"""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from queue import Empty

TIMEOUT = 60.0
# How often start() sends kernel_info_request again while no reply has come: every second, as
# jupyter_client's wait_for_ready does (a kernel that drops a request sent before it listens,
# as tslab does, is timed as such a client sees it). BENCH_KERNEL_RESEND_S changes it.
RESEND_S = float(os.environ.get("BENCH_KERNEL_RESEND_S") or 1.0)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(msg):
    emit({"ok": False, "error": msg})
    sys.exit(1)


# -- processes ------------------------------------------------------------------------------------


def _children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the ppid follows the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def process_tree(pid):
    """pid and all its descendants."""
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss(pid):
    """RSS of the kernel process, following wrappers: the sum over the process and its
    descendants (for a kernel of one process, its own VmRSS)."""
    procs = process_tree(pid)
    return {"rss_mb": sum(rss_mb(p) for p in procs), "processes": len(procs), "main_rss_mb": rss_mb(pid)}


# -- kernels --------------------------------------------------------------------------------------


def start(kernel_name, settle=True):
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=kernel_name)
    t0 = time.monotonic()
    km.start_kernel(cwd=os.environ.get("BENCH_KERNEL_CWD") or None)
    kc = km.client()
    kc.start_channels()
    msg_id = kc.kernel_info()
    resent = 0
    last_send = time.monotonic()
    while True:
        try:
            msg = kc.get_shell_msg(timeout=min(0.05, RESEND_S))
        except Empty:
            now = time.monotonic()
            if not km.is_alive():
                fail(f"kernel {kernel_name} died while starting")
            if now - t0 > TIMEOUT:
                fail(f"no kernel_info_reply from {kernel_name} within {TIMEOUT:.0f} s")
            if now - last_send > RESEND_S:
                msg_id = kc.kernel_info()
                last_send = now
                resent += 1
            continue
        if msg["msg_type"] == "kernel_info_reply":
            t1 = time.monotonic()
            break
    # Let the iopub subscription settle and drop the start-up messages.
    deadline = time.monotonic() + (0.3 if settle else 0)
    while time.monotonic() < deadline:
        try:
            kc.get_iopub_msg(timeout=0.05)
        except Empty:
            pass
    return km, kc, t1 - t0, resent, msg["content"]


def stop(km, kc):
    pid = km.provisioner.process.pid if km.provisioner and km.provisioner.process else None
    tree = process_tree(pid) if pid else []
    try:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    except Exception:
        try:
            km.shutdown_kernel(now=True)
        except Exception:
            pass
    for p in tree:  # nothing may outlive the measurement
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def kernel_pid(km):
    return km.provisioner.process.pid


class Late:
    """Counts outputs that came after their cell's idle status (a protocol deviation: a client
    that stops reading at idle, as nbconvert and papermill do, loses them)."""

    count = 0


class LostIdle(Exception):
    """The execute_reply came but the cell's idle status did not, within IDLE_GRACE seconds
    (another protocol deviation: a client waiting for idle would hang)."""


IDLE_GRACE = 5.0


def execute(kc, code, timeout=TIMEOUT, expect_stream=None):
    """Runs a cell; returns (seconds from send until the execute_reply and the idle status have
    come, reply content, outputs). With expect_stream, also waits for a stream output holding
    that text, which some kernels send after idle. Raises LostIdle when the reply came and the
    idle status did not."""
    t0 = time.monotonic()
    msg_id = kc.execute(code)
    reply = None
    outputs = []
    idle = False
    deadline = t0 + timeout
    while reply is None:
        msg = kc.get_shell_msg(timeout=max(0.001, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_reply":
            reply = msg["content"]

    def seen():
        return expect_stream is None or any(m["msg_type"] == "stream" and expect_stream in m["content"]["text"] for m in outputs)

    deadline = min(deadline, time.monotonic() + IDLE_GRACE)
    while not (idle and seen()):
        try:
            msg = kc.get_iopub_msg(timeout=max(0.001, deadline - time.monotonic()))
        except Empty:
            if not idle:
                raise LostIdle() from None
            raise
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t = msg["msg_type"]
        if t == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
        elif t in ("stream", "execute_result", "error", "display_data"):
            outputs.append(msg)
            if idle:
                Late.count += 1
    return time.monotonic() - t0, reply, outputs


def percentile(xs, p):
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# -- commands -------------------------------------------------------------------------------------


def cmd_startup(kernel_name):
    km, kc, seconds, resent, info = start(kernel_name)
    try:
        impl = info.get("implementation", "?"), info.get("implementation_version", "?")
        emit({"ok": True, "seconds": seconds, "resent": resent, "implementation": f"{impl[0]} {impl[1]}", "rss": tree_rss(kernel_pid(km))})
    finally:
        stop(km, kc)


def cmd_roundtrip(kernel_name, warmup, n):
    km, kc, _, _, _ = start(kernel_name)
    try:
        for _ in range(warmup):
            try:
                execute(kc, "1", timeout=30)
            except (Empty, LostIdle):
                pass  # a lost idle during warm-up (iopub not subscribed yet) does not count
        times = []
        lost = 0
        for _ in range(n):
            try:
                dt, reply, _ = execute(kc, "1")
            except LostIdle:
                lost += 1  # left out: its time would be the grace period, not the kernel's
                continue
            if reply["status"] != "ok":
                fail(f"`1` failed: {reply}")
            times.append(dt * 1000)
        if not times:
            fail("no cell sent its idle status")
        emit({"ok": True, "ms": times, "p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times), "lost_idle": lost})
    finally:
        stop(km, kc)


def cmd_rss(kernel_name, lang, cells):
    km, kc, _, _, _ = start(kernel_name)
    try:
        pid = kernel_pid(km)
        before = tree_rss(pid)
        t0 = time.monotonic()
        lost = 0
        for i in range(1, cells + 1):
            code = f"print('cell {i}')" if lang == "python" else f"console.log('cell {i}')"
            try:
                _, reply, _ = execute(kc, code, expect_stream=f"cell {i}")
            except LostIdle:
                lost += 1
                continue
            except Empty:
                fail(f"cell {i}: no idle status or no output line within {TIMEOUT:.0f} s")
            if reply["status"] != "ok":
                fail(f"cell {i} failed: {reply.get('ename')}: {reply.get('evalue')}")
        seconds = time.monotonic() - t0
        after = tree_rss(pid)
        emit({"ok": True, "cells": cells, "seconds": seconds, "before": before, "after": after, "output_after_idle": Late.count, "lost_idle": lost})
    finally:
        stop(km, kc)


SERVER_CELL = """import * as asyncio from "asyncio";
const __benchServer = await asyncio.startServer(async (reader, writer) => {
  for (;;) {
    const line = await reader.readline();
    if (line.length === 0) break;
    writer.write(line);
  }
  writer.close();
}, "127.0.0.1", 0);
(__benchServer.sockets[0].getsockname() as [string, number])[1]"""


def big_cell(lines, tag):
    """About `lines` lines of typed declarations: interfaces, type aliases, typed functions and
    constants (6 lines a block), ending with an expression."""
    out = []
    for i in range(max(1, lines // 6)):
        n = f"{tag}_{i}"
        out.append(f"interface Item{n} {{ id: number; label: string; tags: readonly string[]; parent?: Item{n} }}")
        out.append(f"type Key{n} = keyof Item{n} | `item{n}_${{string}}`;")
        out.append(f"type Partial{n} = {{ readonly [K in keyof Item{n}]?: Item{n}[K] | null }};")
        out.append(f"function make{n}(id: number, label: string, tags: string[] = []): Item{n} {{ return {{ id, label, tags }}; }}")
        out.append(f"const item{n}: Item{n} = make{n}({i}, \"item {i}\", [\"a\", \"b\"]);")
        out.append(f"const key{n}: Key{n} = \"label\" as Key{n};")
    out.append(f"item{tag}_{max(1, lines // 6) - 1}.id")
    return "\n".join(out)


def cmd_responsive(kernel_name, lines, repeats, idle_s):
    km, kc, _, _, _ = start(kernel_name)
    pinger = None
    try:
        _, reply, outputs = execute(kc, SERVER_CELL)
        if reply["status"] != "ok":
            fail(f"the echo-server cell failed: {reply.get('ename')}: {reply.get('evalue')}")
        port = int(next(m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"))
        pinger = subprocess.Popen(
            [sys.executable, __file__, "ping", "127.0.0.1", str(port), "5"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        ready = pinger.stdout.readline()  # the pinger has connected and answered one ping
        if not ready.startswith("ready"):
            fail(f"pinger: {ready.strip()}")
        time.sleep(idle_s)
        idle_window = (time.monotonic() - idle_s, time.monotonic())
        windows = []
        for r in range(repeats):
            src = big_cell(lines, f"r{r}")
            t0 = time.monotonic()
            dt, reply, _ = execute(kc, src, timeout=300)
            t1 = time.monotonic()
            if reply["status"] != "ok":
                fail(f"the big cell failed: {reply.get('ename')}: {reply.get('evalue')}")
            windows.append((t0, t1))
            time.sleep(0.3)  # pings between compiles count as neither
        pinger.stdin.write("stop\n")
        pinger.stdin.flush()
        out = pinger.stdout.readline()
        pinger.wait(timeout=10)
        pings = json.loads(out)
        if "error" in pings:
            fail(f"pinger: {pings['error']}")
        pings = pings["pings"]

        def lat(window_list):
            # A ping counts for a window when its flight overlaps it.
            xs = [(b - a) * 1000 for a, b in pings if any(a < w1 and b > w0 for w0, w1 in window_list)]
            return {"n": len(xs), "p50": percentile(xs, 50), "p99": percentile(xs, 99), "max": max(xs) if xs else float("nan")}

        emit({
            "ok": True,
            "lines": src.count("\n") + 1,
            "compile_ms": [(b - a) * 1000 for a, b in windows],
            "idle": lat([idle_window]),
            "compile": lat(windows),
        })
    finally:
        if pinger is not None and pinger.poll() is None:
            pinger.kill()
        stop(km, kc)


def typed_cell(i):
    """A typed 10-line TypeScript cell with names of its own (no cell re-declares another's), that
    imports nothing: every TypeScript kernel runs it (a checking kernel checks it first)."""
    return "\n".join([
        f"interface Point{i} {{ x: number; y: number }}",
        f"function add{i}(a: Point{i}, b: Point{i}): Point{i} {{",
        "  return { x: a.x + b.x, y: a.y + b.y };",
        "}",
        f"const p{i}: Point{i} = {{ x: 1, y: 2 }};",
        f"const q{i}: Point{i} = add{i}(p{i}, {{ x: 3, y: 4 }});",
        f'const names{i}: string[] = ["a", "b", "c"];',
        f"const total{i}: number = names{i}.map((s) => s.length).reduce((a, b) => a + b, 0);",
        f"class Box{i}<T> {{ constructor(readonly value: T) {{}} }}",
        f"new Box{i}(q{i}.x + total{i}).value",
    ])


def cmd_typed(kernel_name, warmup, n):
    km, kc, started, _, _ = start(kernel_name, settle=False)
    try:
        # The first typed cell sent as soon as kernel_info_reply came (a checker started at boot
        # must be ready by then or soon after), timed to its execute_reply on the shell channel
        # (iopub may not be subscribed yet); then the start-up's iopub messages are dropped.
        t0 = time.monotonic()
        msg_id = kc.execute(typed_cell(0))
        while True:
            reply = kc.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        first = started + time.monotonic() - t0
        if reply["content"]["status"] != "ok":
            fail(f"the first typed cell failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                kc.get_iopub_msg(timeout=0.05)
            except Empty:
                pass
        times = []
        for i in range(1, warmup + n + 1):
            dt, reply, _ = execute(kc, typed_cell(i))
            if reply["status"] != "ok":
                fail(f"typed cell {i} failed: {reply.get('ename')}: {reply.get('evalue')}")
            if i > warmup:
                times.append(dt * 1000)
        # Completion of the members of a typed value made in an earlier cell.
        code = f"q{n}."
        completions = []
        matched = True
        for k in range(warmup + n):
            t0 = time.monotonic()
            r = kc.complete(code, len(code), reply=True, timeout=TIMEOUT)
            if k >= warmup:
                completions.append((time.monotonic() - t0) * 1000)
                matched = matched and "x" in r["content"].get("matches", [])
        emit({
            "ok": True, "first_s": first, "start_s": started, "ms": times,
            "p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times),
            "complete_p50": percentile(completions, 50), "complete_p95": percentile(completions, 95), "complete_finds_members": matched,
            "rss": tree_rss(kernel_pid(km)),
        })
    finally:
        stop(km, kc)


BUSY_CELL = {
    "ts": "const t0 = Date.now();\nwhile (Date.now() - t0 < {ms}) {{}}",
    "python": "import time\nt0 = time.time()\nwhile time.time() - t0 < {ms} / 1000: pass",
}
SPIN_AFTER_AWAIT = {
    "ts": "await new Promise((r) => setTimeout(r, 10));\nwhile (true) {}",
    "python": "import asyncio\nawait asyncio.sleep(0.01)\nwhile True: pass",
}


def cmd_busy(kernel_name, lang, n):
    """Control while a cell keeps the kernel busy, and interrupts of code after an await."""
    km, kc, _, _, _ = start(kernel_name)
    try:
        gap_s = 0.2
        busy_ms = int((0.5 + n * (gap_s + 0.05) + 1.5) * 1000)
        cell = kc.execute(BUSY_CELL[lang].format(ms=busy_ms))
        time.sleep(0.5)
        control, late = [], 0
        for _ in range(n):
            msg = kc.session.msg("kernel_info_request", {})
            t0 = time.monotonic()
            kc.control_channel.send(msg)
            while True:
                reply = kc.control_channel.get_msg(timeout=TIMEOUT)
                if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                    break
            control.append((time.monotonic() - t0) * 1000)
            # Answered only once the cell had ended: the sample measures the cell, not control.
            if kc.shell_channel.msg_ready():
                late += 1
            time.sleep(gap_s)
        while kc.get_shell_msg(timeout=TIMEOUT)["parent_header"].get("msg_id") != cell:
            pass
        interrupts, failed = [], None
        for _ in range(n):
            cell = kc.execute(SPIN_AFTER_AWAIT[lang])
            time.sleep(0.3)
            t0 = time.monotonic()
            km.interrupt_kernel()
            try:
                while True:
                    reply = kc.get_shell_msg(timeout=5)
                    if reply["parent_header"].get("msg_id") == cell:
                        break
            except Empty:
                failed = "no execute_reply within 5 s of the interrupt"
                break
            interrupts.append((time.monotonic() - t0) * 1000)
            if reply["content"].get("ename") != "KeyboardInterrupt":
                failed = f"the cell ended with {reply['content'].get('status')} {reply['content'].get('ename')}"
                break
        emit({"ok": True, "busy_ms": busy_ms, "control_ms": control, "control_late": late, "interrupt_ms": interrupts, "interrupt_failed": failed})
    finally:
        if km.is_alive():
            try:
                kc.stop_channels()
            finally:
                km.shutdown_kernel(now=True)


def cmd_ping(host, port, interval_ms):
    """Pings the echo server every interval_ms (the next ping leaves interval_ms after the
    previous one left, or at once when its answer came later) until a line on stdin."""
    try:
        sock = socket.create_connection((host, port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""

        def ping():
            nonlocal buf
            a = time.monotonic()
            sock.sendall(b"ping\n")
            while b"\n" not in buf:
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError("the echo server closed the connection")
                buf += chunk
            b = time.monotonic()
            buf = buf.split(b"\n", 1)[1]
            return a, b

        ping()
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        pings = []
        interval = interval_ms / 1000
        next_at = time.monotonic()
        while True:
            r, _, _ = select.select([sys.stdin], [], [], max(0.0, next_at - time.monotonic()))
            if r:
                break
            a, b = ping()
            pings.append((a, b))
            next_at = a + interval
        sock.close()
        emit({"pings": pings})
    except Exception as e:  # noqa: BLE001
        emit({"error": f"{type(e).__name__}: {e}"})


def main(argv):
    cmd = argv[0]
    if cmd == "startup":
        cmd_startup(argv[1])
    elif cmd == "roundtrip":
        cmd_roundtrip(argv[1], int(argv[2]), int(argv[3]))
    elif cmd == "rss":
        cmd_rss(argv[1], argv[2], int(argv[3]))
    elif cmd == "responsive":
        cmd_responsive(argv[1], int(argv[2]), int(argv[3]), float(argv[4]))
    elif cmd == "typed":
        cmd_typed(argv[1], int(argv[2]), int(argv[3]))
    elif cmd == "busy":
        cmd_busy(argv[1], argv[2], int(argv[3]))
    elif cmd == "ping":
        cmd_ping(argv[1], int(argv[2]), float(argv[3]))
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
