// The session directory on a real redis-server: claims, lookups, expiry,
// compare-and-delete, and what it does while Redis is away.
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisSessionDirectory } from '../src/redis.js'
import { eventually } from './fixtures.js'

let redis: RedisServer
const clients: Redis[] = []
async function connected(): Promise<Redis> {
  const client = new Redis(redis.url, {
    enableOfflineQueue: false,
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

let n = 0
const freshId = () => `session-${++n}-${Date.now()}`

describe('redisSessionDirectory', () => {
  it('answers the owner a replica claimed, to another replica', async () => {
    const a = redisSessionDirectory({ client: await connected(), prefix: 't1:' })
    const b = redisSessionDirectory({ client: await connected(), prefix: 't1:' })
    const id = freshId()
    await a.claim(id, 'http://10.0.0.1:3000')
    expect(await b.owner(id)).toBe('http://10.0.0.1:3000')
    expect(await b.owner(freshId())).toBeUndefined()
  })

  it('stores the claim under prefix + id with the ttl', async () => {
    const client = await connected()
    const directory = redisSessionDirectory({ client, prefix: 't2:', ttl: 5000 })
    const id = freshId()
    await directory.claim(id, 'http://a')
    expect(await client.get(`t2:${id}`)).toBe('http://a')
    const pttl = await client.pttl(`t2:${id}`)
    expect(pttl).toBeGreaterThan(4000)
    expect(pttl).toBeLessThanOrEqual(5000)
  })

  it('lets an entry lapse after ttl without a touch, and keeps it with touches', async () => {
    const directory = redisSessionDirectory({ client: await connected(), ttl: 1000 })
    const [lapsing, touched] = [freshId(), freshId()]
    await directory.claim(lapsing, 'http://a')
    await directory.claim(touched, 'http://a')
    const claimed = Date.now()
    // Touched every 50 ms, far inside its ttl, until the other one is gone.
    await eventually(async () => {
      await directory.touch(touched, 'http://a')
      await new Promise((resolve) => setTimeout(resolve, 40))
      return (await directory.owner(lapsing)) === undefined
    })
    expect(Date.now() - claimed).toBeGreaterThanOrEqual(900)
    expect(await directory.owner(touched)).toBe('http://a')
  })

  it('releases an entry only for the owner it names', async () => {
    const directory = redisSessionDirectory({ client: await connected() })
    const id = freshId()
    await directory.claim(id, 'http://a')
    await directory.release(id, 'http://b')
    expect(await directory.owner(id)).toBe('http://a')
    await directory.release(id, 'http://a')
    expect(await directory.owner(id)).toBeUndefined()
  })

  it('refuses bad options when it is made', async () => {
    const client = await connected()
    expect(() => redisSessionDirectory({ client: {} as Redis })).toThrow(/ioredis client/)
    expect(() => redisSessionDirectory({ client, ttl: 50 })).toThrow(/ttl/)
    expect(() => redisSessionDirectory({ client, timeoutMs: 0 })).toThrow(/timeoutMs/)
  })

  it('rejects at once while Redis is down, and works again after a restart', async () => {
    const client = await connected()
    const directory = redisSessionDirectory({ client, timeoutMs: 200 })
    const id = freshId()
    await directory.claim(id, 'http://a')
    await redis.stop()
    await eventually(() => client.status !== 'ready')
    const started = Date.now()
    await expect(directory.owner(id)).rejects.toThrow(/not ready/)
    await expect(directory.claim(id, 'http://a')).rejects.toThrow(/not ready/)
    expect(Date.now() - started).toBeLessThan(100)
    await redis.start()
    await eventually(() => client.status === 'ready', 10_000)
    // The restart lost everything; a touch writes the entry again.
    expect(await directory.owner(id)).toBeUndefined()
    await directory.touch(id, 'http://a')
    expect(await directory.owner(id)).toBe('http://a')
  })
})
