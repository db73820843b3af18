// aiohttp's `web_app` and `web_urldispatcher`: the Application (routes, middlewares, start-up and
// shutdown hooks, shared values) and its router. Matching a path is ../router.ts's
// (shared with aiorest); serving connections is protocol.ts's, starting servers runner.ts's.

import { CoroutineObject, driveGenerator, functionKind, isGenerator, isThenable, type GeneratorCoroutine } from "../../coroutines.js";
import { Router } from "../router.js";
import { HTTPBadRequest, HTTPException, HTTPMethodNotAllowed, HTTPNotFound } from "./exceptions.js";
import type { Request } from "./request.js";
import type { StreamResponse } from "./response.js";

/** What a handler answers with: a response, or an HTTP exception (returned instead of thrown). */
export type HandlerResult = StreamResponse | HTTPException;

/**
 * A request handler: an async function, a generator function (3.4 style, `yield*`) or a plain
 * function, taking the request and giving the response.
 */
export type Handler = (request: Request) => HandlerResult | PromiseLike<HandlerResult> | GeneratorCoroutine<HandlerResult>;

/**
 * A middleware in aiohttp's style: it gets the request and the handler to call next (the route's
 * handler, or the next middleware), and gives the response. `handler(request)` is a coroutine
 * (`await` it, or `yield*` it in a generator middleware); an HTTP exception the handler throws
 * or returns comes out of it as thrown.
 * @example
 * ```ts
 * const timing: web.Middleware = async (request, handler) => {
 *   const start = performance.now();
 *   const response = await handler(request);
 *   response.headers.set("X-Time-Ms", (performance.now() - start).toFixed(1));
 *   return response;
 * };
 * ```
 */
export type Middleware = (
  request: Request,
  handler: (request: Request) => CoroutineObject<StreamResponse>,
) => HandlerResult | PromiseLike<HandlerResult> | GeneratorCoroutine<HandlerResult>;

/** A start-up, shutdown or cleanup hook: called with the application, awaited in order. */
export type AppHook = (app: Application) => PromiseLike<unknown> | GeneratorCoroutine<unknown> | void;

/** What a route runs for a request: its handler wrapped in the middlewares (thenable, generator or value). */
type Chain = (request: Request) => unknown;

/**
 * A route: a method, a path pattern and a handler (aiohttp's `ResourceRoute`), as
 * `router.addGet(...)` returns it.
 */
export class ResourceRoute {
  /** @internal The handler wrapped in the middlewares, made when the application is frozen. */
  _chain: Chain | null = null;

  /** @internal Made by the router. */
  constructor(
    /** The method, upper case (`"*"`: every method). */
    readonly method: string,
    /** The path pattern: `"/users/{id}"`. */
    readonly path: string,
    /** The handler. */
    readonly handler: Handler,
    /** The name given with `{ name }`, or null. */
    readonly name: string | null,
  ) {}

  /**
   * The path with `params` put in place of its parameters (percent-encoded), and `query` added.
   * @throws Error when a parameter has no value.
   * @example
   * ```ts
   * app.router.addGet("/users/{id}", handler, { name: "user" });
   * app.router.namedResources().get("user")!.urlFor({ id: "42" });  // "/users/42"
   * ```
   */
  urlFor(params: Readonly<Record<string, string | number>> = {}, query?: ConstructorParameters<typeof URLSearchParams>[0]): string {
    let path = "";
    let i = 0;
    // The same brace matching as the pattern compiler: a regexp part may hold braces of its own.
    while (i < this.path.length) {
      const open = this.path.indexOf("{", i);
      if (open === -1) {
        path += this.path.slice(i);
        break;
      }
      path += this.path.slice(i, open);
      let depth = 0;
      let close = open;
      for (; close < this.path.length; close++) {
        if (this.path[close] === "{") depth++;
        else if (this.path[close] === "}" && --depth === 0) break;
      }
      const spec = this.path.slice(open + 1, close);
      const colon = spec.indexOf(":");
      const name = (colon === -1 ? spec : spec.slice(0, colon)).trim();
      const value = params[name];
      if (value === undefined) throw new Error(`urlFor(): no value for the parameter ${JSON.stringify(name)} of ${this.path}`);
      path += encodeURIComponent(String(value));
      i = close + 1;
    }
    const qs = query === undefined ? "" : new URLSearchParams(query).toString();
    return qs === "" ? path : `${path}?${qs}`;
  }

  toString(): string {
    return `<ResourceRoute [${this.method}] ${this.path} -> ${this.handler.name || "<anonymous>"}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * A route to add later (aiohttp's `RouteDef`), as `web.get(path, handler)` makes it:
 * `app.addRoutes([web.get("/", index), web.post("/users", addUser)])`.
 */
export interface RouteDef {
  readonly method: string;
  readonly path: string;
  readonly handler: Handler;
  readonly name?: string;
}

/** Options of a route. */
export interface RouteOptions {
  /** A name to find the route by: `router.namedResources().get(name)`. */
  name?: string;
}

/**
 * The routes of an application (aiohttp's `UrlDispatcher`, `app.router`). A path may hold
 * parameters: `{name}` matches one segment, `{name:regexp}` what the regexp matches; their
 * values are in `request.matchInfo`, percent-decoded. Paths are matched as the client sent
 * them (percent-encoded: a route for a space is `/a%20b`). A path with routes for other
 * methods only answers 405 with `Allow`; a path with no route 404. A GET route also answers
 * HEAD.
 *
 * Routes are added before the application starts; adding one after throws.
 * @example
 * ```ts
 * app.router.addGet("/", index);
 * app.router.addGet("/users/{id:\\d+}", getUser, { name: "user" });
 * app.router.addPost("/users", addUser);
 * ```
 */
export class UrlDispatcher {
  /** @internal */ readonly _router = new Router<ResourceRoute>();
  private readonly _routes: ResourceRoute[] = [];
  private readonly _named = new Map<string, ResourceRoute>();
  /** @internal */ _frozen = false;

  /**
   * Adds a route for `method` (`"*"`: every method) and `path`.
   * @throws Error once the application runs, for a path that does not start with `/`, a bad
   *   pattern or a name already taken; TypeError when `handler` is not a function.
   */
  addRoute(method: string, path: string, handler: Handler, options?: RouteOptions): ResourceRoute {
    if (this._frozen) throw new Error("Cannot register a resource into frozen router.");
    if (typeof handler !== "function") throw new TypeError(`handler must be a function, not ${typeof handler}`);
    const name = options?.name ?? null;
    if (name !== null && this._named.has(name)) throw new Error(`Duplicate route name ${JSON.stringify(name)}`);
    const route = new ResourceRoute(method.toUpperCase(), path, handler, name);
    this._router.add(route.method, path, route);
    this._routes.push(route);
    if (name !== null) this._named.set(name, route);
    return route;
  }

  /** Adds a GET route (which answers HEAD too). */
  addGet(path: string, handler: Handler, options?: RouteOptions): ResourceRoute {
    return this.addRoute("GET", path, handler, options);
  }

  /** Adds a POST route. */
  addPost(path: string, handler: Handler, options?: RouteOptions): ResourceRoute {
    return this.addRoute("POST", path, handler, options);
  }

  /** Adds a PUT route. */
  addPut(path: string, handler: Handler, options?: RouteOptions): ResourceRoute {
    return this.addRoute("PUT", path, handler, options);
  }

  /** Adds a PATCH route. */
  addPatch(path: string, handler: Handler, options?: RouteOptions): ResourceRoute {
    return this.addRoute("PATCH", path, handler, options);
  }

  /** Adds a DELETE route. */
  addDelete(path: string, handler: Handler, options?: RouteOptions): ResourceRoute {
    return this.addRoute("DELETE", path, handler, options);
  }

  /** Adds a HEAD route. */
  addHead(path: string, handler: Handler, options?: RouteOptions): ResourceRoute {
    return this.addRoute("HEAD", path, handler, options);
  }

  /** Adds the routes `web.get(...)`, `web.post(...)`, ... made. */
  addRoutes(defs: Iterable<RouteDef>): ResourceRoute[] {
    const out: ResourceRoute[] = [];
    for (const d of defs) out.push(this.addRoute(d.method, d.path, d.handler, d.name === undefined ? undefined : { name: d.name }));
    return out;
  }

  /** Every route, in the order added. */
  routes(): readonly ResourceRoute[] {
    return this._routes;
  }

  /** The named routes, by name. */
  namedResources(): ReadonlyMap<string, ResourceRoute> {
    return this._named;
  }

  toString(): string {
    return `<UrlDispatcher ${this._routes.length} routes>`;
  }
}

/** Options of an Application (aiohttp's keyword arguments, camelCased). */
export interface ApplicationOptions {
  /** The middlewares, outermost first: each wraps those after it and the handler. */
  middlewares?: Iterable<Middleware>;
  /** The largest body `request.read()` (and text/json/post) accepts, in bytes (default 1 MiB); 0: no limit. */
  clientMaxSize?: number;
}

/**
 * A web application (aiohttp's `web.Application`): its routes (`app.router`), middlewares, hooks
 * run at start-up, shutdown and cleanup, and values its handlers share, kept as in a Map
 * (aiohttp's `app["db"]` is `app.get("db")`). Served by `web.runApp(app)`, or by
 * `web.AppRunner` and a site.
 * @example
 * ```ts
 * const app = new web.Application();
 * app.router.addGet("/", async (request) => new web.Response({ text: "Hello, world" }));
 * await web.runApp(app, { host: "127.0.0.1", port: 8080 });
 * ```
 */
export class Application extends Map<string, unknown> {
  /** The routes. */
  readonly router = new UrlDispatcher();
  /** The middlewares, outermost first (frozen once the application runs). */
  readonly middlewares: Middleware[];
  /** Hooks run by `runner.setup()`, in order. */
  readonly onStartup: AppHook[] = [];
  /** Hooks run by `runner.cleanup()` once the server stops listening, before connections close. */
  readonly onShutdown: AppHook[] = [];
  /** Hooks run by `runner.cleanup()` at the very end. */
  readonly onCleanup: AppHook[] = [];
  /** The largest request body read, in bytes (0: no limit). */
  readonly clientMaxSize: number;
  private _frozen = false;
  private _notFound: Chain = notFound;
  private _methodNotAllowed: Chain = methodNotAllowed;
  private _badPath: Chain = badPath;

  constructor(options?: ApplicationOptions) {
    super();
    this.middlewares = [...(options?.middlewares ?? [])];
    this.clientMaxSize = options?.clientMaxSize ?? 1024 ** 2;
  }

  /** True once the application runs: routes and middlewares can no longer change. */
  get frozen(): boolean {
    return this._frozen;
  }

  /** `app.router.addRoutes(defs)`. */
  addRoutes(defs: Iterable<RouteDef>): ResourceRoute[] {
    return this.router.addRoutes(defs);
  }

  /**
   * @internal Freezes the routes and middlewares, and wraps each route's handler in the
   * middlewares once, so that a request pays for no wrapping of its own.
   */
  _freeze(): void {
    if (this._frozen) return;
    this._frozen = true;
    this.router._frozen = true;
    Object.freeze(this.middlewares);
    for (const route of this.router.routes()) route._chain = chain(route.handler, this.middlewares);
    this._notFound = chain(notFound, this.middlewares);
    this._methodNotAllowed = chain(methodNotAllowed, this.middlewares);
    this._badPath = chain(badPath, this.middlewares);
  }

  /**
   * @internal Routes the request and runs its handler through the middlewares. Returns what
   * the handler returned: a thenable, a generator or a response; may throw.
   */
  _handle(request: Request): unknown {
    const message = request.message;
    const match = this.router._router.resolve(message.method, message.path.slice(0, request._queryAt));
    switch (match.kind) {
      case "found":
        request.matchInfo = match.matchInfo;
        return (match.handler._chain ?? chain(match.handler.handler, this.middlewares))(request);
      case "notFound":
        return this._notFound(request);
      case "methodNotAllowed":
        request._allowed = match.allowed;
        return this._methodNotAllowed(request);
      case "badPath":
        return this._badPath(request);
    }
  }

  /** @internal Runs `hooks` in order, each to its end. */
  async _runHooks(hooks: readonly AppHook[]): Promise<void> {
    for (const hook of hooks) {
      const r = hook(this);
      if (isGenerator(r)) await driveGenerator(r);
      else if (isThenable(r)) await r;
    }
  }

  override toString(): string {
    return `<Application ${this.router.routes().length} routes>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * The route `web.get(path, handler)` makes, for `app.addRoutes([...])`.
 * @example
 * ```ts
 * app.addRoutes([web.get("/", index), web.post("/users", addUser)]);
 * ```
 */
export function route(method: string, path: string, handler: Handler, options?: RouteOptions): RouteDef {
  return { method: method.toUpperCase(), path, handler, ...(options?.name === undefined ? {} : { name: options.name }) };
}

/** A GET route for `app.addRoutes`. */
export function get(path: string, handler: Handler, options?: RouteOptions): RouteDef {
  return route("GET", path, handler, options);
}

/** A POST route for `app.addRoutes`. */
export function post(path: string, handler: Handler, options?: RouteOptions): RouteDef {
  return route("POST", path, handler, options);
}

/** A PUT route for `app.addRoutes`. */
export function put(path: string, handler: Handler, options?: RouteOptions): RouteDef {
  return route("PUT", path, handler, options);
}

/** A PATCH route for `app.addRoutes`. */
export function patch(path: string, handler: Handler, options?: RouteOptions): RouteDef {
  return route("PATCH", path, handler, options);
}

/** A DELETE route for `app.addRoutes` (exported as `web.delete`). */
export function delete_(path: string, handler: Handler, options?: RouteOptions): RouteDef {
  return route("DELETE", path, handler, options);
}

/** A HEAD route for `app.addRoutes`. */
export function head(path: string, handler: Handler, options?: RouteOptions): RouteDef {
  return route("HEAD", path, handler, options);
}

function notFound(): never {
  throw new HTTPNotFound();
}

function methodNotAllowed(request: Request): never {
  throw new HTTPMethodNotAllowed(request.method, request._allowed ?? []);
}

function badPath(): never {
  throw new HTTPBadRequest({ text: "400: Malformed path" });
}

/**
 * A handler wrapped in middlewares (the last innermost): called with a request, it calls the
 * first middleware with the request and the next step as its `handler`. A generator function
 * is driven here, so what the protocol gets is a thenable or a value.
 */
function chain(handler: Handler | ((request: Request) => never), middlewares: readonly Middleware[]): Chain {
  let next: Chain = functionKind(handler) === "generator" ? (request) => driveGenerator(handler(request) as GeneratorCoroutine) : handler;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const middleware = middlewares[i] as Middleware;
    const inner = next;
    const call = (request: Request): CoroutineObject<StreamResponse> => new HandlerCall(inner, request);
    next = functionKind(middleware) === "generator" ? (request) => driveGenerator(middleware(request, call) as GeneratorCoroutine) : (request) => middleware(request, call);
  }
  return next;
}

/**
 * The `handler(request)` a middleware calls: a lazy coroutine (awaitable and `yield*`-able)
 * running the next step. A returned HTTP exception comes out thrown, so that a middleware's
 * `try`/`catch` sees every error the same way.
 */
class HandlerCall extends CoroutineObject<StreamResponse> {
  constructor(
    private readonly _next: Chain,
    private readonly _request: Request,
  ) {
    super("handler", null);
  }

  protected override _makeAsync(): PromiseLike<StreamResponse> {
    let r: unknown;
    try {
      r = this._next(this._request);
    } catch (exc) {
      return Promise.reject(exc);
    }
    if (isGenerator(r)) r = driveGenerator(r);
    return Promise.resolve(r).then(throwIfException);
  }
}

function throwIfException(r: unknown): StreamResponse {
  if (r instanceof HTTPException) throw r;
  return r as StreamResponse;
}
