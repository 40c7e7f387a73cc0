import { describe, expect, it } from 'vitest'
import { parseExposition } from '../test/parse-exposition.js'
import { createMetricsRegistry } from './registry.js'

const samplesOf = (text: string, name: string) =>
  parseExposition(text).find((f) => f.name === name)?.samples ?? []

describe('createMetricsRegistry()', () => {
  it('writes counters, gauges and histograms in the text format, in the order registered', () => {
    const registry = createMetricsRegistry()
    const calls = registry.counter({ name: 'app_calls_total', help: 'Calls.', labels: ['kind'] })
    const depth = registry.gauge({ name: 'app_queue_depth', help: 'Queued.' })
    const size = registry.histogram({
      name: 'app_payload_bytes',
      help: 'Payload sizes.',
      buckets: [100, 1000],
    })
    calls.labels('read').inc()
    calls.labels('read').inc(2)
    calls.labels('write').inc()
    depth.set(4)
    depth.dec()
    size.observe(50)
    size.observe(500)
    size.observe(5000)
    const text = registry.exposition()
    expect(text.split('\n# HELP mcpx_label_values_folded_total')[0]).toBe(
      [
        '# HELP app_calls_total Calls.',
        '# TYPE app_calls_total counter',
        'app_calls_total{kind="read"} 3',
        'app_calls_total{kind="write"} 1',
        '# HELP app_queue_depth Queued.',
        '# TYPE app_queue_depth gauge',
        'app_queue_depth 3',
        '# HELP app_payload_bytes Payload sizes.',
        '# TYPE app_payload_bytes histogram',
        'app_payload_bytes_bucket{le="100"} 1',
        'app_payload_bytes_bucket{le="1000"} 2',
        'app_payload_bytes_bucket{le="+Inf"} 3',
        'app_payload_bytes_sum 5550',
        'app_payload_bytes_count 3',
      ].join('\n'),
    )
    expect(text.endsWith('mcpx_metrics_series_max 2000\n')).toBe(true)
    expect(() => parseExposition(text)).not.toThrow()
  })

  it('gives the same series for the same label values (keep it for a hot path)', () => {
    const registry = createMetricsRegistry()
    const c = registry.counter({ name: 'app_x_total', help: 'X.', labels: ['a', 'b'] })
    expect(c.labels('1', '2')).toBe(c.labels('1', '2'))
    expect(c.labels('1', '2')).not.toBe(c.labels('2', '1'))
    expect(registry.series).toBe(2)
  })

  it('folds values past a label limit into other, and counts the folds', () => {
    const registry = createMetricsRegistry()
    const c = registry.counter({
      name: 'app_x_total',
      help: 'X.',
      labels: ['tool', 'status'],
      maxValues: { tool: 2 },
    })
    for (const tool of ['a', 'b', 'c', 'd', 'a']) c.labels(tool, 'ok').inc()
    const samples = samplesOf(registry.exposition(), 'app_x_total')
    expect(samples.map((s) => [s.labels.tool, s.value])).toEqual([
      ['a', 2],
      ['b', 1],
      ['other', 2],
    ])
    const folded = samplesOf(registry.exposition(), 'mcpx_label_values_folded_total')
    expect(
      folded.find((s) => s.labels.family === 'app_x_total' && s.labels.label === 'tool')?.value,
    ).toBe(2)
  })

  it('holds at most maxSeries label sets; past it, the all-other overflow set counts', () => {
    const registry = createMetricsRegistry({ maxSeries: 3 })
    const c = registry.counter({ name: 'app_x_total', help: 'X.', labels: ['a', 'b'] })
    const h = registry.histogram({ name: 'app_y_seconds', help: 'Y.', labels: ['a'] })
    c.labels('1', '1').inc()
    c.labels('1', '2').inc()
    h.labels('1').observe(0.1)
    c.labels('1', '3').inc()
    h.labels('2').observe(0.2)
    expect(registry.series).toBe(3)
    const text = registry.exposition()
    expect(samplesOf(text, 'app_x_total').map((s) => s.labels)).toEqual([
      { a: '1', b: '1' },
      { a: '1', b: '2' },
      { a: 'other', b: 'other' },
    ])
    expect(
      samplesOf(text, 'app_y_seconds').filter((s) => s.name === 'app_y_seconds_count'),
    ).toEqual([
      { name: 'app_y_seconds_count', labels: { a: '1' }, value: 1 },
      { name: 'app_y_seconds_count', labels: { a: 'other' }, value: 1 },
    ])
    const folded = samplesOf(text, 'mcpx_label_values_folded_total').filter(
      (s) => s.labels.label === 'series',
    )
    expect(folded.map((s) => [s.labels.family, s.value])).toEqual([
      ['app_x_total', 1],
      ['app_y_seconds', 1],
    ])
  })

  it('writes one series for other, whether a value was folded or was "other" itself', () => {
    const registry = createMetricsRegistry()
    const c = registry.counter({ name: 'app_x_total', help: 'X.', labels: ['a'], maxValues: 1 })
    c.labels('x').inc()
    c.labels('y').inc()
    c.labels('other').inc()
    expect(
      samplesOf(registry.exposition(), 'app_x_total').map((s) => [s.labels.a, s.value]),
    ).toEqual([
      ['x', 1],
      ['other', 2],
    ])
  })

  it('resets values and keeps the series', () => {
    const registry = createMetricsRegistry()
    const c = registry.counter({ name: 'app_x_total', help: 'X.', labels: ['a'] })
    const h = registry.histogram({ name: 'app_y_seconds', help: 'Y.' })
    c.labels('x').inc(5)
    h.observe(1)
    c.reset()
    h.reset()
    expect(c.labels('x').value).toBe(0)
    expect(h.labels().count).toBe(0)
    expect(registry.series).toBe(1)
  })

  it('refuses bad values when they are counted', () => {
    const registry = createMetricsRegistry()
    const c = registry.counter({ name: 'app_x_total', help: 'X.', labels: ['a'] })
    const g = registry.gauge({ name: 'app_g', help: 'G.' })
    const h = registry.histogram({ name: 'app_wait_seconds', help: 'H.' })
    expect(() => c.labels('x').inc(-1)).toThrow(
      '[@mcpx/metrics] app_x_total: a counter grows by a finite number ≥ 0, got -1',
    )
    expect(() => c.labels('x').inc(Number.NaN)).toThrow('finite number ≥ 0')
    expect(() => c.labels('x').inc(Infinity)).toThrow('finite number ≥ 0')
    expect(() => g.set(Number.NaN)).toThrow('a gauge is a finite number')
    expect(() => h.observe(Infinity)).toThrow('an observation is finite')
    expect(() => c.labels(...(['x', 'y'] as unknown as [string]))).toThrow(
      'app_x_total takes 1 label value(s) (a), got 2',
    )
    expect(() => c.labels(7 as unknown as string)).toThrow('app_x_total label a must be a string')
    expect(() => c.inc()).toThrow('has labels (a): use labels(…)')
    expect(() => (g.labels as (...v: string[]) => unknown)('x')).toThrow('takes no labels')
  })

  it('refuses bad families when they are registered', () => {
    const registry = createMetricsRegistry()
    registry.counter({ name: 'app_x_total', help: 'X.' })
    expect(() => registry.counter({ name: 'app_x_total', help: 'Again.' })).toThrow(
      'name must be a name not registered yet, got app_x_total again',
    )
    expect(() => registry.gauge({ name: 'app_wait_seconds_bucket', help: 'X.' })).toThrow(
      'ending in _bucket',
    )
    registry.histogram({ name: 'app_wait_seconds', help: 'H.' })
    expect(() => registry.counter({ name: 'mcpx_metrics_series', help: 'X.' } as never)).toThrow()
    expect(() => registry.gauge({ name: 'mcpx_metrics_series', help: 'X.' })).toThrow(
      'not registered yet',
    )
    expect(() => registry.gauge({ name: 'app_y', help: '' })).toThrow(
      'help must be a non-empty one-line string',
    )
    expect(() => registry.gauge({ name: 'app_y', help: 'a\nb' })).toThrow('one-line')
    expect(() =>
      registry.gauge({ name: 'app_y', help: 'Y.', labels: ['a'], maxValues: { b: 1 } as never }),
    ).toThrow('maxValues.b must be one of the labels (a)')
    expect(() =>
      registry.gauge({ name: 'app_y', help: 'Y.', labels: ['a'], maxValues: 0 }),
    ).toThrow('maxValues must be an integer ≥ 1')
    expect(() => registry.gauge({ name: 'app_y', help: 'Y.', unit: 's' } as never)).toThrow(
      'gauge options key "unit" must be one of name, help, labels, maxValues',
    )
    expect(() => createMetricsRegistry({ maxSeries: 0 })).toThrow(
      'maxSeries must be an integer ≥ 1',
    )
  })
})
