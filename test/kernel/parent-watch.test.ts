// The watch on the process that started the kernel (JPY_PARENT_PID). The kernel's own parent
// dying is tested through jupyter_client (test/clients, issue 12); here: which pid is watched,
// a watched process that is not the parent, and a pid that does not exist.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { parentPidFromEnv, watchParent } from "../../src/kernel/parent-watch.js";

describe("parentPidFromEnv", () => {
  it("reads JPY_PARENT_PID, and nothing that is not a pid worth watching", () => {
    expect(parentPidFromEnv({ JPY_PARENT_PID: "4242" })).toBe(4242);
    expect(parentPidFromEnv({ JPY_PARENT_PID: " 4242\n" })).toBe(4242);
    expect(parentPidFromEnv({})).toBeNull();
    // init never goes away (it is only reassigned), as ipykernel notes.
    for (const raw of ["", "0", "1", "-5", "12abc", "4.2", "99999999999999999999"]) expect(parentPidFromEnv({ JPY_PARENT_PID: raw }), raw).toBeNull();
  });
});

describe("watchParent", () => {
  it("tells once when a watched process that is not this one's parent has ended", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    await once(child, "spawn");
    let told = 0;
    const stop = watchParent(child.pid!, () => told++, 10);
    try {
      await new Promise((r) => setTimeout(r, 50));
      expect(told).toBe(0);
      child.kill("SIGKILL");
      await once(child, "exit");
      for (let i = 0; i < 100 && told === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      expect(told).toBe(1);
    } finally {
      stop();
      child.kill("SIGKILL");
    }
  });

  it("does not watch a pid that does not exist at the start (an inherited JPY_PARENT_PID)", async () => {
    const child = spawn("true", [], { stdio: "ignore" });
    await once(child, "exit");
    let told = 0;
    const stop = watchParent(child.pid!, () => told++, 10);
    await new Promise((r) => setTimeout(r, 60));
    stop();
    expect(told).toBe(0);
  });
});
