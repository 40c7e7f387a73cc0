// The `@mcpx/transports/node` entry: front ends for `node:http` servers, all of one shape (NodeHandler).

export type { NodeHandler } from './downstream/node-io.js'
export type { SessionDirectory, SessionRegistryOptions } from './downstream/session-directory.js'
export { createSseHandler, type SseHandlerOptions } from './downstream/sse.js'
export {
  createStreamableHttpHandler,
  type HttpServer,
  type Listening,
  type ListenOptions,
  listen,
  type ServeHttpOptions,
  type ShutdownOptions,
  type ShutdownResult,
  type StreamableHttpHandlerOptions,
  serveHttp,
} from './downstream/streamable-http-node.js'
