import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
import type { CacheEntry, CacheStore, CacheWrite } from './cache-store.js'
import { redisSender } from './redis-send.js'
import { fail, integer, options as known } from './validate.js'

/** Options of {@link redisCacheStore}. */
export interface RedisCacheStoreOptions {
  /**
   * An ioredis client (`Redis`, a Sentinel-backed `Redis`, or `Cluster`),
   * owned by the caller: the store never connects or closes it. Give it
   * `enableOfflineQueue: false` (so that a command while Redis is away fails
   * at once instead of queueing) and a `socketTimeout` of a second or so.
   */
  readonly client: Redis | Cluster
  /**
   * Prepended to every key: entries are `prefix + 'e:' + sha256(key)`, tag
   * marks `prefix + 't:' + sha256(tag)` (base64url), so no client-chosen text
   * reaches Redis raw. The hash tag `{c}` keeps one entry's key and its tag
   * marks in one Cluster slot (one MGET, one script); without a `{…}` tag
   * only a single-node Redis accepts them. Several gateways may share a
   * Redis under different prefixes; replicas of one share one prefix.
   * @defaultValue `'mcpx:cache:{c}:'`
   */
  readonly prefix?: string
  /**
   * Milliseconds one command may take: by then it has answered or failed,
   * and the cache answers from the upstream. The ioredis command timeout,
   * set per command.
   * @defaultValue 50
   */
  readonly timeoutMs?: number
  /**
   * The longest an entry lives in Redis, in ms (a policy's longer TTL is cut
   * to it), and so how long a tag's invalidation mark is kept: every entry it
   * could invalidate has expired by then.
   * @defaultValue 86_400_000 (a day)
   */
  readonly maxTtlMs?: number
  /**
   * How far apart the replicas' clocks may be, in ms. An entry whose request
   * started less than this after its tag's latest invalidation (by the
   * clocks) is not trusted: it may hold an answer from before the change.
   * @defaultValue 1000
   */
  readonly clockSkewMs?: number
}

/** The Redis store, with the keys it uses. */
export interface RedisCacheStore extends CacheStore {
  /** The Redis key of the entry under `key`. */
  entryKey(key: string): string
  /** The Redis key of the invalidation mark of `tag`. */
  tagKey(tag: string): string
}

// KEYS[1] the entry, KEYS[2..] its tags' marks; ARGV json, px, startedAt, skew. A mark newer than
// the request's start (less the skew) means an invalidation may have come after the answer left
// the upstream: the write is dropped.
const SET_SCRIPT = `
for i = 2, #KEYS do
  local mark = redis.call('GET', KEYS[i])
  if mark and tonumber(mark) + tonumber(ARGV[4]) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`
// KEYS[1] the mark; ARGV now, px. Marks only move forward: a replica with a slower clock never
// reopens a window another replica closed.
const INVALIDATE_SCRIPT = `
local mark = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if now > mark then mark = now end
redis.call('SET', KEYS[1], mark, 'PX', ARGV[2])
return 1`
const SCRIPTS = {
  set: { source: SET_SCRIPT },
  invalidate: { source: INVALIDATE_SCRIPT },
}

/** An entry as stored: its value as JSON text inside, so a hit parses once. */
interface Stored {
  readonly v: unknown
  readonly s: number
  readonly f: number
  readonly x: number
  readonly n: number
}

/**
 * Cache entries in Redis, shared by gateway replicas: one replica's miss is
 * the others' hit. An entry is one string key with a `PX` TTL (its stale
 * deadline, at most `maxTtlMs`). Invalidation is by tag marks rather than by
 * listing keys: invalidating a tag writes the time into its mark (with a
 * `PX` of `maxTtlMs`), and a `get` reads the entry and its tags' marks in
 * one `MGET`, ignoring an entry whose request started before the mark. So an
 * invalidation is one small write whatever the number of entries, reaches
 * every replica, and Redis holds nothing that does not expire: entries and
 * marks alike have TTLs, and no set of keys grows with the entries.
 *
 * It fails fast: a client that is not ready throws at once (nothing is
 * queued), a slow Redis fails after `timeoutMs`. `cache()` then answers from
 * the upstream and logs it: a Redis that is down costs the cache, never a
 * request.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { cache } from '@mcpx/transformers'
 * import { redisCacheStore } from '@mcpx/transformers/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, socketTimeout: 1000 })
 * proxy.use(cache({ store: redisCacheStore({ client, timeoutMs: 50 }), ttlMs: 30_000 }))
 * ```
 */
export function redisCacheStore(options: RedisCacheStoreOptions): RedisCacheStore {
  const { client, prefix, timeoutMs, maxTtlMs, clockSkewMs } = settingsOf(options)
  const hash = (text: string) => createHash('sha256').update(text).digest('base64url')
  const entryKey = (key: string) => `${prefix}e:${hash(key)}`
  const tagKey = (tag: string) => `${prefix}t:${hash(tag)}`
  const { send, script: run } = redisSender(client, timeoutMs)
  const script = (which: keyof typeof SCRIPTS, keys: string[], args: (string | number)[]) =>
    run(SCRIPTS[which], keys, args)
  return {
    entryKey,
    tagKey,
    async get(key, tags) {
      const reply = (await send('mget', [entryKey(key), ...tags.map(tagKey)])) as (string | null)[]
      const text = reply[0]
      if (typeof text !== 'string') return undefined
      const stored = JSON.parse(text) as Stored
      for (let i = 1; i < reply.length; i++) {
        const mark = reply[i]
        if (typeof mark === 'string' && Number(mark) + clockSkewMs >= stored.s) return undefined
      }
      const entry: CacheEntry = {
        value: stored.v,
        startedAt: stored.s,
        freshUntil: stored.f,
        staleUntil: stored.x,
        size: stored.n,
      }
      return entry
    },
    async set(key, write: CacheWrite) {
      const px = Math.min(maxTtlMs, Math.max(1, Math.ceil(write.staleUntil - Date.now())))
      // The value's JSON is spliced in as it is: it was made once, to measure it.
      const text = `{"s":${write.startedAt},"f":${write.freshUntil},"x":${write.staleUntil},"n":${write.size},"v":${write.json}}`
      await script(
        'set',
        [entryKey(key), ...write.tags.map(tagKey)],
        [text, px, write.startedAt, clockSkewMs],
      )
    },
    async delete(key) {
      await send('del', [entryKey(key)])
    },
    async invalidate(tag) {
      await script('invalidate', [tagKey(tag)], [Date.now(), maxTtlMs + clockSkewMs])
    },
  }
}

interface Settings {
  readonly client: Redis | Cluster
  readonly prefix: string
  readonly timeoutMs: number
  readonly maxTtlMs: number
  readonly clockSkewMs: number
}

const KEYS = ['client', 'prefix', 'timeoutMs', 'maxTtlMs', 'clockSkewMs']

function settingsOf(options: RedisCacheStoreOptions): Settings {
  const o = known('', options, KEYS, 'redisCacheStore() options')
  const client = o.client
  if (typeof client?.sendCommand !== 'function') fail('client', 'an ioredis Redis or Cluster')
  const prefix = o.prefix ?? 'mcpx:cache:{c}:'
  if (typeof prefix !== 'string') fail('prefix', 'a string')
  return {
    client: client as Redis | Cluster,
    prefix,
    timeoutMs: integer('timeoutMs', o.timeoutMs, 50, 1),
    maxTtlMs: integer('maxTtlMs', o.maxTtlMs, 86_400_000, 1),
    clockSkewMs: integer('clockSkewMs', o.clockSkewMs, 1000, 0),
  }
}
