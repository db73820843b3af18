// What the protocol layer (kernel.ts) asks of a language, and what it gives a running cell: the
// seam between Jupyter's messages and the code that runs cells, as ipykernel's `do_execute` /
// `do_complete` and xeus's `xinterpreter` are. kernel.ts knows only these types; interpreter.ts
// implements them for TypeScript. Offsets here are UTF-16 (JavaScript string) offsets; the
// protocol layer converts the wire's Unicode code points.

/** A mime bundle: `{ "text/plain": ..., "text/html": ... }`. */
export type MimeBundle = Record<string, unknown>;

/** How `display()` shows a bundle. */
export interface DisplayOptions {
  /** Names the output so that a later update replaces it (`update_display_data`). */
  displayId?: string;
  /** Replaces the output named `displayId` instead of adding one. */
  update?: boolean;
  metadata?: Record<string, unknown>;
}

/** An error as Jupyter shows it: the `error` output and an `execute_reply` with `status: "error"`. */
export interface ErrorContent {
  ename: string;
  evalue: string;
  /** Lines shown under the error, the first one usually `ename: evalue`. */
  traceback: string[];
}

/**
 * What one `execute_request` gives the language: where the cell's output goes, and what it can
 * ask of the front end. Everything a cell starts may keep using it after the cell has finished
 * (late output goes under the cell that started it).
 */
export interface CellOutput {
  /** The execution count the reply carries (the `n` of `In [n]`). */
  readonly executionCount: number;
  stream(name: "stdout" | "stderr", text: string): void;
  display(bundle: MimeBundle, options?: DisplayOptions): void;
  clearOutput(wait: boolean): void;
  /** An error that is not the cell's own outcome: thrown by code the cell started, shown under it. */
  error(content: ErrorContent): void;
  /** Adds to the `payload` of the cell's `execute_reply` (`page`, `ask_exit`); ignored after the reply went out. */
  payload(item: Record<string, unknown>): void;
  /**
   * Asks the front end for a line of input (`input_request` on stdin).
   * @throws Error when the request said `allow_stdin: false`.
   * The promise rejects when the kernel is interrupted before the answer comes.
   */
  requestInput(prompt: string, password: boolean): Promise<string>;
}

/** How a cell ended. `result` is the bundle of its `execute_result`, null when it has none. */
export type ExecuteOutcome = { status: "ok"; result: MimeBundle | null } | ({ status: "error" } & ErrorContent);

/** The value of one of `user_expressions`. */
export type Evaluation = { status: "ok"; data: MimeBundle } | ({ status: "error" } & ErrorContent);

/** What `execute_request` asked for besides the code. */
export interface ExecuteOptions {
  silent: boolean;
  storeHistory: boolean;
  allowStdin: boolean;
  /** The front end's id of the notebook cell (JupyterLab sends it in the request's metadata); absent from a console. */
  cellId?: string;
}

/** Completion at a cursor. Offsets are UTF-16 offsets into the code. */
export interface Completion {
  matches: readonly string[];
  /** The range the chosen match replaces. */
  cursorStart: number;
  cursorEnd: number;
  /**
   * Kind and type of matches, for front ends that show them (JupyterLab); sent as
   * `metadata._jupyter_types_experimental`. `start`/`end` default to the cursor range.
   */
  types?: readonly { text: string; type?: string; signature?: string; start?: number; end?: number }[];
  metadata?: Record<string, unknown>;
}

/** What is under a cursor (Shift+Tab), as a bundle: `text/plain`, maybe `text/markdown`. */
export interface Inspection {
  found: boolean;
  data: MimeBundle;
  metadata?: Record<string, unknown>;
}

/** Whether a console should run the input or ask for another line. */
export interface IsCompleteResult {
  status: "complete" | "incomplete" | "invalid" | "unknown";
  /** With `incomplete`: what the next line starts with. */
  indent?: string;
}

/** `language_info` of `kernel_info_reply`, spelled as the spec spells it. */
export interface LanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  file_extension: string;
  codemirror_mode?: string | Record<string, unknown>;
  pygments_lexer?: string;
  nbconvert_exporter?: string;
}

/**
 * A language the kernel runs. The protocol layer owns the wire, busy/idle, execution counts,
 * aborting after an error, history and stdin; the language owns the cells: running them,
 * their output routing, completion, inspection and syntax.
 *
 * Life cycle: `start()` once before the first request, then any number of requests (one at a
 * time on the shell channel; `interrupt()` may come at any moment), then `close()` once.
 */
export interface Language {
  readonly languageInfo: LanguageInfo;
  /** The banner a console prints at start (`kernel_info_reply.banner`). */
  readonly banner: string;
  /** Installs what cells need (globals, output routing). */
  start(): Promise<void> | void;
  /** Called once the first `kernel_info_reply` went out: the moment to load what is slow to load. */
  warmUp(): void;
  /** Runs a cell. Resolves when the cell has finished; output it makes later still goes to `cell`. */
  execute(code: string, cell: CellOutput, options: ExecuteOptions): Promise<ExecuteOutcome>;
  /** Evaluates one of `user_expressions` after a cell ran without error. */
  evaluate(expression: string, cell: CellOutput): Promise<Evaluation>;
  complete(code: string, cursor: number): Promise<Completion> | Completion;
  inspect(code: string, cursor: number, detailLevel: number): Promise<Inspection> | Inspection;
  isComplete(code: string): Promise<IsCompleteResult> | IsCompleteResult;
  /** Interrupts the running cell (the stop button); does nothing when none runs. */
  interrupt(): void;
  /** Ends everything cells started; the last call. */
  close(): Promise<void>;
}
