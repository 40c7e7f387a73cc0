import {
  Context,
  createKey,
  createProxy,
  createStatsRegistry,
  ErrorCode,
  type Key,
  McpxError,
  type Middleware,
  principalKey,
  sourceKey,
  targetKey,
  toolKey,
} from '@mcpx/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseExposition } from '../test/parse-exposition.js'
import { type MetricsOptions, metrics } from './metrics.js'
import { createMetricsRegistry } from './registry.js'

/** What the fake stack below metrics does with a message: its `_test` param. */
interface Script {
  upstream?: string
  client?: string
  ms?: number
  code?: number
  throws?: 'mcpx' | 'other'
  toolError?: boolean
  cache?: string
  noAnswer?: boolean
  /** The tool is in the router's catalog (core's toolKey is set). */
  listed?: boolean
}

const cacheKey: Key<string> = createKey<string>('test.cache')

/** Plays the layers below metrics: auth (principal), router (target), a cache, the upstream. */
const below: Middleware = async (ctx) => {
  const script = ((ctx.params as { _test?: Script } | undefined)?._test ?? {}) as Script
  if (script.client !== undefined) ctx.set(principalKey, { subject: script.client, scopes: [] })
  if (script.upstream !== undefined) {
    ctx.set(targetKey, { upstream: script.upstream, method: ctx.method, params: ctx.params })
  }
  if (script.listed) {
    const name = (ctx.params as { name: string }).name
    ctx.set(toolKey, { name, inputSchema: { type: 'object' } })
  }
  if (script.ms !== undefined) await new Promise((resolve) => setTimeout(resolve, script.ms))
  if (script.throws === 'mcpx') throw new McpxError(script.code ?? ErrorCode.InternalError, 'no')
  if (script.throws === 'other') throw new Error('boom')
  if (script.code !== undefined) {
    ctx.error = new McpxError(script.code, 'refused')
    return
  }
  if (script.cache !== undefined) ctx.set(cacheKey, script.cache)
  if (script.noAnswer) return
  ctx.result = { content: [], ...(script.toolError ? { isError: true } : {}) }
}

function gateway(options: MetricsOptions = {}) {
  const m = metrics({ cacheStatusKey: cacheKey, log: () => {}, ...options })
  const proxy = createProxy({ strict: false, onError: () => {} }).use(m, below)
  const send = async (
    method: string,
    script: Script & { tool?: string } = {},
    kind: 'request' | 'notification' = 'request',
  ) => {
    const { tool, ...rest } = script
    const params = { ...(tool === undefined ? {} : { name: tool }), _test: rest }
    const ctx = new Context({ kind, id: kind === 'request' ? 1 : undefined, method, params })
    const done = proxy.dispatch(ctx)
    await vi.advanceTimersByTimeAsync(script.ms ?? 0)
    await done
    return ctx
  }
  return { m, send }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('metrics(): outcomes', () => {
  it.each([
    [{}, 'ok'],
    [{ toolError: true }, 'tool_error'],
    [{ cache: 'hit' }, 'cache_hit'],
    [{ cache: 'stale' }, 'cache_hit'],
    [{ cache: 'miss' }, 'ok'],
    [{ code: ErrorCode.RateLimited }, 'rate_limited'],
    [{ code: ErrorCode.Unauthorized }, 'unauthorized'],
    [{ code: ErrorCode.Forbidden }, 'forbidden'],
    [{ code: ErrorCode.InvalidRequest }, 'invalid_request'],
    [{ code: ErrorCode.ParseError }, 'invalid_request'],
    [{ code: ErrorCode.InvalidParams }, 'invalid_params'],
    [{ code: ErrorCode.MethodNotFound }, 'not_found'],
    [{ code: ErrorCode.ResourceNotFound }, 'not_found'],
    [{ noAnswer: true }, 'not_found'],
    [{ code: ErrorCode.UpstreamUnavailable }, 'unavailable'],
    [{ code: ErrorCode.ConnectionClosed }, 'unavailable'],
    [{ code: ErrorCode.Overloaded }, 'overloaded'],
    [{ code: ErrorCode.RequestTimeout }, 'timeout'],
    [{ code: ErrorCode.RequestCancelled }, 'cancelled'],
    [{ code: ErrorCode.InternalError }, 'internal'],
    [{ code: -31999 }, 'error'],
    [{ throws: 'mcpx', code: ErrorCode.RateLimited }, 'rate_limited'],
    [{ throws: 'other' }, 'internal'],
  ] as [Script, string][])('counts %j as %s', async (script, outcome) => {
    const { m, send } = gateway()
    await send('tools/call', { ...script, tool: 'add', upstream: 'math' })
    const { outcomes, total } = m.getStats()
    expect(total).toBe(1)
    expect(Object.entries(outcomes).filter(([, n]) => n > 0)).toEqual([[outcome, 1]])
  })

  it('counts a notification without an answer as ok', async () => {
    const { m, send } = gateway()
    await send('notifications/cancelled', { noAnswer: true }, 'notification')
    expect(m.getStats().outcomes.ok).toBe(1)
  })

  it('lets what is thrown through, untouched', async () => {
    const m = metrics()
    const error = new Error('boom')
    const ctx = new Context<string>({ kind: 'request', id: 1, method: 'ping' })
    await expect(m(ctx, () => Promise.reject(error))).rejects.toBe(error)
    expect(m.getStats().outcomes.internal).toBe(1)
    expect(m.getStats().inFlight).toBe(0)
  })
})

describe('metrics(): stats after a scripted run', () => {
  it('equals the exact counts and latencies the script produced', async () => {
    const { m, send } = gateway()
    for (let i = 0; i < 5; i++)
      await send('tools/call', { tool: 'add', upstream: 'math', client: 'app', ms: 2 })
    for (let i = 0; i < 2; i++)
      await send('tools/call', {
        tool: 'div',
        upstream: 'math',
        client: 'app',
        toolError: true,
        listed: true,
        ms: 4,
      })
    for (let i = 0; i < 3; i++)
      await send('tools/call', {
        tool: 'add',
        upstream: 'math',
        client: 'bot',
        code: ErrorCode.RateLimited,
      })
    await send('tools/call', {
      tool: 'add',
      upstream: 'math',
      client: 'bot',
      throws: 'other',
      ms: 1,
    })
    for (let i = 0; i < 2; i++)
      await send('resources/read', { upstream: 'docs', client: 'app', cache: 'hit' })
    await send('resources/read', { upstream: 'docs', client: 'app', ms: 10 })
    await send('made/up', { noAnswer: true })

    const stats = m.getStats()
    expect(stats).toMatchObject({
      total: 15,
      successes: 8,
      failures: 7,
      rateLimited: 3,
      cacheHits: 2,
      toolErrors: 2,
      retries: undefined,
      inFlight: 0,
      folded: { method: 1, upstream: 0, tool: 0, client: 0, series: 0 },
    })
    expect(stats.successRate).toBeCloseTo(8 / 15)
    expect(stats.outcomes).toMatchObject({
      ok: 6,
      cache_hit: 2,
      tool_error: 2,
      rate_limited: 3,
      internal: 1,
      not_found: 1,
    })
    // Latency: 5 × 2 ms, 2 × 4 ms, 1 × 1 ms, 1 × 10 ms and 6 × 0 ms.
    expect(stats.latency).toMatchObject({ count: 15, minMs: 0, maxMs: 10, meanMs: 29 / 15 })
    expect(stats.latency.p99Ms).toBeLessThanOrEqual(10)
    expect(stats.latency.p50Ms).toBeGreaterThanOrEqual(1)
    expect(stats.latency.p50Ms).toBeLessThanOrEqual(2)
    expect(Object.keys(stats.methods)).toEqual(['tools/call', 'resources/read', 'other'])
    expect(stats.methods['tools/call']).toMatchObject({ total: 11, successes: 5, failures: 6 })
    expect(stats.upstreams).toMatchObject({ math: { total: 11 }, docs: { total: 3, cacheHits: 2 } })
    expect(Object.keys(stats.upstreams)).toEqual(['math', 'docs'])
    expect(stats.tools.add).toMatchObject({ total: 9, successes: 5, rateLimited: 3 })
    expect(stats.tools.add?.latency).toMatchObject({ minMs: 0, maxMs: 2, meanMs: 11 / 9 })
    expect(stats.tools.div).toMatchObject({ total: 2, toolErrors: 2, successRate: 0 })
    expect(stats.tools.div?.latency).toMatchObject({ minMs: 4, maxMs: 4, p50Ms: 4, p99Ms: 4 })
    expect(stats.clients).toEqual({
      app: expect.objectContaining({ total: 10, successes: 8 }),
      bot: expect.objectContaining({ total: 4, rateLimited: 3 }),
    })
  })

  it('says nothing of latency while nothing was counted', () => {
    const stats = metrics().getStats()
    expect(stats).toMatchObject({ total: 0, successRate: null })
    expect(stats.latency).toEqual({
      count: 0,
      minMs: null,
      maxMs: null,
      meanMs: null,
      p50Ms: null,
      p90Ms: null,
      p99Ms: null,
    })
  })

  it('puts each observation in its duration bucket, in seconds', async () => {
    const { m, send } = gateway()
    await send('tools/call', { tool: 'add', upstream: 'math', ms: 3 })
    const histogram = parseExposition(m.exposition()).find(
      (f) => f.name === 'mcpx_request_duration_seconds',
    )
    const buckets = histogram?.samples.filter((s) => s.name.endsWith('_bucket'))
    expect(buckets?.find((s) => s.labels.le === '0.0025')?.value).toBe(0)
    expect(buckets?.find((s) => s.labels.le === '0.005')?.value).toBe(1)
    expect(histogram?.samples.find((s) => s.name.endsWith('_sum'))?.value).toBe(0.003)
  })

  it('counts messages in flight', async () => {
    const { m, send } = gateway()
    const ctx = new Context<string>({
      kind: 'request',
      id: 1,
      method: 'ping',
      params: { _test: { ms: 50 } },
    })
    const proxy = createProxy({ strict: false }).use(m, below)
    const done = proxy.dispatch(ctx)
    expect(m.getStats().inFlight).toBe(1)
    expect(m.exposition()).toContain('mcpx_requests_in_flight 1\n')
    await vi.advanceTimersByTimeAsync(50)
    await done
    await send('ping')
    expect(m.getStats().inFlight).toBe(0)
  })

  it('starts afresh on reset(), label values included', async () => {
    const { m, send } = gateway({ maxTools: 1 })
    await send('tools/call', { tool: 'a', upstream: 'math' })
    await send('tools/call', { tool: 'b', upstream: 'math' })
    expect(Object.keys(m.getStats().tools)).toEqual(['a', 'other'])
    const before = m.getStats().startedAt
    vi.advanceTimersByTime(1000)
    m.reset()
    expect(m.registry.series).toBe(0)
    expect(m.getStats()).toMatchObject({ total: 0, tools: {}, folded: { tool: 0 } })
    expect(m.getStats().startedAt).toBe(before + 1000)
    await send('tools/call', { tool: 'b', upstream: 'math' })
    expect(Object.keys(m.getStats().tools)).toEqual(['b'])
  })
})

describe('metrics(): labels', () => {
  it('labels a server-initiated message with the upstream it came from', async () => {
    const m = metrics()
    const ctx = new Context<string>({
      kind: 'request',
      id: 1,
      method: 'sampling/createMessage',
      direction: 'toClient',
    })
    ctx.set(sourceKey, 'math')
    await m(ctx, async () => {
      ctx.result = {}
    })
    expect(Object.keys(m.getStats().upstreams)).toEqual(['math'])
  })

  it('takes the client from the option when given, and survives one that throws', async () => {
    const log = vi.fn()
    const { m, send } = gateway({
      client: (ctx) => {
        if (ctx.method === 'ping') throw new Error('no client here')
        return 'from-option'
      },
      log,
    })
    await send('tools/call', { tool: 'add', client: 'alice' })
    await send('ping')
    await send('ping')
    expect(Object.keys(m.getStats().clients)).toEqual(['from-option'])
    expect(m.getStats().total).toBe(3)
    expect(log).toHaveBeenCalledTimes(1)
    expect(log.mock.calls[0]?.[0]).toContain('the client option threw (no client here)')
  })

  it('has no client family with maxClients: 0', async () => {
    const { m, send } = gateway({ maxClients: 0 })
    await send('tools/call', { tool: 'add', client: 'alice' })
    expect(m.getStats().clients).toEqual({})
    expect(m.exposition()).not.toContain('mcpx_client_requests_total')
  })

  it('folds methods past the MCP list (and methods) into other', async () => {
    const { m, send } = gateway({ methods: ['acme/sync'] })
    await send('acme/sync')
    await send('acme/other')
    await send('tools/list')
    expect(Object.keys(m.getStats().methods)).toEqual(['acme/sync', 'other', 'tools/list'])
    expect(m.getStats().folded.method).toBe(1)
  })

  it('gives a tool the catalog does not know a label value only once a call of it succeeded', async () => {
    const { m, send } = gateway({ maxTools: 3 })
    await send('tools/call', { tool: 'made-up', upstream: 'math', code: ErrorCode.InvalidParams })
    await send('tools/call', { tool: 'flood', upstream: 'math', code: ErrorCode.RateLimited })
    await send('tools/call', { tool: 'add', upstream: 'math' })
    await send('tools/call', { tool: 'div', upstream: 'math', toolError: true })
    await send('tools/call', { tool: 'add', upstream: 'math', code: ErrorCode.RateLimited })
    await send('tools/call', { tool: 'mul', upstream: 'math' })
    await send('tools/call', { tool: 'x'.repeat(129), upstream: 'math' })
    // A tool the router's catalog knows takes a label value whatever its first answer.
    await send('tools/call', { tool: 'pow', upstream: 'math', toolError: true, listed: true })
    const { tools, folded } = m.getStats()
    // div's first answer is a tool error: what an upstream answers a name it does not have, too.
    expect(Object.keys(tools)).toEqual(['other', 'add', 'mul', 'pow'])
    expect(tools.add?.total).toBe(2)
    expect(tools.other?.total).toBe(4)
    expect(folded.tool).toBe(4)
  })

  it('folds upstreams past maxUpstreams into other', async () => {
    const { m, send } = gateway({ maxUpstreams: 1 })
    await send('tools/list', { upstream: 'a' })
    await send('tools/list', { upstream: 'b' })
    expect(Object.keys(m.getStats().upstreams)).toEqual(['a', 'other'])
  })

  it('counts in the overflow set once the registry holds maxSeries label sets', async () => {
    const registry = createMetricsRegistry({ maxSeries: 2 })
    const { m, send } = gateway({ registry })
    await send('tools/call', { tool: 'a', upstream: 'math', client: 'c1' })
    await send('tools/call', { tool: 'b', upstream: 'math', client: 'c1' })
    await send('tools/call', { tool: 'c', upstream: 'math', client: 'c2' })
    expect(registry.series).toBe(2)
    const families = parseExposition(m.exposition())
    const requests = families.find((f) => f.name === 'mcpx_requests_total')?.samples
    expect(
      requests?.map((s) => [s.labels.method, s.labels.upstream, s.labels.tool, s.value]),
    ).toEqual([
      ['tools/call', 'math', 'a', 1],
      ['other', 'other', 'other', 2],
    ])
    // The first message took both label sets: its cell and client c1's.
    const clients = families.find((f) => f.name === 'mcpx_client_requests_total')?.samples
    expect(clients?.map((s) => [s.labels.client, s.value])).toEqual([
      ['c1', 2],
      ['other', 1],
    ])
    expect(m.getStats().folded.series).toBe(3)
  })
})

describe('metrics(): stats sources', () => {
  it('reads every source into getStats(), and sums retries where a source counts them', () => {
    const statsRegistry = createStatsRegistry()
    statsRegistry.add({
      kind: 'breaker',
      name: 'math',
      describe: { open: { kind: 'gauge', help: 'Open.' } },
      read: () => ({ open: 1 }),
    })
    const m = metrics({ statsRegistry })
    expect(m.getStats()).toMatchObject({
      sources: { breaker: { math: { open: 1 } } },
      retries: undefined,
    })
    for (const name of ['a', 'b']) {
      statsRegistry.add({
        kind: 'retry',
        name,
        describe: { retries: { kind: 'counter', help: 'Retries.' } },
        read: () => ({ retries: 2 }),
      })
    }
    expect(m.getStats().retries).toBe(4)
  })
})

describe('metrics() options', () => {
  it.each([
    [{ maxTools: 0 }, 'maxTools must be an integer ≥ 1'],
    [{ maxUpstreams: 1.5 }, 'maxUpstreams must be an integer ≥ 1'],
    [{ maxClients: -1 }, 'maxClients must be an integer ≥ 0'],
    [{ methods: 'tools/call' }, 'methods must be an array of method names'],
    [{ methods: [''] }, 'methods[0] must be a non-empty one-line string'],
    [{ buckets: [2, 1] }, 'buckets[1] must be greater than the bound before it (2)'],
    [{ client: 'principal' }, 'client must be a function'],
    [{ cacheStatusKey: 'mcpx.cache' }, "cacheStatusKey must be a key made by core's createKey()"],
    [{ registry: {} }, 'registry must be a registry made by createMetricsRegistry()'],
    [{ statsRegistry: {} }, "statsRegistry must be core's createStatsRegistry()"],
    [{ log: true }, 'log must be a function'],
    [{ maxtools: 5 }, 'metrics() options key "maxtools" must be one of registry, statsRegistry'],
  ])('refuses %j', (options, message) => {
    expect(() => metrics(options as never)).toThrow(message)
  })

  it('refuses a second metrics() in one registry', () => {
    const registry = createMetricsRegistry()
    metrics({ registry })
    expect(() => metrics({ registry })).toThrow('not registered yet, got mcpx_requests_total again')
  })
})
