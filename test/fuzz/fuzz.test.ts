// The frame fuzzer (fuzzer.mjs) in short: 1,500 messages with a fixed seed against a real kernel
// process, on the Node that runs the suite. `npm run fuzz` runs the long one.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";

const FUZZER = join(dirname(fileURLToPath(import.meta.url)), "fuzzer.mjs");
const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-fuzz-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What fuzzer.mjs writes with --json (the fields this test reads). */
interface Summary {
  messages: number;
  perClass: Record<string, number>;
  checks: { passed: number; failed: number };
  failures: string[];
  forgedRuns: number;
  kernelExit: { code: number | null; signal: string | null } | null;
}

test("a kernel sent 1,500 malformed, forged and pathological messages stays up, answers every health check and runs nothing forged", async () => {
  const json = join(dir, "summary.json");
  // --seconds bounds the sending on a slow machine; the checks and the shutdown come after it.
  const args = [FUZZER, "--count", "1500", "--seconds", "45", "--seed", "20251", "--check-every", "250", "--json", json, "--quiet"];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  expect(code, output).toBe(0);
  const summary = JSON.parse(readFileSync(json, "utf8")) as Summary;
  expect(summary.failures, output).toEqual([]);
  expect(summary.checks.failed).toBe(0);
  expect(summary.checks.passed).toBeGreaterThan(0);
  expect(summary.forgedRuns).toBe(0);
  // Alive to the end: it answered shutdown_request and exited 0 by itself.
  expect(summary.kernelExit).toEqual({ code: 0, signal: null });
  expect(summary.messages).toBeGreaterThan(0);
  expect(Object.keys(summary.perClass).length, "message classes sent").toBeGreaterThan(10);
}, 180_000);
