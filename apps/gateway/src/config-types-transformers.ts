// The `transformers` section's types: as a file writes it, and as checked.
import type {
  CacheOptions,
  CacheSelection,
  MetadataOptions,
  PinLock,
  RedactOptions,
  RedactPattern,
  RedactPatternName,
  ToolRules,
  ToolSelection,
  ValidateArgumentsOptions,
  VaryPart,
} from '@mcpx/transformers'
import type { RedisConfig } from './config-types-redis.js'

/** `metadata()`'s options: every one a file can say. */
export type MetadataSection = Pick<
  MetadataOptions,
  'prefix' | 'gateway' | 'fields' | 'to' | 'headers' | 'header' | 'acceptRequestId'
>

/** A `redact.patterns` item as written: a built-in pattern's name, or a regex of the file's own. */
export type RedactPatternFile = RedactPatternName | { name: string; regex: string; flags?: string }

/** `redact()`'s options as a file says them: a string replacement, regexes as source text. */
export type RedactFile = Omit<RedactOptions, 'patterns' | 'replacement'> & {
  patterns?: RedactPatternFile[]
  replacement?: string
}

/** `redact()`'s options checked: each pattern of the file's own compiled. */
export type RedactSection = Omit<RedactOptions, 'patterns' | 'replacement'> & {
  patterns?: (RedactPatternName | RedactPattern)[]
  replacement?: string
}

/** A `cache.vary` part a file can say (a function cannot be written down). */
export type VaryFile = Exclude<VaryPart, (...args: never[]) => unknown>

/** `cache()`'s options a file can say, but the store's (no policy, registry, log or clock). */
export type CacheSection = Pick<
  CacheOptions,
  | 'ttlMs'
  | 'staleWhileRevalidateMs'
  | 'refreshTimeoutMs'
  | 'maxEntryBytes'
  | 'lists'
  | 'cacheControl'
> & {
  tools?: ToolSelection
  resources?: CacheSelection
  prompts?: CacheSelection
  vary?: VaryFile[]
}

/** The `transformers.cache` section as written. */
export type CacheFile = CacheSection & {
  store?:
    | 'memory'
    | 'redis'
    | { memory: { maxEntries?: number; maxBytes?: number } }
    | {
        redis: {
          url?: string
          prefix?: string
          timeoutMs?: number
          maxTtlMs?: number
          clockSkewMs?: number
        }
      }
}

/** Where the response cache's entries live. */
export type CacheStoreConfig =
  | { kind: 'memory'; maxEntries?: number; maxBytes?: number }
  | {
      kind: 'redis'
      redis: RedisConfig
      prefix?: string
      timeoutMs?: number
      maxTtlMs?: number
      clockSkewMs?: number
    }

/** The `transformers.cache` section checked: `cache()`'s options and its store. */
export interface CacheConfig {
  options: CacheSection
  store: CacheStoreConfig
}

/** `rewriteTools()`'s rules: one set for every upstream, or a set per upstream (router entry) of the file. */
export type RewriteToolsSection = ToolRules | { upstreams: Record<string, ToolRules> }

/** `validateArguments()`'s options a file can say (no RegExp engine, no log). */
export type ValidateArgumentsSection = Pick<ValidateArgumentsOptions, 'uncompilable' | 'maxSchemas'>

/** The `transformers.pinTools` section as written. */
export interface PinToolsFile {
  /** A lock file (`writePinLock()`'s JSON), relative to the config file's directory. */
  lockFile?: string
  strict?: boolean
  maxPending?: number
  /** The pin store's bound (`memoryPinStore({ maxPins })`, `redisPinStore({ maxPins })`). */
  maxPins?: number
  /** Where pins live: this process, or Redis (shared by replicas, kept across reloads). */
  store?: 'memory' | 'redis' | { redis: { url?: string; key?: string; timeoutMs?: number } }
}

/** The `transformers.pinTools` section checked; `lock` is the lock file's content, once read. */
export interface PinToolsConfig extends Omit<PinToolsFile, 'store'> {
  lock?: PinLock
  /** Undefined: in memory. */
  store?: PinStoreConfig
}

/** Where pins live, when not in memory: `redisPinStore()`'s hash. */
export interface PinStoreConfig {
  kind: 'redis'
  redis: RedisConfig
  key?: string
  timeoutMs?: number
}

/** The `transformers` section as written: `@mcpx/transformers`' middleware, each sub-section one factory. */
export interface TransformersFile {
  metadata?: MetadataSection
  redact?: RedactFile
  cache?: CacheFile
  rewriteTools?: RewriteToolsSection
  validateArguments?: ValidateArgumentsSection
  pinTools?: PinToolsFile
}

/** The `transformers` section checked: an absent sub-section adds nothing. */
export interface TransformersConfig {
  metadata?: MetadataSection
  redact?: RedactSection
  cache?: CacheConfig
  rewriteTools?: RewriteToolsSection
  validateArguments?: ValidateArgumentsSection
  pinTools?: PinToolsConfig
}
