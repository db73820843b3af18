// MultiDict and CIMultiDict: ordered maps in which a key may repeat, as aiohttp's `multidict`
// package has them (query strings, form fields, headers). No I/O here.

import { quote } from "../format.js";

/** What a MultiDict is made from: pairs (an array of them, a Map, URLSearchParams, another MultiDict) or an object. */
export type MultiDictInit<V = string> = Iterable<readonly [string, V]> | Readonly<Record<string, V>>;

/**
 * An ordered map in which a key may appear several times, as aiohttp's `MultiDict`: a query
 * string `?a=1&a=2` keeps both values, in order.
 *
 * `get` gives the first value of a key, `getAll` every value; iteration gives the
 * `[key, value]` pairs in insertion order (as a Map's does; Python's iterates the keys, here
 * `keys()` does); `size` counts pairs (Python's `len`). `toString()` is Python's repr.
 *
 * @example
 * ```ts
 * // Python: MultiDict(parse_qsl(urlparse(message.path).query))
 * const getParams = new MultiDict(new URL("/?a=1&a=2&b=3", "http://x").searchParams);
 * getParams.get("a");     // "1"
 * getParams.getAll("a");  // ["1", "2"]
 * String(getParams);      // "<MultiDict('a': '1', 'a': '2', 'b': '3')>"
 * ```
 */
export class MultiDict<V = string> implements Iterable<[string, V]> {
  /** @internal Keys as given. */ protected _keys: string[] = [];
  /** @internal Keys as compared (the same, or lower-cased for CIMultiDict). */ protected _idents: string[] = [];
  /** @internal */ protected _values: V[] = [];

  constructor(init?: MultiDictInit<V>) {
    if (init !== undefined) this.extend(init);
  }

  /** @internal How a key is compared; CIMultiDict folds case. */
  protected _ident(key: string): string {
    return key;
  }

  /** How many pairs (a key that repeats counts each time). */
  get size(): number {
    return this._keys.length;
  }

  /** The first value of `key`, or `defaultValue` (`undefined`) when there is none. */
  get(key: string): V | undefined;
  get<D>(key: string, defaultValue: D): V | D;
  get<D>(key: string, defaultValue?: D): V | D | undefined {
    const i = this._idents.indexOf(this._ident(key));
    return i === -1 ? defaultValue : (this._values[i] as V);
  }

  /** Every value of `key`, in order: an empty array when there is none (as URLSearchParams's). */
  getAll(key: string): V[] {
    const ident = this._ident(key);
    const out: V[] = [];
    for (let i = 0; i < this._idents.length; i++) if (this._idents[i] === ident) out.push(this._values[i] as V);
    return out;
  }

  /** True when `key` has at least one value (Python's `key in md`). */
  has(key: string): boolean {
    return this._idents.includes(this._ident(key));
  }

  /** Appends a value for `key`, after those it has. */
  add(key: string, value: V): void {
    this._keys.push(key);
    this._idents.push(this._ident(key));
    this._values.push(value);
  }

  /** Adds every pair of `init`, in order. */
  extend(init: MultiDictInit<V>): void {
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
      for (const [k, v] of init as Iterable<readonly [string, V]>) this.add(k, v);
    } else {
      for (const k of Object.keys(init)) this.add(k, (init as Readonly<Record<string, V>>)[k] as V);
    }
  }

  /**
   * Makes `value` the only value of `key` (Python's `md[key] = value`): it takes the place of the
   * first value, the others go.
   */
  set(key: string, value: V): void {
    const ident = this._ident(key);
    const i = this._idents.indexOf(ident);
    if (i === -1) {
      this.add(key, value);
      return;
    }
    this._values[i] = value;
    this._removeFrom(ident, i + 1);
  }

  /** Removes every value of `key` (Python's `del md[key]`); false when there was none. */
  delete(key: string): boolean {
    const ident = this._ident(key);
    const i = this._idents.indexOf(ident);
    if (i === -1) return false;
    this._removeFrom(ident, i);
    return true;
  }

  private _removeFrom(ident: string, start: number): void {
    let j = start;
    for (let i = start; i < this._idents.length; i++) {
      if (this._idents[i] === ident) continue;
      this._keys[j] = this._keys[i] as string;
      this._idents[j] = this._idents[i] as string;
      this._values[j] = this._values[i] as V;
      j++;
    }
    this._keys.length = this._idents.length = this._values.length = j;
  }

  /** Removes everything. */
  clear(): void {
    this._keys.length = this._idents.length = this._values.length = 0;
  }

  /** The keys, one per pair (a repeated key comes again), in order. */
  keys(): IterableIterator<string> {
    return this._keys.slice()[Symbol.iterator]();
  }

  /** The values, in order. */
  values(): IterableIterator<V> {
    return this._values.slice()[Symbol.iterator]();
  }

  /** The `[key, value]` pairs, in order (Python's `items()`). */
  *items(): IterableIterator<[string, V]> {
    const keys = this._keys.slice();
    const values = this._values.slice();
    for (let i = 0; i < keys.length; i++) yield [keys[i] as string, values[i] as V];
  }

  /** As `items()`: the name a Map has. */
  entries(): IterableIterator<[string, V]> {
    return this.items();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.items();
  }

  /** @internal The keys and values alternating, in order (a fresh array). */
  _pairList(): (string | V)[] {
    const out: (string | V)[] = [];
    for (let i = 0; i < this._keys.length; i++) out.push(this._keys[i] as string, this._values[i] as V);
    return out;
  }

  /** A new MultiDict of the same kind with the same pairs. */
  copy(): this {
    const copy = new (this.constructor as new () => this)();
    copy._keys = this._keys.slice();
    copy._idents = this._idents.slice();
    copy._values = this._values.slice();
    return copy;
  }

  /** Python's repr: `<MultiDict('a': '1', 'a': '2')>`. */
  toString(): string {
    const pairs: string[] = [];
    for (let i = 0; i < this._keys.length; i++) {
      const v = this._values[i];
      pairs.push(`${quote(this._keys[i] as string)}: ${typeof v === "string" ? quote(v) : String(v)}`);
    }
    return `<${this.constructor.name}(${pairs.join(", ")})>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * A MultiDict whose keys compare without regard to case, as HTTP header names do (aiohttp's
 * `CIMultiDict`): `headers.get("content-type")` finds `Content-Type`. Keys keep the case they
 * were added with.
 * @example
 * ```ts
 * const headers = new CIMultiDict([["Content-Type", "text/html"]]);
 * headers.get("content-type"); // "text/html"
 * ```
 */
export class CIMultiDict<V = string> extends MultiDict<V> {
  /** @internal */
  protected override _ident(key: string): string {
    return key.toLowerCase();
  }

  /** @internal Made from node:http's `rawHeaders` (names and values alternating), without copying through pairs. */
  static _fromRawHeaders(raw: readonly string[]): CIMultiDict {
    const md = new CIMultiDict();
    for (let i = 0; i + 1 < raw.length; i += 2) md.add(raw[i] as string, raw[i + 1] as string);
    return md;
  }
}
