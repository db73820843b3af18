// Synchronisation primitives for tasks, as Python 3.13's asyncio/locks.py: Lock, Event,
// Condition, Semaphore, BoundedSemaphore, Barrier. Queues (queues.ts) build on these; threads
// are not involved (they are not thread-safe, as in Python).
//
// Each coroutine method (`acquire`, `wait`, `waitFor`) is written once, as a generator that
// follows CPython's code line by line, and returned as a lazy CoroutineObject:
// - `yield* lock.acquire()` (a generator task, or a generator delegating) runs that generator
//   inline in the task, exactly as Python's task steps run a coroutine;
// - `await lock.acquire()` runs the same generator through `_runGenerator` (coroutines.ts), which waits
//   on each future it yields as the awaiting task's (so `task.cancel()` reaches it) and resumes
//   the generator inside the future's done callback, at the moment a Python task step would.
// A method whose answer is known at once (a free lock, a set event) settles without any future.
//
// Fairness (Python's): waiters are woken in FIFO order; a waiter that is woken and then
// cancelled before it runs passes the wake-up on to the next one, so no wake-up is lost.

import { _LibCoroutine, type CoroutineObject, type GeneratorCoroutine } from "./coroutines.js";
import { Deque } from "./deque.js";
import { BoundedSemaphoreError, BrokenBarrierError, isCancelledError } from "./exceptions.js";
import { Future } from "./futures.js";
import { _LoopBoundMixin } from "./mixins.js";
import { noteWait, observing } from "./observe.js";

const RESOLVED_TRUE: Promise<true> = Promise.resolve(true);

function formatWaiters(extra: string, waiters: { length: number } | null): string {
  return waiters !== null && waiters.length > 0 ? `${extra}, waiters:${waiters.length}` : extra;
}

// -- async with: `await using` -------------------------------------------------------------------

// Node 20 has Symbol.asyncDispose (as Symbol.for("nodejs.asyncDispose")), Node 24 the standard
// one; elsewhere the key TypeScript's, Babel's and oxc's `await using` helpers fall back to.
const asyncDisposeSymbol: typeof Symbol.asyncDispose = (Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;
const disposeSymbol: typeof Symbol.dispose = (Symbol.dispose ?? Symbol.for("Symbol.dispose")) as typeof Symbol.dispose;

/**
 * A Lock, Semaphore or Condition held by the code that awaited its `acquired()`: Python's
 * `async with lock:` is `await using _ = await lock.acquired();`, and the end of the block
 * releases it, whether the block ends normally, by `return` or by an error. `release()` gives
 * it back earlier; it is released once, whatever happens after.
 */
export interface Acquired extends AsyncDisposable, Disposable {
  /** Releases what is held, unless this handle released it already. */
  release(): void;
}

interface Releasable {
  acquire(): CoroutineObject<true>;
  release(): void;
}

class AcquiredHandle implements Acquired {
  constructor(private _held: Releasable | null) {}

  release(): void {
    const held = this._held;
    this._held = null;
    held?.release();
  }

  [asyncDisposeSymbol](): Promise<void> {
    try {
      this.release();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  [disposeSymbol](): void {
    this.release();
  }
}

function* acquireHandle(lock: Releasable): GeneratorCoroutine<Acquired> {
  yield* lock.acquire();
  return new AcquiredHandle(lock);
}

// -- Lock ---------------------------------------------------------------------------------------

/**
 * A mutual exclusion lock for tasks, as Python's `asyncio.Lock`. It is not owned by a task:
 * any code may release it.
 *
 * - `acquire()` takes a free lock at once; otherwise it waits. Waiters get the lock in the
 *   order they started waiting (FIFO), and a new `acquire()` never jumps the queue.
 * - `release()` frees the lock and wakes the first waiter.
 * - A waiter cancelled after it was woken passes the lock on to the next waiter.
 *
 * @example
 * ```ts
 * const lock = new asyncio.Lock();
 * await lock.acquire();
 * try {
 *   // ... only one task at a time gets here
 * } finally {
 *   lock.release();
 * }
 * ```
 */
export class Lock extends _LoopBoundMixin {
  /** @internal Futures of the tasks waiting in `acquire()`, oldest first; `null` until needed. */
  _waiters: Deque<Future<true>> | null = null;
  /** @internal */ _locked = false;

  /** True while the lock is held. */
  locked(): boolean {
    return this._locked;
  }

  /**
   * Takes the lock, waiting for it while another holder has it; returns `true`. A coroutine:
   * `await lock.acquire()` or `yield* lock.acquire()`. Cancelling the waiting task removes it
   * from the queue of waiters.
   * @throws Error "<lock> is bound to a different event loop" when it must wait on a loop other
   *   than the one it first waited on.
   */
  acquire(): CoroutineObject<true> {
    return new _LibCoroutine("Lock.acquire", this, undefined, lockAcquire, lockTryAcquire);
  }

  /**
   * Takes the lock as `acquire()` does and returns a handle that releases it when disposed:
   * Python's `async with lock:`, for `await using` (or `using` in a generator coroutine).
   * @example
   * ```ts
   * const lock = new asyncio.Lock();
   * {
   *   await using _ = await lock.acquired();
   *   // ... only one task at a time gets here; the lock is released at the end of the block
   * }
   * function* worker(): Generator<unknown, void, unknown> {
   *   using _ = yield* lock.acquired();
   *   // ... the same in a generator coroutine
   * }
   * ```
   */
  acquired(): CoroutineObject<Acquired> {
    return new _LibCoroutine("Lock.acquired", this, undefined, acquireHandle);
  }

  /**
   * Frees the lock; the first waiting task (if any) gets it next.
   * @throws Error "Lock is not acquired." when the lock is not held.
   */
  release(): void {
    if (!this._locked) throw new Error("Lock is not acquired.");
    this._locked = false;
    this._wakeUpFirst();
  }

  /** @internal Makes sure the first waiter will wake up (a done future is already on its way). */
  _wakeUpFirst(): void {
    const fut = this._waiters?.peek();
    if (fut !== undefined && !fut.done()) fut.setResult(true);
  }

  /** @internal */
  _repr(): string {
    return `<${this.constructor.name} [${formatWaiters(this._locked ? "locked" : "unlocked", this._waiters)}]>`;
  }
}

function allCancelled(waiters: Deque<Future<unknown>> | null): boolean {
  if (waiters === null) return true;
  for (let i = 0; i < waiters.length; i++) if (!(waiters.at(i) as Future<unknown>).cancelled()) return false;
  return true;
}

/** `acquire()` without waiting: takes a free lock nobody (alive) waits for; null when it must wait. */
function lockTryAcquire(lock: Lock): Promise<true> | null {
  if (lock._locked || !allCancelled(lock._waiters)) return null;
  lock._locked = true;
  return RESOLVED_TRUE;
}

function* lockAcquire(lock: Lock): GeneratorCoroutine<true> {
  // Fair scheduling: a free lock is taken at once only when nobody waits (jumping the queue
  // when every waiter is cancelled is an optimisation).
  if (!lock._locked && allCancelled(lock._waiters)) {
    lock._locked = true;
    return true;
  }
  const waiters = (lock._waiters ??= new Deque());
  const fut = new Future<true>({ loop: lock._getLoop() });
  if (observing) noteWait(fut, { kind: lock.constructor.name, on: lock });
  waiters.push(fut);
  try {
    try {
      yield* fut;
    } finally {
      waiters.remove(fut);
    }
  } catch (exc) {
    // Keep the invariant: if the lock is free and somebody waits, the first waiter will run.
    if (isCancelledError(exc) && !lock._locked) lock._wakeUpFirst();
    throw exc;
  }
  lock._locked = true;
  return true;
}

// -- Event --------------------------------------------------------------------------------------

/**
 * A flag tasks can wait for, as Python's `asyncio.Event`. It starts unset.
 *
 * - `set()` sets it and wakes every waiting task; `wait()` then returns at once until
 *   `clear()` unsets it again.
 * - A task woken by `set()` returns from `wait()` even if `clear()` was called meanwhile.
 *
 * @example
 * ```ts
 * const ev = new asyncio.Event();
 * asyncio.getRunningLoop().callLater(0.1, () => ev.set());
 * await ev.wait(); // true, 0.1 s later
 * ```
 */
export class Event extends _LoopBoundMixin {
  /** @internal Futures of the tasks waiting in `wait()`, oldest first. */
  _waiters = new Deque<Future<true>>();
  /** @internal */ _value = false;

  /** True when the flag is set. */
  isSet(): boolean {
    return this._value;
  }

  /** Sets the flag and wakes every task waiting for it (in the order they started waiting). */
  set(): void {
    if (this._value) return;
    this._value = true;
    const waiters = this._waiters;
    for (let i = 0; i < waiters.length; i++) {
      const fut = waiters.at(i) as Future<true>;
      if (!fut.done()) fut.setResult(true);
    }
  }

  /** Unsets the flag: later `wait()` calls wait for the next `set()`. */
  clear(): void {
    this._value = false;
  }

  /**
   * Waits until the flag is set and returns `true` (at once when it is set already). A
   * coroutine: `await ev.wait()` or `yield* ev.wait()`.
   * @throws Error "<event> is bound to a different event loop" when it must wait on a loop
   *   other than the one it first waited on.
   */
  wait(): CoroutineObject<true> {
    return new _LibCoroutine("Event.wait", this, undefined, eventWait, eventIsSet);
  }

  /** @internal */
  _repr(): string {
    return `<${this.constructor.name} [${formatWaiters(this._value ? "set" : "unset", this._waiters)}]>`;
  }
}

function eventIsSet(ev: Event): Promise<true> | null {
  return ev._value ? RESOLVED_TRUE : null;
}

function* eventWait(ev: Event): GeneratorCoroutine<true> {
  if (ev._value) return true;
  const fut = new Future<true>({ loop: ev._getLoop() });
  if (observing) noteWait(fut, { kind: "Event", on: ev });
  ev._waiters.push(fut);
  try {
    yield* fut;
    return true;
  } finally {
    ev._waiters.remove(fut);
  }
}

// -- Condition ----------------------------------------------------------------------------------

/**
 * A condition variable, as Python's `asyncio.Condition`: tasks holding its lock wait to be
 * notified by another task holding it.
 *
 * - `acquire()`, `release()` and `locked()` are those of the underlying lock (a new `Lock`
 *   unless one is passed in).
 * - `wait()` releases the lock, waits for `notify()`/`notifyAll()`, re-acquires the lock and
 *   returns `true`. It re-acquires the lock even when cancelled. It may return spuriously, so
 *   wait in a loop that re-checks the state, or use `waitFor(predicate)`.
 * - `notify(n)` wakes up to `n` waiters, oldest first; they run once they have the lock back.
 *
 * @example
 * ```ts
 * const cond = new asyncio.Condition();
 * const items: number[] = [];
 * const consumer = asyncio.createTask(async () => {
 *   await cond.acquire();
 *   try {
 *     await cond.waitFor(() => items.length > 0);
 *     return items.shift();
 *   } finally {
 *     cond.release();
 *   }
 * });
 * await cond.acquire();
 * items.push(42);
 * cond.notify();
 * cond.release();
 * await consumer; // 42
 * ```
 */
export class Condition extends _LoopBoundMixin {
  /** @internal */ readonly _lock: Lock;
  /** @internal Futures of the tasks waiting in `wait()`, oldest first. */
  _waiters = new Deque<Future<boolean>>();

  /** Makes a condition over `lock`, or over a new Lock. */
  constructor(lock?: Lock) {
    super();
    this._lock = lock ?? new Lock();
  }

  /** True while the underlying lock is held. */
  locked(): boolean {
    return this._lock.locked();
  }

  /** Acquires the underlying lock (see `Lock.acquire`). A coroutine. */
  acquire(): CoroutineObject<true> {
    return this._lock.acquire();
  }

  /**
   * Acquires the underlying lock and returns a handle that releases it when disposed: Python's
   * `async with cond:`, for `await using` (see `Lock.acquired`).
   * @example
   * ```ts
   * const cond = new asyncio.Condition();
   * let ready = false;
   * {
   *   await using _ = await cond.acquired();
   *   await cond.waitFor(() => ready);
   * }
   * ```
   */
  acquired(): CoroutineObject<Acquired> {
    return new _LibCoroutine("Condition.acquired", this, undefined, acquireHandle);
  }

  /**
   * Releases the underlying lock.
   * @throws Error "Lock is not acquired." when it is not held.
   */
  release(): void {
    this._lock.release();
  }

  /**
   * Releases the lock, waits until notified, re-acquires the lock and returns `true`. A
   * coroutine. If the wait is cancelled, the lock is still re-acquired before CancelledError
   * propagates, and the notification (if one had arrived) goes to another waiter.
   * @throws Error "cannot wait on un-acquired lock" when the lock is not held (when run).
   */
  wait(): CoroutineObject<true> {
    return new _LibCoroutine("Condition.wait", this, undefined, conditionWait);
  }

  /**
   * Waits until `predicate()` is truthy and returns its value. The predicate is checked first,
   * and again after each wake-up, always with the lock held. A coroutine.
   * @throws Error "cannot wait on un-acquired lock" when it must wait without holding the lock.
   */
  waitFor<T>(predicate: () => T): CoroutineObject<T> {
    return new _LibCoroutine("Condition.waitFor", this, predicate, conditionWaitFor<T>);
  }

  /**
   * Wakes up to `n` tasks waiting in `wait()` (default 1), oldest first. They return from
   * `wait()` only once they re-acquire the lock, which the caller still holds.
   * @throws Error "cannot notify on un-acquired lock" when the lock is not held.
   */
  notify(n = 1): void {
    if (!this.locked()) throw new Error("cannot notify on un-acquired lock");
    this._notify(n);
  }

  /**
   * Wakes every task waiting in `wait()`.
   * @throws Error "cannot notify on un-acquired lock" when the lock is not held.
   */
  notifyAll(): void {
    this.notify(this._waiters.length);
  }

  /** @internal */
  _notify(n: number): void {
    let idx = 0;
    const waiters = this._waiters;
    for (let i = 0; i < waiters.length && idx < n; i++) {
      const fut = waiters.at(i) as Future<boolean>;
      if (!fut.done()) {
        idx++;
        fut.setResult(false);
      }
    }
  }

  /** @internal */
  _repr(): string {
    return `<${this.constructor.name} [${formatWaiters(this.locked() ? "locked" : "unlocked", this._waiters)}]>`;
  }
}

function* conditionWait(cond: Condition): GeneratorCoroutine<true> {
  if (!cond.locked()) throw new Error("cannot wait on un-acquired lock");
  const fut = new Future<boolean>({ loop: cond._getLoop() });
  if (observing) noteWait(fut, { kind: "Condition", on: cond });
  cond.release();
  try {
    try {
      cond._waiters.push(fut);
      try {
        yield* fut;
        return true;
      } finally {
        cond._waiters.remove(fut);
      }
    } finally {
      // The lock must be re-acquired even if the wait is cancelled. Only CancelledError is
      // retried: any other error with the lock must not make us spin.
      let err: unknown = null;
      let cancelled = false;
      for (;;) {
        try {
          yield* cond.acquire();
          break;
        } catch (exc) {
          // Any other error while taking the lock again ends the wait with it (Python's too).
          // oxlint-disable-next-line no-unsafe-finally
          if (!isCancelledError(exc)) throw exc;
          err = exc;
          cancelled = true;
        }
      }
      // As Python's Condition.wait: a cancellation that came while the lock was taken again
      // replaces whatever ended the wait.
      // oxlint-disable-next-line no-unsafe-finally
      if (cancelled) throw err;
    }
  } catch (exc) {
    // An error out of here may come after this task was notified: hand the notification to
    // another waiter (a spurious wake-up, which the condition variable protocol allows).
    cond._notify(1);
    throw exc;
  }
}

function* conditionWaitFor<T>(cond: Condition, predicate: () => T): GeneratorCoroutine<T> {
  let result = predicate();
  while (!result) {
    yield* cond.wait();
    result = predicate();
  }
  return result;
}

// -- Semaphore ----------------------------------------------------------------------------------

/**
 * A counter of free slots, as Python's `asyncio.Semaphore`: `acquire()` takes a slot (waiting
 * while there is none), `release()` gives one back.
 *
 * - Waiters get slots in FIFO order; a new `acquire()` waits behind them even when a slot is
 *   free (`locked()` is true while anyone alive waits).
 * - `release()` wakes the next waiter and hands it the slot at once; a waiter cancelled after
 *   that gives the slot back and wakes the next one.
 *
 * @throws RangeError "Semaphore initial value must be >= 0" from the constructor.
 * @example
 * ```ts
 * const sem = new asyncio.Semaphore(2); // at most two at a time
 * async function fetchOne(i: number): Promise<number> {
 *   await sem.acquire();
 *   try {
 *     await asyncio.sleep(0.1);
 *     return i;
 *   } finally {
 *     sem.release();
 *   }
 * }
 * await asyncio.gather(fetchOne(1), fetchOne(2), fetchOne(3));
 * ```
 */
export class Semaphore extends _LoopBoundMixin {
  /** @internal Futures of the tasks waiting in `acquire()`, oldest first; `null` until needed. */
  _waiters: Deque<Future<true>> | null = null;
  /** @internal The number of free slots. */
  _value: number;

  /** A semaphore with `value` free slots (default 1). */
  constructor(value = 1) {
    super();
    if (value < 0) throw new RangeError("Semaphore initial value must be >= 0");
    this._value = value;
  }

  /** True when `acquire()` would wait: no slot is free, or tasks (not cancelled) wait before it. */
  locked(): boolean {
    return this._value === 0 || !allCancelled(this._waiters);
  }

  /**
   * Takes a slot, waiting for one if needed; returns `true`. A coroutine.
   * @throws Error "<semaphore> is bound to a different event loop" when it must wait on a loop
   *   other than the one it first waited on.
   */
  acquire(): CoroutineObject<true> {
    return new _LibCoroutine("Semaphore.acquire", this, undefined, semaphoreAcquire, semaphoreTryAcquire);
  }

  /**
   * Takes a slot as `acquire()` does and returns a handle that gives it back when disposed:
   * Python's `async with sem:`, for `await using` (see `Lock.acquired`).
   * @example
   * ```ts
   * const sem = new asyncio.Semaphore(2);
   * async function fetchOne(i: number): Promise<number> {
   *   await using _ = await sem.acquired(); // at most two at a time
   *   await asyncio.sleep(0.1);
   *   return i;
   * }
   * ```
   */
  acquired(): CoroutineObject<Acquired> {
    return new _LibCoroutine("Semaphore.acquired", this, undefined, acquireHandle);
  }

  /** Gives a slot back and wakes the next waiting task, if any. */
  release(): void {
    this._value++;
    this._wakeUpNext();
  }

  /** @internal Wakes the first waiter that is not done, handing it a slot; false if none. */
  _wakeUpNext(): boolean {
    const waiters = this._waiters;
    if (waiters === null) return false;
    for (let i = 0; i < waiters.length; i++) {
      const fut = waiters.at(i) as Future<true>;
      if (!fut.done()) {
        this._value--;
        fut.setResult(true);
        return true;
      }
    }
    return false;
  }

  /** @internal */
  _repr(): string {
    const extra = this.locked() ? "locked" : `unlocked, value:${this._value}`;
    return `<${this.constructor.name} [${formatWaiters(extra, this._waiters)}]>`;
  }
}

function semaphoreTryAcquire(sem: Semaphore): Promise<true> | null {
  if (sem.locked()) return null;
  sem._value--;
  return RESOLVED_TRUE;
}

function* semaphoreAcquire(sem: Semaphore): GeneratorCoroutine<true> {
  if (!sem.locked()) {
    // Keep FIFO order: wait behind others even when a slot is free.
    sem._value--;
    return true;
  }
  const waiters = (sem._waiters ??= new Deque());
  const fut = new Future<true>({ loop: sem._getLoop() });
  if (observing) noteWait(fut, { kind: sem.constructor.name, on: sem });
  waiters.push(fut);
  try {
    try {
      try {
        yield* fut;
      } finally {
        waiters.remove(fut);
      }
    } catch (exc) {
      // Woken by _wakeUpNext (which took our slot) but not going to return it to the caller:
      // give the slot back; the `finally` below passes it on.
      if (isCancelledError(exc) && fut.done() && !fut.cancelled()) sem._value++;
      throw exc;
    }
  } finally {
    // New waiters may have queued up behind us while slots were free: wake as many as fit.
    while (sem._value > 0) if (!sem._wakeUpNext()) break;
  }
  return true;
}

/**
 * A Semaphore that refuses to be released above its initial value, as Python's
 * `asyncio.BoundedSemaphore`: a release without a matching acquire is a bug it reports.
 *
 * @example
 * ```ts
 * const sem = new asyncio.BoundedSemaphore(1);
 * await sem.acquire();
 * sem.release();
 * sem.release(); // throws BoundedSemaphoreError
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** @internal */ readonly _boundValue: number;

  /** A bounded semaphore with `value` slots (default 1). */
  constructor(value = 1) {
    super(value);
    this._boundValue = value;
  }

  /**
   * Gives a slot back.
   * @throws BoundedSemaphoreError "BoundedSemaphore released too many times" when every slot is
   *   already free.
   */
  override release(): void {
    if (this._value >= this._boundValue) throw new BoundedSemaphoreError();
    super.release();
  }
}

// -- Barrier --------------------------------------------------------------------------------------

/** @internal A Barrier's state (Python's `_BarrierState`), as its repr shows it. */
type BarrierState = "filling" | "draining" | "resetting" | "broken";

/**
 * A meeting point for a fixed number of tasks, as Python's `asyncio.Barrier` (3.11): each task
 * calling `wait()` waits until `parties` tasks have called it, then all of them go on together.
 *
 * State machine (what the repr shows):
 * - `filling`: tasks arrive and wait; the one that makes `parties` switches to `draining`.
 * - `draining`: the woken tasks leave; tasks that arrive meanwhile wait for the next round.
 *   When the last one has left, back to `filling`: a barrier is reusable.
 * - `resetting` (after `reset()` while tasks wait): those tasks throw `BrokenBarrierError`;
 *   when the last has left, back to `filling`.
 * - `broken` (after `abort()`): every waiting and every later `wait()` throws
 *   `BrokenBarrierError`, until `reset()`.
 *
 * Cancelling a waiting task takes it out of the count.
 *
 * @throws RangeError "parties must be >= 1" from the constructor.
 * @example
 * ```ts
 * const barrier = new asyncio.Barrier(3);
 * async function worker(name: string): Promise<void> {
 *   await asyncio.sleep(Math.random());       // get ready, each at its own pace
 *   const i = await barrier.wait();           // 0, 1 or 2: the order of arrival
 *   console.log(name, "goes, arrived as", i); // all three go on together
 * }
 * await asyncio.gather(worker("a"), worker("b"), worker("c"));
 * ```
 */
export class Barrier extends _LoopBoundMixin {
  /** @internal Notifies every task when the state changes. */
  readonly _cond = new Condition();
  /** @internal */ readonly _parties: number;
  /** @internal */ _state: BarrierState = "filling";
  /** @internal How many tasks are in the barrier (waiting, or leaving it). */
  _count = 0;

  /** A barrier for `parties` tasks. */
  constructor(parties: number) {
    super();
    if (!(parties >= 1)) throw new RangeError("parties must be >= 1");
    this._parties = parties;
  }

  /**
   * Waits until `parties` tasks are waiting, then returns this task's place in the order of
   * arrival, from 0 to `parties - 1`. A coroutine: `await barrier.wait()` or
   * `yield* barrier.wait()`. While the barrier drains (or resets), it first waits for that to end.
   * @throws BrokenBarrierError "Barrier aborted" when the barrier is broken; "Abort or reset of
   *   barrier" when it is aborted or reset while this task waits.
   */
  wait(): CoroutineObject<number> {
    return new _LibCoroutine("Barrier.wait", this, undefined, barrierWait);
  }

  /**
   * Puts the barrier back to `filling`: tasks waiting in it throw `BrokenBarrierError`. A
   * coroutine (it takes the barrier's lock): `await barrier.reset()`.
   */
  reset(): CoroutineObject<void> {
    return new _LibCoroutine("Barrier.reset", this, undefined, barrierReset);
  }

  /**
   * Breaks the barrier, for when a task cannot go on: every waiting task, and every later
   * `wait()`, throws `BrokenBarrierError` until `reset()`. A coroutine: `await barrier.abort()`.
   */
  abort(): CoroutineObject<void> {
    return new _LibCoroutine("Barrier.abort", this, undefined, barrierAbort);
  }

  /** How many tasks must call `wait()` to pass the barrier. */
  get parties(): number {
    return this._parties;
  }

  /** How many tasks wait in the barrier now (0 while it drains, resets or is broken). */
  get nWaiting(): number {
    return this._state === "filling" ? this._count : 0;
  }

  /** True once `abort()` broke the barrier (until `reset()`). */
  get broken(): boolean {
    return this._state === "broken";
  }

  /** @internal Python's repr: `<Barrier [filling, waiters:2/3]>`, `<Barrier [broken]>`. */
  _repr(): string {
    const extra = this.broken ? this._state : `${this._state}, waiters:${this.nWaiting}/${this._parties}`;
    return `<${this.constructor.name} [${extra}]>`;
  }
}

// CPython's Barrier line for line: every method runs with the condition's lock held (its
// `async with self._cond`), and waits on the condition for the state it needs.

function* barrierWait(b: Barrier): GeneratorCoroutine<number> {
  yield* b._cond.acquire();
  try {
    yield* barrierBlock(b); // Wait while the barrier drains or resets.
    try {
      const index = b._count;
      b._count++;
      if (index + 1 === b._parties) {
        // The last to arrive releases the others, and the barrier starts draining.
        b._state = "draining";
        b._cond.notifyAll();
      } else {
        yield* barrierWaitFilled(b);
      }
      return index;
    } finally {
      b._count--;
      barrierExit(b);
    }
  } finally {
    b._cond.release();
  }
}

/** Waits until the barrier takes new arrivals; throws if it is broken. */
function* barrierBlock(b: Barrier): GeneratorCoroutine<void> {
  yield* b._cond.waitFor(() => b._state !== "draining" && b._state !== "resetting");
  if (b._state === "broken") throw new BrokenBarrierError("Barrier aborted");
}

/** Waits in the barrier until it is released; throws if it is reset or broken meanwhile. */
function* barrierWaitFilled(b: Barrier): GeneratorCoroutine<void> {
  yield* b._cond.waitFor(() => b._state !== "filling");
  if (b._state === "broken" || b._state === "resetting") throw new BrokenBarrierError("Abort or reset of barrier");
}

/** The last task to leave a draining or resetting barrier makes it fill again, and says so. */
function barrierExit(b: Barrier): void {
  if (b._count === 0) {
    if (b._state === "resetting" || b._state === "draining") b._state = "filling";
    b._cond.notifyAll();
  }
}

function* barrierReset(b: Barrier): GeneratorCoroutine<void> {
  yield* b._cond.acquire();
  try {
    // With tasks inside, they must leave first (throwing); the last one out makes it fill.
    if (b._count > 0) b._state = "resetting";
    else b._state = "filling";
    b._cond.notifyAll();
  } finally {
    b._cond.release();
  }
}

function* barrierAbort(b: Barrier): GeneratorCoroutine<void> {
  yield* b._cond.acquire();
  try {
    b._state = "broken";
    b._cond.notifyAll();
  } finally {
    b._cond.release();
  }
}
