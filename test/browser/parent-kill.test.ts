// A kernel whose Jupyter server dies abruptly (SIGKILL, no shutdown) must not outlive it: the
// kernel started from the page watches its parent (JPY_PARENT_PID, src/kernel/parent-watch.ts)
// and exits, leaving no process of its own (the type checker's compiler included) and no port.
// test/clients/ checks the same with jupyter_client as the parent; here the parent is the server
// JupyterLab runs on, killed as `kill -9` on its process group leader would.
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { descendants } from "../../install/jupyterlab.mjs";
import { browserSuite, openNotebook, processState, runCellToEnd, screenshot, writeNotebook } from "./jupyter.js";

const GROUP = "parent-kill";
const suite = browserSuite(GROUP);

/** Whether `port` can be bound on 127.0.0.1 now (nothing listens there). */
async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (ok) await new Promise((r) => server.close(r));
  return ok;
}

/** Processes whose command line names `text` (zombies, already ended, are left out). */
function processesNaming(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text) && processState(Number(entry)) !== "Z") found.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

describe("the kernel and its parent", () => {
  test("kill -9 of the Jupyter server: its kernel exits, no process and no port left", async () => {
    const { jupyter } = suite;
    const { server, runtimeDir } = jupyter;
    const page = await suite.newPage();
    const panel = await openNotebook(page, jupyter, writeNotebook(jupyter, "parent-kill", ['import * as asyncio from "asyncio";\nawait asyncio.sleep(0.1);\n1 + 1']));
    await runCellToEnd(panel, 0);
    await screenshot(page, GROUP, "kernel-running");

    const sessions = (await (await fetch(`${server.baseUrl}api/sessions?token=${server.token}`)).json()) as { kernel: { id: string } }[];
    expect(sessions).toHaveLength(1);
    const connectionFile = join(runtimeDir, `kernel-${sessions[0]!.kernel.id}.json`);
    const connection = JSON.parse(readFileSync(connectionFile, "utf8")) as Record<string, unknown>;
    const ports = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"].map((k) => Number(connection[k]));
    const serverPid = server.process.pid!;
    const kernels = processesNaming(connectionFile);
    expect(kernels).toHaveLength(1);
    // The kernel and what it started (TypeScript's compiler for the checker, workers are threads).
    const family = [...kernels, ...descendants(kernels[0]!)];
    for (const port of ports) expect(await portIsFree(port), `kernel port ${port} in use before the kill`).toBe(false);

    process.kill(serverPid, "SIGKILL");
    const deadline = Date.now() + 20_000;
    const left = async () => {
      const alive = family.filter((pid) => ![null, "Z"].includes(processState(pid)));
      const bound: number[] = [];
      for (const port of [...ports, server.port]) if (!(await portIsFree(port))) bound.push(port);
      return { alive, bound, naming: processesNaming(connectionFile) };
    };
    let now = await left();
    while ((now.alive.length > 0 || now.bound.length > 0 || now.naming.length > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      now = await left();
    }
    await screenshot(page, GROUP, "server-killed");
    expect(processState(serverPid) ?? "gone").toMatch(/gone|Z/);
    expect(now).toEqual({ alive: [], bound: [], naming: [] });
  });
});
