// The `@mcpx/transports/protocol` entry: the building blocks under the front ends and
// connectors, for writing a new front end, a connection pool or a connector's tests.
// Most users need none of it: `upstream()`, `forward()` and the front ends cover them.
export type { HttpExchange, ParsedBody, SseWriter } from './downstream/exchange.js'
export { type HttpAnswer, httpAnswer } from './downstream/http-answer.js'
export {
  type Params,
  Peer,
  type PeerHandlers,
  type PeerRequestOptions,
  type Result,
} from './protocol/peer.js'
export {
  type MessageMeta,
  Session,
  type SessionOptions,
  type SessionState,
  sessionKey,
} from './protocol/session.js'
export { SseDecoder, type SseEvent, WireFault } from './protocol/sse-decoder.js'
export {
  type ConnectionOptions,
  type ServerMessageHandlers,
  type StartOptions,
  UpstreamConnection,
} from './upstream/connection.js'
export { defaultInitialize, openConnection } from './upstream/open.js'
export {
  type Origin,
  type OwnerHandlersOptions,
  ownerHandlers,
  type Router,
  sharedHandlers,
} from './upstream/routing.js'
export {
  SessionRoutes,
  type SessionRoutesOptions,
  type SessionRoutesStats,
} from './upstream/session-routes.js'
