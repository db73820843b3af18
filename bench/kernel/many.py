"""Memory of many asyncio-ts kernels at once, with checking on (a classroom on one machine):
starts N kernels through jupyter_client (kernelspec from JUPYTER_PATH), runs one typed cell in
each, then sums the RSS of each kernel's process and of its process tree (the tree adds
TypeScript 7's checker process). Usage: JUPYTER_PATH=... python bench/kernel/many.py [N]
(`node dist/cli/main.js install --prefix DIR` makes DIR/share/jupyter)."""
import subprocess
import sys
import time

from jupyter_client.manager import start_new_kernel

def tree_rss(pid):
    # RSS of pid and its descendants, in kB
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True).stdout
    rows = [tuple(map(int, l.split())) for l in out.strip().splitlines()]
    kids = {}
    for p, pp, r in rows: kids.setdefault(pp, []).append(p)
    rss = {p: r for p, pp, r in rows}
    total, main, stack = 0, rss.get(pid, 0), [pid]
    while stack:
        p = stack.pop(); total += rss.get(p, 0); stack.extend(kids.get(p, []))
    return main, total

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
kernels = []
for i in range(n):
    km, kc = start_new_kernel(kernel_name="asyncio-ts")
    kernels.append((km, kc))
for km, kc in kernels:
    kc.execute_interactive('import * as asyncio from "asyncio";\nconst f = new asyncio.Future<string>();\nf.setResult("x");\nconst n: number = f.result().length;\nn', timeout=60)
time.sleep(2)
mains, totals = [], []
for km, kc in kernels:
    m, t = tree_rss(km.provisioner.process.pid)
    mains.append(m); totals.append(t)
print(f"{n} kernels with checking on: kernel processes {sum(mains)/1024:.0f} MB in all ({sum(mains)/1024/n:.0f} MB each), with their TypeScript processes {sum(totals)/1024:.0f} MB in all ({sum(totals)/1024/n:.0f} MB each; checker share {(sum(totals)-sum(mains))/1024/n:.0f} MB each)")
for km, kc in kernels:
    kc.stop_channels(); km.shutdown_kernel(now=True)
