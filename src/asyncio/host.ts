// What a host of the library (the Jupyter kernel) uses besides the public API: how `run()`
// hands its work to a loop that is already running, the monitor's notes, and the notebook
// host the monitor asks for live displays. Not a package export: the kernel is built with the
// library, and this module is the one place it may reach past index.ts (the lint enforces it).

export { _cancelTasks, type HostsRun } from "./runners.js";
export { noteSite, noteWait, startObserving } from "./observe.js";
export type { LiveDisplay, NotebookHost } from "./monitor.js";
