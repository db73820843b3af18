// Routes of the web layer and of aiorest: a method, a path pattern with `{name}` parameters, and a
// handler. Matching only; calling handlers and writing answers is web/app.ts's and rest/server.ts's.

/** The result of looking a request up: its route and parameters, or why there is none. */
export type RouteMatch<H> =
  | { readonly kind: "found"; readonly handler: H; readonly matchInfo: Record<string, string> }
  | { readonly kind: "notFound" }
  | { readonly kind: "methodNotAllowed"; readonly allowed: readonly string[] }
  | { readonly kind: "badPath" };

interface Route<H> {
  readonly method: string;
  readonly pattern: string;
  readonly regexp: RegExp | null;
  readonly names: readonly string[];
  readonly handler: H;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Compiles a path pattern: `{name}` matches one path segment, `{name:regexp}` what the regexp
 * matches (aiohttp's syntax). Returns null for a pattern without parameters.
 * @throws Error for an unclosed `{`, an empty name or a name used twice.
 */
export function compilePattern(pattern: string): { regexp: RegExp; names: string[] } | null {
  if (!pattern.includes("{")) return null;
  const names: string[] = [];
  let source = "^";
  let i = 0;
  while (i < pattern.length) {
    const open = pattern.indexOf("{", i);
    if (open === -1) {
      source += escapeRegExp(pattern.slice(i));
      break;
    }
    source += escapeRegExp(pattern.slice(i, open));
    // The regexp part may hold braces of its own ({2,3}): find the brace that closes this one.
    let depth = 0;
    let close = -1;
    for (let j = open; j < pattern.length; j++) {
      if (pattern[j] === "{") depth++;
      else if (pattern[j] === "}" && --depth === 0) {
        close = j;
        break;
      }
    }
    if (close === -1) throw new Error(`Invalid path pattern ${JSON.stringify(pattern)}: '{' is not closed`);
    const spec = pattern.slice(open + 1, close);
    const colon = spec.indexOf(":");
    const name = (colon === -1 ? spec : spec.slice(0, colon)).trim();
    const re = colon === -1 ? "[^/]+" : spec.slice(colon + 1);
    if (name === "" || names.includes(name)) throw new Error(`Invalid path pattern ${JSON.stringify(pattern)}: parameter name ${JSON.stringify(name)} is empty or repeated`);
    names.push(name);
    source += `(${re})`;
    i = close + 1;
  }
  return { regexp: new RegExp(source + "$"), names };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A list of routes, looked up by method and path: exact paths through a map, patterns in the
 * order they were added. HEAD finds a GET route when it has none of its own.
 */
export class Router<H> {
  private readonly _exact = new Map<string, Route<H>[]>();
  private readonly _patterns: Route<H>[] = [];

  /**
   * Adds a route. `method` is upper-cased; `"*"` matches every method.
   * @throws Error for a path that does not start with `/`, or a bad pattern.
   */
  add(method: string, pattern: string, handler: H): void {
    if (!pattern.startsWith("/")) throw new Error(`A path must start with '/': ${JSON.stringify(pattern)}`);
    const compiled = compilePattern(pattern);
    const route: Route<H> = { method: method.toUpperCase(), pattern, regexp: compiled?.regexp ?? null, names: compiled?.names ?? [], handler };
    if (route.regexp === null) {
      const list = this._exact.get(pattern);
      if (list === undefined) this._exact.set(pattern, [route]);
      else list.push(route);
    } else {
      this._patterns.push(route);
    }
  }

  /** The route for `method` and `path` (without its query string), with the path's parameters decoded. */
  resolve(method: string, path: string): RouteMatch<H> {
    let allowed: string[] | null = null;
    const exact = this._exact.get(path);
    if (exact !== undefined) {
      const route = pick(exact, method);
      if (route !== undefined) return { kind: "found", handler: route.handler, matchInfo: NO_PARAMS };
      allowed = exact.map((r) => r.method);
    }
    for (const route of this._patterns) {
      const m = (route.regexp as RegExp).exec(path);
      if (m === null) continue;
      if (route.method !== method && route.method !== "*" && !(method === "HEAD" && route.method === "GET")) {
        (allowed ??= []).push(route.method);
        continue;
      }
      const matchInfo: Record<string, string> = {};
      try {
        for (let i = 0; i < route.names.length; i++) matchInfo[route.names[i] as string] = decodeURIComponent(m[i + 1] as string);
      } catch {
        return { kind: "badPath" };
      }
      return { kind: "found", handler: route.handler, matchInfo };
    }
    if (allowed !== null) return { kind: "methodNotAllowed", allowed: [...new Set(allowed)].sort() };
    return { kind: "notFound" };
  }
}

function pick<H>(routes: readonly Route<H>[], method: string): Route<H> | undefined {
  let get: Route<H> | undefined;
  for (const r of routes) {
    if (r.method === method || r.method === "*") return r;
    if (r.method === "GET") get = r;
  }
  return method === "HEAD" ? get : undefined;
}
