export { alternatingFetch, type SentPost } from './alternating-fetch.js'
export {
  catalogBinPath,
  conformanceBinPath,
  e2eBinPath,
  faultyBinPath,
  statefulStdioBinPath,
} from './bin-path.js'
export { type CatalogOptions, createCatalogServer } from './catalog-server.js'
export type { ServerRequestMode } from './conformance-context.js'
export {
  type ConformanceHttpOptions,
  type ConformanceHttpServer,
  startConformanceHttpServer,
} from './conformance-http.js'
export { type ConformanceServerOptions, createConformanceServer } from './conformance-server.js'
export { type DebianTool, ensureDebianTool } from './debian-tool.js'
export { createE2eServer } from './e2e-server.js'
export { eventually } from './eventually.js'
export {
  createFaultController,
  type FaultController,
  type FaultOptions,
  type FaultStats,
} from './fault-controller.js'
export { createFaultyServer } from './faulty-server.js'
export { freePort } from './free-port.js'
export { createMemoryEventStore, type MemoryEventStoreOptions } from './memory-event-store.js'
export { descendants, hasProc, type ProcStat, readStat, stopTree } from './proc-tree.js'
export {
  killStartedSync,
  type Readiness,
  type RunProcessOptions,
  type RunResult,
  runProcess,
  type StartedProcess,
  type StartProcessOptions,
  startProcess,
} from './processes.js'
export { seededRandom } from './seeded-random.js'
