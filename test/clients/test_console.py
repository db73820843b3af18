"""`jupyter console` with the asyncio-ts kernel, typed at in a pseudo-terminal as a person types:
results shown as Out[n], state kept between inputs, multi-line input continued by the kernel's
is_complete, and leaving the console (which ends the kernel it started)."""

import os
import re
import shutil
import signal
import sys
import tempfile
import time

import pexpect
import pytest

TIMEOUT = 30
# What prompt_toolkit draws besides text: colours, cursor moves, modes (CSI, OSC, charset).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\r")


class Console:
    """A `jupyter console --kernel asyncio-ts` in a pty; `expect` searches what the screen shows
    (escapes removed), each search starting after the previous match."""

    def __init__(self, config_dir):
        bindir = os.path.dirname(sys.executable)
        env = dict(os.environ)  # JUPYTER_PATH and friends come from conftest.py
        env.update(
            # The user's console config (~/.jupyter) must not change what the test sees.
            JUPYTER_CONFIG_DIR=config_dir,
            PATH=bindir + os.pathsep + env.get("PATH", ""),
            TERM="xterm-256color",
            # No terminal answers prompt_toolkit's cursor-position request in a bare pty.
            PROMPT_TOOLKIT_NO_CPR="1",
        )
        self.child = pexpect.spawn(
            os.path.join(bindir, "jupyter"),
            ["console", "--kernel", "asyncio-ts"],
            env=env,
            dimensions=(40, 160),
            timeout=TIMEOUT,
        )
        self.raw = ""
        self.pos = 0

    @property
    def screen(self):
        return _ESCAPES.sub("", self.raw)

    def expect(self, pattern, timeout=TIMEOUT):
        """The match of `pattern` in the output after the last match; fails with the transcript."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.compile(pattern).search(self.screen, self.pos)
            if m is not None:
                self.pos = m.end()
                return m
            if time.monotonic() > deadline:
                pytest.fail(f"no {pattern!r} within {timeout} s; the console showed:\n{self.screen}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=0.2).decode("utf-8", "replace")
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                m = re.compile(pattern).search(self.screen, self.pos)
                if m is None:
                    pytest.fail(f"the console ended before {pattern!r}; it showed:\n{self.screen}")

    def type_line(self, text):
        """Types `text` and presses Enter (a carriage return, as a terminal sends it)."""
        self.child.send(text + "\r")

    def prompt(self, n):
        self.expect(rf"In \[{n}\]: ")

    def wait_exit(self, timeout=TIMEOUT, unless=None):
        """The console's exit status once it has ended; fails at once if it shows `unless`
        (the next prompt, say) instead."""
        deadline = time.monotonic() + timeout
        while self.child.isalive():
            if time.monotonic() > deadline:
                pytest.fail(f"the console did not end within {timeout} s; it showed:\n{self.screen}")
            if unless is not None and re.search(unless, self.screen[self.pos :]):
                pytest.fail(f"the console went on ({unless!r}) instead of ending; it showed:\n{self.screen}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=0.2).decode("utf-8", "replace")
            except (pexpect.TIMEOUT, pexpect.EOF):
                pass
        return self.child.exitstatus

    def kill(self):
        """Ends the console if a test left it running, and the kernel it started: the kernel
        runs in a session of its own, so it does not die with the console."""
        kernels = _children(self.child.pid)
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)
        for pid in kernels:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def console():
    config_dir = tempfile.mkdtemp(prefix="asyncio-ts-console-config-")
    c = Console(config_dir)
    try:
        yield c
    finally:
        c.kill()
        shutil.rmtree(config_dir, ignore_errors=True)


def _children(pid):
    """Process ids whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    # pid (comm) state ppid ...; comm may hold spaces, so split after its ')'.
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _kernel_pid(console, n):
    """The kernel's process id, asked at prompt n, so the test can prove it ends with the console."""
    console.type_line("process.pid")
    return int(console.expect(rf"Out\[{n}\]: (\d+)").group(1))


def test_a_console_session_results_state_multiline_input_and_leaving(console):
    console.expect(r"asyncio-ts")  # the kernel's banner
    console.prompt(1)
    console.type_line("const a = 6 * 7")
    console.prompt(2)
    console.type_line("a")
    console.expect(r"Out\[2\]: 42\b")

    # Enter after an unfinished line asks the kernel (is_complete) and continues the input.
    console.prompt(3)
    console.type_line("function f() {")
    console.expect(r"\.\.\.: ")
    console.type_line("  return 1")
    console.expect(r"\.\.\.: ")
    console.type_line("}")
    console.prompt(4)
    console.type_line("f()")
    console.expect(r"Out\[4\]: 1\b")

    console.prompt(5)
    pid = _kernel_pid(console, 5)
    assert _alive(pid)

    # Ctrl-D at an empty prompt, confirmed: the console's own way out.
    console.prompt(6)
    console.child.sendcontrol("d")
    console.expect(r"Do you really want to exit")
    console.type_line("y")
    assert console.wait_exit() == 0
    # The console started the kernel; leaving it leaves no kernel process behind.
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), f"kernel process {pid} still running after the console ended"


def test_typing_exit_ends_the_console(console):
    console.prompt(1)
    console.type_line("exit")
    assert console.wait_exit(unless=r"In \[2\]: ") == 0


def test_the_loop_monitor_prints_a_text_table(console):
    """The console shows the monitor's text/plain: the table a terminal gets."""
    console.prompt(1)
    console.type_line('import * as asyncio from "asyncio"')
    console.prompt(2)
    console.type_line('const sleeper = asyncio.createTask(async () => { await asyncio.sleep(60); }, { name: "sleeper" })')
    console.prompt(3)
    console.type_line("const m = asyncio.monitor({ seconds: 1 })")
    console.expect(r"Event loop: \d+ tasks?, \d+ timers?, 0 servers")
    console.expect(r"TASK\s+STATE\s+COROUTINE\s+AT\s+WAITS FOR\s+FROM\s+AGE")
    console.expect(r"sleeper\s+waiting\s+<anonymous>\(\)\s+In\[2\], line 1\s+sleep \(\d+ s left\)\s+In\[2\]")
    console.expect(r"TIMER IN\s+CALLBACK")
    console.expect(r"wakes 'sleeper' \(sleep\)")
    console.prompt(4)
    console.type_line("sleeper.cancel()")
    console.expect(r"Out\[4\]: true")
