// The async context that follows a computation across callbacks and awaits: asyncio-ts's
// counterpart of Python's `contextvars`, plus the current task. Handles capture the variables'
// context when they are scheduled and run in it; a Task that starts an async function runs it
// with itself as the current task, which is how an `await` deep inside that function finds the
// task to cancel.
//
// Two AsyncLocalStorage instances carry them: one for the variables (an immutable Map, as
// Python's Context) and one for the task, so that starting a task allocates nothing and a
// callback scheduled by a task does not inherit the task (in Python the current task is not a
// context variable either). Node's AsyncLocalStorage costs nothing until its first `run`, so a
// program that never starts an async-function task or sets a variable never pays for it.

import { AsyncLocalStorage } from "node:async_hooks";

/** An immutable snapshot of all context variables' values. */
export type Context = ReadonlyMap<ContextVar<unknown>, unknown>;

const varsStorage = new AsyncLocalStorage<Context | undefined>();

/** A library future as the task that awaits it sees it. */
export interface AwaitedFuture {
  cancel(msg?: string): boolean;
  done(): boolean;
  /** True for a future that settles with code the task runs inline (see `Future._delegatesCancel`). */
  readonly _delegatesCancel: boolean;
}

/**
 * What futures need to know about the task that awaits them; `Task` implements it. Kept here
 * so that futures.ts need not import tasks.ts (which extends Future). The task's waiting state
 * (Python's `_fut_waiter`, `_must_cancel`) is written only by tasks.ts: others call these.
 */
export interface AwaitingTask {
  /** @internal The task now waits on `fut`: `cancel()` reaches it, and a cancellation asked for meanwhile goes to it. */
  _awaiting(fut: AwaitedFuture): void;
  /** @internal The task no longer waits on `fut` (it is done). */
  _stopAwaiting(fut: AwaitedFuture): void;
  /** @internal True, once, when a cancellation was asked for while the task waited on nothing: the caller delivers it. */
  _takeCancelRequest(): boolean;
  /** @internal */
  _makeCancelledError(): Error;
  /** @internal */
  readonly _loopRef: unknown;
}

const taskStorage = new AsyncLocalStorage<AwaitingTask | undefined>();

/** The current context of variables, or `undefined` when no variable has a value. */
export function copyContext(): Context | undefined {
  return varsStorage.getStore();
}

/** Runs `fn` in `ctx`; a plain call when `ctx` is already current. */
export function runInContext<R>(ctx: Context | undefined, fn: () => R): R {
  if (ctx === varsStorage.getStore()) return fn();
  return varsStorage.run(ctx, fn);
}

// Leaving a context costs differently by Node version: Node 20's AsyncLocalStorage swaps a
// field (run(undefined) ~50 ns), while Node 22+ builds a new context frame on every run
// (~300 ns) but restores a captured one cheaply (~130 ns). The snapshot is taken with this
// library's stores cleared, so it carries no task and no variables.
const NODE_MAJOR = Number(process.versions.node.split(".")[0]);
const cleanSnapshot: (<A extends unknown[], R>(fn: (...args: A) => R, ...args: A) => R) | null =
  NODE_MAJOR >= 22 ? taskStorage.run(undefined, () => varsStorage.run(undefined, () => AsyncLocalStorage.snapshot())) : null;

/**
 * Runs `fn(...args)` with no context and no current task: how the loop starts each iteration,
 * since the microtask or timer that woke it carries the context of whatever scheduled it; how
 * I/O callbacks run; and how sockets are made, since Node runs their callbacks in the context
 * they were made in (a task's, when a task made them), and the library runs protocol callbacks
 * in their own context anyway.
 */
export function runClean<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  if (taskStorage.getStore() === undefined && varsStorage.getStore() === undefined) return fn(...args);
  if (cleanSnapshot !== null) return cleanSnapshot(fn, ...args);
  return taskStorage.run(undefined, () => varsStorage.run(undefined, fn, ...args));
}

/** Runs `fn` (and the async code it starts) as part of `task`. */
export function runAsTask<R>(task: AwaitingTask, fn: () => R): R {
  if (taskStorage.getStore() === task) return fn();
  return taskStorage.run(task, fn);
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
    const ctx = varsStorage.getStore();
    return ctx === undefined ? undefined : (ctx.get(this as ContextVar<unknown>) as T | undefined);
  }

  /** A copy of `ctx` (or of the current context) in which this variable is `value`. */
  with(value: T, ctx: Context | undefined = varsStorage.getStore()): Context {
    const next = new Map(ctx);
    next.set(this as ContextVar<unknown>, value);
    return next;
  }

  /** Runs `fn` with this variable set to `value`, in and below `fn`. */
  run<R>(value: T, fn: () => R): R {
    return varsStorage.run(this.with(value), fn);
  }
}

let stepTask: AwaitingTask | null = null;

/** Marks `task` as the one whose step runs synchronously now; returns the previous one. */
export function enterStep(task: AwaitingTask | null): AwaitingTask | null {
  const prev = stepTask;
  stepTask = task;
  return prev;
}

/**
 * The task on whose behalf code runs now: the task stepping synchronously, or else the task
 * that started the async code running now (after any number of `await`s).
 */
export function contextTask(): AwaitingTask | undefined {
  return stepTask ?? taskStorage.getStore();
}
