// The FIFO of the parts of Python's `collections.deque` that asyncio uses: the waiters of locks
// and queues, and a Queue's items. Knows nothing of loops or futures.

/**
 * @internal A FIFO ring buffer (Python's `collections.deque`, the parts asyncio uses): O(1)
 * `push`, `shift` and `peek`, removal of any element, iteration from oldest to newest.
 */
export class Deque<T> implements Iterable<T> {
  /** How many elements it holds. */
  length = 0;
  private _buf: (T | undefined)[];
  private _head = 0;
  private _mask: number;

  constructor() {
    this._buf = slots<T>(8);
    this._mask = 7;
  }

  /** Appends `x` at the tail (Python's `append`). */
  push(x: T): void {
    if (this.length === this._buf.length) this._grow();
    this._buf[(this._head + this.length) & this._mask] = x;
    this.length++;
  }

  /** Removes and returns the head (Python's `popleft`), or `undefined` when empty. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const x = this._buf[this._head];
    this._buf[this._head] = undefined;
    this._head = (this._head + 1) & this._mask;
    // A buffer that grew for a burst is given back once the burst is drained.
    if (--this.length === 0 && this._buf.length > 1024) this.clear();
    return x;
  }

  /** The head without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.length === 0 ? undefined : this._buf[this._head];
  }

  /** The `i`-th element from the head (0 is the head); `undefined` out of range. */
  at(i: number): T | undefined {
    return i < 0 || i >= this.length ? undefined : this._buf[(this._head + i) & this._mask];
  }

  /** Removes the first occurrence of `x`; false when it is not there (where Python raises ValueError). */
  remove(x: T): boolean {
    const n = this.length;
    let i = 0;
    while (i < n && this._buf[(this._head + i) & this._mask] !== x) i++;
    if (i === n) return false;
    if (i === 0) {
      this.shift();
      return true;
    }
    // Close the gap by moving the elements behind it one place forward.
    for (let j = i; j < n - 1; j++) this._buf[(this._head + j) & this._mask] = this._buf[(this._head + j + 1) & this._mask];
    this._buf[(this._head + n - 1) & this._mask] = undefined;
    this.length--;
    return true;
  }

  /** Removes every element. */
  clear(): void {
    this._buf = slots<T>(8);
    this._mask = 7;
    this._head = 0;
    this.length = 0;
  }

  /** The elements from head to tail, as a new array. */
  toArray(): T[] {
    const out = slots<T>(this.length) as T[];
    for (let i = 0; i < this.length; i++) out[i] = this._buf[(this._head + i) & this._mask] as T;
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this._buf[(this._head + i) & this._mask] as T;
  }

  private _grow(): void {
    const old = this._buf;
    const n = this.length;
    const buf = slots<T>(old.length * 2);
    for (let i = 0; i < n; i++) buf[i] = old[(this._head + i) & this._mask];
    this._buf = buf;
    this._mask = buf.length - 1;
    this._head = 0;
  }
}

/** An array of `n` empty slots, to be filled by index (what `new Array(n)` makes). */
function slots<T>(n: number): (T | undefined)[] {
  const a: (T | undefined)[] = [];
  a.length = n;
  return a;
}
