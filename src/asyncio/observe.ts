// What the loop monitor and the call graph need to know that the library does not keep for its
// own work: when a task was made, the line of a cell it waits at, and what a future stands for
// (a sleep, a lock, a queue, a socket read). All of it is written only while observing is on,
// behind one boolean test, so a program that never looks at its loop pays nothing for it. The
// kernel turns observing on when it boots; a script turns it on with its first `monitor()`.
//
// Notes live in WeakMaps rather than in fields of Future and Task: a field would cost every
// future an initialisation, and the notes go away with what they describe.

import { contextTask } from "./context.js";

/** What a future stands for, as the monitor shows it in a task's "waits for" column. */
export interface WaitNote {
  /** `sleep`, `Lock`, `Event`, `Condition`, `Semaphore`, `Queue.get`, `Queue.put`, `read`, ... */
  readonly kind: string;
  /** The object waited on (the lock, the queue, the stream reader), shown by its text form. */
  readonly on?: object;
  /** Loop time at which the wait ends by itself (a sleep's timer). */
  readonly until?: number;
}

/** Where a task last suspended: a cell (or file) and a line. */
export interface WaitSite {
  where: string;
  line: number;
}

/** True once something wants to see the loop; the library's hooks test it before noting anything. */
export let observing = false;

const born = new WeakMap<object, number>();
const waits = new WeakMap<object, WaitNote>();
const sites = new WeakMap<object, WaitSite>();

/** Turns observing on, for good: notes start to be kept from now on. */
export function startObserving(): void {
  observing = true;
}

/** @internal Records that `task` was made now (the loop's clock, in seconds). */
export function noteBirth(task: object, time: number): void {
  born.set(task, time);
}

/** @internal When `task` was made (loop time), if it was made while observing. */
export function birthOf(task: object): number | undefined {
  return born.get(task);
}

/** @internal Records what `future` stands for. Callers test `observing` first, to allocate nothing. */
export function noteWait(future: object, note: WaitNote): void {
  waits.set(future, note);
}

/** @internal What `future` stands for, if it was noted. */
export function waitOf(future: object): WaitNote | undefined {
  return waits.get(future);
}

/**
 * Records that the task running now is about to wait at `line` of `where`. The kernel's
 * compiler puts a call before every `await` and `yield*` of a cell; the innermost wait is the
 * last one noted, since an awaited call's own waits are noted after its caller's.
 */
export function noteSite(where: string, line: number): void {
  if (!observing) return;
  const task = contextTask();
  if (task === undefined) return;
  const site = sites.get(task);
  if (site === undefined) sites.set(task, { where, line });
  else {
    site.where = where;
    site.line = line;
  }
}

/** @internal Where `task` last suspended, if a site was noted. */
export function siteOf(task: object): WaitSite | undefined {
  return sites.get(task);
}
