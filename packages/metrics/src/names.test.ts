import { describe, expect, it } from 'vitest'
import { checkLabelNames, checkMetricName, metricNameProblem, snakeCase } from './names.js'

describe('metric names', () => {
  it('accepts conventional names', () => {
    expect(metricNameProblem('mcpx_requests_total', 'counter')).toBeUndefined()
    expect(metricNameProblem('app_request_duration_seconds', 'histogram')).toBeUndefined()
    expect(metricNameProblem('app_cache_bytes', 'gauge')).toBeUndefined()
  })

  it.each([
    ['app_requests', 'counter', 'a counter name ending in _total'],
    ['app_open_total', 'gauge', 'a name not ending in _total'],
    ['appRequests_total', 'counter', 'snake_case'],
    ['app:requests_total', 'counter', 'snake_case'],
    ['1app_total', 'counter', 'snake_case'],
    ['__app_total', 'counter', 'reserved __'],
    ['app_latency_ms', 'gauge', 'abbreviated unit "ms"'],
    ['app_d_seconds', 'histogram', 'abbreviated unit "d"'],
    ['app_uptime_milliseconds', 'gauge', 'base units ("seconds"'],
    ['app_wait_minutes', 'gauge', 'base units ("seconds"'],
    ['app_size_kilobytes', 'gauge', 'base units ("bytes"'],
    ['app_queue_gauge', 'gauge', 'type word "gauge"'],
    ['app_size_bucket', 'gauge', 'ending in _bucket'],
    ['app_items_count', 'gauge', 'ending in _count'],
    ['app_x_sum', 'histogram', 'ending in _sum'],
  ] as const)('refuses %s for a %s (%s)', (name, type, problem) => {
    expect(metricNameProblem(name, type)).toContain(problem)
  })

  it('names the option in the error', () => {
    expect(() => checkMetricName('name', 'app_requests', 'counter')).toThrow(
      '[@mcpx/metrics] name must be a counter name ending in _total, got "app_requests"',
    )
    expect(() => checkMetricName('name', 7, 'counter')).toThrow('name must be a string')
  })
})

describe('label names', () => {
  it('accepts distinct snake_case names', () => {
    expect(checkLabelNames('labels', ['tool', 'status_code'], 'counter')).toEqual([
      'tool',
      'status_code',
    ])
    expect(checkLabelNames('labels', undefined, 'counter')).toEqual([])
  })

  it.each([
    [['Tool'], 'labels[0] must be a snake_case label name'],
    [['a', 'a'], 'labels[1] must be a label named once'],
    [['__x'], 'reserved __ prefix'],
    [['le'], 'a label other than le'],
    [['quantile'], 'a label other than quantile'],
    ['tool', 'labels must be an array'],
  ])('refuses %j', (labels, message) => {
    expect(() => checkLabelNames('labels', labels, 'histogram')).toThrow(message)
  })
})

describe('snakeCase', () => {
  it('turns stat names into snake_case', () => {
    expect(
      ['inFlight', 'acquireTimeouts', 'halfOpen', 'up', 'HTTPErrors', 'open2Fast'].map(snakeCase),
    ).toEqual(['in_flight', 'acquire_timeouts', 'half_open', 'up', 'http_errors', 'open2_fast'])
  })
})
