"""The echo benchmark's servers on CPython asyncio (default loop) or uvloop (--uvloop).

    python server.py --api=protocol|streams [--mode=lines|chunks] [--uvloop] [--max-seconds=900]

--api=protocol: an asyncio.Protocol whose data_received writes the data back, via
loop.create_server. --api=streams: asyncio.start_server with a handler that echoes line by line
(--mode=lines: readline(), write(line), drain()) or in chunks (--mode=chunks: read(65536),
write(chunk), drain()). The same logic as server-asyncio-ts.mjs. Listens on 127.0.0.1 port 0,
prints one JSON line {"port": .., "runtime": ..}, and serves until its stdin closes, SIGTERM,
or --max-seconds have passed.
"""
import asyncio
import json
import os
import platform
import signal
import sys
import threading


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def echo_lines(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    writer.close()


async def echo_chunks(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


def arg(name, default):
    for a in sys.argv[1:]:
        if a.startswith(f"--{name}="):
            return a[len(name) + 3 :]
    return default


def watch_stdin():
    # A blocked read holds no GIL; when the harness closes stdin (or dies), exit at once.
    try:
        sys.stdin.buffer.read()
    finally:
        os._exit(0)


async def main(api, mode, max_seconds, runtime):
    loop = asyncio.get_running_loop()
    if api == "protocol":
        server = await loop.create_server(EchoProtocol, "127.0.0.1", 0)
    elif api == "streams":
        server = await asyncio.start_server(echo_lines if mode == "lines" else echo_chunks, "127.0.0.1", 0)
    else:
        raise ValueError(f"unknown --api={api}")
    port = server.sockets[0].getsockname()[1]
    loop.call_later(max_seconds, os._exit, 0)
    print(json.dumps({"port": port, "runtime": runtime}), flush=True)
    async with server:
        await server.serve_forever()


def run(main, runtime):
    """Runs main(runtime) to its end on a new default loop, or on uvloop with --uvloop.

    Shared with the http benchmark's aiohttp server: the process exits at once on SIGTERM or
    when its stdin closes, as the harness ends its servers.
    """
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=watch_stdin, daemon=True).start()
    if "--uvloop" in sys.argv:
        import uvloop

        runtime += f" uvloop {uvloop.__version__}"
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(main(runtime))


if __name__ == "__main__":
    api = arg("api", "protocol")
    mode = arg("mode", "lines")
    max_seconds = float(arg("max-seconds", "900"))
    run(lambda runtime: main(api, mode, max_seconds, runtime), f"{platform.python_implementation()} {platform.python_version()}")
