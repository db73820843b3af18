"""What the lesson-notebook tests share: where the notebooks are, running one through the real
kernel (nbclient over jupyter_client, as JupyterLab's "Restart kernel and run all" does), and
reading a cell's outputs as text."""

import copy
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
KERNEL_NAME = "asyncio-ts"
KERNELSPEC = {"name": "asyncio-ts", "display_name": "TypeScript (asyncio-ts)", "language": "typescript"}
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
# The 14 lessons of ../shared/LESSONS.md, in order.
LESSONS = [
    "00-welcome",
    "01-generators",
    "02-yield-star",
    "03-event-loop",
    "04-coroutines",
    "05-futures",
    "06-tasks",
    "07-transports-protocols",
    "08-streams",
    "09-http-client",
    "10-http-server",
    "11-rest",
    "12-benchmarks",
    "13-resources",
]
CELL_TIMEOUT = 120

# Run after the last cell, in the same kernel: what the notebook left listening or connected.
# Every server a lesson starts must be closed by its end (and every client connection with it).
# A closed handle leaves Node's list on the next turn of its loop, hence the short wait. (The
# kernel's own stdio pipes are "PipeWrap", not counted.)
LEFT_OPEN_CHECK = (
    "await new Promise((resolve) => setTimeout(resolve, 50));\n"
    "console.log(JSON.stringify(process.getActiveResourcesInfo()"
    ".filter((r) => /^(TCPServerWrap|TCPSocketWrap|TCPWrap|PipeServerWrap|PipeSocketWrap|UDPWrap)$/.test(r))));"
)


def notebook_paths():
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))


@dataclass
class Run:
    """One notebook run top to bottom: the executed notebook and what it cost."""

    nb: nbformat.NotebookNode
    seconds: float
    cells: int
    code_cells: int
    left_open: list = field(default_factory=list)

    def cell(self, cell_id):
        for cell in self.nb.cells:
            if cell.get("id") == cell_id:
                return cell
        raise KeyError(f"no cell with id {cell_id!r}")


# name -> Run, filled as the tests execute notebooks (conftest prints it at the end).
RUNS: dict = {}


def run_notebook(name):
    """Runs notebooks/<name>.ipynb top to bottom in a fresh kernel, once per test session."""
    if name in RUNS:
        return RUNS[name]
    path = NOTEBOOK_DIR / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    work = copy.deepcopy(nb)
    check = nbformat.v4.new_code_cell(LEFT_OPEN_CHECK, id="zz-left-open-check")
    work.cells.append(check)
    client = NotebookClient(
        work,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT,
        startup_timeout=60,
        # Every error is reported by the test, with its cell id, rather than the first one raised.
        allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.monotonic()
    client.execute()
    seconds = time.monotonic() - start
    work.cells.pop()
    try:
        left_open = json.loads(stream_text(check, "stdout"))
    except ValueError:
        left_open = [f"(the check after the last cell said {outputs_text(check)!r})"]
    run = Run(
        nb=work,
        seconds=seconds,
        cells=len(nb.cells),
        code_cells=sum(1 for c in nb.cells if c.cell_type == "code"),
        left_open=left_open,
    )
    RUNS[name] = run
    keep = os.environ.get("ASYNCIO_TS_EXECUTED_DIR")
    if keep:
        # For a look at what each cell showed: ASYNCIO_TS_EXECUTED_DIR=/tmp/executed pytest ...
        os.makedirs(keep, exist_ok=True)
        nbformat.write(work, os.path.join(keep, f"{name}.ipynb"))
    return run


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def result_text(cell):
    """The cell's Out[n] as text/plain, or None when it has no result."""
    for out in cell.get("outputs", []):
        if out.output_type == "execute_result":
            return out.data.get("text/plain")
    return None


def stream_text(cell, name):
    return "".join(out.text for out in cell.get("outputs", []) if out.output_type == "stream" and out.name == name)


def errors(cell):
    return [out for out in cell.get("outputs", []) if out.output_type == "error"]


def outputs_text(cell):
    """Everything a cell shows, as text: streams, results, displays (text/plain) and errors."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/plain", ""))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    # One line break between outputs (streams bring their own), none at the very end.
    text = "".join(p if p.endswith("\n") else p + "\n" for p in parts)
    return text[:-1]


ANSI = re.compile(r"\x1b\[[0-9;]*m")
