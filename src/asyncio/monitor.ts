// The loop monitor: what a loop holds right now (its tasks and what each waits for, its timers,
// its servers and their connections), as a snapshot, a text table and an HTML table, and
// `monitor()`, which keeps showing it while it changes: in place in a notebook (the kernel
// lends a live display), as text tables on stdout elsewhere.
//
// It reads the loop from outside, on a Node timer: it schedules nothing on the loop, so it
// never shows up in what it shows, and a loop busy in a callback simply gets no update until
// the callback returns.

import type { BaseEventLoop } from "./base-events.js";
import { awaitedTasks, taskTree, treePrefix } from "./call-graph.js";
import type { Context } from "./context.js";
import { _setResultUnlessCancelled, Future } from "./futures.js";
import { formatCallback, repr } from "./format.js";
import { TimerHandle, getRunningLoop, type AbstractEventLoop } from "./events.js";
import { birthOf, siteOf, startObserving, waitOf } from "./observe.js";
import { _openServers } from "./socket-transports.js";
import { GatheringFuture, Task, currentTask } from "./tasks.js";

/** A task as the monitor shows it. */
export interface TaskView {
  readonly task: Task<unknown>;
  readonly name: string;
  /** `running` (its code runs now), `waiting`, `ready` (a step is scheduled), `cancelling`. */
  readonly state: "running" | "waiting" | "ready" | "cancelling";
  /** The coroutine: `worker()`. */
  readonly coro: string;
  /** Where it waits: `In[3], line 4`; null when no site was noted (code outside a cell). */
  readonly site: string | null;
  /** What it waits for: `sleep (1.2 s left)`, `Queue.get <Queue ...>`, `Task 'Task-4'`; null when it waits for nothing. */
  readonly waitsFor: string | null;
  /** Who started it: `In[3]` in the kernel; null when unknown. */
  readonly startedBy: string | null;
  /** Seconds since it was made; null when it was made before anything observed the loop. */
  readonly age: number | null;
  /** Its depth in the await tree, and for each level whether it is the last there (for drawing). */
  readonly depth: number;
  readonly last: readonly boolean[];
}

/** A pending timer (`callLater`, `callAt`, a sleep's wake-up). */
export interface TimerView {
  /** The callback, or `sleep of 'Task-3'` for a task's sleep. */
  readonly callback: string;
  /** Seconds until it runs. */
  readonly due: number;
}

/** A connection a server accepted. */
export interface ConnectionView {
  readonly peer: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** An open server. */
export interface ServerView {
  readonly address: string;
  readonly serving: boolean;
  readonly connections: readonly ConnectionView[];
}

/** What a loop holds at one moment. */
export interface LoopSnapshot {
  readonly tasks: readonly TaskView[];
  readonly timers: readonly TimerView[];
  readonly servers: readonly ServerView[];
}

/**
 * What a notebook kernel lends the monitor: a display it can update in place. The kernel puts
 * one at `globalThis[Symbol.for("asyncio-ts.notebook")]`; a script has none.
 */
export interface NotebookHost {
  /** Shows `bundle` under the cell whose code runs now; null outside a cell. */
  open(bundle: Record<string, string>): LiveDisplay | null;
  /** The cell that started the code whose context this is (`In[3]`), or null. */
  describeContext(context: Context | undefined): string | null;
}

/** A display shown under a cell, updated in place. */
export interface LiveDisplay {
  update(bundle: Record<string, string>): void;
  /** `cb` runs when the display's cell is run again or its kernel restarts: the monitor stops then. */
  onEnd(cb: () => void): void;
}

const HOST_KEY = Symbol.for("asyncio-ts.notebook");

function notebookHost(): NotebookHost | null {
  return ((globalThis as Record<symbol, unknown>)[HOST_KEY] as NotebookHost | undefined) ?? null;
}

/** Options of `monitor()`. */
export interface MonitorOptions {
  /** The loop to watch; by default the running one. */
  loop?: AbstractEventLoop;
  /** Seconds between looks: at most this often the display is updated (0.25; 1 for text tables). */
  interval?: number;
  /** Stops by itself after this many seconds (a demo's "watch for a while"); by default it runs until stopped. */
  seconds?: number;
}

/**
 * A snapshot of `loop` (by default the running loop): its tasks in await-tree order (each
 * under the task that awaits it), its pending timers soonest first, its open servers.
 */
export function loopSnapshot(loop?: AbstractEventLoop): LoopSnapshot {
  const l = (loop ?? getRunningLoop()) as BaseEventLoop;
  const now = l.time();
  const wall = performance.now() / 1000;
  const host = notebookHost();
  const running = l.isRunning() ? currentTask(l) : null;
  const edges = awaitedTasks(l);
  const timerList = l._pendingTimers();
  // A sleep is a future its timer settles: known from the timer even when nothing noted it
  // (a script observes only from its first `monitor()`).
  const sleepUntil = new Map<Future<unknown>, number>();
  for (const t of timerList) {
    const slept = sleepOf(t);
    if (slept !== null) sleepUntil.set(slept, t.when());
  }
  // The futures tasks wait on, so that a sleep's timer can name its task.
  const waiterOf = new Map<Future<unknown>, Task<unknown>>();
  const tasks: TaskView[] = [];
  for (const { task, depth, last } of taskTree(edges, l)) {
    const waits = task._waits();
    for (const f of waits.futures) waiterOf.set(f, task);
    const site = siteOf(task);
    const bornAt = birthOf(task);
    let state: TaskView["state"] = task === running ? "running" : waits.futures.length > 0 || waits.onPromise ? "waiting" : "ready";
    if (state !== "running" && task.cancelling() > 0) state = "cancelling";
    tasks.push({
      task,
      name: task.getName(),
      state,
      coro: task._coroName(),
      site: site === undefined ? null : `${site.where}, line ${site.line}`,
      waitsFor:
        state === "running"
          ? null
          : waits.futures.length > 0
            ? describeWait(waits.futures[0] as Future<unknown>, now, sleepUntil)
            : waits.onPromise
              ? "a Promise"
              : waits.started
                ? null
                : "its first step",
      startedBy: host?.describeContext(task.getContext()) ?? null,
      age: bornAt === undefined ? null : Math.max(0, wall - bornAt),
      depth,
      last,
    });
  }
  const timers: TimerView[] = timerList.map((t) => ({ callback: describeTimer(t, waiterOf), due: Math.max(0, t.when() - now) }));
  const servers: ServerView[] = _openServers(l).map((s) => ({
    address: s.sockets.map((k) => formatAddress(k.getsockname())).join(", ") || "(closed)",
    serving: s.isServing(),
    connections: s._connections().map((c) => ({ peer: formatAddress(c.peer), bytesIn: c.bytesIn, bytesOut: c.bytesOut })),
  }));
  return { tasks, timers, servers };
}

function describeWait(f: Future<unknown>, now: number, sleepUntil: Map<Future<unknown>, number>): string {
  const note = waitOf(f);
  const until = note?.kind === "sleep" ? note.until : sleepUntil.get(f);
  if (until !== undefined) return `sleep (${seconds(Math.max(0, until - now))} left)`;
  if (note !== undefined) {
    if (note.kind === "TaskGroup") return "its TaskGroup's tasks";
    return note.on === undefined ? note.kind : `${note.kind} ${short(repr(note.on))}`;
  }
  if (f instanceof Task) return `Task '${f.getName()}'`;
  if (f instanceof GatheringFuture) {
    const names = (f._children as Future<unknown>[]).map((c) => (c instanceof Task ? `'${c.getName()}'` : "a Future"));
    return `gather(${names.join(", ")})`;
  }
  return short(f.toString());
}

/** The future a timer settles when it ends a sleep (`sleep()` schedules `_setResultUnlessCancelled(fut)`), else null. */
function sleepOf(t: TimerHandle): Future<unknown> | null {
  const slept = t._args?.[0];
  return t._callback === _setResultUnlessCancelled && slept instanceof Future ? slept : null;
}

function describeTimer(t: TimerHandle, waiterOf: Map<Future<unknown>, Task<unknown>>): string {
  const slept = sleepOf(t);
  if (slept !== null) {
    const task = waiterOf.get(slept);
    return task !== undefined ? `wakes '${task.getName()}' (sleep)` : "a sleep's wake-up";
  }
  return short(formatCallback(t._callback, t._args ?? []));
}

function formatAddress(a: unknown): string {
  if (Array.isArray(a)) return a[0] !== undefined && String(a[0]).includes(":") ? `[${a[0]}]:${a[1]}` : `${a[0]}:${a[1]}`;
  return String(a ?? "?");
}

function short(s: string, max = 60): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function seconds(s: number): string {
  return s < 10 ? `${s.toFixed(1)} s` : s < 3600 ? `${Math.round(s)} s` : `${(s / 3600).toFixed(1)} h`;
}

/**
 * An age, coarser as it grows: the display is redrawn only when its text changes, and a table
 * of long-lived tasks should not be redrawn every second for their ages alone.
 */
function age(s: number): string {
  if (s < 10) return `${Math.floor(s)} s`;
  if (s < 60) return `${Math.floor(s / 10) * 10} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The snapshot as a text table, as a terminal shows it. */
export function formatSnapshot(snap: LoopSnapshot): string {
  const out: string[] = [summary(snap)];
  if (snap.tasks.length > 0) {
    const rows = snap.tasks.map((t) => [
      treePrefix(t.depth, t.last) + t.name,
      t.state,
      t.coro,
      t.site ?? "",
      t.waitsFor ?? "",
      t.startedBy ?? "",
      t.age === null ? "" : age(t.age),
    ]);
    out.push("", ...table(["TASK", "STATE", "COROUTINE", "AT", "WAITS FOR", "FROM", "AGE"], rows));
  }
  if (snap.timers.length > 0) {
    out.push(
      "",
      ...table(
        ["TIMER IN", "CALLBACK"],
        snap.timers.map((t) => [seconds(t.due), t.callback]),
      ),
    );
  }
  for (const s of snap.servers) {
    out.push("", `SERVER ${s.address}${s.serving ? "" : " (not serving)"}: ${s.connections.length} connection${s.connections.length === 1 ? "" : "s"}`);
    if (s.connections.length > 0)
      out.push(
        ...table(
          ["  PEER", "IN", "OUT"],
          s.connections.map((c) => [`  ${c.peer}`, bytes(c.bytesIn), bytes(c.bytesOut)]),
        ),
      );
  }
  return out.join("\n");
}

function summary(snap: LoopSnapshot): string {
  const n = (k: number, what: string): string => `${k} ${what}${k === 1 ? "" : "s"}`;
  return `Event loop: ${n(snap.tasks.length, "task")}, ${n(snap.timers.length, "timer")}, ${n(snap.servers.length, "server")}`;
}

/** Left-aligned columns, the last one unpadded. */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? "")].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - [...c].length)))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

const STATE_COLORS: Record<TaskView["state"], string> = { running: "#2aa198", waiting: "#b58900", ready: "#268bd2", cancelling: "#cb4b16" };

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The snapshot as an HTML table for a notebook; `footer` says whether it is live. */
export function snapshotHtml(snap: LoopSnapshot, footer: string): string {
  const cell = (s: string, extra = ""): string => `<td style="padding:1px 8px;text-align:left;white-space:nowrap${extra}">${escapeHtml(s)}</td>`;
  const head = (cols: string[]): string => `<tr>${cols.map((c) => `<th style="padding:1px 8px;text-align:left">${c}</th>`).join("")}</tr>`;
  const parts: string[] = [
    `<div class="asyncio-ts-monitor" style="font-family:var(--jp-code-font-family,monospace);font-size:12px">`,
    `<div style="font-weight:bold;margin-bottom:4px">${escapeHtml(summary(snap))}</div>`,
  ];
  if (snap.tasks.length > 0) {
    parts.push(`<table style="border-collapse:collapse">`, head(["task", "state", "coroutine", "at", "waits for", "from", "age"]));
    for (const t of snap.tasks) {
      const badge = `<span style="display:inline-block;padding:0 0.5em;border-radius:0.7em;background:${STATE_COLORS[t.state]};color:white;font-family:sans-serif">${t.state}</span>`;
      parts.push(
        `<tr data-task="${escapeHtml(t.name)}">`,
        cell(treePrefix(t.depth, t.last) + t.name),
        `<td style="padding:1px 8px">${badge}</td>`,
        cell(t.coro),
        cell(t.site ?? ""),
        cell(t.waitsFor ?? ""),
        cell(t.startedBy ?? ""),
        cell(t.age === null ? "" : age(t.age)),
        "</tr>",
      );
    }
    parts.push("</table>");
  }
  if (snap.timers.length > 0) {
    parts.push(`<table style="border-collapse:collapse;margin-top:4px">`, head(["timer in", "callback"]));
    for (const t of snap.timers) parts.push(`<tr>${cell(seconds(t.due))}${cell(t.callback)}</tr>`);
    parts.push("</table>");
  }
  for (const s of snap.servers) {
    parts.push(
      `<div style="margin-top:4px">server <b>${escapeHtml(s.address)}</b>${s.serving ? "" : " (not serving)"}: ${s.connections.length} connection${s.connections.length === 1 ? "" : "s"}</div>`,
    );
    if (s.connections.length > 0) {
      parts.push(`<table style="border-collapse:collapse">`, head(["peer", "in", "out"]));
      for (const c of s.connections) parts.push(`<tr>${cell(c.peer)}${cell(bytes(c.bytesIn))}${cell(bytes(c.bytesOut))}</tr>`);
      parts.push("</table>");
    }
  }
  parts.push(`<div style="color:#888;margin-top:4px">${escapeHtml(footer)}</div></div>`);
  return parts.join("");
}

/**
 * A live view of a loop, made by `monitor()`: in a notebook it updates its display in place,
 * elsewhere it prints a text table whenever what it shows changes. `stop()` ends it; so does
 * running its cell again.
 */
export class Monitor {
  private readonly _loop: BaseEventLoop;
  private _interval: number;
  private _timer: NodeJS.Timeout | null = null;
  private _display: LiveDisplay | null = null;
  private _last = "";
  private _updates = 0;

  /** @internal Made by `monitor()`. */
  constructor(loop: BaseEventLoop, options: MonitorOptions) {
    // Checked before anything is shown: a bad option must not leave a display behind.
    if (options.interval !== undefined && !(options.interval > 0)) throw new RangeError(`interval must be a positive number of seconds, got ${repr(options.interval)}`);
    if (options.seconds !== undefined && !(options.seconds > 0)) throw new RangeError(`seconds must be a positive number, got ${repr(options.seconds)}`);
    this._loop = loop;
    // A display in place may be redrawn a few times a second; a terminal gets a table a second.
    this._interval = options.interval ?? 0.25;
    const snap = loopSnapshot(loop);
    this._last = formatSnapshot(snap);
    this._display = notebookHost()?.open(this._bundle(snap, true)) ?? null;
    if (this._display === null) {
      this._interval = options.interval ?? 1;
      console.log(this._last);
    }
    this._display?.onEnd(() => this.stop());
    // A Node timer, not a loop callback: the monitor must not show up in the loop it watches,
    // and must not keep a script alive.
    this._timer = setInterval(() => this._tick(), this._interval * 1000);
    this._timer.unref();
    if (options.seconds !== undefined) {
      setTimeout(() => {
        this._tick();
        this.stop();
      }, options.seconds * 1000).unref();
    }
  }

  /** Whether it still updates. */
  get running(): boolean {
    return this._timer !== null;
  }

  /** How many times the display was updated (or a table printed) since it started. */
  get updates(): number {
    return this._updates;
  }

  /** What the loop holds now. */
  snapshot(): LoopSnapshot {
    return loopSnapshot(this._loop);
  }

  /** Stops updating; the last picture stays, marked as stopped. Idempotent. */
  stop(): void {
    if (this._timer === null) return;
    clearInterval(this._timer);
    this._timer = null;
    if (this._display !== null && !this._loop.isClosed()) this._display.update(this._bundle(loopSnapshot(this._loop), false));
  }

  private _tick(): void {
    if (this._loop.isClosed()) {
      this.stop();
      return;
    }
    const snap = loopSnapshot(this._loop);
    const text = formatSnapshot(snap);
    if (text === this._last) return;
    this._last = text;
    this._updates++;
    if (this._display !== null) this._display.update(this._bundle(snap, true));
    else console.log(`\n${text}`);
  }

  private _bundle(snap: LoopSnapshot, live: boolean): Record<string, string> {
    const text = formatSnapshot(snap);
    const footer = live ? `live, every ${this._interval} s while something changes; stop with .stop() or by running the cell again` : "stopped";
    return { "text/plain": text, "text/html": snapshotHtml(snap, footer) };
  }

  /** The table as text. */
  toString(): string {
    return formatSnapshot(this.snapshot());
  }

  /**
   * IPython's protocol for an object that shows itself: the monitor is already on show (it
   * showed itself when made), so as a cell's result it adds nothing; in a notebook without a
   * live display it shows a snapshot.
   */
  _ipython_display_(): void {}

  /** As a cell's result outside a live display: a snapshot. */
  _repr_mimebundle_(): Record<string, string> {
    return this._bundle(this.snapshot(), this.running);
  }
}

/**
 * Shows what the loop holds (by default the running loop's) and keeps it up to date while it
 * changes: its tasks, each with what it waits for and where, its timers, its servers and their
 * connections. In a notebook the display updates in place; elsewhere a text table is printed
 * whenever it changes. Stop it with `.stop()` (or, in a notebook, by running its cell again).
 *
 * @example
 * ```ts
 * asyncio.createTask(asyncio.sleep(5), { name: "sleeper" });
 * const m = asyncio.monitor(); // "sleeper  waiting  sleep()  ...  sleep (5.0 s left)"
 * ```
 */
export function monitor(options: MonitorOptions = {}): Monitor {
  startObserving();
  const loop = (options.loop ?? getRunningLoop()) as BaseEventLoop;
  return new Monitor(loop, options);
}
