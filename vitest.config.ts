import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The browser suite has its own config (vitest.browser.config.ts) and runs once per npm test.
    exclude: [...configDefaults.exclude, "test/browser/**"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup.ts"],
    pool: "forks",
    // --expose-gc lets tests prove the reports made when objects are collected.
    execArgv: ["--expose-gc"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
