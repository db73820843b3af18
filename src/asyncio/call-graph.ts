// Which task awaits which: Python 3.14's `capture_call_graph` / `print_call_graph`, and the
// downward tree of a whole loop that `python -m asyncio pstree` prints. Nothing is recorded
// while tasks run: the edges are read when asked, from what the library keeps anyway (the
// future a task waits on, a gather's children, a TaskGroup's done callback on its tasks).

import { contextTask } from "./context.js";
import { Future } from "./futures.js";
import { _groupOfCallback } from "./task-groups.js";
import { GatheringFuture, Task, allTasks } from "./tasks.js";
import { siteOf } from "./observe.js";

/** One entry of a task's call stack: its coroutine, and where it waits if the site is known. */
export interface FrameCallGraphEntry {
  /** The coroutine's name: `worker()`. */
  readonly name: string;
  /** Where it waits: `In[3], line 4` in the kernel; null when no site was noted. */
  readonly site: string | null;
}

/** A future, its call stack (for a task), and the call graphs of what awaits it. */
export interface FutureCallGraph {
  readonly future: Future<unknown>;
  readonly callStack: readonly FrameCallGraphEntry[];
  readonly awaitedBy: readonly FutureCallGraph[];
}

/** Options of `captureCallGraph()` and `printCallGraph()`. */
export interface CallGraphOptions {
  /** Awaiters deeper than this many levels are left out. */
  limit?: number;
}

/**
 * The tasks each task waits for, directly: through the future it awaits (a task, a gather's
 * children, in any nesting) and, for a TaskGroup's parent, the group's tasks.
 */
export function awaitedTasks(loop?: object): Map<Task<unknown>, Task<unknown>[]> {
  const edges = new Map<Task<unknown>, Task<unknown>[]>();
  const add = (from: Task<unknown>, to: Task<unknown>): void => {
    if (from === to) return;
    const list = edges.get(from);
    if (list === undefined) edges.set(from, [to]);
    else if (!list.includes(to)) list.push(to);
  };
  for (const task of allTasks(loop as never)) {
    for (const f of task._waits().futures) for (const t of tasksBehind(f)) add(task, t);
    // A task made in a group is awaited by the group's parent from the start, as in Python.
    const cbs = task._callbacks;
    if (cbs !== null) {
      for (let i = 0; i < cbs.length; i += 2) {
        const parent = _groupOfCallback(cbs[i])?._parent;
        if (parent !== null && parent !== undefined && !parent.done()) add(parent, task);
      }
    }
  }
  return edges;
}

/** The tasks a future stands for: itself if it is a task; a gather's children, unfolded. */
function tasksBehind(f: Future<unknown>): Task<unknown>[] {
  if (f instanceof Task) return f.done() ? [] : [f];
  if (f instanceof GatheringFuture) return (f._children as Future<unknown>[]).flatMap(tasksBehind);
  return [];
}

/** The call stack shown for a task: its coroutine and where it waits. */
export function callStackOf(future: Future<unknown>): FrameCallGraphEntry[] {
  if (!(future instanceof Task)) return [];
  const site = siteOf(future);
  return [{ name: future._coroName(), site: site === undefined ? null : `${site.where}, line ${site.line}` }];
}

/**
 * The call graph of `future` (by default the current task): its call stack and, recursively,
 * the tasks that await it. Python 3.14's `asyncio.capture_call_graph`.
 * @returns null when no future is given and no task runs.
 */
export function captureCallGraph(future?: Future<unknown> | null, options?: CallGraphOptions): FutureCallGraph | null {
  const start = future ?? (contextTask() as Task<unknown> | undefined) ?? null;
  if (start === null) return null;
  const loop = start.getLoop();
  const awaitedBy = new Map<Future<unknown>, Task<unknown>[]>();
  for (const [from, tos] of awaitedTasks(loop)) {
    for (const to of tos) {
      const list = awaitedBy.get(to);
      if (list === undefined) awaitedBy.set(to, [from]);
      else list.push(from);
    }
  }
  const limit = options?.limit ?? Infinity;
  const build = (f: Future<unknown>, depth: number, path: Set<Future<unknown>>): FutureCallGraph => {
    const above = depth >= limit ? [] : (awaitedBy.get(f) ?? []).filter((t) => !path.has(t));
    const next = new Set(path).add(f);
    return { future: f, callStack: callStackOf(f), awaitedBy: above.map((t) => build(t, depth + 1, next)) };
  };
  return build(start, 0, new Set());
}

/** The text `printCallGraph` prints, after Python's `format_call_graph`. */
export function formatCallGraph(future?: Future<unknown> | null, options?: CallGraphOptions): string {
  const graph = captureCallGraph(future, options);
  if (graph === null) return "";
  const lines: string[] = [];
  const render = (g: FutureCallGraph, indent: string): void => {
    lines.push(`${indent}* ${describe(g.future)}`);
    if (g.callStack.length > 0) {
      lines.push(`${indent}+ Call stack:`);
      for (const e of g.callStack) lines.push(`${indent}|   ${e.site === null ? "" : `${e.site}, `}in ${e.name}`);
    }
    if (g.awaitedBy.length > 0) {
      lines.push(`${indent}+ Awaited by:`);
      for (const a of g.awaitedBy) render(a, `${indent}   `);
    }
  };
  render(graph, "");
  return lines.join("\n");
}

/**
 * Prints the call graph of `future` (by default the current task): the task, where it waits,
 * and which tasks await it, up to the top. Python 3.14's `asyncio.print_call_graph`. Outside
 * any task, with no future given, prints the tree of every task of the running loop instead,
 * each under the task that awaits it (what `python -m asyncio pstree` shows).
 */
export function printCallGraph(future?: Future<unknown> | null, options?: CallGraphOptions & { loop?: object }): void {
  if (future == null && contextTask() === undefined) {
    console.log(formatTaskTree(options?.loop));
    return;
  }
  console.log(formatCallGraph(future, options));
}

/** Every task of the loop as a tree: the tasks nobody awaits at the top, what each awaits under it. */
export function formatTaskTree(loop?: object): string {
  const edges = awaitedTasks(loop);
  const lines: string[] = [];
  for (const { task, depth, last } of taskTree(edges, loop)) {
    lines.push(`${treePrefix(depth, last)}${describe(task)}${siteSuffix(task)}`);
  }
  return lines.length === 0 ? "(no tasks)" : lines.join("\n");
}

/**
 * The loop's tasks in tree order: each root (a task nobody awaits), then what it awaits,
 * depth first. A task awaited by several is shown under the first; a cycle is cut.
 */
export function taskTree(edges: Map<Task<unknown>, Task<unknown>[]>, loop?: object): { task: Task<unknown>; depth: number; last: boolean[] }[] {
  const tasks = [...allTasks(loop as never)];
  const awaited = new Set<Task<unknown>>();
  for (const tos of edges.values()) for (const t of tos) awaited.add(t);
  const out: { task: Task<unknown>; depth: number; last: boolean[] }[] = [];
  const seen = new Set<Task<unknown>>();
  const visit = (task: Task<unknown>, last: boolean[]): void => {
    seen.add(task);
    out.push({ task, depth: last.length, last });
    const children = (edges.get(task) ?? []).filter((t) => !seen.has(t));
    children.forEach((c, i) => {
      if (!seen.has(c)) visit(c, [...last, i === children.length - 1]);
    });
  };
  for (const t of tasks) if (!awaited.has(t) && !seen.has(t)) visit(t, []);
  // Tasks only reachable through a cycle of awaits.
  for (const t of tasks) if (!seen.has(t)) visit(t, []);
  return out;
}

/** The box-drawing prefix of a tree line: `│  ├─ `. */
export function treePrefix(depth: number, last: readonly boolean[]): string {
  let prefix = "";
  for (let i = 0; i < depth; i++) {
    const isLast = last[i] === true;
    prefix += i === depth - 1 ? (isLast ? "└─ " : "├─ ") : isLast ? "   " : "│  ";
  }
  return prefix;
}

function describe(f: Future<unknown>): string {
  if (f instanceof Task) return `Task(name='${f.getName()}', coro=${f._coroName()})`;
  return f.toString();
}

function siteSuffix(task: Task<unknown>): string {
  const site = siteOf(task);
  return site === undefined ? "" : ` at ${site.where}, line ${site.line}`;
}
