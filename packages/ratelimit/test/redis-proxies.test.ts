// Whole proxies on a real redis-server: two gateway replicas enforcing one
// limit, and the fail-open / fail-closed policies while Redis is away.
import { createProxy, ErrorCode, type McpProxy } from '@mcpx/core'
import { eventually } from '@mcpx/test-utils'
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedWindow, type LimitOptions, rateLimit } from '../src/index.js'
import { redisStore } from '../src/redis.js'

let redis: RedisServer
const clients: Redis[] = []
const proxies: McpProxy[] = []

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
    autoResendUnfulfilledCommands: false,
    socketTimeout: 1000,
    retryStrategy: () => 50,
    lazyConnect: true,
  })
  made.on('error', () => {})
  clients.push(made)
  await made.connect()
  return made
}

/** A gateway replica: its own Redis client, the limits, and an upstream that answers every call. */
async function replica(limits: LimitOptions[], timeoutMs = 50): Promise<McpProxy> {
  const proxy = createProxy({
    terminal: async (ctx) => {
      ctx.result = { content: [{ type: 'text', text: 'ok' }] } as never
    },
  })
  proxy.use(
    rateLimit({
      store: redisStore({ client: await client(), timeoutMs }),
      limits,
      onStoreError: () => {},
    }),
  )
  proxies.push(proxy)
  return proxy
}

let id = 0
const call = (proxy: McpProxy, tool = 'search') =>
  proxy.handle({
    jsonrpc: '2.0',
    id: ++id,
    method: 'tools/call',
    params: { name: tool, arguments: {} },
  })

describe('rate limits on Redis, through whole proxies', () => {
  it('two proxy instances sharing one Redis let exactly 100 of 300 concurrent calls through a limit of 100 per minute', async () => {
    const limits: LimitOptions[] = [
      { name: 'global', by: 'global', algorithm: fixedWindow({ limit: 100, windowMs: 60_000 }) },
    ]
    // The burst must not straddle a minute boundary (a fixed window would then let 200 through).
    const left = 60_000 - (Date.now() % 60_000)
    if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 100))
    const replicas = [await replica(limits, 2000), await replica(limits, 2000)]
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => call(replicas[i % 2]!)))
    const served = answers.filter((answer) => answer !== undefined && 'result' in answer)
    const refused = answers.filter(
      (answer) =>
        answer !== undefined && 'error' in answer && answer.error.code === ErrorCode.RateLimited,
    )
    expect(served).toHaveLength(100)
    expect(refused).toHaveLength(200)
  })

  it('with Redis stopped, fails open or closed per limit within the timeout, and recovers when Redis returns', async () => {
    const open = await replica([
      { name: 'open', by: 'global', algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }) },
    ])
    const closed = await replica([
      {
        name: 'closed',
        by: 'global',
        failure: 'closed',
        algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }),
      },
    ])
    expect(await call(open)).toHaveProperty('result')
    expect(await call(closed)).toHaveProperty('result')
    await redis.stop()
    for (const proxy of [open, closed]) {
      const started = performance.now()
      const answer = await call(proxy)
      expect(performance.now() - started).toBeLessThan(50 + 200)
      if (proxy === open) expect(answer).toHaveProperty('result')
      else {
        expect(answer).toMatchObject({ error: { code: ErrorCode.Overloaded } })
        expect((answer as { error: { message: string } }).error.message).toMatch(
          /Rate limits cannot be checked/,
        )
      }
    }
    await redis.start()
    // Both replicas check again once their clients have reconnected: the limit of 2 applies.
    await eventually(async () => 'result' in ((await call(closed)) ?? {}))
    await eventually(async () => {
      const answer = await call(open)
      return (
        answer !== undefined && 'error' in answer && answer.error.code === ErrorCode.RateLimited
      )
    })
  })
})
