// @mcpx/transformers: rewriting messages in flight (issue 13).
export {
  type Cache,
  type CacheOptions,
  type CachePolicy,
  type CachePolicyInput,
  type CacheStatus,
  cache,
  cacheStatusKey,
} from './cache.js'
export type { CacheSelection, ToolSelection, VaryPart } from './cache-key.js'
export type { CacheEntry, CacheStore, CacheStoreStats, CacheWrite } from './cache-store.js'
export {
  type MemoryCacheStore,
  type MemoryCacheStoreOptions,
  memoryCacheStore,
} from './memory-cache-store.js'
export { type MetadataField, type MetadataOptions, metadata, requestIdKey } from './metadata.js'
export { hashTool, type PinField, type ToolHash } from './pin-hash.js'
export {
  type MemoryPinStoreOptions,
  memoryPinStore,
  type PinEntry,
  type PinLock,
  type PinRecord,
  type PinStore,
} from './pin-store.js'
export {
  type HoldReason,
  type PendingTool,
  type PinTools,
  type PinToolsOptions,
  pinTools,
} from './pin-tools.js'
export { type RedactOptions, redact } from './redact.js'
export {
  defaultRedactKeys,
  defaultRedactPatterns,
  type RedactPatternName,
  redactPatternNames,
} from './redact-patterns.js'
export {
  createRedactor,
  type RedactionMatch,
  type Redactor,
  type RedactorOptions,
  type RedactPattern,
  type Replacement,
} from './redact-walk.js'
export {
  type RewriteToolsOptions,
  rewriteTools,
  type ToolAnnotationOverrides,
  type ToolRules,
} from './rewrite-tools.js'
export type { RegExpEngine } from './schema-compiler.js'
export {
  type ValidateArgumentsMiddleware,
  type ValidateArgumentsOptions,
  type ValidateArgumentsStats,
  validateArguments,
} from './validate-arguments.js'
