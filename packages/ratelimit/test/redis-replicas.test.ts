// Two stores on two clients, as two gateway replicas sharing one Redis; Redis
// taken away and brought back mid-test; the script beside the JS algorithms.
import { createHash } from 'node:crypto'
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedWindow } from '../src/fixed-window.js'
import { RateLimitStoreUnavailable, redisStore } from '../src/redis.js'
import { slidingWindow } from '../src/sliding-window.js'
import { tokenBucket } from '../src/token-bucket.js'
import type { Algorithm, Decision, State } from '../src/types.js'

let redis: RedisServer
const clients: Redis[] = []
async function connected(): Promise<Redis> {
  const client = new Redis(redis.url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    socketTimeout: 1000,
    retryStrategy: () => 50,
    lazyConnect: true,
  })
  client.on('error', () => {})
  clients.push(client)
  await client.connect()
  return client
}

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  for (const client of clients) client.disconnect()
  await redis?.stop()
})

describe('two redisStores sharing one Redis', () => {
  const globals: [string, () => Algorithm][] = [
    ['fixedWindow', () => fixedWindow({ limit: 100, windowMs: 3_600_000 })],
    ['slidingWindow', () => slidingWindow({ limit: 100, windowMs: 3_600_000 })],
    ['tokenBucket', () => tokenBucket({ capacity: 100, refillPerSecond: 0.0001 })],
  ]
  it.each(globals)('enforce one global limit of 100 exactly (%s)', async (name, make) => {
    const replicas = [
      redisStore({ client: await connected(), timeoutMs: 2000 }),
      redisStore({ client: await connected(), timeoutMs: 2000 }),
    ]
    const algorithm = make()
    const checks = [{ limitId: `global-${name}`, algorithm, key: 'global', cost: 1 }]
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => replicas[i % 2]!.consume(checks)),
    )
    expect(results.filter(([d]) => d!.allowed)).toHaveLength(100)
  })
})

describe('redisStore when Redis goes away', () => {
  it('rejects within timeoutMs with RateLimitStoreUnavailable, then works again after a restart', async () => {
    const timeoutMs = 50
    const store = redisStore({ client: await connected(), timeoutMs })
    const checks = [
      {
        limitId: 'a',
        algorithm: fixedWindow({ limit: 1000, windowMs: 60_000 }),
        key: 'k',
        cost: 1,
      },
    ]
    await store.consume(checks)
    // In flight while Redis stops, and sent after it stopped.
    const during = Array.from({ length: 50 }, () => timed(store.consume(checks)))
    await redis.stop()
    const after = Array.from({ length: 50 }, () => timed(store.consume(checks)))
    for (const outcome of await Promise.all([...during, ...after])) {
      if (outcome.error === undefined) continue // answered before the stop
      expect(RateLimitStoreUnavailable.is(outcome.error)).toBe(true)
      expect(outcome.error).toBeInstanceOf(RateLimitStoreUnavailable)
      expect(outcome.ms).toBeLessThan(timeoutMs + 200)
    }
    expect((await Promise.all(after)).every((o) => o.error !== undefined)).toBe(true)
    await redis.start()
    const deadline = Date.now() + 5000
    let recovered: readonly Decision[] | undefined
    while (!recovered && Date.now() < deadline) {
      recovered = await Promise.resolve(store.consume(checks)).catch(async () => {
        await new Promise((r) => setTimeout(r, 25))
        return undefined
      })
    }
    // A restarted Redis is empty: the script is loaded again (NOSCRIPT) and the count starts over.
    expect(recovered?.[0]).toMatchObject({ allowed: true, remaining: 999 })
  })
})

describe('redisStore when Redis hangs', () => {
  it('rejects each check within timeoutMs while Redis answers nothing (CLIENT PAUSE)', async () => {
    const timeoutMs = 50
    const store = redisStore({ client: await connected(), timeoutMs })
    const checks = [
      {
        limitId: 'p',
        algorithm: fixedWindow({ limit: 1000, windowMs: 60_000 }),
        key: 'k',
        cost: 1,
      },
    ]
    await store.consume(checks)
    const admin = await connected()
    await admin.call('CLIENT', 'PAUSE', '600', 'ALL')
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => timed(store.consume(checks))),
    )
    for (const outcome of outcomes) {
      expect(RateLimitStoreUnavailable.is(outcome.error)).toBe(true)
      expect(outcome.ms).toBeLessThan(timeoutMs + 200)
    }
    await admin.call('CLIENT', 'UNPAUSE')
  })
})

async function timed<T>(work: Promise<T> | T): Promise<{ ms: number; error?: unknown }> {
  const start = performance.now()
  try {
    await work
    return { ms: performance.now() - start }
  } catch (error) {
    return { ms: performance.now() - start, error }
  }
}

describe('redisStore beside the JS algorithms', () => {
  const algorithms: [string, Algorithm][] = [
    ['tokenBucket', tokenBucket({ capacity: 10, refillPerSecond: 40 })],
    ['fixedWindow', fixedWindow({ limit: 10, windowMs: 300 })],
    ['slidingWindow', slidingWindow({ limit: 10, windowMs: 300 })],
  ]
  it.each(algorithms)('decides as %s does on a scripted sequence', async (name, algorithm) => {
    const client = await connected()
    const store = redisStore({ client, timeoutMs: 2000 })
    const costs = [1, 3, 2, 5, 1, 8, 1, 2, 4, 11, 1, 3, 6, 2, 1, 5, 2, 7, 1, 1]
    const kind = { 'token-bucket': 1, 'fixed-window': 2, 'sliding-window': 3 }[algorithm.kind]
    const key = `mcpx:rl:{rl}:${name}:${kind}:${sha('k')}`
    for (const [step, cost] of costs.entries()) {
      const raw = await client.get(key)
      const state: State | undefined = raw === null ? undefined : raw.split(' ').map(Number)
      const before = await redisMs(client)
      const [got] = await store.consume([{ limitId: name, algorithm, key: 'k', cost }])
      const after = await redisMs(client)
      // Redis's clock read inside the script lies between the two reads around it.
      const at = (now: number) => {
        const out = { allowed: false, limit: 0, remaining: 0, retryAfterMs: 0, resetMs: 0 }
        algorithm.evaluate(state, now, cost, out, [0, 0, 0])
        return out
      }
      const candidates = Array.from({ length: after - before + 1 }, (_, i) => at(before + i))
      expect(candidates, `step ${step}`).toContainEqual(got)
      await new Promise((r) => setTimeout(r, 20 + ((step * 37) % 60)))
    }
  })
})

async function redisMs(client: Redis): Promise<number> {
  const [seconds, micros] = await client.time()
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
}

function sha(key: string): string {
  return createHash('sha256').update(key).digest('base64url')
}
