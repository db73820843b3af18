// `npm start`: installs what is missing, builds, and (until the kernel lands, issue 4) runs a
// short demo of the library. It will register the kernel and open JupyterLab on the lessons.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { build, ensureNodeModules, root } from "./ensure.mjs";

ensureNodeModules();
build();
const r = spawnSync(process.execPath, [join(root, "dist", "cli", "main.js"), "demo"], { stdio: "inherit" });
process.exit(r.status ?? 1);
