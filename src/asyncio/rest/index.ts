// `asyncio-ts/rest`: aiorest, the class's REST example (`aiorest.RESTServer`), as explicit named
// re-exports (our `__all__`).

// The loop newEventLoop() makes (EventLoop names itself to events.ts when loaded; events.ts says
// why): this entry may be the only one a program imports.
import "../node-events.js";

// server.ts
export { RESTError, RESTRequestHandler, RESTServer, Request, ResponseInfo, type RESTHandler, type RESTServerOptions } from "./server.js";
