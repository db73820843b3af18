"""Shared set-up for the real-client tests: the asyncio-ts kernelspec installed into a
temporary prefix that Jupyter is pointed at, so the tests use the kernel built from this
checkout and nothing from the user's own Jupyter set-up."""

import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PREFIX = tempfile.mkdtemp(prefix="asyncio-ts-jupyter-")
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
