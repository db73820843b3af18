// The browser suite (test/browser/): headless Chromium against a real JupyterLab and Notebook 7.
// Run once per `npm test` (scripts/test.mjs, last, on the machine's Node), not by the default
// config, which leaves test/browser/ out. Alone: `npm run test:browser`, once `npm test` has made
// the venv and installed Chromium.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    // One server and one browser at a time: the machine may have 2 cores, and each file starts both.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
