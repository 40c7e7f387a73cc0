export { type ForwardOptions, forward, mergeCapabilities } from './forward.js'
export type { Channel, ChannelEvents, Connector } from './protocol/channel.js'
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
export {
  type ConnectionOptions,
  type ServerMessageHandlers,
  UpstreamConnection,
} from './upstream/connection.js'
export { type StreamableHttpOptions, streamableHttp } from './upstream/streamable-http.js'
export {
  type Origin,
  Upstream,
  type UpstreamMode,
  type UpstreamOptions,
  upstream,
} from './upstream/upstream.js'
export {
  GATEWAY_INFO,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  VERSION,
} from './version.js'
