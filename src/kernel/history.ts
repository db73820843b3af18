// The session's input history, as `history_request` reads it: what the front end sent and the
// plain text of what it got back, by execution count. Kept by the protocol layer, as xeus keeps
// its history manager apart from the interpreter: it is the messages' data, not the language's.
// In memory: one session, gone at restart (IPython keeps a SQLite file; none here).

/** One cell in the history. */
export interface HistoryEntry {
  /** The execution count. */
  line: number;
  input: string;
  /** The `text/plain` of its result, null when it had none. */
  output: string | null;
}

/** The session number this kernel reports: it keeps one session, and 0 is "the current one". */
const SESSION = 0;

/** The history of one kernel session. */
export class History {
  private readonly _entries: HistoryEntry[] = [];

  /** Records a cell's input; the returned entry takes its output later. */
  add(line: number, input: string): HistoryEntry {
    const entry: HistoryEntry = { line, input, output: null };
    this._entries.push(entry);
    return entry;
  }

  /**
   * The `history` of a `history_reply` for a request's content: `tail`, `range` and `search`
   * (a glob pattern, `unique`, `n`), `[session, line, input]` or with `output`,
   * `[session, line, [input, output]]`.
   */
  query(content: Record<string, unknown>): unknown[] {
    let items = this._entries.slice();
    const n = typeof content["n"] === "number" ? content["n"] : null;
    switch (content["hist_access_type"]) {
      case "range": {
        const start = typeof content["start"] === "number" ? content["start"] : 0;
        const stop = typeof content["stop"] === "number" ? content["stop"] : Infinity;
        items = items.filter((h) => h.line >= start && h.line < stop);
        break;
      }
      case "search": {
        const pattern = String(content["pattern"] ?? "*");
        items = items.filter((h) => globMatch(pattern, h.input));
        if (content["unique"] === true) {
          const seen = new Set<string>();
          items = items
            .reverse()
            .filter((h) => !seen.has(h.input) && seen.add(h.input) !== undefined)
            .reverse();
        }
        if (n !== null) items = items.slice(-n);
        break;
      }
      default:
        if (n !== null) items = items.slice(-n);
    }
    const output = content["output"] === true;
    return items.map((h) => [SESSION, h.line, output ? [h.input, h.output] : h.input]);
  }
}

/**
 * Whether `text` matches the glob `pattern` (`*` any run, `?` one character), in O(pattern x
 * text) at worst: the pattern as a regular expression (`.*` per star) backtracked for minutes on
 * 15 stars (the fuzzer's find), on the main thread. Back-tracks only to the last star.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    // A star first: a `*` in the text is matched by it, not as a literal.
    if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = t;
    } else if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
