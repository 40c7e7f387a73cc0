import { type Clock, type Context, cachedClock, type StatsRegistry } from '@mcpx/core'
import {
  type CacheSelection,
  selectionOf,
  type ToolSelection,
  toolTestOf,
  type Vary,
  type VaryPart,
  varyOf,
} from './cache-key.js'
import type { CacheStore } from './cache-store.js'
import { memoryCacheStore } from './memory-cache-store.js'
import { fail, fn, integer, options as known, ms } from './validate.js'

/** What a {@link CachePolicy} is asked about: one answer about to be stored. */
export interface CachePolicyInput {
  /** The method as the upstream knows it (`resources/read`, `tools/call`, `tools/list`, …). */
  readonly method: string
  /** The upstream (replica) that answered: core's `targetKey`. */
  readonly upstream: string
  /** The params as the upstream received them. */
  readonly params: unknown
  /** The answer (not yet copied: do not change it). */
  readonly result: Readonly<Record<string, unknown>>
  /** The time to live it would get. */
  readonly ttlMs: number
  /** The message. */
  readonly ctx: Context
}

/**
 * Decide about one answer before it is stored: `false` (or `0`) refuses it,
 * a number of ms re-times it, `true` or `undefined` keeps the default. A
 * policy that throws refuses the entry (and is logged).
 */
export type CachePolicy = (input: CachePolicyInput) => boolean | number | undefined

interface CacheOptionsBase {
  /** How long an entry is served as fresh, in ms. @defaultValue 60_000 */
  readonly ttlMs?: number
  /**
   * How long past its TTL an entry may still be served while one refresh
   * runs in the background, in ms; 0 for none. @defaultValue 0
   */
  readonly staleWhileRevalidateMs?: number
  /** The longest a background refresh may take before it is cancelled (the stale entry stays). @defaultValue 10_000 */
  readonly refreshTimeoutMs?: number
  /** The largest answer cached, in serialized bytes; a larger one is passed on, not stored. @defaultValue 1_048_576 */
  readonly maxEntryBytes?: number
  /** Which tools' `tools/call` results are cached: none unless included (or hinted, with `trustHints`). @defaultValue `{ include: [] }` */
  readonly tools?: ToolSelection
  /** Which resource URIs' `resources/read` results are cached. @defaultValue `{ include: ['**'] }` */
  readonly resources?: CacheSelection
  /** Which prompts' `prompts/get` results are cached. @defaultValue `{ include: ['**'] }` */
  readonly prompts?: CacheSelection
  /** Whether each upstream's `tools/list`, `prompts/list`, `resources/list` and `resources/templates/list` pages are cached. @defaultValue true */
  readonly lists?: boolean
  /**
   * What besides method, params and upstream tells entries apart. By
   * default the principal: two callers never share an entry. `[]` shares
   * entries between everyone (only for answers that are the same for all).
   * @defaultValue `['principal']`
   */
  readonly vary?: readonly VaryPart[]
  /** Refuse or re-time an entry before it is stored. @defaultValue none */
  readonly policy?: CachePolicy
  /**
   * Add `cache-control` to the HTTP answer (core's `answerHeadersKey`):
   * `private, max-age=<seconds left>` on a hit (`public` when `vary` is
   * empty), `no-store` on an answer not stored. @defaultValue true
   */
  readonly cacheControl?: boolean
  /** The upstream a message belongs to when no router set `targetKey`. @defaultValue 'default' */
  readonly upstream?: string
  /** Core's stats registry: one source of kind `'cache'` with hits, misses, stale, evictions. @defaultValue none */
  readonly statsRegistry?: StatsRegistry
  /** The stats source's name (several caches in one proxy need their own). @defaultValue 'cache' */
  readonly name?: string
  /** Where store failures and failed refreshes are reported (at most one store line per 10 s). @defaultValue console.warn */
  readonly log?: (line: string) => void
  /** The clock, in ms since the epoch. For tests. @defaultValue a cached `Date.now()` */
  readonly now?: () => number
}

/** Options of `cache()`: the memory store's bounds, or a store of your own (then bound it there). */
export type CacheOptions = CacheOptionsBase &
  (
    | {
        /** @defaultValue a memory store with `maxEntries` and `maxBytes` */
        readonly store?: undefined
        /** The memory store's most entries. @defaultValue 10_000 */
        readonly maxEntries?: number
        /** The memory store's most bytes (serialized). @defaultValue 67_108_864 (64 MiB) */
        readonly maxBytes?: number
      }
    | {
        /** Where entries live: `memoryCacheStore()`, `redisCacheStore()` or your own. */
        readonly store: CacheStore
        readonly maxEntries?: never
        readonly maxBytes?: never
      }
  )

/** `cache()`'s options, checked and compiled once. */
export interface Settings {
  readonly store: CacheStore
  /** Whether the cache made the store (and so closes it). */
  readonly ownsStore: boolean
  readonly ttlMs: number
  readonly swrMs: number
  readonly refreshTimeoutMs: number
  readonly maxEntryBytes: number
  readonly tools: (name: string, ctx: Context) => boolean
  readonly resources: (uri: string) => boolean
  readonly prompts: (name: string) => boolean
  readonly lists: boolean
  readonly vary: Vary
  /** `private` or `public`, for `cache-control`. */
  readonly visibility: string
  readonly policy: CachePolicy | undefined
  readonly cacheControl: boolean
  readonly fallback: string
  readonly statsRegistry: StatsRegistry | undefined
  readonly name: string
  readonly log: (line: string) => void
  readonly now: () => number
  readonly clock: Clock | undefined
}

const KEYS = [
  'store',
  'maxEntries',
  'maxBytes',
  'ttlMs',
  'staleWhileRevalidateMs',
  'refreshTimeoutMs',
  'maxEntryBytes',
  'tools',
  'resources',
  'prompts',
  'lists',
  'vary',
  'policy',
  'cacheControl',
  'upstream',
  'statsRegistry',
  'name',
  'log',
  'now',
]

const warn = (line: string) => console.warn(`[@mcpx/transformers] ${line}`)

export function settingsOf(options: CacheOptions): Settings {
  const o = known('', options, KEYS, 'cache() options') as Partial<CacheOptionsBase> & {
    store?: CacheStore
    maxEntries?: number
    maxBytes?: number
  }
  const store = storeOf(o)
  const lists = o.lists ?? true
  if (typeof lists !== 'boolean') fail('lists', 'a boolean')
  const cacheControl = o.cacheControl ?? true
  if (typeof cacheControl !== 'boolean') fail('cacheControl', 'a boolean')
  const fallback = o.upstream ?? 'default'
  if (typeof fallback !== 'string' || fallback === '') fail('upstream', 'a non-empty string')
  const name = o.name ?? 'cache'
  if (typeof name !== 'string' || name === '') fail('name', 'a non-empty string')
  const policy = o.policy === undefined ? undefined : fn('policy', o.policy, () => undefined)
  const clock = o.now === undefined ? cachedClock() : undefined
  const ttlMs = ms('ttlMs', o.ttlMs, 60_000)
  return {
    store,
    ownsStore: o.store === undefined,
    ttlMs,
    swrMs: ms('staleWhileRevalidateMs', o.staleWhileRevalidateMs, 0, 0),
    refreshTimeoutMs: ms('refreshTimeoutMs', o.refreshTimeoutMs, 10_000),
    maxEntryBytes: integer('maxEntryBytes', o.maxEntryBytes, 1024 * 1024, 1),
    tools: toolTestOf(o.tools),
    resources: selectionOf('resources', o.resources, ['**']),
    prompts: selectionOf('prompts', o.prompts, ['**']),
    lists,
    vary: varyOf(o.vary),
    visibility: o.vary !== undefined && o.vary.length === 0 ? 'public' : 'private',
    policy,
    cacheControl,
    fallback,
    statsRegistry: o.statsRegistry,
    name,
    log: fn('log', o.log, warn),
    now: fn('now', o.now, clock?.now ?? Date.now),
    clock,
  }
}

function storeOf(o: { store?: CacheStore; maxEntries?: number; maxBytes?: number }): CacheStore {
  if (o.store === undefined) {
    return memoryCacheStore({ maxEntries: o.maxEntries, maxBytes: o.maxBytes })
  }
  if (o.maxEntries !== undefined || o.maxBytes !== undefined) {
    fail(
      'store',
      'given alone: maxEntries and maxBytes bound the default memory store (bound yours where you make it)',
    )
  }
  const store = o.store
  for (const method of ['get', 'set', 'delete', 'invalidate'] as const) {
    if (typeof store?.[method] !== 'function')
      fail('store', 'a CacheStore (get, set, delete, invalidate)')
  }
  return store
}
