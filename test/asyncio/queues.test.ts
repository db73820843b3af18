// Queue, PriorityQueue and LifoQueue, after CPython's test_queues.py: blocking get/put, maxsize,
// QueueEmpty/QueueFull, no item or wake-up lost when waiters are cancelled (in both coroutine
// styles), join/taskDone, shutdown (3.13), the orders of the three queues, reprs, and the loop
// binding.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import {
  CancelledError,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TaskGroup,
  TimeoutError,
  createTask,
  sleep,
  type CoroutineLike,
  type Task,
} from "../../src/asyncio/index.js";
import { Recorder, newFakeClockLoop, runMain, waitUntil } from "../helpers.js";

type Gen<T> = Generator<unknown, T, unknown>;
const STYLES = ["async", "generator"] as const;
type Style = (typeof STYLES)[number];
const QUEUE_CLASSES = [Queue, LifoQueue, PriorityQueue] as const;

/** A task body in the given style that gets one item from `q`. */
function getter<T>(style: Style, q: Queue<T>): CoroutineLike<T> {
  if (style === "async") return async () => q.get();
  return function* getOne(): Gen<T> {
    return yield* q.get();
  };
}

/** A task body in the given style that puts `item` in `q`. */
function putter<T>(style: Style, q: Queue<T>, item: T): CoroutineLike<void> {
  if (style === "async") return async () => q.put(item);
  return function* putOne(): Gen<void> {
    yield* q.put(item);
  };
}

describe("Queue basics", () => {
  it("prints as Python's str: <Queue maxsize=0 _queue=[1, 2] tasks=2>", () => {
    const q = new Queue<unknown>();
    expect(String(q)).toBe("<Queue maxsize=0>");
    q.putNowait(1);
    q.putNowait(2);
    expect(String(q)).toBe("<Queue maxsize=0 _queue=[1, 2] tasks=2>");
    expect(inspect(q)).toBe("<Queue maxsize=0 _queue=[1, 2] tasks=2>");
    q.getNowait();
    q.putNowait("a");
    expect(String(new PriorityQueue(5))).toBe("<PriorityQueue maxsize=5>");
    expect(String(q)).toBe("<Queue maxsize=0 _queue=[2, 'a'] tasks=3>");
  });

  it("shows waiting getters and putters in its repr: _getters[1], _putters[1]", async () => {
    // CPython's _test_repr_or_str.
    await runMain(async () => {
      const q = new Queue<number>();
      const get = createTask(async () => q.get());
      await waitUntil(() => q._getters.length === 1);
      expect(String(q)).toBe("<Queue maxsize=0 _getters[1]>");
      q.putNowait(0);
      expect(await get).toBe(0);

      const full = new Queue<number>(1);
      full.putNowait(1);
      const put = createTask(async () => full.put(2));
      await waitUntil(() => full._putters.length === 1);
      expect(String(full)).toBe("<Queue maxsize=1 _queue=[1] _putters[1] tasks=1>");
      full.getNowait();
      await put;
      expect(String(full)).toBe("<Queue maxsize=1 _queue=[2] tasks=2>");
    });
  });

  it("empty(), full() and qsize() describe its contents; with maxsize 0 it is never full", async () => {
    // CPython's test_empty and test_full.
    await runMain(async () => {
      const q = new Queue<number>();
      expect(q.empty()).toBe(true);
      expect(q.full()).toBe(false);
      await q.put(1);
      expect(q.empty()).toBe(false);
      expect(q.qsize()).toBe(1);
      expect(await q.get()).toBe(1);
      expect(q.empty()).toBe(true);
      for (let i = 0; i < 1000; i++) q.putNowait(i);
      expect(q.full()).toBe(false);

      const one = new Queue<number>(1);
      await one.put(1);
      expect(one.full()).toBe(true);
    });
  });

  it("takes maxsize as a number or as { maxsize }", () => {
    expect(new Queue(2).maxsize).toBe(2);
    expect(new Queue({ maxsize: 3 }).maxsize).toBe(3);
    expect(new Queue().maxsize).toBe(0);
    expect(new LifoQueue({}).maxsize).toBe(0);
  });

  it("hands items out first in, first out", async () => {
    // CPython's QueueBasicTests.test_order.
    await runMain(async () => {
      const q = new Queue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      const items = [await q.get(), await q.get(), await q.get()];
      expect(items).toEqual([1, 3, 2]);
    });
  });

  it("stays in order across its ring buffer growing and wrapping around", () => {
    const q = new Queue<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < (round % 7) + 3; i++) q.putNowait(next++);
      for (let i = 0; i < (round % 5) + 1 && !q.empty(); i++) out.push(q.getNowait());
    }
    while (!q.empty()) out.push(q.getNowait());
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it("put() waits while the queue holds maxsize items (generator tasks, CPython's counts)", async () => {
    // CPython's test_maxsize.
    await runMain(function* main(): Gen<void> {
      const q = new Queue<number>(2);
      expect(q.maxsize).toBe(2);
      const havePut: number[] = [];
      const t = createTask(function* putThree(): Gen<boolean> {
        for (let i = 0; i < 3; i++) {
          yield* q.put(i);
          havePut.push(i);
        }
        return true;
      });
      yield* sleep(0);
      yield* sleep(0);
      // The putter is blocked after putting two items.
      expect(havePut).toEqual([0, 1]);
      expect(yield* q.get()).toBe(0);
      // Let the putter resume and put the last item.
      yield* sleep(0);
      expect(havePut).toEqual([0, 1, 2]);
      expect(yield* q.get()).toBe(1);
      expect(yield* q.get()).toBe(2);
      expect(t.done()).toBe(true);
      expect(t.result()).toBe(true);
    });
  });

  it("put() waits while the queue holds maxsize items (async tasks)", async () => {
    await runMain(async () => {
      const q = new Queue<number>(2);
      const havePut: number[] = [];
      const t = createTask(async () => {
        for (let i = 0; i < 3; i++) {
          await q.put(i);
          havePut.push(i);
        }
        return true;
      });
      await waitUntil(() => q._putters.length === 1);
      expect(havePut).toEqual([0, 1]);
      expect(await q.get()).toBe(0);
      await waitUntil(() => havePut.length === 3);
      expect([await q.get(), await q.get()]).toEqual([1, 2]);
      expect(await t).toBe(true);
    });
  });

  it("a fractional maxsize is a bound like Python's: 1.3 holds two items", async () => {
    // CPython's test_float_maxsize.
    const q = new Queue<number>(1.3);
    q.putNowait(1);
    q.putNowait(2);
    expect(q.full()).toBe(true);
    expect(() => q.putNowait(3)).toThrow(QueueFull);
    await runMain(async () => {
      const q2 = new Queue<number>(1.3);
      await q2.put(1);
      await q2.put(2);
      expect(q2.full()).toBe(true);
    });
  });

  it("put() and get() are lazy: nothing happens until they are awaited", async () => {
    await runMain(async () => {
      const q = new Queue<number>();
      const put = q.put(1);
      expect(q.qsize()).toBe(0);
      await put;
      expect(q.qsize()).toBe(1);
      const get = q.get();
      expect(q.qsize()).toBe(1);
      expect(await get).toBe(1);
    });
  });
});

describe("Queue get", () => {
  it("getNowait() returns an item, or throws QueueEmpty", () => {
    // CPython's test_nonblocking_get and test_nonblocking_get_exception.
    const q = new Queue<number>();
    q.putNowait(1);
    expect(q.getNowait()).toBe(1);
    let err: unknown = null;
    try {
      q.getNowait();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueueEmpty);
    expect((err as QueueEmpty).code).toBe("ERR_ASYNCIO_QUEUE_EMPTY");
  });

  it("get() on a non-empty queue returns the item without waiting on the loop", async () => {
    await runMain(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      expect(await q.get()).toBe(1);
      expect(q._getters.length).toBe(0);
    });
  });

  it("get() waits for an item put later", async () => {
    // CPython's test_blocking_get_wait.
    const loop = newFakeClockLoop();
    await runMain(async () => {
      const q = new Queue<number>();
      const started = new asyncio.Event();
      let finished = false;
      const t = createTask(async () => {
        started.set();
        const res = await q.get();
        finished = true;
        return res;
      });
      await started.wait();
      expect(finished).toBe(false);
      const t0 = loop.time();
      loop.callLater(0.01, () => q.putNowait(1));
      expect(await t).toBe(1);
      expect(finished).toBe(true);
      expect(loop.time() - t0).toBeCloseTo(0.01);
    }, loop);
  });

  it("getNowait() wakes the first waiting putter", async () => {
    // CPython's test_get_with_putters and test_get_with_waiting_putters.
    await runMain(async () => {
      const q = new Queue<string>(1);
      const a = createTask(async () => q.put("a"));
      const b = createTask(async () => q.put("b"));
      expect(await q.get()).toBe("a");
      expect(await q.get()).toBe("b");
      await asyncio.gather(a, b);
    });
  });

  it("producer and consumer through a queue of size 1 both finish (test_why_are_getters_waiting)", async () => {
    await runMain(async () => {
      const q = new Queue<number>(1);
      const got: number[] = [];
      await new TaskGroup().run(async (tg) => {
        tg.createTask(async () => {
          for (let i = 0; i < 5; i++) await q.put(i);
        });
        tg.createTask(async () => {
          for (let i = 0; i < 5; i++) got.push(await q.get());
        });
      });
      expect(got).toEqual([0, 1, 2, 3, 4]);
    });
  });

  it("a get() timed out by waitFor leaves no getter behind", async () => {
    // CPython's test_cancelled_getters_not_being_held_in_self_getters.
    await runMain(async () => {
      const q = new Queue<number>(5);
      await expect(asyncio.waitFor(q.get(), 0.1)).rejects.toThrow(TimeoutError);
      expect(q._getters.length).toBe(0);
    }, newFakeClockLoop());
  });

  describe.each(STYLES)("cancellation (%s tasks)", (style) => {
    it("a cancelled getter does not swallow the next item (test_get_cancelled_race)", async () => {
      await runMain(async () => {
        const q = new Queue<string>();
        const t1 = createTask(getter(style, q));
        const t2 = createTask(getter(style, q));
        await waitUntil(() => q._getters.length === 2);
        t1.cancel();
        await expect(t1).rejects.toThrow(CancelledError);
        await q.put("a");
        expect(await t2).toBe("a");
      });
    });

    it("a getter cancelled after it was woken leaves its item in the queue (test_get_cancel_drop_one_pending_reader)", async () => {
      await runMain(async () => {
        const q = new Queue<number>();
        let reader = createTask(getter(style, q));
        await waitUntil(() => q._getters.length === 1);
        q.putNowait(1);
        q.putNowait(2);
        reader.cancel();
        try {
          await reader;
        } catch (e) {
          expect(e).toBeInstanceOf(CancelledError);
          reader = createTask(getter(style, q));
          await reader;
        }
        // Getting 2 would mean 1 was dropped.
        expect(reader.result()).toBe(1);
        expect(q.getNowait()).toBe(2);
      });
    });

    it("a getter cancelled after it was woken passes the item to the next getter", async () => {
      await runMain(async () => {
        const q = new Queue<string>();
        const r1 = createTask(getter(style, q));
        const r2 = createTask(getter(style, q));
        await waitUntil(() => q._getters.length === 2);
        q.putNowait("x"); // wakes r1...
        r1.cancel(); // ...which is cancelled before it runs
        expect(await r2).toBe("x");
        expect(r1.cancelled()).toBe(true);
        expect(q.empty()).toBe(true);
        expect(q._getters.length).toBe(0);
      });
    });

    it("items reach the readers that are not cancelled (test_get_cancel_drop_many_pending_readers)", async () => {
      await runMain(async () => {
        const q = new Queue<number>();
        let readers: Task<number>[] = [];
        await new TaskGroup().run(async (tg) => {
          readers = [1, 2, 3].map(() => tg.createTask(getter(style, q)));
          await waitUntil(() => q._getters.length === 3);
          q.putNowait(1);
          q.putNowait(2);
          readers[0]?.cancel();
          await expect(readers[0] as Task<number>).rejects.toThrow(CancelledError);
          await readers[2];
        });
        // Which reader gets which item is not defined; that none is lost is.
        expect(new Set([readers[1]?.result(), readers[2]?.result()])).toEqual(new Set([1, 2]));
      });
    });
  });
});

describe("Queue put", () => {
  it("putNowait() adds an item, or throws QueueFull on a full queue", () => {
    // CPython's test_nonblocking_put and test_nonblocking_put_exception.
    const q = new Queue<number>(1);
    q.putNowait(1);
    let err: unknown = null;
    try {
      q.putNowait(2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueueFull);
    expect((err as QueueFull).code).toBe("ERR_ASYNCIO_QUEUE_FULL");
    expect(q.getNowait()).toBe(1);
  });

  it("put() on a queue without maxsize never waits", async () => {
    // CPython's test_blocking_put.
    await runMain(async () => {
      const q = new Queue<number>();
      await q.put(1);
      expect(await q.get()).toBe(1);
    });
  });

  it("put() on a full queue waits until a get makes room", async () => {
    // CPython's test_blocking_put_wait.
    const loop = newFakeClockLoop();
    await runMain(async () => {
      const q = new Queue<number>(1);
      const started = new asyncio.Event();
      let finished = false;
      loop.callLater(0.01, () => q.getNowait());
      const t = createTask(async () => {
        started.set();
        await q.put(1);
        await q.put(2);
        finished = true;
      });
      await started.wait();
      expect(finished).toBe(false);
      await t;
      expect(finished).toBe(true);
      expect(loop.time()).toBeCloseTo(1000.01);
    }, loop);
  });

  it("putNowait() wakes the first waiting getter", async () => {
    // CPython's test_put_with_waiting_getters.
    await runMain(async () => {
      const q = new Queue<string>();
      const t = createTask(async () => q.get());
      await waitUntil(() => q._getters.length === 1);
      await q.put("a");
      expect(await t).toBe("a");
    });
  });

  it("putters waiting on a full queue are all served once a getter drains it (test_why_are_putters_waiting)", async () => {
    await runMain(async () => {
      const q = new Queue<number>(2);
      await new TaskGroup().run(async (tg) => {
        tg.createTask(async () => {
          await sleep(0);
          const n = q.qsize();
          for (let i = 0; i < n; i++) q.getNowait();
        });
        for (const i of [0, 1, 2, 3]) tg.createTask(async () => q.put(i));
      });
      expect(q.qsize()).toBe(2);
    });
  });

  describe.each(STYLES)("cancellation (%s tasks)", (style) => {
    it("a putter cancelled after it was woken puts nothing; a retry does (test_put_cancel_drop)", async () => {
      await runMain(async () => {
        const q = new Queue<number>(1);
        q.putNowait(1);
        let writer = createTask(putter(style, q, 2));
        await waitUntil(() => q._putters.length === 1);
        expect(q.getNowait()).toBe(1);
        writer.cancel();
        try {
          await writer;
        } catch (e) {
          expect(e).toBeInstanceOf(CancelledError);
          writer = createTask(putter(style, q, 2));
          await writer;
        }
        expect(q.getNowait()).toBe(2);
        expect(q.qsize()).toBe(0);
      });
    });

    it("a putter cancelled after it was woken passes the free slot to the next putter", async () => {
      await runMain(async () => {
        const q = new Queue<string>(1);
        q.putNowait("a");
        const p1 = createTask(putter(style, q, "b"));
        const p2 = createTask(putter(style, q, "c"));
        await waitUntil(() => q._putters.length === 2);
        expect(q.getNowait()).toBe("a"); // wakes p1...
        p1.cancel(); // ...which is cancelled before it runs
        await p2;
        expect(p1.cancelled()).toBe(true);
        expect(q.getNowait()).toBe("c");
        expect(q._putters.length).toBe(0);
      });
    });

    it("a cancelled putter does not take a turn from the others (test_put_cancelled_race)", async () => {
      await runMain(async () => {
        const q = new Queue<string>(1);
        const putA = createTask(putter(style, q, "a"));
        const putB = createTask(putter(style, q, "b"));
        const putX = createTask(putter(style, q, "X"));
        await waitUntil(() => putA.done() && q._putters.length === 2);
        expect(putB.done()).toBe(false);
        putX.cancel();
        await expect(putX).rejects.toThrow(CancelledError);
        expect(q.getNowait()).toBe("a");
        await putB;
        expect(q.getNowait()).toBe("b");
        expect(q.empty()).toBe(true);
      });
    });

    it("a cancelled putter is removed from the waiting putters, also after a get woke it", async () => {
      // CPython's test_cancelled_puts_not_being_held_in_self_putters and
      // test_cancelled_put_silence_value_error_exception.
      await runMain(async () => {
        const q = new Queue<number>(1);
        q.putNowait(1);
        const putTask = createTask(putter(style, q, 1));
        await waitUntil(() => q._putters.length === 1);
        putTask.cancel();
        await expect(putTask).rejects.toThrow(CancelledError);
        expect(q._putters.length).toBe(0);

        const putTask2 = createTask(putter(style, q, 1));
        await waitUntil(() => q._putters.length === 1);
        q.getNowait(); // removes putTask2's putter from the queue's putters
        putTask2.cancel();
        await expect(putTask2).rejects.toThrow(CancelledError);
        expect(q._putters.length).toBe(0);
      });
    });
  });
});

describe("LifoQueue", () => {
  it("hands the most recently added item out first", async () => {
    // CPython's LifoQueueTests.test_order.
    await runMain(async () => {
      const q = new LifoQueue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      expect([await q.get(), await q.get(), await q.get()]).toEqual([2, 3, 1]);
      q.putNowait(5);
      expect(String(q)).toBe("<LifoQueue maxsize=0 _queue=[5] tasks=4>");
    });
  });
});

describe("PriorityQueue", () => {
  it("hands the lowest item out first", async () => {
    // CPython's PriorityQueueTests.test_order.
    await runMain(async () => {
      const q = new PriorityQueue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      expect([await q.get(), await q.get(), await q.get()]).toEqual([1, 2, 3]);
    });
  });

  it("orders arrays as Python orders tuples: element by element, a prefix first", () => {
    const q = new PriorityQueue<[number, string] | [number]>();
    for (const item of [[2, "b"], [1, "z"], [1, "a"], [2, "a"], [1]] as ([number, string] | [number])[]) q.putNowait(item);
    const out: unknown[] = [];
    while (!q.empty()) out.push(q.getNowait());
    expect(out).toEqual([[1], [1, "a"], [1, "z"], [2, "a"], [2, "b"]]);
  });

  it("orders strings by character and numbers with booleans by value", () => {
    const words = new PriorityQueue<string>();
    for (const w of ["pear", "apple", "Zebra", "app"]) words.putNowait(w);
    expect([1, 2, 3, 4].map(() => words.getNowait())).toEqual(["Zebra", "app", "apple", "pear"]);
    const nums = new PriorityQueue<number | boolean>();
    for (const x of [true, 0.5, -3, false, 2]) nums.putNowait(x);
    expect([1, 2, 3, 4, 5].map(() => nums.getNowait())).toEqual([-3, false, 0.5, true, 2]);
  });

  it("throws Python's TypeError for items that cannot be ordered", () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait([1, { job: "a" }]);
    q.putNowait([2, { job: "b" }]); // decided by the first element: fine, as in Python
    expect(() => q.putNowait(["x"])).toThrow(new TypeError("'<' not supported between instances of 'str' and 'int'"));
    const objs = new PriorityQueue<unknown>();
    objs.putNowait([1, { job: "a" }]);
    expect(() => objs.putNowait([1, { job: "b" }])).toThrow(new TypeError("'<' not supported between instances of 'Object' and 'Object'"));
  });

  it("orders by the compare function given in the options", () => {
    const q = new PriorityQueue<string>({ compare: (a, b) => a.length - b.length });
    for (const w of ["ccc", "a", "bb"]) q.putNowait(w);
    expect([q.getNowait(), q.getNowait(), q.getNowait()]).toEqual(["a", "bb", "ccc"]);
    const bounded = new PriorityQueue<number>(2, { compare: (a, b) => b - a });
    bounded.putNowait(1);
    bounded.putNowait(9);
    expect(bounded.full()).toBe(true);
    expect(bounded.getNowait()).toBe(9);
  });

  it("hands out items that compare equal in heapq's order", () => {
    // Python: heappush (p, label) items whose __lt__ compares p only, then heappop them all.
    const q = new PriorityQueue<[number, string]>({ compare: (a, b) => a[0] - b[0] });
    for (const item of [
      [1, "a"],
      [1, "b"],
      [0, "c"],
      [1, "d"],
      [0, "e"],
      [1, "f"],
      [1, "g"],
    ] as [number, string][])
      q.putNowait(item);
    const labels: string[] = [];
    while (!q.empty()) labels.push(q.getNowait()[1]);
    expect(labels).toEqual(["c", "e", "a", "f", "g", "b", "d"]);
  });

  it("stays a heap through many puts and gets", () => {
    const q = new PriorityQueue<number>();
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1009);
    for (const v of values) q.putNowait(v);
    const out: number[] = [];
    while (!q.empty()) out.push(q.getNowait());
    expect(out).toEqual([...values].sort((a, b) => a - b));
  });
});

describe.each(QUEUE_CLASSES.map((c) => [c.name, c] as const))("%s join and taskDone", (_name, QueueClass) => {
  it("taskDone() without an unfinished item throws 'task_done() called too many times'", () => {
    // CPython's test_task_done_underflow.
    const q = new QueueClass<number>();
    expect(() => q.taskDone()).toThrow(new Error("task_done() called too many times"));
    q.putNowait(1);
    q.getNowait();
    q.taskDone();
    expect(() => q.taskDone()).toThrow("task_done() called too many times");
  });

  it("join() returns once every item put was marked done by the workers", async () => {
    // CPython's test_task_done.
    await runMain(async () => {
      const q = new QueueClass<number>();
      for (let i = 0; i < 100; i++) q.putNowait(i);
      let accumulator = 0;
      let running = true;
      const worker = async () => {
        while (running) {
          const item = await q.get();
          accumulator += item;
          q.taskDone();
        }
      };
      await new TaskGroup().run(async (tg) => {
        const tasks = [tg.createTask(worker), tg.createTask(worker)];
        await q.join();
        expect(accumulator).toBe(4950);
        running = false;
        for (let i = 0; i < tasks.length; i++) q.putNowait(0);
      });
    });
  });

  it("join() on a queue with nothing unfinished returns at once", async () => {
    // CPython's test_join_empty_queue.
    await runMain(async () => {
      const q = new QueueClass<number>();
      await q.join();
      await q.join();
    });
  });

  it("join() waits for taskDone(), not for the queue to be empty (generator tasks)", async () => {
    const rec = new Recorder();
    await runMain(function* main(): Gen<void> {
      const q = new QueueClass<string>();
      q.putNowait("job");
      const joiner = createTask(function* joinQueue(): Gen<void> {
        yield* q.join();
        rec.add("joined");
      });
      yield* sleep(0);
      expect(yield* q.get()).toBe("job");
      yield* sleep(0);
      expect(rec.events).toEqual([]);
      rec.add("done");
      q.taskDone();
      yield* joiner;
      expect(rec.events).toEqual(["done", "joined"]);
    });
  });

  it("formats its state like Python's _format(): 'maxsize=0 tasks=2'", () => {
    // CPython's test_format.
    const q = new QueueClass<number>();
    expect(q._format()).toBe("maxsize=0");
    q._unfinishedTasks = 2;
    expect(q._format()).toBe("maxsize=0 tasks=2");
  });
});

/** Runs `body` (a `yield*` of a queue operation) and checks that it throws QueueShutDown. */
function* raisesShutDown(body: () => Iterable<unknown>): Gen<void> {
  try {
    yield* body();
  } catch (e) {
    expect(e).toBeInstanceOf(QueueShutDown);
    expect((e as QueueShutDown).code).toBe("ERR_ASYNCIO_QUEUE_SHUT_DOWN");
    return;
  }
  throw new Error("Didn't appear to shut-down queue");
}

/** Checks that put(), putNowait(), get() and getNowait() all throw QueueShutDown on `q`. */
function* everyPutAndGetShutDown(q: Queue<string>): Gen<void> {
  yield* raisesShutDown(() => q.put("data"));
  yield* raisesShutDown(function* () {
    q.putNowait("data");
  });
  yield* raisesShutDown(() => q.get());
  yield* raisesShutDown(function* () {
    q.getNowait();
  });
}

describe.each(QUEUE_CLASSES.map((c) => [c.name, c] as const))("%s shutdown", (_name, QueueClass) => {
  // CPython 3.13's _QueueShutdownTestMixin, with its sleep(0) counts (generator tasks).

  it("shows 'shutdown' in its format once shut down", () => {
    // CPython's test_format.
    const q = new QueueClass<number>();
    q.shutdown();
    expect(q._format()).toBe("maxsize=0 shutdown");
    expect(String(q)).toBe(`<${QueueClass.name} maxsize=0 shutdown>`);
  });

  it("an empty queue: a waiting get() and every later put or get throw QueueShutDown (test_shutdown_empty)", async () => {
    await runMain(function* main(): Gen<void> {
      const q = new QueueClass<string>();
      const getTask = createTask(q.get());
      yield* sleep(0); // the get is waiting before the shut-down
      q.shutdown({ immediate: false }); // unfinished tasks: 0 -> 0
      expect(q.qsize()).toBe(0);
      yield* q.join();
      yield* sleep(0);
      expect(getTask.done()).toBe(true);
      yield* raisesShutDown(() => getTask);
      yield* everyPutAndGetShutDown(q);
    });
  });

  it("a non-empty queue: a waiting put() throws, items already in can still be got (test_shutdown_nonempty)", async () => {
    await runMain(function* main(): Gen<void> {
      const q = new QueueClass<string>(1);
      q.putNowait("data");
      const joinTask = createTask(q.join());
      const putTask = createTask(q.put("data2"));
      yield* sleep(0);
      expect(putTask.done()).toBe(false);
      q.shutdown(false); // unfinished tasks: 1 -> 1
      expect(q.qsize()).toBe(1);
      yield* sleep(0);
      expect(putTask.done()).toBe(true);
      yield* raisesShutDown(() => putTask);
      expect(yield* q.get()).toBe("data");
      yield* sleep(0);
      expect(joinTask.done()).toBe(false);
      yield* everyPutAndGetShutDown(q);
      // One unfinished task is left; marking it done ends join().
      q.taskDone();
      yield* sleep(0);
      expect(joinTask.done()).toBe(true);
      yield* joinTask;
      expect(() => q.taskDone()).toThrow("task_done() called too many times");
    });
  });

  it("shutdown(true) drops the items, marks them done and join() returns (test_shutdown_immediate)", async () => {
    await runMain(function* main(): Gen<void> {
      const q = new QueueClass<string>();
      q.putNowait("data");
      const joinTask = createTask(q.join());
      q.shutdown(true); // unfinished tasks: 1 -> 0
      expect(q.qsize()).toBe(0);
      yield* sleep(0);
      expect(joinTask.done()).toBe(true);
      yield* joinTask;
      yield* everyPutAndGetShutDown(q);
      expect(() => q.taskDone()).toThrow("task_done() called too many times");
    });
  });

  it("shutdown(true) leaves items already taken unfinished: join() waits for them (test_shutdown_immediate_with_unfinished)", async () => {
    await runMain(function* main(): Gen<void> {
      const q = new QueueClass<string>();
      q.putNowait("data");
      q.putNowait("data");
      const joinTask = createTask(q.join());
      expect(yield* q.get()).toBe("data");
      q.shutdown({ immediate: true }); // unfinished tasks: 2 -> 1
      expect(q.qsize()).toBe(0);
      yield* sleep(0);
      expect(joinTask.done()).toBe(false);
      yield* raisesShutDown(() => q.put("data"));
      yield* raisesShutDown(() => q.get());
      q.taskDone();
      expect(() => q.taskDone()).toThrow("task_done() called too many times");
      yield* sleep(0);
      expect(joinTask.done()).toBe(true);
      yield* joinTask;
    });
  });
});

describe.each(STYLES)("Queue shutdown wakes waiting tasks (%s tasks)", (style) => {
  it("every getter waiting on an empty queue throws QueueShutDown", async () => {
    await runMain(async () => {
      const q = new Queue<number>();
      const getters = [createTask(getter(style, q)), createTask(getter(style, q))];
      await waitUntil(() => q._getters.length === 2);
      q.shutdown();
      for (const t of getters) await expect(t).rejects.toThrow(QueueShutDown);
      expect(q._getters.length).toBe(0);
    });
  });

  it("every putter waiting on a full queue throws QueueShutDown and puts nothing", async () => {
    await runMain(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const putters = [createTask(putter(style, q, 2)), createTask(putter(style, q, 3))];
      await waitUntil(() => q._putters.length === 2);
      q.shutdown();
      for (const t of putters) await expect(t).rejects.toThrow(QueueShutDown);
      expect(q._putters.length).toBe(0);
      // The item put before the shut-down is still there for a getter.
      expect(await q.get()).toBe(1);
      await expect(q.get()).rejects.toThrow(QueueShutDown);
    });
  });

  it("with immediate, a putter woken after its slot was freed still throws QueueShutDown", async () => {
    await runMain(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const t = createTask(putter(style, q, 2));
      await waitUntil(() => q._putters.length === 1);
      q.shutdown({ immediate: true }); // the queue is empty now: put() goes on to putNowait()
      await expect(t).rejects.toThrow(QueueShutDown);
      expect(q.qsize()).toBe(0);
      await q.join();
    });
  });

  it("a worker loop ends on QueueShutDown after the items left are handled", async () => {
    await runMain(async () => {
      const q = new Queue<string>();
      const seen: string[] = [];
      const worker = createTask(async () => {
        try {
          for (;;) {
            seen.push(await q.get());
            q.taskDone();
          }
        } catch (e) {
          if (!(e instanceof QueueShutDown)) throw e;
          return "stopped";
        }
      });
      q.putNowait("a");
      q.putNowait("b");
      q.shutdown();
      expect(await worker).toBe("stopped");
      expect(seen).toEqual(["a", "b"]);
      await q.join();
    });
  });
});

describe("Queue in generator coroutines", () => {
  it("a producer and a consumer pass items with yield*", async () => {
    const rec = new Recorder();
    await runMain(function* main(): Gen<void> {
      const q = new Queue<number | null>(2);
      const consumer = createTask(function* consume(): Gen<number> {
        let sum = 0;
        for (;;) {
          const item = yield* q.get();
          q.taskDone();
          if (item === null) return sum;
          rec.add(["got", item]);
          sum += item;
        }
      });
      for (const i of [1, 2, 3, 4]) {
        yield* q.put(i);
        rec.add(["put", i]);
      }
      yield* q.put(null);
      yield* q.join();
      expect(yield* consumer).toBe(10);
      expect(rec.events.filter((e) => (e as unknown[])[0] === "got")).toEqual([
        ["got", 1],
        ["got", 2],
        ["got", 3],
        ["got", 4],
      ]);
    });
  });
});

describe("Queue loop binding", () => {
  it("a Queue made while no loop runs works on whichever loop first waits on it", async () => {
    const q = new Queue<number>();
    await runMain(async () => {
      const t = createTask(async () => q.get());
      await waitUntil(() => q._getters.length === 1);
      q.putNowait(7);
      expect(await t).toBe(7);
    });
  });

  it("waiting on a second loop throws '<Queue ...> is bound to a different event loop'", async () => {
    const q = new Queue<number>();
    await runMain(async () => {
      const t = createTask(async () => q.get());
      await waitUntil(() => q._getters.length === 1);
      q.putNowait(1);
      await t;
    });
    await runMain(async () => {
      q.putNowait(2);
      expect(await q.get()).toBe(2); // no waiting, so no loop needed
      await expect(q.get()).rejects.toThrow("<Queue maxsize=0 tasks=2> is bound to a different event loop");
    });
  });
});
