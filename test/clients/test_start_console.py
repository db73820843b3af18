"""`npm start -- console` (node scripts/start.mjs console) in a pseudo-terminal, as a person runs it:
it builds, makes sure jupyter console is in the project's venv, and opens `jupyter console` on the
asyncio-ts kernel in this terminal; `1+1` gives `Out[1]: 2`, Ctrl+C at the prompt does not end
it (the console owns Ctrl+C), and leaving it ends npm start and the kernel. Drives the console as
test_console.py does (its Console, started through npm start instead)."""

import os
import shutil
import tempfile
import time

import pexpect
import pytest

from test_console import TIMEOUT, Console, _alive, _children

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class StartConsole(Console):
    """`node scripts/start.mjs console` in a pty."""

    def __init__(self, config_dir):
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=config_dir,
            TERM="xterm-256color",
            PROMPT_TOOLKIT_NO_CPR="1",
            # The project's venv (where npm start puts jupyter console), even with a Jupyter on PATH.
            ASYNCIO_TS_JUPYTER="venv",
        )
        node = shutil.which("node", path=env.get("PATH"))
        self.child = pexpect.spawn(node, [os.path.join(ROOT, "scripts", "start.mjs"), "console"], cwd=ROOT, env=env, dimensions=(40, 160), timeout=TIMEOUT)
        self.raw = ""
        self.pos = 0


@pytest.fixture
def start_console():
    config_dir = tempfile.mkdtemp(prefix="asyncio-ts-start-console-")
    c = StartConsole(config_dir)
    try:
        yield c
    finally:
        c.kill()
        shutil.rmtree(config_dir, ignore_errors=True)


def _descendants(pid):
    found, queue = [], [pid]
    while queue:
        for child in _children(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def test_npm_start_console_runs_a_cell_and_leaves_nothing_behind(start_console):
    c = start_console
    c.expect(r"asyncio-ts", timeout=180)  # the kernel's banner, after the build and the venv check
    c.prompt(1)
    c.type_line("1+1")
    c.expect(r"Out\[1\]: 2\b")
    # Ctrl+C at the prompt belongs to the console (it clears the line): npm start stays.
    c.prompt(2)
    c.child.sendintr()
    time.sleep(0.5)
    assert c.child.isalive()
    c.type_line("6 * 7")
    c.expect(r"Out\[\d\]: 42\b")
    family = _descendants(c.child.pid)
    assert any(b"dist/cli/main.js" in _cmdline(pid) for pid in family), "no kernel under npm start console"
    c.type_line("exit")
    assert c.wait_exit() == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in family if _alive(pid)] == []
