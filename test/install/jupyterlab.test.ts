// install/jupyterlab.mjs through its API, in this checkout (test/install/start.test.ts runs
// `npm start` on a fresh copy): what names a lesson, and a server whose caller is killed.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";
import { ensureJupyter, LESSONS_DIR, resolveLesson, root } from "../../install/jupyterlab.mjs";
import { alive, portBound } from "./helpers.js";

const PYTHON3 = existsSync(join(root, ".venv", "bin", "python"));

describe("resolveLesson", () => {
  test("takes a lesson's full name, its number or its file name", () => {
    expect(resolveLesson("05-futures")).toBe("05-futures.ipynb");
    expect(resolveLesson("05")).toBe("05-futures.ipynb");
    expect(resolveLesson("05-futures.ipynb")).toBe("05-futures.ipynb");
    expect(resolveLesson(join(LESSONS_DIR, "05-futures.ipynb"))).toBe("05-futures.ipynb");
  });

  test("names the lessons when none matches", () => {
    expect(() => resolveLesson("99-nothing")).toThrow(/no lesson "99-nothing" in .*; the lessons are: 00-welcome, 01-generators/);
  });
});

describe.skipIf(!PYTHON3 || process.platform !== "linux")("startJupyter", () => {
  test("a server whose caller is killed with SIGKILL stops itself and its kernel: no process, no port", async () => {
    ensureJupyter({ venv: true });
    // A caller that starts JupyterLab and a kernel, prints their ids, and dies without stop().
    const module = JSON.stringify(pathToFileURL(join(root, "install", "jupyterlab.mjs")).href);
    const script = `
      import { readFileSync } from "node:fs";
      const { startJupyter, ensureJupyter, descendants } = await import(${module});
      const r = await startJupyter({ open: false, log: null, jupyter: ensureJupyter({ venv: true }) });
      await fetch(r.baseUrl + "api/kernels", { method: "POST", headers: { Authorization: "token " + r.token }, body: JSON.stringify({ name: "asyncio-ts" }) });
      const isKernel = (pid) => { try { return readFileSync("/proc/" + pid + "/cmdline", "utf8").includes("main.js"); } catch { return false; } };
      let family = [];
      for (let i = 0; i < 300 && !family.some(isKernel); i++) {
        await new Promise((res) => setTimeout(res, 100));
        family = [r.process.pid, ...descendants(r.process.pid)];
      }
      console.log(JSON.stringify({ port: r.port, family }));
      process.kill(process.pid, "SIGKILL");
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.once("exit", resolve));
    const line = out.split("\n").find((l) => l.startsWith("{"));
    expect(line, out).toBeDefined();
    const { port, family } = JSON.parse(line as string) as { port: number; family: number[] };
    expect(family.length).toBeGreaterThanOrEqual(2); // the server and the kernel
    const deadline = Date.now() + 20_000;
    while (family.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    try {
      expect(family.filter(alive)).toEqual([]);
      expect(await portBound(port)).toBe(false);
    } finally {
      for (const pid of family) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  }, 120_000);
});
