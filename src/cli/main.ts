#!/usr/bin/env node
// The `asyncio-ts-kernel` command (the kernel package's bin; `node dist/cli/main.js` in this
// repository). One of the two places in src/ that call process.exit: a command ends with its
// code. (The other: the kernel's control thread ends the process on a shutdown, zmq-worker.ts.)
// Subcommands: `kernel -f FILE` (what kernel.json runs), `install` (registers the kernelspec),
// `demo` (a short tour of the library), `--version`.

import { readFileSync } from "node:fs";
import { runDemo } from "./demo.js";
import { installKernelspec, type InstallTarget } from "./install.js";
import { runKernel } from "./kernel.js";

const USAGE = `usage: asyncio-ts-kernel <command>

commands:
  kernel -f CONNECTION_FILE   run the kernel (what Jupyter starts)
  install [--user | --sys-prefix | --prefix DIR]
              register the kernel with Jupyter (default: --user)
  demo        run a short demo of the library (futures, tasks, both coroutine styles)
  --version   print the version
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case "kernel": {
      const i = argv.indexOf("-f");
      const file = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith("--f="))?.slice(4);
      if (file === undefined) {
        process.stderr.write("asyncio-ts-kernel kernel: -f CONNECTION_FILE is required\n");
        return 2;
      }
      return await runKernel(file);
    }
    case "install": {
      let target: InstallTarget = { kind: "user" };
      if (argv.includes("--sys-prefix")) target = { kind: "sys-prefix" };
      const p = argv.indexOf("--prefix");
      if (p >= 0) {
        const dir = argv[p + 1];
        if (dir === undefined) {
          process.stderr.write("asyncio-ts-kernel install: --prefix needs a folder\n");
          return 2;
        }
        target = { kind: "prefix", dir };
      }
      const where = installKernelspec(target);
      process.stdout.write(`Installed the asyncio-ts kernelspec in ${where}\n`);
      return 0;
    }
    case "demo":
      await runDemo((line) => process.stdout.write(line + "\n"));
      return 0;
    case "--version":
    case "-V": {
      // The package this runs from: asyncio-ts-kernel when installed, asyncio-ts in this repository.
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name: string; version: string };
      process.stdout.write(`${pkg.name} ${pkg.version}\n`);
      return 0;
    }
    case undefined:
    case "-h":
    case "--help":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`asyncio-ts-kernel: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`asyncio-ts-kernel: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
