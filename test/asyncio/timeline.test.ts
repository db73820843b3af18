// The timeline: what a loop runs, recorded span by span (start, duration, lane, what woke it),
// and its SVG. The ping-pong of two tasks is the lessons' picture of "one callback at a time".
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import * as asyncio from "../../src/asyncio/index.js";
import { logger, type LogRecord } from "../../src/asyncio/index.js";
import { MAX_DRAWN, Timeline, _recordingHookEnabled, timeline, type TimelineSpan } from "../../src/asyncio/timeline.js";
import { newLoop, onCleanup } from "../helpers.js";

const TURNS = 3;
const PAUSE = 0.01;

function* genPlayer(inbox: asyncio.Queue<number>, outbox: asyncio.Queue<number>, pause = PAUSE): Generator<unknown, void, unknown> {
  for (let i = 0; i < TURNS; i++) {
    const token = yield* inbox.get();
    yield* asyncio.sleep(pause);
    yield* outbox.put(token + 1);
  }
}

async function asyncPlayer(inbox: asyncio.Queue<number>, outbox: asyncio.Queue<number>, pause = PAUSE): Promise<void> {
  for (let i = 0; i < TURNS; i++) {
    const token = await inbox.get();
    await asyncio.sleep(pause);
    await outbox.put(token + 1);
  }
}

/** Two tasks, "ping" and "pong", passing a token back and forth through two queues, each turn after a sleep. */
function pingPong(style: "gen" | "async", pause = PAUSE): () => Promise<void> {
  return async () => {
    const q1 = new asyncio.Queue<number>();
    const q2 = new asyncio.Queue<number>();
    q1.putNowait(0);
    const ping = style === "gen" ? asyncio.createTask(genPlayer(q1, q2, pause), { name: "ping" }) : asyncio.createTask(() => asyncPlayer(q1, q2, pause), { name: "ping" });
    const pong = style === "gen" ? asyncio.createTask(genPlayer(q2, q1, pause), { name: "pong" }) : asyncio.createTask(() => asyncPlayer(q2, q1, pause), { name: "pong" });
    await asyncio.gather(ping, pong);
  };
}

async function record<T>(body: () => Promise<T>): Promise<Timeline> {
  const loop = newLoop();
  try {
    return await loop.runUntilComplete(() => timeline(body));
  } finally {
    loop.close();
  }
}

/** The spans never overlap: each starts after the one before it ended. */
function expectOneAtATime(spans: readonly TimelineSpan[]): void {
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1] as TimelineSpan;
    const cur = spans[i] as TimelineSpan;
    expect(cur.start, `${cur.lane} ${cur.label} starts before ${prev.lane} ${prev.label} ends`).toBeGreaterThanOrEqual(prev.start + prev.duration);
  }
}

/** For each timer span, the first task span after it: the task that timer woke. */
function taskWokenAfterEachTimer(tl: Timeline): TimelineSpan[] {
  const out: TimelineSpan[] = [];
  tl.spans.forEach((s, i) => {
    if (s.kind !== "timer") return;
    const next = tl.spans.slice(i + 1).find((n) => n.lane === "ping" || n.lane === "pong");
    if (next !== undefined) out.push(next);
  });
  return out;
}

/** An element as fast-xml-parser gives it: attributes by name, `#text`, and child elements in arrays by tag. */
interface XmlNode {
  [key: string]: string | XmlNode[] | undefined;
}

const CHILD_TAGS = new Set(["rect", "text", "title", "line", "g"]);

/** The SVG, checked for well-formedness by a real XML parser, as a tree. */
function parseSvg(svg: string): XmlNode {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    alwaysCreateTextNode: true,
    isArray: (name) => CHILD_TAGS.has(name),
  }).parse(svg) as { svg?: XmlNode };
  if (doc.svg === undefined) throw new Error("no <svg> root");
  expect(doc.svg.xmlns).toBe("http://www.w3.org/2000/svg");
  return doc.svg;
}

/** Every element with tag `tag` in the tree, in document order within each parent. */
function elements(node: XmlNode, tag: string): XmlNode[] {
  const out: XmlNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (!Array.isArray(value)) continue;
    for (const child of value) {
      if (key === tag) out.push(child);
      out.push(...elements(child, tag));
    }
  }
  return out;
}

function textOf(node: XmlNode | undefined): string {
  const t = node?.["#text"];
  return typeof t === "string" ? t : "";
}

/** The span rects: the rects that carry a <title> (lane backgrounds and the legend have none). */
function spanRects(root: XmlNode): { rect: XmlNode; title: string }[] {
  return elements(root, "rect")
    .filter((rect) => Array.isArray(rect.title))
    .map((rect) => ({ rect, title: textOf((rect.title as XmlNode[])[0]) }));
}

describe("timeline(body): a two-task ping-pong", () => {
  for (const style of ["gen", "async"] as const) {
    it(`draws ${style === "gen" ? "generator" : "async-function"} tasks in lanes of their own, alternating, one span at a time`, async () => {
      const tl = await record(pingPong(style));
      // Task lanes in order of first appearance (the body's task, then ping, then pong), then the fixed lanes.
      expect(tl.lanes.slice(-5)).toEqual(["ping", "pong", "timers", "I/O", "callbacks"]);
      expect(tl.lanes.length).toBe(6);
      expectOneAtATime(tl.spans);
      // Each turn, a sleep's timer wakes one player, whose put wakes the other: the player the
      // timers wake alternates, and both players run between two timers.
      const woken = taskWokenAfterEachTimer(tl);
      expect(woken.map((s) => s.lane)).toEqual(["ping", "pong", "ping", "pong", "ping", "pong"]);
      const timers = tl.spans.filter((s) => s.lane === "timers");
      for (let i = 0; i + 1 < timers.length; i++) {
        const between = tl.spans.filter((s) => s.start > (timers[i] as TimelineSpan).start && s.start < (timers[i + 1] as TimelineSpan).start).map((s) => s.lane);
        expect(between).toContain("ping");
        expect(between).toContain("pong");
      }
      // The whole exchange lasts 2 * TURNS sleeps, and the timeline says so.
      expect(tl.duration).toBeGreaterThanOrEqual(2 * TURNS * PAUSE * 1000);
      expect(tl.spans.every((s) => s.start >= 0 && s.duration >= 0 && s.start + s.duration <= tl.duration)).toBe(true);
    });

    it(`has a timer lane with the sleeps' timers and says what woke each ${style === "gen" ? "generator" : "async"} step`, async () => {
      const tl = await record(pingPong(style));
      const timers = tl.spans.filter((s) => s.lane === "timers");
      expect(timers.length).toBe(2 * TURNS);
      for (const t of timers) expect([t.kind, t.wokenBy, t.label, t.task]).toEqual(["timer", "timer", "_setResultUnlessCancelled", null]);
      // The sleeps run one after the other: their timers fire about PAUSE apart.
      for (let i = 1; i < timers.length; i++) expect((timers[i] as TimelineSpan).start - (timers[i - 1] as TimelineSpan).start).toBeGreaterThan(PAUSE * 1000 * 0.8);
      // A task's first step is scheduled with callSoon.
      const ping = tl.spans.filter((s) => s.lane === "ping");
      expect(ping[0]).toMatchObject({ kind: "step", wokenBy: "soon", label: "Task.step", task: "ping" });
      // After a timer, the woken player's step was woken by the sleep's future.
      for (const s of taskWokenAfterEachTimer(tl)) {
        if (style === "gen") expect(s).toMatchObject({ kind: "step", wokenBy: "future", label: "Task.wakeup" });
        else expect(s).toMatchObject({ kind: "resume", wokenBy: "future", label: "resume" });
      }
      if (style === "async") {
        // Async functions resume between iterations, after the done callback that settles their await ran.
        expect(tl.spans.filter((s) => s.lane === "ping" && s.kind === "resume").length).toBeGreaterThanOrEqual(TURNS);
        expect(tl.spans.some((s) => s.lane === "callbacks" && s.label === "Task.wakeup" && s.wokenBy === "future")).toBe(true);
      } else {
        // Generator tasks run only as the loop's handles.
        expect(tl.spans.filter((s) => s.lane === "ping" || s.lane === "pong").every((s) => s.kind === "step")).toBe(true);
      }
      // The text form: per lane, steps and busy time.
      const text = String(tl);
      expect(text).toMatch(/^Timeline: \d+ spans in [\d.]+ ms/);
      expect(text).toMatch(new RegExp(`\\ntimers\\s+${2 * TURNS}\\s+[\\d.]+`));
      expect(text).toMatch(/\nI\/O\s+0\s+0\.000/);
    });
  }

  it("a generator body works too, with yield*", async () => {
    const loop = newLoop();
    const tl = await loop.runUntilComplete(function* main() {
      return yield* timeline(function* body() {
        yield* asyncio.sleep(0.005);
      });
    });
    loop.close();
    expect(tl.spans.filter((s) => s.lane === "timers").length).toBe(1);
    const bodyLane = tl.lanes[0] as string;
    expect(tl.spans.filter((s) => s.lane === bodyLane).map((s) => [s.label, s.wokenBy])).toEqual([
      ["Task.step", "soon"],
      ["Task.wakeup", "future"],
    ]);
  });
});

describe("timeline({ seconds })", () => {
  it("records whatever the loop runs for that long", async () => {
    const loop = newLoop();
    let ticks = 0;
    let timer: asyncio.TimerHandle | null = null;
    const tick = (): void => {
      ticks++;
      timer = loop.callLater(0.005, tick);
    };
    timer = loop.callLater(0.005, tick);
    onCleanup(() => timer?.cancel());
    const tl = await loop.runUntilComplete(async () => {
      const before = ticks;
      const t = await timeline({ seconds: 0.06 });
      return { t, ran: ticks - before };
    });
    timer?.cancel();
    loop.close();
    expect(tl.t.duration).toBeGreaterThanOrEqual(60);
    const ticked = tl.t.spans.filter((s) => s.label === "tick");
    expect(ticked.length).toBeGreaterThanOrEqual(5);
    // Every tick that ran while recording is there: the recording ends at the sleep's end.
    expect(ticked.length).toBeLessThanOrEqual(tl.ran);
    expect(ticked.length).toBeGreaterThanOrEqual(tl.ran - 1);
    for (const s of ticked) expect(s).toMatchObject({ lane: "timers", kind: "timer", wokenBy: "timer" });
    expect(loop._recorder).toBe(null);
    expect(_recordingHookEnabled()).toBe(false);
  });

  it("wants a number of seconds", () => {
    expect(() => timeline({ seconds: Number.NaN })).toThrow(TypeError);
    expect(() => timeline({ seconds: -1 })).toThrow(TypeError);
  });
});

describe("debug mode", () => {
  it("marks slow callbacks and still logs them", async () => {
    const loop = newLoop();
    loop.setDebug(true);
    loop.slowCallbackDuration = 0.05;
    const records: LogRecord[] = [];
    const handler = (r: LogRecord): void => {
      records.push(r);
    };
    logger.addHandler(handler);
    onCleanup(() => logger.removeHandler(handler));
    const tl = await loop.runUntilComplete(() =>
      timeline(async () => {
        loop.callSoon(function quick() {});
        loop.callSoon(function busy() {
          const end = performance.now() + 60;
          while (performance.now() < end);
        });
        await asyncio.sleep(0.001);
      }),
    );
    loop.close();
    const busy = tl.spans.find((s) => s.label === "busy");
    expect(busy).toMatchObject({ lane: "callbacks", kind: "callback", wokenBy: "soon", slow: true });
    expect(busy?.duration).toBeGreaterThanOrEqual(50);
    expect(tl.spans.filter((s) => s.slow)).toEqual([busy]);
    expect(tl.spans.find((s) => s.label === "quick")?.slow).toBe(false);
    expect(records.filter((r) => r.message.startsWith("Executing") && r.message.includes("busy()")).length).toBe(1);
    // In the picture: red, and the tooltip says so.
    const rects = spanRects(parseSvg(tl.svg()));
    const red = rects.filter((r) => r.rect.fill === "#d62728");
    expect(red.map((r) => r.title.split("\n")[0])).toEqual(["callbacks: busy (SLOW)"]);
    expect(String(tl)).toContain("1 slow (>= 50 ms, debug mode)");
  });

  it("marks nothing slow outside debug mode", async () => {
    const loop = newLoop();
    loop.setDebug(false);
    loop.slowCallbackDuration = 0.001;
    const tl = await loop.runUntilComplete(() =>
      timeline(async () => {
        loop.callSoon(function busy() {
          const end = performance.now() + 5;
          while (performance.now() < end);
        });
        await asyncio.sleep(0);
        await asyncio.sleep(0);
      }),
    );
    loop.close();
    expect(tl.spans.find((s) => s.label === "busy")?.duration).toBeGreaterThanOrEqual(4);
    expect(tl.spans.some((s) => s.slow)).toBe(false);
  });
});

describe("the SVG", () => {
  it("parses as XML and has a rect with a title per span", async () => {
    const tl = await record(pingPong("async"));
    const root = parseSvg(tl.svg());
    const rects = spanRects(root);
    expect(rects.length).toBe(tl.spans.length);
    // Each title says whose span it is, what ran, when, for how long, and what woke it.
    tl.spans.forEach((s, i) => {
      const title = (rects[i] as { title: string }).title;
      expect(title).toContain(`${s.task ?? s.lane}: ${s.label}`);
      expect(title).toContain(`woken by ${s.wokenBy}`);
      expect(title).toMatch(/start [\d.]+ ms, took [\d.]+ ms/);
    });
    // Spans far shorter than a pixel are still drawn a pixel wide.
    expect(rects.every((r) => Number(r.rect.width) >= 1)).toBe(true);
    // Lane names, the time axis in ms, and the legend are text in the picture.
    const texts = elements(root, "text").map(textOf);
    for (const lane of tl.lanes) expect(texts).toContain(lane);
    expect(texts).toContain("ms");
    expect(texts).toContain("timer");
    expect(texts.filter((t) => /^\d+(\.\d+)?$/.test(t)).length).toBeGreaterThanOrEqual(3);
    // What a notebook shows.
    const bundle = tl._repr_mimebundle_();
    expect(Object.keys(bundle).sort()).toEqual(["image/svg+xml", "text/plain"]);
    expect(bundle["text/plain"]).toBe(String(tl));
  });

  it("draws a loop that mostly waits with its idle stretches short, so a burst's order shows", async () => {
    // Sleeps of 30 ms: the loop is idle most of the time also on a loaded machine.
    const tl = await record(pingPong("async", 0.03));
    const root = parseSvg(tl.svg());
    const texts = elements(root, "text").map(textOf);
    expect(texts.filter((t) => t === "≈").length).toBeGreaterThanOrEqual(3);
    expect(texts.some((t) => t.startsWith("idle stretches over 1 ms are drawn short"))).toBe(true);
    const rects = spanRects(root);
    const xs = tl.spans.map((sp, i) => ({ sp, x: Number((rects[i] as { rect: XmlNode }).rect.x), w: Number((rects[i] as { rect: XmlNode }).rect.width) }));
    // Drawn in the order they ran.
    for (let i = 1; i < xs.length; i++) {
      const a = xs[i - 1]!;
      const b = xs[i]!;
      expect(b.x, `${b.sp.lane} ${b.sp.label} drawn before ${a.sp.lane} ${a.sp.label}`).toBeGreaterThanOrEqual(a.x);
    }
    // Work within a burst gets room: its pixels per millisecond are several times what a plain
    // axis over the whole recording gives (where a burst of a fraction of a millisecond is a
    // hairline). Measured on neighbours less than 1 ms apart.
    const plainScale = 620 / tl.duration;
    const scales = xs.slice(1).flatMap((b, i) => {
      const a = xs[i]!;
      const dt = b.sp.start - a.sp.start;
      return dt > 0.005 && b.sp.start - (a.sp.start + a.sp.duration) < 1 ? [(b.x - a.x) / dt] : [];
    });
    expect(scales.length).toBeGreaterThanOrEqual(5);
    const median = [...scales].sort((p, q) => p - q)[Math.floor(scales.length / 2)]!;
    expect(median / plainScale).toBeGreaterThanOrEqual(3);
  });

  it("keeps a plain time axis for a loop that is busy most of the time", async () => {
    const tl = await record(async () => {
      for (let i = 0; i < 20; i++) {
        const until = performance.now() + 0.5;
        while (performance.now() < until);
        await asyncio.sleep(0);
      }
    });
    const texts = elements(parseSvg(tl.svg()), "text").map(textOf);
    expect(texts).not.toContain("≈");
  });

  it("escapes names for XML, whatever a task is called", async () => {
    const name = `<a & "b's">\u0001\uD800`;
    const tl = await record(async () => {
      await asyncio.createTask(asyncio.sleep(0), { name });
    });
    expect(tl.lanes).toContain(name);
    const root = parseSvg(tl.svg());
    const titles = spanRects(root).map((r) => r.title);
    expect(titles.some((t) => t.startsWith(`<a & "b's">\uFFFD\uFFFD: Task.step`))).toBe(true);
  });

  it(`draws at most ${MAX_DRAWN} spans and says so`, async () => {
    const loop = newLoop();
    const n = MAX_DRAWN + 500;
    const tl = await loop.runUntilComplete(() =>
      timeline(async () => {
        for (let i = 0; i < n; i++) loop.callSoon(function cb() {});
        await asyncio.sleep(0);
        await asyncio.sleep(0);
      }),
    );
    loop.close();
    expect(tl.spans.filter((s) => s.label === "cb").length).toBe(n);
    const svg = tl.svg();
    const root = parseSvg(svg);
    expect(spanRects(root).length).toBe(MAX_DRAWN);
    expect(svg).toContain(`showing the first 5,000 of ${tl.spans.length.toLocaleString("en-US")} spans`);
  });
});

describe("I/O", () => {
  it("records a socket's callbacks in the I/O lane", async () => {
    const loop = newLoop();
    const server = await loop.runUntilComplete(() =>
      asyncio.startServer(
        async (reader, writer) => {
          writer.write(await reader.readline());
          await writer.drain();
          writer.close();
        },
        "127.0.0.1",
        0,
      ),
    );
    const port = (server.sockets[0]!.getsockname() as [string, number])[1];
    let tl: Timeline;
    try {
      tl = await loop.runUntilComplete(() =>
        timeline(async () => {
          const [reader, writer] = await asyncio.openConnection("127.0.0.1", port);
          writer.write("hello\n");
          expect((await reader.readline()).toString()).toBe("hello\n");
          writer.close();
          await writer.waitClosed();
        }),
      );
    } finally {
      server.close();
      await loop.runUntilComplete(server.waitClosed());
      loop.close();
    }
    const io = tl.spans.filter((s) => s.lane === "I/O");
    expect(io.length).toBeGreaterThanOrEqual(2);
    for (const s of io) expect(s).toMatchObject({ kind: "io", wokenBy: "io", task: null });
    expectOneAtATime(tl.spans);
  });
});

describe("stopping", () => {
  it("stops recording when the body throws, and the error comes out", async () => {
    const loop = newLoop();
    const err = await loop
      .runUntilComplete(() =>
        timeline(async () => {
          await asyncio.sleep(0);
          expect(loop._recorder).not.toBe(null);
          expect(_recordingHookEnabled()).toBe(true);
          throw new Error("boom");
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("boom");
    expect(loop._recorder).toBe(null);
    expect(_recordingHookEnabled()).toBe(false);
    // The loop runs on unrecorded.
    await loop.runUntilComplete(asyncio.sleep(0));
    loop.close();
  });

  it("stops recording when the waiting task is cancelled, and cancels the body", async () => {
    const loop = newLoop();
    let bodyCancelled = false;
    const outer = loop.createTask(() =>
      timeline(async () => {
        try {
          await asyncio.sleep(10);
        } catch (e) {
          bodyCancelled = asyncio.isCancelledError(e);
          throw e;
        }
      }),
    );
    loop.callLater(0.01, () => outer.cancel());
    await expect(loop.runUntilComplete(outer)).rejects.toBeInstanceOf(asyncio.CancelledError);
    expect(bodyCancelled).toBe(true);
    expect(loop._recorder).toBe(null);
    expect(_recordingHookEnabled()).toBe(false);
    loop.close();
  });

  it("refuses a second recording of the same loop at once", async () => {
    const loop = newLoop();
    const err = await loop.runUntilComplete(() => timeline(async () => await timeline({ seconds: 0 }))).catch((e: unknown) => e);
    expect((err as Error).message).toBe("a timeline is already recording this loop");
    expect(loop._recorder).toBe(null);
    expect(_recordingHookEnabled()).toBe(false);
    loop.close();
  });
});
