// `asyncio-ts-kernel install`: writes the kernelspec where Jupyter looks for it, with the absolute
// paths of this Node and this package, so the kernel starts the same whatever the notebook's
// folder or PATH.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where to install: for this user (the default), into Python's sys.prefix, or under a prefix. */
export type InstallTarget = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; dir: string };

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The folder Jupyter reads kernelspecs from, for a target. */
export function kernelsDir(target: InstallTarget): string {
  switch (target.kind) {
    case "prefix":
      return join(resolve(target.dir), "share", "jupyter", "kernels");
    case "sys-prefix": {
      const python = process.env["VIRTUAL_ENV"] ? join(process.env["VIRTUAL_ENV"], "bin", "python") : "python3";
      const prefix = execFileSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).trim();
      return join(prefix, "share", "jupyter", "kernels");
    }
    case "user": {
      const data =
        process.env["JUPYTER_DATA_DIR"] ??
        (process.platform === "darwin" ? join(homedir(), "Library", "Jupyter") : join(process.env["XDG_DATA_HOME"] ?? join(homedir(), ".local", "share"), "jupyter"));
      return join(data, "kernels");
    }
  }
}

/** Installs the kernelspec; returns the folder it wrote. */
export function installKernelspec(target: InstallTarget, name = "asyncio-ts"): string {
  const dir = join(kernelsDir(target), name);
  mkdirSync(dir, { recursive: true });
  const template = JSON.parse(readFileSync(join(packageRoot, "kernel", "kernel.json"), "utf8")) as { argv: string[] };
  const spec = { ...template, argv: [process.execPath, join(packageRoot, "dist", "cli", "main.js"), "kernel", "-f", "{connection_file}"] };
  writeFileSync(join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
  for (const logo of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) copyFileSync(join(packageRoot, "kernel", logo), join(dir, logo));
  return dir;
}
