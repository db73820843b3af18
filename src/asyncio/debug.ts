// Debug-mode support and the reports that come after an object is gone: a future whose
// exception nobody retrieved, a task collected while still pending, a coroutine never awaited.
// Python reports these from `__del__`; here a FinalizationRegistry does, so the reports need
// the garbage collector to run, as Python's need the object to be freed.

import { copyContext, runInContext, type Context } from "./context.js";
import { creationSite } from "./format.js";
import { logger } from "./log.js";
import type { AbstractEventLoop, ExceptionContext } from "./events.js";

/** True when `ASYNCIO_DEBUG` is set to something other than "" or "0" (Python's PYTHONASYNCIODEBUG). */
export function debugFromEnv(): boolean {
  const v = process.env["ASYNCIO_DEBUG"];
  return v !== undefined && v !== "" && v !== "0";
}

interface Report {
  loop: AbstractEventLoop | null;
  context: ExceptionContext;
  /**
   * The context the watched object was made (or failed) in: the report is made there, so that
   * whoever ran that code (a kernel cell) hears of it. Finalizers run in no context of their own.
   */
  origin: Context | undefined;
}

function fire(report: Report): void {
  try {
    runInContext(report.origin, () => {
      if (report.loop !== null) report.loop.callExceptionHandler(report.context);
      else logger.error(String(report.context.message), report.context.exception);
    });
  } catch {
    // Finalizers run at arbitrary points; an error here has nowhere sensible to go.
  }
}

interface Watched {
  _loop: AbstractEventLoop | null;
  _exception: unknown;
  _sourceTraceback: string[] | null;
  _repr(): string;
  _retrieved(): void;
}

interface NeverRetrievedReport extends Report {
  ref: WeakRef<Watched>;
}

/**
 * "Future exception was never retrieved": armed by `setException`, disarmed by `result()`/`exception()`.
 * Reported when the future is collected, as Python does from `__del__`, and at the latest when its
 * loop closes: a script ends before the collector runs, and the error must not vanish.
 * @internal
 */
export const reportNeverRetrieved = {
  registry: new FinalizationRegistry<NeverRetrievedReport>((report) => {
    reportNeverRetrieved.armed.delete(report.ref);
    fire(report);
  }),
  /** The armed futures, weakly held, for `flush` (failures nobody retrieved are few). */
  armed: new Set<WeakRef<Watched>>(),
  /** Each armed future's report, the one the registry holds too: `flush` and `forget` find it here. */
  reports: new WeakMap<object, NeverRetrievedReport>(),
  watch(fut: Watched): void {
    // Reading `stack` makes V8 format it now and drop the raw frames it keeps until then; those
    // hold the receivers of the frames (the future itself, when it threw inside a task step),
    // which would keep the future alive through this registry's held value forever.
    if (fut._exception instanceof Error) void fut._exception.stack;
    const context: ExceptionContext = {
      message: `${fut.constructor.name} exception was never retrieved`,
      exception: fut._exception,
      future: fut._repr(),
    };
    if (fut._sourceTraceback) context.sourceTraceback = fut._sourceTraceback;
    // Armed by setException, in the context of the code that failed.
    const report: NeverRetrievedReport = { loop: fut._loop, context, origin: copyContext(), ref: new WeakRef(fut) };
    this.armed.add(report.ref);
    this.reports.set(fut, report);
    this.registry.register(fut, report, fut);
  },
  forget(fut: object): void {
    const report = this.reports.get(fut);
    if (report === undefined) return;
    this.reports.delete(fut);
    this.armed.delete(report.ref);
    this.registry.unregister(fut);
  },
  /** Reports now every armed future of `loop` (the loop is closing). */
  flush(loop: AbstractEventLoop): void {
    // A copy: a report may arm or disarm futures while this goes through them.
    for (const ref of Array.from(this.armed)) {
      const fut = ref.deref();
      if (fut === undefined || fut._loop !== loop) continue;
      const report = this.reports.get(fut);
      fut._retrieved(); // disarms it (forget): reported once
      if (report !== undefined) fire({ loop, context: report.context, origin: report.origin });
    }
  },
};

interface PendingTask {
  _loop: AbstractEventLoop | null;
  _context: Context | undefined;
  _sourceTraceback: string[] | null;
  _repr(): string;
}

/** @internal "Task was destroyed but it is pending!": armed for tasks made in debug mode, disarmed when they finish. */
export const reportDestroyedPending = {
  registry: new FinalizationRegistry<Report>(fire),
  watch(task: PendingTask): void {
    const context: ExceptionContext = { message: "Task was destroyed but it is pending!", task: task._repr() };
    if (task._sourceTraceback) context.sourceTraceback = task._sourceTraceback;
    this.registry.register(task, { loop: task._loop, context, origin: task._context }, task);
  },
  /** The task's loop is known only once it is bound; the report must go there. */
  rebind(task: PendingTask): void {
    this.registry.unregister(task);
    this.watch(task);
  },
  forget(task: object): void {
    this.registry.unregister(task);
  },
};

/** @internal "coroutine 'name' was never awaited": armed for coroutine objects made in debug mode. */
export const reportNeverAwaited = {
  registry: new FinalizationRegistry<{ name: string; site: string | null; target: AbstractEventLoop | null; origin: Context | undefined }>((r) => {
    const where = r.site ? `\nCoroutine created at ${r.site}` : "";
    fire({ loop: r.target, context: { message: `coroutine '${r.name}' was never awaited${where}` }, origin: r.origin });
  }),
  watch(coro: object, name: string, stack: readonly string[] | null, target: AbstractEventLoop | null): void {
    this.registry.register(coro, { name, site: creationSite(stack), target, origin: copyContext() }, coro);
  },
  forget(coro: object): void {
    this.registry.unregister(coro);
  },
};
