"""The http benchmark's aiohttp server: "It Works!" as an aiohttp.web application, one GET route.

    python server_aiohttp.py [--uvloop] [--max-seconds=900]

The handler returns web.Response(text=..., content_type="text/html"), the application is started
with web.AppRunner and web.TCPSite (what web.run_app does, minus its signal handling), on the
default event loop or on uvloop (--uvloop). Access logging stays as aiohttp leaves it when
logging is not configured (off). Listens on 127.0.0.1 port 0, prints one JSON line
{"port": .., "runtime": ..} and serves until its stdin closes, SIGTERM, or --max-seconds.
"""
import asyncio
import json
import os
import platform
import sys

from aiohttp import __version__ as aiohttp_version
from aiohttp import web

# The echo benchmark's servers end the same way: share its helpers.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "echo"))
from server import arg, run  # noqa: E402

IT_WORKS = "<h1>It Works!</h1>"


async def handle(request):
    return web.Response(text=IT_WORKS, content_type="text/html")


async def main(max_seconds, runtime):
    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    asyncio.get_running_loop().call_later(max_seconds, os._exit, 0)
    print(json.dumps({"port": port, "runtime": runtime}), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    max_seconds = float(arg("max-seconds", "900"))
    run(lambda runtime: main(max_seconds, runtime), f"{platform.python_implementation()} {platform.python_version()} aiohttp {aiohttp_version}")
