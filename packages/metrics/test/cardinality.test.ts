// Hostile traffic cannot grow the series (issue 14's acceptance): 10,000
// distinct tool names and 10,000 client ids keep the label sets and the
// exposed sample lines under the bound the options set.
import { Context, createProxy, principalKey, targetKey } from '@mcpx/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defaultDurationBuckets } from '../src/buckets.js'
import { type MetricsOptions, metrics } from '../src/metrics.js'
import { outcomes } from '../src/outcomes.js'
import { createMetricsRegistry } from '../src/registry.js'
import { labelSets, parseExposition, seriesCount } from './parse-exposition.js'

function stack(options: MetricsOptions) {
  const m = metrics(options)
  const proxy = createProxy({ strict: false }).use(m, async (ctx) => {
    const { client, upstream } = ctx.params as { client: string; upstream: string }
    ctx.set(principalKey, { subject: client, scopes: [] })
    ctx.set(targetKey, { upstream, method: ctx.method, params: ctx.params })
    ctx.result = { content: [] }
  })
  const send = (method: string, name: string, client: string, upstream = 'math') =>
    proxy.dispatch(
      new Context({ kind: 'request', id: 1, method, params: { name, client, upstream } }),
    )
  return { m, send }
}

/** Sample lines a message cell can write: one per outcome, the buckets with +Inf, _sum and _count. */
const LINES_PER_CELL = outcomes.length + defaultDurationBuckets.length + 3
/** The families whose lines are fixed in number: in flight, the series gauges, the folded counters. */
const FIXED_LINES = 1 + 2 + 6

describe('cardinality', () => {
  it('keeps 10,000 distinct tool names and 10,000 client ids under the configured bound', async () => {
    const maxTools = 50
    const maxClients = 50
    const { m, send } = stack({ maxTools, maxClients })
    for (let i = 0; i < 10_000; i++) await send('tools/call', `tool-${i}`, `client-${i}`)
    const stats = m.getStats()
    expect(stats.total).toBe(10_000)
    // One method, one upstream: the tools admitted and other; the clients admitted and other.
    // The tools' other is a label set of its own; the clients' other is the family's overflow set.
    expect(m.registry.series).toBe(maxTools + 1 + maxClients)
    expect(Object.keys(stats.tools)).toHaveLength(maxTools + 1)
    expect(Object.keys(stats.clients)).toHaveLength(maxClients + 1)
    expect(stats.tools.other?.total).toBe(10_000 - maxTools)
    expect(stats.folded).toMatchObject({ tool: 10_000 - maxTools, client: 10_000 - maxClients })

    const families = parseExposition(m.exposition())
    const setsOf = (name: string) => labelSets(families, name)
    // The message families share their cells: each holds the tools admitted and other.
    expect(setsOf('mcpx_requests_total')).toBe(maxTools + 1)
    expect(setsOf('mcpx_request_duration_seconds')).toBe(maxTools + 1)
    expect(setsOf('mcpx_client_requests_total')).toBe(maxClients + 1)
    const { samples } = seriesCount(families)
    expect(samples).toBeLessThanOrEqual(
      (maxTools + 1) * LINES_PER_CELL + (maxClients + 1) * outcomes.length + FIXED_LINES,
    )
  })

  it('holds at most maxSeries label sets whatever arrives, every label value included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            method: fc.oneof(fc.constantFrom('tools/call', 'tools/list', 'ping'), fc.string()),
            name: fc.string({ unit: 'binary', maxLength: 40 }),
            client: fc.string({ maxLength: 20 }),
            upstream: fc.constantFrom('a', 'b', 'c', 'd'),
          }),
          { maxLength: 300 },
        ),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 10 }),
        async (messages, maxSeries, maxTools) => {
          const registry = createMetricsRegistry({ maxSeries })
          const { m, send } = stack({ registry, maxTools, maxClients: 5, maxUpstreams: 2 })
          for (const { method, name, client, upstream } of messages)
            await send(method, name, client, upstream)
          expect(registry.series).toBeLessThanOrEqual(maxSeries)
          const stats = m.getStats()
          expect(stats.total).toBe(messages.length)
          expect(Object.keys(stats.tools).length).toBeLessThanOrEqual(maxTools + 1)
          expect(Object.keys(stats.clients).length).toBeLessThanOrEqual(5 + 1)
          expect(Object.keys(stats.upstreams).length).toBeLessThanOrEqual(2 + 1)
          const families = parseExposition(m.exposition())
          // Label sets exposed: those held, plus at most one overflow set per family.
          const requests = families.find((f) => f.name === 'mcpx_requests_total')?.samples ?? []
          const cells = new Set(
            requests.map(
              (s) => `${s.labels.method}\u0000${s.labels.upstream}\u0000${s.labels.tool}`,
            ),
          )
          const clients = new Set(
            families
              .find((f) => f.name === 'mcpx_client_requests_total')
              ?.samples.map((s) => s.labels.client),
          )
          expect(cells.size + clients.size).toBeLessThanOrEqual(maxSeries + 2)
          const sum = requests.reduce((n, s) => n + s.value, 0)
          expect(sum).toBe(messages.length)
        },
      ),
      { numRuns: 150 },
    )
  })
})
