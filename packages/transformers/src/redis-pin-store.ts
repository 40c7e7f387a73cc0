import type { Cluster, Redis } from 'ioredis'
import type { MemoryPinStoreOptions, PinEntry, PinRecord, PinStore } from './pin-store.js'
import { redisSender } from './redis-send.js'
import { fail, integer, options as known } from './validate.js'

/** Options of {@link redisPinStore}. */
export interface RedisPinStoreOptions {
  /**
   * An ioredis client (`Redis`, a Sentinel-backed `Redis`, or `Cluster`),
   * owned by the caller: the store never connects or closes it. Give it
   * `enableOfflineQueue: false` and a `socketTimeout` of a second or so.
   */
  readonly client: Redis | Cluster
  /**
   * The Redis key of the one hash that holds every pin (a field per
   * upstream and tool). Replicas of one gateway share it; gateways that
   * must not agree on what is approved use different keys.
   * @defaultValue `'mcpx:pins'`
   */
  readonly key?: string
  /**
   * The most pins kept, as {@link MemoryPinStoreOptions.maxPins}: past it a
   * new tool is not pinned (so hidden and refused), and no pin is evicted.
   * @defaultValue 10000
   */
  readonly maxPins?: number
  /**
   * Milliseconds one command may take (the ioredis command timeout, set per
   * command); then it fails, and so does what waited for it.
   * @defaultValue 500
   */
  readonly timeoutMs?: number
}

// KEYS[1] the hash; ARGV field, record, maxPins. A pin already there is replaced; a new one only
// while the hash holds fewer than maxPins, checked and written in one step so that two replicas'
// first sights cannot both pass the bound.
const SET_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`

/** Upstream and tool names never hold a NUL (the router refuses such names), so it separates them. */
const SEPARATOR = '\u0000'
const HASH = /^sha256:[0-9a-f]{64}$/

/**
 * Tool pins in Redis, shared by gateway replicas: a definition one replica
 * saw first, or an approval made through one, holds on all of them. One
 * hash holds every pin, a field per upstream and tool whose value is the
 * pin as JSON; `maxPins` bounds it, checked in the same script that writes.
 *
 * It fails closed: a command that fails (Redis away, slower than
 * `timeoutMs`) rejects, so the list that needed it fails rather than show a
 * tool no pin vouches for; tools a client was already shown stay callable.
 * A value that is not a pin (written by something else) reads as no pin.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { pinTools } from '@mcpx/transformers'
 * import { redisPinStore } from '@mcpx/transformers/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, socketTimeout: 1000 })
 * proxy.use(pinTools({ store: redisPinStore({ client, key: 'mcpx:pins:prod' }) }))
 * ```
 */
export function redisPinStore(options: RedisPinStoreOptions): PinStore {
  const o = known('', options, ['client', 'key', 'maxPins', 'timeoutMs'], 'redisPinStore() options')
  const key = o.key ?? 'mcpx:pins'
  if (typeof key !== 'string' || key === '') fail('key', 'a non-empty string')
  const maxPins = integer('maxPins', o.maxPins, 10_000, 1)
  if (typeof o.client?.sendCommand !== 'function') fail('client', 'an ioredis Redis or Cluster')
  const { send, script } = redisSender(o.client, integer('timeoutMs', o.timeoutMs, 500, 1))
  const set = { source: SET_SCRIPT }
  return {
    async get(upstream, tool) {
      return recordOf(await send('hget', [key, fieldOf(upstream, tool)]))
    },
    async set(upstream, tool, record) {
      const json = JSON.stringify(record)
      return (await script(set, [key], [fieldOf(upstream, tool), json, maxPins])) === 1
    },
    async delete(upstream, tool) {
      await send('hdel', [key, fieldOf(upstream, tool)])
    },
    async entries() {
      const all: PinEntry[] = []
      for (const [field, value] of fieldsOf(await send('hgetall', [key]))) {
        const record = recordOf(value)
        const at = field.indexOf(SEPARATOR)
        if (record === undefined || at < 0) continue
        all.push({ upstream: field.slice(0, at), tool: field.slice(at + 1), record })
      }
      return all
    },
  }
}

/** HGETALL's reply as pairs (ioredis answers it as an object of field to value). */
const fieldsOf = (reply: unknown): [string, unknown][] =>
  typeof reply === 'object' && reply !== null ? Object.entries(reply) : []

const fieldOf = (upstream: string, tool: string) => `${upstream}${SEPARATOR}${tool}`

/** The pin a stored value holds; undefined for anything that is not one. */
function recordOf(value: unknown): PinRecord | undefined {
  if (typeof value !== 'string') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return undefined
  }
  const { hash, fields, lock } = (parsed ?? {}) as Record<string, unknown>
  if (typeof hash !== 'string' || !HASH.test(hash)) return undefined
  const record: { hash: string; fields?: Record<string, string>; lock?: string } = { hash }
  if (isHashes(fields)) record.fields = fields
  if (typeof lock === 'string') record.lock = lock
  return record
}

const isHashes = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((hash) => typeof hash === 'string')
