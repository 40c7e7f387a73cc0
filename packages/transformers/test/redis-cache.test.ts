// The Redis store on a real redis-server: two gateway replicas sharing
// entries and invalidations, and a Redis that goes away mid-test.
import { Context, createProxy, type McpProxy, principalKey, sourceKey, targetKey } from '@mcpx/core'
import { eventually } from '@mcpx/test-utils'
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cache, cacheStatusKey } from '../src/cache.js'
import { redisCacheStore } from '../src/redis.js'

let redis: RedisServer
const clients: Redis[] = []
const proxies: McpProxy[] = []
let upstreamCalls = 0

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()))
  for (const client of clients) client.disconnect()
  await redis?.stop()
})

async function client(): Promise<Redis> {
  const made = new Redis(redis.url, {
    enableOfflineQueue: false,
    socketTimeout: 1000,
    retryStrategy: () => 50,
    lazyConnect: true,
  })
  made.on('error', () => {})
  clients.push(made)
  await made.connect()
  return made
}

/** A gateway replica: its own Redis client, a cache on it, and an upstream that counts reads. */
async function replica(prefix: string, logs: string[] = []): Promise<McpProxy> {
  const proxy = createProxy({
    terminal: async (ctx) => {
      upstreamCalls++
      ctx.result = { contents: [{ uri: 'docs://a', text: `v${upstreamCalls}` }] } as never
    },
  })
  proxy.use(
    cache({
      store: redisCacheStore({ client: await client(), prefix }),
      log: (line) => logs.push(line),
    }),
  )
  proxies.push(proxy)
  return proxy
}

async function read(proxy: McpProxy, uri = 'docs://a') {
  const params = { uri }
  const ctx: Context = new Context({ kind: 'request', id: 1, method: 'resources/read', params })
  ctx.set(targetKey, { upstream: 'docs', method: 'resources/read', params })
  ctx.set(principalKey, { subject: 'alice', scopes: [] })
  await proxy.dispatch(ctx)
  return ctx
}
const textOf = (ctx: Context) => (ctx.result as { contents: { text: string }[] }).contents[0]?.text

describe('the Redis cache store, through whole proxies', () => {
  it('serves a hit in a second proxy instance for an entry the first one filled', async () => {
    const [one, two] = [await replica('t1:{c}:'), await replica('t1:{c}:')]
    const before = upstreamCalls
    const filled = await read(one)
    expect(filled.get(cacheStatusKey)).toBe('miss')
    // The miss's answer waited for the write: the other replica finds it at once.
    const hit = await read(two)
    expect(hit.get(cacheStatusKey)).toBe('hit')
    expect(textOf(hit)).toBe(textOf(filled))
    expect(upstreamCalls - before).toBe(1)
  })

  it("invalidates on every replica: one replica's resources/updated makes the other miss", async () => {
    const [one, two] = [await replica('t2:{c}:'), await replica('t2:{c}:')]
    await read(one)
    expect((await read(two)).get(cacheStatusKey)).toBe('hit')
    const note: Context = new Context({
      kind: 'notification',
      method: 'notifications/resources/updated',
      params: { uri: 'docs://a' },
      direction: 'toClient',
    })
    note.set(sourceKey, 'docs')
    await one.dispatch(note, async () => {})
    await eventually(async () => (await read(two)).get(cacheStatusKey) === 'miss')
  })

  it('answers within timeoutMs when Redis is up but not answering (CLIENT PAUSE), and caches again after the pause', async () => {
    const logs: string[] = []
    const proxy = await replica('t4:{c}:', logs)
    await read(proxy)
    expect((await read(proxy)).get(cacheStatusKey)).toBe('hit')
    const pauser = await client()
    await pauser.call('client', 'pause', '2000')
    const pausedAt = performance.now()
    for (let i = 0; i < 2; i++) {
      const started = performance.now()
      const answer = await read(proxy)
      const took = performance.now() - started
      // Waited for the command's timeout (50 ms), not refused at once: the connection was ready.
      expect(took).toBeGreaterThanOrEqual(40)
      expect(took).toBeLessThan(50 + 400)
      expect(answer.error).toBeUndefined()
      expect(answer.get(cacheStatusKey)).toBe('bypass')
      expect(textOf(answer)).toMatch(/^v\d+$/)
    }
    expect(performance.now() - pausedAt).toBeLessThan(1000) // all of it inside the pause
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatch(/store failed .*answering from the upstream/)
    await eventually(async () => (await read(proxy)).get(cacheStatusKey) === 'hit', 10_000)
  })

  it('keeps answering from the upstream while Redis is down, within its timeout, and caches again once it is back', async () => {
    const logs: string[] = []
    const proxy = await replica('t3:{c}:', logs)
    await read(proxy)
    expect((await read(proxy)).get(cacheStatusKey)).toBe('hit')
    await redis.stop()
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      const answer = await read(proxy)
      expect(performance.now() - started).toBeLessThan(50 + 200)
      expect(answer.error).toBeUndefined()
      expect(answer.get(cacheStatusKey)).toBe('bypass')
      expect(textOf(answer)).toMatch(/^v\d+$/)
    }
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatch(/store failed .*answering from the upstream/)
    await redis.start()
    await eventually(async () => (await read(proxy)).get(cacheStatusKey) === 'hit', 10_000)
  })
})
