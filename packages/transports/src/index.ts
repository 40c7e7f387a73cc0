// The `@mcpx/transports` root entry: runtime-neutral (fetch and web streams, no `node:` imports).

export {
  type EventStore,
  type MemoryEventStore,
  type MemoryEventStoreOptions,
  memoryEventStore,
  type StoredEvent,
} from './downstream/event-store.js'
export {
  createStreamableHttpFetchHandler,
  type FetchHandler,
  type FetchHandlerOptions,
} from './downstream/fetch-handler.js'
export type { Authenticate, FrontEndOptions, HttpRequestInfo } from './downstream/front-end.js'
export type { HostOriginOptions } from './downstream/host-origin.js'
export type { StreamableHttpFrontEndOptions } from './downstream/streamable-http.js'
export { type ForwardOptions, forward } from './forward.js'
export type { Channel, ChannelEvents, Connector } from './protocol/channel.js'
export { type InProcessOptions, type InProcessServer, inProcess } from './upstream/in-process.js'
export type {
  LeaseMode,
  LeaseOutcome,
  UpstreamLease,
  UpstreamSource,
} from './upstream/source.js'
export { type SseOptions, sse } from './upstream/sse.js'
export { type StreamableHttpOptions, streamableHttp } from './upstream/streamable-http.js'
export {
  type Upstream,
  type UpstreamMode,
  type UpstreamOptions,
  type UpstreamStats,
  upstream,
} from './upstream/upstream.js'
export {
  GATEWAY_INFO,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  VERSION,
} from './version.js'
