// Python's asyncio/mixins.py: what the synchronisation primitives (locks.ts, queues.ts) share,
// the loop they belong to. Waiting itself is left to the primitives.

import { _currentLoop } from "./coroutines.js";
import type { AbstractEventLoop } from "./events.js";

/**
 * Python's `mixins._LoopBoundMixin`: a primitive made while no loop runs belongs to the first
 * loop that has to wait on it, and refuses any other loop after that. Not exported from the
 * package; declared in the published types only because the primitives extend it (its members
 * are internal).
 */
export abstract class _LoopBoundMixin {
  /** @internal */ _loop: AbstractEventLoop | null = null;

  /**
   * @internal The loop to make waiter futures on: the loop of the code running now.
   * @throws Error "<repr> is bound to a different event loop" when it is not this object's loop.
   */
  _getLoop(): AbstractEventLoop {
    const loop = _currentLoop();
    if (this._loop === null) this._loop = loop;
    else if (loop !== this._loop) throw new Error(`${this._repr()} is bound to a different event loop`);
    return loop;
  }

  /** @internal Python's repr. */
  abstract _repr(): string;

  /** Python's repr, e.g. `<Lock [unlocked]>`. */
  toString(): string {
    return this._repr();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this._repr();
  }
}
