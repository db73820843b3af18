// A binary min-heap on an array, Python's `heapq` (heappush/heappop) line for line: the loop's
// timers (base-events.ts, ordered by (when, seq)) and PriorityQueue (queues.ts, ordered as
// Python orders values) share it. Following heapq exactly matters for PriorityQueue: items that
// compare equal come out in the same order as in Python. Not public.

/** `a` comes out before `b`: a strict "less than". */
export type LessThan<T> = (a: T, b: T) => boolean;

/** Adds `item` to `heap`, keeping the heap invariant (heapq.heappush). */
export function heapPush<T>(heap: T[], item: T, lt: LessThan<T>): void {
  heap.push(item);
  siftDown(heap, 0, heap.length - 1, lt);
}

/** Removes and returns the smallest item of a non-empty `heap` (heapq.heappop). */
export function heapPop<T>(heap: T[], lt: LessThan<T>): T {
  const last = heap.pop() as T;
  if (heap.length === 0) return last;
  const top = heap[0] as T;
  heap[0] = last;
  siftUp(heap, 0, lt);
  return top;
}

/** Rebuilds `heap` from its items in any order (heapq.heapify). */
export function heapify<T>(heap: T[], lt: LessThan<T>): void {
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftUp(heap, i, lt);
}

// heapq's _siftdown: moves the item at `pos` up towards `startpos` while it is smaller than its parent.
function siftDown<T>(heap: T[], startpos: number, pos: number, lt: LessThan<T>): void {
  const newitem = heap[pos] as T;
  while (pos > startpos) {
    const parentpos = (pos - 1) >> 1;
    const parent = heap[parentpos] as T;
    if (!lt(newitem, parent)) break;
    heap[pos] = parent;
    pos = parentpos;
  }
  heap[pos] = newitem;
}

// heapq's _siftup: moves the smaller child up until a leaf is reached, then puts the item there
// and sifts it back down (fewer comparisons than stopping early, as heapq's comment explains).
function siftUp<T>(heap: T[], pos: number, lt: LessThan<T>): void {
  const endpos = heap.length;
  const startpos = pos;
  const newitem = heap[pos] as T;
  let childpos = 2 * pos + 1;
  while (childpos < endpos) {
    const rightpos = childpos + 1;
    if (rightpos < endpos && !lt(heap[childpos] as T, heap[rightpos] as T)) childpos = rightpos;
    heap[pos] = heap[childpos] as T;
    pos = childpos;
    childpos = 2 * pos + 1;
  }
  heap[pos] = newitem;
  siftDown(heap, startpos, pos, lt);
}
