// Runs before every test file: after each test, the test's cleanups run (helpers.onCleanup), then
// every loop the test made must be closed with no task left pending, and no current loop may
// leak into the next test.
import { afterEach, expect } from "vitest";
import { setEventLoop, allTasks } from "../src/asyncio/index.js";
import { runCleanups, trackedLoops } from "./helpers.js";

afterEach(() => {
  runCleanups();
  const loops = trackedLoops.splice(0);
  setEventLoop(null);
  for (const loop of loops) {
    expect(loop.isRunning(), `${loop} still running after the test`).toBe(false);
    const pending = [...allTasks(loop)];
    expect(pending.map(String), "tasks left pending after the test").toEqual([]);
    expect(loop.isClosed(), `${loop} not closed after the test`).toBe(true);
  }
});
