import { Context, ErrorCode, McpxError, type Principal, principalKey } from '@mcpx/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fixedWindow } from './fixed-window.js'
import { memoryStore } from './memory-store.js'
import { type RateLimitOptions, rateLimit } from './rate-limit.js'
import { tokenBucket } from './token-bucket.js'
import type { RateLimitStore } from './types.js'

afterEach(() => {
  vi.useRealTimers()
})

interface Message {
  method?: string
  tool?: string
  principal?: Principal
  session?: string
  address?: string
  headers?: Record<string, string>
  direction?: 'toServer' | 'toClient'
  kind?: 'request' | 'notification'
}

function context(message: Message = {}): Context {
  const method =
    message.method ?? (message.kind === 'notification' ? 'notifications/x' : 'tools/call')
  const ctx = new Context<string>({
    kind: message.kind ?? 'request',
    direction: message.direction ?? 'toServer',
    method,
    id: message.kind === 'notification' ? undefined : 1,
    params: (method === 'tools/call' ? { name: message.tool ?? 'search' } : {}) as never,
    session: {
      id: message.session,
      transport: 'streamable-http',
      remoteAddress: message.address,
      headers: message.headers,
    },
  })
  if (message.principal) ctx.set(principalKey, message.principal)
  return ctx
}

/** Run `mw` on one message: whether it went on, and its error. */
async function run(mw: ReturnType<typeof rateLimit>, message: Message = {}) {
  const ctx = context(message)
  let reached = false
  await mw(ctx, async () => {
    reached = true
  })
  return { reached, error: ctx.error }
}

const window5 = () => fixedWindow({ limit: 5, windowMs: 60_000 })
const alice: Principal = { subject: 'alice', scopes: [] }
const bob: Principal = { subject: 'bob', scopes: [] }

function limiter(options: Partial<RateLimitOptions> = {}) {
  return rateLimit({
    limits: [{ name: 'calls', algorithm: window5() }],
    store: memoryStore(),
    ...options,
  })
}

describe('rateLimit()', () => {
  it("refuses a client's 6th call in a 5-per-window limit with -32029, its data and headers", async () => {
    vi.useFakeTimers({ now: 0 })
    const mw = limiter()
    for (let i = 0; i < 5; i++) expect((await run(mw, { principal: alice })).reached).toBe(true)
    const { reached, error } = await run(mw, { principal: alice })
    expect(reached).toBe(false)
    expect(error?.code).toBe(ErrorCode.RateLimited)
    expect(error?.data).toEqual({
      retryAfterMs: 60_000,
      retryAfter: 60,
      limit: 5,
      remaining: 0,
      policy: 'calls',
    })
    expect(error?.headers).toEqual({
      'retry-after': '60',
      ratelimit: '"calls";r=0;t=60',
      'ratelimit-policy': '"calls";q=5;w=60',
    })
    expect(mw.stats.refused).toBe(1)
  })

  it('counts each client apart: principal, else session, else address', async () => {
    const mw = limiter()
    for (let i = 0; i < 5; i++) await run(mw, { principal: alice })
    expect((await run(mw, { principal: alice })).reached).toBe(false)
    expect((await run(mw, { principal: bob })).reached).toBe(true)
    expect((await run(mw, { session: 's1' })).reached).toBe(true)
    expect((await run(mw, { address: '127.0.0.2' })).reached).toBe(true)
  })

  it('charges nothing when one of several limits refuses', async () => {
    const mw = rateLimit({
      store: memoryStore(),
      limits: [
        { name: 'global', by: 'global', algorithm: fixedWindow({ limit: 100, windowMs: 60_000 }) },
        { name: 'per-tool', by: 'tool', algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }) },
      ],
    })
    expect((await run(mw, { tool: 'search' })).reached).toBe(true)
    for (let i = 0; i < 10; i++)
      expect((await run(mw, { tool: 'search' })).error?.data).toMatchObject({ policy: 'per-tool' })
    // The global budget was charged once, by the one accepted call: 99 left for other tools.
    for (let i = 0; i < 99; i++) expect((await run(mw, { tool: `t${i}` })).reached).toBe(true)
    expect((await run(mw, { tool: 'other' })).error?.data).toMatchObject({ policy: 'global' })
  })

  it('never counts messages to the client, notifications, initialize or ping', async () => {
    const mw = rateLimit({
      limits: [
        { name: 'one', by: 'global', algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }) },
      ],
    })
    for (let i = 0; i < 3; i++) {
      expect(
        (await run(mw, { direction: 'toClient', method: 'sampling/createMessage' })).reached,
      ).toBe(true)
      expect((await run(mw, { kind: 'notification' })).reached).toBe(true)
      expect((await run(mw, { method: 'initialize' })).reached).toBe(true)
      expect((await run(mw, { method: 'ping' })).reached).toBe(true)
    }
    expect((await run(mw)).reached).toBe(true)
    expect((await run(mw)).reached).toBe(false)
  })

  it('weighs a call by its cost, and by an override for matching tools', async () => {
    const mw = rateLimit({
      store: memoryStore(),
      limits: [
        {
          name: 'budget',
          by: 'global',
          algorithm: fixedWindow({ limit: 10, windowMs: 60_000 }),
          cost: 2,
          overrides: [{ tools: 'report_*', cost: 5 }],
        },
      ],
    })
    expect((await run(mw, { tool: 'report_q1' })).reached).toBe(true) // 5
    expect((await run(mw, { tool: 'search' })).reached).toBe(true) // 7
    expect((await run(mw, { tool: 'search' })).reached).toBe(true) // 9
    expect((await run(mw, { tool: 'search' })).error?.data).toMatchObject({ remaining: 1 })
  })

  it('gives matching tools their own algorithm and budget through an override', async () => {
    const mw = rateLimit({
      store: memoryStore(),
      limits: [
        {
          name: 'calls',
          algorithm: fixedWindow({ limit: 100, windowMs: 60_000 }),
          overrides: [
            { tools: 'expensive_*', algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }) },
          ],
        },
      ],
    })
    expect((await run(mw, { tool: 'expensive_a', principal: alice })).reached).toBe(true)
    expect((await run(mw, { tool: 'expensive_b', principal: alice })).reached).toBe(false)
    expect((await run(mw, { tool: 'cheap', principal: alice })).reached).toBe(true)
  })

  it('counts only the tools and methods a limit names', async () => {
    const mw = rateLimit({
      store: memoryStore(),
      limits: [
        {
          name: 'search',
          by: 'global',
          tools: 'search*',
          algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }),
        },
      ],
    })
    expect((await run(mw, { tool: 'search' })).reached).toBe(true)
    expect((await run(mw, { tool: 'searchAll' })).reached).toBe(false)
    expect((await run(mw, { tool: 'other' })).reached).toBe(true)
    expect((await run(mw, { method: 'resources/read' })).reached).toBe(true)
  })

  it('gives client classes their own limits, by principal claim or by header', async () => {
    const classes = {
      algorithms: {
        premium: fixedWindow({ limit: 1000, windowMs: 60_000 }),
        basic: fixedWindow({ limit: 2, windowMs: 60_000 }),
      },
    }
    const byClaim = rateLimit({
      store: memoryStore(),
      limits: [{ name: 'plan', algorithm: window5(), classes: { claim: 'plan', ...classes } }],
    })
    const premium: Principal = { subject: 'p', scopes: [], claims: { plan: 'premium' } }
    const basic: Principal = { subject: 'b', scopes: [], claims: { plan: 'basic' } }
    for (let i = 0; i < 10; i++)
      expect((await run(byClaim, { principal: premium })).reached).toBe(true)
    for (let i = 0; i < 2; i++)
      expect((await run(byClaim, { principal: basic })).reached).toBe(true)
    expect((await run(byClaim, { principal: basic })).error?.data).toMatchObject({ limit: 2 })
    const byHeader = rateLimit({
      store: memoryStore(),
      limits: [{ name: 'plan', algorithm: window5(), classes: { header: 'X-Plan', ...classes } }],
    })
    for (let i = 0; i < 2; i++)
      await run(byHeader, { session: 's', headers: { 'x-plan': 'basic' } })
    expect((await run(byHeader, { session: 's', headers: { 'x-plan': 'basic' } })).reached).toBe(
      false,
    )
    // No class (or an unknown one): the limit's own algorithm.
    for (let i = 0; i < 5; i++) expect((await run(byHeader, { session: 'n' })).reached).toBe(true)
    expect((await run(byHeader, { session: 'n' })).error?.data).toMatchObject({ limit: 5 })
  })

  it('lets allow-listed callers through every limit', async () => {
    const mw = limiter({ allow: { subjects: ['ci'], addresses: ['10.0.0.1'] } })
    const ci: Principal = { subject: 'ci', scopes: [] }
    for (let i = 0; i < 20; i++) {
      expect((await run(mw, { principal: ci })).reached).toBe(true)
      expect((await run(mw, { address: '10.0.0.1' })).reached).toBe(true)
    }
  })

  it('keys a custom function, and leaves out messages it returns undefined for', async () => {
    const mw = rateLimit({
      store: memoryStore(),
      limits: [
        {
          name: 'tenant',
          by: (ctx) => ctx.session.headers?.['x-tenant'] as string | undefined,
          algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }),
        },
      ],
    })
    expect((await run(mw, { headers: { 'x-tenant': 'a' } })).reached).toBe(true)
    expect((await run(mw, { headers: { 'x-tenant': 'a' } })).reached).toBe(false)
    expect((await run(mw, { headers: { 'x-tenant': 'b' } })).reached).toBe(true)
    for (let i = 0; i < 3; i++) expect((await run(mw)).reached).toBe(true)
  })

  it('keeps a hostile long client key within 256 characters, still apart from others', async () => {
    const seen: string[] = []
    const store: RateLimitStore = {
      consume(checks) {
        for (const check of checks) seen.push(check.key)
        return checks.map(() => ({
          allowed: true,
          limit: 1,
          remaining: 1,
          retryAfterMs: 0,
          resetMs: 0,
        }))
      },
    }
    const mw = rateLimit({ store, limits: [{ name: 'calls', algorithm: window5() }] })
    await run(mw, { principal: { subject: 'x'.repeat(10_000), scopes: [] } })
    await run(mw, { principal: { subject: `${'x'.repeat(9_999)}y`, scopes: [] } })
    expect(seen.every((key) => key.length <= 256)).toBe(true)
    expect(new Set(seen).size).toBe(2)
  })

  it('fails open or closed as each limit says when the store fails, and counts it', async () => {
    const broken: RateLimitStore = {
      consume: async () => {
        throw new Error('redis down')
      },
    }
    const errors: unknown[] = []
    const open = rateLimit({
      store: broken,
      onStoreError: (e) => errors.push(e),
      limits: [{ name: 'calls', algorithm: window5() }],
    })
    expect((await run(open)).reached).toBe(true)
    expect(open.stats.failedOpen).toBe(1)
    const closed = rateLimit({
      store: broken,
      onStoreError: (e) => errors.push(e),
      limits: [
        { name: 'calls', algorithm: window5() },
        { name: 'strict', by: 'global', algorithm: window5(), failure: 'closed' },
      ],
    })
    const { reached, error } = await run(closed)
    expect(reached).toBe(false)
    expect(McpxError.is(error) && error.code).toBe(ErrorCode.Overloaded)
    expect(closed.stats.failedClosed).toBe(1)
    expect(errors).toHaveLength(2)
  })

  it('reads each decision before another message can reuse the store’s buffers', async () => {
    const mw = rateLimit({
      store: memoryStore(),
      limits: [{ name: 'one', algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }) }],
    })
    const results = await Promise.all([
      run(mw, { principal: alice }),
      run(mw, { principal: bob }),
      run(mw, { principal: alice }),
    ])
    expect(results.map((r) => r.reached)).toEqual([true, true, false])
  })

  it('refuses a message costing more than the bucket holds, with no retry time', async () => {
    const mw = rateLimit({
      store: memoryStore(),
      limits: [{ name: 'b', algorithm: tokenBucket({ capacity: 3, refillPerSecond: 1 }), cost: 5 }],
    })
    const { error } = await run(mw)
    expect(error?.data).toMatchObject({ retryAfterMs: null, limit: 3 })
    expect(error?.headers?.['retry-after']).toBeUndefined()
  })

  it('throws a TypeError for bad options, once, when the factory runs', () => {
    const algorithm = window5()
    expect(() => rateLimit(undefined as never)).toThrow(TypeError)
    expect(() => rateLimit({ limits: [{ name: 'has space', algorithm }] })).toThrow(TypeError)
    expect(() => rateLimit({ limits: [{ name: 'a', algorithm: {} as never }] })).toThrow(TypeError)
    expect(() => rateLimit({ limits: [{ name: 'a', algorithm, cost: 0 }] })).toThrow(TypeError)
    expect(() => rateLimit({ limits: [{ name: 'a', algorithm, by: 'user' as never }] })).toThrow(
      TypeError,
    )
    expect(() =>
      rateLimit({
        limits: [
          { name: 'a', algorithm },
          { name: 'a', algorithm },
        ],
      }),
    ).toThrow(TypeError)
    expect(() => rateLimit({ limits: [{ name: 'a', algorithm, tools: [] }] })).toThrow(TypeError)
    expect(() =>
      rateLimit({ limits: [{ name: 'a', algorithm, classes: { algorithms: {} } as never }] }),
    ).toThrow(TypeError)
  })
})
