// What `npm start` does (scripts/start.mjs is its entry point): installs what is missing, builds,
// and opens JupyterLab on the lessons with the asyncio-ts kernel (install/jupyterlab.mjs does the
// Jupyter part); `npm start -- console` opens `jupyter console` on the kernel instead. Run
// `npm start -- --help` for the flags. Plain Node: it runs on a fresh clone before `npm install`.
import { build, ensureNodeModules } from "./ensure.mjs";

const USAGE = `usage: npm start [-- [console] [options] [--Class.trait=value ...]]

  (no command)       JupyterLab on notebooks/, 00-welcome.ipynb open, the asyncio-ts kernel as default
  console            jupyter console with the asyncio-ts kernel in this terminal

options:
  --port N           listen on port N (default: a free port)
  --no-browser       print the URL, do not open a browser
  --dir DIR          serve DIR instead of notebooks/ (opens DIR/00-welcome.ipynb if there)
  --demo LESSON      instructor mode: one lesson (05-futures, 05, or its file name) in presentation
                     mode with larger fonts, its kernel started and warm
  --notebook         Jupyter Notebook 7 instead of JupyterLab
  --Class.trait=V    passed to jupyter as it is (--ServerApp.base_url=/x/, ...)
  -h, --help         this text
`;

/**
 * The command line as options, or an error message.
 * @param {string[]} argv
 */
function parseArgs(argv) {
  /** @type {{ console: boolean, port: number, open: boolean, dir: string | undefined, demo: string | null, app: "lab" | "notebook", args: string[], help: boolean }} */
  const opts = { console: false, port: 0, open: true, dir: undefined, demo: null, app: "lab", args: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`);
      return v;
    };
    if (arg === "console" && i === 0) opts.console = true;
    else if (flag === "--port") {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port wants a number from 0 to 65535, not ${JSON.stringify(v)}`);
      opts.port = Number(v);
    } else if (arg === "--no-browser") opts.open = false;
    else if (flag === "--dir") opts.dir = value();
    else if (flag === "--demo") opts.demo = value();
    else if (arg === "--notebook") opts.app = "notebook";
    else if (arg === "-h" || arg === "--help") opts.help = true;
    // Jupyter's own configuration, as `jupyter lab` takes it: --ServerApp.base_url=/x/, --ip=...
    else if (/^--[A-Z][A-Za-z0-9]*\.[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) opts.args.push(arg);
    else throw new Error(`unknown argument ${JSON.stringify(arg)}`);
  }
  if (opts.demo !== null && opts.app === "notebook") throw new Error("--demo runs in JupyterLab: leave out --notebook");
  if (opts.console && (opts.demo !== null || opts.app === "notebook" || opts.dir !== undefined || opts.port !== 0))
    throw new Error("console takes no --port, --dir, --demo or --notebook");
  return opts;
}

/**
 * Runs `npm start` with the arguments after `--`; resolves to the process's exit code once
 * JupyterLab (or the console) has stopped: 0, 1 when stopping failed, 2 for a bad command line.
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
export async function start(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`npm start: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  ensureNodeModules();
  build();
  // After the build: install/ needs dist/ (the kernelspec) and node_modules (ws, for the demo).
  const { ensureJupyter, startConsole, startJupyter } = await import("./jupyterlab.mjs");
  const jupyter = ensureJupyter({ console: opts.console });

  if (opts.console) {
    // Ctrl+C belongs to the console (it interrupts the kernel); the console ends its kernel on exit.
    process.on("SIGINT", () => {});
    return await startConsole(jupyter, { args: opts.args });
  }

  const what = opts.app === "lab" ? "JupyterLab" : "Jupyter Notebook";
  process.stderr.write(`[start] starting ${what}${opts.demo !== null ? ` (instructor mode: ${opts.demo})` : ""}\n`);
  const server = await startJupyter({ app: opts.app, dir: opts.dir, port: opts.port, open: opts.open, demo: opts.demo, args: opts.args, jupyter });
  process.stdout.write(`\n  ${what} is running at:\n\n    ${server.url}\n\n`);
  process.stderr.write(`[start] ${opts.open ? "opened in your browser; " : ""}Ctrl+C stops it and its kernels\n`);

  return await new Promise((resolve) => {
    let stopping = false;
    const stop = (/** @type {string} */ signal) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\n[start] stopping ${what} (${signal})\n`);
      server.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on("SIGINT", () => stop("Ctrl+C"));
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGHUP", () => stop("SIGHUP"));
    server.process.once("exit", (code) => {
      if (stopping) return;
      process.stderr.write(`[start] ${what} ended by itself (exit code ${code})\n`);
      server.stop().then(() => resolve(code ?? 1));
    });
  });
}
