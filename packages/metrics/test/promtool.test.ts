// The exposition passes `promtool check metrics` (issue 14's acceptance):
// every family metrics() writes, the user's own, and the stats sources of
// the real packages, with hostile label values; exit 0 and no lint line.
// promtool 2.42 lets some mistakes through (a series twice, a family in two
// blocks, a histogram without +Inf): parseExposition checks those.

import { breaker, concurrencyLimit } from '@mcpx/breaker'
import {
  Context,
  createProxy,
  createStatsRegistry,
  ErrorCode,
  McpxError,
  principalKey,
  targetKey,
  toolKey,
} from '@mcpx/core'
import { pool } from '@mcpx/pool'
import { cache, cacheStatusKey, pinTools } from '@mcpx/transformers'
import { inProcess } from '@mcpx/transports'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { metrics } from '../src/metrics.js'
import { createMetricsRegistry } from '../src/registry.js'
import { parseExposition } from './parse-exposition.js'
import { checkMetrics, ensurePromtool } from './promtool.js'

let promtool: string
const closers: (() => unknown)[] = []

beforeAll(async () => {
  promtool = await ensurePromtool()
})
afterAll(async () => {
  for (const close of closers) await close()
})

describe('promtool check metrics, the harness', () => {
  it('finds lint problems and parse errors (so a pass means something)', async () => {
    const lint = await checkMetrics(
      promtool,
      '# HELP app_requests Requests.\n# TYPE app_requests counter\napp_requests 1\n',
    )
    expect(lint.code).toBe(3)
    expect(lint.stderr).toContain('app_requests counter metrics should have "_total" suffix')
    const parse = await checkMetrics(
      promtool,
      '# HELP x_total X.\n# TYPE x_total counter\nx_total{a="\\t"} 1\n',
    )
    expect(parse.code).toBe(1)
    expect(parse.stdout + parse.stderr).toContain('invalid escape sequence')
  })
})

describe('the exposition of metrics()', () => {
  it('passes promtool check metrics with every family, real stats sources and hostile label values', async () => {
    const stats = createStatsRegistry()
    const registry = createMetricsRegistry({ maxSeries: 5000 })
    const m = metrics({
      registry,
      statsRegistry: stats,
      cacheStatusKey,
      maxTools: 1000,
      maxClients: 1000,
    })
    // The real packages' sources: a pool, a breaker, a bulkhead, a cache, pins.
    const mathPool = pool(
      'math',
      inProcess(() => new McpServer({ name: 'math', version: '1.0.0' })),
      {
        min: 0,
        statsRegistry: stats,
        log: () => {},
      },
    )
    const layers = [
      breaker({ statsRegistry: stats }),
      concurrencyLimit({ limit: 4, statsRegistry: stats }),
      cache({ statsRegistry: stats, log: () => {} }),
      pinTools({ statsRegistry: stats, log: () => {} }),
    ]
    closers.push(
      () => mathPool.close(),
      ...layers.map((layer) => () => (layer as { close(): unknown }).close()),
    )
    expect(new Set(stats.sources().map((s) => s.kind))).toEqual(
      new Set(['pool', 'breaker', 'bulkhead', 'cache', 'pins']),
    )

    // The user's own families beside them.
    const searches = registry.counter({
      name: 'app_searches_total',
      help: 'Searches, by index.',
      labels: ['index'],
    })
    const queue = registry.gauge({ name: 'app_queue_depth', help: 'Jobs waiting.' })
    const sizes = registry.histogram({
      name: 'app_result_bytes',
      help: 'Result sizes.',
      labels: ['kind'],
      buckets: [64, 1024, 65536],
    })
    queue.set(3)

    // Hostile label values: any string, as tool names, client ids and user label values.
    const hostile = fc.sample(fc.string({ unit: 'binary', maxLength: 64 }), {
      numRuns: 400,
      seed: 14,
    })
    hostile.push(
      'a"b',
      'back\\slash',
      'line\nfeed',
      '\r\n',
      '',
      'other',
      '__proto__',
      '☃ ünï',
      '{}=,',
    )
    const proxy = createProxy({ strict: false, onError: () => {} }).use(m, async (ctx) => {
      const { tool, code, client } = ctx.params as { tool: string; code?: number; client: string }
      ctx.set(principalKey, { subject: client, scopes: [] })
      ctx.set(targetKey, { upstream: 'math', method: ctx.method, params: ctx.params })
      // The router's catalog knows each tool; a rate limit refuses above the router, before it.
      if (code !== ErrorCode.RateLimited) {
        ctx.set(toolKey, { name: tool, inputSchema: { type: 'object' } })
      }
      if (code !== undefined) throw new McpxError(code, 'refused')
      ctx.result = { content: [], isError: tool.length % 7 === 0 }
    })
    const codes = [
      undefined,
      ErrorCode.RateLimited,
      ErrorCode.UpstreamUnavailable,
      ErrorCode.RequestTimeout,
      -31000,
    ]
    const admitted = new Set<string>()
    for (const [i, value] of hostile.entries()) {
      const code = codes[i % codes.length]
      // A rate-limited call gives its tool no label value of its own.
      if (code !== ErrorCode.RateLimited && value !== '') admitted.add(value)
      const params = { name: value, tool: value, client: value, code }
      await proxy.dispatch(new Context({ kind: 'request', id: i, method: 'tools/call', params }))
      searches.labels(value).inc()
      sizes.labels(value).observe(i * 100)
    }
    await proxy.dispatch(
      new Context({
        kind: 'request',
        id: 'x',
        method: 'resources/read',
        params: { tool: '', client: '' },
      }),
    )
    await proxy.dispatch(
      new Context({
        kind: 'request',
        id: 'y',
        method: 'made/up',
        params: { tool: '', client: '' },
      }),
    )

    const text = m.exposition()
    const families = parseExposition(text)
    const names = families.map((f) => f.name)
    for (const name of [
      'mcpx_requests_total',
      'mcpx_request_duration_seconds',
      'mcpx_client_requests_total',
      'mcpx_requests_in_flight',
      'mcpx_pool_acquire_timeouts_total',
      'mcpx_pool_backing_off',
      'mcpx_breaker_half_open',
      'mcpx_bulkhead_queued',
      'mcpx_cache_store_errors_total',
      'mcpx_pins_pending',
      'app_searches_total',
      'app_queue_depth',
      'app_result_bytes',
      'mcpx_label_values_folded_total',
      'mcpx_metrics_series',
    ]) {
      expect(names).toContain(name)
    }
    // Every hostile tool name that took a label value came back unchanged.
    const tools = new Set(
      families.find((f) => f.name === 'mcpx_requests_total')?.samples.map((s) => s.labels.tool),
    )
    expect(admitted.size).toBeGreaterThan(250)
    for (const value of admitted) expect(tools).toContain(value)

    const checked = await checkMetrics(promtool, text)
    expect(checked).toEqual({ code: 0, stdout: '', stderr: '' })
  })
})
