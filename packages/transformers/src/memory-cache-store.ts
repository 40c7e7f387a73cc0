import { LRUCache } from 'lru-cache'
import type { CacheEntry, CacheStore, CacheStoreStats, CacheWrite } from './cache-store.js'
import { integer, options as known } from './validate.js'

/** Options of {@link memoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /**
   * The most entries kept; past it the least recently used goes. Bounds the
   * per-entry bookkeeping that bytes alone would not (many tiny answers).
   * At most 1,000,000: lru-cache allocates its table for `maxEntries` up
   * front (a larger one costs ~16 bytes per entry before the first answer,
   * and a mistyped one would exhaust the heap); past that, use a Redis store.
   * @defaultValue 10_000
   */
  readonly maxEntries?: number
  /**
   * The most bytes kept, counted as each entry's serialized size (UTF-8 JSON
   * plus its key); past it the least recently used go. The heap an entry
   * takes as a frozen object is a small multiple of that.
   * @defaultValue 67_108_864 (64 MiB)
   */
  readonly maxBytes?: number
}

/** The memory store, with what it holds. */
export interface MemoryCacheStore extends CacheStore {
  get(key: string, tags: readonly string[]): CacheEntry | undefined
  set(key: string, entry: CacheWrite): void
  delete(key: string): void
  invalidate(tag: string): void
  stats(): CacheStoreStats
  /** Drop every entry. */
  clear(): void
}

interface Held extends CacheEntry {
  readonly tags: readonly string[]
}

const KEYS = ['maxEntries', 'maxBytes']
/** lru-cache allocates its table for `max` when it is made: 1,000,000 entries is ~17 MB before any is stored. */
const MAX_ENTRIES = 1_000_000
/** lru-cache's `get(k, options = {})` makes an options object per call: one shared object spares that. */
const GET_OPTIONS: LRUCache.GetOptions<string, Held, unknown> = {}

/**
 * Entries in this process, in an LRU bounded both in count and in bytes
 * (lru-cache's `maxSize` over each entry's serialized size). A hit is one
 * `Map` lookup and hands out the stored frozen object itself, no copy. An
 * index from tag to keys, kept in step with evictions, makes `invalidate` cost
 * the entries it drops. Expired entries are not swept: the caller drops
 * one it finds expired, and the bounds hold regardless.
 *
 * @example
 * ```ts
 * const store = memoryCacheStore({ maxEntries: 50_000, maxBytes: 256 * 1024 * 1024 })
 * proxy.use(cache({ store, ttlMs: 30_000 }))
 * ```
 */
export function memoryCacheStore(options: MemoryCacheStoreOptions = {}): MemoryCacheStore {
  const o = known('', options, KEYS, 'memoryCacheStore() options')
  const maxEntries = integer('maxEntries', o.maxEntries, 10_000, 1, MAX_ENTRIES)
  const maxBytes = integer('maxBytes', o.maxBytes, 64 * 1024 * 1024, 1)
  const byTag = new Map<string, Set<string>>()
  let evictions = 0
  const lru = new LRUCache<string, Held>({
    max: maxEntries,
    maxSize: maxBytes,
    sizeCalculation: (held) => held.size,
    dispose(held, key, reason) {
      if (reason === 'evict') evictions++
      for (const tag of held.tags) {
        const keys = byTag.get(tag)
        if (keys === undefined) continue
        keys.delete(key)
        if (keys.size === 0) byTag.delete(tag)
      }
    },
  })
  return {
    get: (key) => lru.get(key, GET_OPTIONS),
    set(key, write) {
      if (write.size > maxBytes) return // lru-cache would refuse it anyway
      const held: Held = {
        value: write.value,
        startedAt: write.startedAt,
        freshUntil: write.freshUntil,
        staleUntil: write.staleUntil,
        size: write.size,
        tags: write.tags,
      }
      lru.set(key, held)
      if (lru.peek(key) !== held) return
      for (const tag of write.tags) {
        let keys = byTag.get(tag)
        if (keys === undefined) {
          keys = new Set()
          byTag.set(tag, keys)
        }
        keys.add(key)
      }
    },
    delete(key) {
      lru.delete(key)
    },
    invalidate(tag) {
      const keys = byTag.get(tag)
      if (keys === undefined) return
      for (const key of [...keys]) lru.delete(key)
    },
    stats: () => ({ entries: lru.size, bytes: lru.calculatedSize, evictions }),
    clear() {
      lru.clear()
    },
  }
}
