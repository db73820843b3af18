// The same lesson in Jupyter Notebook 7 (the `notebook` package), started through
// install/jupyterlab.mjs as `npm start -- --notebook` starts it: it opens, runs all and shows the
// key outputs test/notebooks/ expects.
import { describe, test } from "vitest";
import { browserSuite, openNotebook, runLessonAndCheck, screenshot } from "./jupyter.js";

const GROUP = "notebook7";
const LESSON = "05-futures";
const suite = browserSuite(GROUP, { app: "notebook" });

describe("Jupyter Notebook 7", () => {
  test(`${LESSON} opens, runs all and shows the lesson's key outputs`, async () => {
    const page = await suite.newPage();
    const panel = await openNotebook(page, suite.jupyter, `${LESSON}.ipynb`);
    await runLessonAndCheck(panel, suite.jupyter, LESSON, (name) => screenshot(page, GROUP, `${LESSON}-${name}`));
  });
});
