import { createProxy } from '@mcpx/core'
import { describe, expect, it } from 'vitest'
import { metrics } from './metrics.js'
import { wellFormed } from './names.js'
import { createMetricsRegistry } from './registry.js'

/** The sample keys (name and labels) of `family` in `text` as it reaches a scraper, in UTF-8. */
function seriesOnTheWire(text: string, family: string): string[] {
  const wire = Buffer.from(text, 'utf8').toString('utf8')
  return wire
    .split('\n')
    .filter((line) => line.startsWith(`${family}{`))
    .map((line) => line.slice(0, line.lastIndexOf(' ')))
}

describe('label values with lone surrogates', () => {
  it('are one series when they are one value in UTF-8 (user families)', () => {
    const registry = createMetricsRegistry()
    const calls = registry.counter({ name: 'app_calls_total', help: 'Calls.', labels: ['tool'] })
    calls.labels('a\ud800').inc()
    calls.labels('a\ud801').inc()
    calls.labels('a\ud800').inc()
    const keys = seriesOnTheWire(registry.exposition(), 'app_calls_total')
    expect(keys).toEqual(['app_calls_total{tool="a\ufffd"}'])
    expect(registry.exposition()).toContain('app_calls_total{tool="a\ufffd"} 3\n')
  })

  it('are one series through metrics() (tool names, upstreams, clients)', async () => {
    const m = metrics({ log: () => {}, tracing: false })
    const proxy = createProxy({ strict: false, onError: () => {} }).use(m, async (ctx) => {
      ctx.result = { content: [] }
    })
    for (const name of ['x\ud800', 'x\udbff', 'x\udc00']) {
      await proxy.handle({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name } })
    }
    const keys = seriesOnTheWire(m.exposition(), 'mcpx_requests_total')
    expect(new Set(keys).size).toBe(keys.length)
    expect(m.getStats().tools['x\ufffd']?.total).toBe(3)
  })

  it('wellFormed leaves a well-formed string as it is (the same string)', () => {
    const value = 'ok ☃ 𝄞'
    expect(wellFormed(value)).toBe(value)
    expect(wellFormed('\ud800x')).toBe('\ufffdx')
  })
})
