// The loop-cost workloads of `npm run bench -- interrupt` (loops.mjs runs them, run.mjs prints their titles).

/** Each workload: a cell whose result is how many iterations (or calls) it made. */
export const LOOPS = [
  { name: "empty", title: "for (let i = 0; i < n; i++) s += i", n: 200_000_000, code: (n) => `let s = 0;\nfor (let i = 0; i < ${n}; i++) s += i;\n${n}` },
  {
    name: "empty, local",
    title: "the same loop inside a function (locals, the tightest loop there is)",
    n: 500_000_000,
    code: (n) => `function spin(k: number): number {\n  let s = 0;\n  for (let i = 0; i < k; i++) s += i;\n  return s;\n}\nspin(${n});\n${n}`,
  },
  {
    name: "for-of",
    title: "for (const x of array) t += x (array of 10^7 numbers)",
    n: 10_000_000,
    code: (n) => `const a: number[] = [];\nfor (let i = 0; i < ${n}; i++) a.push(i);\nlet t = 0;\nfor (const x of a) t += x;\n${2 * n}`,
  },
  {
    name: "calls",
    title: "fib(32), recursive: 7 million calls",
    n: 7_049_155,
    code: () => `function fib(k: number): number { return k < 2 ? k : fib(k - 1) + fib(k - 2); }\nfib(32);\n7049155`,
  },
  {
    name: "map",
    title: "a Map counter: m.set(k, (m.get(k) ?? 0) + 1), 10^7 times",
    n: 10_000_000,
    code: (n) => `const m = new Map<number, number>();\nfor (let i = 0; i < ${n}; i++) { const k = i % 1000; m.set(k, (m.get(k) ?? 0) + 1); }\n${n}`,
  },
  {
    name: "strings",
    title: "building a string of 10^6 parts with a template and join",
    n: 1_000_000,
    code: (n) => `const parts: string[] = [];\nfor (let i = 0; i < ${n}; i++) parts.push(\`item \${i}\`);\nparts.join(",").length > 0 ? ${n} : 0`,
  },
];
