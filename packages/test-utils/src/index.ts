export { conformanceBinPath, e2eBinPath } from './bin-path.js'
export type { ServerRequestMode } from './conformance-context.js'
export {
  type ConformanceHttpOptions,
  type ConformanceHttpServer,
  startConformanceHttpServer,
} from './conformance-http.js'
export { type ConformanceServerOptions, createConformanceServer } from './conformance-server.js'
export { createE2eServer } from './e2e-server.js'
export { createMemoryEventStore, type MemoryEventStoreOptions } from './memory-event-store.js'
