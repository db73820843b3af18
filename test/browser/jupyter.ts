// What the browser tests share: a JupyterLab (or Notebook 7) started through
// install/jupyterlab.mjs as `npm start` starts it, on a copy of the lessons and with a Jupyter
// set-up of its own; headless Debian Chromium driven by playwright-core; and reading a notebook's
// state from the page (kernel status, prompts, outputs) with JupyterLab 4's DOM classes, as
// JupyterLab's own galata helpers do. Screenshots of each step go to .cache/screenshots/.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { ensureJupyter, startJupyter, type Jupyter, type RunningJupyter } from "../../install/jupyterlab.mjs";

declare module "vitest" {
  interface TaskMeta {
    /** Set by a `test.fails` test (a known gap): scripts/test.mjs counts it as an expected failure, not a pass. */
    expectedFailure?: string;
  }
}

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Debian's Chromium (install/ensure.mjs, ensureChromium, installs it); Playwright's own builds are never downloaded. */
export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(ROOT, ".cache", "screenshots");
/** The kernel's name as JupyterLab shows it (kernel/kernel.json's display_name). */
export const KERNEL_DISPLAY_NAME = "TypeScript (asyncio-ts)";
/** Every wait on the page ends within this many milliseconds (2 shared cores: be generous). */
export const WAIT = 60_000;

/**
 * The little of the DOM that functions run in the page use. The project's TypeScript has no DOM
 * library (it type-checks Node code), and adding it for these lines would let src/ use `document`.
 */
export interface DomNode {
  textContent: string | null;
  classList: { contains(name: string): boolean };
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomNode | null;
  querySelectorAll(selector: string): ArrayLike<DomNode> & Iterable<DomNode>;
}
declare const document: DomNode;

/** A started server and the folder it serves (a copy of notebooks/ plus the tests' own notebooks). */
export interface TestJupyter {
  server: RunningJupyter;
  app: "lab" | "notebook";
  /** The root folder the server serves. */
  dir: string;
  /** JUPYTER_RUNTIME_DIR of the server: its kernels' connection files. */
  runtimeDir: string;
  jupyter: Jupyter;
  /** Stops the server (everything it started too), keeps its log next to the screenshots, removes the folder. */
  stop(): Promise<void>;
}

/**
 * Starts JupyterLab (or Notebook 7) through install/jupyterlab.mjs on 127.0.0.1 with a token.
 *
 * What the tests change from `npm start`, and why: the project's venv rather than a Jupyter on
 * PATH (`ensureJupyter({ venv: true })`, which CI gets anyway: a user's own Jupyter would bring
 * its extensions, and registering the kernel there writes outside the project); a copy of
 * notebooks/ (JupyterLab autosaves, and the lessons are committed without outputs); and
 * JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR and JUPYTER_RUNTIME_DIR of their own (the user's settings,
 * kernelspecs and runtime files stay out, as does the "Jupyter news?" pop-up over screenshots).
 * JupyterLab's workspace is kept away from .cache/jupyterlab/workspaces by the page (newPage).
 * The server's log is kept and written to `logName`.log in the screenshots folder at stop().
 */
export async function startTestJupyter(logName: string, options: { app?: "lab" | "notebook"; demo?: string } = {}): Promise<TestJupyter> {
  const jupyter = ensureJupyter({ venv: true });
  const work = mkdtempSync(join(tmpdir(), "asyncio-ts-browser-"));
  const dir = join(work, "notebooks");
  cpSync(join(ROOT, "notebooks"), dir, { recursive: true, filter: (src) => !src.includes(".ipynb_checkpoints") });
  const config = join(work, "config");
  const runtimeDir = join(work, "runtime");
  writeSettings(join(config, "lab", "user-settings"), "@jupyterlab/apputils-extension/notification", { fetchNews: "false", checkForUpdates: false });
  const env = { JUPYTER_CONFIG_DIR: config, JUPYTER_DATA_DIR: join(work, "data"), JUPYTER_RUNTIME_DIR: runtimeDir };
  const app = options.app ?? "lab";
  const server = await startJupyter({ app, dir, open: false, demo: options.demo ?? null, env, jupyter, log: null });
  return {
    server,
    app,
    dir,
    runtimeDir,
    jupyter,
    async stop() {
      await server.stop();
      mkdirSync(SCREENSHOTS, { recursive: true });
      writeFileSync(join(SCREENSHOTS, `${logName}.log`), server.output());
      rmSync(work, { recursive: true, force: true });
    },
  };
}

function writeSettings(dir: string, plugin: string, value: unknown): void {
  const file = join(dir, `${plugin}.jupyterlab-settings`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + "\n");
}

/** What a test file shares: its server, the browser, and the page of the test that runs. */
export interface BrowserSuite {
  jupyter: TestJupyter;
  browser: Browser;
  /** The current test's page (newPage), kept until the next one so a failure can be photographed. */
  page: Page | undefined;
  /** A fresh page (newPage below); the previous test's is closed. */
  newPage(): Promise<Page>;
}

/**
 * Registers a test file's hooks: a server (startTestJupyter) and Chromium before all, both
 * stopped after all; when a test fails, a screenshot of its page as it was (`failed-<test>.png`).
 * Earlier screenshots of `group` are removed first.
 */
export function browserSuite(group: string, options: { app?: "lab" | "notebook"; demo?: string } = {}): BrowserSuite {
  const suite = {
    page: undefined,
    async newPage() {
      await suite.page?.close();
      suite.page = await newPage(suite.browser);
      return suite.page;
    },
  } as BrowserSuite;
  beforeAll(async () => {
    clearScreenshots(group);
    // Both kept when one fails, so that afterAll stops what did start.
    const [jupyter, browser] = await Promise.allSettled([startTestJupyter(group, options), launchChromium()]);
    if (jupyter.status === "fulfilled") suite.jupyter = jupyter.value;
    if (browser.status === "fulfilled") suite.browser = browser.value;
    for (const r of [jupyter, browser]) if (r.status === "rejected") throw r.reason;
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.jupyter?.stop();
  });
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      const page = suite.page;
      if (page !== undefined && !page.isClosed()) await screenshot(page, group, `failed-${ctx.task.name.replace(/[^\w.-]+/g, "-").slice(0, 60)}`);
    });
  });
  return suite;
}

/** Headless Debian Chromium; a clear error when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: npm test installs it (install/ensure.mjs, ensureChromium); by hand: apt-get install chromium`);
  }
  return await chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/**
 * A page of its own (1280x800), whose JupyterLab workspace is answered by the page itself: an
 * empty one when loaded, and saves dropped. The server's workspaces folder is the project's
 * .cache/jupyterlab/workspaces, which `npm start` restores the user's layout from; a test must
 * neither read it nor write its own layout there.
 */
export async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(WAIT);
  await page.route("**/api/workspaces/**", (route) =>
    route.request().method() === "GET" ? route.fulfill({ json: { data: {}, metadata: { id: "default" } } }) : route.fulfill({ status: 204 }),
  );
  return page;
}

/** A screenshot into .cache/screenshots/`group`/`name`.png, for a person to look at. */
export async function screenshot(page: Page, group: string, name: string): Promise<void> {
  const dir = join(SCREENSHOTS, group);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

/** Empties .cache/screenshots/`group`/, so what is there after a run is that run's. */
export function clearScreenshots(group: string): void {
  rmSync(join(SCREENSHOTS, group), { recursive: true, force: true });
}

/**
 * Writes a notebook of code cells for the asyncio-ts kernel into the served folder.
 * @returns its file name
 */
export function writeNotebook(t: TestJupyter, name: string, cells: string[]): string {
  const file = `${name}.ipynb`;
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "asyncio-ts", display_name: KERNEL_DISPLAY_NAME, language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: cells.map((source, i) => ({ cell_type: "code", id: `cell-${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
  writeFileSync(join(t.dir, file), JSON.stringify(nb, null, 1) + "\n");
  return file;
}

/** The notebook's page: `lab/tree/FILE` in JupyterLab, `notebooks/FILE` in Notebook 7. */
export function notebookUrl(t: TestJupyter, file: string): string {
  const path = t.app === "lab" ? `lab/tree/${encodeURI(file)}` : `notebooks/${encodeURI(file)}`;
  return `${t.server.baseUrl}${path}?token=${t.server.token}`;
}

/**
 * Opens `file` and waits until its kernel is ours and idle. Resolves with the notebook panel.
 * A cell run before that is lost or answered with a kernel dialog (galata's helpers wait the
 * same way, jupyterlab#15420).
 */
export async function openNotebook(page: Page, t: TestJupyter, file: string): Promise<Locator> {
  await page.goto(notebookUrl(t, file));
  const panel = page.locator(".jp-NotebookPanel").first();
  await panel.waitFor();
  await waitForKernelIdle(panel);
  return panel;
}

/** Kernel status idle (the toolbar's execution indicator) with the asyncio-ts kernel. */
export async function waitForKernelIdle(panel: Locator, timeout = WAIT): Promise<void> {
  await panel.page().waitForFunction(
    ({ panel, name }: { panel: DomNode; name: string }) => {
      const kernelName = panel.querySelector('[data-jp-item-name="kernelName"]')?.textContent?.trim();
      const status = panel.querySelector(".jp-Notebook-ExecutionIndicator")?.getAttribute("data-status");
      // JupyterLab's status bar (Notebook 7 has none) says when the session is still on its way.
      const bar = document.querySelector("#jp-main-statusbar")?.textContent ?? "";
      return kernelName === name && status === "idle" && !/Connecting|Initializing|Starting|Restarting|Unknown/.test(bar);
    },
    { panel: await panel.elementHandle(), name: KERNEL_DISPLAY_NAME },
    { timeout },
  );
}

/** The kernel's status as the toolbar's execution indicator shows it. */
export async function kernelStatus(panel: Locator): Promise<string | null> {
  return await panel.locator(".jp-Notebook-ExecutionIndicator").first().getAttribute("data-status");
}

/** The cell at `index` (code and markdown cells alike, as in the .ipynb file). */
export function cell(panel: Locator, index: number): Locator {
  return panel.locator(`.jp-Cell[data-windowed-list-index="${index}"]`);
}

/** Clicks a menu bar item, then one of its entries by command id (`runmenu:run-all`, `kernelmenu:restart`). */
export async function menu(page: Page, title: string, command: string): Promise<void> {
  await page.locator(".lm-MenuBar-item", { hasText: new RegExp(`^${title}$`) }).click();
  await page.locator(`.lm-Menu-item[data-command="${command}"]`).click();
}

/** Selects the cell (its prompt, command mode) and runs it where it is (Ctrl+Enter). */
export async function runCell(panel: Locator, index: number): Promise<void> {
  await cell(panel, index).locator(".jp-InputPrompt").click();
  await panel.page().keyboard.press("Control+Enter");
}

/** Runs the cell (runCell) and waits until it has run (waitForCellDone). */
export async function runCellToEnd(panel: Locator, index: number, timeout = WAIT): Promise<void> {
  await runCell(panel, index);
  await waitForCellDone(panel, index, timeout);
}

/** Waits until the cell has run (its prompt shows an execution count, not `[*]` or `[ ]`). */
export async function waitForCellDone(panel: Locator, index: number, timeout = WAIT): Promise<void> {
  await cell(panel, index)
    .locator(".jp-InputPrompt", { hasText: /\[\d+\]/ })
    .waitFor({ timeout });
}

/** Waits until the cell is running (`[*]` and the kernel busy). */
export async function waitForCellRunning(panel: Locator, index: number): Promise<void> {
  await cell(panel, index).locator(".jp-InputPrompt", { hasText: "[*]" }).waitFor();
  await panel.locator('.jp-Notebook-ExecutionIndicator[data-status="busy"]').waitFor();
}

/**
 * Waits until Run All has finished: no cell waits or runs (`[*]`), some have run, the kernel is
 * idle. (A cell whose input is collapsed, as the lessons' solutions are, shows no prompt; a cell
 * left unrun after an error shows `[ ]`, which the outputs' checks then find.)
 */
export async function waitForAllDone(panel: Locator, timeout = WAIT * 2): Promise<void> {
  await panel.page().waitForFunction(
    (panel: DomNode) => {
      const prompts = [...panel.querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map((p) => p.textContent ?? "");
      const status = panel.querySelector(".jp-Notebook-ExecutionIndicator")?.getAttribute("data-status");
      return prompts.some((p) => /\[\d+\]/.test(p)) && !prompts.some((p) => p.includes("[*]")) && status === "idle";
    },
    await panel.elementHandle(),
    { timeout },
  );
}

/** One output of a cell as the page shows it. */
export interface ShownOutput {
  /** data-mime-type of the rendered output: text/plain, application/vnd.jupyter.stdout, ...stderr (streams and errors), ... */
  mime: string;
  /** An Out[n] (execute_result), not a display or a stream. */
  result: boolean;
  text: string;
}
/** A cell as the page shows it. */
export interface ShownCell {
  index: number;
  type: "code" | "markdown" | "raw";
  prompt: string;
  outputs: ShownOutput[];
}

/** Every cell of the notebook, in order, with its prompt and outputs read from the DOM. */
export async function readCells(panel: Locator): Promise<ShownCell[]> {
  return await panel.evaluate((panel: DomNode) =>
    [...panel.querySelectorAll(".jp-Cell")]
      .map((c) => ({
        index: Number(c.dataset.windowedListIndex),
        type: (c.classList.contains("jp-CodeCell") ? "code" : c.classList.contains("jp-MarkdownCell") ? "markdown" : "raw") as "code" | "markdown" | "raw",
        prompt: c.querySelector(".jp-InputPrompt")?.textContent?.trim() ?? "",
        outputs: [...c.querySelectorAll(".jp-OutputArea-child")].map((o) => {
          const out = o.querySelector(".jp-OutputArea-output");
          return { mime: out?.getAttribute("data-mime-type") ?? "", result: o.classList.contains("jp-OutputArea-executeResult"), text: out?.textContent ?? "" };
        }),
      }))
      .sort((a, b) => a.index - b.index),
  );
}

export const STDOUT = "application/vnd.jupyter.stdout";
/** Streams written to stderr and error outputs (tracebacks) both render with this type. */
export const STDERR = "application/vnd.jupyter.stderr";

/** What a cell shows, as one text (test/notebooks/lessons.py, outputs_text: one line break between outputs). */
export function shownText(c: ShownCell): string {
  const text = c.outputs.map((o) => (o.text.endsWith("\n") ? o.text : o.text + "\n")).join("");
  return text.slice(0, -1);
}

/** What the cell wrote to one stream (or, for STDERR, its error too). */
export function streamText(c: ShownCell, mime: string): string {
  return c.outputs
    .filter((o) => o.mime === mime && !o.result)
    .map((o) => o.text)
    .join("");
}

/** One key output of a lesson, as test/notebooks/test_notebooks.py's EXPECTED states it. */
export interface Expectation {
  what: "result" | "stdout" | "stderr" | "output" | "matches" | "live" | "error" | "mime" | "nothing";
  text: string;
}

/**
 * The lesson notebooks' key outputs by cell id (EXPECTED in test/notebooks/test_notebooks.py),
 * read by Python from that one table. Needs the venv with the notebook tests' packages
 * (ASYNCIO_TS_PYTHON, which `npm test` sets; else the project's .venv).
 */
export function expectedOutputs(lesson: string, python = process.env.ASYNCIO_TS_PYTHON ?? join(ROOT, ".venv", "bin", "python")): Record<string, Expectation> {
  const code = [
    "import json, sys",
    "sys.path.insert(0, sys.argv[1])",
    "from test_notebooks import EXPECTED",
    "table = EXPECTED[sys.argv[2]]",
    'print(json.dumps({k: {"what": "result", "text": v} if isinstance(v, str) else {"what": v.what, "text": v.text} for k, v in table.items()}))',
  ].join("\n");
  const r = spawnSync(python, ["-c", code, join(ROOT, "test", "notebooks"), lesson], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`reading EXPECTED[${JSON.stringify(lesson)}] with ${python} failed (npm test makes that venv):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, Expectation>;
}

/** Cell ids and tags of a lesson, by index (the page shows no cell ids). */
export function lessonCells(dir: string, file: string): { id: string; type: string; tags: string[] }[] {
  const nb = JSON.parse(readFileSync(join(dir, file), "utf8")) as { cells: { id: string; cell_type: string; metadata?: { tags?: string[] } }[] };
  return nb.cells.map((c) => ({ id: c.id, type: c.cell_type, tags: c.metadata?.tags ?? [] }));
}

/**
 * What is wrong with a shown cell against one expectation, or null. The page's text has no ANSI
 * codes (they became spans); an error shows as its traceback, which carries "Name: message".
 */
export function mismatch(c: ShownCell, want: Expectation): string | null {
  const shown = shownText(c);
  switch (want.what) {
    case "result": {
      const out = c.outputs.find((o) => o.result);
      const got = out?.text.replace(/\n$/, "");
      // The page shows the richest type of the bundle: text/plain exactly; a Future's or Task's
      // HTML (a state badge, then the repr) must carry the repr.
      const ok = out?.mime === "text/plain" ? got === want.text : got?.includes(want.text) === true;
      return ok ? null : `Out (${out?.mime ?? "none"}) is ${JSON.stringify(got)}, expected ${JSON.stringify(want.text)} (the cell showed ${JSON.stringify(shown)})`;
    }
    case "stdout":
      return streamText(c, STDOUT).includes(want.text) ? null : `stdout ${JSON.stringify(streamText(c, STDOUT))} lacks ${JSON.stringify(want.text)}`;
    case "stderr":
    case "error":
      return streamText(c, STDERR).includes(want.text) ? null : `stderr ${JSON.stringify(streamText(c, STDERR))} lacks ${JSON.stringify(want.text)}`;
    case "output":
      return shown.includes(want.text) ? null : `the cell showed ${JSON.stringify(shown)}, which lacks ${JSON.stringify(want.text)}`;
    case "matches": {
      // Python's re with re.S: `$` also matches before a final line break.
      const re = new RegExp(want.text, "s");
      return re.test(shown) || re.test(shown.replace(/\n$/, "")) ? null : `the cell showed ${JSON.stringify(shown)}, which does not match /${want.text}/`;
    }
    case "live":
      // A live display: the page shows its latest picture (the pattern is about its first, which
      // nbclient records); here the monitor's table must be on show.
      return c.outputs.some((o) => o.mime === "text/html" && /^Event loop: \d+ tasks?/.test(o.text))
        ? null
        : `no live monitor table (had ${JSON.stringify(c.outputs.map((o) => o.mime))})`;
    case "mime":
      return c.outputs.some((o) => o.mime === want.text) ? null : `no ${want.text} output (had ${JSON.stringify(c.outputs.map((o) => o.mime))})`;
    case "nothing":
      return c.outputs.length === 0 ? null : `the cell showed ${JSON.stringify(shown)}, expected nothing`;
  }
}

/**
 * Runs a lesson with Run > Run All Cells and checks it as test/notebooks/ does: every key output
 * of EXPECTED is on the page, and no cell shows an error or stderr unless tagged raises-exception.
 */
export async function runLessonAndCheck(panel: Locator, t: TestJupyter, lesson: string, shot: (name: string) => Promise<void>): Promise<void> {
  await shot("opened");
  await menu(panel.page(), "Run", "runmenu:run-all");
  await waitForAllDone(panel);
  await shot("ran-all");
  const ids = lessonCells(t.dir, `${lesson}.ipynb`);
  const shown = await readCells(panel);
  expect(shown.map((c) => c.type)).toEqual(ids.map((c) => c.type));
  const failures: string[] = [];
  for (const [id, want] of Object.entries(expectedOutputs(lesson))) {
    const index = ids.findIndex((c) => c.id === id);
    const c = shown[index];
    if (c === undefined) failures.push(`${id}: no such cell on the page`);
    else {
      const wrong = mismatch(c, want);
      if (wrong !== null) failures.push(`${id} (cell ${index}, ${c.prompt}): ${wrong}`);
    }
  }
  for (const c of shown) {
    const meta = ids[c.index];
    if (c.type === "code" && c.prompt.includes("[ ]")) failures.push(`${meta?.id} (cell ${c.index}) did not run`);
    if (c.type === "code" && meta !== undefined && !meta.tags.includes("raises-exception") && streamText(c, STDERR) !== "") {
      failures.push(`${meta.id} (cell ${c.index}, ${c.prompt}) shows an error or stderr: ${JSON.stringify(streamText(c, STDERR))}`);
    }
  }
  expect(failures).toEqual([]);
}

/** The process's state letter from /proc (Z: a zombie, as good as gone), or null when there is no such process. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? null;
  } catch {
    return null;
  }
}
