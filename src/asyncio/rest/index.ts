// `asyncio-ts/rest`: aiorest, the class's REST example (`aiorest.RESTServer`), as explicit named
// re-exports (our `__all__`).

// server.ts
export { RESTError, RESTRequestHandler, RESTServer, Request, ResponseInfo, type RESTHandler, type RESTServerOptions } from "./server.js";
