"""Set-up for the lesson-notebook tests: the same temporary kernelspec prefix the real-client
tests use (test/clients/conftest.py, loaded here once, not copied), and a closing table of each
notebook's cell count and run time."""

import importlib.util
import sys
from pathlib import Path

_CLIENTS_CONFTEST = Path(__file__).resolve().parents[1] / "clients" / "conftest.py"


def _share_the_kernelspec_setup():
    # When pytest also collects test/clients, it has imported that conftest already (and so
    # installed the kernelspec and pointed Jupyter at it): loading it twice would make a second
    # prefix for nothing.
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == str(_CLIENTS_CONFTEST):
            return
    spec = importlib.util.spec_from_file_location("asyncio_ts_clients_conftest", _CLIENTS_CONFTEST)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


_share_the_kernelspec_setup()


def pytest_terminal_summary(terminalreporter):
    from lessons import RUNS

    if not RUNS:
        return
    terminalreporter.section("lesson notebooks: cells and run time")
    total = 0.0
    for name, run in sorted(RUNS.items()):
        total += run.seconds
        terminalreporter.write_line(f"{name:28} {run.cells:4d} cells ({run.code_cells:3d} code) {run.seconds:7.1f} s")
    terminalreporter.write_line(f"{'total':28} {sum(r.cells for r in RUNS.values()):4d} cells {'':10} {total:7.1f} s")
