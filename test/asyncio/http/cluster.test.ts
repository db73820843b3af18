// The multi-process server (src/asyncio/http/cluster.ts): a Supervisor in a child process
// (fixtures/cluster-server.mjs) with two workers on one port. Answers come from both workers,
// a killed worker is replaced while the others keep answering, and SIGTERM ends every process
// once the requests in flight are answered.
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { onCleanup } from "../../helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const script = join(root, "test", "asyncio", "http", "fixtures", "cluster-server.mjs");

interface Cluster {
  child: ChildProcess;
  port: number;
  pids: number[];
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts the fixture in `mode`; resolves once its primary says every worker listens. */
async function startCluster(mode: "protocol" | "app"): Promise<Cluster> {
  const child = spawn(process.execPath, [script, mode], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  onCleanup(() => {
    // A test that failed midway leaves no process behind: the workers end with their primary.
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const { port, pids } = await new Promise<{ port: number; pids: number[] }>((resolve, reject) => {
    const onData = (): void => {
      const json = /^\{.*\}$/m.exec(stdout);
      if (json !== null) resolve(JSON.parse(json[0]));
      const banner = /Running on http:\/\/127\.0\.0\.1:(\d+) =/.exec(stdout);
      if (banner !== null) resolve({ port: Number(banner[1]), pids: [] });
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => reject(new Error(`the supervisor exited (${code}) before it listened: ${stdout}${stderr}`)));
  });
  return { child, port, pids, stdout: () => stdout, stderr: () => stderr, exited };
}

/** One GET on a fresh connection (no agent: no keep-alive); resolves with the answering worker's pid. */
function getPid(port: number, path = "/"): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent: false, timeout: 5000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => (res.statusCode === 200 ? resolve(Number(body)) : reject(new Error(`status ${res.statusCode}`))));
      })
      .on("timeout", function (this: http.ClientRequest) {
        this.destroy(new Error(`no answer to GET ${path} in 5 s`));
      })
      .on("error", reject);
  });
}

/** True while a process with this id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("Supervisor", () => {
  it("answers from more than one worker process on one port", async () => {
    const c = await startCluster("protocol");
    expect(c.pids).toHaveLength(2);
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) seen.add(await getPid(c.port));
    expect([...seen].sort()).toEqual([...c.pids].sort());
    c.child.kill("SIGTERM");
    expect(await c.exited).toBe(0);
  });

  it("keeps answering while a worker is killed, and a replacement worker appears", async () => {
    const c = await startCluster("protocol");
    const [victim, survivor] = c.pids as [number, number];
    process.kill(victim, "SIGKILL");
    // Node's round-robin hands a connection to a worker over IPC: one handed over in the instant
    // the worker dies, before the primary hears of it, is lost (see Supervisor). From the moment
    // the supervisor reports the death, no request may fail.
    while (!c.stderr().includes(`worker ${victim} exited`)) await new Promise((r) => setTimeout(r, 5));
    const seen = new Set<number>();
    let requests = 0;
    const deadline = Date.now() + 10_000;
    // Every request succeeds, answered by the survivor until the replacement joins.
    while (seen.size < 2 && Date.now() < deadline) {
      seen.add(await getPid(c.port));
      requests++;
    }
    expect(seen.has(victim)).toBe(false);
    expect(seen.has(survivor)).toBe(true);
    const [replacement] = [...seen].filter((p) => p !== survivor);
    expect(replacement).toBeGreaterThan(0);
    expect(alive(replacement!)).toBe(true);
    expect(c.stderr()).toMatch(new RegExp(`worker ${victim} exited with signal SIGKILL; starting another`));
    expect(requests).toBeGreaterThanOrEqual(2);
    c.child.kill("SIGTERM");
    expect(await c.exited).toBe(0);
    expect(alive(replacement!)).toBe(false);
  });

  it("stops every worker on SIGTERM once the requests in flight are answered; no process is left", async () => {
    const c = await startCluster("protocol");
    const slow = getPid(c.port, "/slow");
    await new Promise((r) => setTimeout(r, 100));
    c.child.kill("SIGTERM");
    expect(c.pids).toContain(await slow);
    expect(await c.exited).toBe(0);
    expect(c.stdout()).toMatch(/stopped\n$/);
    for (const pid of c.pids) expect(alive(pid)).toBe(false);
    expect(c.stderr()).toBe("");
  });

  it("web.runApp(app, { workers }) serves a web application from several processes, and stops on SIGINT", async () => {
    const c = await startCluster("app");
    expect(c.stdout()).toMatch(/^======== Running on http:\/\/127\.0\.0\.1:\d+ ========\n\(Press CTRL\+C to quit\)\n$/);
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) seen.add(await getPid(c.port));
    expect(seen.size).toBe(2);
    c.child.kill("SIGINT");
    expect(await c.exited).toBe(0);
    for (const pid of seen) expect(alive(pid)).toBe(false);
    expect(c.stdout()).toMatch(/stopped\n$/);
  });
});
