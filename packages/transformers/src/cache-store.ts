// The contract between `cache()` and where its entries live: in this process
// (memoryCacheStore) or in Redis, shared by replicas (@mcpx/transformers/redis).

/** One cached answer, as a store gives it back. */
export interface CacheEntry {
  /**
   * The result. From the memory store, the one deeply frozen object every
   * hit shares; from a store that deserializes, a fresh object per hit.
   */
  readonly value: unknown
  /** When the upstream request that produced it started, in ms since the epoch. */
  readonly startedAt: number
  /** Until when (ms since the epoch) it is served as fresh. */
  readonly freshUntil: number
  /** Until when it may be served stale while a refresh runs (≥ `freshUntil`); the store may drop it then. */
  readonly staleUntil: number
  /** Its serialized size in bytes (UTF-8 JSON of the value, plus the key). */
  readonly size: number
}

/** What `cache()` hands a store to keep. */
export interface CacheWrite extends CacheEntry {
  /** The value as JSON, already made to measure it: what a store that serializes writes. */
  readonly json: string
  /**
   * The tags of the entry: what {@link CacheStore.invalidate} drops it by
   * (`uri:<uri>`, `list:<upstream>:<method>`, `call:<upstream>`, `prompt:<upstream>`).
   */
  readonly tags: readonly string[]
}

/** Counts a store keeps about itself, read by `cache()`'s stats source. */
export interface CacheStoreStats {
  /** Entries held now (0 when the store cannot tell). */
  readonly entries: number
  /** Their bytes now, as {@link CacheEntry.size} counts them (0 when the store cannot tell). */
  readonly bytes: number
  /** Entries dropped to make room, over the store's life. */
  readonly evictions: number
}

/**
 * Where entries live. Every method may answer synchronously (memory) or with
 * a promise (Redis); a store that cannot answer throws or rejects, and
 * `cache()` then answers from the upstream (fail open) and logs it. A store
 * must bound its own time (the Redis store's `timeoutMs`): a request waits
 * for `get`, and a miss also waits for its `set` before it is answered (so
 * that a replica asked next finds the entry; the followers of its flight do
 * not wait), so both must be bounded. A failed `set` only costs the entry.
 * `cache()` never waits for `delete`; `invalidate` returns the store's
 * promise to the caller of `cache.invalidate()`, and a notification does not
 * wait for it.
 */
export interface CacheStore {
  /**
   * The entry under `key`, unless it was invalidated by one of `tags` after
   * its request started. It may be past `staleUntil` (the caller checks).
   */
  get(
    key: string,
    tags: readonly string[],
  ): CacheEntry | undefined | Promise<CacheEntry | undefined>
  /**
   * Keep `entry` under `key` until `entry.staleUntil` at most (a store may
   * evict it sooner). A store that knows a tag was invalidated after
   * `entry.startedAt` drops the write: it may hold an answer from before the change.
   */
  set(key: string, entry: CacheWrite): void | Promise<void>
  /** Drop one entry. */
  delete(key: string): void | Promise<void>
  /** Drop every entry tagged `tag` (for the Redis store: on every replica). */
  invalidate(tag: string): void | Promise<void>
  /** Its counts, for the stats source; stores that keep none leave it out. */
  stats?(): CacheStoreStats
  /** Release what it holds (never a client the caller passed in). */
  close?(): void | Promise<void>
}
