// The instructor mode (`npm start -- --demo 05-futures`, startJupyter({ demo })) as the instructor
// sees it in the browser: the lesson open alone, in JupyterLab's presentation mode with the larger
// fonts, joined to the kernel that was started and warmed before the URL was printed, which
// answers the first cell.
import { describe, expect, test } from "vitest";
import { DEMO_FONT_SIZES } from "../../install/jupyterlab.mjs";
import { browserSuite, cell, type DomNode, lessonCells, readCells, runCellToEnd, screenshot, waitForKernelIdle } from "./jupyter.js";

const GROUP = "instructor";
const LESSON = "05-futures";
const suite = browserSuite(GROUP, { demo: LESSON });

describe("instructor mode", () => {
  test(`--demo ${LESSON}: the lesson alone in presentation mode, larger fonts, its warm kernel idle and answering`, async () => {
    const { jupyter } = suite;
    const { server } = jupyter;
    expect(server.session?.kernel.name).toBe("asyncio-ts");
    const page = await suite.newPage();
    await page.goto(server.url);
    const panel = page.locator(".jp-NotebookPanel").first();
    await panel.waitFor();
    await waitForKernelIdle(panel);
    // The extension switches the modes once JupyterLab has restored its layout.
    await page.locator("#main.jp-mod-presentationMode[data-shell-mode='single-document']").waitFor();
    await screenshot(page, GROUP, "opened");

    expect(await page.locator(".jp-NotebookPanel").count()).toBe(1);
    await expect.poll(() => page.title()).toContain(LESSON);
    expect(await cell(panel, 0).textContent()).toContain("05 · Futures");
    // The left sidebar is closed: the lesson has the room.
    expect(await page.locator("#jp-left-stack").isVisible()).toBe(false);
    const codeSize = await cell(
      panel,
      lessonCells(jupyter.dir, `${LESSON}.ipynb`).findIndex((c) => c.type === "code"),
    )
      .locator(".cm-content")
      .evaluate((el: DomNode) => (globalThis as unknown as { getComputedStyle(e: DomNode): { fontSize: string } }).getComputedStyle(el).fontSize);
    expect(codeSize).toBe(DEMO_FONT_SIZES.presentation);

    // The page joined the session started before the URL was printed: one kernel, that one.
    const sessions = (await (await fetch(`${server.baseUrl}api/sessions?token=${server.token}`)).json()) as { kernel: { id: string; execution_state: string } }[];
    expect(sessions.map((s) => s.kernel.id)).toEqual([server.session?.kernel.id]);

    // Ready: the first cell of the Future exercise runs at once.
    const index = lessonCells(jupyter.dir, `${LESSON}.ipynb`).findIndex((c) => c.id === "repl-create");
    await runCellToEnd(panel, index, 15_000);
    await screenshot(page, GROUP, "first-cell");
    expect((await readCells(panel))[index]?.outputs.find((o) => o.result)?.text).toContain("<Future pending>");
  });
});
