#!/usr/bin/env node
// The `asyncio-ts` command. The only place in the project that calls process.exit.
// Subcommands: `demo` (a short tour of the library), `--version`. The kernel's `install` and
// `kernel` subcommands come with the kernel (issue 4).

import { readFileSync } from "node:fs";
import { runDemo } from "./demo.js";

const USAGE = `usage: asyncio-ts <command>

commands:
  demo        run a short demo of the library (futures, tasks, both coroutine styles)
  --version   print the version
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case "demo":
      await runDemo((line) => process.stdout.write(line + "\n"));
      return 0;
    case "--version":
    case "-V": {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
      process.stdout.write(`asyncio-ts ${pkg.version}\n`);
      return 0;
    }
    case undefined:
    case "-h":
    case "--help":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`asyncio-ts: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`asyncio-ts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
