import { compileGlob } from '@mcpx/core'
import { cache } from '@mcpx/transformers'
import {
  at,
  isObject,
  number,
  object,
  type Problems,
  shown,
  storeChoice,
  string,
  strings,
} from './check.js'
import { HEADER_NAME } from './config-authenticators.js'
import { NO_REDIS, type SharedRedis, storeRedis } from './config-redis.js'
import type { CacheConfig, CacheSection, CacheStoreConfig } from './config-types-transformers.js'
import { checkWith, type Options, type RefusalReader } from './refusals.js'

// The `transformers.cache` section: `cache()`'s options (each value checked by the factory
// itself), its selections' and vary parts' shapes (checked here first, for a "did you mean"
// and a path per glob), and where entries live (memory, or Redis as `rateLimits.store` says it).

const CACHE = [
  'ttlMs',
  'staleWhileRevalidateMs',
  'refreshTimeoutMs',
  'maxEntryBytes',
  'tools',
  'resources',
  'prompts',
  'lists',
  'vary',
  'cacheControl',
  'store',
] as const satisfies readonly (keyof CacheSection | 'store')[]
const SELECTION = ['include', 'exclude']
const SELECTIONS = { tools: [...SELECTION, 'trustHints'], resources: SELECTION, prompts: SELECTION }
const VARY_PARTS = ['principal', 'session'] as const
const MEMORY = ['maxEntries', 'maxBytes'] as const
const REDIS = ['url', 'prefix', 'timeoutMs', 'maxTtlMs', 'clockSkewMs'] as const

const READER: RefusalReader = { prefix: '[@mcpx/transformers] ' }

/** The `transformers.cache` section. */
export function checkCache(
  value: unknown,
  problems: Problems,
  shared: SharedRedis = NO_REDIS,
): CacheConfig | undefined {
  const path = 'transformers.cache'
  const section = object(value, path, problems, CACHE)
  if (section === undefined) return undefined
  const before = problems.list.length
  const options: Options = {}
  for (const key of CACHE) {
    if (key === 'store' || section[key] === undefined) continue
    const count = problems.list.length
    if (key === 'tools' || key === 'resources' || key === 'prompts') {
      checkSelection(section[key], at(path, key), SELECTIONS[key], problems)
    } else if (key === 'vary') checkVary(section.vary, at(path, 'vary'), problems)
    // A key whose shape is wrong is left out of what the factory checks: one problem each.
    if (problems.list.length === count) options[key] = section[key]
  }
  const store = storeChoice<CacheStoreConfig>(
    section.store,
    at(path, 'store'),
    problems,
    { memory: checkMemory, redis: (v, where, ps) => checkRedis(v, where, ps, shared) },
    shared.written,
  )
  const { kind: _, ...bounds } = store?.kind === 'memory' ? store : { kind: 'redis' }
  // The factory runs once now (and is closed: its clock stops), so that what it checks is checked.
  const build = (o: Options) => void cache({ ...o, ...bounds, log: () => {} }).close()
  const ok = checkWith(options, path, problems, build, READER)
  if (!ok || store === undefined || problems.list.length > before) return undefined
  return { options: options as CacheSection, store }
}

/** `{ include, exclude }` (and `trustHints` for tools): lists of globs, each compiled now for its path. */
function checkSelection(
  value: unknown,
  path: string,
  keys: readonly string[],
  problems: Problems,
): void {
  const selection = object(value, path, problems, keys)
  if (selection === undefined) return
  for (const key of SELECTION) {
    const where = at(path, key)
    strings(selection[key], where, problems)?.forEach((pattern, i) => {
      try {
        compileGlob(pattern)
      } catch (error) {
        if (!(error instanceof TypeError)) throw error
        problems.add(at(where, i), error.message.replace(/^\[@mcpx\/core\] /, ''))
      }
    })
  }
}

/** `'principal'`, `'session'`, `{ header }` or `{ claim }`, each part. */
function checkVary(value: unknown, path: string, problems: Problems): void {
  if (value === undefined) return
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array of vary parts, got ${shown(value)}`)
    return
  }
  value.forEach((part, i) => {
    const where = at(path, i)
    if (VARY_PARTS.includes(part)) return
    if (!isObject(part)) {
      problems.add(
        where,
        `must be 'principal', 'session', { header } or { claim }, got ${shown(part)}`,
      )
      return
    }
    const file = object(part, where, problems, ['header', 'claim'])!
    if ((file.header === undefined) === (file.claim === undefined)) {
      problems.add(where, 'needs exactly one of header and claim')
      return
    }
    const header = string(file.header, at(where, 'header'), problems)
    if (header !== undefined && !HEADER_NAME.test(header)) {
      problems.add(at(where, 'header'), 'must be an HTTP header name')
    }
    string(file.claim, at(where, 'claim'), problems)
  })
}

/** The memory store's bounds: integers ≥ 1, as `memoryCacheStore()` takes them. */
function checkMemory(value: unknown, path: string, problems: Problems) {
  const file = object(value, path, problems, MEMORY)
  if (file === undefined) return undefined
  const store: CacheStoreConfig = { kind: 'memory' }
  for (const key of MEMORY) {
    const bound = number(file[key], at(path, key), problems, { min: 1, integer: true })
    if (file[key] !== undefined && bound === undefined) return undefined
    if (bound !== undefined) store[key] = bound
  }
  return store
}

/**
 * The Redis store: its URL as `rateLimits.store.redis.url` takes it (never
 * shown; without one, the top-level `redis` section), the rest as `redisCacheStore()` takes it, checked here because
 * that factory needs a client, and ioredis is loaded only when a Redis
 * store is configured (the check would load it for every config).
 */
function checkRedis(value: unknown, path: string, problems: Problems, shared: SharedRedis) {
  const file = object(value, path, problems, REDIS)
  if (file === undefined) return undefined
  const redis = storeRedis(file.url, path, problems, shared)
  const prefix = file.prefix
  if (prefix !== undefined && typeof prefix !== 'string') {
    problems.add(at(path, 'prefix'), `must be a string, got ${shown(prefix)}`)
  }
  const times = {
    timeoutMs: number(file.timeoutMs, at(path, 'timeoutMs'), problems, { min: 1, integer: true }),
    maxTtlMs: number(file.maxTtlMs, at(path, 'maxTtlMs'), problems, { min: 1, integer: true }),
    clockSkewMs: number(file.clockSkewMs, at(path, 'clockSkewMs'), problems, {
      min: 0,
      integer: true,
    }),
  }
  const given = Object.entries(times).filter(([key]) => file[key] !== undefined)
  if (redis === undefined || given.some(([, ms]) => ms === undefined)) return undefined
  if (prefix !== undefined && typeof prefix !== 'string') return undefined
  return {
    kind: 'redis' as const,
    redis,
    ...(prefix !== undefined && { prefix }),
    ...Object.fromEntries(given),
  }
}
