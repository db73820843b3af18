"""Shared set-up for the real-client tests: the asyncio-ts kernelspec installed into a
temporary prefix that Jupyter is pointed at, so the tests use the kernel built from this
checkout and nothing from the user's own Jupyter set-up."""

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PREFIX = tempfile.mkdtemp(prefix="asyncio-ts-jupyter-")
atexit.register(shutil.rmtree, _PREFIX, ignore_errors=True)
subprocess.run(
    ["node", str(ROOT / "dist" / "cli" / "main.js"), "install", "--prefix", _PREFIX],
    check=True,
    capture_output=True,
)
# Jupyter reads these when its managers are made, so they are set before any test imports it.
os.environ["JUPYTER_PATH"] = os.path.join(_PREFIX, "share", "jupyter")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(_PREFIX, "data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(_PREFIX, "runtime")
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

# A second kernelspec that asks for message-mode interrupts (interrupt_request on the control
# channel instead of SIGINT), to test both modes.
import json as _json

_spec_dir = os.path.join(_PREFIX, "share", "jupyter", "kernels")
with open(os.path.join(_spec_dir, "asyncio-ts", "kernel.json")) as _f:
    _spec = _json.load(_f)
_spec["interrupt_mode"] = "message"
_spec["display_name"] = "TypeScript (asyncio-ts, message interrupts)"
os.makedirs(os.path.join(_spec_dir, "asyncio-ts-message"), exist_ok=True)
with open(os.path.join(_spec_dir, "asyncio-ts-message", "kernel.json"), "w") as _f:
    _json.dump(_spec, _f)
