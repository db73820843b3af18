"""The loop benchmark's workloads on CPython's asyncio (default loop) or uvloop (--uvloop).

Each workload mirrors asyncio-ts.mjs line for line. Run by run.mjs in a fresh process:
    python python.py <workload> <n> <warmupN> [--uvloop]
prints one JSON line: {"ok": true, "seconds": .., "ops": .., "lateness": {..}?, "runtime": ".."}
"""
import asyncio
import json
import math
import platform
import sys
import time

CHAINS = 1000  # callSoon workload shape: CHAINS chains, each n // CHAINS callbacks long
TIMER_DELAY = 0.01


def percentile(sorted_values, p):
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[min(len(sorted_values) - 1, max(0, rank - 1))]


def lateness_stats(fired, due):
    late = sorted((f - d) * 1000 for f, d in zip(fired, due))
    return {"p50": percentile(late, 50), "p99": percentile(late, 99), "max": late[-1], "min": late[0]}


async def callsoon(loop, n):
    length = n // CHAINS
    done = loop.create_future()
    left = CHAINS

    def tick(k):
        nonlocal left
        if k > 1:
            loop.call_soon(tick, k - 1)
        else:
            left -= 1
            if left == 0:
                done.set_result(None)

    def start():
        for _ in range(CHAINS):
            loop.call_soon(tick, length)

    t0 = time.perf_counter()
    loop.call_soon(start)
    await done
    return {"seconds": time.perf_counter() - t0}


async def future(loop, n):
    t0 = time.perf_counter()
    for _ in range(n):
        f = loop.create_future()
        loop.call_soon(f.set_result, None)
        await f
    return {"seconds": time.perf_counter() - t0}


async def tasks(loop, n):
    async def child():
        await asyncio.sleep(0)

    t0 = time.perf_counter()
    ts = [loop.create_task(child()) for _ in range(n)]
    await asyncio.gather(*ts)
    return {"seconds": time.perf_counter() - t0}


async def queue(loop, n):
    q1 = asyncio.Queue()
    q2 = asyncio.Queue()

    async def pinger():
        for i in range(n):
            await q1.put(i)
            await q2.get()

    async def ponger():
        for _ in range(n):
            x = await q1.get()
            await q2.put(x)

    t0 = time.perf_counter()
    await asyncio.gather(loop.create_task(pinger()), loop.create_task(ponger()))
    return {"seconds": time.perf_counter() - t0}


async def timers(loop, n, real_clock):
    # uvloop's loop.time() is libuv's cached millisecond clock; there, due and fire times are read
    # from time.monotonic() (the clock CPython's loop.time() is), as the timers' real lateness.
    clock = time.monotonic if real_clock else loop.time
    due = [0.0] * n
    fired = [0.0] * n
    done = loop.create_future()
    left = n

    def fire(i):
        nonlocal left
        fired[i] = clock()
        left -= 1
        if left == 0:
            done.set_result(None)

    t0 = time.perf_counter()
    for i in range(n):
        if real_clock:
            due[i] = clock() + TIMER_DELAY
            loop.call_later(TIMER_DELAY, fire, i)
        else:
            due[i] = loop.call_later(TIMER_DELAY, fire, i).when()
    await done
    return {"seconds": time.perf_counter() - t0, "lateness": lateness_stats(fired, due)}


WORKLOADS = {"callsoon": callsoon, "future": future, "tasks": tasks, "queue": queue, "timers": timers}


def measure(workload, n, use_uvloop):
    if use_uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        impl = WORKLOADS[workload]
        coro = impl(loop, n, use_uvloop) if workload == "timers" else impl(loop, n)
        return loop.run_until_complete(coro)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    use_uvloop = "--uvloop" in sys.argv
    try:
        workload, n, warmup = args[0], int(args[1]), int(args[2])
        if workload not in WORKLOADS:
            raise ValueError(f"unknown workload {workload}")
        runtime = f"{platform.python_implementation()} {platform.python_version()}"
        if use_uvloop:
            import uvloop

            runtime += f" uvloop {uvloop.__version__}"
        if warmup > 0:
            measure(workload, warmup, use_uvloop)
        r = measure(workload, n, use_uvloop)
        print(json.dumps({"ok": True, "ops": n, "runtime": runtime, **r}))
    except Exception as e:  # reported to run.mjs as a row error
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)


if __name__ == "__main__":
    main()
