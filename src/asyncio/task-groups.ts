// TaskGroup: structured concurrency, as Python 3.11's `async with asyncio.TaskGroup() as tg`.
// Written here as `await new TaskGroup().run(async (tg) => { tg.createTask(...) })`: the group
// waits for all its tasks; the first failure cancels the rest and the parent's body, and the
// failures come out together as an ExceptionGroup.

import { CoroutineObject, callInTask, delegate, driveGenerator, type GeneratorCoroutine } from "./coroutines.js";
import { ExceptionGroup, isCancelledError } from "./exceptions.js";
import { getRunningLoop, type AbstractEventLoop } from "./events.js";
import { Future } from "./futures.js";
import { noteWait, observing } from "./observe.js";
import { Task, currentTask, type CoroutineLike, type TaskOptions } from "./tasks.js";

const groupOfCallback = new WeakMap<object, TaskGroup>();

/** @internal The group whose done callback `cb` is, if it is one. */
export function _groupOfCallback(cb: unknown): TaskGroup | undefined {
  return typeof cb === "function" ? groupOfCallback.get(cb) : undefined;
}

/** The body of a task group: it receives the group to create tasks in. */
export type TaskGroupBody<T> = (tg: TaskGroup) => GeneratorCoroutine<T> | CoroutineObject<T> | PromiseLike<T> | T;

/**
 * A group of tasks that finish together.
 *
 * @example
 * ```ts
 * await new asyncio.TaskGroup().run(async (tg) => {
 *   tg.createTask(asyncio.sleep(0.1));
 *   tg.createTask(asyncio.sleep(0.2));
 * }); // both have finished here
 * ```
 */
export class TaskGroup {
  private _entered = false;
  private _exiting = false;
  private _aborting = false;
  private _loop: AbstractEventLoop | null = null;
  private _parentTask: Task<unknown> | null = null;
  private _parentCancelRequested = false;
  private readonly _tasks = new Set<Task<unknown>>();
  private readonly _errors: unknown[] = [];
  private _onCompletedFut: Future<boolean> | null = null;
  private readonly _onTaskDoneBound = (task: Task<unknown>): void => this._onTaskDone(task);

  constructor() {
    // The call graph finds a task's group through this callback: Python records the parent as
    // the task's awaiter when the task is made; here nothing is recorded, it is read when asked.
    groupOfCallback.set(this._onTaskDoneBound, this);
  }

  /** @internal The task that runs the group's body and waits for its tasks. */
  get _parent(): Task<unknown> | null {
    return this._parentTask;
  }

  /**
   * Runs `body` with this group in the current task, then waits for every task the group
   * holds. Returns a coroutine: await it or `yield*` it.
   * @throws ExceptionGroup of the tasks' errors (and the body's) when any failed.
   */
  run<T>(body: TaskGroupBody<T>): CoroutineObject<T> {
    const self = this;
    function* taskGroupRun(): GeneratorCoroutine<T> {
      self._enter();
      let result: T;
      try {
        result = yield* delegate(callInTask(() => body(self)));
      } catch (exc) {
        yield* self._exit(exc, true);
        throw exc;
      }
      yield* self._exit(undefined, false);
      return result;
    }
    return new CoroutineObject<T>("TaskGroup.run", { gen: taskGroupRun, async: () => driveGenerator(taskGroupRun()) });
  }

  /**
   * Starts a task in the group.
   * @throws Error when the group has not been entered, is finished, or is shutting down.
   */
  createTask<T>(coro: CoroutineLike<T>, options?: Omit<TaskOptions, "loop">): Task<T> {
    if (!this._entered) throw new Error(`TaskGroup ${this} has not been entered`);
    if (this._exiting && this._tasks.size === 0) throw new Error(`TaskGroup ${this} is finished`);
    if (this._aborting) throw new Error(`TaskGroup ${this} is shutting down`);
    const task = new Task<T>(coro, { ...options, loop: this._loop as AbstractEventLoop });
    this._tasks.add(task as Task<unknown>);
    task.addDoneCallback(this._onTaskDoneBound as (t: Task<T>) => void);
    return task;
  }

  private _enter(): void {
    if (this._entered) throw new Error(`TaskGroup ${this} has already been entered`);
    this._loop ??= getRunningLoop();
    this._parentTask = currentTask();
    if (this._parentTask === null) throw new Error(`TaskGroup ${this} cannot determine the parent task`);
    this._entered = true;
  }

  private *_exit(exc: unknown, failed: boolean): GeneratorCoroutine<void> {
    this._exiting = true;
    let propagateCancel: unknown = failed && isCancelledError(exc) ? exc : null;
    if (failed && !this._aborting) this._abort();
    // A loop: the wait may be cancelled several times if the parent task is cancelled again.
    while (this._tasks.size > 0) {
      if (this._onCompletedFut === null) {
        this._onCompletedFut = new Future<boolean>({ loop: this._loop as AbstractEventLoop });
        if (observing) noteWait(this._onCompletedFut, { kind: "TaskGroup", on: this });
      }
      try {
        yield* this._onCompletedFut;
      } catch (e) {
        if (!isCancelledError(e)) throw e;
        if (!this._aborting) {
          // The parent was cancelled from outside while the group's tasks still ran.
          propagateCancel = e;
          this._abort();
        }
      }
      this._onCompletedFut = null;
    }
    // Only now, with every task done: a child that failed while we waited also cancelled the
    // parent, and that request is ours to withdraw. What remains came from outside.
    if (this._parentCancelRequested && (this._parentTask as Task<unknown>).uncancel() === 0) propagateCancel = null;
    if (propagateCancel !== null && this._errors.length === 0) throw propagateCancel;
    if (failed && !isCancelledError(exc)) this._errors.push(exc);
    if (this._errors.length > 0) {
      // A cancellation from outside the group stays requested, counted once (Python 3.13).
      const parent = this._parentTask as Task<unknown>;
      if (parent.cancelling() > 0) {
        parent.uncancel();
        parent.cancel();
      }
      throw new ExceptionGroup("unhandled errors in a TaskGroup", this._errors.splice(0));
    }
  }

  private _abort(): void {
    this._aborting = true;
    for (const t of this._tasks) if (!t.done()) t.cancel();
  }

  private _onTaskDone(task: Task<unknown>): void {
    this._tasks.delete(task);
    if (this._onCompletedFut !== null && this._tasks.size === 0 && !this._onCompletedFut.done()) this._onCompletedFut.setResult(true);
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === null) return;
    this._errors.push(exc);
    const parent = this._parentTask as Task<unknown>;
    if (parent.done()) {
      (this._loop as AbstractEventLoop).callExceptionHandler({ message: `Task ${task} has errored out but its parent task ${parent} is already completed`, exception: exc, task });
      return;
    }
    if (!this._aborting && !this._parentCancelRequested) {
      this._abort();
      this._parentCancelRequested = true;
      parent.cancel();
    }
  }

  toString(): string {
    const info: string[] = [];
    if (this._tasks.size > 0) info.push(`tasks=${this._tasks.size}`);
    if (this._errors.length > 0) info.push(`errors=${this._errors.length}`);
    if (this._aborting) info.push("cancelling");
    else if (this._entered) info.push("entered");
    return `<TaskGroup${info.length > 0 ? " " + info.join(" ") : ""}>`;
  }
}
