// The `@mcpx/transports/node` entry: front ends for `node:http` servers.

export type { HostOriginOptions } from './downstream/http.js'
export { createSseHandler, type SseHandler, type SseHandlerOptions } from './downstream/sse.js'
export {
  createNodeHandler,
  type HttpServer,
  type NodeHandler,
  type NodeHandlerOptions,
  type ServeHttpOptions,
  serveHttp,
} from './downstream/streamable-http.js'
export { statusFor } from './downstream/streamable-http-session.js'
export { type SseOptions, sse } from './upstream/sse.js'
