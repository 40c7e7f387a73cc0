export type { Channel, ChannelEvents, Connector } from './channel.js'
export {
  type ConnectionOptions,
  type ServerMessageHandlers,
  UpstreamConnection,
} from './connection.js'
export { type ForwardOptions, forward, mergeCapabilities } from './forward.js'
export {
  type Params,
  Peer,
  type PeerHandlers,
  type PeerRequestOptions,
  type Result,
} from './peer.js'
export {
  type MessageMeta,
  Session,
  type SessionOptions,
  type SessionState,
  sessionKey,
} from './session.js'
export { type StreamableHttpOptions, streamableHttp } from './streamable-http.js'
export {
  type Origin,
  Upstream,
  type UpstreamMode,
  type UpstreamOptions,
  upstream,
} from './upstream.js'
export {
  GATEWAY_INFO,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  VERSION,
} from './version.js'
