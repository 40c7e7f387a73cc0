// metrics() end to end: the SDK's real Client over Streamable HTTP through a
// gateway of the real packages (see gateway.ts); a scripted run, then the
// stats and the /metrics exposition checked against what the script did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADD_LIMIT, type Gateway, startGateway } from './gateway.js'
import { parseExposition } from './parse-exposition.js'
import { checkMetrics, ensurePromtool } from './promtool.js'

let gateway: Gateway
let promtool: string

beforeAll(async () => {
  promtool = await ensurePromtool()
  gateway = await startGateway()
})
afterAll(async () => {
  await gateway?.close()
})

/** The error code a call was refused with, or 'ok'. */
async function outcome(call: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call
    return 'ok'
  } catch (error) {
    return (error as { code: number }).code
  }
}

describe('metrics() through a real gateway, with the SDK client', () => {
  it('counts a scripted run exactly, per method, upstream, tool and client, and exposes it for Prometheus', async () => {
    const alice = await gateway.connect('alice')
    const bob = await gateway.connect('bob')
    const add = (client: typeof alice) =>
      client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })

    // alice: ADD_LIMIT adds pass, 2 more are rate limited.
    const aliceAdds = []
    for (let i = 0; i < ADD_LIMIT + 2; i++) aliceAdds.push(await outcome(add(alice)))
    // Over HTTP a request that is one refused message is answered 429 (JSON-RPC -32029 inside).
    expect(aliceAdds).toEqual([...Array(ADD_LIMIT).fill('ok'), 429, 429])
    // bob: 1 add, 2 divisions by zero (the tool's own error), 1 good division.
    expect(await outcome(add(bob))).toBe('ok')
    for (let i = 0; i < 2; i++) {
      const result = await bob.callTool({ name: 'div', arguments: { a: 1, b: 0 } })
      expect(result.isError).toBe(true)
    }
    await bob.callTool({ name: 'div', arguments: { a: 4, b: 2 } })
    // An unknown tool: the router refuses it (-32602), and it takes no label value.
    expect(await outcome(bob.callTool({ name: 'made-up', arguments: {} }))).toBe(-32602)
    // search is cached: 1 miss, then 2 hits.
    for (let i = 0; i < 3; i++) await alice.callTool({ name: 'search', arguments: { q: 'mcp' } })
    await alice.readResource({ uri: 'docs://readme' })

    const stats = gateway.m.getStats()
    const calls = stats.methods['tools/call']
    expect(calls).toMatchObject({
      total: 14,
      successes: 9,
      failures: 5,
      rateLimited: 2,
      cacheHits: 2,
      toolErrors: 2,
    })
    expect(calls?.outcomes).toMatchObject({
      ok: 7,
      cache_hit: 2,
      tool_error: 2,
      rate_limited: 2,
      invalid_params: 1,
    })
    expect(stats.tools).toEqual({
      add: expect.objectContaining({
        total: ADD_LIMIT + 3,
        successes: ADD_LIMIT + 1,
        rateLimited: 2,
      }),
      div: expect.objectContaining({ total: 3, successes: 1, toolErrors: 2 }),
      search: expect.objectContaining({ total: 3, cacheHits: 2 }),
      other: expect.objectContaining({
        total: 1,
        outcomes: expect.objectContaining({ invalid_params: 1 }),
      }),
    })
    expect(stats.methods.initialize?.total).toBe(2)
    expect(stats.methods['resources/read']?.total).toBe(1)
    // Upstreams: the ones the router chose (a rate-limited call never reached it).
    expect(stats.upstreams.math?.total).toBe(ADD_LIMIT + 1 + 3)
    expect(stats.upstreams.docs).toMatchObject({ total: 4, cacheHits: 2 })
    expect(stats.clients.alice).toMatchObject({ rateLimited: 2, cacheHits: 2 })
    expect(stats.clients.bob).toMatchObject({ toolErrors: 2 })
    expect(stats.latency.count).toBe(stats.total)
    expect(stats.latency.p50Ms).toBeGreaterThan(0)
    // The core sources: the pool, the breaker, the bulkhead, the cache, the pins.
    expect(Object.keys(stats.sources).sort()).toEqual([
      'breaker',
      'bulkhead',
      'cache',
      'pins',
      'pool',
    ])
    // The cache's own count agrees with the outcomes metrics() saw (its misses include the lists).
    expect(stats.sources.cache?.cache?.hits).toBe(2)
    expect(stats.sources.pool?.math?.up).toBe(1)
    expect(stats.sources.breaker?.default?.open).toBe(0)

    const res = await fetch(gateway.metricsUrl)
    expect(res.status).toBe(200)
    const text = await res.text()
    const families = parseExposition(text)
    const requests = families.find((f) => f.name === 'mcpx_requests_total')?.samples ?? []
    const count = (labels: Record<string, string>) =>
      requests.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    expect(count({ method: 'tools/call', upstream: 'math', tool: 'add', outcome: 'ok' })).toBe(
      ADD_LIMIT + 1,
    )
    expect(
      count({ method: 'tools/call', upstream: '', tool: 'add', outcome: 'rate_limited' }),
    ).toBe(2)
    expect(
      count({ method: 'tools/call', upstream: 'docs', tool: 'search', outcome: 'cache_hit' }),
    ).toBe(2)
    expect(
      count({ method: 'tools/call', upstream: 'math', tool: 'div', outcome: 'tool_error' }),
    ).toBe(2)
    for (const name of [
      'mcpx_pool_up',
      'mcpx_breaker_half_open',
      'mcpx_bulkhead_rejected_total',
      'mcpx_cache_hits_total',
      'mcpx_pins_pending',
    ]) {
      expect(families.map((f) => f.name)).toContain(name)
    }

    const checked = await checkMetrics(promtool, text)
    expect(checked).toEqual({ code: 0, stdout: '', stderr: '' })
  })
})
