// Queues for producer and consumer tasks, as Python 3.13's asyncio/queues.py: Queue (FIFO),
// PriorityQueue (lowest first) and LifoQueue (newest first). Not thread-safe; waiting relies on
// futures, locks.ts's Event and the loop binding of mixins.ts.
//
// State: items in `_queue`; futures of tasks blocked in `get()` in `_getters` and in `put()` in
// `_putters`, oldest first; `_unfinishedTasks` counts items put and not yet `taskDone()`.
// Invariant (Python's): every `putNowait` wakes at most one getter and every `getNowait` at
// most one putter, and a woken waiter that cannot use its turn (cancelled meanwhile) wakes the
// next one, so no wake-up is lost.
//
// Shutting down (3.13): `_isShutdown` is set for good. Puts fail from then on; gets fail once
// the queue is empty. `shutdown()` wakes every waiting getter and putter, and each re-checks
// its loop condition, so it fails with QueueShutDown instead of waiting again.

import { _LibCoroutine, type CoroutineObject, type GeneratorCoroutine } from "./coroutines.js";
import { Deque } from "./deque.js";
import { QueueEmpty, QueueFull, QueueShutDown } from "./exceptions.js";
import { repr } from "./format.js";
import { Future } from "./futures.js";
import { heapPop, heapPush } from "./heapq.js";
import { Event } from "./locks.js";
import { _LoopBoundMixin } from "./mixins.js";
import { noteWait, observing } from "./observe.js";

/** Options of `new Queue()` (Python's keyword arguments). */
export interface QueueOptions {
  /** How many items the queue holds before `put()` waits; 0 or less means no limit (default 0). */
  maxsize?: number;
}

/** Options of `queue.shutdown()` (Python's keyword argument). */
export interface QueueShutdownOptions {
  /** Also drop the items still queued, so gets fail at once (default false). */
  immediate?: boolean;
}

/** Options of `new PriorityQueue()`. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * Orders items: negative when `a` comes out before `b`. By default items are compared as
   * Python compares them with `<`: numbers, strings, and arrays as tuples, element by element.
   */
  compare?: (a: T, b: T) => number;
}

/**
 * A FIFO queue for tasks, as Python's `asyncio.Queue`. With `maxsize` > 0, `put()` waits while
 * the queue is full; `get()` waits while it is empty. Waiting getters and putters are served in
 * the order they started waiting.
 *
 * `join()` waits until every item put has been marked done with `taskDone()`. `shutdown()` ends
 * the queue's life: later puts throw `QueueShutDown`, gets too once the queue is empty.
 *
 * @example
 * ```ts
 * const queue = new asyncio.Queue<string>();
 * const worker = asyncio.createTask(async () => {
 *   for (;;) {
 *     const job = await queue.get();
 *     console.log("working on", job);
 *     queue.taskDone();
 *   }
 * });
 * await queue.put("first job");
 * queue.putNowait("second job");
 * await queue.join(); // both jobs are done
 * worker.cancel();
 * ```
 */
export class Queue<T = unknown> extends _LoopBoundMixin {
  /** @internal The items; subclasses choose the structure in `_init`. */
  _queue!: Deque<T> | T[];
  /** @internal */ readonly _maxsize: number;
  /** @internal Futures of the tasks waiting in `get()`, oldest first. */
  readonly _getters = new Deque<Future<undefined>>();
  /** @internal Futures of the tasks waiting in `put()`, oldest first. */
  readonly _putters = new Deque<Future<undefined>>();
  /** @internal */ _unfinishedTasks = 0;
  /** @internal Set whenever no task is unfinished; `join()` waits for it. */
  readonly _finished = new Event();
  /** @internal Set by `shutdown()`, never cleared. */
  _isShutdown = false;

  /** A queue holding at most `maxsize` items (0 or less: no limit, the default). */
  constructor(maxsize: number | QueueOptions = 0) {
    super();
    this._maxsize = typeof maxsize === "number" ? maxsize : (maxsize.maxsize ?? 0);
    this._finished.set();
    this._init(this._maxsize);
  }

  // These are overridable in subclasses (Python's _init, _get, _put), with _qsize and _items
  // because JavaScript's structures have no common len() or list().

  /** @internal Makes the item store. */
  protected _init(_maxsize: number): void {
    this._queue = new Deque<T>();
  }

  /** @internal Takes the next item out of the store (the store is not empty). */
  protected _get(): T {
    return (this._queue as Deque<T>).shift() as T;
  }

  /** @internal Puts an item in the store. */
  protected _put(item: T): void {
    (this._queue as Deque<T>).push(item);
  }

  /** @internal The items in the store, in the store's order, for the repr. */
  protected _items(): T[] {
    return (this._queue as Deque<T>).toArray();
  }

  /** @internal Wakes the first waiter in `waiters` that is not done (cancelled ones are dropped). */
  _wakeupNext(waiters: Deque<Future<undefined>>): void {
    while (waiters.length > 0) {
      const waiter = waiters.shift() as Future<undefined>;
      if (!waiter.done()) {
        waiter.setResult(undefined);
        break;
      }
    }
  }

  /** @internal Python's `_format()`: the text inside the repr's angle brackets after the name. */
  _format(): string {
    let result = `maxsize=${repr(this._maxsize)}`;
    if (this._queue !== undefined && this._queue.length > 0)
      result += ` _queue=[${this._items()
        .map((x) => repr(x))
        .join(", ")}]`;
    if (this._getters.length > 0) result += ` _getters[${this._getters.length}]`;
    if (this._putters.length > 0) result += ` _putters[${this._putters.length}]`;
    if (this._unfinishedTasks > 0) result += ` tasks=${this._unfinishedTasks}`;
    if (this._isShutdown) result += " shutdown";
    return result;
  }

  /** @internal Python's str: `<Queue maxsize=0 _queue=[1, 2] tasks=2>`. */
  _repr(): string {
    return `<${this.constructor.name} ${this._format()}>`;
  }

  /** How many items the queue holds now. */
  qsize(): number {
    return this._queue.length;
  }

  /** How many items the queue may hold (0 or less: no limit). */
  get maxsize(): number {
    return this._maxsize;
  }

  /** True when the queue holds no item. */
  empty(): boolean {
    return this._queue.length === 0;
  }

  /** True when the queue holds `maxsize` items; never true for a queue without a limit. */
  full(): boolean {
    return this._maxsize > 0 && this._queue.length >= this._maxsize;
  }

  /**
   * Puts `item` in the queue, first waiting for a free slot while the queue is full. A
   * coroutine: `await queue.put(x)` or `yield* queue.put(x)`. Cancelled while waiting, it puts
   * nothing.
   * @throws QueueShutDown when the queue is shut down, also while this put waits.
   * @throws Error "<queue> is bound to a different event loop" when it must wait on a loop
   *   other than the one it first waited on.
   */
  put(item: T): CoroutineObject<void> {
    return new _LibCoroutine("Queue.put", this as Queue<T>, item, queuePut<T>, queueTryPut<T>);
  }

  /**
   * Puts `item` in the queue at once and wakes the first task waiting in `get()`.
   * @throws QueueShutDown when the queue is shut down; QueueFull when it is full.
   */
  putNowait(item: T): void {
    if (this._isShutdown) throw new QueueShutDown();
    if (this.full()) throw new QueueFull();
    this._put(item);
    this._unfinishedTasks++;
    this._finished.clear();
    if (this._getters.length > 0) this._wakeupNext(this._getters);
  }

  /**
   * Takes the next item out of the queue, first waiting for one while it is empty. A
   * coroutine: `await queue.get()` or `yield* queue.get()`. Cancelled while waiting, it takes
   * nothing (and an item meant for it goes to the next waiting task).
   * @throws QueueShutDown when the queue is shut down and empty, also while this get waits.
   * @throws Error "<queue> is bound to a different event loop" when it must wait on a loop
   *   other than the one it first waited on.
   */
  get(): CoroutineObject<T> {
    return new _LibCoroutine("Queue.get", this as Queue<T>, undefined, queueGet<T>, queueTryGet<T>);
  }

  /**
   * Takes the next item out of the queue at once and wakes the first task waiting in `put()`.
   * @throws QueueShutDown when the queue is shut down and empty; QueueEmpty when it is empty.
   */
  getNowait(): T {
    if (this._queue.length === 0) throw this._isShutdown ? new QueueShutDown() : new QueueEmpty();
    const item = this._get();
    if (this._putters.length > 0) this._wakeupNext(this._putters);
    return item;
  }

  /**
   * Marks one item taken with `get()` as processed. When every item put has been marked,
   * `join()` returns.
   * @throws Error "task_done() called too many times" when more items are marked than were put.
   */
  taskDone(): void {
    if (this._unfinishedTasks <= 0) throw new Error("task_done() called too many times");
    this._unfinishedTasks--;
    if (this._unfinishedTasks === 0) this._finished.set();
  }

  /**
   * Waits until every item put in the queue has been taken and marked with `taskDone()`
   * (returns at once if so already). A coroutine.
   */
  join(): CoroutineObject<void> {
    return new _LibCoroutine("Queue.join", this as Queue<T>, undefined, queueJoin<T>, queueIsDone<T>);
  }

  /**
   * Shuts the queue down (Python 3.13): from now on `put()` and `putNowait()` throw
   * `QueueShutDown`, and so do `get()` and `getNowait()` once the queue is empty. Every task
   * waiting in `put()` or `get()` is woken and throws `QueueShutDown` (a getter takes an item
   * instead while any is left).
   *
   * With `immediate` (`shutdown(true)` or `shutdown({ immediate: true })`) the items still
   * queued are dropped and each is marked done as `taskDone()` would, so gets fail at once and
   * `join()` returns unless items already taken are still unfinished. Calling it again is
   * harmless (and may still drop items with `immediate`).
   *
   * @example
   * ```ts
   * const queue = new asyncio.Queue<string>();
   * const worker = asyncio.createTask(async () => {
   *   try {
   *     for (;;) console.log(await queue.get());
   *   } catch (e) {
   *     if (!(e instanceof asyncio.QueueShutDown)) throw e; // no more jobs: stop
   *   }
   * });
   * queue.putNowait("last job");
   * queue.shutdown();
   * await worker; // logs "last job", then ends
   * ```
   */
  shutdown(immediate: boolean | QueueShutdownOptions = false): void {
    if (typeof immediate === "object") immediate = immediate.immediate ?? false;
    this._isShutdown = true;
    if (immediate) {
      while (this._queue.length > 0) {
        this._get();
        if (this._unfinishedTasks > 0) this._unfinishedTasks--;
      }
      if (this._unfinishedTasks === 0) this._finished.set();
    }
    // Every waiter re-checks its loop condition and throws QueueShutDown if it must not wait.
    wakeAll(this._getters);
    wakeAll(this._putters);
  }
}

function wakeAll(waiters: Deque<Future<undefined>>): void {
  while (waiters.length > 0) {
    const waiter = waiters.shift() as Future<undefined>;
    if (!waiter.done()) waiter.setResult(undefined);
  }
}

const RESOLVED: Promise<void> = Promise.resolve();

// What `await` runs: put/get/join at once when they need not wait (no future, no generator)...

function queueTryPut<T>(q: Queue<T>, item: T): Promise<void> | null {
  if (q.full()) return null;
  q.putNowait(item);
  return RESOLVED;
}

function queueTryGet<T>(q: Queue<T>): Promise<T> | null {
  return q._queue.length === 0 ? null : Promise.resolve(q.getNowait());
}

function queueIsDone<T>(q: Queue<T>): Promise<void> | null {
  return q._unfinishedTasks > 0 ? null : RESOLVED;
}

// ...and otherwise, as `yield*` always runs, Python's code line for line.

function* queuePut<T>(q: Queue<T>, item: T): GeneratorCoroutine<void> {
  while (q.full()) {
    if (q._isShutdown) throw new QueueShutDown();
    const putter = new Future<undefined>({ loop: q._getLoop() });
    if (observing) noteWait(putter, { kind: "Queue.put", on: q });
    q._putters.push(putter);
    let woken = false;
    try {
      yield* putter;
      woken = true;
    } finally {
      // Python's bare `except:` (any error, or the generator being closed).
      if (!woken) {
        putter.cancel(); // In case it is not done yet.
        // It may be gone already: `getNowait` and `shutdown` remove the putters they wake.
        q._putters.remove(putter);
        // Woken by getNowait() but unable to take the turn: wake the next in line.
        if (!q.full() && !putter.cancelled()) q._wakeupNext(q._putters);
      }
    }
  }
  q.putNowait(item);
}

function* queueGet<T>(q: Queue<T>): GeneratorCoroutine<T> {
  while (q.empty()) {
    if (q._isShutdown) throw new QueueShutDown();
    const getter = new Future<undefined>({ loop: q._getLoop() });
    if (observing) noteWait(getter, { kind: "Queue.get", on: q });
    q._getters.push(getter);
    let woken = false;
    try {
      yield* getter;
      woken = true;
    } finally {
      if (!woken) {
        getter.cancel(); // In case it is not done yet.
        // It may be gone already: `putNowait` and `shutdown` remove the getters they wake.
        q._getters.remove(getter);
        // Woken by putNowait() but unable to take the item: wake the next in line.
        if (!q.empty() && !getter.cancelled()) q._wakeupNext(q._getters);
      }
    }
  }
  return q.getNowait();
}

function* queueJoin<T>(q: Queue<T>): GeneratorCoroutine<void> {
  if (q._unfinishedTasks > 0) yield* q._finished.wait();
}

/**
 * A queue that hands out the lowest item first, as Python's `asyncio.PriorityQueue` (a binary
 * heap, with Python's `heapq` algorithm). Entries are typically `[priority, data]` tuples.
 *
 * Items are compared as Python compares them with `<`: numbers (and booleans) by value,
 * strings by character codes, arrays lexicographically as tuples. Other values, or values of
 * different kinds, cannot be compared (a TypeError, as in Python) unless a `compare` function is
 * given in the options.
 *
 * @example
 * ```ts
 * const pq = new asyncio.PriorityQueue<[number, string]>();
 * pq.putNowait([2, "write report"]);
 * pq.putNowait([1, "fix bug"]);
 * await pq.get(); // [1, "fix bug"]
 * const byLength = new asyncio.PriorityQueue<string>({ compare: (a, b) => a.length - b.length });
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /** @internal */
  declare _queue: T[];
  /** @internal */ readonly _lt: (a: T, b: T) => boolean;

  /**
   * A priority queue holding at most `maxsize` items (0 or less: no limit), ordered by
   * `options.compare` or else as Python orders values.
   */
  constructor(maxsize: number | PriorityQueueOptions<T> = 0, options?: PriorityQueueOptions<T>) {
    super(maxsize);
    const compare = options?.compare ?? (typeof maxsize === "object" ? maxsize.compare : undefined);
    this._lt = compare === undefined ? pythonLessThan : (a, b) => compare(a, b) < 0;
  }

  /** @internal */
  protected override _init(_maxsize: number): void {
    this._queue = [];
  }

  /** @internal */
  protected override _put(item: T): void {
    heapPush(this._queue, item, this._lt);
  }

  /** @internal */
  protected override _get(): T {
    return heapPop(this._queue, this._lt);
  }

  /** @internal */
  protected override _items(): T[] {
    return this._queue.slice();
  }
}

/**
 * A queue that hands out the most recently added item first (a stack), as Python's
 * `asyncio.LifoQueue`.
 *
 * @example
 * ```ts
 * const stack = new asyncio.LifoQueue<number>();
 * stack.putNowait(1);
 * stack.putNowait(2);
 * stack.getNowait(); // 2
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /** @internal */
  declare _queue: T[];

  /** @internal */
  protected override _init(_maxsize: number): void {
    this._queue = [];
  }

  /** @internal */
  protected override _put(item: T): void {
    this._queue.push(item);
  }

  /** @internal */
  protected override _get(): T {
    return this._queue.pop() as T;
  }

  /** @internal */
  protected override _items(): T[] {
    return this._queue.slice();
  }
}

// -- Python's ordering -------------------------------------------------------------------

function kind(x: unknown): string {
  if (x === null || x === undefined) return "NoneType";
  if (typeof x === "number") return Number.isInteger(x) ? "int" : "float";
  if (typeof x === "bigint") return "int";
  if (typeof x === "boolean") return "bool";
  if (typeof x === "string") return "str";
  if (Array.isArray(x)) return "tuple";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}

function isNumeric(x: unknown): x is number | bigint | boolean {
  return typeof x === "number" || typeof x === "bigint" || typeof x === "boolean";
}

function numeric(x: number | bigint | boolean): number | bigint {
  return typeof x === "boolean" ? (x ? 1 : 0) : x;
}

/** Python's `==` for the values `<` can order; other objects are equal only to themselves. */
function pythonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNumeric(a) && isNumeric(b)) return numeric(a) == numeric(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!pythonEquals(a[i], b[i])) return false;
    return true;
  }
  return false;
}

/**
 * @internal `a < b` as Python evaluates it for numbers, strings and tuples (arrays): tuples compare at the
 * first element where they differ, else by length.
 * @throws TypeError "'<' not supported between instances of 'str' and 'int'" for values Python
 *   cannot order.
 */
export function pythonLessThan(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  if (typeof a === "string" && typeof b === "string") return a < b;
  if (isNumeric(a) && isNumeric(b)) return numeric(a) < numeric(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (!pythonEquals(a[i], b[i])) return pythonLessThan(a[i], b[i]);
    return a.length < b.length;
  }
  throw new TypeError(`'<' not supported between instances of '${kind(a)}' and '${kind(b)}'`);
}
