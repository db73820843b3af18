// The fuzzer's message classes: what it sends, and what the kernel must do with each message.
// Each case makes a few "steps" from the generator `g` (fuzzer.mjs): frames for a channel with the
// expectation for its msg_id, or frames for the heartbeat / an iopub XSUB / a raw TCP connection,
// or an action that drives a short exchange itself (input()). Expectations:
//   reply "none": the kernel answers nothing on shell/control/stdin for it; "one": exactly one
//   reply; "any": at most one. iopub "none": not even busy/idle may name it as parent.
// Every tracked message may have at most one reply and one busy, whatever its class (that is what
// catches a replay that ran twice). Messages that must never run carry FORGED_CODE, which counts
// itself in globalThis.__fuzzPwned; the checks read that counter through a signed request.
//
// Cell code is kept away from what is known to end the kernel and is not fuzzed as a failure
// (NOTES.md, "Things noticed"): oxc-parser recursing on the native stack for long operator
// chains without brackets. Deep brackets are sent: is_complete counts them past 2,000 instead of
// parsing, and the compiler refuses cells deeper than 5,000; between 3,500 and 5,000 some kinds
// still crash the parser, and deep code that reaches the type checker ends it: those are
// KNOWN_CASES, kernel bugs this fuzzer found that are not fixed yet. They run only with --known
// (or --only), and fail until they are fixed; then they move up into CASES.

/** Code that must never run: every message that carries it is forged, broken, replayed or misrouted. */
export const FORGED_CODE = "// @ts-nocheck\nglobalThis.__fuzzPwned = (globalThis.__fuzzPwned ?? 0) + 1;";

/** Code that counts its own runs under `id` (replays of it must not count again). */
export function countedCode(id) {
  return `// @ts-nocheck\n((runs) => { runs[${JSON.stringify(id)}] = (runs[${JSON.stringify(id)}] ?? 0) + 1; })(globalThis.__fuzzRuns ??= {});`;
}

/** The user_expressions the health check reads: forged runs, cells run more than once, cells run. */
export const CHECK_EXPRESSIONS = {
  pwned: "Number(globalThis.__fuzzPwned ?? 0)",
  dup: "Object.values(globalThis.__fuzzRuns ?? {}).filter((n) => n !== 1).length",
  runs: "Object.keys(globalThis.__fuzzRuns ?? {}).length",
};

const NONE = { reply: "none", iopub: "none" };
const ONE = { reply: "one", iopub: "any" };
const ANY = { reply: "any", iopub: "any" };
const NO_REPLY = { reply: "none", iopub: "any" };

/** JSON text nested `n` deep (JSON.stringify would overflow writing it). */
export function deepJson(n, kind = "array") {
  return kind === "array" ? "[".repeat(n) + "]".repeat(n) : '{"a":'.repeat(n) + "1" + "}".repeat(n);
}

/** A JSON object's text with `extra` (JSON text) as the value of `field`, after `fields`. */
function withRaw(fields, field, extra) {
  const head = JSON.stringify(fields);
  return Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? "," : ""}${JSON.stringify(field)}:${extra}}`, "utf8");
}

/**
 * A request that must not run nor be answered (g.forgedMessage, signed with `key`), its frames
 * changed by `alter` (given a copy), on a channel picked at random.
 */
function forgedStep(g, key, alter = (frames) => frames) {
  const { id, frames } = g.forgedMessage(key);
  return [{ channel: g.channel(), frames: alter(frames.slice()), id, expect: NONE }];
}

/**
 * A signed message of `type` with a new msg_id (or `step.id`): by default a request on shell that
 * must get one reply; `step` changes the channel, the expectation and so on, `parts` adds the
 * other parts of the message (parent, metadata, buffers).
 */
function signedStep(g, type, content, step = {}, parts = {}) {
  const id = step.id ?? g.id("signed");
  return { channel: "shell", expect: ONE, ...step, id, frames: g.frames({ header: g.header(type, id), content, ...parts }, g.key) };
}

/** Values of every JSON type, and a few that trip String() and property lookups. */
function oddValue(g) {
  return g.rng.pick([
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    2 ** 53 + 1,
    "",
    "x",
    "\u0000",
    "\ud800",
    "💥",
    [],
    [1, "a", null],
    {},
    { a: 1 },
    { toString: 1 },
    { toString: "x", valueOf: 2 },
    { __proto__: null },
    { constructor: 1 },
    "x".repeat(10_000),
    [[[[[[]]]]]],
  ]);
}

/**
 * Cell or request code with deep brackets, unterminated literals, odd characters; never a long
 * operator chain. `deep`: nesting up to 50,000 (for what only oxc-parser reads: is_complete, and
 * cells marked `// @ts-nocheck`); otherwise up to 2,000, and 500 for `A<`, since code that reaches
 * the type checker deeper than that disables it or runs it away (checker-killers).
 */
function oddCode(g, deep) {
  const open = g.rng.pick(["(", "[", "{", "A<", "`${", "f(", "{a:", "[[", "x["]);
  const close = { "(": ")", "[": "]", "{": "}", "A<": ">", "`${": "}`", "f(": ")", "{a:": "}", "[[": "]]", "x[": "]" }[open];
  // Not 3,500 to 5,000: the compiler's guard lets those through, and some kinds crash oxc-parser
  // there (known-compile-depth). Past 5,000 the compiler refuses the cell before parsing.
  const depths = deep ? [10, 100, 1999, 2000, 2001, 2500, 5001, 10_000, 50_000] : [10, 100, 500, 1000, 2000];
  const n = deep || open !== "A<" ? g.rng.pick(depths) : g.rng.pick([10, 100, 500]);
  return g.rng.pick([
    () => open.repeat(n),
    () => open.repeat(n) + close.repeat(n),
    () => open.repeat(n) + close.repeat(g.rng.int(n)),
    () => close.repeat(n),
    () => "1;" + open.repeat(n) + "\n",
    () => "'" + "a".repeat(g.rng.int(5000)),
    () => "`" + "a\n".repeat(g.rng.int(2000)),
    () => "/*" + "x".repeat(g.rng.int(5000)),
    () => "/" + "a".repeat(g.rng.int(100)),
    () => "\ud800\udfff\ud800" + "💥".repeat(g.rng.int(100)),
    () => "\u0000\u0001\u001b[31m",
    () => "\r\n\r".repeat(g.rng.int(100)),
    () => "",
    () => " ",
    () => "\n\n\n",
    () => "async function f() {\n  await ",
    () => "const x: Array<Array<Map<string, " + "Set<".repeat(100),
    () => "class A { " + "m() {} ".repeat(g.rng.int(1000)),
    () => bracketSoup(g, g.rng.int(4000)),
    () => "a.".repeat(g.rng.int(200)),
    () => "asyncio.".repeat(g.rng.int(50)) + "sl",
  ])();
}

/** Brackets, names and commas at random (no operators: long chains of those are the known crash). */
function bracketSoup(g, n) {
  const pieces = ["(", ")", "[", "]", "{", "}", "a", "b1", ",", " ", "\n", "'s'", "1"];
  let s = "";
  for (let i = 0; i < n; i++) s += g.rng.pick(pieces);
  return s;
}

/** A request of a type the kernel answers, with content that is odd in every field it reads. */
function pathologicalRequest(g) {
  const type = g.rng.pick(["is_complete_request", "complete_request", "inspect_request", "history_request", "comm_info_request", "kernel_info_request"]);
  // is_complete is oxc-parser's alone; complete and inspect go to the type checker first.
  const code = checkable(g.rng.chance(0.8) ? oddCode(g, type === "is_complete_request") : oddValue(g), type !== "is_complete_request");
  const len = typeof code === "string" ? code.length : 0;
  const cursor = g.rng.pick([-1, -1e9, 0, len, len + 1, Math.floor(len / 2), 1e12, 2 ** 53, 1.5, "5", null, [], {}, true, undefined]);
  switch (type) {
    case "is_complete_request":
      return { type, content: { code } };
    case "complete_request":
      return { type, content: { code, cursor_pos: cursor } };
    case "inspect_request":
      return { type, content: { code, cursor_pos: cursor, detail_level: g.rng.pick([0, 1, 2, -1, "x", null, 1e9]) } };
    case "history_request":
      return { type, content: historyContent(g) };
    case "comm_info_request":
      return { type, content: { target_name: oddValue(g) } };
    default:
      return { type, content: g.rng.chance(0.5) ? {} : { junk: oddValue(g) } };
  }
}

function historyContent(g) {
  const c = {
    output: g.rng.pick([true, false, "yes", null]),
    raw: g.rng.pick([true, false, 1]),
    hist_access_type: g.rng.pick(["tail", "range", "search", "", "x", null, 5, [], "__proto__"]),
  };
  if (g.rng.chance(0.7)) c.n = g.rng.pick([0, 1, -1, -5, 1e9, 1.5, "3", null, -1e308, 1e308, 2 ** 31]);
  if (g.rng.chance(0.5)) c.start = g.rng.pick([0, -1, 1e9, "1", null, 1.5]);
  if (g.rng.chance(0.5)) c.stop = g.rng.pick([0, -1, 1e9, "2", null, -1e308]);
  if (g.rng.chance(0.5)) c.session = g.rng.pick([0, -1, 1, "x", null]);
  // At most three `*`: more, against a history of ordinary cells, is the known backtracking
  // blow-up (KNOWN_CASES, history-search-backtracking).
  if (g.rng.chance(0.7))
    c.pattern = g.rng.pick(["*", "?", "", "[", "\\", "(", ".*", "a*b?c", "\u0000", "💥*", "*a*b*", "^$", "${x}", 1, null, "x".repeat(10_000), { toString: 1 }]);
  if (g.rng.chance(0.3)) c.unique = g.rng.pick([true, "yes", 0]);
  return c;
}

/**
 * `code` as it may reach the type checker: a lone UTF-16 surrogate there ends it for the session
 * (checker-killers), so it is made well-formed when `checked`.
 */
function checkable(code, checked) {
  return checked && typeof code === "string" && !code.startsWith("// @ts-nocheck") ? code.toWellFormed() : code;
}

/** An execute_request whose fields are odd (signed; its code is harmless whatever it is). */
function oddExecute(g) {
  const content = {
    code: checkable(
      g.rng.pick([
        () => oddValue(g),
        () =>
          g.rng.pick([
            "1",
            "",
            "exit",
            "quit()",
            "}{",
            "let x: number = 'a'",
            "// @ts-nocheck\n'\\ud800'",
            "'\\u0000'.repeat(1000)",
            "// @ts-nocheck\nthrow 1",
            "await 1",
            "undefined",
          ]),
        () => oddCode(g, false),
        // Unchecked, so as deep as oxc-parser goes (and past the 5,000 the compiler refuses).
        () => `// @ts-nocheck\n${oddCode(g, true)}`,
      ])(),
      true,
    ),
    silent: g.rng.pick([false, true, "yes", 1, null]),
    store_history: g.rng.pick([true, false, "no", 0, null]),
    user_expressions: g.rng.pick([{}, { a: "1 + 1" }, { a: "}" }, { a: "throw 1" }, { a: 5 }, { __proto__: "1" }, [], "abc", 5, null, { a: { toString: 1 } }]),
    // Never true here: a cell calling input() with no answer coming would hold the shell queue.
    allow_stdin: false,
    stop_on_error: g.rng.pick([false, true, "false", null]),
  };
  return content;
}

/**
 * Cells that run to the end and leave the kernel as it was, with results and errors that are odd
 * to show. (The ones that end the kernel today are in KNOWN_CASES.)
 */
export const ODD_CELLS = [
  "throw null",
  "throw undefined",
  "throw Symbol('s')",
  "throw 10n",
  "throw Object.create(null)",
  "throw new Proxy({}, { get() { throw new Error('trap'); } })",
  "throw Object.assign(new Error('m'), { name: { toString: 1 } })",
  "const e = new Error('no stack'); e.stack = undefined; throw e",
  "new Proxy({}, { get() { throw new Error('trap'); } })",
  "Object.create(null)",
  "({ [Symbol.toPrimitive]() { throw new Error('prim'); } })",
  "new (class { get y() { throw new Error('getter'); } })()",
  "const a: any = {}; a.self = a; a",
  "let d: any = []; for (let i = 0; i < 100000; i++) d = [d]; d",
  "({ _repr_mimebundle_() { throw new Error('no bundle'); } })",
  "({ _repr_mimebundle_() { const a: any = {}; a.a = a; return { 'text/plain': a }; } })",
  "({ _repr_mimebundle_: () => 5 })",
  "({ _repr_mimebundle_: () => null })",
  "let d: any = []; for (let i = 0; i < 100000; i++) d = [d]; display({ _repr_mimebundle_: () => ({ 'application/json': d }) }); display({ _repr_mimebundle_: () => ({ 'application/json': d }) }); 1",
  "display(1, { displayId: {} as any }); 1",
  "updateDisplay(1, null as any)",
  "clearOutput('yes' as any); 1",
  "page({ toString() { throw new Error('page'); } })",
  "input(5 as any)",
  "Promise.reject(new Proxy({}, { get() { throw new Error('trap'); } })); 1",
  "Promise.reject(Object.create(null)); 1",
  "(async () => { throw undefined; })(); 1",
  "queueMicrotask(() => { throw null; }); 1",
  "setTimeout(() => { throw null; }, 0); 1",
  "await new Promise((r) => setTimeout(r, 5)); throw new Proxy({}, { get() { throw new Error('trap'); } })",
  "'x'.repeat(2 ** 20).length",
  "'\\ud800'",
  "console.log('\\u0000'.repeat(1000)); console.error('\\udfff'); 1",
  "process.stdout.write(new Uint8Array([0xff, 0xfe])); 1",
  "new Error('e')",
  "[Symbol('a'), 10n, () => 1, new Map([[{}, []]]), new WeakMap()]",
  "await Promise.resolve({ then(r: any) { r(5); } })",
  // Once known-hostile-cell: they ended the kernel process (an exception escaping its
  // uncaughtException handler) or got no reply.
  "const p: any = new Proxy({}, { get() { throw p; }, has() { throw p; }, ownKeys() { throw p; }, getPrototypeOf() { throw p; }, getOwnPropertyDescriptor() { throw p; } }); throw p;",
  "const p: any = new Proxy({}, { get() { throw p; }, ownKeys() { throw p; }, getPrototypeOf() { throw p; }, getOwnPropertyDescriptor() { throw p; } }); p",
  "setTimeout(() => { throw new Proxy({}, { get() { throw new Error('trap'); } }); }, 0); 1",
  "queueMicrotask(() => { throw Object.create(null); }); 1",
  "const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { throw e; } }); throw e;",
];

/** The cases of the default run, with weights (how often each is picked). */
export const CASES = [
  {
    name: "random-bytes",
    about: "1-6 frames of random bytes on shell, control or stdin",
    weight: 8,
    make: (g) => [{ channel: g.channel(), frames: Array.from({ length: 1 + g.rng.int(6) }, () => g.rng.bytes(g.rng.int(2048))) }],
  },
  {
    name: "after-delimiter-garbage",
    about: "the delimiter, then 0-8 random or empty frames",
    weight: 6,
    make: (g) => [
      { channel: g.channel(), frames: [g.DELIMITER, ...Array.from({ length: g.rng.int(9) }, () => (g.rng.chance(0.3) ? Buffer.alloc(0) : g.rng.bytes(g.rng.int(300))))] },
    ],
  },
  {
    name: "no-delimiter",
    about: "a signed message with its delimiter missing, misspelt or moved after the JSON frames",
    weight: 6,
    make: (g) =>
      forgedStep(g, g.key, (frames) => {
        const rest = frames.slice(1);
        return g.rng.pick([
          () => rest,
          () => [Buffer.from(g.rng.pick(["<IDS|MSG", "<ids|msg>", "<IDS|MSG> ", "IDS|MSG", "<IDS|MSG>\u0000"])), ...rest],
          () => [...rest.slice(0, 2), g.DELIMITER, ...rest.slice(2)],
          () => [...rest, g.DELIMITER],
        ])();
      }),
  },
  {
    name: "truncated",
    about: "a signed message cut to fewer than five frames after the delimiter, or with a JSON frame cut short",
    weight: 8,
    make: (g) =>
      forgedStep(g, g.key, (frames) => {
        if (g.rng.chance(0.5)) return frames.slice(0, 1 + g.rng.int(5));
        const k = 2 + g.rng.int(4);
        frames[k] = frames[k].subarray(0, g.rng.int(frames[k].length));
        return frames;
      }),
  },
  {
    name: "wrong-key",
    about: "execute, shutdown, interrupt or kernel_info signed with another key",
    weight: 8,
    make: (g) => forgedStep(g, g.otherKey),
  },
  {
    name: "bad-hmac",
    about: "the right message with a signature that is wrong: random, zeros, upper case, one hex digit off, cut, padded, of other frames",
    weight: 10,
    make: (g) =>
      forgedStep(g, g.key, (frames) => {
        const right = frames[1].toString("latin1");
        const flip = (s, i) => s.slice(0, i) + (s[i] === "0" ? "1" : "0") + s.slice(i + 1);
        const sig = g.rng.pick([
          () => g.rng.hex(64),
          () => "0".repeat(64),
          () => right.toUpperCase(),
          () => flip(right, g.rng.int(64)),
          () => right.slice(0, 63),
          () => right + "0",
          () => right + "\n",
          () => " " + right,
          () => right.slice(0, 40),
          () => g.sign([frames[3], frames[2], frames[4], frames[5]]),
          () => g.sign([frames[2], frames[3], frames[4]]),
          () => g.sign([Buffer.from("{}"), frames[3], frames[4], frames[5]]),
          () => "z".repeat(64),
          () => "\u00ff".repeat(64),
        ])();
        frames[1] = Buffer.from(sig, "latin1");
        return frames;
      }),
  },
  {
    name: "unsigned",
    about: "a message with an empty signature (the kernel has a key)",
    weight: 4,
    make: (g) =>
      forgedStep(g, g.key, (frames) => {
        frames[1] = Buffer.alloc(0);
        return frames;
      }),
  },
  {
    name: "bad-json",
    about: "signed, with one of the four JSON frames not JSON or not an object (and forged code in content)",
    weight: 8,
    make: (g) => {
      const id = g.id("forged");
      const parts = { header: g.header("execute_request", id), parent: {}, metadata: {}, content: { code: FORGED_CODE, silent: false, stop_on_error: false } };
      const which = g.rng.pick(["header", "parent", "metadata", "content"]);
      const broken = g.rng.pick([
        '{"a":',
        '{"a":1,}',
        "{'a':1}",
        '{"a":NaN}',
        "\uFEFF{}",
        "",
        "null",
        "[]",
        "5",
        '"s"',
        "true",
        '{"a":1}x',
        "{}{}",
        '{"a":"\\u12"}',
        "\u0000",
        "[" + "{}".repeat(3) + "]",
      ]);
      const m = { ...parts, [which]: Buffer.from(broken, "utf8") };
      return [{ channel: g.channel(), frames: g.frames(m, g.key), id, expect: NONE }];
    },
  },
  {
    name: "wrong-types",
    about: "signed, with a header that is not an object, a msg_type that is not a string, or content/metadata/parent that are not objects",
    weight: 8,
    make: (g) => {
      const id = g.id("forged");
      const header = g.header("execute_request", id);
      const content = { code: FORGED_CODE, stop_on_error: false };
      const m = g.rng.pick([
        () => ({ header: g.rng.pick([[header], "execute_request", 5, null, true, []]), content }),
        () => ({ header: { ...header, msg_type: g.rng.pick([5, null, true, [], {}, ["execute_request"], { toString: "execute_request" }]) }, content }),
        () => {
          const h = { ...header };
          delete h.msg_type;
          return { header: h, content };
        },
        () => ({ header, content: g.rng.pick([[content], "code", 5, null, [FORGED_CODE]]) }),
        () => ({ header, metadata: g.rng.pick([[], "m", 5, null]), content }),
        () => ({ header, parent: g.rng.pick([[], "p", 5, null]), content }),
      ])();
      return [{ channel: g.channel(), frames: g.frames(m, g.key), id, expect: NONE }];
    },
  },
  {
    name: "odd-fields",
    about: "signed requests with header fields missing or of other types, content fields of every type, extra buffers",
    weight: 10,
    make: (g) => {
      const variant = g.rng.int(3);
      const req = g.rng.chance(0.4) ? { type: "execute_request", content: oddExecute(g) } : pathologicalRequest(g);
      const channel = req.type === "execute_request" ? "shell" : g.rng.pick(["shell", "control"]);
      if (variant === 0) {
        // Header fields missing or odd: tracked only while msg_id is still the one made here.
        const made = g.id("signed");
        const header = g.header(req.type, made);
        for (const f of ["msg_id", "session", "username", "date", "version"]) {
          if (g.rng.chance(0.3)) delete header[f];
          else if (g.rng.chance(0.2)) header[f] = oddValue(g);
        }
        if (g.rng.chance(0.2)) header.subshell_id = oddValue(g);
        const id = header.msg_id === made ? made : undefined;
        return [{ channel, frames: g.frames({ header, content: req.content }, g.key), id, expect: ANY }];
      }
      const id = g.id("signed");
      const buffers = variant === 2 ? Array.from({ length: 1 + g.rng.int(4) }, () => g.rng.bytes(g.rng.int(5000))) : [];
      return [
        {
          channel,
          frames: g.frames(
            {
              header: g.header(req.type, id),
              parent: g.rng.chance(0.3) ? { msg_id: oddValue(g) } : {},
              metadata: g.rng.chance(0.3) ? { x: oddValue(g) } : {},
              content: req.content,
              buffers,
            },
            g.key,
          ),
          id,
          expect: ONE,
          remember: true,
        },
      ];
    },
  },
  {
    name: "deep-json",
    about: "10,000- and 100,000-deep JSON in header, parent_header, metadata or content (signed and forged)",
    weight: 6,
    make: (g) => {
      const n = g.rng.pick([10_000, 100_000]);
      const deep = deepJson(n, g.rng.pick(["array", "object"]));
      const where = g.rng.pick(["header", "parent", "metadata", "content", "code", "user_expressions", "comm_id", "forged"]);
      const id = g.id(where === "forged" ? "forged" : "signed");
      const header = g.header(where === "comm_id" ? "comm_open" : g.rng.pick(["kernel_info_request", "is_complete_request", "execute_request"]), id);
      const content = header.msg_type === "execute_request" ? { code: "1", stop_on_error: false } : header.msg_type === "is_complete_request" ? { code: "1 +" } : {};
      switch (where) {
        case "header":
          // Cannot be written back as a parent (JSON.stringify overflows at this depth, on Node 20
          // and 24): dropped before any busy; when it can, the kernel may answer. Either way at
          // most once, and only harmless code is in it.
          return [{ channel: g.rng.pick(["shell", "control"]), frames: g.frames({ header: withRaw(header, "deep", deep), content }, g.key), id, expect: ANY }];
        case "parent":
          return [{ channel: "shell", frames: g.frames({ header, parent: withRaw({ msg_id: "p" }, "deep", deep), content }, g.key), id, expect: ONE }];
        case "metadata":
          return [{ channel: "shell", frames: g.frames({ header, metadata: withRaw({}, "deep", deep), content }, g.key), id, expect: ONE }];
        case "content":
          return [{ channel: "shell", frames: g.frames({ header, content: withRaw(content, "deep", deep) }, g.key), id, expect: ONE }];
        case "code": {
          const h = g.header("execute_request", id);
          return [{ channel: "shell", frames: g.frames({ header: h, content: withRaw({ stop_on_error: false }, "code", deep) }, g.key), id, expect: ONE }];
        }
        case "user_expressions": {
          const h = g.header("execute_request", id);
          return [
            {
              channel: "shell",
              frames: g.frames({ header: h, content: withRaw({ code: "1", stop_on_error: false }, "user_expressions", `{"a":${deep}}`) }, g.key),
              id,
              expect: ONE,
            },
          ];
        }
        case "comm_id":
          return [{ channel: "shell", frames: g.frames({ header, content: withRaw({ target_name: "fuzz", data: {} }, "comm_id", deep) }, g.key), id, expect: NO_REPLY }];
        default: {
          const h = g.header("execute_request", id);
          const frames = g.frames({ header: h, metadata: withRaw({}, "deep", deep), content: { code: FORGED_CODE } }, g.otherKey);
          return [{ channel: g.channel(), frames, id, expect: NONE }];
        }
      }
    },
  },
  {
    name: "huge-frame",
    about: "10 MB frames: forged, signed metadata, signed buffers, random (a few per run: --huge)",
    weight: 2,
    make: (g) => {
      if (!g.takeHuge()) return [];
      const size = 10 * 1024 * 1024;
      const pad = "x".repeat(size);
      const variant = g.rng.int(4);
      if (variant === 0) {
        const id = g.id("forged");
        const frames = g.frames({ header: g.header("execute_request", id), content: { code: `${FORGED_CODE}\n// ${pad}` } }, g.otherKey);
        return [{ channel: g.channel(), frames, id, expect: NONE }];
      }
      if (variant === 1) return [signedStep(g, "kernel_info_request", {}, { channel: g.rng.pick(["shell", "control"]) }, { metadata: { pad } })];
      if (variant === 2) return [signedStep(g, "comm_info_request", {}, {}, { buffers: [g.rng.bytes(size)] })];
      return [{ channel: g.channel(), frames: [g.rng.bytes(size)] }];
    },
  },
  {
    name: "huge-msg-type",
    about: "a signed message whose msg_type is 100 KB to 1 MB long",
    weight: 2,
    make: (g) => {
      const type = g.rng.pick(["x", "_request", "comm_", "execute_request"]).repeat(g.rng.pick([100_000, 1_000_000]) / 10);
      return [signedStep(g, type, {}, { channel: g.rng.pick(["shell", "control"]), expect: NO_REPLY })];
    },
  },
  {
    name: "unknown-type",
    about: "signed messages of types the kernel does not handle: Object.prototype's names, replies, broadcasts, case and NUL variants",
    weight: 8,
    make: (g) => {
      const type = g.rng.pick([
        "constructor",
        "toString",
        "__proto__",
        "hasOwnProperty",
        "valueOf",
        "__defineGetter__",
        "isPrototypeOf",
        "prototype",
        "execute_reply",
        "kernel_info_reply",
        "status",
        "stream",
        "execute_result",
        "input_request",
        "iopub_welcome",
        "",
        " ",
        "execute_request\u0000",
        "EXECUTE_REQUEST",
        " execute_request",
        "execute_request ",
        "kernel_info",
        "comm_msg",
        "comm_close",
        "debug_request",
        "usage_request",
        "create_subshell_request",
        "list_subshell_request",
        "\ud800",
        "💥_request",
      ]);
      return [signedStep(g, type, { code: FORGED_CODE, comm_id: "nope", data: {} }, { channel: g.rng.pick(["shell", "control"]), expect: NO_REPLY, remember: true })];
    },
  },
  {
    name: "wrong-channel",
    about: "signed requests on stdin (where only input_reply is read), with forged code and shutdown among them",
    weight: 4,
    make: (g) => {
      const type = g.rng.pick(["execute_request", "execute_request", "shutdown_request", "kernel_info_request", "interrupt_request", "is_complete_request"]);
      return [signedStep(g, type, { code: FORGED_CODE, restart: false }, { channel: "stdin", expect: NONE })];
    },
  },
  {
    name: "input-no-waiter",
    about: "signed input_reply on stdin while no input() waits, and on shell or control",
    weight: 3,
    make: (g) => {
      const channel = g.rng.pick(["stdin", "stdin", "shell", "control"]);
      return [signedStep(g, "input_reply", { value: g.rng.chance(0.5) ? "late" : oddValue(g), status: "ok" }, { channel, expect: channel === "stdin" ? NONE : NO_REPLY })];
    },
  },
  {
    name: "pathological-request",
    about: "signed is_complete/complete/inspect/history/comm_info/kernel_info with deep brackets, cursors out of range, odd params",
    weight: 12,
    make: (g) => {
      const req = pathologicalRequest(g);
      return [signedStep(g, req.type, req.content, { channel: g.rng.chance(0.75) ? "shell" : "control", remember: true })];
    },
  },
  {
    name: "comm",
    about: "signed comm_open to unknown targets (answered by comm_close), comm_msg/comm_close for comms that do not exist",
    weight: 4,
    make: (g) => {
      const type = g.rng.pick(["comm_open", "comm_open", "comm_msg", "comm_close"]);
      const content = {
        comm_id: g.rng.chance(0.6) ? g.id("comm") : oddValue(g),
        target_name: g.rng.chance(0.5) ? g.rng.pick(["", "jupyter.widget", "__proto__", "constructor", "x".repeat(100_000)]) : oddValue(g),
        data: g.rng.chance(0.7) ? {} : oddValue(g),
      };
      return [signedStep(g, type, content, { channel: g.rng.pick(["shell", "control"]), expect: NO_REPLY })];
    },
  },
  {
    name: "odd-cell",
    about: "signed cells whose results and errors are odd to show: proxies, null prototypes, cycles, 100,000-deep values, failing bundles, late errors",
    weight: 4,
    make: (g) => [
      signedStep(g, "execute_request", {
        code: `// @ts-nocheck\n${g.rng.pick(ODD_CELLS)}`,
        silent: g.rng.chance(0.2),
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: false,
      }),
    ],
  },
  {
    name: "counted-execute",
    about: "a signed cell that counts its own runs (replays of it are sent by the replay class)",
    weight: 6,
    make: (g) => {
      const id = g.id("signed");
      g.counted.add(id);
      return [
        signedStep(
          g,
          "execute_request",
          { code: countedCode(id), silent: g.rng.chance(0.2), store_history: g.rng.chance(0.5), user_expressions: {}, allow_stdin: false, stop_on_error: false },
          { id, remember: true },
        ),
      ];
    },
  },
  {
    name: "replay",
    about: "a signed message sent again: as it was, on another channel, behind other routing frames, with other buffers",
    weight: 12,
    make: (g) => {
      const r = g.pickReplay();
      if (r === undefined) return [];
      const channel = g.rng.chance(0.6) ? r.channel : g.replayChannel(r);
      const frames = g.rng.pick([() => r.frames, () => [g.rng.bytes(1 + g.rng.int(20)), ...r.frames], () => [...r.frames.slice(0, 6), g.rng.bytes(g.rng.int(100))]])();
      return [{ channel, frames, replayOf: r.id }];
    },
  },
  {
    name: "interrupt",
    about: "a signed interrupt_request on control, whatever runs (often nothing)",
    weight: 2,
    make: (g) => [signedStep(g, "interrupt_request", {}, { channel: "control" })],
  },
  {
    name: "input-forged",
    about: "a cell waits in input(): forged, replayed and misrouted input_reply first, then the signed one, whose value the cell must get",
    weight: 2,
    make: (g) => {
      const value = g.rng.pick([`ok-${g.id("answer")}`, "", "💥\n\u0000", "x".repeat(100_000), 5, -1.5]);
      return [{ action: (ctx, cls) => ctx.inputExchange(cls, value) }];
    },
  },
  {
    name: "heartbeat-garbage",
    about: "pings a REQ never sends, to the heartbeat's REP from a DEALER: empty, many or 1 MB frames after the envelope",
    weight: 3,
    make: (g) => {
      // (Without the envelope's empty frame: heartbeat-malformed.)
      const frames = g.rng.pick([
        () => [Buffer.alloc(0), Buffer.alloc(0)],
        () => [Buffer.alloc(0), ...Array.from({ length: 1 + g.rng.int(5) }, () => g.rng.bytes(g.rng.int(100)))],
        () => [g.rng.bytes(1 + g.rng.int(20)), Buffer.alloc(0), g.rng.bytes(g.rng.int(100))],
        () => [Buffer.alloc(0), g.rng.bytes(1024 * 1024)],
      ])();
      return [{ socket: "heartbeat", frames }];
    },
  },
  {
    name: "iopub-garbage",
    about: "subscription frames to the iopub XPUB from an XSUB: random topics, unsubscribes, other first bytes, 1 MB topics",
    weight: 3,
    make: (g) => {
      const frames = g.rng.pick([
        () => [Buffer.concat([Buffer.from([1]), g.rng.bytes(g.rng.int(50))])],
        () => [Buffer.concat([Buffer.from([0]), g.rng.bytes(g.rng.int(50))])],
        () => [Buffer.concat([Buffer.from([2 + g.rng.int(250)]), g.rng.bytes(g.rng.int(50))])],
        () => [Buffer.alloc(0)],
        () => [Buffer.from([1])],
        () => Array.from({ length: 2 + g.rng.int(3) }, () => g.rng.bytes(g.rng.int(50))),
        () => [Buffer.concat([Buffer.from([1]), g.rng.bytes(g.rng.int(1024 * 1024))])],
      ])();
      return [{ socket: "iopub", frames }];
    },
  },
  {
    name: "raw-tcp",
    about: "a TCP connection that speaks no ZMTP: random bytes (not to the heartbeat), a cut greeting, an unknown mechanism, garbage after a NULL handshake",
    weight: 2,
    make: (g) => {
      const greeting = Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f]);
      const variant = g.rng.int(4);
      // Random bytes to the heartbeat: heartbeat-malformed.
      const ports = variant === 0 ? ["shell_port", "iopub_port", "stdin_port", "control_port"] : ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"];
      const bytes = [
        () => g.rng.bytes(1 + g.rng.int(4096)),
        () => greeting.subarray(0, 1 + g.rng.int(10)),
        () => Buffer.concat([greeting, Buffer.from([3, 0]), Buffer.from("CURVE".padEnd(20, "\0")), g.rng.bytes(g.rng.int(300))]),
        () => Buffer.concat([greeting, Buffer.from([3, 1]), Buffer.from("NULL".padEnd(20, "\0")), Buffer.alloc(32), g.rng.bytes(g.rng.int(3000))]),
      ][variant]();
      return [{ socket: "tcp", port: g.rng.pick(ports), bytes }];
    },
  },
  {
    name: "heartbeat-malformed",
    about:
      "to the heartbeat port (no key needed), one message without the REQ envelope's empty frame, or random bytes over TCP (read as ZMTP 1.0 frames): once ended the kernel's echo for good (a REP socket); the echo must go on",
    weight: 1,
    make: (g) =>
      g.rng.chance(0.5)
        ? [{ socket: "heartbeat", frames: g.rng.pick([() => [g.rng.bytes(1 + g.rng.int(100))], () => [Buffer.alloc(0)], () => [g.rng.bytes(5), g.rng.bytes(5)]])() }]
        : [{ socket: "tcp", port: "hb_port", bytes: g.rng.bytes(1 + g.rng.int(4096)) }],
  },
  {
    name: "input-reply-value",
    about: "input() answered by a signed input_reply whose value String() cannot convert: once ended the stdin socket; the cell must get its JSON",
    weight: 1,
    make: () => [{ action: (ctx, cls) => ctx.inputExchange(cls, { toString: 1 }) }],
  },
  {
    name: "compile-depth",
    about:
      "a cell nesting `x[`, `f(`, `{a:`, `` `${ `` or `A<` 4,999 deep (`x[` from 3,500): oxc-parser once overflowed the native stack under the compiler's old 5,000 guard (SIGSEGV); now refused past 2,500, and the compile worker's stack is raised",
    weight: 1,
    make: (g) => [signedStep(g, "execute_request", { code: `// @ts-nocheck\n${g.rng.pick(["x[", "f(", "{a:", "`${", "A<"]).repeat(4999)}`, stop_on_error: false })],
  },
  {
    name: "checker-killers",
    about:
      "code reaching the type checker (a completion, an inspection, a checked cell) that once ended it for the session (the kernel keeps such code from it now): a lone UTF-16 surrogate (TypeScript 7's JSON decoder panics), `{a:` nested 5,000 deep or more (a stack overflow); or 10,000 nested `A<`, which keep its process busy for minutes (the kernel then cannot shut down, and the process outlives a killed kernel)",
    weight: 1,
    make: (g) => {
      // 6,000 deep: a cell the compiler refuses (over 5,000) is still sent to the checker.
      const code = g.rng.pick(["let s = '\ud800';", "{a:".repeat(6000), "A<".repeat(10_000)]);
      const type = g.rng.pick(["complete_request", "inspect_request", "execute_request"]);
      return [signedStep(g, type, type === "execute_request" ? { code, stop_on_error: false } : { code, cursor_pos: code.length })];
    },
  },
  {
    name: "history-search-backtracking",
    about: "history_request search with many `*`: as a regular expression it backtracked for minutes on the main thread; the kernel must answer at once",
    weight: 1,
    make: (g) => [
      signedStep(g, "execute_request", { code: `// ${"a".repeat(60)}\n1`, stop_on_error: false }),
      signedStep(g, "history_request", { hist_access_type: "search", pattern: "*a".repeat(14) + "*z", output: false, raw: true }),
    ],
  },
  {
    name: "completion-backtracking",
    about:
      "complete/inspect at the end of a long run of name characters followed by one more character: the live-value regex was quadratic on the main thread; the kernel must answer at once",
    weight: 1,
    make: (g) => {
      const code = "a".repeat(200_000) + "!";
      return [signedStep(g, g.rng.pick(["complete_request", "inspect_request"]), { code, cursor_pos: code.length })];
    },
  },
  {
    name: "replay-to-control",
    about:
      "a kernel_info_request or interrupt_request first sent on shell, replayed on control: the control thread once answered it again (it keeps its own signature history, and now learns what the main thread accepted)",
    weight: 4,
    make: (g) => {
      const original = signedStep(g, g.rng.pick(["kernel_info_request", "interrupt_request"]), {}, { waitProcessed: true });
      // The replay goes out once the original was read: its signature is in the history by then.
      return [original, { channel: "control", frames: original.frames, replayOf: original.id }];
    },
  },
];

/**
 * Kernel bugs found by this fuzzer and not fixed yet: `--known` adds them to the run (each makes
 * checks fail, or ends the kernel, until it is fixed; then it moves up into CASES).
 * `npm run fuzz -- --only NAME --count 6 --check-every 3` shows one of them.
 */
export const KNOWN_CASES = [];
