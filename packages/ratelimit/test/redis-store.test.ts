// redisStore() against a real redis-server (STYLE: real Redis where a Redis
// store is tested), started by @mcpx/test-utils and taken away mid-test.
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixedWindow } from '../src/fixed-window.js'
import { redisStore } from '../src/redis.js'
import { SCRIPT_SHA } from '../src/redis-script.js'
import { slidingWindow } from '../src/sliding-window.js'
import { tokenBucket } from '../src/token-bucket.js'
import type { Algorithm, Check } from '../src/types.js'

/** The client settings redisStore()'s TSDoc asks for. */
const CLIENT: RedisOptions = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  socketTimeout: 1000,
  retryStrategy: () => 50,
}

let redis: RedisServer
const clients: Redis[] = []
async function connected(): Promise<Redis> {
  const client = new Redis(redis.url, { ...CLIENT, lazyConnect: true })
  client.on('error', () => {})
  clients.push(client)
  await client.connect()
  return client
}
let admin: Redis

beforeAll(async () => {
  redis = await startRedis()
  admin = await connected()
})
afterEach(async () => {
  if (admin.status === 'ready') await admin.flushall()
})
afterAll(async () => {
  for (const client of clients) client.disconnect()
  await redis?.stop()
})

const check = (limitId: string, algorithm: Algorithm, key: string, cost = 1): Check => ({
  limitId,
  algorithm,
  key,
  cost,
})
const perMinute = () => fixedWindow({ limit: 100, windowMs: 60_000 })

describe('redisStore', () => {
  it('charges every check of a message, or none when one refuses', async () => {
    const store = redisStore({ client: await connected() })
    const global = fixedWindow({ limit: 10, windowMs: 60_000 })
    const perClient = tokenBucket({ capacity: 3, refillPerSecond: 0.001 })
    const both = (cost: number) => [
      check('global', global, 'global', cost),
      check('client', perClient, 'alice', cost),
    ]
    const first = await store.consume(both(2))
    expect(first.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 8],
      [true, 1],
    ])
    // The bucket refuses 2 more; the window would allow it, but is not charged.
    const refused = await store.consume(both(2))
    expect(refused.map((d) => d.allowed)).toEqual([true, false])
    expect(refused[1]!.retryAfterMs).toBeGreaterThan(0)
    const after = await store.consume([check('global', global, 'global', 8)])
    expect(after[0]).toMatchObject({ allowed: true, remaining: 0 })
  })

  it('gives every key a TTL and never stores a client key raw', async () => {
    const store = redisStore({ client: await connected() })
    const hostile = 'evil {tag}\nKEYS * \r\n*3 $ spaces'
    await store.consume([
      check('global', perMinute(), 'global'),
      check('client', tokenBucket({ capacity: 5, refillPerSecond: 1 }), hostile),
      check('tool', slidingWindow({ limit: 5, windowMs: 1000 }), `${hostile}:tool`),
    ])
    const keys = (await admin.scan('0', 'COUNT', 1000))[1].sort()
    expect(keys).toHaveLength(3)
    for (const key of keys) {
      expect(key).toMatch(/^mcpx:rl:\{rl\}:(global|client|tool):[123]:[A-Za-z0-9_-]{43}$/)
      expect(key).not.toContain('evil')
      expect(await admin.pttl(key)).toBeGreaterThan(0)
    }
    expect(await admin.pttl(keys.find((k) => k.includes(':tool:'))!)).toBeLessThanOrEqual(3000)
  })

  it('recovers when Redis lost the script (SCRIPT FLUSH)', async () => {
    const store = redisStore({ client: await connected(), timeoutMs: 200 })
    const limit = fixedWindow({ limit: 5, windowMs: 60_000 })
    await store.consume([check('a', limit, 'k')])
    await admin.script('FLUSH')
    const [decision] = await store.consume([check('a', limit, 'k')])
    expect(decision).toMatchObject({ allowed: true, remaining: 3 })
    expect(await admin.script('EXISTS', SCRIPT_SHA)).toEqual([1])
  })

  it('starts a limit afresh when its algorithm changes under the same name (a deploy)', async () => {
    const store = redisStore({ client: await connected(), timeoutMs: 500 })
    const windowed = fixedWindow({ limit: 2, windowMs: 3_600_000 })
    await store.consume([check('changed', windowed, 'k')])
    await store.consume([check('changed', windowed, 'k')])
    const sliding = slidingWindow({ limit: 2, windowMs: 3_600_000 })
    const [decision] = await store.consume([check('changed', sliding, 'k')])
    expect(decision).toMatchObject({ allowed: true, remaining: 1 })
  })

  it('reads a damaged state as none rather than failing every check', async () => {
    const store = redisStore({ client: await connected(), timeoutMs: 500 })
    const windowed = fixedWindow({ limit: 2, windowMs: 3_600_000 })
    await store.consume([check('damaged', windowed, 'k')])
    const [key] = await admin.keys('mcpx:rl:{rl}:damaged:*')
    await admin.set(key!, 'not numbers', 'PX', 60_000)
    await expect(store.consume([check('damaged', windowed, 'k')])).resolves.toMatchObject([
      { allowed: true },
    ])
  })

  it('reports Infinity for a cost that can never pass', async () => {
    const store = redisStore({ client: await connected() })
    const [d] = await store.consume([check('a', fixedWindow({ limit: 5, windowMs: 1000 }), 'k', 6)])
    expect(d).toMatchObject({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY })
  })
})
