// The async context that follows a computation across callbacks and awaits: asyncio-ts's
// counterpart of Python's `contextvars`. Handles capture it when they are scheduled and run in
// it; a Task started from a function runs it in a context that names the task, which is how an
// `await` deep inside an async function finds the task to cancel.
//
// Node's AsyncLocalStorage carries the context. It costs nothing until the first `run`, so a
// program that never starts an async-function task (or a kernel cell) never pays for it.

import { AsyncLocalStorage } from "node:async_hooks";

/** An immutable snapshot of all context variables' values. */
export type Context = ReadonlyMap<ContextVar<unknown>, unknown>;

const storage = new AsyncLocalStorage<Context | undefined>();

const withoutTask = new WeakMap<Context, Context | undefined>();

/**
 * The current context, or `undefined` when no variable has a value. The current task is left
 * out: a callback scheduled by a task does not run as part of that task (as in Python, where
 * the current task is not a context variable).
 */
export function copyContext(): Context | undefined {
  const ctx = storage.getStore();
  if (ctx === undefined || !ctx.has(taskVar as ContextVar<unknown>)) return ctx;
  let stripped = withoutTask.get(ctx);
  if (stripped === undefined && !withoutTask.has(ctx)) {
    const m = new Map(ctx);
    m.delete(taskVar as ContextVar<unknown>);
    stripped = m.size > 0 ? m : undefined;
    withoutTask.set(ctx, stripped);
  }
  return stripped;
}

/** Runs `fn` in `ctx`; a no-op wrapper when `ctx` is already current. */
export function runInContext<R>(ctx: Context | undefined, fn: () => R): R {
  if (ctx === storage.getStore()) return fn();
  return storage.run(ctx, fn);
}

/**
 * A variable whose value depends on the async context, as Python's `contextvars.ContextVar`.
 * Values are set for the extent of a function with `run`, never mutated in place.
 */
export class ContextVar<T> {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }

  /** The value in the current context, or `undefined`. */
  get(): T | undefined {
    const ctx = storage.getStore();
    return ctx === undefined ? undefined : (ctx.get(this as ContextVar<unknown>) as T | undefined);
  }

  /** A copy of `ctx` (or of the current context) in which this variable is `value`. */
  with(value: T, ctx: Context | undefined = storage.getStore()): Context {
    const next = new Map(ctx);
    next.set(this as ContextVar<unknown>, value);
    return next;
  }

  /** Runs `fn` with this variable set to `value`, in and below `fn`. */
  run<R>(value: T, fn: () => R): R {
    return storage.run(this.with(value), fn);
  }
}

/**
 * What futures need to know about the task that awaits them; `Task` implements it. Kept here
 * so that futures.ts need not import tasks.ts (which extends Future).
 */
export interface AwaitingTask {
  /** A cancellation asked for while the task was not waiting on a library future. */
  _mustCancel: boolean;
  /** The library future the task waits on now, the one `cancel()` cancels. */
  _futWaiter: { cancel(msg?: string): boolean } | null;
  /** Other library futures awaited in the task's context at the same time (rare; see futures.ts). */
  _extraWaiters: Set<{ cancel(msg?: string): boolean }> | null;
  _makeCancelledError(): Error;
  readonly _loopRef: unknown;
}

/** The task whose async functions run in this context (set by tasks started from a function). */
export const taskVar = new ContextVar<AwaitingTask>("asyncio.currentTask");

let stepTask: AwaitingTask | null = null;

/** Marks `task` as the one whose step runs synchronously now; returns the previous one. */
export function enterStep(task: AwaitingTask | null): AwaitingTask | null {
  const prev = stepTask;
  stepTask = task;
  return prev;
}

/**
 * The task on whose behalf code runs now: the task stepping synchronously, or else the task
 * named by the async context (an async function started by a task, after any `await`).
 */
export function contextTask(): AwaitingTask | undefined {
  return stepTask ?? taskVar.get();
}
