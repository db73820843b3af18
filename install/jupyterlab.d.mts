// Types of install/jupyterlab.mjs for the TypeScript tests that start JupyterLab through it
// (test/install/, test/browser/). The module's JSDoc has the details.
import type { ChildProcess } from "node:child_process";

export declare const root: string;
/** The kernelspec's name, "asyncio-ts". */
export declare const KERNEL_NAME: string;
/** notebooks/ */
export declare const LESSONS_DIR: string;
/** "00-welcome.ipynb" */
export declare const WELCOME: string;
/** .cache/jupyterlab/: workspaces, the lessons' notary, the instructor mode's settings. */
export declare const STATE_DIR: string;
export declare const DEMO_FONT_SIZES: Readonly<Record<string, string>>;

/** What ensureJupyter found or installed. */
export interface Jupyter {
  /** the user's Jupyter on PATH, or the project's .venv */
  source: "path" | "venv";
  /** the Python that runs that Jupyter */
  python: string;
  /** argv prefixes that start `jupyter lab`, `jupyter notebook`, `jupyter console` (null unless asked for) */
  commands: { lab: string[]; notebook: string[]; console: string[] | null };
  /** what to add to the environment of those commands */
  env: Record<string, string>;
  /** the folder the asyncio-ts kernelspec was written to */
  kernelspec: string;
}

/**
 * Makes sure JupyterLab 4 and Notebook 7 (and jupyter console when asked) are there (the user's on
 * PATH, else the project's .venv; `venv: true` or ASYNCIO_TS_JUPYTER=venv forces the venv) and
 * registers the kernel with them. Synchronous.
 */
export declare function ensureJupyter(options?: { console?: boolean; venv?: boolean }): Jupyter;

export interface StartOptions {
  app?: "lab" | "notebook";
  /** the root folder (default: notebooks/) */
  dir?: string;
  /** 0 (the default): a free port */
  port?: number;
  host?: string;
  /** open the URL in the user's browser (default true) */
  open?: boolean;
  /** the instructor mode's lesson: "05-futures", "05" or "05-futures.ipynb" */
  demo?: string | null;
  token?: string;
  env?: Record<string, string>;
  /** more arguments for jupyter (`--ServerApp.foo=bar`) */
  args?: string[];
  /** ensureJupyter()'s result (called when not given) */
  jupyter?: Jupyter;
  /** where the server's output goes (default process.stderr; null: nowhere, output() still has it) */
  log?: NodeJS.WritableStream | null;
}

export interface RunningJupyter {
  /** the page to open, token included */
  url: string;
  token: string;
  /** http://127.0.0.1:PORT/ */
  baseUrl: string;
  port: number;
  /** the server (a process group of its own) */
  process: ChildProcess;
  /** the instructor mode's session (kernel started and idle), else null */
  session: { id: string; kernel: { id: string; name: string } } | null;
  /** everything the server printed so far */
  output(): string;
  /** ends the server and everything it started, kernels included */
  stop(): Promise<void>;
}

/** Starts JupyterLab (or Notebook 7) and resolves once it answers /api/status. */
export declare function startJupyter(options?: StartOptions): Promise<RunningJupyter>;

/** `jupyter console --kernel asyncio-ts` with stdio inherited; resolves with its exit code. */
export declare function startConsole(jupyter: Jupyter, options?: { env?: Record<string, string>; args?: string[] }): Promise<number>;

/** The lesson file that `lesson` names in `dir` ("05" -> "05-futures.ipynb"). */
export declare function resolveLesson(lesson: string, dir?: string): string;

/** Sends kernel_info_request over the kernel's websocket; resolves with the reply's content. */
export declare function kernelInfo(baseUrl: string, token: string, kernelId: string, timeoutMs?: number): Promise<Record<string, unknown>>;

/** Every process below `pid` (Linux /proc; elsewhere an empty list). */
export declare function descendants(pid: number): number[];
