// The timeline: a recording of what a loop runs (each callback and task step, when it started,
// how long it took, whose it was and what woke it) and its picture, an SVG with one lane per
// task. It is what "the event loop runs one callback at a time" looks like. The loop's side is
// one nullable field (`BaseEventLoop._recorder`) tested once per iteration; everything else is
// here. What a loop holds at one moment is the monitor's business (monitor.ts), not this one's.
//
// Two kinds of work are recorded:
// - Handles the loop runs in its iterations: callbacks, timers, I/O callbacks, and the steps of
//   generator tasks (a `taskStep` or `taskWakeup` handle, drawn in the task's lane).
// - The steps of async-function tasks, which run as promise reaction jobs between iterations,
//   not as handles. While recording, an async hook brackets promise jobs; a job run on behalf of
//   a task (`contextTask()` inside the hook, right on Node 20's resource-based and Node 24's
//   AsyncContextFrame-based AsyncLocalStorage alike) is timed, and consecutive jobs of the same
//   task are one step. The hook is enabled only while something records, since promise hooks
//   slow every promise down.

import { createHook, executionAsyncResource } from "node:async_hooks";
import type { BaseEventLoop, LoopRecorder } from "./base-events.js";
import { contextTask, type AwaitingTask } from "./context.js";
import { CoroutineObject, _currentLoop, type GeneratorCoroutine } from "./coroutines.js";
import { TimerHandle, type Handle } from "./events.js";
import { isFuture } from "./futures.js";
import { callbackName } from "./format.js";
import { Task, allTasks, sleep, taskStep, type CoroutineLike } from "./tasks.js";

/** What a span is: what the loop ran. */
export type TimelineKind =
  /** A task step the loop ran as a handle (generator tasks, and the first step of any task). */
  | "step"
  /** An async-function task resuming after an `await`: promise jobs between iterations. */
  | "resume"
  /** A callback scheduled with `callSoon`, or a future's done callback. */
  | "callback"
  /** A callback scheduled with `callLater`/`callAt`, run when due. */
  | "timer"
  /** An I/O callback: data on a socket, a connection, a child process exiting. */
  | "io";

/**
 * What made the work ready: `soon` (`callSoon`, a task's first step, `sleep(0)`), `timer` (a
 * timer came due), `future` (a future's done callback; an async-function task's step after such
 * a callback resumed it), `io` (an I/O event), `promise` (an async function resumed by a native
 * Promise, not by the loop).
 */
export type TimelineWake = "soon" | "timer" | "future" | "io" | "promise";

/** One piece of work the loop ran, as the timeline recorded it. */
export interface TimelineSpan {
  /** Milliseconds from the start of the recording. */
  readonly start: number;
  /** Milliseconds. */
  readonly duration: number;
  /** The lane it is drawn in: the task's name, or `timers`, `I/O`, `callbacks`. */
  readonly lane: string;
  readonly kind: TimelineKind;
  /** The task it ran for, by name; null for plain callbacks, timers and I/O. */
  readonly task: string | null;
  readonly wokenBy: TimelineWake;
  /** The callback's name (`Task.step`, `tick`, `_setResultUnlessCancelled`), `resume` for an async step. */
  readonly label: string;
  /** In debug mode, whether it took at least the loop's `slowCallbackDuration`. */
  readonly slow: boolean;
}

/** `timeline({ seconds })`: record the running loop for that many seconds. */
export interface TimelineOptions {
  seconds: number;
}

/** The lanes every timeline has after the tasks' lanes, in this order. */
const TIMERS_LANE = "timers";
const IO_LANE = "I/O";
const CALLBACKS_LANE = "callbacks";

/** More spans than this are counted but not kept: a busy loop records millions a second. */
const MAX_RECORDED = 200_000;
/** More spans than this are not drawn (the picture says so): an SVG must stay small enough to show. */
export const MAX_DRAWN = 5_000;

const now = (): number => performance.now();

// Span kinds and wakes as small integers while recording; names when the Timeline is made.
const KINDS: readonly TimelineKind[] = ["step", "resume", "callback", "timer", "io"];
const K_STEP = 0;
const K_RESUME = 1;
const K_CALLBACK = 2;
const K_TIMER = 3;
const K_IO = 4;
const WAKES: readonly TimelineWake[] = ["soon", "timer", "future", "io", "promise"];
const W_SOON = 0;
const W_TIMER = 1;
const W_FUTURE = 2;
const W_IO = 3;
const W_PROMISE = 4;

/** In a span's code: kind + wake * WAKE_SHIFT, plus SLOW_BIT. */
const WAKE_SHIFT = 8;
const SLOW_BIT = 64 * WAKE_SHIFT;

// -- The async hook: async-function task steps ----------------------------------------------------

/** The recorder timing a promise job now (jobs never nest), or null. */
let jobRecorder: Recorder | null = null;
let recordingCount = 0;

const hook = createHook({
  before(asyncId: number): void {
    const task = contextTask();
    if (task === undefined) return;
    const rec = (task._loopRef as BaseEventLoop | null)?._recorder;
    // Only promise jobs: a Node timer or socket callback made inside a task also runs in its
    // context, but it is not a step of the task, and the loop's own I/O callbacks are timed by the loop.
    if (!(rec instanceof Recorder) || !(executionAsyncResource() instanceof Promise)) return;
    jobRecorder = rec;
    rec._jobStart(asyncId, task, now());
  },
  after(asyncId: number): void {
    const rec = jobRecorder;
    if (rec === null) return;
    jobRecorder = null;
    rec._jobEnd(asyncId, now());
  },
});

function enableHook(): void {
  if (recordingCount++ === 0) hook.enable();
}

function disableHook(): void {
  if (--recordingCount === 0) {
    hook.disable();
    jobRecorder = null;
  }
}

/** @internal Whether the promise-job hook is on (for tests: it must be off once nothing records). */
export function _recordingHookEnabled(): boolean {
  return recordingCount > 0;
}

// -- The recorder ---------------------------------------------------------------------------------

/** @internal Records one loop from `start()` to `stop()`. The loop calls it through `LoopRecorder`. */
export class Recorder implements LoopRecorder {
  readonly loop: BaseEventLoop;
  // The spans, column by column: appending to arrays of numbers allocates nothing per span (an
  // object per span cost the collector more than the recording itself). A callback's label is
  // kept, not the callback: keeping each future's one-off wake-up closure alive, with the future
  // and the promise it holds, made the collector's work grow tenfold.
  readonly t0s: number[] = [];
  readonly t1s: number[] = [];
  readonly codes: number[] = [];
  readonly tasks: (AwaitingTask | null)[] = [];
  readonly labels: string[] = [];
  /** `callbackName` by function name: the names of callbacks are few, the callbacks many. */
  private readonly _labelByName = new Map<string, string>();
  dropped = 0;
  droppedBusy = 0;
  t0 = 0;
  t1 = 0;
  readonly debug: boolean;
  /** A generator task's wake-up callback (`task._wakeupBound`) -> the task, to draw it in its lane. */
  private readonly _wakeups = new WeakMap<object, AwaitingTask>();
  /** The promise job being timed: its async id, task and start; -1 when none. */
  private _jobId = -1;
  private _jobTask: AwaitingTask | null = null;
  private _jobStart0 = 0;
  /** The task whose async step was recorded last, if nothing was recorded after it: its next job extends it. */
  private _lastResume = -1;
  private _stopped = false;
  /**
   * Whether each task's last recorded step ended with the task waiting on a library future
   * (`_futWaiter`): its next async step was then woken by that future, else by a Promise (or
   * it is the same `await` going on through more promise jobs).
   */
  private readonly _leftWaiting = new WeakMap<AwaitingTask, boolean>();

  constructor(loop: BaseEventLoop) {
    this.loop = loop;
    this.debug = loop.getDebug();
  }

  start(): void {
    if (this.loop._recorder !== null) throw new Error("a timeline is already recording this loop");
    for (const t of allTasks(this.loop)) this._learnWakeup(t);
    this.t0 = now();
    this.loop._recorder = this;
    enableHook();
  }

  stop(): void {
    // The batch running now goes on reporting to this recorder (the step that stops it is one of
    // its handles); what ends after the stop is not part of the recording.
    this._stopped = true;
    if (this.loop._recorder === this) this.loop._recorder = null;
    if (jobRecorder === this) jobRecorder = null;
    disableHook();
    this.t1 = now();
  }

  _iteration(): void {
    // A job open now is the microtask that runs this iteration: it carries the context of
    // whatever woke the loop, maybe a task's, but its time is the loop's.
    this._jobId = -1;
    this._jobTask = null;
    this._lastResume = -1;
  }

  _handle(handle: Handle, start: number, end: number): void {
    this._lastResume = -1;
    const cb = handle._callback;
    const args = handle._args;
    let kind = handle instanceof TimerHandle ? K_TIMER : K_CALLBACK;
    let wake = kind === K_TIMER ? W_TIMER : W_SOON;
    let task: AwaitingTask | null = null;
    if (cb === taskStep && args !== null) {
      task = args[0] as AwaitingTask;
      kind = K_STEP;
      this._learnWakeup(task);
    } else if (cb !== null && cb.name === "taskWakeup") {
      task = this._wakeupTask(cb);
      if (task !== null) kind = K_STEP;
      if (wake === W_SOON) wake = W_FUTURE;
    } else if (args !== null && args.length === 1 && wake === W_SOON && isFuture(args[0])) {
      // A done callback: the future's completion scheduled it.
      wake = W_FUTURE;
    }
    // Only an async function's next step needs it (a generator task's steps are all handles).
    if (task instanceof Task && task._runsAsyncFunction()) this._leftWaiting.set(task, task._waitsOnFuture());
    this._push(start, end, kind, wake, task, cb);
  }

  _io(cb: (...args: never[]) => unknown, start: number, end: number): void {
    this._lastResume = -1;
    this._push(start, end, K_IO, W_IO, null, cb);
  }

  _jobStart(asyncId: number, task: AwaitingTask, start: number): void {
    this._jobId = asyncId;
    this._jobTask = task;
    this._jobStart0 = start;
  }

  _jobEnd(asyncId: number, end: number): void {
    const task = this._jobTask;
    if (asyncId !== this._jobId || task === null) return;
    this._jobId = -1;
    this._jobTask = null;
    const waiting = task instanceof Task && task._waitsOnFuture();
    const last = this._lastResume;
    if (last >= 0 && this.tasks[last] === task) {
      this.t1s[last] = end;
      if (this._isSlow(this.t0s[last] as number, end)) this.codes[last] = (this.codes[last] as number) | SLOW_BIT;
    } else {
      const wake = this._leftWaiting.get(task) === true ? W_FUTURE : W_PROMISE;
      this._lastResume = this._push(this._jobStart0, end, K_RESUME, wake, task, null);
    }
    this._leftWaiting.set(task, waiting);
  }

  /** Appends a span; returns its index, or -1 when it is past the limit and only counted. */
  private _push(t0: number, t1: number, kind: number, wake: number, task: AwaitingTask | null, cb: ((...args: never[]) => unknown) | null): number {
    const i = this.t0s.length;
    if (this._stopped) return -1;
    if (i >= MAX_RECORDED) {
      this.dropped++;
      this.droppedBusy += t1 - t0;
      return -1;
    }
    this.t0s.push(t0);
    this.t1s.push(t1);
    this.codes.push(kind + wake * WAKE_SHIFT + (this._isSlow(t0, t1) ? SLOW_BIT : 0));
    this.tasks.push(task);
    this.labels.push(cb === null ? "resume" : this._label(cb));
    return i;
  }

  private _label(cb: (...args: never[]) => unknown): string {
    const own = (cb as { _asyncioLabel?: unknown })._asyncioLabel;
    if (typeof own === "string") return own;
    const name = cb.name;
    let label = this._labelByName.get(name);
    if (label === undefined) {
      label = callbackName(cb);
      this._labelByName.set(name, label);
    }
    return label;
  }

  private _isSlow(t0: number, t1: number): boolean {
    // Debug mode is read now, not at start: `setDebug` may be called while recording.
    return (t1 - t0) / 1000 >= this.loop.slowCallbackDuration && this.loop.getDebug();
  }

  private _learnWakeup(task: AwaitingTask): void {
    const wakeup = (task as { _wakeupBound?: unknown })._wakeupBound;
    if (typeof wakeup === "function") this._wakeups.set(wakeup, task);
  }

  /** The generator task a `taskWakeup` callback wakes; the tasks are asked again for one not seen yet. */
  private _wakeupTask(cb: object): AwaitingTask | null {
    let task = this._wakeups.get(cb);
    if (task === undefined) {
      for (const t of allTasks(this.loop)) this._learnWakeup(t);
      task = this._wakeups.get(cb);
    }
    return task ?? null;
  }
}

// -- The timeline ---------------------------------------------------------------------------------

/**
 * A recording of a loop's work, made by `timeline()`: its spans, their lanes, and the picture.
 * In a notebook it shows itself as the SVG (`_repr_mimebundle_`).
 */
export class Timeline {
  /** How long the recording lasted, in milliseconds. */
  readonly duration: number;
  /** Spans that were run but not kept (past 200,000), and their total time in milliseconds. */
  readonly dropped: number;
  readonly droppedBusy: number;
  /** Whether the loop was in debug mode when recording began (slow spans are marked only then). */
  readonly debug: boolean;
  /** The loop's `slowCallbackDuration`, in seconds, when recording ended. */
  readonly slowCallbackDuration: number;
  private _rec: Recorder | null;
  private _spans: readonly TimelineSpan[] = [];
  private _lanes: readonly string[] = [];

  /** @internal Made by `timeline()` from a finished recording. */
  constructor(rec: Recorder) {
    this._rec = rec;
    this.duration = rec.t1 - rec.t0;
    this.dropped = rec.dropped;
    this.droppedBusy = rec.droppedBusy;
    this.debug = rec.debug;
    this.slowCallbackDuration = rec.loop.slowCallbackDuration;
  }

  /** Everything recorded, in order of start. */
  get spans(): readonly TimelineSpan[] {
    this._build();
    return this._spans;
  }

  /** The lanes, top to bottom: one per task in order of first appearance, then `timers`, `I/O`, `callbacks`. */
  get lanes(): readonly string[] {
    this._build();
    return this._lanes;
  }

  /** The spans are made when first asked for, so that recording costs the loop as little as it can. */
  private _build(): void {
    const rec = this._rec;
    if (rec === null) return;
    this._rec = null;
    const names = new Map<AwaitingTask, string>();
    const used = new Set<string>([TIMERS_LANE, IO_LANE, CALLBACKS_LANE]);
    const taskLanes: string[] = [];
    const laneOf = (task: AwaitingTask): string => {
      let name = names.get(task);
      if (name === undefined) {
        // Two tasks may share a name; each still gets its own lane.
        const base = task instanceof Task ? task.getName() : "task";
        name = base;
        for (let n = 2; used.has(name); n++) name = `${base} #${n}`;
        used.add(name);
        names.set(task, name);
        taskLanes.push(name);
      }
      return name;
    };
    const { t0s, t1s, codes, tasks, labels } = rec;
    // Spans are appended as they end, and they never overlap (an async step is extended only
    // while nothing else was recorded after it), so this is also the order of their starts.
    const spans: TimelineSpan[] = [];
    for (let i = 0; i < t0s.length; i++) {
      const code = codes[i] as number;
      const kind = code % WAKE_SHIFT;
      const rawTask = tasks[i] as AwaitingTask | null;
      const task = rawTask === null ? null : laneOf(rawTask);
      spans.push({
        start: (t0s[i] as number) - rec.t0,
        duration: (t1s[i] as number) - (t0s[i] as number),
        lane: task ?? (kind === K_TIMER ? TIMERS_LANE : kind === K_IO ? IO_LANE : CALLBACKS_LANE),
        kind: KINDS[kind] as TimelineKind,
        task,
        wokenBy: WAKES[Math.floor((code % SLOW_BIT) / WAKE_SHIFT)] as TimelineWake,
        label: labels[i] as string,
        slow: code >= SLOW_BIT,
      });
    }
    this._spans = spans;
    this._lanes = [...taskLanes, TIMERS_LANE, IO_LANE, CALLBACKS_LANE];
  }

  /** Per lane: how many spans, and how many milliseconds the loop was busy with them. */
  laneTotals(): { lane: string; steps: number; busy: number }[] {
    const totals = new Map(this.lanes.map((lane) => [lane, { lane, steps: 0, busy: 0 }]));
    for (const s of this.spans) {
      const t = totals.get(s.lane);
      if (t !== undefined) {
        t.steps++;
        t.busy += s.duration;
      }
    }
    return [...totals.values()];
  }

  /**
   * The picture: a self-contained SVG, one lane per task plus `timers`, `I/O` and `callbacks`,
   * a time axis in milliseconds, a legend. Every span is a `<rect>` with a `<title>` (shown as a
   * tooltip) that says what ran, when, for how long and what woke it; slow spans are red. At most
   * 5,000 spans are drawn (the first ones), and the picture says so when there were more.
   */
  svg(): string {
    return renderSvg(this);
  }

  /** A text summary: the recording's length, then per lane the steps and busy milliseconds. */
  toString(): string {
    const rows = this.laneTotals();
    const width = Math.max(4, ...rows.map((r) => r.lane.length));
    const busy = rows.reduce((sum, r) => sum + r.busy, 0);
    const lines = [
      `Timeline: ${this.spans.length} spans in ${fmtMs(this.duration)} ms, loop busy ${fmtMs(busy)} ms (${this.duration > 0 ? ((100 * busy) / this.duration).toFixed(1) : "0.0"}%)`,
      `${"lane".padEnd(width)}  ${"steps".padStart(7)}  ${"busy ms".padStart(10)}`,
    ];
    for (const r of rows) lines.push(`${r.lane.padEnd(width)}  ${String(r.steps).padStart(7)}  ${fmtMs(r.busy).padStart(10)}`);
    const slow = this.spans.filter((s) => s.slow).length;
    if (slow > 0) lines.push(`${slow} slow (>= ${this.slowCallbackDuration * 1000} ms, debug mode)`);
    if (this.dropped > 0) lines.push(`${this.dropped} more spans (${fmtMs(this.droppedBusy)} ms) were run but not kept`);
    return lines.join("\n");
  }

  /** How a notebook shows it: the SVG, with the text summary for front ends without images. */
  _repr_mimebundle_(): Record<string, string> {
    return { "image/svg+xml": this.svg(), "text/plain": this.toString() };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

// -- timeline() -----------------------------------------------------------------------------------

/**
 * Records what the running loop does while `body` runs as a task on it (or, given `{ seconds }`,
 * for that many seconds) and returns the recording. A coroutine: `await` it or `yield*` it. The
 * recording stops when the body ends, also when it fails or is cancelled; the body's error then
 * comes out of the `await` and no Timeline is returned.
 *
 * @throws Error "a timeline is already recording this loop" when another one is.
 * @example
 * ```ts
 * const tl = await asyncio.timeline(async () => {
 *   await asyncio.gather(asyncio.sleep(0.01), asyncio.sleep(0.02));
 * });
 * console.log(String(tl)); // per lane: steps, busy ms; in a notebook the cell shows the SVG
 * ```
 */
export function timeline(body: CoroutineLike<unknown> | TimelineOptions): CoroutineObject<Timeline> {
  if (body !== null && typeof body === "object" && "seconds" in body && !isFuture(body)) {
    const seconds = (body as TimelineOptions).seconds;
    if (typeof seconds !== "number" || !(seconds >= 0)) throw new TypeError(`seconds must be a number >= 0, not ${String(seconds)}`);
    return new CoroutineObject("timeline", { gen: () => recordWhile(() => sleep(seconds)) });
  }
  return new CoroutineObject("timeline", {
    // The body's lane is named after its function, or says what it is (not `Task-7`).
    gen: () => recordWhile((loop) => new Task(body as CoroutineLike<unknown>, { loop, name: bodyName(body) })),
  });
}

function bodyName(body: unknown): string {
  const name = typeof body === "function" ? body.name : body instanceof CoroutineObject ? body.name : "";
  return name === "" ? "timeline body" : name;
}

function* recordWhile(what: (loop: BaseEventLoop) => CoroutineObject<unknown> | Task<unknown>): GeneratorCoroutine<Timeline> {
  const loop = _currentLoop() as BaseEventLoop;
  const rec = new Recorder(loop);
  rec.start();
  try {
    yield* what(loop);
  } finally {
    rec.stop();
  }
  return new Timeline(rec);
}

// -- The picture ----------------------------------------------------------------------------------

// The picture fits a notebook's output area (about 800 px) without being scaled down.
const LABEL_W = 110;
const PLOT_W = 620;
const LANE_H = 22;
const BAR_H = 14;
const TOP = 28;
const RIGHT_PAD = 20;

const COLORS: Record<TimelineKind, string> = {
  step: "#4c78a8",
  resume: "#72b7b2",
  callback: "#9d9d9d",
  timer: "#f58518",
  io: "#b279a2",
};
const SLOW_COLOR = "#d62728";

/** Idle stretches of the loop longer than this many milliseconds may be shortened in the picture. */
const IDLE_GAP_MS = 1;
/** With more busy stretches than this, the picture keeps a plain time axis. */
const MAX_STRETCHES = 40;
/** How wide a shortened idle stretch is drawn. */
const BREAK_W = 16;

/** Where a time (ms) is drawn, the axis's labelled ticks, and the idle stretches drawn short. */
interface TimeAxis {
  x(t: number): number;
  ticks: { x: number; label: string }[];
  breaks: { x: number; idle: number }[];
}

/**
 * The time axis. A loop that waits on timers is idle most of the time and its work comes in
 * bursts of microseconds, which a plain axis draws as hairlines: when idle time is most of the
 * recording, each idle stretch longer than IDLE_GAP_MS is drawn BREAK_W wide (marked, with its
 * length), and the busy stretches share the rest of the width at one scale, so that the order of
 * the callbacks in a burst can be seen. Otherwise the axis is plain.
 */
function timeAxis(spans: readonly TimelineSpan[], total: number): TimeAxis {
  const plain = (): TimeAxis => {
    const scale = PLOT_W / total;
    const step = tickStep(total);
    const ticks: { x: number; label: string }[] = [];
    for (let t = 0; t <= total + step * 1e-9; t += step) ticks.push({ x: round(LABEL_W + t * scale), label: fmtTick(t, step) });
    return { x: (t) => LABEL_W + t * scale, ticks, breaks: [] };
  };
  if (spans.length === 0) return plain();
  // Busy stretches: spans closer than IDLE_GAP_MS to each other, with a margin on each side.
  const stretches: [number, number][] = [];
  for (const sp of spans) {
    const last = stretches[stretches.length - 1];
    if (last !== undefined && sp.start - last[1] <= IDLE_GAP_MS) last[1] = Math.max(last[1], sp.start + sp.duration);
    else stretches.push([sp.start, sp.start + sp.duration]);
  }
  if (stretches.length > MAX_STRETCHES) return plain();
  const margin = Math.max(0.005, 0.1 * Math.max(...stretches.map(([a, b]) => b - a)));
  const busy = stretches.map(([a, b]) => [Math.max(0, a - margin), Math.min(total, b + margin)] as [number, number]);
  let idle = busy[0]![0] + (total - busy[busy.length - 1]![1]);
  for (let i = 1; i < busy.length; i++) idle += busy[i]![0] - busy[i - 1]![1];
  if (idle < 0.5 * total) return plain();
  // Pieces left to right: an idle stretch (drawn short) where there is one, then a busy one.
  const pieces: { from: number; to: number; idle: boolean }[] = [];
  let at = 0;
  for (const [a, b] of busy) {
    if (a - at > 0) pieces.push({ from: at, to: a, idle: a - at > IDLE_GAP_MS });
    pieces.push({ from: a, to: b, idle: false });
    at = b;
  }
  if (total - at > 0) pieces.push({ from: at, to: total, idle: total - at > IDLE_GAP_MS });
  const shortened = pieces.filter((p) => p.idle).length;
  const busyMs = pieces.filter((p) => !p.idle).reduce((sum, p) => sum + (p.to - p.from), 0);
  const scale = (PLOT_W - shortened * BREAK_W) / busyMs;
  const starts: number[] = [];
  let x = LABEL_W;
  for (const p of pieces) {
    starts.push(x);
    x += p.idle ? BREAK_W : (p.to - p.from) * scale;
  }
  const xOf = (t: number): number => {
    let lo = 0;
    let hi = pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pieces[mid]!.from <= t) lo = mid;
      else hi = mid - 1;
    }
    const p = pieces[lo]!;
    const x0 = starts[lo]!;
    return p.idle ? x0 + ((t - p.from) / (p.to - p.from)) * BREAK_W : x0 + (t - p.from) * scale;
  };
  // A tick at the start of each busy stretch, its real time; labels at least 44 px apart.
  const ticks: { x: number; label: string }[] = [];
  let lastLabel = -Infinity;
  pieces.forEach((p, i) => {
    if (p.idle) return;
    const tx = round(starts[i]!);
    if (tx - lastLabel < 44) return;
    lastLabel = tx;
    ticks.push({ x: tx, label: fmtMs(p.from) });
  });
  const breaks = pieces.flatMap((p, i) => (p.idle ? [{ x: round(starts[i]! + BREAK_W / 2), idle: p.to - p.from }] : []));
  return { x: xOf, ticks, breaks };
}

function renderSvg(tl: Timeline): string {
  const lanes = tl.lanes;
  const laneIndex = new Map(lanes.map((l, i) => [l, i]));
  const total = Math.max(tl.duration, ...tl.spans.map((s) => s.start + s.duration), 0.001);
  const drawn = tl.spans.length > MAX_DRAWN ? tl.spans.slice(0, MAX_DRAWN) : tl.spans;
  const axis = timeAxis(drawn, total);
  const plotBottom = TOP + lanes.length * LANE_H;
  const width = LABEL_W + PLOT_W + RIGHT_PAD;
  const notes: string[] = [];
  if (axis.breaks.length > 0) notes.push(`idle stretches over ${IDLE_GAP_MS} ms are drawn short (≈, hover for their length)`);
  if (tl.spans.length > drawn.length) notes.push(`showing the first ${MAX_DRAWN.toLocaleString("en-US")} of ${tl.spans.length.toLocaleString("en-US")} spans`);
  if (tl.dropped > 0) notes.push(`${tl.dropped.toLocaleString("en-US")} more spans were run but not recorded`);
  const legendY = plotBottom + 40;
  const height = legendY + 20 + notes.length * 16;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(`Event loop timeline: ${tl.spans.length} spans in ${fmtMs(tl.duration)} ms`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${LABEL_W}" y="16" font-size="12">${esc(`Event loop timeline: ${tl.spans.length} spans in ${fmtMs(tl.duration)} ms; one callback at a time`)}</text>`,
  );
  // Lanes: alternate shading and names.
  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE_H;
    if (i % 2 === 0) out.push(`<rect x="${LABEL_W}" y="${y}" width="${PLOT_W}" height="${LANE_H}" fill="#f4f4f4"/>`);
    const label = `<text x="${LABEL_W - 6}" y="${y + LANE_H / 2 + 4}" text-anchor="end">${esc(truncate(lane, 24))}</text>`;
    // A long name is cut; the whole of it is the tooltip.
    out.push(lane.length > 24 ? `<g><title>${esc(lane)}</title>${label}</g>` : label);
  });
  // The time axis, and the idle stretches drawn short: a white band across the lanes marked ≈.
  out.push(`<line x1="${LABEL_W}" y1="${plotBottom}" x2="${LABEL_W + PLOT_W}" y2="${plotBottom}" stroke="#333"/>`);
  for (const { x, label } of axis.ticks) {
    out.push(`<line x1="${x}" y1="${TOP}" x2="${x}" y2="${plotBottom + 4}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${plotBottom + 16}" text-anchor="middle">${esc(label)}</text>`);
  }
  for (const { x, idle } of axis.breaks) {
    out.push(
      `<g><title>${esc(`idle ${fmtMs(idle)} ms`)}</title><rect x="${round(x - BREAK_W / 2 + 2)}" y="${TOP}" width="${BREAK_W - 4}" height="${plotBottom - TOP + 6}" fill="white"/><text x="${x}" y="${plotBottom + 4}" text-anchor="middle" font-size="13" fill="#888">≈</text></g>`,
    );
  }
  out.push(`<text x="${LABEL_W + PLOT_W}" y="${plotBottom + 28}" text-anchor="end">ms</text>`);
  // The spans: at least a pixel wide, so that a 5 µs callback is still seen.
  for (const s of drawn) {
    const i = laneIndex.get(s.lane) ?? 0;
    const x0 = axis.x(s.start);
    const x = round(x0);
    const w = round(Math.max(1, axis.x(s.start + s.duration) - x0));
    const y = TOP + i * LANE_H + (LANE_H - BAR_H) / 2;
    const fill = s.slow ? SLOW_COLOR : COLORS[s.kind];
    const stroke = s.slow ? ` stroke="#7f0000" stroke-width="1"` : "";
    const tip = `${s.task ?? s.lane}: ${s.label}${s.slow ? " (SLOW)" : ""}\nstart ${fmtMs(s.start)} ms, took ${fmtMs(s.duration)} ms\n${s.kind}, woken by ${s.wokenBy}`;
    out.push(`<rect x="${x}" y="${y}" width="${w}" height="${BAR_H}" fill="${fill}"${stroke}><title>${esc(tip)}</title></rect>`);
  }
  // The legend.
  let lx = LABEL_W;
  const legend: [string, string][] = [
    ["task step (loop)", COLORS.step],
    ["async step (resume)", COLORS.resume],
    ["callback", COLORS.callback],
    ["timer", COLORS.timer],
    ["I/O", COLORS.io],
    [tl.debug ? `slow (>= ${tl.slowCallbackDuration * 1000} ms)` : "slow (debug mode only)", SLOW_COLOR],
  ];
  for (const [name, color] of legend) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${lx + 16}" y="${legendY}">${esc(name)}</text>`);
    lx += 26 + name.length * 6.2;
  }
  notes.forEach((note, i) => out.push(`<text x="${LABEL_W}" y="${legendY + 18 + i * 16}" fill="#555">${esc(note)}</text>`));
  out.push("</svg>");
  return out.join("\n");
}

/** A tick spacing of 1, 2 or 5 times a power of ten giving 5 to 10 ticks over `total` ms. */
function tickStep(total: number): number {
  const raw = total / 8;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

function fmtTick(t: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return t.toFixed(Math.min(decimals, 6));
}

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * Text made safe for XML: the five special characters escaped, and the characters XML 1.0
 * cannot hold at all (control characters, unpaired surrogates; a task may be named anything)
 * replaced with U+FFFD.
 */
function esc(text: string): string {
  return (
    text
      // The control characters are the point: XML 1.0 cannot hold them.
      // oxlint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
      .replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;"))
  );
}
