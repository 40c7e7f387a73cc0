import { createProxy, type Middleware, type Principal, principalKey } from '@mcpx/core'
import { eventually } from '@mcpx/test-utils'
import { startRedis } from '@mcpx/test-utils/redis'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { checkConfig } from '../src/config.js'
import { createRateLimit } from '../src/ratelimit.js'
import { startupCheck } from '../src/startup-check.js'

const quiet = () => {}
/** One message a minute at most: a second one in the test is refused. */
const once = { tokenBucket: { capacity: 1, refillPerSecond: 0.001 } }

/** The checked `rateLimits` section of a config with it. */
function sectionOf(rateLimits: unknown) {
  const checked = checkConfig({ rateLimits, upstreams: { math: { example: 'math' } } })
  if (!checked.ok) throw new Error(checked.problems.join('\n'))
  return checked.config.rateLimits!
}

/** A proxy answering every request itself, behind `layers`. */
function proxyWith(...layers: Middleware[]) {
  const proxy = createProxy({
    terminal: async (ctx) => {
      if (ctx.kind !== 'request') return
      ctx.result = (
        ctx.method === 'initialize'
          ? {
              protocolVersion: '2025-11-25',
              capabilities: {},
              serverInfo: { name: 'x', version: '1' },
            }
          : ctx.method === 'tools/list'
            ? { tools: [] }
            : {}
      ) as never
    },
  })
  return proxy.use(...layers)
}

/** Sets this principal on every message, as a front end's authenticator would. */
const as =
  (principal: Principal): Middleware =>
  async (ctx, next) => {
    ctx.set(principalKey, principal)
    await next()
  }

const codeOf = (response: unknown) => (response as { error?: { code: number } }).error?.code
const list = { jsonrpc: '2.0', method: 'tools/list' } as const

describe('the gateway rate limits', () => {
  it('let the start-up check through without spending any budget', async () => {
    const limits = [{ name: 'lists', by: 'global', methods: ['*/list'], algorithm: once }]
    const proxy = proxyWith(await createRateLimit(sectionOf({ limits }), quiet))
    await startupCheck(proxy)
    // The check listed four lists under a global budget of one: had it counted, this would be refused.
    expect(codeOf(await proxy.handle({ ...list, id: 1 }))).toBeUndefined()
    expect(codeOf(await proxy.handle({ ...list, id: 2 }))).toBe(-32029)
    await proxy.close()
  })

  it('limit a principal that only looks like the gateway', async () => {
    const limits = [{ name: 'lists', by: 'client', algorithm: once }]
    const lookalike = { subject: 'mcpx-gateway', scopes: ['*'] }
    const proxy = proxyWith(as(lookalike), await createRateLimit(sectionOf({ limits }), quiet))
    expect(codeOf(await proxy.handle({ ...list, id: 1 }))).toBeUndefined()
    expect(codeOf(await proxy.handle({ ...list, id: 2 }))).toBe(-32029)
    await proxy.close()
  })

  it('let the allow-list through: subjects, client ids and addresses', async () => {
    const limits = [{ name: 'all', by: 'global', algorithm: once }]
    const section = sectionOf({
      limits,
      allow: { subjects: ['ci'], clientIds: ['batch'], addresses: ['127.0.0.2'] },
    })
    const ci = proxyWith(as({ subject: 'ci', scopes: [] }), await createRateLimit(section, quiet))
    const batch = proxyWith(
      as({ subject: 'job-7', clientId: 'batch', scopes: [] }),
      await createRateLimit(section, quiet),
    )
    const other = proxyWith(
      as({ subject: 'job-8', scopes: [] }),
      await createRateLimit(section, quiet),
    )
    const local = proxyWith(await createRateLimit(section, quiet))
    const session = { id: undefined, transport: 'test', remoteAddress: '127.0.0.2' }
    for (let id = 1; id <= 3; id++) {
      expect(codeOf(await ci.handle({ ...list, id }))).toBeUndefined()
      expect(codeOf(await batch.handle({ ...list, id }))).toBeUndefined()
      expect(codeOf(await local.handle({ ...list, id }, { session }))).toBeUndefined()
    }
    expect(codeOf(await other.handle({ ...list, id: 1 }))).toBeUndefined()
    expect(codeOf(await other.handle({ ...list, id: 2 }))).toBe(-32029)
    await Promise.all([ci, batch, other, local].map((proxy) => proxy.close()))
  })

  it('share one budget across gateways on a real Redis, over one client closed with the last of them', async () => {
    const redis = await startRedis()
    const admin = new Redis(redis.url)
    try {
      const limits = [
        {
          name: 'shared',
          by: 'global',
          algorithm: { fixedWindow: { limit: 3, windowMs: 3_600_000 } },
        },
      ]
      const section = sectionOf({
        limits,
        store: { redis: { url: redis.url, prefix: 'gw:{rl}:', timeoutMs: 500 } },
      })
      const a = proxyWith(await createRateLimit(section, quiet))
      const b = proxyWith(await createRateLimit(section, quiet))
      const clients = async () =>
        String(await admin.client('LIST'))
          .trim()
          .split('\n').length
      // One Redis, one client in the process: the admin's and the limiters' shared one.
      expect(await clients()).toBe(2)
      expect(codeOf(await a.handle({ ...list, id: 1 }))).toBeUndefined()
      expect(codeOf(await b.handle({ ...list, id: 2 }))).toBeUndefined()
      expect(codeOf(await a.handle({ ...list, id: 3 }))).toBeUndefined()
      // Three in this window, counted on Redis whichever gateway took them.
      expect(codeOf(await b.handle({ ...list, id: 4 }))).toBe(-32029)
      expect(await admin.keys('gw:{rl}:shared:*')).toHaveLength(1)
      await a.close()
      expect(await clients()).toBe(2)
      await b.close()
      await eventually(async () => (await clients()) === 1)
    } finally {
      admin.disconnect()
      await redis.stop()
    }
  })
})
